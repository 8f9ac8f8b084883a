"""Leave-one-report-out cross-validation: the project's figure of merit.

For each report: train on the others, evaluate NER (strict and lenient) and
records (from gold entities and end to end) on the held-out report. Folds run
in parallel worker processes (one thread each).
"""
from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Optional

from pipeline.learning.corpus import NER_LABELS, load_corpus, load_gold_records


def run_fold(held_out: str, corpus: list[str], out: str, config: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Train without ``held_out`` and score on it."""
    import spacy

    from pipeline.learning.train import train_model

    docs = load_corpus([Path(p) for p in corpus])
    gold_records = load_gold_records([Path(p) for p in corpus])
    train = [d for d in docs if d.doc_id != held_out]
    test = [d for d in docs if d.doc_id == held_out]
    t0 = time.perf_counter()
    train_model(train, Path(out), Path(config), overrides)
    seconds = time.perf_counter() - t0
    return score_fold(spacy.load(Path(out) / "model-best"), held_out, test, gold_records, seconds)


def score_fold(nlp: Any, held_out: str, test: list, gold_records: dict[str, Any], seconds: float) -> dict[str, Any]:
    """NER and record scores of a fold's pipeline on its held-out report."""
    from pipeline.learning.evaluate import evaluate_records, predict_spans, score_spans

    t1 = time.perf_counter()
    pairs = predict_spans(nlp, test)
    predict_s = time.perf_counter() - t1
    ner = score_spans(pairs)
    return {
        "held_out": held_out,
        "train_seconds": round(seconds, 1),
        "predict_chars_per_s": round(sum(len(d.text) for d in test) / predict_s),
        "ner": {k: v for k, v in ner.items() if k != "errors"},
        "ner_errors": ner["errors"],
        "records_gold_entities": evaluate_records(test, gold_records),
        "records_end_to_end": evaluate_records(test, gold_records, model=nlp),
    }


def rescore(cv_dir: Path, corpus: list[Path], add_rules: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """Score saved fold models again (e.g. after adding a rule component that is not trained)."""
    import spacy

    docs = load_corpus(corpus)
    gold_records = load_gold_records(corpus)
    folds = []
    for d in docs:
        nlp = spacy.load(cv_dir / d.doc_id / "model-best")
        if add_rules is not None and "entity_rules" not in nlp.pipe_names:
            rules = nlp.add_pipe("entity_rules", after="ner", config=add_rules["config"])
            rules.initialize(lambda: [], nlp=nlp, rules=add_rules["data"])
        folds.append(score_fold(nlp, d.doc_id, [d], gold_records, 0.0))
    return {"config": str(cv_dir), "folds": folds, "mean": mean_scores(folds)}


def cross_validate(
    corpus: list[Path], out: Path, config: Path, overrides: Optional[dict[str, Any]] = None, n_workers: int = 2, only: Optional[list[str]] = None
) -> dict[str, Any]:
    """Run every fold; return per-fold results and their means."""
    overrides = dict(overrides or {})
    ids = [d.doc_id for d in load_corpus(corpus)]
    if only:
        ids = [i for i in ids if i in only]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_fold, i, [str(p) for p in corpus], str(out / i), str(config), overrides) for i in ids]
        folds = [f.result() for f in futures]
    return {"config": str(config), "overrides": overrides, "folds": folds, "mean": mean_scores(folds)}


def mean_scores(folds: list[dict[str, Any]]) -> dict[str, Any]:
    """Macro mean over folds of strict/lenient F1 per label, micro F1 and record figures."""

    def avg(xs: list[float]) -> float:
        return round(sum(xs) / len(xs), 4) if xs else 0.0

    m: dict[str, Any] = {}
    for lab in NER_LABELS:
        m[lab] = {k: avg([f["ner"]["per_label"][lab][k]["f"] for f in folds]) for k in ("strict", "lenient")}
    m["micro"] = {k: avg([f["ner"]["micro"][k]["f"] for f in folds]) for k in ("strict", "lenient")}
    for key in ("records_gold_entities", "records_end_to_end"):
        m[key] = {k: avg([f[key][k] for f in folds]) for k in ("f", "exact_activity", "value_acc", "unit_acc", "approx_acc", "section_acc")}
    m["train_seconds"] = avg([f["train_seconds"] for f in folds])
    return m


def cv_table(result: dict[str, Any], title: str) -> str:
    """Markdown: one row per held-out report and the mean (strict F1, micro lenient, records F1)."""
    head = "| held out | " + " | ".join(NER_LABELS) + " | micro | micro lenient | records (gold ents) | records (end to end) | train s |"
    lines = [f"### {title}", "", head, "|---" * 10 + "|"]
    for f in result["folds"]:
        pl = f["ner"]["per_label"]
        lines.append(
            f"| {f['held_out']} | " + " | ".join(f"{pl[l]['strict']['f']:.3f}" for l in NER_LABELS)
            + f" | {f['ner']['micro']['strict']['f']:.3f} | {f['ner']['micro']['lenient']['f']:.3f}"
            + f" | {f['records_gold_entities']['f']:.3f} | {f['records_end_to_end']['f']:.3f} | {f['train_seconds']:.0f} |"
        )
    m = result["mean"]
    lines.append(
        "| **mean** | " + " | ".join(f"**{m[l]['strict']:.3f}**" for l in NER_LABELS)
        + f" | **{m['micro']['strict']:.3f}** | {m['micro']['lenient']:.3f} | {m['records_gold_entities']['f']:.3f} | {m['records_end_to_end']['f']:.3f} | {m['train_seconds']:.0f} |"
    )
    return "\n".join(lines) + "\n"


def save(result: dict[str, Any], out: Path, title: str) -> str:
    out.mkdir(parents=True, exist_ok=True)
    (out / "cv.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    table = cv_table(result, title)
    (out / "cv.md").write_text(table, encoding="utf-8")
    return table
