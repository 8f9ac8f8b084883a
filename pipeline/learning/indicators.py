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
    python -m pipeline.learning.indicators install TABLE MODEL  # the table into a trained pipeline
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import srsly

from pipeline.components.indicate import Cues, IndicatorModel, primary_families, record_features
from pipeline.labels import OTHER_INDICATOR, RECORD_COMPONENTS
from pipeline.learning.corpus import AnnSpan, AnnotatedDoc, load_corpus
from pipeline.components.link import char_f1
from pipeline.learning.evaluate import activity_text, link_from_gold, records_pipeline
from pipeline.learning.rule_files import RULES_DIR, read_table

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY_DIR = Path(os.environ.get("FAZHI_INDICATORS", ROOT.parent / "shared" / "indicators"))
CORPUS = ROOT / "corpus" / "annotations"
MIN_WEIGHT = 0.002  # smaller weights are dropped (3.0 MB table); 0.005 (1.5 MB) loses 1 of 72 study records, 0.02 (0.7 MB) 2
THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 17)]


# ------------------------------------------------------------------ data

def read_taxonomy(directory: Path = TAXONOMY_DIR) -> list[dict[str, Any]]:
    """The taxonomy (id, domain, name_zh, unit_family, definition, include, exclude)."""
    path = Path(directory) / "taxonomy.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no indicator taxonomy (../shared/indicators beside the checkout)")
    return json.loads(path.read_text(encoding="utf-8"))


def indicator_units(indicator: dict[str, Any], families: dict[str, list[str]]) -> list[str]:
    """The units an indicator holds: its family's, plus those its ``include`` note lists
    (``Units 项/个``, ``（份 = one leader each）``): services.facilitated_items counts 个 too."""
    units = list(families.get(indicator.get("unit_family") or "", []))
    include = indicator.get("include", "")
    listed = [u for m in re.finditer(r"Units? ([^.;]+)", include) for u in re.split(r"[/、,]", m.group(1))]
    listed += [u for m in re.finditer(r"[（(]([^（）()=]{1,3}?) ?= ?one", include) for u in re.split(r"[/、]", m.group(1))]
    return units + [u.strip() for u in listed if u.strip() and u.strip() not in units]


def unit_families() -> dict[str, list[str]]:
    return {k: v for k, v in read_table("indicator_units.json").items() if not k.startswith("_")}


class Labelled:
    """One document: text, gold entities (as ``AnnotatedDoc.entities``), and the indicator of each labelled COUNT.

    ``shared`` holds, for a COUNT that several gold records share (``参考率、合格率均达100%``: one figure,
    two rates), each record's (activity in the cleaned form, indicator): a linked record there takes the
    indicator of the gold record its activity matches best (``label_of``), not the one record the COUNT key kept.
    """

    def __init__(
        self,
        doc_id: str,
        text: str,
        entities: Sequence[AnnSpan],
        labels: dict[tuple[int, int], str],
        shared: Optional[dict[tuple[int, int], list[tuple[str, str]]]] = None,
    ) -> None:
        self.doc_id, self.text, self.entities, self.labels = doc_id, text, list(entities), labels
        self.shared = shared or {}

    def label_of(self, rec: dict[str, Any]) -> Optional[str]:
        """The gold indicator of a linked record (None when its COUNT is not labelled)."""
        key = (rec["count"]["start"], rec["count"]["end"])
        if key in self.shared:
            act = activity_text(rec)
            ranked = sorted(((char_f1(g[0], act), g[1]) for g in self.shared[key]), reverse=True)
            if ranked[0][0] > ranked[1][0] or ranked[0][1] == ranked[1][1]:
                return ranked[0][1]
            # an activity that matches two gold records alike (均达, or the rates left undistributed): the
            # COUNT's own label, as for a figure with one record
        return self.labels.get(key)

    @classmethod
    def of(cls, d: AnnotatedDoc) -> "Labelled":
        return cls(d.doc_id, d.text, d.entities, dict(d.indicators))


def seed_documents(paths: Iterable[Path] = (CORPUS,)) -> list[Labelled]:
    return [Labelled.of(d) for d in load_corpus(paths)]


