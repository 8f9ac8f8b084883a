"""Training and evaluation of the indicator classifier (``components/indicate.py``).

Labelled data: every gold record carries the indicator of the taxonomy in
``../shared/indicators`` — the seed reports' labels (``seed_labels.json``,
imported into the markup record sources by ``import-seeds``, compiled onto
records and relations) and the dev set's (``corpus/devset/annotations.jsonl``).
An example is a record the shipped linker makes from a document's **gold
entities** (so its activity text is what the linker writes at run time),
labelled with the gold indicator of its COUNT.

The model: character n-grams (``indicate.record_features``) → a scikit-learn
logistic regression, optionally with one pseudo-example per taxonomy entry
built from its Chinese name and ``include`` phrases (for indicators no report
shows), a mask that forbids indicators whose unit family cannot hold the unit,
and a threshold below which a record is ``other``. Which of these are kept is
decided by ``compare`` (docs/results.md §7); the threshold is chosen on the
dev set's study half, never on its test half.

    python -m pipeline.learning.indicators import-seeds   # seed labels → markup sources
    python -m pipeline.learning.indicators compare        # variants: LORO on seeds, seeds → dev study
    python -m pipeline.learning.indicators build OUT      # make indicators: corpus/rules/indicators.json
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import srsly

from pipeline.components.indicate import IndicatorModel, record_features
from pipeline.labels import OTHER_INDICATOR
from pipeline.learning.corpus import AnnotatedDoc, load_corpus
from pipeline.learning.rule_files import RULES_DIR, read_table

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY_DIR = Path(os.environ.get("FAZHI_INDICATORS", ROOT.parent / "shared" / "indicators"))
CORPUS = ROOT / "corpus" / "annotations"
MIN_WEIGHT = 0.002  # smaller weights are dropped (3.0 MB table); 0.005 (1.5 MB) loses 1 of 72 study records, 0.02 (0.7 MB) 2
THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 17)]
DEFAULTS = {"C": 1.0, "prototypes": True, "unit_mask": True, "other_weight": 1.0}  # chosen by `compare` (docs/results.md §7)


# ------------------------------------------------------------------ data

def read_taxonomy(directory: Path = TAXONOMY_DIR) -> list[dict[str, Any]]:
    """The taxonomy (id, domain, name_zh, unit_family, definition, include, exclude)."""
    path = Path(directory) / "taxonomy.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no indicator taxonomy (../shared/indicators beside the checkout)")
    return json.loads(path.read_text(encoding="utf-8"))


def unit_families() -> dict[str, list[str]]:
    return {k: v for k, v in read_table("indicator_units.json").items() if not k.startswith("_")}


class Labelled:
    """One document: text, gold entities, and the indicator of each labelled COUNT."""

    def __init__(self, doc_id: str, text: str, entities: Sequence[tuple[int, int, str]], labels: dict[tuple[int, int], str]) -> None:
        self.doc_id, self.text, self.entities, self.labels = doc_id, text, list(entities), labels


def seed_documents(paths: Iterable[Path] = (CORPUS,)) -> list[Labelled]:
    return [Labelled(d.doc_id, d.text, [(s.start, s.end, s.label) for s in d.entities], dict(d.indicators)) for d in load_corpus(paths)]


def devset_documents(split: Optional[str]) -> list[Labelled]:
    """Dev-set documents whose texts are rebuilt (``devset build``); [] when they are absent."""
    from pipeline.learning.devset import load_gold

    out = []
    for d in load_gold(split=split):
        labels = {(r["count"]["start"], r["count"]["end"]): r["indicator"] for r in d["records"] if r.get("indicator")}
        out.append(Labelled(d["id"], d["text"], d["entities"], labels))
    return out


def import_seeds(seed_labels: Path, markup_dir: Path = CORPUS / "markup", raw_dir: Path = ROOT / "corpus" / "raw") -> int:
    """Write the seed labels (keyed by COUNT span) into the markup record sources; returns the number set."""
    from pipeline.learning.markup import compile_markup

    labels = json.loads(Path(seed_labels).read_text(encoding="utf-8"))
    n = 0
    for doc_id, items in labels.items():
        by_span = {(i["count_start"], i["count_end"]): i["indicator"] for i in items}
        rec_path = markup_dir / f"{doc_id}.records.jsonl"
        srcs = [json.loads(l) for l in rec_path.read_text(encoding="utf-8").splitlines() if l.strip()]
        raw = (raw_dir / f"{doc_id}.txt").read_text(encoding="utf-8-sig")
        _, records = compile_markup(doc_id, raw, (markup_dir / f"{doc_id}.txt").read_text(encoding="utf-8"), srcs)
        for src, rec in zip(srcs, records):
            key = (rec["count"]["start"], rec["count"]["end"])
            if not src.get("no_record") and key in by_span:
                src["indicator"] = by_span[key]
                n += 1
        rec_path.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in srcs), encoding="utf-8")
    return n


# ------------------------------------------------------------------ examples

_LINKER = None


def linker():
    """Blank pipeline with the shipped record components before the classifier (ranker included)."""
    global _LINKER
    if _LINKER is None:
        import spacy

        from pipeline.learning.rule_files import initialize_components

        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "fazhi.ChineseTokenizer.v1", "segmenter": "char"}}})
        for name in ("count_normalizer", "report_structure", "record_linker"):
            nlp.add_pipe(name)
        _LINKER = initialize_components(nlp)
    return _LINKER


def linked_records(doc: Labelled) -> list[dict[str, Any]]:
    nlp = linker()
    d = nlp.make_doc(doc.text)
    d.ents = [d.char_span(s, e, label=l) for s, e, l in doc.entities]
    for _, proc in nlp.pipeline:
        d = proc(d)
    return d._.records


def examples(docs: Iterable[Labelled], families: dict[str, list[str]]) -> list[tuple[str, dict[str, float], str, dict[str, Any]]]:
    """(doc id, features, gold indicator, record) for every linked record at a labelled COUNT."""
    primary = {}
    for fam, units in families.items():
        for u in units:
            primary.setdefault(u, fam)
    out = []
    for doc in docs:
        for rec in linked_records(doc):
            key = (rec["count"]["start"], rec["count"]["end"])
            if key in doc.labels:
                out.append((doc.doc_id, record_features(doc.text, rec, primary.get(rec.get("unit") or "")), doc.labels[key], rec))
    return out


def prototypes(taxonomy: Sequence[dict[str, Any]], families: dict[str, list[str]]) -> list[tuple[dict[str, float], str]]:
    """One pseudo-example per name and ``include`` phrase of each indicator (not ``other``)."""
    out = []
    for t in taxonomy:
        if t["id"] == OTHER_INDICATOR or t["unit_family"] not in families:
            continue
        unit = families[t["unit_family"]][0]
        phrases = [t["name_zh"]] + [p for p in re.split(r"[;；]\s*", t.get("include", "")) if re.search(r"[\u4e00-\u9fff]", p)]
        for p in phrases:
            p = re.sub(r"[A-Za-z().,“”\"]+", "", p).strip()[:24]
            if not p:
                continue
            text = f"{p}10{unit}"
            rec = {"count": {"start": len(p), "end": len(text)}, "activity": {"text": p}, "unit": unit, "section": "achievements"}
            out.append((record_features(text, rec, t["unit_family"]), t["id"]))
    return out


# ------------------------------------------------------------------ model

def fit(
    train: Sequence[tuple[dict[str, float], str]],
    taxonomy: Sequence[dict[str, Any]],
    families: dict[str, list[str]],
    C: float,
    unit_mask: bool,
    threshold: float = 0.0,
    other_weight: float = 1.0,
) -> dict[str, Any]:
    """A logistic regression on (features, indicator) pairs, as the component's JSON table.

    ``other_weight`` scales the examples labelled ``other`` (0: ``other`` is not a class and
    comes only from abstention below the threshold).
    """
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    if other_weight == 0:
        train = [(f, lab) for f, lab in train if lab != OTHER_INDICATOR]
    vec = DictVectorizer()
    X = vec.fit_transform([f for f, _ in train])
    y = [lab for _, lab in train]
    sample_weight = [other_weight if lab == OTHER_INDICATOR else 1.0 for lab in y]
    clf = LogisticRegression(max_iter=3000, C=C, random_state=0).fit(X, y, sample_weight=sample_weight)
    classes = [str(c) for c in clf.classes_]
    coef = clf.coef_ if len(classes) > 2 else None
    if coef is None:  # two classes: sklearn keeps one row; the softmax form needs both
        import numpy as np

        coef = np.vstack([-clf.coef_[0] / 2, clf.coef_[0] / 2])
        intercept = [-float(clf.intercept_[0]) / 2, float(clf.intercept_[0]) / 2]
    else:
        intercept = [float(b) for b in clf.intercept_]
    weights: dict[str, dict[str, float]] = {}
    for j, name in enumerate(vec.get_feature_names_out()):
        col = {str(k): round(float(coef[k, j]), 4) for k in range(len(classes)) if abs(coef[k, j]) >= MIN_WEIGHT}
        if col:
            weights[str(name)] = col
    return {
        "taxonomy": [{k: t[k] for k in ("id", "domain", "name_zh", "unit_family")} for t in taxonomy],
        "unit_families": families,
        "unit_mask": unit_mask,
        "classes": classes,
        "intercept": [round(b, 4) for b in intercept],
        "weights": weights,
        "threshold": threshold,
    }


def predict(model: IndicatorModel, exs: Sequence[tuple[str, dict[str, float], str, dict[str, Any]]], texts: dict[str, str]) -> list[tuple[str, float]]:
    return [model.classify(texts[doc_id], rec) for doc_id, _, _, rec in exs]


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 over the gold indicators, ``other`` precision/recall, and the top confusions."""
    n = len(gold)
    acc = sum(g == p for g, p in zip(gold, pred)) / n if n else 0.0
    f1s = []
    for lab in sorted(set(gold)):
        tp = sum(g == p == lab for g, p in zip(gold, pred))
        np_, ng = sum(p == lab for p in pred), sum(g == lab for g in gold)
        prec, rec = (tp / np_ if np_ else 0.0), (tp / ng if ng else 0.0)
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    n_other_pred = sum(p == OTHER_INDICATOR for p in pred)
    n_other_gold = sum(g == OTHER_INDICATOR for g in gold)
    tp_other = sum(g == p == OTHER_INDICATOR for g, p in zip(gold, pred))
    confusion = Counter((g, p) for g, p in zip(gold, pred) if g != p)
    return {
        "n": n,
        "accuracy": round(acc, 4),
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "other_precision": round(tp_other / n_other_pred, 4) if n_other_pred else None,
        "other_recall": round(tp_other / n_other_gold, 4) if n_other_gold else None,
        "top_confusions": [{"gold": g, "pred": p, "n": k} for (g, p), k in confusion.most_common(10)],
    }


