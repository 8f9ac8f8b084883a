"""Static review pages for an extraction output: open ``index.html`` from disk.

``index.html`` lists every document (issuer, year, status, reason, entities
per label, records) and links to one page per document under ``docs/``.  A
document page shows its text with the four labels coloured by spaCy's
displaCy, a marker before each section, and its records as a table.  A
failed document's page gives the reason.  Pages have their styles inline and
load nothing from elsewhere, so they work offline and from ``file://``.

displaCy escapes the text; everything else on the pages is escaped here.
Sections are marked without disturbing the offsets by rendering the text one
section at a time, with the entity offsets shifted to the section's start.
"""
from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline.tables.export import LABELS, ExportError, read_documents, write_text_atomic

LABEL_COLORS = {
    "MECHANISM": "#d8b4fe",
    "COUNT": "#fcd34d",
    "INSTITUTION": "#93c5fd",
    "LAW": "#86efac",
}
LABEL_NAMES_ZH = {"MECHANISM": "机制", "COUNT": "数量", "INSTITUTION": "机构", "LAW": "法规"}
SECTION_NAMES_ZH = {
    "achievements": "主要举措和成效",
    "shortcomings": "存在的不足",
    "plans": "下一步安排",
    "responsibility": "第一责任人职责",
    "other": "其他",
}
REVIEW_SUBDIR = "review"
DOC_PAGES_SUBDIR = "docs"

from pipeline.errors import E_TEXT_MISSING, E_TEXT_LENGTH, E_BAD_ENTITIES  # noqa: F401  (messages live in errors.py)

