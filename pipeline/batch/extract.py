"""Batch extraction: many reports in, one manifest line per input out.

Every input shows up in ``documents.jsonl`` (in input order) as ``ok`` or
``failed`` with a one-line reason; the batch goes on after a bad input. Lines
are appended and flushed one document at a time, so a killed run loses at
most the line being written (a torn last line is repaired on ``--resume``);
``--resume`` skips inputs whose (path, content hash) is already in the
manifest. At the end the manifest is rewritten in input order (temp file +
rename) and the entity and record tables are written.

NER runs over chunks of at most ``chunk_chars`` characters (cut after a
sentence end) so memory stays bounded and batches stay full (docs/benchmarks.md); the record components then run over the
whole document with the entities put back, so issuer, year, sections and
records see the whole report.

How the documents are processed is an *engine*: a function from hashed jobs
to finished jobs (``line`` set). Every engine calls ``document.process_job``
for each input and nothing else: ``LocalEngine`` here (in this process, or a
pool of ``--n-process`` processes that each hold the model, loaded once), and
``pipeline.batch.distributed.DaskEngine`` on a cluster. Everything else —
resume, the manifest, the text copies, the final rewrite and the tables — is
this module's, whichever engine.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from pipeline import errors
from pipeline.batch.document import DEFAULT_MAX_CHARS, TEXTS_DIR, Job, Options, process_job
from pipeline.batch.read import collect_inputs

MANIFEST = "documents.jsonl"


class UsageError(Exception):
    """A command-line mistake (exit status 2)."""


Engine = Callable[[Iterator[Job]], Iterator[Job]]
"""Takes hashed jobs (``content_hash`` or ``error`` set), yields them with ``line`` set, in any order."""


@dataclass
class ExtractSummary:
    total: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # inputs with no line at the end (should never happen)
    skipped_ok: int = 0  # of the skipped inputs, those whose earlier line is ok


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def hash_job(job: Job) -> Job:
    """Hash one input (its resume key and doc_id); an unreadable one gets ``job.error``."""
    if job.path.exists() and not job.path.is_file():  # a FIFO would block the read for ever
        job.error = errors.E_NOT_REGULAR
        return job
    try:
        job.content_hash = file_hash(job.path)
    except OSError as err:
        job.error = errors.E_UNREADABLE.format(err=err.strerror or err)
    return job


def write_text_copy(out_dir: Path, doc_id: str, text: str) -> None:
    """Save a document's text as UTF-8 under ``out_dir/texts`` (temp file + rename)."""
    path = out_dir / TEXTS_DIR / f"{doc_id}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


class LocalEngine:
    """Documents through ``process_job`` here, or in ``n_process`` worker processes that each hold the model."""

    def __init__(self, nlp: Any, options: Options, n_process: int = 1) -> None:
        self.nlp = nlp
        self.options = options
        self.n_process = n_process

    def __call__(self, jobs: Iterator[Job]) -> Iterator[Job]:
        if self.n_process == 1:
            for job in jobs:
                yield process_job(self.nlp, job, self.options)
            return
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        global _WORKER_NLP
        _WORKER_NLP = self.nlp  # forked workers inherit the loaded model: loaded once, never pickled
        with ProcessPoolExecutor(self.n_process, mp_context=get_context("fork")) as pool:
            futures = []
            for job in jobs:
                futures.append(pool.submit(_process_in_worker, job, self.options))
                while futures and (futures[0].done() or len(futures) > 4 * self.n_process):
                    yield futures.pop(0).result()
            for future in futures:
                yield future.result()


_WORKER_NLP: Any = None


def _process_in_worker(job: Job, options: Options) -> Job:
    return process_job(_WORKER_NLP, job, options)


def load_manifest(path: Path) -> list[dict[str, Any]]:
    """Lines of an existing manifest; a torn last line is dropped and the file truncated to the last good line."""
    if not path.exists():
        return []
    data = path.read_bytes()
    lines, good_end = [], 0
    pos = 0
    for raw in data.split(b"\n"):
        end = pos + len(raw) + 1
        if raw.strip():
            try:
                lines.append(json.loads(raw))
                good_end = min(end, len(data))
            except ValueError:
                break
        pos = end
    if good_end < len(data):
        with open(path, "r+b") as f:
            f.truncate(good_end)
    return lines


class Progress:
    """A progress bar with documents/s and ETA on a terminal; plain lines otherwise."""

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = total
        self.done = 0
        self.start = time.perf_counter()
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, job: Job) -> None:
        self.done += 1
        rate = self.done / max(time.perf_counter() - self.start, 1e-9)
        status = job.line["status"] if job.line else "skipped"
        if self.tty:
            eta = (self.total - self.done) / rate if rate else 0
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {rate:.1f} docs/s ETA {eta:.0f}s ")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            reason = f": {job.line['error']}" if job.line and job.line["status"] == "failed" else ""
            self.stream.write(f"{self.done}/{self.total} {status} {job.path}{reason}\n")
        self.stream.flush()


LOCK = ".fazhi.lock"
OUTPUT_SUBDIRS = (TEXTS_DIR, "export", "review", "dashboard")  # what --force clears besides the manifest and tables


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir`` for one run: a second run into it is a usage error naming the holder; a dead holder's lock is taken over."""
    path = out_dir / LOCK
    me = f"{os.getpid()} {socket.gethostname()}"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = path.read_text(encoding="utf-8", errors="replace").strip() if path.exists() else ""
            pid, _, host = holder.partition(" ")
            if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
                path.unlink(missing_ok=True)  # stale: its run was killed
                continue
            raise UsageError(errors.E_OUT_LOCKED.format(path=out_dir, holder=holder or "unknown")) from None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(me)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _identity(path: str | Path, digest: Optional[str]) -> tuple[str, Optional[str]]:
    """An input's identity across runs: its resolved path and its content hash."""
    return (str(Path(path).resolve()), digest)