def devset_documents(split: Optional[str]) -> list[Labelled]:
    """Dev-set documents whose texts are rebuilt (``devset build``); [] when they are absent."""
    from pipeline.learning.devset import load_gold

    out = []
    for d in load_gold(split=split):
        by_count: dict[tuple[int, int], list[tuple[str, str]]] = {}
        for r in d["records"]:
            if r.get("indicator"):
                by_count.setdefault((r["count"]["start"], r["count"]["end"]), []).append((activity_text(r), r["indicator"]))
        labels = {k: v[-1][1] for k, v in by_count.items()}  # a figure's own label: its last record's, as before
        shared = {k: v for k, v in by_count.items() if len(v) > 1}
        out.append(Labelled(d["id"], d["text"], [AnnSpan(*e) for e in d["entities"]], labels, shared))
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


def linked_records(doc: "Labelled") -> list[dict[str, Any]]:
    """The records the shipped record components before the classifier (ranker included) make from gold entities."""
    global _LINKER
    if _LINKER is None:
        _LINKER = records_pipeline(components=[c for c in RECORD_COMPONENTS if c != "indicator_classifier"], skip=())
    return link_from_gold(_LINKER, doc)


@dataclass(frozen=True)
class Recipe:
    """The classifier's design choices, each measured by ``compare`` (docs/results.md §7)."""

    C: float = 1.0  # inverse regularisation of the logistic regression
    prototypes: bool = True  # one pseudo-example per taxonomy name and include phrase
    unit_mask: bool = True  # never an indicator whose unit family cannot hold the unit
    other_weight: float = 1.0  # weight of examples labelled other (0: other only by abstention)
    cues: bool = True  # head-word groups (corpus/rules/indicator_cues.json) as features
    prototype_weight: float = 1.0  # weight of each prototype against a labelled record
    inherit_parent: bool = True  # a breakdown (其中) takes its total's indicator (taxonomy convention 3)
    rate_rules: bool = True  # a rate the taxonomy names by its word takes that indicator (corpus/rules/indicator_rates.json)
    balanced: bool = False  # weight each class by the inverse of its frequency (rare indicators count as much as common ones)


# the shipped recipe: the best study-half CV accuracy, the estimate of the shipped table's accuracy on new
# reports (session 8, 1,442 study records: balanced classes, C 0.5: 0.825, seeds LORO 0.891; C 1 0.821 /
# 0.886, C 0.3 0.823 / 0.902; on 1,329 records C 1 had been best; unbalanced C 30, the recipe before:
# 0.806 / 0.848; docs/results.md §7)
SHIPPED = Recipe(other_weight=0.2, C=0.5, balanced=True)


class Knowledge:
    """What the classifier is given besides examples: the taxonomy, the unit families, the cue groups."""

    def __init__(self, taxonomy_dir: Path = TAXONOMY_DIR) -> None:
        self.taxonomy = read_taxonomy(taxonomy_dir)
        self.families = unit_families()
        self.cue_groups = {k: v for k, v in read_table("indicator_cues.json").items() if not k.startswith("_")}
        self.primary = primary_families(self.families)
        self.units = {t["id"]: indicator_units(t, self.families) for t in self.taxonomy}
        self.rate_rules = read_table("indicator_rates.json")["rules"]

    def cues(self, recipe: Recipe) -> Optional[Cues]:
        return Cues(self.cue_groups) if recipe.cues else None


Example = tuple[str, dict[str, Any], str]  # (doc id, linked record, gold indicator)


def examples(docs: Iterable[Labelled]) -> list[Example]:
    """Every record the linker makes from gold entities at a labelled COUNT, with its gold indicator."""
    out = []
    for doc in docs:
        for rec in linked_records(doc):
            label = doc.label_of(rec)
            if label is not None:
                out.append((doc.doc_id, rec, label))
    return out


def featurise(exs: Sequence[Example], texts: dict[str, str], know: Knowledge, recipe: Recipe) -> list[tuple[dict[str, float], str]]:
    cues = know.cues(recipe)
    return [(record_features(texts[d], rec, know.primary.get(rec.get("unit") or ""), cues), lab) for d, rec, lab in exs]


