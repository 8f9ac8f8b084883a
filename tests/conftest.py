"""Shared fixtures: a blank pipeline with the record components, and a small trained model."""
from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory) -> Path:
    """A real model trained briefly (two epochs on two reports) with the shipped config."""
    import os

    from pipeline.learning.corpus import load_corpus
    from pipeline.learning.train import train_model

    os.chdir(ROOT)
    out = tmp_path_factory.mktemp("model")
    docs = [d for d in load_corpus([CORPUS]) if d.doc_id in ("donghuamen-jiedao-2024", "guangnei-jiedao-2021")]
    train_model(docs, out, CONFIG, {"training.max_epochs": 2})
    return out / "model-best"
