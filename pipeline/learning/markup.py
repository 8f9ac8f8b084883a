"""Authoring format for gold annotations, compiled to the corpus format.

A person (or a helper) annotates a report most reliably by copying each line
and marking entities inline, not by counting characters. The markup file has
the same lines as the raw report; an entity is written ``⟦text|L⟧`` with ``L``
one of ``C`` (COUNT), ``L`` (LAW), ``I`` (INSTITUTION), ``M`` (MECHANISM).
Removing the marks must give the raw line back exactly.

Records are written beside it, one JSON object per line, pointing at a COUNT
by line number and text (``occ`` = which of the equal COUNT texts on that
line, from 0) and at the activity evidence by its text, which is found on the
same line nearest the count::

    {"line": 9, "count": "48次", "activity": "召开工委会", "evidence": "召开工委会",
     "value": 48, "unit": "次", "approx": null, "actor": null, "parent": null,
     "section": "achievements", "indicator": "decision.collective_meetings"}
    {"line": 9, "count": "2024年", "no_record": true, "reason": "threshold"}

``indicator`` (optional) is the record's comparable indicator (the taxonomy of
``../shared/indicators``); it goes onto the record and onto its relation;
``indicator_note`` (optional, the annotator's reason) goes onto the record.

``compile_markup`` turns the two into the corpus files: the doccano relation
JSONL (entities, ACTIVITY spans, QUANTIFIES relations) and the gold records.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.sentences import sentence_span

LABEL_CODES = {"C": "COUNT", "L": "LAW", "I": "INSTITUTION", "M": "MECHANISM"}
MARK_RE = re.compile(r"⟦([^⟦⟧|]+)\|([CLIM])⟧")


class MarkupError(ValueError):
    """A markup file that does not match its raw report."""


@dataclass
class Span:
    start: int
    end: int
    label: str


def line_starts(text: str) -> list[int]:
    """Character offset of the start of each line (1-based index = line number - 1)."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def parse_markup_line(marked: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Strip the marks from one line; return the plain line and its spans."""
    plain: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0
    length = 0
    for m in MARK_RE.finditer(marked):
        before = marked[pos : m.start()]
        plain.append(before)
        length += len(before)
        spans.append((length, length + len(m.group(1)), LABEL_CODES[m.group(2)]))
        plain.append(m.group(1))
        length += len(m.group(1))
        pos = m.end()
    plain.append(marked[pos:])
    result = "".join(plain)
    if "⟦" in result or "⟧" in result:
        raise MarkupError(f"unbalanced or malformed mark in: {marked[:60]}")
    return result, spans


