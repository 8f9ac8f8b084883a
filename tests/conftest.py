"""Shared fixtures: a blank pipeline with the record components, and a small trained model."""
from __future__ import annotations

from pathlib import Path

import shutil

import pytest
import spacy

from pipeline.labels import RECORD_COMPONENTS
from pipeline.learning.rule_files import initialize_components

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "annotations"
RAW = ROOT / "corpus" / "raw"
CONFIG = ROOT / "configs" / "ner.cfg"


@pytest.fixture(autouse=True)
def _run_from_root(monkeypatch):
    """Configs name data files relative to the project root."""
    monkeypatch.chdir(ROOT)


@pytest.fixture
def nlp_blank():
    """spacy.blank("zh") with the cleaning tokenizer and the record components, no trained model."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "fazhi.ChineseTokenizer.v1", "segmenter": "char"}}})
    for name in RECORD_COMPONENTS:
        nlp.add_pipe(name)
    return initialize_components(nlp, skip=("ranker",))


HELD_OUT = "guangnei-jiedao-2021"  # the report the session model never sees: gold-based tests score on it


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory) -> Path:
    """A real model that predicts: the shipped config (20 epochs, augmentation) on four reports, ``HELD_OUT`` left out.

    Its learned NER alone reaches strict micro F1 ≈ 0.67 on the held-out report
    (tests/test_gold.py asserts a floor below that), so tests that extract with
    it exercise the NER, not only the rules.

    Built once and cached under ``training/test-model-<key>`` (or ``$FAZHI_TEST_MODEL_CACHE``), keyed
    by what the NER's weights depend on: the config, the gold corpus, the rule tables and the
    training code. Components' code is not in the key: it runs when the model is loaded.
    """
    import hashlib
    import os

    from pipeline.learning.corpus import load_corpus
    from pipeline.learning.train import train_model

    os.chdir(ROOT)
    inputs = [CONFIG, *sorted(CORPUS.glob("*.jsonl")), *sorted((ROOT / "corpus" / "rules").glob("*.json"))]
    inputs += [ROOT / "pipeline" / "learning" / f for f in ("train.py", "convert.py", "augment.py")]
    inputs += sorted(p for p in (ROOT / "corpus" / "vectors").rglob("*") if p.is_file())
    key = hashlib.sha256(b"".join(p.read_bytes() for p in inputs) + HELD_OUT.encode()).hexdigest()[:16]
    cache = Path(os.environ.get("FAZHI_TEST_MODEL_CACHE", ROOT / "training")) / f"test-model-{key}"
    if not (cache / "model-best" / "meta.json").exists():
        work = tmp_path_factory.mktemp("model")
        docs = [d for d in load_corpus([CORPUS]) if d.doc_id != HELD_OUT]
        train_model(docs, work, CONFIG)
        cache.parent.mkdir(parents=True, exist_ok=True)
        if cache.exists():
            shutil.rmtree(cache)
        shutil.copytree(work / "model-best", cache / "model-best")
    return cache / "model-best"
