"""Cross-validated measurement of the entity_rules families.

Each fold model of a leave-one-report-out run (``<cv_dir>/<held-out>/model-best``,
trained without that report) gets ``entity_rules`` right after "ner", is run
on its held-out report only, and is scored strictly per label; the figure is
the mean over folds, as in ``pipeline.learning.cv``. No retraining.

    python -m pipeline.learning.rules_cv training/cv/base corpus/rules/entity_rules.json --out training/cv/rules

writes ``ablation.json`` and ``ablation.md`` (baseline, each family alone, all
families, all minus each).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import srsly

from pipeline.labels import NER_LABELS, RECORD_COMPONENTS
from pipeline.learning.corpus import load_corpus
from pipeline.learning.evaluate import score_spans
from pipeline.components.rules import FAMILIES

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "annotations"
ABLATION_COLUMNS = ("setting", *NER_LABELS, "micro")
NER_ONLY_EXCLUDE = RECORD_COMPONENTS


class FoldCache:
    """The fold models' NER output on their held-out reports, computed once and reused across rule settings."""

    def __init__(self) -> None:
        self.docs: dict[str, bytes] = {}
        self.vocabs: dict[str, Any] = {}


def _fold_docs(cv_dir: Path, corpus: Path, cache: Optional[FoldCache]) -> list[tuple[Any, Any, Any]]:
    """(annotated doc, nlp with the fold model, Doc after "ner") per fold."""
    import spacy
    from spacy.tokens import Doc

    out = []
    for ann in load_corpus([corpus]):
        model = Path(cv_dir) / ann.doc_id / "model-best"
        if not model.exists():
            continue
        if cache is not None and ann.doc_id in cache.docs:
            vocab = cache.vocabs[ann.doc_id]
            out.append((ann, vocab, Doc(vocab).from_bytes(cache.docs[ann.doc_id])))
            continue
        nlp = spacy.load(model, exclude=list(NER_ONLY_EXCLUDE))
        doc = nlp(ann.text)
        if cache is not None:
            cache.docs[ann.doc_id] = doc.to_bytes()
            cache.vocabs[ann.doc_id] = nlp.vocab
        out.append((ann, nlp.vocab, doc))
    return out


def evaluate_rules_cv(
    cv_dir: Path,
    rules_data: Optional[dict[str, Any]],
    *,
    corpus: Path = DEFAULT_CORPUS,
    cache: Optional[FoldCache] = None,
) -> dict[str, Any]:
    """Mean per-label strict F1 over the folds with ``entity_rules`` (``rules_data``; None = the model alone) after "ner".

    Without ``cache`` every fold model is loaded in full with the component
    added after "ner" (``nlp.add_pipe("entity_rules", after="ner")``); with a
    ``FoldCache`` the NER output is computed once and the same component is
    applied to a copy of it, which gives the same entities faster.
    """
    import spacy

    from pipeline.learning.evaluate import predict_spans

    pairs = []
    if cache is None:
        for ann in load_corpus([corpus]):
            model = Path(cv_dir) / ann.doc_id / "model-best"
            if not model.exists():
                continue
            nlp = spacy.load(model)
            if rules_data is not None:
                nlp.add_pipe("entity_rules", after="ner")
                nlp.get_pipe("entity_rules").initialize(lambda: [], nlp=nlp, rules=rules_data)
            pairs += predict_spans(nlp, [ann])
    else:
        component = None
        if rules_data is not None:
            nlp = spacy.blank("zh")
            component = nlp.add_pipe("entity_rules")
            component.initialize(lambda: [], nlp=nlp, rules=rules_data)
        for ann, vocab, doc in _fold_docs(cv_dir, corpus, cache):
            doc = doc.copy()
            if component is not None:
                doc = component(doc)
            gold = [(s.start, s.end, s.label) for s in ann.entities]
            pred = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in NER_LABELS]
            pairs.append((ann.doc_id, ann.text, gold, pred))
    return _scores(pairs)


def _scores(pairs: list[tuple[str, str, list, list]]) -> dict[str, Any]:
    """Per-fold strict scores of (doc_id, text, gold, pred) and their means."""
    folds = []
    for p in pairs:
        r = score_spans([p])
        folds.append({"held_out": p[0], "per_label": {l: r["per_label"][l]["strict"] for l in NER_LABELS}, "micro": r["micro"]["strict"], "errors": r["errors"]})
    mean = {l: _avg([f["per_label"][l]["f"] for f in folds]) for l in NER_LABELS}
    mean["micro"] = _avg([f["micro"]["f"] for f in folds])
    return {"folds": folds, "mean": mean}


