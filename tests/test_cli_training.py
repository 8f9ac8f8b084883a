"""The training commands of the CLI on small real corpora: `fazhi train`, `fazhi cv`, `fazhi annotate retrain` (without doccano).

One epoch (`--training.max_epochs 1`, the spaCy-style override these commands
take) on one or two gold reports: the tests check the commands' contracts —
the conversion counts equal the gold's, the override reaches the saved
config, every fold is scored on its own report, retrain keeps the candidate
only if it is not worse and caches its baseline — not model quality (which
tests/test_gold.py checks on the session model).
"""
from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.learning.corpus import load_corpus

from .conftest import CORPUS

pytestmark = pytest.mark.slow

ONE_EPOCH = ["--training.max_epochs", "1"]


def corpus_of(tmp_path: Path, name: str, *doc_ids: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    for doc_id in doc_ids:
        for suffix in (".jsonl", ".records.jsonl"):
            shutil.copy(CORPUS / f"{doc_id}{suffix}", d / f"{doc_id}{suffix}")
    return d


def test_cli_train_one_epoch(tmp_path):
    corpus = corpus_of(tmp_path, "corpus", "donghuamen-jiedao-2024")
    gold = Counter(s.label for d in load_corpus([corpus]) for s in d.entities)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["train", "--corpus", str(corpus), "--output", str(out), *ONE_EPOCH])
    assert r.exit_code == 0, r.output
    for label in ("COUNT", "LAW", "INSTITUTION", "MECHANISM"):
        assert f"{label}: {gold[label]} aligned, 0 misaligned" in r.output
    assert f"saved {out / 'model-best'}" in r.output
    nlp = spacy.load(out / "model-best")
    assert nlp.config["training"]["max_epochs"] == 1
    assert {"ner", "entity_rules", "count_normalizer", "report_structure", "record_linker"} <= set(nlp.pipe_names)
    doc = nlp("东华门街道共召开工委会48次。")
    assert [(e.text, e.label_, e._.value) for e in doc.ents if e.label_ == "COUNT"] == [("48次", "COUNT", 48)]


def test_cli_cv_two_reports(tmp_path):
    ids = ["donghuamen-jiedao-2024", "dongsan-jiedao-2024"]
    corpus = corpus_of(tmp_path, "corpus", *ids)
    out = tmp_path / "cv"
    r = CliRunner().invoke(app, ["cv", "--corpus", str(corpus), "--output", str(out), "--workers", "1", "--name", "two reports", *ONE_EPOCH])
    assert r.exit_code == 0, r.output
    result = json.loads((out / "cv.json").read_text(encoding="utf-8"))
    assert [f["held_out"] for f in result["folds"]] == ids
    assert result["overrides"] == {"training.max_epochs": 1}
    for f in result["folds"]:
        assert (out / f["held_out"] / "model-best" / "meta.json").exists()
        # each fold's model never saw its held-out report: trained on the other one only
        assert spacy.load(out / f["held_out"] / "model-best").config["training"]["max_epochs"] == 1
    table = (out / "cv.md").read_text(encoding="utf-8")
    assert table.startswith("### two reports") and all(f"| {i} |" in table for i in ids) and "| **mean** |" in table
    mean = result["mean"]["micro"]["strict"]
    assert mean == round(sum(f["ner"]["micro"]["strict"]["f"] for f in result["folds"]) / 2, 4)


def test_cli_annotate_retrain_without_doccano(tmp_path):
    """Pulled documents already on disk (no --project): baseline and candidate trained, compared on the held-out report."""
    corpus = corpus_of(tmp_path, "corpus", "donghuamen-jiedao-2024", "guangnei-jiedao-2021")
    pulled = corpus_of(tmp_path, "pulled", "dongsan-jiedao-2024")
    heldout = tmp_path / "heldout.txt"
    heldout.write_text("# held out\nguangnei-jiedao-2021\n", encoding="utf-8")
    model_best = tmp_path / "model-best"
    model_best.mkdir()
    (model_best / "marker").write_text("the current model", encoding="utf-8")
    args = [
        "annotate", "retrain", "--pulled", str(pulled), "--corpus", str(corpus), "--heldout", str(heldout),
        "--output", str(tmp_path / "retrain"), "--baseline", str(tmp_path / "baseline"), "--model-best", str(model_best), *ONE_EPOCH,
    ]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "held out: guangnei-jiedao-2021" in r.output
    assert "training the baseline on 1 report(s)" in r.output
    assert "training the candidate on 2 report(s) (1 new or changed)" in r.output
    summary = json.loads((tmp_path / "retrain" / "retrain.json").read_text(encoding="utf-8"))
    assert summary["heldout"] == ["guangnei-jiedao-2021"] and summary["new_docs"] == ["dongsan-jiedao-2024"]
    assert sorted(summary["train_docs"]) == ["donghuamen-jiedao-2024", "dongsan-jiedao-2024"]
    kept = summary["candidate"]["strict"]["f"] >= summary["baseline"]["strict"]["f"]
    assert summary["kept"] == kept
    if kept:
        assert "kept: the candidate" in r.output and not (model_best / "marker").exists() and (model_best / "meta.json").exists()
    else:
        assert "not kept" in r.output and (model_best / "marker").exists()
    # the baseline is cached: a second run with the same documents, config and overrides does not train it again
    r2 = CliRunner().invoke(app, args)
    assert r2.exit_code == 0, r2.output
    assert "training the baseline" not in r2.output and "training the candidate" in r2.output


def test_cli_annotate_retrain_refuses_without_a_held_out_report(tmp_path):
    corpus = corpus_of(tmp_path, "corpus", "donghuamen-jiedao-2024")
    heldout = tmp_path / "heldout.txt"
    heldout.write_text("no-such-report\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["annotate", "retrain", "--pulled", str(tmp_path / "none"), "--corpus", str(corpus), "--heldout", str(heldout), "--output", str(tmp_path / "r")])
    assert r.exit_code == 1
    assert f"none of the held-out reports in {heldout} is in the corpus" in r.output
