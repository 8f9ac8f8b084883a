"""Boundary repair of model spans: function words, governing verbs and particles out, snapped to words."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from pipeline.components.rules.text import Char, Ent, RuleTable, TextIndex, _ends_with_any, _longest_first, _starts_with_any


@dataclass
class TrimRules(RuleTable):
    leading: list[str]
    leading_by_label: dict[str, list[str]]
    trailing: list[str]
    snap_to_words: bool = True


def trim_span(index: TextIndex, ent: Ent, r: TrimRules, hard: str) -> Optional[Ent]:
    """A model span with its boundaries repaired, or None when it cannot be an entity."""
    s, e, label = ent
    text = index.text
    if index.crosses(s, e, hard):
        return None
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    leading = _longest_first(r.leading + r.leading_by_label.get(label, []))
    trailing = _longest_first(r.trailing)
    changed = True
    while changed and e - s > 1:
        changed = False
        w = _starts_with_any(text[s:e], leading)
        if w and e - s - len(w) >= 2:
            s += len(w)
            changed = True
        w = _ends_with_any(text[s:e], trailing)
        if w and e - s - len(w) >= 2:
            e -= len(w)
            changed = True
    if text[s:e].count("“") > text[s:e].count("”") and text[e : e + 1] == "”":
        e += 1
    if text[e - 1 : e] == "》" and "《" not in text[s:e]:
        e -= 1
    if text[s : s + 1] == "《" and "》" not in text[s:e]:
        s += 1
    if r.snap_to_words and label != "COUNT":
        s, e = _snap(index, s, e)
    return (s, e, label) if e > s else None


def _snap(index: TextIndex, s: int, e: int) -> Char:
    """Move a boundary that cuts a word by one character: drop a lone first character of a word running past the end, take a lone last character of a word running in from the start."""
    words = index.words
    ws, we, _, _ = words[index.word_at(e - 1)]
    if ws == e - 1 and we > e and e - s > 2:
        e -= 1
    ws, we, _, _ = words[index.word_at(s)]
    if ws == s - 1 and we > s:
        s -= 1
    return s, e
