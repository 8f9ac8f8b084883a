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
to finished jobs (``line`` set), in any order. The local engine reads each job
and batches it through ``Extractor.run``; ``pipeline.batch.distributed`` ships jobs
to Dask workers, which run the same ``Extractor`` one document at a time
(``Extractor.process``). Everything else — resume, the manifest, the text
copies, the final rewrite and the tables — is this module's, whichever engine.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from pipeline import errors
from pipeline.labels import RECORD_COMPONENTS
from pipeline.sentences import sentence_span
from pipeline.components.clean import raw_text
from pipeline.batch.read import InputError, ReadResult, collect_inputs, read_document

MANIFEST = "documents.jsonl"
TEXTS_DIR = "texts"
DEFAULT_MAX_CHARS = 1_000_000


class UsageError(Exception):
    """A command-line mistake (exit status 2)."""


@dataclass
class Job:
    """One input: where it is, what it reads as, and its manifest line once done."""

    index: int
    path: Path
    content_hash: Optional[str] = None
    result: Optional[ReadResult] = None
    error: Optional[str] = None
    line: Optional[dict[str, Any]] = None
    # Set when the job is processed away from its input (on a Dask worker):
    data: Optional[bytes] = None  # the input's bytes, as read by the client
    resolved_path: Optional[str] = None  # the input's absolute path on the client
    text_copy: Optional[str] = None  # text for OUT/texts/<doc_id>.txt, written by the caller


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


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


STEM_MAX_BYTES = 120  # doc_id names files (texts/<doc_id>.txt.tmp): stay well under the 255-byte name limit


def make_doc_id(path: Path, content_hash: Optional[str]) -> str:
    """Stable id: file stem (cut to ``STEM_MAX_BYTES`` of UTF-8) + first 10 hex digits of the content hash (or of the path if unreadable)."""
    digest = content_hash or hashlib.sha256(str(path).encode()).hexdigest()
    stem = path.stem.encode("utf-8")[:STEM_MAX_BYTES].decode("utf-8", errors="ignore")
    return f"{stem}-{digest[:10]}"


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


def read_text(job: Job, max_chars: int, source: Optional[Path] = None) -> Job:
    """Read a hashed input's text into ``job.result`` — from ``source``, a copy of its bytes, if given; a bad input gets ``job.error``."""
    try:
        job.result = read_document(source or job.path)
    except InputError as err:
        job.error = str(err)
        return job
    if len(job.result.text) > max_chars:
        job.error = errors.E_TOO_LONG.format(n=len(job.result.text), limit=max_chars)
        job.result = None
    return job


def read_job(job: Job, max_chars: int) -> Job:
    """Hash and read one input; a bad input gets ``job.error`` (one line)."""
    if hash_job(job).error is None:
        read_text(job, max_chars)
    return job


def failed_line(job: Job) -> dict[str, Any]:
    return {
        "doc_id": make_doc_id(job.path, job.content_hash),
        "path": str(job.path),
        "content_hash": job.content_hash,
        "status": "failed",
        "error": job.error,
        "issuer": None,
        "year": None,
        "n_chars": 0,
        "text_path": None,
        "sections": [],
        "entities": [],
        "records": [],
    }


def _source_sentence(text: str, source: str, pos: int) -> str:
    """The sentence around ``pos`` as the source wrote it (boundaries found on the cleaned text, same offsets)."""
    s0, s1 = sentence_span(text, pos)
    return source[s0:s1]


def write_text_copy(out_dir: Path, doc_id: str, text: str) -> None:
    """Save a document's text as UTF-8 under ``out_dir/texts`` (temp file + rename)."""
    path = out_dir / TEXTS_DIR / f"{doc_id}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


SENTENCE_END = re.compile(r"[\n。！？；!?;]")


def chunks(text: str, size: int) -> list[tuple[int, str]]:
    """(offset, piece) pieces of at most ``size`` characters, cut after a sentence end or line break where possible."""
    out = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cuts = [m.end() for m in SENTENCE_END.finditer(text, start, end)]
            if cuts:
                end = cuts[-1]
        out.append((start, text[start:end]))
        start = end
    return out or [(0, "")]


