"""Extraction and tables that never lose a result or leak one: option validation, one line per failure,
formula-safe CSV cells, secrets kept out of messages (issue: extraction that never loses a result)."""
from __future__ import annotations

import csv
import json

import pytest
import requests
from typer.testing import CliRunner

from pipeline.annotation.annotate import DoccanoSettings, scrub
from pipeline.annotation.doccano_bridge import login_problem, redact_url
from pipeline.cli import app
from pipeline.tables.export import safe_cell, write_csv

runner = CliRunner()


def test_url_password_never_in_messages():
    url = "http://alice:s3cret-pw@127.0.0.1:9/"
    assert redact_url(url) == "http://***@127.0.0.1:9/"
    msg = login_problem(requests.exceptions.ConnectionError("refused"), url)
    assert "s3cret-pw" not in msg and "alice" not in msg and "127.0.0.1:9" in msg
    settings = DoccanoSettings(url, "alice", None, "tok-123")
    assert "s3cret-pw" in settings.secrets
    assert scrub(f"error at {url} with tok-123", settings.secrets) == "error at http://alice:***@127.0.0.1:9/ with ***"


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+86 10", "'+86 10"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"), ("召开工委会", "召开工委会"), (48, 48), (-3, -3), (None, None)])
def test_csv_cells_cannot_start_a_formula(value, expected):
    assert safe_cell(value) == expected


def test_csv_written_safely(tmp_path):
    path = write_csv(tmp_path / "entities.csv", "entities", [{"doc_id": "=1+1-abc", "label": "COUNT", "text": "+3次", "start": 0, "end": 3}])
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert rows[1][0] == "'=1+1-abc" and "'+3次" in rows[1]


@pytest.mark.parametrize(
    "option",
    [["--batch-size", "0"], ["--n-process", "0"], ["--max-chars", "-1"], ["--max-chars", "0"]],
)
def test_extract_bad_options_are_usage_errors_before_any_work(tmp_path, option):
    good = tmp_path / "a.txt"
    good.write_text("垡头街道召开工委会48次。", encoding="utf-8")
    res = runner.invoke(app, ["extract", str(good), "--out", str(tmp_path / "o"), *option])
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and option[0] in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_extract_out_is_a_file_or_model_not_a_model(tmp_path):
    good = tmp_path / "a.txt"
    good.write_text("垡头街道召开工委会48次。", encoding="utf-8")
    (tmp_path / "file").write_text("x")
    res = runner.invoke(app, ["extract", str(good), "--out", str(tmp_path / "file")])
    assert res.exit_code == 2 and "not a directory" in res.output and res.output.count("\n") == 1
    (tmp_path / "notamodel").mkdir()
    res = runner.invoke(app, ["extract", str(good), "--out", str(tmp_path / "o"), "--model", str(tmp_path / "notamodel")])
    assert res.exit_code == 2 and "not a spaCy pipeline" in res.output and res.output.count("\n") == 1


def test_evaluate_malformed_jsonl_is_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "x"\n', encoding="utf-8")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.cfg").write_text("[nlp]\n")
    res = runner.invoke(app, ["evaluate", str(tmp_path / "m"), str(bad)])
    assert res.exit_code == 1 and str(bad) in res.output and res.output.count("\n") == 1
    res = runner.invoke(app, ["evaluate", str(tmp_path), str(bad)])
    assert res.exit_code == 2 and "not a spaCy pipeline" in res.output


