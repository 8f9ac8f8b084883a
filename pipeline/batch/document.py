"""One document, start to finish: input bytes and name → its manifest line and its text copy.

``process_document`` is the only code that turns an input into a result:
hash once, decode once, the NER over chunks cut at line ends, the entity
rules, the record components on the whole text, the line. Both engines call
it and nothing else: the local one (in this process, or a pool of processes
that each load the model once) and the Dask one (on the workers). The main
process collects inputs, resumes, appends lines and writes tables.
"""
from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from pipeline import errors
from pipeline.batch.read import InputError, ReadResult, parse_document, read_bytes
from pipeline.components.clean import raw_text
from pipeline.components.structure import from_page
from pipeline.labels import RECORD_COMPONENTS
from pipeline.sentences import sentence_spans

DEFAULT_MAX_CHARS = 1_000_000
TEXTS_DIR = "texts"
STEM_MAX_BYTES = 120  # doc_id names files (texts/<doc_id>.txt.tmp): stay well under the 255-byte name limit


@dataclass
class Job:
    """One input on its way through an engine: where it is, its hash (set by the main process), its line once done."""

    index: int
    path: Path
    content_hash: Optional[str] = None
    error: Optional[str] = None  # why the main process could not even hash it
    line: Optional[dict[str, Any]] = None
    text_copy: Optional[str] = None  # text for OUT/texts/<doc_id>.txt, written by the main process
    resolved_path: Optional[str] = None  # the input's absolute path where it was collected


@dataclass
class Options:
    """How documents are processed (the same for every engine)."""

    max_chars: int = DEFAULT_MAX_CHARS
    chunk_chars: int = 1000
    batch_size: int = 16
    copy_texts: bool = True  # every text under OUT/texts (False: a UTF-8 .txt's text_path is the input itself)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_doc_id(path: Path, digest: Optional[str]) -> str:
    """Stable id: file stem (cut to ``STEM_MAX_BYTES`` of UTF-8) + first 10 hex digits of the content hash (or of the path if unreadable)."""
    digest = digest or hashlib.sha256(str(path).encode()).hexdigest()
    stem = path.stem.encode("utf-8")[:STEM_MAX_BYTES].decode("utf-8", errors="ignore")
    return f"{stem}-{digest[:10]}"