def prototypes(know: Knowledge, recipe: Recipe) -> list[tuple[dict[str, float], str]]:
    """One pseudo-example per name and ``include`` phrase of each indicator (not ``other``)."""
    if not recipe.prototypes:
        return []
    cues = know.cues(recipe)
    out = []
    for t in know.taxonomy:
        if t["id"] == OTHER_INDICATOR or t["unit_family"] not in know.families:
            continue
        unit = know.families[t["unit_family"]][0]
        phrases = [t["name_zh"]] + [p for p in re.split(r"[;；]\s*", t.get("include", "")) if re.search(r"[\u4e00-\u9fff]", p)]
        for p in phrases:
            p = re.sub(r"[A-Za-z().,“”\"]+", "", p).strip()[:24]
            if not p:
                continue
            text = f"{p}10{unit}"
            rec = {"count": {"start": len(p), "end": len(text)}, "activity": {"text": p}, "unit": unit, "section": "achievements"}
            out.append((record_features(text, rec, t["unit_family"], cues), t["id"]))
    return out


# ------------------------------------------------------------------ model


def fit(exs: Sequence[Example], texts: dict[str, str], know: Knowledge, recipe: Recipe, threshold: float = 0.0) -> dict[str, Any]:
    """A logistic regression on the examples (and prototypes), as the component's JSON table."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    real = featurise(exs, texts, know, recipe)
    protos = prototypes(know, recipe)
    train = real + protos
    weight = [recipe.other_weight if lab == OTHER_INDICATOR else 1.0 for _, lab in real] + [recipe.prototype_weight] * len(protos)
    if recipe.other_weight == 0:
        keep = [i for i, (_, lab) in enumerate(train) if lab != OTHER_INDICATOR]
        train, weight = [train[i] for i in keep], [weight[i] for i in keep]
    vec = DictVectorizer()
    X = vec.fit_transform([f for f, _ in train])
    y = [lab for _, lab in train]
    clf = LogisticRegression(max_iter=3000, C=recipe.C, random_state=0, class_weight="balanced" if recipe.balanced else None)
    clf.fit(X, y, sample_weight=weight)
    classes = [str(c) for c in clf.classes_]
    weights: dict[str, dict[str, float]] = {}
    for j, name in enumerate(vec.get_feature_names_out()):
        col = {str(k): round(float(clf.coef_[k, j]), 4) for k in range(len(classes)) if abs(clf.coef_[k, j]) >= MIN_WEIGHT}
        if col:
            weights[str(name)] = col
    return {
        "taxonomy": [{**{k: t[k] for k in ("id", "domain", "name_zh", "unit_family")}, "units": know.units[t["id"]]} for t in know.taxonomy],
        "unit_families": know.families,
        "unit_mask": recipe.unit_mask,
        "inherit_parent": recipe.inherit_parent,
        "cues": know.cue_groups if recipe.cues else None,
        "rate_rules": know.rate_rules if recipe.rate_rules else [],
        "classes": classes,
        "intercept": [round(float(b), 4) for b in clf.intercept_],
        "weights": weights,
        "threshold": threshold,
        "recipe": asdict(recipe),
    }


def predict(table: dict[str, Any], exs: Sequence[Example], texts: dict[str, str], threshold: Optional[float] = None) -> list[str]:
    """The indicator of each example, classified document by document (so a breakdown can follow its total)."""
    model = IndicatorModel(table if threshold is None else {**table, "threshold": threshold})
    out: dict[int, str] = {}
    by_doc: dict[str, list[int]] = {}
    for i, (d, _, _) in enumerate(exs):
        by_doc.setdefault(d, []).append(i)
    for d, idx in by_doc.items():
        recs = [exs[i][1] for i in idx]
        for i, (label, _) in zip(idx, model.classify_records(texts[d], recs)):
            out[i] = label
    return [out[i] for i in range(len(exs))]


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


OTHER_PRECISION_FLOOR = 0.80  # issue 13's target: a record called other must be other


def choose_threshold(table: dict[str, Any], exs: Sequence[Example], texts: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """The threshold with the best accuracy on ``exs`` among those whose ``other`` precision is at least
    OTHER_PRECISION_FLOOR (all thresholds if none is); ties go to the lower threshold."""
    gold = [lab for _, _, lab in exs]
    return _best_threshold([(t, scores(gold, predict(table, exs, texts, t))) for t in THRESHOLDS])


def _best_threshold(tried: list[tuple[float, dict[str, Any]]]) -> tuple[float, dict[str, Any]]:
    ok = [(t, s) for t, s in tried if (s["other_precision"] or 0.0) >= OTHER_PRECISION_FLOOR] or tried
    best = ok[0]
    for t, s in ok[1:]:
        if s["accuracy"] > best[1]["accuracy"]:
            best = (t, s)
    return best


def _study_folds(seed_exs: Sequence[Example], study_exs: Sequence[Example], texts: dict[str, str], know: Knowledge, recipe: Recipe, folds: int = 4):
    """(table trained on the seeds + the other study folds, the held-out fold's examples), by document."""
    docs = sorted({d for d, _, _ in study_exs})
    for k in range(folds):
        held = set(docs[k::folds])
        table = fit(list(seed_exs) + [e for e in study_exs if e[0] not in held], texts, know, recipe)
        yield table, [e for e in study_exs if e[0] in held]


def choose_threshold_cv(seed_exs: Sequence[Example], study_exs: Sequence[Example], texts: dict[str, str], know: Knowledge, recipe: Recipe, folds: int = 4) -> tuple[float, dict[str, Any]]:
    """``choose_threshold`` on cross-validated study predictions: each study fold scored by a table trained
    on the seeds and the other folds, as the final table (seeds + study) meets a new report."""
    fold_tables = list(_study_folds(seed_exs, study_exs, texts, know, recipe, folds))
    gold = [lab for _, test in fold_tables for _, _, lab in test]
    tried = []
    for t in THRESHOLDS:
        pred = [p for table, test in fold_tables for p in predict(table, test, texts, t)]
        tried.append((t, scores(gold, pred)))
    return _best_threshold(tried)


def loro(seed_exs: Sequence[Example], texts: dict[str, str], know: Knowledge, recipe: Recipe, threshold: float) -> dict[str, Any]:
    """Leave-one-report-out over the seed reports: train on four, score the fifth."""
    gold, pred, folds = [], [], {}
    for held in sorted({d for d, _, _ in seed_exs}):
        table = fit([e for e in seed_exs if e[0] != held], texts, know, recipe, threshold)
        test = [e for e in seed_exs if e[0] == held]
        p = predict(table, test, texts)
        g = [lab for _, _, lab in test]
        folds[held] = scores(g, p)["accuracy"]
        gold += g
        pred += p
    return {**scores(gold, pred), "folds": folds}


def study_cv(seed_exs: Sequence[Example], study_exs: Sequence[Example], texts: dict[str, str], know: Knowledge, recipe: Recipe, threshold: float, folds: int = 4) -> dict[str, Any]:
    """The shipped recipe estimated on the study half: train on the seeds + the other study folds (by document)."""
    gold, pred = [], []
    for table, test in _study_folds(seed_exs, study_exs, texts, know, recipe, folds):
        pred += predict(table, test, texts, threshold)
        gold += [lab for _, _, lab in test]
    return scores(gold, pred)


class Data:
    """The labelled seeds and study half, linked once."""

    def __init__(self) -> None:
        self.know = Knowledge()
        seeds, study = seed_documents(), devset_documents("study")
        self.texts = {d.doc_id: d.text for d in seeds + study}
        self.seed_exs, self.study_exs = examples(seeds), examples(study)


def evaluate_recipe(data: Data, recipe: Recipe) -> dict[str, Any]:
    """One recipe: seeds → study (threshold chosen there), LORO on the seeds, seeds + study folds → study fold."""
    table = fit(data.seed_exs, data.texts, data.know, recipe)
    t, tuned = choose_threshold(table, data.study_exs, data.texts)
    return {
        **asdict(recipe),
        "threshold": t,
        "study": tuned,
        "loro": loro(data.seed_exs, data.texts, data.know, recipe, t),
        "study_cv": study_cv(data.seed_exs, data.study_exs, data.texts, data.know, recipe, t),
    }


GRID = [
    Recipe(prototypes=False, cues=False, inherit_parent=False),
    Recipe(cues=False, inherit_parent=False),
    Recipe(cues=False, unit_mask=False, inherit_parent=False),
    Recipe(inherit_parent=False),
    Recipe(other_weight=0.3, inherit_parent=False),
    Recipe(other_weight=0.3, C=4.0, inherit_parent=False),
    Recipe(other_weight=0.3, C=4.0),
    Recipe(other_weight=0.2, C=30.0),
    Recipe(other_weight=0.2, C=30.0, balanced=True),
    Recipe(other_weight=0.2, C=1.0, balanced=True),
    Recipe(other_weight=0.2, C=0.5, balanced=True),
    Recipe(other_weight=0.1),
    Recipe(other_weight=0.0),
]


def compare(out: Optional[Path] = None, grid: Sequence[Recipe] = GRID) -> dict[str, Any]:
    data = Data()
    rows = [evaluate_recipe(data, r) for r in grid]
    result = {"n_seed_examples": len(data.seed_exs), "n_study_examples": len(data.study_exs), "rows": rows}
    if out:
        srsly.write_json(out, result)
    return result


def build(out: Path, recipe: Recipe = SHIPPED) -> dict[str, Any]:
    """``make indicators``: threshold chosen on cross-validated study predictions, final model on seeds + study half."""
    data = Data()
    if not data.study_exs:
        raise SystemExit("error: no dev-set study texts: rebuild them first (python -m pipeline.learning.devset build; corpus/devset/README.md)")
    t, tuned = choose_threshold_cv(data.seed_exs, data.study_exs, data.texts, data.know, recipe)
    table = fit(data.seed_exs + data.study_exs, data.texts, data.know, recipe, t)
    table["trained_on"] = {"seed_records": len(data.seed_exs), "study_records": len(data.study_exs)}
    srsly.write_json(out, table)
    return {"threshold": t, "study": tuned, "n_weights": len(table["weights"])}


def retrain_table(docs: Sequence[AnnotatedDoc], out: Path, threshold: Optional[float] = None) -> dict[str, Any]:
    """The table retrained on annotated documents' indicators (seeds and doccano corrections) plus the
    dev study half where its texts are present; recipe and threshold stay the shipped table's."""
    shipped = read_table("indicators.json")
    recipe = Recipe(**shipped["recipe"])
    labelled = [Labelled.of(d) for d in docs if d.indicators]
    labelled += devset_documents("study")
    texts = {d.doc_id: d.text for d in labelled}
    exs = examples(labelled)
    table = fit(exs, texts, Knowledge(), recipe, shipped["threshold"] if threshold is None else threshold)
    table["trained_on"] = {"documents": [d.doc_id for d in labelled], "records": len(exs)}
    srsly.write_json(out, table)
    return table


def install(table_path: Path, model_dir: Path) -> Path:
    """Put a table into a trained pipeline's indicator_classifier (its NER does not depend on it)."""
    target = Path(model_dir) / "indicator_classifier" / "model.json"
    if not target.parent.is_dir():
        raise SystemExit(f"error: {model_dir}: not a pipeline with an indicator_classifier")
    IndicatorModel(srsly.read_json(table_path))  # a table the component can load
    target.write_text(Path(table_path).read_text(encoding="utf-8"), encoding="utf-8")
    return target


# ------------------------------------------------------------------ end-to-end evaluation

def evaluate_pipeline(nlp: Any, docs: Sequence[Labelled]) -> dict[str, Any]:
    """Indicators of the pipeline's own records, over records whose COUNT span is a labelled gold COUNT."""
    gold, pred, items = [], [], []
    for d, doc in zip(docs, nlp.pipe(d.text for d in docs)):
        for r in doc._.records:
            label = d.label_of(r)
            if label is not None:
                gold.append(label)
                pred.append(r.get("indicator", OTHER_INDICATOR))
                items.append({"doc": d.doc_id, "count": r["count"]["text"], "activity": r["activity"]["text"], "gold": label, "pred": pred[-1], "score": r.get("indicator_score")})
    n_gold = sum(len(d.labels) for d in docs)
    return {**scores(gold, pred), "n_gold_counts": n_gold, "items": items}


def markdown(result: dict[str, Any], title: str) -> str:
    op = result["other_precision"]
    lines = [
        f"# {title}",
        "",
        f"Matched records: {result['n']} (the pipeline's records on the {result['n_gold_counts']} labelled gold counts; records sharing one figure are matched one by one)",
        f"Accuracy {result['accuracy']:.3f}; macro-F1 {result['macro_f1']:.3f}; `other` precision {op if op is None else f'{op:.3f}'}",
        "",
        "## Top confusions (gold → predicted)",
        "",
    ]
    lines += [f"- {c['gold']} → {c['pred']}: {c['n']}" for c in result["top_confusions"]]
    lines += ["", "## Errors", ""]
    lines += [f"- {i['doc']} {i['count']} {i['activity']!r}: gold {i['gold']} pred {i['pred']} ({i['score']})" for i in result["items"] if i["gold"] != i["pred"]]
    return "\n".join(lines) + "\n"


def agreement(first: Sequence[str], second: Sequence[str]) -> dict[str, Any]:
    """Observed agreement and Cohen's kappa of two labellings of the same records."""
    n = len(first)
    if n == 0 or n != len(second):
        raise ValueError(f"two labellings of the same records are needed ({len(first)} and {len(second)} labels)")
    same = sum(a == b for a, b in zip(first, second))
    observed = same / n
    ca, cb = Counter(first), Counter(second)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    kappa = (observed - expected) / (1 - expected) if expected < 1 else 1.0
    return {"n": n, "agreement": round(observed, 4), "kappa": round(kappa, 4), "disagreements": n - same}


def second_annotation(path: Path = ROOT / "corpus" / "devset" / "indicators-second.jsonl") -> dict[str, Any]:
    """The dev set's indicator labels against an independent second labelling (corpus/devset/INDICATORS.md)."""
    from pipeline.learning.devset import DEVSET

    records = {d["id"]: d["records"] for d in srsly.read_jsonl(DEVSET / "annotations.jsonl")}
    first, second = [], []
    for line in srsly.read_jsonl(path):
        rec = records[line["doc"]][line["record"]]
        if rec["count"] != line["count"]:
            raise ValueError(f"{path}: record {line['doc']}#{line['record']} is {rec['count']}, not {line['count']}")
        first.append(rec["indicator"])
        second.append(line["indicator"])
    return agreement(first, second)


if __name__ == "__main__":
    import sys

    cmd = sys.argv[1:2]
    if cmd == ["import-seeds"]:
        print("labels set:", import_seeds(Path(sys.argv[2]) if len(sys.argv) > 2 else TAXONOMY_DIR / "seed_labels.json"))
    elif cmd == ["compare"]:
        res = compare(Path(sys.argv[2]) if len(sys.argv) > 2 else None)
        for r in res["rows"]:
            print({k: r[k] for k in ("C", "prototypes", "unit_mask", "other_weight", "cues", "threshold")}, "study", r["study"]["accuracy"], "other P", r["study"]["other_precision"], "loro", r["loro"]["accuracy"], "study-cv", r["study_cv"]["accuracy"], r["study_cv"]["other_precision"])
    elif cmd == ["build"]:
        print(json.dumps(build(Path(sys.argv[2])), ensure_ascii=False))
    elif cmd == ["install"]:
        print("wrote", install(Path(sys.argv[2]), Path(sys.argv[3])))
    elif cmd == ["agreement"]:
        print(json.dumps(second_annotation(*(Path(a) for a in sys.argv[2:3])), ensure_ascii=False))
    else:
        sys.exit("usage: python -m pipeline.learning.indicators import-seeds [SEED_LABELS] | compare [OUT.json] | build OUT | install TABLE MODEL | agreement [SECOND.jsonl]")
