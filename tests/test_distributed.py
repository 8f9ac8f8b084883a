"""Extraction on a real Dask LocalCluster (2 worker processes) equals a local run byte for byte."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.batch.distributed import DaskEngine, parse_scheduler
from pipeline.tables.export import write_tables_csv
from pipeline.batch.extract import Progress, UsageError, extract, load_manifest

from .conftest import RAW

pytestmark = pytest.mark.slow
runner = CliRunner()
MAX_CHARS = 20_000  # low, so that one input fails as too long on a worker
OUTPUTS = ("documents.jsonl", "entities.csv", "records.csv")
VARIANTS = 2  # of each bundled report
N_INPUTS = VARIANTS * 5 + 10


def quiet(n: int) -> Progress:
    return Progress(n, stream=open(os.devnull, "w"))


def assert_same_outputs(out: Path, ref: Path) -> None:
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    texts = lambda d: {p.name: p.read_bytes() for p in (d / "texts").iterdir()}  # noqa: E731
    assert texts(out) == texts(ref)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    """Real reports (a few variants each) and a bad input of every kind a worker or the client meets."""
    import docx
    from pypdf import PdfWriter

    d = tmp_path_factory.mktemp("dask-inputs")
    reports = sorted(RAW.glob("*.txt"))
    for i in range(VARIANTS):
        for p in reports:
            (d / f"{i}-{p.name}").write_text(p.read_text(encoding="utf-8") + f"\n{i}", encoding="utf-8")
    src = reports[0].read_text(encoding="utf-8")
    (d / "gbk.txt").write_bytes(src.encode("gb18030"))
    page = "<html><head><meta charset='gbk'><title>t</title></head><body><nav>首页</nav><article>{}</article></body></html>"
    (d / "page.html").write_bytes(page.format("".join(f"<p>{l}</p>" for l in src.splitlines()[:15])).encode("gb18030"))
    doc = docx.Document()
    for line in src.splitlines()[:12]:
        doc.add_paragraph(line)
    doc.save(d / "report.docx")
    (d / "too-long.txt").write_text(src * 4, encoding="utf-8")
    (d / "x-binary.txt").write_bytes(bytes(range(256)) * 20)
    (d / "x-corrupt.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (d / "x-empty.txt").write_bytes(b"")
    (d / "x-undecodable.txt").write_bytes(b"\x80" + b"\xff\xfa" * 50)
    w = PdfWriter()
    w.add_blank_page(200, 200)
    with open(d / "x-image-only.pdf", "wb") as f:
        w.write(f)
    unsupported = tmp_path_factory.mktemp("dask-other") / "notes.rtf"  # fails on the client, before shipping
    unsupported.write_text("{\\rtf1 text}", encoding="utf-8")
    return [str(d), str(unsupported)]


@pytest.fixture(scope="module")
def local_out(trained_model, inputs, tmp_path_factory) -> Path:
    import spacy

    out = tmp_path_factory.mktemp("local") / "out"
    summary = extract(inputs, out, spacy.load(trained_model), max_chars=MAX_CHARS, progress=quiet(N_INPUTS), write_tables=write_tables_csv)
    assert summary.total == N_INPUTS and summary.ok == N_INPUTS - 7 and summary.failed == 7, summary  # x-* and the empty file
    return out


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def run_on_dask(client, model: Path, inputs: list[str], out: Path, progress: Progress) -> None:
    with DaskEngine(client, model, max_chars=MAX_CHARS) as engine:
        extract(inputs, out, None, max_chars=MAX_CHARS, progress=progress, write_tables=write_tables_csv, engine=engine)


def test_distributed_equals_local_run(trained_model, inputs, local_out, client, tmp_path):
    out = tmp_path / "out"
    run_on_dask(client, trained_model, inputs, out, quiet(N_INPUTS))
    assert_same_outputs(out, local_out)
    docs = [json.loads(l) for l in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    errors = {Path(d["path"]).name: d["error"] for d in docs if d["status"] == "failed"}
    assert "more than the limit" in errors["too-long.txt"] and "unsupported file type" in errors["notes.rtf"]
    assert {"report.docx", "page.html", "gbk.txt"} <= {Path(d["path"]).name for d in docs if (d["text_path"] or "").startswith("texts/")}


def test_distributed_worker_killed_mid_run_loses_nothing(trained_model, inputs, local_out, client, tmp_path):
    killed: list[int] = []

    class KillAWorker(Progress):
        def update(self, job):
            super().update(job)
            if self.done == 3:
                # a worker that holds a document right now: its task must be re-run elsewhere
                busy = {addr: keys for addr, keys in client.processing().items() if any("fazhi-extract" in str(k) for k in keys)}
                if busy:
                    addr = sorted(busy)[0]
                    pid = client.run(os.getpid, workers=[addr])[addr]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

    out = tmp_path / "out"
    run_on_dask(client, trained_model, inputs, out, KillAWorker(N_INPUTS, stream=open(os.devnull, "w")))
    assert killed, "no worker held a document when the third finished: the kill tested nothing"
    assert killed[0] not in client.run(os.getpid).values()  # that worker really died
    assert len(load_manifest(out / "documents.jsonl")) == N_INPUTS  # every input accounted for
    assert_same_outputs(out, local_out)


def test_distributed_resume_after_sigkill_equals_local_run(trained_model, inputs, local_out, tmp_path):
    cmd = [
        sys.executable, "-m", "pipeline.cli", "extract", *inputs, "--model", str(trained_model),
        "--max-chars", str(MAX_CHARS), "--scheduler", "local:2", "--out", str(tmp_path / "part"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    manifest = tmp_path / "part" / "documents.jsonl"
    deadline = time.time() + 90
    while time.time() < deadline and proc.poll() is None:
        if manifest.exists() and manifest.read_text(encoding="utf-8").count("\n") >= 4:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the client and its cluster's processes
    proc.wait()
    n_before = len(load_manifest(manifest))
    assert 4 <= n_before < N_INPUTS, "the run must be killed part-way"
    res = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stderr  # the bad inputs failed
    assert f"{n_before} already done" in res.stdout
    assert_same_outputs(tmp_path / "part", local_out)


def test_distributed_scheduler_option_usage_errors(trained_model, tmp_path):
    assert parse_scheduler("local:3") == 3 and parse_scheduler("tcp://10.0.0.5:8786") is None
    for bad in ("local:0", "local:x", ""):
        with pytest.raises(UsageError):
            parse_scheduler(bad)
    good = str(RAW / "guangnei-jiedao-2021.txt")
    base = ["extract", good, "--out", str(tmp_path / "o"), "--model", str(trained_model)]
    res = runner.invoke(app, [*base, "--scheduler", "local:x"])
    assert res.exit_code == 2 and "--scheduler" in res.output
    res = runner.invoke(app, [*base, "--scheduler", "local:2", "--n-process", "2"])
    assert res.exit_code == 2 and "--n-process" in res.output
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        res = runner.invoke(app, [*base, "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2 and "cannot reach the Dask scheduler" in res.output
    assert not (tmp_path / "o").exists()  # nothing written before the cluster answered


def test_distributed_workers_with_other_versions_are_refused(trained_model, client, monkeypatch):
    import pipeline.batch.distributed as dist

    versions = {**dist.package_versions(), "spacy": "0.0.1"}
    monkeypatch.setattr(dist, "package_versions", lambda: versions)
    with pytest.raises(UsageError, match="install the same versions"):
        with DaskEngine(client, trained_model):
            pass
    assert not any(name.startswith("fazhi-model-") for name in client.run(lambda dask_worker: list(dask_worker.plugins)).popitem()[1])