def format_of(path: Path) -> Optional[str]:
    """The input's format as its suffix names it (``pdf``, ``html``, …), None without a suffix."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"htm": "html"}.get(suffix, suffix) or None


def failed_line(path: Path, digest: Optional[str], error: str) -> dict[str, Any]:
    """The manifest line of an input that could not be extracted."""
    return {
        "doc_id": make_doc_id(path, digest),
        "path": str(path),
        "content_hash": digest,
        "status": "failed",
        "error": error,
        "format": format_of(path),
        "title": None,
        "date": None,
        "source": None,
        "issuer": None,
        "year": None,
        "n_chars": 0,
        "text_path": None,
        "sections": [],
        "entities": [],
        "records": [],
    }


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


class SourceSentences:
    """Sentences as the source wrote them, boundaries found once on the cleaned text (same offsets)."""

    def __init__(self, text: str, source: str) -> None:
        self.spans = sentence_spans(text)
        self.starts = [s for s, _ in self.spans]
        self.source = source

    def around(self, pos: int) -> str:
        i = bisect_right(self.starts, pos) - 1
        if i >= 0 and self.spans[i][0] <= pos < self.spans[i][1]:
            return self.source[self.spans[i][0] : self.spans[i][1]]
        return ""


def _text_path(path: Path, resolved_path: str, result: ReadResult, data: bytes, doc_id: str, copy_texts: bool) -> tuple[str, Optional[str]]:
    """Where offsets point: a copy under OUT/texts (its text returned to be written), or with ``copy_texts`` off the input itself for a UTF-8 .txt."""
    if not copy_texts and result.fmt == "txt" and result.encoding in ("utf-8", "utf-8-sig") and not result.text.startswith("\ufeff"):
        if data.decode("utf-8-sig") == result.text:
            return resolved_path, None
    return str(Path(TEXTS_DIR) / f"{doc_id}.txt"), result.text


def process_document(nlp: Any, path: Path, data: Optional[bytes], options: Options, resolved_path: Optional[str] = None, error: Optional[str] = None) -> tuple[dict[str, Any], Optional[str]]:
    """(manifest line, text for OUT/texts/<doc_id>.txt or None) of one input given as its bytes.

    ``error`` is the reason the caller could not read the bytes (then ``data`` is None).
    """
    path = Path(path)
    if data is None:
        return failed_line(path, None, error or errors.E_UNREADABLE.format(err="no data")), None
    digest = content_hash(data)
    try:
        result = parse_document(data, path.suffix)
    except InputError as err:
        return failed_line(path, digest, str(err)), None
    text = result.text
    if len(text) > options.max_chars:
        return failed_line(path, digest, errors.E_TOO_LONG.format(n=len(text), limit=options.max_chars)), None
    nlp.max_length = max(nlp.max_length, options.max_chars + 1)  # the record components see the whole text
    record_pipes = [p for p in RECORD_COMPONENTS if p in nlp.pipe_names]
    ents: list[tuple[int, int, str]] = []
    pieces = chunks(text, options.chunk_chars)
    for (offset, _), piece_doc in zip(pieces, nlp.pipe((p for _, p in pieces), disable=record_pipes, batch_size=options.batch_size)):
        ents += [(offset + e.start_char, offset + e.end_char, e.label_) for e in piece_doc.ents]
    doc = nlp.make_doc(text)
    spans = [doc.char_span(s, e, label=l) for s, e, l in ents]
    doc.ents = [s for s in spans if s is not None]
    for name in record_pipes:
        doc = nlp.get_pipe(name)(doc)
    issuer, year = doc._.issuer, doc._.year
    if (issuer is None or year is None) and "report_structure" in nlp.pipe_names:
        page_issuer, page_year = from_page(**result.meta, rules=nlp.get_pipe("report_structure").rules)
        issuer, year = issuer or page_issuer, year or page_year
    source = raw_text(doc)
    sentences = SourceSentences(text, source)
    doc_id = make_doc_id(path, digest)
    text_path, copy = _text_path(path, resolved_path or str(path.resolve()), result, data, doc_id, options.copy_texts)
    line = {
        "doc_id": doc_id,
        "path": str(path),
        "content_hash": digest,
        "status": "ok",
        "error": None,
        "format": result.fmt,
        **result.meta,  # title, date, source: what the page or file states (None when it states nothing)
        "issuer": issuer,
        "year": year,
        "n_chars": len(text),
        "text_path": text_path,
        "sections": doc._.sections,
        "entities": [{"start": e.start_char, "end": e.end_char, "label": e.label_, "text": source[e.start_char : e.end_char]} for e in doc.ents],
        "records": [
            {**r, "count": {**r["count"], "text": source[r["count"]["start"] : r["count"]["end"]]}, "sentence": sentences.around(r["count"]["start"])}
            for r in doc._.records
        ],
    }
    return line, copy


def read_job_bytes(job: Job) -> Optional[bytes]:
    """The input's bytes; a read failure sets ``job.error`` instead (the same reason wherever it is read)."""
    try:
        return read_bytes(job.path)
    except InputError as err:
        job.error = str(err)
        return None


def process_job(nlp: Any, job: Job, options: Options, data: Optional[bytes] = None) -> Job:
    """``job`` with its line and text copy: the bytes are read here unless given (a Dask worker gets them shipped).

    A job that already carries an error only gets its failed line; ``nlp`` is not used then.
    """
    if job.error is None and data is None:
        data = read_job_bytes(job)
    if job.error is not None:
        job.line = failed_line(job.path, job.content_hash, job.error)
        return job
    job.line, job.text_copy = process_document(nlp, job.path, data, options, resolved_path=job.resolved_path or str(Path(job.path).resolve()))
    return job
