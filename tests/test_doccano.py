"""The doccano loop: offsets, settings, pull's file handling, and the whole loop on a real server.

The fast tests need neither doccano nor doccano-client. The slow ones install
doccano 1.8.4 into ``.venv-doccano-server`` (skipped when already there) and
doccano-client into ``.venv-doccano-client`` (``make doccano-client``), start
the web server on 127.0.0.1 and the task worker, and stop both afterwards,
also when a test fails.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
import spacy
from typer.testing import CliRunner

from pipeline import errors
from pipeline.annotation import annotate
from pipeline.annotation.annotate import (
    AnnotateError,
    DoccanoSettings,
    Utf16Offsets,
    export_line_to_doc,
    indicator_ids,
    from_utf16,
    load_settings,
    pull,
    push,
    read_export,
    suggestions_from_doc,
    to_utf16,
    uncertainty,
)
from pipeline.cli import app
from pipeline.learning.corpus import AnnSpan, AnnotatedDoc, load_corpus, parse_doc, validate_paths
from pipeline.annotation.retrain import retrain, split_docs

REPO = Path(__file__).resolve().parents[1]
SERVER_VENV = REPO / ".venv-doccano-server"
SERVER_PACKAGES = ["doccano==1.8.4", "numpy<2", "marshmallow<4"]
YOSHINO = "𠮷野家街道2021年共召开工委会48次。\n审查合同281份，办理《行政复议法》案件3件。"


def units(text: str, start: int, end: int) -> str:
    """The text between two UTF-16 offsets, as doccano's UI reads it."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


# ---------------------------------------------------------------- UTF-16 offsets


def test_annotate_utf16_offsets_shift_after_non_bmp_character():
    conv = Utf16Offsets(YOSHINO)
    i = YOSHINO.index("48次")
    assert conv.to_utf16(0) == 0 and conv.to_utf16(1) == 2
    assert conv.to_utf16(i) == i + 1
    assert units(YOSHINO, conv.to_utf16(i), conv.to_utf16(i + 3)) == "48次"
    for offset in range(len(YOSHINO) + 1):
        assert conv.from_utf16(conv.to_utf16(offset)) == offset
    assert to_utf16(YOSHINO, len(YOSHINO)) == len(YOSHINO.encode("utf-16-le")) // 2
    assert from_utf16(YOSHINO, i + 1) == i


def test_annotate_utf16_offsets_are_identity_inside_the_bmp():
    text = "共召开工委会48次。"
    assert [to_utf16(text, i) for i in range(len(text) + 1)] == list(range(len(text) + 1))
    assert from_utf16(text, 6) == 6


def test_annotate_utf16_offset_inside_a_surrogate_pair_or_out_of_range_is_refused():
    with pytest.raises(ValueError, match="surrogate"):
        from_utf16(YOSHINO, 1)
    with pytest.raises(ValueError):
        from_utf16(YOSHINO, 10_000)
    with pytest.raises(ValueError):
        to_utf16(YOSHINO, len(YOSHINO) + 1)


def test_annotate_export_line_converts_offsets_merges_duplicates_and_renumbers():
    conv = Utf16Offsets(YOSHINO)
    c0 = YOSHINO.index("48次")
    a0 = YOSHINO.index("召开工委会")
    line = {
        "id": 7,
        "text": YOSHINO,
        "doc_id": "yoshino",
        "entities": [
            {"id": 31, "start_offset": conv.to_utf16(c0), "end_offset": conv.to_utf16(c0 + 3), "label": "COUNT"},
            {"id": 30, "start_offset": conv.to_utf16(a0), "end_offset": conv.to_utf16(a0 + 5), "label": "ACTIVITY"},
            {"id": 40, "start_offset": 0, "end_offset": 6, "label": "INSTITUTION"},
            # the same span by a second annotator (collaborative projects export both)
            {"id": 41, "start_offset": 0, "end_offset": 6, "label": "INSTITUTION"},
        ],
        "relations": [{"id": 5, "from_id": 31, "to_id": 30, "type": "QUANTIFIES"}],
        "Comments": [],
    }
    problems: list[str] = []
    doc = export_line_to_doc(line, problems)
    assert problems == []
    assert doc["id"] == "yoshino"
    got = {(e["start_offset"], e["end_offset"], e["label"]) for e in doc["entities"]}
    assert got == {(0, 5, "INSTITUTION"), (a0, a0 + 5, "ACTIVITY"), (c0, c0 + 3, "COUNT")}
    assert [e["id"] for e in doc["entities"]] == [1, 2, 3]
    by_id = {e["id"]: e for e in doc["entities"]}
    (rel,) = doc["relations"]
    assert YOSHINO[by_id[rel["from_id"]]["start_offset"] : by_id[rel["from_id"]]["end_offset"]] == "48次"
    assert YOSHINO[by_id[rel["to_id"]]["start_offset"] : by_id[rel["to_id"]]["end_offset"]] == "召开工委会"


