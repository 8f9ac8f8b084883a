"""Batch extraction end to end with a real trained model: outputs, bad inputs, exit codes, resume after SIGKILL."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.batch.extract import Progress, extract, load_manifest

from .conftest import RAW

pytestmark = pytest.mark.slow
runner = CliRunner()


def manifest(out: Path) -> list[dict]:
    return [json.loads(l) for l in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]


def test_extract_corpus_offsets_point_into_text(trained_model, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["extract", str(RAW), "--out", str(out), "--model", str(trained_model)])
    assert res.exit_code == 0, res.output
    docs = manifest(out)
    assert [Path(d["path"]).name for d in docs] == sorted(p.name for p in RAW.glob("*.txt"))
    assert all(d["status"] == "ok" for d in docs)
    n_ents = 0
    for d in docs:
        text = (out / d["text_path"]).read_text(encoding="utf-8")  # relative to OUT: the folder is self-contained
        assert text == Path(d["path"]).read_text(encoding="utf-8")
        for e in d["entities"]:
            assert text[e["start"] : e["end"]] == e["text"]
            n_ents += 1
        for r in d["records"]:
            assert text[r["count"]["start"] : r["count"]["end"]] == r["count"]["text"]
        assert d["year"] in (2021, 2022, 2023, 2024)
    assert n_ents > 50
    assert (out / "entities.csv").exists() and (out / "records.csv").exists()


def test_extract_gbk_and_docx_offsets_index_saved_text(trained_model, tmp_path):
    import docx

    src = (RAW / "donghuamen-jiedao-2024.txt").read_text(encoding="utf-8")
    gbk = tmp_path / "in" / "gbk.txt"
    gbk.parent.mkdir()
    gbk.write_bytes(src.encode("gb18030"))
    d = docx.Document()
    for line in src.splitlines()[:12]:
        d.add_paragraph(line)
    d.save(tmp_path / "in" / "report.docx")
    out = tmp_path / "out"
    res = runner.invoke(app, ["extract", str(tmp_path / "in"), "--out", str(out), "--model", str(trained_model)])
    assert res.exit_code == 0, res.output
    for doc in manifest(out):
        path = Path(doc["text_path"])
        text = (out / path if not path.is_absolute() else path).read_text(encoding="utf-8")
        assert len(text) == doc["n_chars"]
        assert doc["entities"], doc["path"]
        for e in doc["entities"]:
            assert text[e["start"] : e["end"]] == e["text"]


def test_extract_bad_inputs_each_get_a_reason_and_batch_completes(trained_model, tmp_path):
    from pypdf import PdfWriter

    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(RAW / "guangnei-jiedao-2021.txt", d / "a_good.txt")
    (d / "b_empty.txt").write_bytes(b"")
    (d / "c_space.txt").write_text("  \n\t\n", encoding="utf-8")
    (d / "d_binary.txt").write_bytes(bytes(range(256)) * 20)
    (d / "e_undecodable.txt").write_bytes(b"\x80" + b"\xff\xfa" * 50)
    with open(d / "f_huge.txt", "wb") as f:
        line = ("法治政府建设年度情况报告。" * 40 + "\n").encode("utf-8")
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            f.write(line)
    (d / "g_corrupt.docx").write_bytes(b"PK\x03\x04 not really a zip")
    w = PdfWriter()
    w.add_blank_page(200, 200)
    with open(d / "h_image_only.pdf", "wb") as f:
        w.write(f)
    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.encrypt("secret")
    with open(d / "i_encrypted.pdf", "wb") as f:
        w.write(f)
    shutil.copy(RAW / "donghuamen-jiedao-2024.txt", d / "j_vanishes.txt")
    shutil.copy(RAW / "dongsan-jiedao-2024.txt", d / "k_good.txt")

    class VanishAfterFirst(Progress):
        def update(self, job):
            super().update(job)
            if self.done == 1:
                (d / "j_vanishes.txt").unlink()

    import spacy

    out = tmp_path / "out"
    inputs = [str(p) for p in sorted(d.iterdir())]
    summary = extract(inputs, out, spacy.load(trained_model), batch_size=1, progress=VanishAfterFirst(len(inputs), stream=open(os.devnull, "w")))
    docs = {Path(x["path"]).name: x for x in manifest(out)}
    assert list(docs) == [Path(p).name for p in inputs]  # every input, in input order
    assert docs["a_good.txt"]["status"] == "ok" and docs["k_good.txt"]["status"] == "ok"
    assert docs["b_empty.txt"]["status"] == "failed" and docs["b_empty.txt"]["error"].startswith("no text")
    assert docs["c_space.txt"]["status"] == "failed" and docs["c_space.txt"]["error"].startswith("no text")
    reasons = {
        "d_binary.txt": "binary content",
        "e_undecodable.txt": "cannot decode",
        "f_huge.txt": "more than the limit",
        "g_corrupt.docx": "not a readable .docx",
        "h_image_only.pdf": "no extractable text",
        "i_encrypted.pdf": "encrypted",
        "j_vanishes.txt": "cannot read file",
    }
    for name, reason in reasons.items():
        assert docs[name]["status"] == "failed", name
        assert reason in docs[name]["error"] and "\n" not in docs[name]["error"], (name, docs[name]["error"])
    assert summary.failed == len(reasons) + 2 and summary.ok == 2  # + the empty and whitespace-only files


def test_extract_exit_status_and_usage_errors(trained_model, tmp_path):
    good = tmp_path / "good.txt"
    shutil.copy(RAW / "guangnei-jiedao-2021.txt", good)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    out = tmp_path / "out"
    assert runner.invoke(app, ["extract", str(good), "--out", str(out), "--model", str(trained_model)]).exit_code == 0
    res = runner.invoke(app, ["extract", str(good), "--out", str(out), "--model", str(trained_model)])
    assert res.exit_code == 2 and "--resume" in res.output
    res = runner.invoke(app, ["extract", str(good), str(bad), "--out", str(out), "--force", "--model", str(trained_model)])
    assert res.exit_code == 1 and "bad.txt" in res.output
    res = runner.invoke(app, ["extract", str(tmp_path / "nothing-*.txt"), "--out", str(tmp_path / "o2"), "--model", str(trained_model)])
    assert res.exit_code == 1  # a pattern that matches nothing fails with a reason, like a missing file
    assert runner.invoke(app, ["extract", str(good), "--out", str(tmp_path / "o3"), "--model", str(tmp_path / "no-model")]).exit_code == 2


def test_extract_resume_after_sigkill_equals_uninterrupted_run(trained_model, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(12):
        for p in sorted(RAW.glob("*.txt")):
            (inputs / f"{i:02d}-{p.name}").write_text(p.read_text(encoding="utf-8") + f"\n{i}", encoding="utf-8")
    cmd = [sys.executable, "-m", "pipeline.cli", "extract", str(inputs), "--model", str(trained_model), "--batch-size", "1"]
    full = tmp_path / "full"
    ref = subprocess.run([*cmd, "--out", str(full)], capture_output=True, text=True)
    assert ref.returncode == 0, ref.stderr  # the reference run itself must succeed
    part = tmp_path / "part"
    proc = subprocess.Popen([*cmd, "--out", str(part)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        m = part / "documents.jsonl"
        if m.exists() and m.read_text(encoding="utf-8").count("\n") >= 5:
            break
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before it could be killed"
        time.sleep(0.05)
    else:
        pytest.fail("the run wrote fewer than 5 lines in 120 s")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(load_manifest(part / "documents.jsonl"))
    assert 5 <= n_before < 60, "the run must be killed part-way"
    res = subprocess.run([*cmd, "--out", str(part), "--resume"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert f"{n_before} already done" in res.stdout
    assert (part / "documents.jsonl").read_bytes() == (full / "documents.jsonl").read_bytes()


def test_extract_repairs_torn_last_line(tmp_path):
    m = tmp_path / "documents.jsonl"
    m.write_text('{"a": 1}\n{"b": 2}\n{"c": ', encoding="utf-8")
    assert load_manifest(m) == [{"a": 1}, {"b": 2}]
    assert m.read_text(encoding="utf-8") == '{"a": 1}\n{"b": 2}\n'