@pytest.mark.slow
def test_extract_each_failure_printed_once(trained_model, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.txt").write_text("垡头街道召开工委会48次。", encoding="utf-8")
    (tmp_path / "in" / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    res = runner.invoke(app, ["extract", str(tmp_path / "in"), "--out", str(tmp_path / "o"), "--model", str(trained_model)])
    assert res.exit_code == 1
    assert res.output.count("broken.pdf") == 1
    lines = [json.loads(l) for l in (tmp_path / "o" / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(l["status"] for l in lines) == ["failed", "ok"]


def _doc(records):
    return {"doc_id": "d", "path": "d.txt", "status": "ok", "issuer": "某街道", "year": 2024, "entities": [], "sections": [],
            "records": [{"count": {"start": 0, "end": 1, "text": "x"}, "value": v, "unit": u, "approx": None, "activity": {"text": a, "start": 0, "end": 1},
                         "actor": None, "parent": None, "section": "achievements", "sentence": "", "indicator": i, "indicator_name": i, "indicator_unit": f}
                        for a, v, u, i, f in records]}


def test_pivot_averages_rates_and_rounds_to_the_texts_decimals():
    from pipeline.tables.export import pivot_rows

    rate = ("调解成功率", 99, "%", "mediation.success_rate", "%")
    rows = pivot_rows([_doc([rate] * 8 + [("执法检查", 99.2, "次", "enforcement.inspections", "次"), ("执法检查", 198.4, "次", "enforcement.inspections", "次")])])
    by = {r["indicator"]: r for r in rows}
    assert (by["mediation.success_rate"]["aggregate"], by["mediation.success_rate"]["value"], by["mediation.success_rate"]["n_records"]) == ("mean", 99, 8)
    assert (by["enforcement.inspections"]["aggregate"], by["enforcement.inspections"]["value"]) == ("sum", 297.6)


def test_version():
    from importlib.metadata import version

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"fazhi-ie {version('fazhi-ie')}"


def test_long_file_name_gives_a_usable_doc_id(tmp_path):
    from pipeline.batch.document import make_doc_id
    from pipeline.batch.extract import write_text_copy

    path = tmp_path / ("法治政府建设" * 14 + ".txt")  # 84 characters, 252 bytes: legal on ext4
    doc_id = make_doc_id(path, "ab" * 32)
    assert len(doc_id.encode("utf-8")) <= 140 and doc_id.endswith("-abababab" + "ab")
    write_text_copy(tmp_path / "out", doc_id, "文本")
    assert (tmp_path / "out" / "texts" / f"{doc_id}.txt").read_text(encoding="utf-8") == "文本"


def test_fifo_input_fails_without_hanging(tmp_path):
    import os

    from pipeline.batch.document import Job
    from pipeline.batch.extract import hash_job

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    job = hash_job(Job(0, fifo))
    assert job.error == "not a regular file (a pipe, socket or device)"


def _two_reports(tmp_path):
    d = tmp_path / "in"
    (d / "a").mkdir(parents=True)
    (d / "b").mkdir()
    (d / "a" / "report.txt").write_text("垡头街道召开工委会48次。", encoding="utf-8")
    (d / "b" / "report.txt").write_text("垡头街道召开工委会48次。", encoding="utf-8")  # same name, same content, other folder
    (d / "other.txt").write_text("东华门街道审查合同281份。", encoding="utf-8")
    return d


def _manifest(out):
    return [json.loads(l) for l in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_extract_output_lock_live_and_stale(trained_model, tmp_path):
    import os
    import socket

    d = _two_reports(tmp_path)
    out = tmp_path / "o"
    out.mkdir()
    (out / ".fazhi.lock").write_text(f"{os.getpid()} {socket.gethostname()}")
    res = runner.invoke(app, ["extract", str(d), "--out", str(out), "--model", str(trained_model)])
    assert res.exit_code == 2 and "in use by another extraction" in res.output and str(os.getpid()) in res.output
    (out / ".fazhi.lock").write_text(f"999999999 {socket.gethostname()}")  # a killed run's lock
    res = runner.invoke(app, ["extract", str(d), "--out", str(out), "--model", str(trained_model)])
    assert res.exit_code == 0 and len(_manifest(out)) == 3 and not (out / ".fazhi.lock").exists()


@pytest.mark.slow
def test_extract_resume_merges_and_knows_a_file_by_its_resolved_path(trained_model, tmp_path, monkeypatch):
    d = _two_reports(tmp_path)
    out = tmp_path / "o"
    assert runner.invoke(app, ["extract", str(d / "a"), str(d / "b"), "--out", str(out), "--model", str(trained_model)]).exit_code == 0
    monkeypatch.chdir(d)
    res = runner.invoke(app, ["extract", "other.txt", str(d / "a" / "report.txt"), "--out", str(out), "--resume", "--model", str(trained_model)])
    assert res.exit_code == 0 and "1 already done" in res.output
    lines = _manifest(out)
    assert len(lines) == 3  # the b/ result from the first run is kept
    assert len({l["doc_id"] for l in lines}) == 3  # same name and content in two folders: two ids


@pytest.mark.slow
def test_extract_force_clears_stale_outputs(trained_model, tmp_path):
    d = _two_reports(tmp_path)
    out = tmp_path / "o"
    for sub in ("export", "review", "dashboard", "texts"):
        (out / sub).mkdir(parents=True)
        (out / sub / "stale.txt").write_text("old")
    (out / "documents.jsonl").write_text("")
    assert runner.invoke(app, ["extract", str(d / "other.txt"), "--out", str(out), "--force", "--model", str(trained_model)]).exit_code == 0
    assert not any((out / sub / "stale.txt").exists() for sub in ("export", "review", "dashboard", "texts"))


def test_xlsx_has_autofilter_and_column_widths(tmp_path):
    from openpyxl import load_workbook

    from pipeline.tables.export import write_xlsx

    path = write_xlsx(tmp_path / "t.xlsx", [_doc([("召开党工委理论学习中心组学习会议", 12, "次", "study.leadership_sessions", "次")])])
    ws = load_workbook(path)["records"]
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    widths = {k: d.width for k, d in ws.column_dimensions.items() if d.width}
    assert widths and max(widths.values()) > 20  # the activity column is wide enough for its Chinese text


@pytest.mark.slow
def test_document_longer_than_spacy_max_length(nlp_blank):
    """--max-chars above spaCy's max_length (1,000,000): the document is processed, not an E088 crash."""
    from pipeline.batch.document import Job, Options, process_job

    text = ("街道召开工委会48次。\n" * 95_300)[:1_000_100]
    assert len(text) > nlp_blank.max_length
    job = process_job(nlp_blank, Job(0, __import__("pathlib").Path("long.txt")), Options(max_chars=2_000_000), data=text.encode("utf-8"))
    assert job.line["status"] == "ok" and job.line["n_chars"] == len(text)
    assert len(job.line["records"]) == 0  # no NER and no entity_rules in the blank pipeline: nothing to count