def test_annotate_export_line_indicator_relation_type_becomes_the_corpus_indicator():
    text = "召开工委会48次，审查合同281份。"
    c0, a0 = text.index("48次"), text.index("召开工委会")
    c1, a1 = text.index("281份"), text.index("审查合同")
    line = {
        "id": 1,
        "text": text,
        "entities": [
            {"id": 1, "start_offset": c0, "end_offset": c0 + 3, "label": "COUNT"},
            {"id": 2, "start_offset": a0, "end_offset": a0 + 5, "label": "ACTIVITY"},
            {"id": 3, "start_offset": c1, "end_offset": c1 + 4, "label": "COUNT"},
            {"id": 4, "start_offset": a1, "end_offset": a1 + 4, "label": "ACTIVITY"},
        ],
        "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "decision.collective_meetings"}, {"id": 2, "from_id": 3, "to_id": 4, "type": "QUANTIFIES"}],
    }
    doc = export_line_to_doc(line, [])
    assert sorted(r["type"] for r in doc["relations"]) == ["QUANTIFIES", "QUANTIFIES"]
    parsed = parse_doc(doc)
    # the decided indicator is kept per COUNT; the undecided relation carries none
    assert parsed.indicators == {(c0, c0 + 3): "decision.collective_meetings"}


def test_annotate_export_line_without_doc_id_is_named_by_text_hash():
    doc = export_line_to_doc({"id": 1, "text": "审查合同281份。", "label": [[4, 8, "COUNT"]]}, [])
    assert doc["id"].startswith("doc-") and len(doc["id"]) == 16
    assert doc["entities"] == [{"id": 1, "start_offset": 4, "end_offset": 8, "label": "COUNT"}]


def test_annotate_export_span_splitting_a_surrogate_pair_is_a_problem():
    problems: list[str] = []
    export_line_to_doc({"id": 1, "text": YOSHINO, "entities": [{"id": 1, "start_offset": 1, "end_offset": 6, "label": "LAW"}]}, problems)
    assert len(problems) == 1 and "surrogate" in problems[0]


# ---------------------------------------------------------------- settings


def clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """No FAZHI_DOCCANO_* variables but ``values``, and an empty config file."""
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    return {"FAZHI_DOCCANO_CONFIG": str(tmp_path / "empty.toml"), **values}


def test_annotate_settings_from_environment(tmp_path):
    s = load_settings({"FAZHI_DOCCANO_URL": "http://127.0.0.1:8000/", "FAZHI_DOCCANO_USERNAME": "ann", "FAZHI_DOCCANO_PASSWORD": "pw-123"})
    assert (s.url, s.username, s.password, s.token) == ("http://127.0.0.1:8000", "ann", "pw-123", None)
    assert "pw-123" not in repr(s) and "pw-123" not in str(s)


def test_annotate_settings_from_toml_file_env_wins(tmp_path):
    cfg = tmp_path / "doccano.toml"
    cfg.write_text('[doccano]\nurl = "http://doccano.local:8000"\nusername = "ann"\npassword = "from-file"\n', encoding="utf-8")
    s = load_settings({"FAZHI_DOCCANO_CONFIG": str(cfg)})
    assert (s.url, s.username, s.password) == ("http://doccano.local:8000", "ann", "from-file")
    s = load_settings({"FAZHI_DOCCANO_CONFIG": str(cfg), "FAZHI_DOCCANO_PASSWORD": "from-env"})
    assert s.password == "from-env"


def test_annotate_settings_from_ini_file_with_token(tmp_path):
    cfg = tmp_path / "doccano.ini"
    cfg.write_text("[doccano]\nurl = http://doccano.local:8000\ntoken = abc%def\n", encoding="utf-8")
    s = load_settings({"FAZHI_DOCCANO_CONFIG": str(cfg)})
    assert (s.url, s.token, s.username) == ("http://doccano.local:8000", "abc%def", None)