def train_examples(exs: Sequence[tuple[str, dict[str, float], str, dict[str, Any]]], protos: Sequence[tuple[dict[str, float], str]], use_protos: bool) -> list[tuple[dict[str, float], str]]:
    return [(f, lab) for _, f, lab, _ in exs] + (list(protos) if use_protos else [])


def choose_threshold(model_table: dict[str, Any], exs: Sequence, texts: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """The threshold that maximises accuracy on ``exs`` (ties: the lower one), with its scores."""
    best: tuple[float, float, dict[str, Any]] | None = None
    for t in THRESHOLDS:
        m = IndicatorModel({**model_table, "threshold": t})
        pred = [p for p, _ in predict(m, exs, texts)]
        s = scores([lab for _, _, lab, _ in exs], pred)
        if best is None or s["accuracy"] > best[1]:
            best = (t, s["accuracy"], s)
    return best[0], best[2]


def loro(seeds: Sequence[Labelled], taxonomy, families, params: dict[str, Any], threshold: float) -> dict[str, Any]:
    """Leave-one-report-out over the seed reports: train on four, score the fifth."""
    texts = {d.doc_id: d.text for d in seeds}
    exs = examples(seeds, families)
    protos = prototypes(taxonomy, families)
    gold, pred, folds = [], [], {}
    for held in [d.doc_id for d in seeds]:
        table = fit(train_examples([e for e in exs if e[0] != held], protos, params["prototypes"]), taxonomy, families, params["C"], params["unit_mask"], threshold, params["other_weight"])
        test = [e for e in exs if e[0] == held]
        p = [lab for lab, _ in predict(IndicatorModel(table), test, texts)]
        g = [lab for _, _, lab, _ in test]
        folds[held] = scores(g, p)["accuracy"]
        gold += g
        pred += p
    return {**scores(gold, pred), "folds": folds}


def study_cv(seed_exs, study_exs, protos, taxonomy, families, params: dict[str, Any], threshold: float, folds: int = 4) -> dict[str, Any]:
    """The shipped recipe estimated on the study half: train on seeds + the other study folds (by document)."""
    docs = sorted({e[0] for e in study_exs})
    gold, pred = [], []
    texts = {}
    for k in range(folds):
        held = set(docs[k::folds])
        train = [e for e in study_exs if e[0] not in held]
        table = fit(train_examples(seed_exs + train, protos, params["prototypes"]), taxonomy, families, params["C"], params["unit_mask"], threshold, params["other_weight"])
        test = [e for e in study_exs if e[0] in held]
        pred += [p for p, _ in predict(IndicatorModel(table), test, TEXTS)]
        gold += [e[2] for e in test]
    return scores(gold, pred)


TEXTS: dict[str, str] = {}


def compare(out: Optional[Path] = None) -> dict[str, Any]:
    """Each variant: LORO on the seeds; seeds → dev study half (threshold chosen there); seeds + study folds → study fold."""
    taxonomy, families = read_taxonomy(), unit_families()
    seeds = seed_documents()
    study = devset_documents("study")
    texts = {d.doc_id: d.text for d in seeds + study}
    TEXTS.update(texts)
    seed_exs, study_exs = examples(seeds, families), examples(study, families)
    protos = prototypes(taxonomy, families)
    rows = []
    grid = [
        {"C": C, "prototypes": pr, "unit_mask": mask, "other_weight": ow}
        for C in (1.0, 4.0)
        for pr in (False, True)
        for mask in (False, True)
        for ow in (1.0, 0.3, 0.0)
        if pr or (mask and ow == 1.0)
    ]
    for params in grid:
        table = fit(train_examples(seed_exs, protos, params["prototypes"]), taxonomy, families, params["C"], params["unit_mask"], 0.0, params["other_weight"])
        raw = scores([e[2] for e in study_exs], [p for p, _ in predict(IndicatorModel(table), study_exs, texts)])
        t, tuned = choose_threshold(table, study_exs, texts)
        lo = loro(seeds, taxonomy, families, params, t)
        cv = study_cv(seed_exs, study_exs, protos, taxonomy, families, params, t)
        rows.append({**params, "threshold": t, "study_no_threshold": raw, "study": tuned, "loro": lo, "study_cv": cv})
    result = {"n_seed_examples": len(seed_exs), "n_study_examples": len(study_exs), "rows": rows}
    if out:
        srsly.write_json(out, result)
    return result


def build(out: Path, params: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """``make indicators``: threshold chosen seeds → study half, final model on seeds + study half."""
    params = {**DEFAULTS, **(params or {})}
    taxonomy, families = read_taxonomy(), unit_families()
    seeds, study = seed_documents(), devset_documents("study")
    if not study:
        raise SystemExit("error: no dev-set study texts: rebuild them first (python -m pipeline.learning.devset build; corpus/devset/README.md)")
    texts = {d.doc_id: d.text for d in seeds + study}
    seed_exs, study_exs = examples(seeds, families), examples(study, families)
    protos = prototypes(taxonomy, families)

    def table_for(exs: Sequence, threshold: float) -> dict[str, Any]:
        return fit(train_examples(exs, protos, params["prototypes"]), taxonomy, families, params["C"], params["unit_mask"], threshold, params["other_weight"])

    t, tuned = choose_threshold(table_for(seed_exs, 0.0), study_exs, texts)
    table = table_for(seed_exs + study_exs, t)
    table["trained_on"] = {"seed_records": len(seed_exs), "study_records": len(study_exs), "prototypes": len(protos) if params["prototypes"] else 0, **params}
    srsly.write_json(out, table)
    return {"threshold": t, "study": tuned, "n_weights": len(table["weights"])}


def retrain_table(docs: Sequence[AnnotatedDoc], out: Path, threshold: Optional[float] = None) -> dict[str, Any]:
    """The table retrained on annotated documents' indicators (seeds and doccano corrections) plus the
    dev study half where its texts are present; the threshold stays the shipped one unless given."""
    params = DEFAULTS
    taxonomy, families = read_taxonomy(), unit_families()
    labelled = [Labelled(d.doc_id, d.text, [(s.start, s.end, s.label) for s in d.entities], dict(d.indicators)) for d in docs if d.indicators]
    labelled += devset_documents("study")
    if threshold is None:
        threshold = float(read_table("indicators.json")["threshold"])
    exs = examples(labelled, families)
    table = fit(train_examples(exs, prototypes(taxonomy, families), params["prototypes"]), taxonomy, families, params["C"], params["unit_mask"], threshold, params["other_weight"])
    table["trained_on"] = {"documents": [d.doc_id for d in labelled], "records": len(exs), **params}
    srsly.write_json(out, table)
    return table


# ------------------------------------------------------------------ end-to-end evaluation

def evaluate_pipeline(nlp: Any, docs: Sequence[Labelled]) -> dict[str, Any]:
    """Indicators of the pipeline's own records, over records whose COUNT span is a labelled gold COUNT."""
    gold, pred, items = [], [], []
    for d, doc in zip(docs, nlp.pipe(d.text for d in docs)):
        for r in doc._.records:
            key = (r["count"]["start"], r["count"]["end"])
            if key in d.labels:
                gold.append(d.labels[key])
                pred.append(r.get("indicator", OTHER_INDICATOR))
                items.append({"doc": d.doc_id, "count": r["count"]["text"], "activity": r["activity"]["text"], "gold": d.labels[key], "pred": pred[-1], "score": r.get("indicator_score")})
    n_gold = sum(len(d.labels) for d in docs)
    return {**scores(gold, pred), "n_gold_counts": n_gold, "items": items}


def markdown(result: dict[str, Any], title: str) -> str:
    op = result["other_precision"]
    lines = [
        f"# {title}",
        "",
        f"Matched records: {result['n']} (of {result['n_gold_counts']} labelled gold counts)",
        f"Accuracy {result['accuracy']:.3f}; macro-F1 {result['macro_f1']:.3f}; `other` precision {op if op is None else f'{op:.3f}'}",
        "",
        "## Top confusions (gold → predicted)",
        "",
    ]
    lines += [f"- {c['gold']} → {c['pred']}: {c['n']}" for c in result["top_confusions"]]
    lines += ["", "## Errors", ""]
    lines += [f"- {i['doc']} {i['count']} {i['activity']!r}: gold {i['gold']} pred {i['pred']} ({i['score']})" for i in result["items"] if i["gold"] != i["pred"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    cmd = sys.argv[1:2]
    if cmd == ["import-seeds"]:
        print("labels set:", import_seeds(Path(sys.argv[2]) if len(sys.argv) > 2 else TAXONOMY_DIR / "seed_labels.json"))
    elif cmd == ["compare"]:
        res = compare(Path(sys.argv[2]) if len(sys.argv) > 2 else None)
        for r in res["rows"]:
            print(r["C"], r["prototypes"], r["unit_mask"], r["other_weight"], r["threshold"], "study", r["study_no_threshold"]["accuracy"], "→", r["study"]["accuracy"], "other P", r["study"]["other_precision"], "loro", r["loro"]["accuracy"], r["loro"]["macro_f1"], "study-cv", r["study_cv"]["accuracy"], r["study_cv"]["other_precision"])
    elif cmd == ["build"]:
        print(json.dumps(build(Path(sys.argv[2])), ensure_ascii=False))
    else:
        sys.exit("usage: python -m pipeline.learning.indicators import-seeds [SEED_LABELS] | compare [OUT.json] | build OUT")