def fold_table(result: dict[str, Any]) -> str:
    """Markdown: strict F1 per held-out report and the mean, for one ``evaluate_rules_cv`` result."""
    lines = ["| held out | " + " | ".join(NER_LABELS) + " | micro |", "|---" * (len(NER_LABELS) + 2) + "|"]
    for f in result["folds"]:
        lines.append(f"| {f['held_out']} | " + " | ".join(f"{f['per_label'][l]['f']:.3f}" for l in NER_LABELS) + f" | {f['micro']['f']:.3f} |")
    m = result["mean"]
    lines.append("| **mean** | " + " | ".join(f"**{m[l]:.3f}**" for l in NER_LABELS) + f" | **{m['micro']:.3f}** |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------ how far each lexicon entry reaches

Entry = tuple[str, str, Optional[str], str]
# grammatical settings rather than vocabulary: part-of-speech flags, administrative suffixes, conjunctions
STRUCTURAL_KEYS = frozenset({"place_flags", "name_flags", "place_suffixes", "bare_prefixes", "place_units", "conjunctions", "determiners"})


def lexicon_entries(rules_data: dict[str, Any]) -> list[Entry]:
    """Every word in the rule tables as (section, key, sub-key or None, word)."""
    out: list[Entry] = []
    for sec in ("count", "law", "mechanism", "institution", "trim"):
        for key, val in rules_data[sec].items():
            if key.startswith("_") or key in STRUCTURAL_KEYS:
                continue
            if isinstance(val, list):
                out += [(sec, key, None, v) for v in val if isinstance(v, str)]
            elif isinstance(val, dict):
                out += [(sec, key, k2, v) for k2, v2 in val.items() if not k2.startswith("_") and isinstance(v2, list) for v in v2]
    return out


def without_entries(rules_data: dict[str, Any], entries: Sequence[Entry]) -> dict[str, Any]:
    """A copy of ``rules_data`` with ``entries`` removed from their lists."""
    d = copy.deepcopy(rules_data)
    for sec, key, sub, word in entries:
        holder, name = (d[sec][key], sub) if sub is not None else (d[sec], key)
        holder[name] = [v for v in holder[name] if v != word]
    return d


def _cached_component(rules_data: dict[str, Any]) -> Any:
    from functools import lru_cache

    import spacy

    from pipeline.components.rules import EntityRules, jieba_words

    component = EntityRules(spacy.blank("zh"), segmenter=lru_cache(maxsize=32)(jieba_words()))
    component.set_rules(rules_data)
    return component


def entry_reach(cv_dir: Path, rules_data: dict[str, Any], *, corpus: Path = DEFAULT_CORPUS, cache: Optional[FoldCache] = None) -> list[dict[str, Any]]:
    """For every lexicon entry, the held-out reports whose output changes when the entry is removed.

    An entry that changes one report only was, as far as this corpus can tell,
    needed by that report alone; ``pruned_cv`` removes such entries from the
    fold of that report to estimate how the rules do on a report nobody looked
    at while writing them.
    """
    cache = cache or FoldCache()
    docs = _fold_docs(cv_dir, corpus, cache)
    component = _cached_component(rules_data)

    def ents(data: dict[str, Any]) -> dict[str, list]:
        component.set_rules(data)
        return {ann.doc_id: [(e.start_char, e.end_char, e.label_) for e in component(doc.copy()).ents] for ann, _, doc in docs}

    full = ents(rules_data)
    out = []
    for entry in lexicon_entries(rules_data):
        got = ents(without_entries(rules_data, [entry]))
        out.append({"entry": list(entry), "changes": [d for d in full if got[d] != full[d]]})
    return out


def pruned_cv(
    cv_dir: Path,
    rules_data: dict[str, Any],
    reach: list[dict[str, Any]],
    *,
    keep: Optional[Callable[[str], bool]] = None,
    corpus: Path = DEFAULT_CORPUS,
    cache: Optional[FoldCache] = None,
) -> dict[str, Any]:
    """CV where each held-out report is scored without the entries only it needed (except those ``keep`` accepts)."""
    cache = cache or FoldCache()
    component = _cached_component(rules_data)
    pairs = []
    for ann, _, doc in _fold_docs(cv_dir, corpus, cache):
        only_here = [tuple(r["entry"]) for r in reach if r["changes"] == [ann.doc_id] and not (keep and keep(r["entry"][3]))]
        component.set_rules(without_entries(rules_data, only_here))  # type: ignore[arg-type]
        pred = [(e.start_char, e.end_char, e.label_) for e in component(doc.copy()).ents if e.label_ in NER_LABELS]
        pairs.append((ann.doc_id, ann.text, [(s.start, s.end, s.label) for s in ann.entities], pred))
    return _scores(pairs)


def _avg(xs: Sequence[float]) -> float:
    return round(sum(xs) / len(xs), 4) if xs else 0.0


def with_families(rules_data: dict[str, Any], on: Sequence[str]) -> dict[str, Any]:
    """A copy of ``rules_data`` with exactly the families ``on`` switched on."""
    d = copy.deepcopy(rules_data)
    d["families"] = {f: f in on for f in FAMILIES}
    return d


def ablation(cv_dir: Path, rules_data: dict[str, Any], *, corpus: Path = DEFAULT_CORPUS, groups: Optional[dict[str, list[str]]] = None) -> list[dict[str, Any]]:
    """Rows: model alone, each group alone, all groups, all minus each group (means over folds)."""
    groups = groups or {f: [f] for f in FAMILIES}
    every = list(dict.fromkeys(f for fs in groups.values() for f in fs))
    cache = FoldCache()
    settings: list[tuple[str, Optional[dict[str, Any]]]] = [("model alone (baseline)", None)]
    settings += [(f"+ {g} only", with_families(rules_data, fs)) for g, fs in groups.items()]
    settings += [("all families", with_families(rules_data, every))]
    settings += [(f"all − {g}", with_families(rules_data, [f for f in every if f not in fs])) for g, fs in groups.items()]
    rows = []
    for name, data in settings:
        res = evaluate_rules_cv(cv_dir, data, corpus=corpus, cache=cache)
        rows.append({"setting": name, **res["mean"]})
    return rows


def ablation_table(rows: list[dict[str, Any]]) -> str:
    """Markdown table of ``ablation`` rows (strict F1, mean over folds)."""
    lines = ["| " + " | ".join(ABLATION_COLUMNS) + " |", "|---" * len(ABLATION_COLUMNS) + "|"]
    for r in rows:
        lines.append("| " + r["setting"] + " | " + " | ".join(f"{r[c]:.3f}" for c in ABLATION_COLUMNS[1:]) + " |")
    return "\n".join(lines) + "\n"


REPORT_GROUPS: dict[str, list[str]] = {
    "trim": ["trim"],
    "count": ["count"],
    "law": ["law"],
    "mechanism_fix": ["mechanism_fix"],
    "mechanism_add": ["mechanism_add"],
    "mechanism (fix+add)": ["mechanism_fix", "mechanism_add"],
    "institution_fix": ["institution_fix"],
    "institution_add": ["institution_add"],
    "institution (fix+add)": ["institution_fix", "institution_add"],
}


def main(
    cv_dir: Path,
    rules: Path = Path("corpus/rules/entity_rules.json"),
    out: Optional[Path] = None,
    corpus: Path = DEFAULT_CORPUS,
    reach: bool = False,
    spec: Optional[Path] = None,
) -> None:
    """Ablation table of the rule families over the CV folds in ``cv_dir``; with ``--reach`` also the pruned-CV estimate."""
    data = srsly.read_json(rules)
    cache = FoldCache()
    rows = ablation(cv_dir, data, corpus=corpus, groups=REPORT_GROUPS)
    report = {"ablation": rows, "folds_model": evaluate_rules_cv(cv_dir, None, corpus=corpus, cache=cache), "folds_rules": evaluate_rules_cv(cv_dir, data, corpus=corpus, cache=cache)}
    text = "## Ablation\n\n" + ablation_table(rows)
    text += "\n## Per report, model alone\n\n" + fold_table(report["folds_model"]) + "\n## Per report, all families\n\n" + fold_table(report["folds_rules"])
    if reach:
        report["reach"] = entry_reach(cv_dir, data, corpus=corpus, cache=cache)
        spec_text = spec.read_text(encoding="utf-8") if spec else ""
        strict = pruned_cv(cv_dir, data, report["reach"], corpus=corpus, cache=cache)
        kept = pruned_cv(cv_dir, data, report["reach"], keep=lambda w: bool(spec_text) and w in spec_text, corpus=corpus, cache=cache)
        report["pruned"] = {"strict": strict["mean"], "keep_spec_words": kept["mean"]}
        text += "\n## Without the entries only the held-out report needed\n\n" + ablation_table(
            [{"setting": "all families", **report["folds_rules"]["mean"]}, {"setting": "pruned (spec words kept)", **kept["mean"]}, {"setting": "pruned (all)", **strict["mean"]}]
        )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for k in ("folds_model", "folds_rules"):
            for f in report[k]["folds"]:
                f.pop("errors", None)
        (out / "ablation.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        (out / "ablation.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    import typer

    typer.run(main)