def test_annotate_settings_default_file_under_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".config" / "fazhi").mkdir(parents=True)
    (tmp_path / ".config" / "fazhi" / "doccano.toml").write_text('url = "http://h:1"\ntoken = "t0k"\n', encoding="utf-8")
    assert load_settings({}).token == "t0k"


def test_annotate_settings_errors_name_what_to_set(tmp_path):
    with pytest.raises(AnnotateError, match="FAZHI_DOCCANO_URL"):
        load_settings(clean_env(tmp_path))
    with pytest.raises(AnnotateError, match="credentials"):
        load_settings(clean_env(tmp_path, FAZHI_DOCCANO_URL="http://h:1", FAZHI_DOCCANO_USERNAME="ann"))
    with pytest.raises(AnnotateError, match="not found"):
        load_settings({"FAZHI_DOCCANO_CONFIG": str(tmp_path / "missing.toml"), "FAZHI_DOCCANO_URL": "http://h:1"})


def test_annotate_settings_bad_file_error_does_not_quote_the_password(tmp_path):
    cfg = tmp_path / "doccano.toml"
    cfg.write_text("[doccano\npassword = hunter2-secret\n", encoding="utf-8")
    with pytest.raises(AnnotateError) as err:
        load_settings({"FAZHI_DOCCANO_CONFIG": str(cfg)})
    assert "hunter2-secret" not in str(err.value)


def test_annotate_settings_file_inside_the_repository_is_refused(tmp_path):
    inside = REPO / "training" / "doccano-test-settings.toml"
    inside.parent.mkdir(exist_ok=True)
    inside.write_text('url = "http://h:1"\ntoken = "t"\n', encoding="utf-8")
    try:
        with pytest.raises(AnnotateError, match="outside"):
            load_settings({"FAZHI_DOCCANO_CONFIG": str(inside)})
    finally:
        inside.unlink()


# ---------------------------------------------------------------- suggestions and ordering


def test_annotate_suggestions_from_entities_and_records():
    nlp = spacy.blank("zh")
    text = "共召开工委会48次、主任办公会33次。"
    doc = nlp.make_doc(text)
    c1, c2 = text.index("48次"), text.index("33次")
    doc.ents = [doc.char_span(3, 6, "INSTITUTION"), doc.char_span(c1, c1 + 3, "COUNT"), doc.char_span(c2, c2 + 3, "COUNT")]
    act = text.index("主任办公会")
    doc._.records = [
        {"count": {"start": c1, "end": c1 + 3}, "activity": {"text": "召开工委会", "start": 1, "end": 6}, "indicator": "decision.collective_meetings"},
        {"count": {"start": c2, "end": c2 + 3}, "activity": {"text": "召开主任办公会", "start": act, "end": act + 5}},
        # a distributed record with the same evidence: no second ACTIVITY span, no second relation
        {"count": {"start": c2, "end": c2 + 3}, "activity": {"text": "召开主任办公会", "start": act, "end": act + 5}},
        # a record whose count is not an entity is skipped
        {"count": {"start": 0, "end": 1}, "activity": {"text": "共", "start": 0, "end": 1}},
    ]
    sug = suggestions_from_doc(doc, {(c1, c1 + 3, "COUNT"): 0.9})
    labels = [(text[s:e], lab) for s, e, lab, _ in sug.spans]
    assert labels == [("工委会", "INSTITUTION"), ("48次", "COUNT"), ("33次", "COUNT"), ("召开工委会", "ACTIVITY"), ("主任办公会", "ACTIVITY")]
    assert sug.spans[1][3] == 0.9
    # the relation type carries the record's indicator; a record without one gets QUANTIFIES
    assert [(labels[a][0], labels[b][0], t) for a, b, t in sug.relations] == [
        ("48次", "召开工委会", "decision.collective_meetings"),
        ("33次", "主任办公会", "QUANTIFIES"),
    ]


def test_annotate_uncertainty_is_zero_when_the_beam_agrees():
    assert uncertainty({}) == 0.0
    assert uncertainty({(0, 1, "COUNT"): 1.0, (2, 3, "LAW"): 0.0}) == 0.0
    assert uncertainty({(0, 1, "COUNT"): 0.5, (2, 3, "LAW"): 1.0}) == 0.25


