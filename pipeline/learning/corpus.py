"""The annotated corpus: reading both doccano exports, validating, statistics.

An annotated document is read into ``AnnotatedDoc`` whatever its source form:
- relation form: ``{"id", "text", "entities": [{"id", "start_offset",
  "end_offset", "label"}], "relations": [{"id", "from_id", "to_id", "type"}]}``
- plain sequence labelling: ``{"text", "label": [[start, end, label], ...]}``

Gold records live in ``<doc>.records.jsonl`` beside ``<doc>.jsonl``.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from pipeline import errors
from pipeline.labels import ACTIVITY, NER_LABELS, QUANTIFIES  # noqa: F401  (re-exported for the corpus tools)

KNOWN_LABELS = set(NER_LABELS) | {ACTIVITY}
RECORDS_SUFFIX = ".records.jsonl"


@dataclass
class AnnSpan:
    start: int
    end: int
    label: str
    id: Any = None


@dataclass
class AnnotatedDoc:
    doc_id: str
    text: str
    spans: list[AnnSpan]
    relations: list[tuple[Any, Any, str]] = field(default_factory=list)
    path: str = ""
    line: int = 0
    indicators: dict[tuple[int, int], str] = field(default_factory=dict)  # COUNT (start, end) → indicator of its relation

    @property
    def entities(self) -> list[AnnSpan]:
        """The NER spans (the four labels), sorted by offset."""
        return sorted((s for s in self.spans if s.label in NER_LABELS), key=lambda s: (s.start, s.end))


@dataclass
class Problem:
    path: str
    line: int
    span: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.span + ': ' if self.span else ''}{self.message}"


def parse_doc(obj: dict[str, Any], path: str = "", line: int = 0) -> AnnotatedDoc:
    """One JSONL object (either doccano form) → ``AnnotatedDoc``."""
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError(errors.E_NO_TEXT)
    doc_id = str(obj.get("id", obj.get("doc_id", Path(path).stem)))
    spans: list[AnnSpan] = []
    relations: list[tuple[Any, Any, str]] = []
    indicators: dict[tuple[int, int], str] = {}
    if "entities" in obj:
        for e in obj["entities"]:
            spans.append(AnnSpan(int(e["start_offset"]), int(e["end_offset"]), str(e["label"]), e.get("id")))
        by_id = {e.get("id"): (int(e["start_offset"]), int(e["end_offset"])) for e in obj["entities"]}
        for r in obj.get("relations", []):
            relations.append((r["from_id"], r["to_id"], str(r["type"])))
            if r.get("indicator") and r["from_id"] in by_id:
                indicators[by_id[r["from_id"]]] = str(r["indicator"])
    else:
        for i, item in enumerate(obj.get("label", [])):
            start, end, label = item
            spans.append(AnnSpan(int(start), int(end), str(label), i))
    return AnnotatedDoc(doc_id, text, spans, relations, path, line, indicators)


def read_jsonl_docs(path: Path) -> Iterator[AnnotatedDoc | Problem]:
    """Yield each document of a JSONL file, or a Problem for a line that cannot be read."""
    with open(path, encoding="utf-8-sig") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                yield parse_doc(json.loads(raw), str(path), n)
            except (ValueError, KeyError, TypeError) as err:
                yield Problem(str(path), n, "", errors.E_BAD_LINE.format(err=err))


def annotation_files(paths: Iterable[Path]) -> list[Path]:
    """Document files under ``paths`` (records files and markup sources excluded)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*.jsonl") if not f.name.endswith(RECORDS_SUFFIX) and "markup" not in f.parts)
        else:
            out.append(p)
    return out


def load_corpus(paths: Iterable[Path]) -> list[AnnotatedDoc]:
    """All documents under ``paths``; raises ValueError on an unreadable line."""
    docs = []
    for f in annotation_files(paths):
        for item in read_jsonl_docs(f):
            if isinstance(item, Problem):
                raise ValueError(str(item))
            docs.append(item)
    return docs


def records_path(doc_file: Path) -> Path:
    return doc_file.with_name(doc_file.name[: -len(".jsonl")] + RECORDS_SUFFIX)


def load_records(doc_file: Path) -> list[dict[str, Any]]:
    """Gold records beside a document file ([] if none)."""
    rp = records_path(doc_file)
    if not rp.exists():
        return []
    return [json.loads(l) for l in rp.read_text(encoding="utf-8").splitlines() if l.strip()]


def load_gold_records(paths: Iterable[Path]) -> dict[str, list[dict[str, Any]]]:
    """Gold records of every document file under ``paths``, keyed by the file's document id (its stem)."""
    return {f.name[: -len(".jsonl")]: load_records(f) for f in annotation_files(paths)}


def _span_repr(doc: AnnotatedDoc, s: AnnSpan) -> str:
    text = doc.text[s.start : s.end] if 0 <= s.start <= s.end <= len(doc.text) else "?"
    return f"[{s.start},{s.end}) {s.label} {text!r}"