def extract(
    inputs: list[str],
    out_dir: Path,
    nlp: Any,
    n_process: int = 1,
    batch_size: int = 16,
    resume: bool = False,
    force: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
    progress: Optional[Progress] = None,
    write_tables: Optional[Callable[[Path, list[dict[str, Any]]], None]] = None,
    engine: Optional[Engine] = None,
    copy_texts: bool = True,
) -> ExtractSummary:
    """Extract every input into ``out_dir``; see the module docstring.

    ``engine`` processes the documents (default: ``nlp`` here, with ``n_process``
    and ``batch_size``); ``pipeline.batch.distributed.DaskEngine`` runs them on a cluster
    and needs no ``nlp``. One run at a time holds ``out_dir`` (a lock file);
    ``resume`` keeps every result already there, whatever inputs this run names.
    """
    paths = collect_inputs(inputs)
    if not paths:
        raise UsageError(errors.E_NO_INPUTS)
    manifest = out_dir / MANIFEST
    if manifest.exists() and not (resume or force):
        raise UsageError(errors.E_OUT_EXISTS.format(path=out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    with output_lock(out_dir):
        options = Options(max_chars=max_chars, batch_size=batch_size, copy_texts=copy_texts)
        return _extract_locked(paths, out_dir, nlp, n_process, options, resume, force, progress, write_tables, engine)


def _extract_locked(
    paths: list[Path],
    out_dir: Path,
    nlp: Any,
    n_process: int,
    options: Options,
    resume: bool,
    force: bool,
    progress: Optional[Progress],
    write_tables: Optional[Callable[[Path, list[dict[str, Any]]], None]],
    engine: Optional[Engine],
) -> ExtractSummary:
    manifest = out_dir / MANIFEST
    if force:
        manifest.unlink(missing_ok=True)
        for sub in OUTPUT_SUBDIRS:
            shutil.rmtree(out_dir / sub, ignore_errors=True)
    earlier = load_manifest(manifest) if resume else []
    done = {_identity(l["path"], l.get("content_hash")): l for l in earlier if l.get("content_hash")}
    used_ids = {l["doc_id"]: _identity(l["path"], None)[0] for l in earlier}
    summary = ExtractSummary(total=len(paths))
    t0 = time.perf_counter()
    progress = progress or Progress(len(paths))

    hashes: dict[int, Optional[str]] = {}

    def jobs() -> Iterator[Job]:
        for i, p in enumerate(paths):
            job = hash_job(Job(i, p))
            hashes[i] = job.content_hash
            if job.content_hash and _identity(p, job.content_hash) in done:
                summary.skipped += 1
                summary.skipped_ok += done[_identity(p, job.content_hash)]["status"] == "ok"
                progress.update(job)
                continue
            yield job

    if engine is None:
        engine = LocalEngine(nlp, options, n_process=n_process)
    with open(manifest, "a", encoding="utf-8") as f:
        for job in engine(jobs()):
            _unique_doc_id(job, used_ids)
            if job.text_copy is not None:
                write_text_copy(out_dir, job.line["doc_id"], job.text_copy)
            f.write(json.dumps(job.line, ensure_ascii=False) + "\n")
            f.flush()
            progress.update(job)
    # final manifest: this run's inputs in input order, then earlier results it did not name (atomic rewrite)
    lines = load_manifest(manifest)
    by_key = {_identity(l["path"], l.get("content_hash")): l for l in lines}
    ordered: list[dict[str, Any]] = []
    missing: list[str] = []
    for i, p in enumerate(paths):
        line = by_key.get(_identity(p, hashes.get(i))) or next((l for l in reversed(lines) if _identity(l["path"], None)[0] == str(p.resolve())), None)
        if line is None:
            missing.append(str(p))
        else:
            ordered.append(line)
    seen = {_identity(l["path"], None)[0] for l in ordered}
    kept = []
    for l in lines:  # earlier results this run did not name: kept, once each
        where = _identity(l["path"], None)[0]
        if where not in seen:
            seen.add(where)
            kept.append(l)
    final = ordered + kept
    tmp = manifest.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(l, ensure_ascii=False) + "\n" for l in final), encoding="utf-8")
    os.replace(tmp, manifest)
    for l in ordered:
        if l["status"] == "ok":
            summary.ok += 1
        else:
            summary.failed += 1
            summary.failures.append(f"{l['path']}: {l['error']}")
    summary.ok -= summary.skipped_ok
    summary.failed -= summary.skipped - summary.skipped_ok
    summary.missing = missing
    if write_tables is not None:
        write_tables(out_dir, final)
    summary.seconds = time.perf_counter() - t0
    return summary


def _unique_doc_id(job: Job, used: dict[str, str]) -> None:
    """Give a job's line a doc_id no other input of the folder has (same name and content elsewhere: + a path digest)."""
    line = job.line
    where = str(Path(job.path).resolve())
    if used.get(line["doc_id"], where) != where:
        line["doc_id"] = f"{line['doc_id']}-{hashlib.sha256(where.encode()).hexdigest()[:6]}"
        if job.text_copy is not None:
            line["text_path"] = str(Path(TEXTS_DIR) / f"{line['doc_id']}.txt")
    used[line["doc_id"]] = where
