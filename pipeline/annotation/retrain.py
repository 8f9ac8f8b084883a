"""Retraining from new annotations: pull → validate → train → compare → keep or not.

The candidate trains on the corpus plus the documents pulled from doccano,
minus the held-out reports (``configs/heldout.txt``). The current model is
stood for by a baseline trained the same way on the corpus alone; it is cached
in ``training/baseline-heldout`` and rebuilt when missing or when its
training documents, config or overrides change. Both are scored on the
held-out reports; the candidate replaces ``training/model-best`` only if its
micro strict F1 is not lower.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from pipeline import errors
from pipeline.annotation.annotate import AnnotateError, DoccanoSettings, PullResult, pull, text_sha1
from pipeline.learning.corpus import NER_LABELS, AnnotatedDoc, load_corpus, validate_paths
from pipeline.learning.evaluate import evaluate_model
from pipeline.learning.train import DEFAULT_CONFIG, train_model

DEFAULT_CORPUS = (Path("corpus/annotations"),)
DEFAULT_PULLED = Path("corpus/doccano")
DEFAULT_HELDOUT = Path("configs/heldout.txt")
DEFAULT_OUTPUT = Path("training/retrain")
DEFAULT_BASELINE = Path("training/baseline-heldout")
DEFAULT_MODEL = Path("training/model-best")
BASELINE_KEY_FILE = "baseline.json"
COMPARISON_COLUMNS = ("label", "current (baseline) F1", "candidate F1", "change")


@dataclass
class RetrainResult:
    baseline: dict[str, Any]
    candidate: dict[str, Any]
    kept: bool
    table: str
    train_docs: list[str] = field(default_factory=list)
    new_docs: list[str] = field(default_factory=list)
    heldout: list[str] = field(default_factory=list)
    baseline_rebuilt: bool = False
    pulled: Optional[PullResult] = None


def read_heldout(path: Path) -> list[str]:
    """Held-out report ids, one per line (``#`` starts a comment)."""
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    return ids


def split_docs(
    corpus_docs: Sequence[AnnotatedDoc], pulled_docs: Sequence[AnnotatedDoc], heldout_ids: Sequence[str]
) -> tuple[list[AnnotatedDoc], list[AnnotatedDoc], list[AnnotatedDoc], list[str]]:
    """(baseline training docs, candidate training docs, held-out docs, ids of new or changed docs).

    A pulled document replaces the corpus document with the same id or text;
    one that is (or has the text of) a held-out report never enters training.
    """
    held = set(heldout_ids)
    heldout = [d for d in corpus_docs if d.doc_id in held]
    held_texts = {text_sha1(d.text) for d in heldout}
    base = [d for d in corpus_docs if d.doc_id not in held and text_sha1(d.text) not in held_texts]
    merged = {d.doc_id: d for d in base}
    id_of_text = {text_sha1(d.text): d.doc_id for d in base}
    new: list[str] = []
    for d in pulled_docs:
        sha = text_sha1(d.text)
        if d.doc_id in held or sha in held_texts:
            continue
        old_id = id_of_text.get(sha, d.doc_id)
        old = merged.pop(old_id, None)
        merged[d.doc_id] = d
        id_of_text[sha] = d.doc_id
        if old is None or _doc_key(old) != _doc_key(d):
            new.append(d.doc_id)
    return base, list(merged.values()), heldout, new


def _doc_key(d: AnnotatedDoc) -> list[Any]:
    return [d.text, sorted((s.start, s.end, s.label) for s in d.entities)]


def training_key(docs: Sequence[AnnotatedDoc], config_path: Path, overrides: dict[str, Any]) -> str:
    """A hash of what a training run depends on: documents, config, overrides."""
    payload = json.dumps(
        [sorted([d.doc_id, *_doc_key(d)] for d in docs), config_path.read_text(encoding="utf-8"), sorted(overrides.items())],
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()


def comparison_table(baseline: dict[str, Any], candidate: dict[str, Any]) -> str:
    """Markdown table of strict F1 per label and micro, current against candidate."""
    rows = [(lab, baseline["per_label"][lab]["strict"]["f"], candidate["per_label"][lab]["strict"]["f"]) for lab in NER_LABELS]
    rows.append(("**micro**", baseline["micro"]["strict"]["f"], candidate["micro"]["strict"]["f"]))
    lines = ["| " + " | ".join(COMPARISON_COLUMNS) + " |", "|" + "---|" * len(COMPARISON_COLUMNS)]
    for lab, b, c in rows:
        lines.append(f"| {lab} | {b:.3f} | {c:.3f} | {c - b:+.3f} |")
    return "\n".join(lines)


def retrain(
    project: Optional[str],
    pulled: Path = DEFAULT_PULLED,
    corpus: Sequence[Path] = DEFAULT_CORPUS,
    heldout_file: Path = DEFAULT_HELDOUT,
    output: Path = DEFAULT_OUTPUT,
    baseline_dir: Path = DEFAULT_BASELINE,
    model_best: Path = DEFAULT_MODEL,
    config_path: Path = DEFAULT_CONFIG,
    overrides: Optional[dict[str, Any]] = None,
    force: bool = False,
    settings: Optional[DoccanoSettings] = None,
    log: Callable[[str], None] = lambda message: None,
) -> RetrainResult:
    """Pull ``project`` (unless None) into ``pulled``, retrain, keep the candidate if not worse."""
    overrides = dict(overrides or {})
    pull_result = None
    if project is not None:
        pull_result = pull(project, pulled, force=force, settings=settings)
        log(f"pulled {len(pull_result.added)} added, {len(pull_result.changed)} changed, {len(pull_result.unchanged)} unchanged into {pulled}")
    sources = [*corpus, *([pulled] if pulled.exists() else [])]
    problems = [str(p) for p in validate_paths(sources)]
    if pull_result is not None:
        # pull validated its files too; keep only what the validator cannot see (offsets doccano got wrong)
        problems += [p for p in pull_result.problems if p not in problems]
    for p in problems:
        log(p)
    if problems:
        raise AnnotateError(errors.E_RETRAIN_INVALID.format(n=len(problems)))
    heldout_ids = read_heldout(heldout_file)
    corpus_docs = load_corpus(corpus)
    pulled_docs = load_corpus([pulled]) if pulled.exists() else []
    base_docs, cand_docs, heldout, new = split_docs(corpus_docs, pulled_docs, heldout_ids)
    if not heldout:
        raise AnnotateError(errors.E_RETRAIN_NO_HELDOUT.format(path=heldout_file))
    if not cand_docs:
        raise AnnotateError(errors.E_RETRAIN_NO_TRAIN)
    key = training_key(base_docs, config_path, overrides)
    key_file = baseline_dir / BASELINE_KEY_FILE
    stored = json.loads(key_file.read_text(encoding="utf-8")) if key_file.exists() else {}
    rebuilt = stored.get("key") != key or not (baseline_dir / "model-best").exists()
    if rebuilt:
        log(f"training the baseline on {len(base_docs)} report(s) → {baseline_dir}")
        train_model(base_docs, baseline_dir, config_path, overrides)
        key_file.write_text(json.dumps({"key": key, "docs": [d.doc_id for d in base_docs]}, ensure_ascii=False), encoding="utf-8")
    candidate_dir = output / "candidate"
    cand_overrides = dict(overrides)
    corrected = [d for d in pulled_docs if d.indicators and d.doc_id in {c.doc_id for c in cand_docs}]
    if corrected:
        # the indicators annotators confirmed or corrected in doccano (relation types) retrain the indicator table
        from pipeline.learning.indicators import retrain_table

        output.mkdir(parents=True, exist_ok=True)
        table = retrain_table(cand_docs, output / "indicators.json")
        cand_overrides["initialize.components.indicator_classifier.model.path"] = str(output / "indicators.json")
        log(f"indicator table retrained on {table['trained_on']['records']} labelled record(s), {len(corrected)} pulled document(s) with indicators")
    log(f"training the candidate on {len(cand_docs)} report(s) ({len(new)} new or changed) → {candidate_dir}")
    train_model(cand_docs, candidate_dir, config_path, cand_overrides)
    base_eval = evaluate_model(baseline_dir / "model-best", heldout)
    cand_eval = evaluate_model(candidate_dir / "model-best", heldout)
    kept = cand_eval["micro"]["strict"]["f"] >= base_eval["micro"]["strict"]["f"]
    if kept:
        if model_best.exists():
            shutil.rmtree(model_best)
        shutil.copytree(candidate_dir / "model-best", model_best)
    table = comparison_table(base_eval, cand_eval)
    output.mkdir(parents=True, exist_ok=True)
    summary = {
        "heldout": [d.doc_id for d in heldout],
        "train_docs": [d.doc_id for d in cand_docs],
        "new_docs": new,
        "kept": kept,
        "baseline": base_eval["micro"],
        "candidate": cand_eval["micro"],
    }
    (output / "retrain.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return RetrainResult(
        base_eval, cand_eval, kept, table, [d.doc_id for d in cand_docs], new, [d.doc_id for d in heldout], rebuilt, pull_result
    )