def test_annotate_push_refuses_uncertainty_without_model_and_unknown_order(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(YOSHINO, encoding="utf-8")
    with pytest.raises(AnnotateError, match="needs --model"):
        push([f], "p", None, order="uncertainty", settings=DoccanoSettings("http://h:1", token="t"))
    with pytest.raises(AnnotateError, match="unknown order"):
        push([f], "p", None, order="random", settings=DoccanoSettings("http://h:1", token="t"))


# ---------------------------------------------------------------- pull's files, with a stand-in bridge


def fake_export(monkeypatch, lines_by_user: dict[str, list[dict[str, Any]]]) -> None:
    def bridge(settings, action, args, timeout=0):
        if action == "find_project":
            return {"id": 1, "name": args["name"], "url": "http://h:1/projects/1", "project_type": "SequenceLabeling", "grapheme_mode": False}
        assert action == "export"
        path = Path(args["dir"]) / "export.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for user, lines in lines_by_user.items():
                zf.writestr(f"{user}.jsonl", "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines))
        return {"path": str(path)}

    monkeypatch.setattr(annotate, "call_bridge", bridge)


def line(example_id: int, text: str, ents: list[tuple[int, int, str]], doc_id: str = "d") -> dict[str, Any]:
    return {
        "id": example_id,
        "text": text,
        "doc_id": doc_id,
        "entities": [{"id": i, "start_offset": s, "end_offset": e, "label": lab} for i, (s, e, lab) in enumerate(ents)],
        "relations": [],
        "Comments": [],
    }


SETTINGS = DoccanoSettings("http://h:1", "ann", "pw-123")


def test_annotate_pull_adds_then_refuses_to_overwrite_without_force(tmp_path, monkeypatch):
    out = tmp_path / "pulled"
    fake_export(monkeypatch, {"all": [line(1, YOSHINO, [(0, 6, "INSTITUTION")])]})
    r = pull("p", out, settings=SETTINGS)
    assert (r.added, r.changed, r.problems) == (["d"], [], [])
    assert json.loads((out / "d.jsonl").read_text(encoding="utf-8"))["entities"][0]["end_offset"] == 5
    r = pull("p", out, settings=SETTINGS)
    assert (r.added, r.unchanged) == ([], ["d"])
    before = (out / "d.jsonl").read_text(encoding="utf-8")
    fake_export(monkeypatch, {"all": [line(1, YOSHINO, [(0, 6, "LAW")])]})
    with pytest.raises(AnnotateError, match="--force"):
        pull("p", out, settings=SETTINGS)
    assert (out / "d.jsonl").read_text(encoding="utf-8") == before
    r = pull("p", out, force=True, settings=SETTINGS)
    assert r.changed == ["d"]
    assert '"LAW"' in (out / "d.jsonl").read_text(encoding="utf-8")


def test_annotate_pull_cli_overwrite_refusal_is_one_line(tmp_path, monkeypatch):
    out = tmp_path / "pulled"
    out.mkdir()
    (out / "d.jsonl").write_text("{}\n", encoding="utf-8")
    fake_export(monkeypatch, {"all": [line(1, YOSHINO, [(0, 6, "INSTITUTION")])]})
    monkeypatch.setattr(annotate, "load_settings", lambda env=None: SETTINGS)
    res = CliRunner().invoke(app, ["annotate", "pull", "--project", "p", "--out", str(out)])
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0 and "--force" in res.output and "Traceback" not in res.output


def test_annotate_pull_reports_validator_problems(tmp_path, monkeypatch):
    fake_export(monkeypatch, {"all": [line(1, YOSHINO, [(0, 6, "INSTITUTION"), (2, 8, "LAW")])]})
    r = pull("p", tmp_path, settings=SETTINGS)
    assert len(r.problems) == 1 and "overlapping" in r.problems[0]


def test_annotate_read_export_merges_per_user_files(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        agree = [line(1, "审查合同281份。", [(4, 8, "COUNT")], "a"), line(2, "办理案件3件。", [], "b"), line(3, "共5次。", [(1, 3, "COUNT")], "c")]
        other = [line(1, "审查合同281份。", [(4, 8, "COUNT")], "a"), line(2, "办理案件3件。", [(4, 6, "COUNT")], "b"), line(3, "共5次。", [(1, 2, "COUNT")], "c")]
        zf.writestr("ann1.jsonl", "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in agree))
        zf.writestr("ann2.jsonl", "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in other))
    docs, conflicts, problems = read_export(path)
    assert [d["id"] for d in docs] == ["a", "b"]
    assert docs[1]["entities"][0]["start_offset"] == 4
    assert len(conflicts) == 1 and conflicts[0].startswith("c:")


def test_annotate_cli_without_settings_fails_in_one_line(tmp_path, monkeypatch):
    for key in ("URL", "USERNAME", "PASSWORD", "TOKEN"):
        monkeypatch.delenv(f"FAZHI_DOCCANO_{key}", raising=False)
    monkeypatch.setenv("FAZHI_DOCCANO_CONFIG", clean_env(tmp_path)["FAZHI_DOCCANO_CONFIG"])
    res = CliRunner().invoke(app, ["annotate", "pull", "--project", "p", "--out", str(tmp_path)])
    assert res.exit_code == 1 and res.output.startswith("error: no doccano address") and res.output.strip().count("\n") == 0


# ---------------------------------------------------------------- retrain's split


def ann(doc_id: str, text: str, spans: list[tuple[int, int, str]] = ()) -> AnnotatedDoc:
    return AnnotatedDoc(doc_id, text, [AnnSpan(s, e, lab, i) for i, (s, e, lab) in enumerate(spans)])


def test_retrain_split_keeps_heldout_out_of_training_and_lets_pulled_replace():
    corpus = [ann("held", "甲"), ann("a", "乙", [(0, 1, "COUNT")]), ann("b", "丙")]
    pulled = [ann("a", "乙", [(0, 1, "LAW")]), ann("held", "甲"), ann("copy-of-held", "甲"), ann("b2", "丙"), ann("new", "丁")]
    base, cand, heldout, new = split_docs(corpus, pulled, ["held"])
    assert [d.doc_id for d in heldout] == ["held"]
    assert [d.doc_id for d in base] == ["a", "b"]
    assert sorted(d.doc_id for d in cand) == ["a", "b2", "new"]
    assert next(d for d in cand if d.doc_id == "a").spans[0].label == "LAW"
    assert new == ["a", "new"]


# ---------------------------------------------------------------- the real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_installed() -> bool:
    python = SERVER_VENV / "bin" / "python"
    check = "import importlib.metadata as m, sys; sys.exit(m.version('doccano') != '1.8.4')"
    return python.exists() and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0


def stop(proc: subprocess.Popen) -> None:
    """End a process group we started: TERM, then KILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass


@dataclass
class Server:
    url: str
    home: Path
    admin: DoccanoSettings


@pytest.fixture(scope="session")
def doccano_client() -> Path:
    """doccano-client in its own venv, through the Makefile target."""
    python = annotate.client_python()
    if not python.exists() or subprocess.run([str(python), "-I", "-c", "import doccano_client"], capture_output=True).returncode:
        subprocess.run(["make", "-s", "doccano-client"], cwd=REPO, check=True, capture_output=True, timeout=900)
    return python


@pytest.fixture(scope="session")
def doccano_server(tmp_path_factory, doccano_client) -> Iterator[Server]:
    """A real doccano on 127.0.0.1: installed once, fresh database, torn down afterwards."""
    if not server_installed():
        subprocess.run([sys.executable, "-m", "venv", str(SERVER_VENV)], check=True, timeout=300)
        subprocess.run([str(SERVER_VENV / "bin" / "pip"), "install", "-q", *SERVER_PACKAGES], check=True, capture_output=True, timeout=1800)
    home = tmp_path_factory.mktemp("doccano-home")
    site = next((SERVER_VENV / "lib").glob("python3*/site-packages"))
    env = {
        **os.environ,
        "DOCCANO_HOME": str(home),
        "STANDALONE": "True",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"sqlite:///{home}/db.sqlite3",
        "MEDIA_ROOT": str(home / "media"),
    }
    doccano = str(SERVER_VENV / "bin" / "doccano")
    subprocess.run([doccano, "init"], env=env, check=True, capture_output=True, timeout=600)
    admin_pw = "Adm1n-pw-xyzzy"
    subprocess.run([doccano, "createuser", "--username", "admin", "--password", admin_pw], env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    try:
        # The worker first, and the web server only once the worker is ready: started together, both
        # create celery's SQLite broker tables at once and one of them fails (UNIQUE constraint on
        # kombu_queue.name), which made this fixture fail now and then.
        deadline = time.monotonic() + 180
        for name, cmd in (
            ("task", [doccano, "task", "--concurrency", "1"]),
            ("web", [str(SERVER_VENV / "bin" / "gunicorn"), "--chdir", str(site / "backend"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "config.wsgi"]),
        ):
            log = open(home / f"{name}.log", "wb")
            procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))
            while name == "task" and b" ready." not in (home / "task.log").read_bytes():
                if procs[-1].poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"doccano's task worker did not start: {(home / 'task.log').read_text(errors='replace')[-500:]}")
                time.sleep(0.2)
        while True:
            try:
                if requests.get(f"{url}/v1/health/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or busy starting
                pass
            dead = [p for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = " | ".join((home / f"{n}.log").read_text(errors="replace")[-500:] for n in ("web", "task"))
                pytest.fail(f"doccano did not become healthy: {logs}")
            time.sleep(0.5)
        yield Server(url, home, DoccanoSettings(url, "admin", admin_pw))
    finally:
        for p in reversed(procs):
            stop(p)


class Person:
    """A person in doccano's UI: the same REST calls the browser makes (offsets in UTF-16 units)."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.api = f"{url}/v1"
        self.s = requests.Session()
        self.s.headers["Referer"] = url
        r = self.s.post(f"{self.api}/auth/login/", json={"username": username, "password": password}, timeout=30)
        r.raise_for_status()
        self.s.headers["X-CSRFToken"] = self.s.cookies.get("csrftoken")

    def get(self, path: str, **params: Any) -> Any:
        r = self.s.get(f"{self.api}/{path}", params=params, timeout=30)
        r.raise_for_status()
        return r.json()

    def send(self, method: str, path: str, body: Any = None) -> Any:
        r = self.s.request(method, f"{self.api}/{path}", json=body, timeout=30)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None


def quick_model(tmp: Path) -> Path:
    """A model trained one epoch on one report, plus an entity ruler so its suggestions are known.

    One epoch predicts next to nothing; the ruler (before ``ner``) makes the
    push carry entities and records (through the record linker) whatever the
    trained weights say. One suggestion is deliberately wrong (2021年 as
    MECHANISM) and one COUNT (3件) is missing, for the person to fix.
    """
    from pipeline.learning.train import train_model

    docs = [d for d in load_corpus([REPO / "corpus" / "annotations"]) if d.doc_id == "dongsan-jiedao-2024"]
    train_model(docs, tmp / "quick", overrides={"training.max_epochs": 1})
    nlp = spacy.load(tmp / "quick" / "model-best")
    ruler = nlp.add_pipe("entity_ruler", before="ner")
    ruler.add_patterns(
        [
            {"label": "INSTITUTION", "pattern": "工委会"},
            {"label": "COUNT", "pattern": "48次"},
            {"label": "COUNT", "pattern": "281份"},
            {"label": "LAW", "pattern": "《行政复议法》"},
        ]
    )
    # the wrong suggestion goes in after entity_rules, which would drop a MECHANISM without a head word
    wrong = nlp.add_pipe("entity_ruler", name="wrong_suggestion", after="entity_rules")
    wrong.add_patterns([{"label": "MECHANISM", "pattern": "2021年"}])
    nlp.to_disk(tmp / "model")
    return tmp / "model"


def span_text(text: str, span: dict[str, Any]) -> str:
    return units(text, span["start_offset"], span["end_offset"])


@pytest.mark.slow
def test_doccano_connection_errors_never_show_the_password(doccano_server):
    closed = DoccanoSettings(f"http://127.0.0.1:{free_port()}", "admin", "pw-Very-Secret-42")
    with pytest.raises(AnnotateError) as err:
        pull("fazhi", Path("unused"), settings=closed)
    assert "pw-Very-Secret-42" not in str(err.value) and "cannot reach" in str(err.value)
    wrong = DoccanoSettings(doccano_server.url, "admin", "pw-Very-Secret-42")
    with pytest.raises(AnnotateError) as err:
        pull("fazhi", Path("unused"), settings=wrong)
    assert "pw-Very-Secret-42" not in str(err.value) and "refused" in str(err.value)


@pytest.mark.slow
def test_doccano_push_annotate_pull_retrain(doccano_server, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # the training config reads corpus/rules/ relative to the repository
    server, admin = doccano_server, doccano_server.admin
    project = "fazhi-loop"
    model = quick_model(tmp_path)
    yoshino = tmp_path / "yoshino-jiedao-2021.txt"
    yoshino.write_text(YOSHINO, encoding="utf-8")
    docs = [yoshino, REPO / "corpus" / "annotations" / "fatou-jiedao-2023.jsonl"]

    # push: project, labels, relation type and guideline; two documents with suggestions
    first = push(docs, project, model, order="uncertainty", settings=admin)
    assert first.project["created"] and sorted(first.added) == ["fatou-jiedao-2023", "yoshino-jiedao-2021"]
    assert set(first.uncertainty) == set(first.added) and all(0.0 <= u <= 0.5 for u in first.uncertainty.values())
    assert first.url == f"{server.url}/projects/{first.project['id']}"
    pid = first.project["id"]
    boss = Person(server.url, admin.username, admin.password)
    proj = boss.get(f"projects/{pid}")
    assert proj["use_relation"] and proj["project_type"] == "SequenceLabeling" and "Annotation guidelines" in proj["guideline"]
    assert {t["text"] for t in boss.get(f"projects/{pid}/span-types")} == {"COUNT", "LAW", "INSTITUTION", "MECHANISM", "ACTIVITY"}
    # relation types: QUANTIFIES (indicator not decided) and every indicator of the taxonomy
    assert [t["text"] for t in boss.get(f"projects/{pid}/relation-types")] == ["QUANTIFIES", *indicator_ids()]
    assert len(indicator_ids()) == 45 and "review.contracts" in indicator_ids()

    # pushing the same documents again (through the CLI) adds nothing
    env = {"FAZHI_DOCCANO_URL": server.url, "FAZHI_DOCCANO_USERNAME": admin.username, "FAZHI_DOCCANO_PASSWORD": admin.password}
    res = CliRunner().invoke(app, ["annotate", "push", *map(str, docs), "--project", project, "--model", str(model)], env=env)
    assert res.exit_code == 0, res.output
    assert "pushed 0 new document(s) (2 already there)" in res.output and f"/projects/{pid}" in res.output
    assert admin.password not in res.output
    assert boss.get(f"projects/{pid}/examples", limit=10)["count"] == 2

    # the suggestions sit at the right UTF-16 offsets after the non-BMP 𠮷
    ex = next(e for e in boss.get(f"projects/{pid}/examples", limit=10)["results"] if e["meta"]["doc_id"] == "yoshino-jiedao-2021")
    span_types = {t["text"]: t["id"] for t in boss.get(f"projects/{pid}/span-types")}
    names = {v: k for k, v in span_types.items()}
    spans = boss.get(f"projects/{pid}/examples/{ex['id']}/spans")
    suggested = {(span_text(YOSHINO, s), names[s["label"]]) for s in spans}
    assert {("工委会", "INSTITUTION"), ("48次", "COUNT"), ("281份", "COUNT"), ("《行政复议法》", "LAW"), ("2021年", "MECHANISM")} <= suggested
    assert ("审查合同", "ACTIVITY") in suggested
    relations = boss.get(f"projects/{pid}/examples/{ex['id']}/relations")
    by_id = {s["id"]: s for s in spans}
    assert ("281份", "审查合同") in {(span_text(YOSHINO, by_id[r["from_id"]]), span_text(YOSHINO, by_id[r["to_id"]])) for r in relations}

    # a person (an ordinary user, not staff) joins as annotator, fixes the suggestions, marks the document done;
    # editing spans made by the pushing account works because fazhi makes the project collaborative
    password = "Ann0tator-pw-plugh"
    user = boss.send("POST", "users/create", {"username": "wang", "email": "wang@example.org", "password1": password, "password2": password})
    assert not user["is_staff"] and not user["is_superuser"]
    roles = {r["name"]: r["id"] for r in boss.get("roles")}
    boss.send("POST", f"projects/{pid}/members", {"user": user["id"], "role": roles["annotator"]})
    person = Person(server.url, "wang", password)
    base = f"projects/{pid}/examples/{ex['id']}"
    conv = Utf16Offsets(YOSHINO)

    def at(piece: str) -> tuple[int, int]:
        i = YOSHINO.index(piece)
        return conv.to_utf16(i), conv.to_utf16(i + len(piece))

    wrong = next(s for s in spans if span_text(YOSHINO, s) == "2021年")
    person.send("DELETE", f"{base}/spans/{wrong['id']}")
    count48 = next(s for s in spans if span_text(YOSHINO, s) == "48次")
    act48 = next(by_id[r["to_id"]] for r in relations if r["from_id"] == count48["id"])
    s0, s1 = at("召开工委会")
    person.send("PATCH", f"{base}/spans/{act48['id']}", {"start_offset": s0, "end_offset": s1})
    s0, s1 = at("𠮷野家街道")
    assert (s0, s1) == (0, 6)
    person.send("POST", f"{base}/spans", {"label": span_types["INSTITUTION"], "start_offset": s0, "end_offset": s1})
    s0, s1 = at("3件")
    count3 = person.send("POST", f"{base}/spans", {"label": span_types["COUNT"], "start_offset": s0, "end_offset": s1})
    s0, s1 = at("办理《行政复议法》案件")
    act3 = person.send("POST", f"{base}/spans", {"label": span_types["ACTIVITY"], "start_offset": s0, "end_offset": s1})
    # the annotator records the indicator of the new record as its relation type
    rel_types = {t["text"]: t["id"] for t in boss.get(f"projects/{pid}/relation-types")}
    person.send("POST", f"{base}/relations", {"from_id": count3["id"], "to_id": act3["id"], "type": rel_types["disputes.admin_review_cases"]})
    person.send("POST", f"{base}/states", {})
    assert person.get(f"projects/{pid}/examples/{ex['id']}")["is_confirmed"]

    # pull: only the confirmed document, in code point offsets, valid
    pulled = tmp_path / "pulled"
    got = pull(project, pulled, settings=admin)
    assert (got.added, got.changed, got.conflicts, got.problems) == (["yoshino-jiedao-2021"], [], [], [])
    assert validate_paths([pulled]) == []
    (doc,) = load_corpus([pulled])
    assert doc.doc_id == "yoshino-jiedao-2021" and doc.text == YOSHINO
    found = {(doc.text[s.start : s.end], s.label, s.start) for s in doc.spans}
    assert ("𠮷野家街道", "INSTITUTION", 0) in found
    assert ("3件", "COUNT", YOSHINO.index("3件")) in found
    assert ("召开工委会", "ACTIVITY", YOSHINO.index("召开工委会")) in found
    assert not any(label == "MECHANISM" for _, label, _ in found)
    spans_by_id = {s.id: s for s in doc.spans}
    pairs = {(doc.text[spans_by_id[a].start : spans_by_id[a].end], doc.text[spans_by_id[b].start : spans_by_id[b].end]) for a, b, _ in doc.relations}
    assert {("48次", "召开工委会"), ("3件", "办理《行政复议法》案件"), ("281份", "审查合同")} <= pairs
    # the indicator comes back on the corpus relation (type QUANTIFIES + indicator), keyed by its COUNT
    i3 = YOSHINO.index("3件")
    assert doc.indicators[(i3, i3 + 2)] == "disputes.admin_review_cases"

    # retrain a few steps: pull again (unchanged), train baseline and candidate, compare on the held-out report
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("guangnei-jiedao-2021", "donghuamen-jiedao-2024"):
        shutil.copy(REPO / "corpus" / "annotations" / f"{name}.jsonl", corpus)
    kwargs = dict(
        pulled=pulled,
        corpus=[corpus],
        heldout_file=REPO / "configs" / "heldout.txt",
        output=tmp_path / "retrain",
        baseline_dir=tmp_path / "baseline-heldout",
        model_best=tmp_path / "model-best",
        overrides={"training.max_epochs": 1},
        settings=admin,
    )
    result = retrain(project, **kwargs)
    assert result.pulled is not None and result.pulled.unchanged == ["yoshino-jiedao-2021"]
    assert result.heldout == ["guangnei-jiedao-2021"]
    assert sorted(result.train_docs) == ["donghuamen-jiedao-2024", "yoshino-jiedao-2021"]
    assert result.new_docs == ["yoshino-jiedao-2021"] and result.baseline_rebuilt
    assert "**micro**" in result.table
    assert result.kept == (result.candidate["micro"]["strict"]["f"] >= result.baseline["micro"]["strict"]["f"])
    assert (tmp_path / "model-best").exists() == result.kept
    assert json.loads((tmp_path / "retrain" / "retrain.json").read_text(encoding="utf-8"))["kept"] == result.kept
    # the pulled indicator retrained the candidate's indicator table
    table = json.loads((tmp_path / "retrain" / "indicators.json").read_text(encoding="utf-8"))
    assert "yoshino-jiedao-2021" in table["trained_on"]["documents"]
    cand = spacy.load(tmp_path / "retrain" / "candidate" / "model-best")
    assert cand.get_pipe("indicator_classifier").model.data["trained_on"] == table["trained_on"]
    # the baseline is cached: a second run without pulling reuses it
    again = retrain(None, **kwargs)
    assert not again.baseline_rebuilt
