"""The pkuseg segmenter (learning/segment.py and `fazhi pkuseg`), cross-validation's scoring and tables (learning/cv.py), the benchmark's inputs and measurement (batch/bench.py).

Expected values are facts of the inputs (the gold entities of a report, the
bundled reports' text, fold figures counted by hand), never the output under
test.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.learning.corpus import load_corpus, load_gold_records

from .conftest import CORPUS, HELD_OUT, RAW


# ------------------------------------------------------------------ segment.py


def test_segment_line_keeps_entities_whole_and_loses_no_character():
    from pipeline.learning.segment import segment_line

    line = "东华门街道召开工委会48次、主任办公会33次。"
    ents = [(line.index("工委会"), line.index("工委会") + 3), (line.index("主任办公会"), line.index("主任办公会") + 5)]
    words = segment_line(line, ents)
    assert "工委会" in words and "主任办公会" in words
    assert "".join(words) == line
    assert "".join(segment_line("  依法 行政 ")) == "依法行政"  # spaces are no words


def test_segmentation_data_keeps_every_gold_entity_of_a_report_as_one_word():
    from pipeline.components.clean import clean_text
    from pipeline.learning.segment import build_segmentation_data

    doc = next(d for d in load_corpus([CORPUS]) if d.doc_id == "donghuamen-jiedao-2024")
    lines = build_segmentation_data([], [doc])
    text = clean_text(doc.text)
    nonempty = [l for l in text.split("\n") if l.strip()]
    assert len(lines) == len(nonempty)
    # every line's words put together are the line (spaces dropped)
    assert all(seg.replace(" ", "") == l.replace(" ", "") for seg, l in zip(lines, nonempty))
    words = {w for seg in lines for w in seg.split(" ")}
    inline = [text[s.start : s.end] for s in doc.entities if "\n" not in text[s.start : s.end] and " " not in text[s.start : s.end]]
    # overlapping entities (an ACTIVITY containing an INSTITUTION) keep the first; all others are words
    missing = [e for e in inline if e not in words]
    assert len(missing) <= 0.05 * len(inline), missing[:10]


def test_cli_pkuseg_trains_a_model_offline(tmp_path):
    import spacy_pkuseg

    raw = tmp_path / "raw"
    raw.mkdir()
    text = (RAW / f"{HELD_OUT}.txt").read_text(encoding="utf-8")[:1500]
    (raw / "a.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "pkuseg"
    r = CliRunner().invoke(app, ["pkuseg", "--raw", str(raw), "--output", str(out), "--iterations", "1"])
    assert r.exit_code == 0, r.output
    assert f"saved pkuseg model to {out}" in r.output
    assert (out / "features.msgpack").exists() and (out / "weights.npz").exists()
    # the training data: one segmented line per non-empty line of the report, a tenth (at least one) held out
    n = len([l for l in text.split("\n") if l.strip()])
    train = (out / "train.txt").read_text(encoding="utf-8").splitlines()
    test = (out / "test.txt").read_text(encoding="utf-8").splitlines()
    assert len(train) + len(test) == n and len(test) == max(1, n // 10)
    seg = spacy_pkuseg.pkuseg(model_name=str(out))
    sentence = "广内街道召开工委会29次。"
    assert "".join(seg.cut(sentence)) == sentence


# ------------------------------------------------------------------ cv.py


def _fold(held_out: str, f: float, rec: float) -> dict:
    labels = {lab: {"strict": {"f": f}, "lenient": {"f": f + 0.1}} for lab in ("COUNT", "LAW", "INSTITUTION", "MECHANISM")}
    recs = {"f": rec, "exact_activity": rec, "value_acc": 1.0, "unit_acc": 1.0, "approx_acc": 1.0, "section_acc": 1.0}
    return {
        "held_out": held_out,
        "train_seconds": 10.0,
        "ner": {"per_label": labels, "micro": {"strict": {"f": f}, "lenient": {"f": f + 0.1}}},
        "records_gold_entities": recs,
        "records_end_to_end": dict(recs, f=rec - 0.1),
    }


def test_cv_mean_and_table_by_hand(tmp_path):
    from pipeline.learning.cv import mean_scores, save

    folds = [_fold("a", 0.5, 0.9), _fold("b", 0.7, 0.8)]
    m = mean_scores(folds)
    assert m["COUNT"] == {"strict": 0.6, "lenient": 0.7}
    assert m["micro"] == {"strict": 0.6, "lenient": 0.7}
    assert m["records_gold_entities"]["f"] == 0.85 and m["records_end_to_end"]["f"] == 0.75
    assert m["train_seconds"] == 10.0
    assert mean_scores([])["micro"] == {"strict": 0.0, "lenient": 0.0}
    table = save({"folds": folds, "mean": m}, tmp_path / "cv", "test run")
    lines = table.splitlines()
    assert lines[0] == "### test run"
    assert "| a | 0.500 | 0.500 | 0.500 | 0.500 | 0.500 | 0.600 | 0.900 | 0.800 | 10 |" in lines
    assert "| b | 0.700 | 0.700 | 0.700 | 0.700 | 0.700 | 0.800 | 0.800 | 0.700 | 10 |" in lines
    assert lines[-1].startswith("| **mean** | **0.600** |") and lines[-1].endswith("| 0.850 | 0.750 | 10 |")
    assert (tmp_path / "cv" / "cv.md").read_text(encoding="utf-8") == table
    assert json.loads((tmp_path / "cv" / "cv.json").read_text(encoding="utf-8"))["mean"]["micro"]["strict"] == 0.6


@pytest.mark.slow
def test_cv_rescore_a_saved_fold_model_on_its_held_out_report(trained_model, tmp_path):
    """rescore (used after adding a rule component to saved folds): the session model as the fold of ``HELD_OUT``."""
    from pipeline.learning.cv import rescore
    from pipeline.learning.evaluate import evaluate_records

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for suffix in (".jsonl", ".records.jsonl"):
        shutil.copy(CORPUS / f"{HELD_OUT}{suffix}", corpus / f"{HELD_OUT}{suffix}")
    cv_dir = tmp_path / "cv"
    (cv_dir / HELD_OUT).mkdir(parents=True)
    (cv_dir / HELD_OUT / "model-best").symlink_to(trained_model)
    result = rescore(cv_dir, [corpus])
    (fold,) = result["folds"]
    assert fold["held_out"] == HELD_OUT and fold["predict_chars_per_s"] > 0
    assert fold["ner"]["micro"]["strict"]["f"] >= 0.90  # test_gold's floor for the same model on the same report
    docs = load_corpus([corpus])
    assert fold["records_gold_entities"] == {k: v for k, v in evaluate_records(docs, load_gold_records([corpus])).items()}
    assert fold["records_end_to_end"]["f"] >= 0.85
    assert result["mean"]["micro"]["strict"] == round(fold["ner"]["micro"]["strict"]["f"], 4)


# ------------------------------------------------------------------ bench.py


def test_bench_texts_are_the_bundled_reports_repeated_to_a_megabyte():
    from pipeline.batch.bench import TARGET_BYTES, bench_texts

    reports = [p.read_text(encoding="utf-8") for p in sorted(RAW.glob("*.txt"))]
    texts = bench_texts()
    size = sum(len(t.encode("utf-8")) for t in texts)
    assert TARGET_BYTES == 1_000_000 and size >= TARGET_BYTES
    assert len(texts) % len(reports) == 0 and texts[: len(reports)] == reports
    assert size - sum(len(r.encode("utf-8")) for r in reports) < TARGET_BYTES  # no more copies than needed


@pytest.mark.slow
def test_bench_measures_the_tokenizer_in_its_own_process():
    from pipeline.batch.bench import bench_texts, measure

    texts = bench_texts()
    row = measure("tokenizer", "unused", 1, repeats=1)
    assert row["kind"] == "tokenizer" and row["n_process"] == 1
    assert row["chars"] == sum(len(t) for t in texts) and row["docs"] == len(texts)
    assert row["median_seconds"] == row["runs_seconds"][0] > 0
    assert row["chars_per_s"] == pytest.approx(row["chars"] / row["median_seconds"], rel=0.01)  # seconds are rounded to ms
    assert row["docs_per_s"] == pytest.approx(row["docs"] / row["median_seconds"], rel=0.01)
    assert 0 < row["peak_rss_mb"] < 4000