def compile_markup(doc_id: str, raw: str, markup: str, records_src: list[dict[str, Any]]) -> tuple[dict, list[dict]]:
    """Compile one report's markup and record sources into (doccano line, gold records)."""
    raw_lines = raw.split("\n")
    marked_lines = markup.split("\n")
    if len(raw_lines) != len(marked_lines):
        raise MarkupError(f"{doc_id}: markup has {len(marked_lines)} lines, raw has {len(raw_lines)}")
    starts = line_starts(raw)
    spans: list[Span] = []
    for n, (raw_line, marked) in enumerate(zip(raw_lines, marked_lines), start=1):
        plain, line_spans = parse_markup_line(marked)
        if plain != raw_line:
            raise MarkupError(f"{doc_id}: line {n}: text differs from the raw report after removing marks")
        spans += [Span(starts[n - 1] + s, starts[n - 1] + e, lab) for s, e, lab in line_spans]

    counts_by_line: dict[int, list[Span]] = {}
    for sp in spans:
        if sp.label == "COUNT":
            counts_by_line.setdefault(raw.count("\n", 0, sp.start) + 1, []).append(sp)

    def find_count(line: int, text: str, occ: int, where: str) -> Span:
        same = [s for s in counts_by_line.get(line, []) if raw[s.start : s.end] == text]
        if len(same) <= occ:
            raise MarkupError(f"{doc_id}: line {line}: {where}: no COUNT {text!r} (occurrence {occ}) on this line")
        return same[occ]

    entities: list[dict] = [
        {"id": i, "start_offset": s.start, "end_offset": s.end, "label": s.label} for i, s in enumerate(spans)
    ]
    span_id = {(s.start, s.end, s.label): i for i, s in enumerate(spans)}
    relations: list[dict] = []
    records: list[dict] = []
    covered: set[tuple[int, int]] = set()
    for src in records_src:
        line = int(src["line"])
        count = find_count(line, src["count"], int(src.get("occ", 0)), "record")
        covered.add((count.start, count.end))
        count_field = {"start": count.start, "end": count.end, "text": raw[count.start : count.end]}
        if src.get("no_record"):
            records.append({"doc": doc_id, "count": count_field, "no_record": True, "reason": src.get("reason", "")})
            continue
        evidence = src.get("evidence") or src["activity"]
        line_text = raw_lines[line - 1]
        hits = [m.start() for m in re.finditer(re.escape(evidence), line_text)]
        if not hits:
            raise MarkupError(f"{doc_id}: line {line}: evidence {evidence!r} not on the line")
        rel = count.start - starts[line - 1]
        # nearest occurrence; ties prefer the one before the count
        best = min(hits, key=lambda h: (min(abs(h + len(evidence) - rel), abs(h - (rel + len(count_field["text"])))), h > rel))
        a_start = starts[line - 1] + best
        a_end = a_start + len(evidence)
        key = (a_start, a_end, "ACTIVITY")
        if key not in span_id:
            span_id[key] = len(entities)
            entities.append({"id": len(entities), "start_offset": a_start, "end_offset": a_end, "label": "ACTIVITY"})
        relation = {"id": len(relations), "from_id": span_id[(count.start, count.end, "COUNT")], "to_id": span_id[key], "type": "QUANTIFIES"}
        if src.get("indicator"):
            relation["indicator"] = src["indicator"]
        relations.append(relation)
        parent = None
        if src.get("parent"):
            p = src["parent"]
            pc = find_count(int(p.get("line", line)), p["count"], int(p.get("occ", 0)), "parent")
            parent = {"count": {"start": pc.start, "end": pc.end, "text": raw[pc.start : pc.end]}, "activity": p["activity"]}
        s0, s1 = sentence_span(raw, count.start)
        records.append(
            {
                "doc": doc_id,
                "count": count_field,
                "value": src["value"],
                "unit": src["unit"],
                "approx": src.get("approx"),
                "activity": src["activity"],
                "activity_span": {"start": a_start, "end": a_end, "text": evidence},
                "actor": src.get("actor"),
                "parent": parent,
                "section": src["section"],
                "sentence": raw[s0:s1],
                **{k: src[k] for k in ("indicator", "indicator_note") if src.get(k)},
            }
        )
    missing = [s for s in spans if s.label == "COUNT" and (s.start, s.end) not in covered]
    if missing:
        lines = ", ".join(f"{raw.count(chr(10), 0, s.start) + 1}:{raw[s.start:s.end]}" for s in missing[:10])
        raise MarkupError(f"{doc_id}: {len(missing)} COUNT span(s) with neither record nor no_record: {lines}")
    doc = {"id": doc_id, "text": raw, "entities": entities, "relations": relations}
    return doc, records


def compile_dir(raw_dir: Path, markup_dir: Path, out_dir: Path) -> list[str]:
    """Compile every ``<doc>.txt`` markup in ``markup_dir`` that has a raw report."""
    done = []
    for mk in sorted(markup_dir.glob("*.txt")):
        raw_path = raw_dir / mk.name
        raw = raw_path.read_text(encoding="utf-8-sig")
        rec_path = markup_dir / (mk.stem + ".records.jsonl")
        recs = [json.loads(l) for l in rec_path.read_text(encoding="utf-8").splitlines() if l.strip()] if rec_path.exists() else []
        doc, records = compile_markup(mk.stem, raw, mk.read_text(encoding="utf-8"), recs)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{mk.stem}.jsonl").write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")
        (out_dir / f"{mk.stem}.records.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        done.append(mk.stem)
    return done


if __name__ == "__main__":  # python -m pipeline.learning.markup RAW_DIR MARKUP_DIR OUT_DIR
    import sys

    try:
        print("compiled:", ", ".join(compile_dir(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))))
    except MarkupError as err:
        sys.exit(f"error: {err}")