class Extractor:
    """Runs the pipeline over read documents and builds manifest lines.

    With ``out_dir=None`` (on a Dask worker) nothing is written: a text copy is
    left in ``job.text_copy`` for the caller to write.
    """

    def __init__(
        self, nlp: Any, out_dir: Optional[Path], n_process: int = 1, batch_size: int = 16, chunk_chars: int = 1000, max_chars: int = DEFAULT_MAX_CHARS
    ) -> None:
        self.nlp = nlp
        self.out_dir = out_dir
        self.n_process = n_process
        self.batch_size = batch_size
        self.chunk_chars = chunk_chars
        self.ner_disable = [p for p in RECORD_COMPONENTS if p in nlp.pipe_names]
        # the NER sees chunks; the record components see the whole text, as long as --max-chars allows
        self.nlp.max_length = max(self.nlp.max_length, max_chars + 1)

    def doc_line(self, job: Job, ents: list[tuple[int, int, str]]) -> dict[str, Any]:
        """Put the chunk entities back on the whole text, run the record components, build the line."""
        text = job.result.text
        doc = self.nlp.make_doc(text)
        spans = [doc.char_span(s, e, label=l) for s, e, l in ents]
        doc.ents = [s for s in spans if s is not None]
        for name in self.ner_disable:
            doc = self.nlp.get_pipe(name)(doc)
        source = raw_text(doc)
        doc_id = make_doc_id(job.path, job.content_hash)
        text_path = self.save_text(job, doc_id)
        return {
            "doc_id": doc_id,
            "path": str(job.path),
            "content_hash": job.content_hash,
            "status": "ok",
            "error": None,
            "issuer": doc._.issuer,
            "year": doc._.year,
            "n_chars": len(text),
            "text_path": text_path,
            "sections": doc._.sections,
            "entities": [{"start": e.start_char, "end": e.end_char, "label": e.label_, "text": source[e.start_char : e.end_char]} for e in doc.ents],
            "records": [
                {**r, "count": {**r["count"], "text": source[r["count"]["start"] : r["count"]["end"]]}, "sentence": _source_sentence(text, source, r["count"]["start"])}
                for r in doc._.records
            ],
        }

    def save_text(self, job: Job, doc_id: str) -> str:
        """The text offsets index: the input itself for UTF-8 .txt, else a UTF-8 copy in DIR/texts."""
        r = job.result
        if r.fmt == "txt" and r.encoding in ("utf-8", "utf-8-sig") and not r.text.startswith("\ufeff"):
            raw = job.data if job.data is not None else job.path.read_bytes()
            if raw.decode("utf-8-sig") == r.text:
                return job.resolved_path or str(job.path.resolve())
        if self.out_dir is None:
            job.text_copy = r.text
        else:
            write_text_copy(self.out_dir, doc_id, r.text)
        return str(Path(TEXTS_DIR) / f"{doc_id}.txt")

    def run(self, jobs: Iterable[Job]) -> Iterator[Job]:
        """Yield each job with its manifest line, in input order."""
        pending: dict[int, list] = {}

        def texts() -> Iterator[tuple[str, tuple[int, int, int]]]:
            for job in jobs:
                if job.error is not None or job.result is None:
                    pending[job.index] = [job, [], 0]
                    yield "", (job.index, -1, 0)
                    continue
                pieces = chunks(job.result.text, self.chunk_chars)
                pending[job.index] = [job, [], len(pieces)]
                for offset, piece in pieces:
                    yield piece, (job.index, offset, len(pieces))

        for doc, (index, offset, n) in self.nlp.pipe(
            texts(), as_tuples=True, disable=self.ner_disable, n_process=self.n_process, batch_size=self.batch_size
        ):
            job, ents, _ = pending[index]
            if offset < 0:
                job.line = failed_line(job)
                del pending[index]
                yield job
                continue
            ents += [(offset + e.start_char, offset + e.end_char, e.label_) for e in doc.ents]
            pending[index][2] -= 1
            if pending[index][2] == 0:
                del pending[index]
                job.line = self.doc_line(job, ents)
                yield job

    def process(self, job: Job) -> Job:
        """One read job through ``run`` alone: the per-document step of a Dask worker, same line as a local batch."""
        return next(self.run([job]))


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
) -> ExtractSummary:
    """Extract every input into ``out_dir``; see the module docstring.

    ``engine`` processes the documents (default: ``nlp`` here, with ``n_process``
    and ``batch_size``); ``pipeline.batch.distributed.DaskEngine`` runs them on a cluster
    and needs no ``nlp``.
    """
    paths = collect_inputs(inputs)
    if not paths:
        raise UsageError(errors.E_NO_INPUTS)
    manifest = out_dir / MANIFEST
    if manifest.exists() and not (resume or force):
        raise UsageError(errors.E_OUT_EXISTS.format(path=out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    if force and manifest.exists():
        manifest.unlink()
    done: dict[tuple[str, str], dict[str, Any]] = {}
    if resume:
        for line in load_manifest(manifest):
            if line.get("content_hash"):
                done[(line["path"], line["content_hash"])] = line
    summary = ExtractSummary(total=len(paths))
    t0 = time.perf_counter()
    progress = progress or Progress(len(paths))

    def jobs() -> Iterator[Job]:
        for i, p in enumerate(paths):
            job = hash_job(Job(i, p))
            if job.content_hash and (str(p), job.content_hash) in done:
                summary.skipped += 1
                progress.update(job)
                continue
            yield job

    if engine is None:
        extractor = Extractor(nlp, out_dir, n_process=n_process, batch_size=batch_size, max_chars=max_chars)
        engine = lambda hashed: extractor.run(j if j.error else read_text(j, max_chars) for j in hashed)  # noqa: E731
    with open(manifest, "a", encoding="utf-8") as f:
        for job in engine(jobs()):
            if job.text_copy is not None:
                write_text_copy(out_dir, job.line["doc_id"], job.text_copy)
            f.write(json.dumps(job.line, ensure_ascii=False) + "\n")
            f.flush()
            done[(str(job.path), job.content_hash or f"unreadable:{job.index}")] = job.line
            progress.update(job)
    # final manifest: one line per input, in input order (atomic rewrite)
    lines = load_manifest(manifest)
    by_key = {(l["path"], l.get("content_hash")): l for l in lines}
    ordered = []
    for p in paths:
        h = None
        try:
            h = file_hash(p)
        except OSError:
            pass
        line = by_key.get((str(p), h)) or next((l for l in reversed(lines) if l["path"] == str(p)), None)
        if line is not None:
            ordered.append(line)
    tmp = manifest.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(l, ensure_ascii=False) + "\n" for l in ordered), encoding="utf-8")
    os.replace(tmp, manifest)
    for l in ordered:
        if l["status"] == "ok":
            summary.ok += 1
        else:
            summary.failed += 1
            summary.failures.append(f"{l['path']}: {l['error']}")
    if write_tables is not None:
        write_tables(out_dir, ordered)
    summary.seconds = time.perf_counter() - t0
    return summary
