"""Cross-validated measurement of the entity_rules families.

Each fold model of a leave-one-report-out run (``<cv_dir>/<held-out>/model-best``,
trained without that report) gets ``entity_rules`` right after "ner", is run
on its held-out report only, and is scored strictly per label; the figure is
the mean over folds, as in ``pipeline.cv``. No retraining.

    python -m pipeline.rules_cv training/cv/base corpus/rules/entity_rules.json --out training/cv/rules

writes ``ablation.json`` and ``ablation.md`` (baseline, each family alone, all
families, all minus each).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Optional, Sequence

import srsly

from .corpus import NER_LABELS, load_corpus
from .evaluate import score_spans
from .rules import FAMILIES

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "annotations"
ABLATION_COLUMNS = ("setting", *NER_LABELS, "micro")
NER_ONLY_EXCLUDE = ("count_normalizer", "report_structure", "record_linker")


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

    from .evaluate import predict_spans

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
    folds = []
    for p in pairs:
        r = score_spans([p])
        folds.append({"held_out": p[0], "per_label": {l: r["per_label"][l]["strict"] for l in NER_LABELS}, "micro": r["micro"]["strict"], "errors": r["errors"]})
    mean = {l: _avg([f["per_label"][l]["f"] for f in folds]) for l in NER_LABELS}
    mean["micro"] = _avg([f["micro"]["f"] for f in folds])
    return {"folds": folds, "mean": mean}


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
    every = [f for fs in groups.values() for f in fs]
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


REPORT_GROUPS = {
    "trim": ["trim"],
    "count": ["count"],
    "law": ["law"],
    "mechanism (fix+add)": ["mechanism_fix", "mechanism_add"],
    "mechanism_fix": ["mechanism_fix"],
    "mechanism_add": ["mechanism_add"],
    "institution (fix+add)": ["institution_fix", "institution_add"],
    "institution_fix": ["institution_fix"],
    "institution_add": ["institution_add"],
}


def main(cv_dir: Path, rules: Path, out: Optional[Path] = None, corpus: Path = DEFAULT_CORPUS) -> str:
    """Run the ablation and write ``ablation.json``/``ablation.md`` under ``out``."""
    data = srsly.read_json(rules)
    groups = REPORT_GROUPS
    rows = ablation(cv_dir, data, corpus=corpus, groups={g: fs for g, fs in groups.items() if "(" not in g and g not in ("mechanism_fix", "mechanism_add", "institution_fix", "institution_add")} | {g: fs for g, fs in groups.items() if g not in ("trim", "count", "law", "mechanism (fix+add)", "institution (fix+add)")})
    table = ablation_table(rows)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "ablation.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        (out / "ablation.md").write_text(table, encoding="utf-8")
    return table


if __name__ == "__main__":
    import typer

    typer.run(main)
