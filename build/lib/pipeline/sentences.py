"""Sentence boundaries shared by the corpus tools and the pipeline.

A sentence ends after 。！？ (or half-width !?) or at a line break; the span
excludes the line break and surrounding whitespace, so it never crosses a line.
"""
from __future__ import annotations

import re

SENT_END = re.compile(r"[。！？!?]+|\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """All non-empty sentence spans (start, end) of ``text``, whitespace trimmed."""
    spans = []
    start = 0
    for m in SENT_END.finditer(text):
        end = m.end() if m.group() != "\n" else m.start()
        spans.append((start, end))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def sentence_span(text: str, pos: int) -> tuple[int, int]:
    """The sentence span that contains character ``pos``."""
    for s, e in sentence_spans(text):
        if s <= pos < e:
            return s, e
    return pos, pos