_STYLE = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; margin: 1.5em auto; max-width: 72em; padding: 0 1em; color: #1f2937; }
h1 { font-size: 1.4em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #d1d5db; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
td.num { text-align: right; }
tr.failed td { background: #fef2f2; }
.error { color: #b91c1c; }
.warning { color: #92400e; }
.legend span { display: inline-block; padding: 0.1em 0.5em; margin-right: 0.5em; border-radius: 0.3em; }
.section-marker { margin: 1.5em 0 0.3em; padding: 0.3em 0.6em; border-left: 0.4em solid #6b7280; background: #f9fafb; font-size: 1em; }
.section-marker .section-name { font-family: monospace; color: #4b5563; margin-right: 0.6em; }
.text { border: 1px solid #e5e7eb; padding: 0.5em 1em; }
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _cell(value: Any, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<td{attr}>{'' if value is None else html.escape(str(value))}</td>"


def page_names(docs: Sequence[dict[str, Any]]) -> list[str]:
    """A distinct, file-system-safe page file name for each document, from its doc_id."""
    names, seen = [], set()
    for i, doc in enumerate(docs):
        stem = re.sub(r"[^\w.-]+", "_", str(doc.get("doc_id") or f"doc-{i + 1}")).strip("._")[:80] or f"doc-{i + 1}"
        name, k = stem, 1
        while name.lower() in seen:
            k += 1
            name = f"{stem}-{k}"
        seen.add(name.lower())
        names.append(f"{name}.html")
    return names


def read_text(out_dir: Path, doc: dict[str, Any]) -> str:
    """The document's text from ``text_path`` (absolute or relative to ``out_dir``), exactly as the offsets index it."""
    text_path = doc.get("text_path")
    if not text_path:
        raise OSError("no text_path")
    path = Path(text_path)
    if not path.is_absolute():
        path = Path(out_dir) / path
    # Decoded from bytes, not read in text mode: universal newlines would turn "\r\n" into "\n" and shift offsets.
    return path.read_bytes().decode("utf-8-sig")


def valid_entities(text: str, entities: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Entities inside the text, sorted, without overlaps (displaCy cannot draw them); and how many were dropped."""
    kept: list[dict[str, Any]] = []
    dropped = 0
    ordered = sorted(entities, key=lambda e: (e.get("start", -1), -(e.get("end") or 0)))
    for ent in ordered:
        start, end = ent.get("start"), ent.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            dropped += 1
        elif kept and start < kept[-1]["end"]:
            dropped += 1
        else:
            kept.append({"start": start, "end": end, "label": str(ent.get("label", ""))})
    return kept, dropped


def section_chunks(text: str, sections: Sequence[dict[str, Any]], entities: Sequence[dict[str, Any]]) -> list[tuple[int, int, dict[str, Any] | None]]:
    """(start, end, section) pieces covering the text; a new piece begins at each section start.

    A section start that falls inside an entity is dropped, so no entity is
    cut in two.  Text before the first section start has no section (None).
    """
    inside = [(e["start"], e["end"]) for e in entities]
    starts = [e[0] for e in inside]
    bounds: dict[int, dict[str, Any]] = {}
    for sec in sorted(sections, key=lambda s: s.get("start", 0)):
        s = sec.get("start")
        if not isinstance(s, int) or not 0 <= s < len(text):
            continue
        i = bisect_right(starts, s) - 1
        if i >= 0 and inside[i][0] < s < inside[i][1]:
            continue
        bounds[s] = sec
    cuts = sorted(bounds)
    if not cuts or cuts[0] != 0:
        cuts.insert(0, 0)
    cuts.append(len(text))
    return [(a, b, bounds.get(a)) for a, b in zip(cuts, cuts[1:]) if b > a or (a == 0 and len(text) == 0)]


def render_text(text: str, entities: Sequence[dict[str, Any]], sections: Sequence[dict[str, Any]] | None = None) -> str:
    """The text as HTML: displaCy entity marks, with a marker before each section when ``sections`` are given."""
    from spacy import displacy

    out = []
    for n, (start, end, sec) in enumerate(section_chunks(text, sections or [], entities)):
        if sec is not None:
            name = str(sec.get("section") or "other")
            heading = str(sec.get("heading") or "")
            label = SECTION_NAMES_ZH.get(name, "")
            out.append(
                f'<h3 class="section-marker" id="section-{n}" data-section="{html.escape(name)}">'
                f'<span class="section-name">§ {html.escape(name)}</span>{html.escape(label)}'
                f"{'：' + html.escape(heading) if heading else ''}</h3>"
            )
        ents = [
            # displaCy puts the label into the markup unescaped.
            {"start": e["start"] - start, "end": e["end"] - start, "label": html.escape(e["label"])}
            for e in entities
            if start <= e["start"] and e["end"] <= end
        ]
        out.append(
            displacy.render(
                {"text": text[start:end], "ents": ents},
                style="ent",
                manual=True,
                page=False,
                options={"colors": LABEL_COLORS},
            )
        )
    return "\n".join(out)


def _legend() -> str:
    spans = "".join(
        f'<span style="background: {LABEL_COLORS[label]}">{label} {LABEL_NAMES_ZH[label]}</span>' for label in LABELS
    )
    return f'<p class="legend">{spans}</p>'


def _records_table(records: Sequence[dict[str, Any]]) -> str:
    if not records:
        return "<p>No records.</p>"
    head = "".join(
        f"<th>{h}</th>"
        for h in ("#", "count", "value", "unit", "approx", "activity", "indicator", "actor", "parent", "section", "sentence")
    )
    rows = []
    for i, rec in enumerate(records, start=1):
        count = rec.get("count") or {}
        activity = rec.get("activity") or {}
        parent = rec.get("parent") or {}
        parent_text = ""
        if parent:
            parent_text = f"{(parent.get('count') or {}).get('text') or ''} {parent.get('activity') or ''}".strip()
        indicator = rec.get("indicator")
        if indicator:
            indicator = f"{rec.get('indicator_name') or indicator} ({indicator}, {rec.get('indicator_score')})"
        rows.append(
            f'<tr id="r{i - 1}">'  # the anchor of record id <doc_id>#r<i-1> (tables/export.record_id)
            + _cell(i, "num")
            + _cell(count.get("text"))
            + _cell(rec.get("value"), "num")
            + _cell(rec.get("unit"))
            + _cell(rec.get("approx"))
            + _cell(activity.get("text"))
            + _cell(indicator)
            + _cell(rec.get("actor"))
            + _cell(parent_text)
            + _cell(rec.get("section"))
            + _cell(rec.get("sentence"))
            + "</tr>"
        )
    return f'<table class="records"><thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(rows) + "\n</tbody></table>"


def document_page(out_dir: Path, doc: dict[str, Any]) -> str:
    """The HTML page of one document: header, coloured text with section markers, records table."""
    doc_id = str(doc.get("doc_id") or "")
    issuer, year = doc.get("issuer"), doc.get("year")
    title = " ".join(str(x) for x in (issuer, year) if x) or doc_id
    parts = [
        '<p><a href="../index.html">← all documents</a></p>',
        f"<h1>{html.escape(title)}</h1>",
        "<table class=\"meta\">"
        + "".join(
            f"<tr><th>{k}</th>{_cell(v)}</tr>"
            for k, v in (("doc_id", doc_id), ("path", doc.get("path")), ("status", doc.get("status")), ("characters", doc.get("n_chars")))
        )
        + "</table>",
    ]
    if doc.get("status") != "ok":
        parts.append(f'<p class="error">Failed: {html.escape(str(doc.get("error") or "no reason given"))}</p>')
        return _page(f"{title} — failed", "\n".join(parts))
    entities = doc.get("entities") or []
    records = doc.get("records") or []
    parts.append(_legend())
    try:
        text = read_text(out_dir, doc)
    except (OSError, UnicodeDecodeError) as err:
        parts.append(f'<p class="warning">{html.escape(E_TEXT_MISSING.format(err=err))}</p>')
    else:
        expected = doc.get("n_chars")
        if isinstance(expected, int) and expected != len(text):
            parts.append(f'<p class="warning">{html.escape(E_TEXT_LENGTH.format(n=len(text), expected=expected))}</p>')
        shown, dropped = valid_entities(text, entities)
        if dropped:
            parts.append(f'<p class="warning">{html.escape(E_BAD_ENTITIES.format(n=dropped))}</p>')
        parts.append(f'<div class="text">\n{render_text(text, shown, doc.get("sections"))}\n</div>')
    parts.append(f"<h2>Records ({len(records)})</h2>")
    parts.append(_records_table(records))
    return _page(title, "\n".join(parts))


def index_page(docs: Sequence[dict[str, Any]], names: Sequence[str]) -> str:
    """The index page: one row per document with its counts, linking to its page."""
    head = (
        "<th>#</th><th>document</th><th>issuer</th><th>year</th><th>status</th><th>reason</th>"
        + "".join(f'<th style="background: {LABEL_COLORS[label]}">{label}</th>' for label in LABELS)
        + "<th>records</th>"
    )
    rows = []
    totals = dict.fromkeys(LABELS, 0)
    n_records = n_failed = 0
    for i, (doc, name) in enumerate(zip(docs, names), start=1):
        counts = dict.fromkeys(LABELS, 0)
        for ent in doc.get("entities") or []:
            if ent.get("label") in counts:
                counts[ent["label"]] += 1
        for label in LABELS:
            totals[label] += counts[label]
        n = len(doc.get("records") or [])
        n_records += n
        failed = doc.get("status") != "ok"
        n_failed += failed
        link = f'<a href="{DOC_PAGES_SUBDIR}/{quote(name)}">{html.escape(str(doc.get("doc_id") or name))}</a>'
        rows.append(
            f'<tr class="{"failed" if failed else "ok"}">'
            + _cell(i, "num")
            + f"<td>{link}</td>"
            + _cell(doc.get("issuer"))
            + _cell(doc.get("year"))
            + _cell(doc.get("status"))
            + _cell(doc.get("error"), "error")
            + "".join(_cell(counts[label], "num") for label in LABELS)
            + _cell(n, "num")
            + "</tr>"
        )
    total = (
        f'<tr><th colspan="6">total: {len(docs)} document(s), {n_failed} failed</th>'
        + "".join(f'<td class="num">{totals[label]}</td>' for label in LABELS)
        + f'<td class="num">{n_records}</td></tr>'
    )
    body = (
        "<h1>fazhi review</h1>\n"
        + _legend()
        + f"\n<table class=\"documents\"><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(rows)
        + f"\n</tbody><tfoot>{total}</tfoot></table>"
    )
    return _page("fazhi review", body)


def write_review(out_dir: Path, dest: Path | None = None) -> Path:
    """Write the review pages of the extraction output in ``out_dir`` (default ``out_dir/review``); returns index.html.

    Raises ``ExportError`` (exit code 2) when ``out_dir`` or its documents.jsonl is missing.
    """
    docs = read_documents(out_dir).docs
    dest = Path(dest) if dest is not None else Path(out_dir) / REVIEW_SUBDIR
    names = page_names(docs)
    for doc, name in zip(docs, names):
        write_text_atomic(dest / DOC_PAGES_SUBDIR / name, document_page(out_dir, doc))
    index = dest / "index.html"
    write_text_atomic(index, index_page(docs, names))
    return index

