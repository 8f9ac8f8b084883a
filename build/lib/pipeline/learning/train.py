"""Training: corpus → DocBin → ``spacy train`` with the project config.

The shipped model trains a fixed number of epochs (chosen by
cross-validation) on every report; the last model is the result and is saved
as ``model-best`` too, so no score on the training data picks it.
"""
from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

import spacy
from spacy.training.initialize import init_nlp
from spacy.training.loop import train as train_loop
from spacy.util import fix_random_seed, load_config

from pipeline.learning.convert import ConversionReport, convert
from pipeline.learning.corpus import AnnotatedDoc, load_corpus

DEFAULT_CONFIG = Path("configs/ner.cfg")


def tokenizer_nlp(config_path: Path, overrides: Optional[dict[str, Any]] = None) -> spacy.Language:
    """A blank pipeline with the config's (initialised) tokenizer, for conversion."""
    config = load_config(config_path, overrides=overrides or {}, interpolate=False)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    init = config["initialize"]["tokenizer"]
    if config["nlp"]["tokenizer"].get("segmenter") == "pkuseg":
        nlp.tokenizer.initialize(pkuseg_model=init.get("pkuseg_model"), pkuseg_user_dict=init.get("pkuseg_user_dict", "default"))
    return nlp


def train_model(
    docs: list[AnnotatedDoc],
    output: Path,
    config_path: Path = DEFAULT_CONFIG,
    overrides: Optional[dict[str, Any]] = None,
    work: Optional[Path] = None,
    quiet: bool = True,
) -> ConversionReport:
    """Train on ``docs``; write ``output/model-last`` and ``output/model-best`` (same model)."""
    overrides = dict(overrides or {})
    work = work or output / "corpus"
    work.mkdir(parents=True, exist_ok=True)
    nlp = tokenizer_nlp(config_path, overrides)
    db, report = convert(nlp, docs)
    if report.misaligned_examples and str(nlp.tokenizer.segmenter) in ("char", "Segmenter.char"):
        raise ValueError("misaligned spans with the char segmenter:\n" + report.summary())
    train_path = work / "train.spacy"
    db.to_disk(train_path)
    overrides.update({"paths.train": str(train_path), "paths.dev": str(train_path)})
    config = load_config(config_path, overrides=overrides, interpolate=False)
    fix_random_seed(int(config.interpolate()["training"]["seed"]))
    trained = init_nlp(config, use_gpu=-1)
    sink = io.StringIO()
    train_loop(trained, output, use_gpu=-1, stdout=sink if quiet else sys.stdout, stderr=sink if quiet else sys.stderr)
    best, last = output / "model-best", output / "model-last"
    if best.exists():
        shutil.rmtree(best)
    shutil.copytree(last, best)
    return report


def train_cli_run(corpus: list[Path], output: Path, config_path: Path, overrides: dict[str, Any], exclude: Iterable[str] = ()) -> dict[str, Any]:
    """``make train``: train on the corpus, write metrics next to the model."""
    from pipeline.learning.evaluate import evaluate_model

    excl = set(exclude)
    docs = [d for d in load_corpus(corpus) if d.doc_id not in excl]
    report = train_model(docs, output, config_path, overrides, quiet=False)
    metrics = {"conversion": report.summary(), "train_fit": evaluate_model(output / "model-best", docs)["micro"]}
    (output / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    return metrics