def validate_doc(doc: AnnotatedDoc, records: list[dict[str, Any]] | None, rec_path: str = "") -> list[Problem]:
    """Every problem of one document (and its records, if given)."""
    probs: list[Problem] = []

    def add(span: str, msg: str, path: str = doc.path, line: int = doc.line) -> None:
        probs.append(Problem(path, line, span, msg))

    n = len(doc.text)
    good: list[AnnSpan] = []
    for s in doc.spans:
        rep = _span_repr(doc, s)
        if s.label not in KNOWN_LABELS:
            add(rep, errors.E_UNKNOWN_LABEL.format(label=s.label))
            continue
        if not (0 <= s.start < s.end <= n):
            add(rep, errors.E_OUT_OF_RANGE.format(n=n))
            continue
        t = doc.text[s.start : s.end]
        if t != t.strip():
            add(rep, errors.E_WHITESPACE_EDGE)
        if "\n" in t or "\r" in t:
            add(rep, errors.E_CROSSES_LINE)
        good.append(s)
    ner = sorted((s for s in good if s.label in NER_LABELS), key=lambda s: (s.start, s.end))
    for a, b in zip(ner, ner[1:]):
        if b.start < a.end:
            add(f"{_span_repr(doc, a)} / {_span_repr(doc, b)}", errors.E_OVERLAP)
    acts = sorted((s for s in good if s.label == ACTIVITY), key=lambda s: (s.start, s.end))
    for a, b in zip(acts, acts[1:]):
        if (a.start, a.end) == (b.start, b.end):
            add(_span_repr(doc, b), errors.E_DUPLICATE)
    by_id = {s.id: s for s in doc.spans}
    for frm, to, rtype in doc.relations:
        if rtype != QUANTIFIES:
            add(f"relation {frm}->{to}", errors.E_REL_TYPE.format(type=rtype))
            continue
        if frm not in by_id or to not in by_id:
            add(f"relation {frm}->{to}", errors.E_REL_MISSING_END)
            continue
        if by_id[frm].label != "COUNT" or by_id[to].label != ACTIVITY:
            add(f"relation {frm}->{to}", errors.E_REL_DIRECTION.format(a=by_id[frm].label, b=by_id[to].label))
    if records is not None:
        counts = {(s.start, s.end) for s in good if s.label == "COUNT"}
        covered: set[tuple[int, int]] = set()
        for i, r in enumerate(records, start=1):
            c = r.get("count") or {}
            key = (c.get("start"), c.get("end"))
            if key not in counts:
                add(f"[{key[0]},{key[1]}) {c.get('text')!r}", errors.E_RECORD_NO_COUNT, rec_path, i)
                continue
            if c.get("text") != doc.text[key[0] : key[1]]:
                add(f"[{key[0]},{key[1]}) {c.get('text')!r}", errors.E_RECORD_TEXT, rec_path, i)
            covered.add(key)
        for s in good:
            if s.label == "COUNT" and (s.start, s.end) not in covered:
                add(_span_repr(doc, s), errors.E_COUNT_NO_RECORD)
    return probs


def validate_paths(paths: Iterable[Path]) -> list[Problem]:
    """Validate every document file under ``paths`` with its records file."""
    probs: list[Problem] = []
    files = annotation_files(paths)
    if not files:
        return [Problem(", ".join(map(str, paths)), 0, "", errors.E_NO_FILES)]
    for f in files:
        if not f.exists():
            probs.append(Problem(str(f), 0, "", errors.E_MISSING_FILE))
            continue
        docs = list(read_jsonl_docs(f))
        rp = records_path(f)
        records: list[dict[str, Any]] | None = None
        if rp.exists():
            records = []
            for n, line in enumerate(rp.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except ValueError as err:
                        probs.append(Problem(str(rp), n, "", errors.E_BAD_LINE.format(err=err)))
        for d in docs:
            if isinstance(d, Problem):
                probs.append(d)
                continue
            # Records belong to the file; with several documents in one file, match by doc id.
            recs = None if records is None else [r for r in records if str(r.get("doc", d.doc_id)) == d.doc_id]
            probs += validate_doc(d, recs, str(rp))
    return probs


def corpus_stats(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Per-document rows: entities per label, records, characters."""
    rows = []
    for f in annotation_files(paths):
        recs = load_records(f)
        for d in read_jsonl_docs(f):
            if isinstance(d, Problem):
                continue
            c = Counter(s.label for s in d.spans)
            mine = [r for r in recs if str(r.get("doc", d.doc_id)) == d.doc_id and not r.get("no_record")]
            rows.append(
                {"doc": d.doc_id, "chars": len(d.text), **{lab: c.get(lab, 0) for lab in NER_LABELS}, "records": len(mine)}
            )
    return rows


def stats_table(rows: list[dict[str, Any]]) -> str:
    """Markdown table of ``corpus_stats`` rows with a total line."""
    cols = ["doc", "chars", *NER_LABELS, "records"]
    total = {"doc": "**total**", **{k: sum(r[k] for r in rows) for k in cols[1:]}}
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in [*rows, total]:
        lines.append("| " + " | ".join(str(r[k]) for k in cols) + " |")
    return "\n".join(lines)
