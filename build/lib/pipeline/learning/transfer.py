"""Does a piece of knowledge transfer? Leave-one-report-out and the dev set's study half, side by side.

Each setting is a set of entity-rule tables (rules, place names, body names).
The learned NER runs once per text (the fold models on their held-out seed
reports, the shipped model on the study documents); each setting then applies
``entity_rules`` and the record components to copies of those Docs, so a
whole ablation costs one NER pass. A change is kept only if it raises the
study half without lowering leave-one-report-out (issue: reports from
anywhere in China). The test half is never read here.

    python -m pipeline.learning.transfer training/cv/default training/model-best --out training/transfer
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Optional


from pipeline.labels import NER_LABELS, RECORD_COMPONENTS
from pipeline.learning.evaluate import issuer_matches, score_records, score_spans
from pipeline.learning.corpus import load_corpus
from pipeline.learning.rule_files import component_tables
from pipeline.learning.rules_cv import DEFAULT_CORPUS

Setting = tuple[str, Optional[dict[str, Any]], dict[str, Optional[dict[str, Any]]]]


def default_settings() -> list[Setting]:
    """The shipped tables, without each knowledge table, and the rules as they were before the dev set."""
    tables = component_tables("entity_rules")
    rules = tables.pop("rules")
    extra = tables
    settings: list[Setting] = [("learned NER alone", None, {}), ("no extra tables", rules, {k: None for k in extra})]
    settings += [(f"only {k}", rules, {n: (v if n == k else None) for n, v in extra.items()}) for k in extra]
    settings += [(f"all − {k}", rules, {n: (None if n == k else v) for n, v in extra.items()}) for k in extra]
    settings.append(("all tables (shipped)", rules, extra))
    return settings


def _component(rules: dict[str, Any], extra: dict[str, Optional[dict[str, Any]]]) -> Any:
    import spacy

    from pipeline.components.rules import EntityRules

    comp = EntityRules(spacy.blank("zh"))
    comp.set_rules(copy.deepcopy(rules), extra)
    return comp


def fold_docs(cv_dir: Path, corpus: Path = DEFAULT_CORPUS) -> list[tuple[Any, None, Any]]:
    """Per seed report, (annotation, None, Doc after its fold model's NER only): the fold was trained without it."""
    import spacy

    out = []
    for ann in load_corpus([corpus]):
        model = Path(cv_dir) / ann.doc_id / "model-best"
        if model.exists():
            nlp = spacy.load(model)
            with nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in ("tok2vec", "ner")]):
                out.append((ann, None, nlp(ann.text)))
    return out


def study_docs(model: Path, split: str = "study") -> tuple[Any, list[tuple[dict[str, Any], Any]]]:
    """The shipped pipeline and, per dev-set document of ``split``, its Doc after the NER."""
    import spacy

    from pipeline.learning.devset import load_gold

    nlp = spacy.load(model)
    nlp.get_pipe("report_structure").initialize(**component_tables("report_structure"))
    docs = load_gold(split=split)
    with nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in ("tok2vec", "ner")]):
        parsed = list(nlp.pipe(d["text"] for d in docs))
    return nlp, list(zip(docs, parsed))


def score_setting(setting: Setting, folds: list, nlp: Any, study: list) -> dict[str, Any]:
    """LORO mean strict F1 per label and micro, and the study half's entities, records and issuer."""
    name, rules, extra = setting
    comp = _component(rules, extra) if rules is not None else (lambda doc: doc)
    loro = []
    for ann, _, doc in folds:
        out = comp(doc.copy())
        gold = [(s.start, s.end, s.label) for s in ann.entities]
        pred = [(e.start_char, e.end_char, e.label_) for e in out.ents if e.label_ in NER_LABELS]
        loro.append(score_spans([(ann.doc_id, ann.text, gold, pred)]))
    loro_mean = {l: round(sum(r["per_label"][l]["strict"]["f"] for r in loro) / len(loro), 4) for l in NER_LABELS} if loro else {}
    if loro:
        loro_mean["micro"] = round(sum(r["micro"]["strict"]["f"] for r in loro) / len(loro), 4)
    pairs, rec_pairs, issuers = [], [], []
    later = [proc for pname, proc in nlp.pipeline if pname in RECORD_COMPONENTS]
    for d, doc in study:
        out = comp(doc.copy())
        for proc in later:
            out = proc(out)
        pairs.append((d["id"], d["text"], list(d["entities"]), [(e.start_char, e.end_char, e.label_) for e in out.ents if e.label_ in NER_LABELS]))
        rec_pairs.append((d["records"], out._.records))
        issuers.append(issuer_matches(d["meta"].get("issuer"), out._.issuer))
    ents = score_spans(pairs) if pairs else None
    recs = score_records(rec_pairs) if rec_pairs else None
    return {
        "setting": name,
        "loro": loro_mean,
        "study": {l: ents["per_label"][l]["strict"]["f"] for l in NER_LABELS} | {"micro": ents["micro"]["strict"]["f"]} if ents else {},
        "study_records_f": recs["f"] if recs else None,
        "study_issuer": round(sum(issuers) / len(issuers), 4) if issuers else None,
        "errors": ents["errors"] if ents else [],
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: one row per setting, LORO and study-half strict F1."""
    head = "| setting | " + " | ".join(f"LORO {l[:4]}" for l in (*NER_LABELS, "micro")) + " | " + " | ".join(f"study {l[:4]}" for l in (*NER_LABELS, "micro")) + " | study records F | study issuer |"
    lines = [head, "|---" * (2 * len(NER_LABELS) + 5) + "|"]
    for r in rows:
        cells = [f"{r['loro'].get(l, 0):.3f}" for l in (*NER_LABELS, "micro")] + [f"{r['study'].get(l, 0):.3f}" for l in (*NER_LABELS, "micro")]
        lines.append(f"| {r['setting']} | " + " | ".join(cells) + f" | {r['study_records_f'] or 0:.3f} | {r['study_issuer'] or 0:.3f} |")
    return "\n".join(lines) + "\n"


def main(cv_dir: Path, model: Path, out: Optional[Path] = None) -> None:
    """Score every default setting; print the table (and write it with the errors under ``out``)."""
    folds = fold_docs(cv_dir)
    nlp, study = study_docs(model)
    rows = [score_setting(s, folds, nlp, study) for s in default_settings()]
    text = table(rows)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "transfer.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        (out / "transfer.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    import typer

    typer.run(main)
