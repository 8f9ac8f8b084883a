"""LAW: 《》 titles by their type word, statute names and titles without marks, numbered five-year plans."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from pipeline.knowledge.places import PhraseTable
from pipeline.components.rules.text import Char, RuleTable, TextIndex, _alternation, _ends_with_any, _longest_first, _overlaps, _starts_with_any


@dataclass
class LawRules(RuleTable):
    type_words: list[str]
    not_type_endings: list[str]
    publication_words: list[str]
    compilation_words: list[str]
    generic_compiled: list[str]
    after_title_not_law: list[str]
    national_laws: list[str]
    law_name_prefix: str
    name_blockers_after: list[str]
    fields_of_law: list[str]
    plan_regex: str
    plan_continuations: list[str]
    drop_unmatched: bool = True
    title_blockers_after: list[str] = field(default_factory=list)
    titles: Optional[PhraseTable] = None
    dated_title_verbs: list[str] = field(default_factory=list)  # 制定, 印发 …: what is done to a document
    dated_title_types: list[str] = field(default_factory=list)  # 工作要点, 实施方案 …: its type word
    named_title_types: list[str] = field(default_factory=list)  # 实施办法, 规定 …: a type word no generic plan ends in
    named_title_scopes: list[str] = field(default_factory=list)  # 全区, 全市 …: the scope written before the title

    def __post_init__(self) -> None:
        self.type_words = _longest_first(self.type_words)
        self.publication_words = _longest_first(self.publication_words)
        self.compilation_words = _longest_first(self.compilation_words)
        self.names = re.compile(f"(?:{re.escape(self.law_name_prefix)})?(?:{_alternation(self.national_laws)})")
        self.plan = re.compile(self.plan_regex)
        # guideline L2: a plan or list with its year is a specific document (制定我区2022年度重大行政决策目录)
        self.dated = re.compile(
            "(?:" + _alternation(self.dated_title_verbs) + r")了?[\u4e00-\u9fff]{0,10}?(\d{4}年度?[\u4e00-\u9fff]{0,24}?(?:"
            + _alternation(self.dated_title_types) + r"))(?=[^\u4e00-\u9fff]|[等和及与]|$)"
        ) if self.dated_title_verbs and self.dated_title_types else None
        # a document of a named place or scope without 《》 (出台全区重大行政决策程序实施办法, 制定某市法治政府建设工作要点)
        self.named = re.compile(
            "(?:" + _alternation(self.dated_title_verbs) + ")了?(" + _alternation(self.named_title_scopes) + r")?([\u4e00-\u9fff、“”]{4,30}?(?:"
            + _alternation(self.named_title_types) + r"))(?=[^\u4e00-\u9fff]|[等和及与并]|$)"
        ) if self.dated_title_verbs and self.named_title_types and self.named_title_scopes else None

    def title_kind(self, inner: str) -> str:
        """``law``, ``publication`` or ``other`` for the text inside 《》."""
        core = re.sub(r"[（(][^（）()]*(?:[）)]\s*)?$", "", inner).strip()  # an edition or period mark, closed or not (…纲要(2021-2025年)
        comp = _ends_with_any(core, self.compilation_words)
        if comp and core.endswith(("汇编", "选编")):
            rest = core[: -len(comp)]
            rest = rest[:-2] if rest.endswith("文件") else rest
            if _ends_with_any(rest, _longest_first(self.generic_compiled)) or not _ends_with_any(rest, self.type_words):
                return "publication"
            return "law"
        if _ends_with_any(core, self.not_type_endings):
            return "other"
        if _ends_with_any(core, self.publication_words):
            return "publication"
        if _ends_with_any(core, self.type_words):
            return "law"
        return "other"


def find_laws(index: TextIndex, r: LawRules, place_prefix: Callable[[TextIndex, int], int]) -> tuple[list[Char], list[Char]]:
    """(LAW spans, spans where LAW is wrong): titles by type word, statute names, five-year plans."""
    text = index.text
    laws: list[Char] = []
    vetoes: list[Char] = []
    for s, e in index.titles:
        if _starts_with_any(text[e : e + 4], r.after_title_not_law) or r.title_kind(text[s + 1 : e - 1]) != "law":
            vetoes.append((s, e))
        else:
            laws.append((s, e))
    for m in r.names.finditer(text):
        s, e = m.span()
        if index.in_title(s, e):
            continue
        q = index.in_quote(s, e)
        blocked = bool(q and (q[0] + 1, q[1] - 1) != (s, e)) or bool(_starts_with_any(text[e : e + 4], r.name_blockers_after))
        blocked = blocked or _in_field_list(text, s, e, r.fields_of_law)
        (vetoes if blocked else laws).append((s, e))
    for s, e, _ in r.titles.find(text) if r.titles else []:
        if index.in_title(s, e) or any(_overlaps((s, e), x) for x in laws + vetoes) or _starts_with_any(text[e : e + 1], r.title_blockers_after):
            continue
        if text.endswith(r.law_name_prefix, 0, s):
            s -= len(r.law_name_prefix)
        q = index.in_quote(s, e)
        blocked = bool(q and (q[0] + 1, q[1] - 1) != (s, e)) or bool(_starts_with_any(text[e : e + 4], r.name_blockers_after))
        (vetoes if blocked else laws).append((s, e))
    for m in r.plan.finditer(text):
        s, e = m.span()
        if index.in_title(s, e):
            continue
        cont = _starts_with_any(text[e:], _longest_first(r.plan_continuations))
        if cont:
            e += len(cont)
        if not text[s] == "“":
            s = place_prefix(index, s)
        laws.append((s, e))
    def free(s: int, e: int) -> bool:
        """Outside 《》 and every span already taken or vetoed."""
        return not index.in_title(s, e) and not any(_overlaps((s, e), x) for x in laws + vetoes)

    for m in r.dated.finditer(text) if r.dated else []:
        s, e = m.span(1)
        if free(s, e):
            laws.append((place_prefix(index, s), e))
    place_starts = {a for a, _, _ in index.gazetteer_places}
    for m in r.named.finditer(text) if r.named else []:
        s, e = m.span(2)
        if (m.group(1) or s in place_starts) and free(s, e):
            laws.append((s, e))
    return laws, vetoes


def _in_field_list(text: str, s: int, e: int, fields: Sequence[str]) -> bool:
    """True when the name is one item of a list that also names fields of law (宪法、民法、刑法…)."""
    window_s, window_e = max(0, s - 12), min(len(text), e + 12)
    left = re.split(r"[、及和与，。；：\n]", text[window_s:s])
    right = re.split(r"[、及和与，。；：\n]", text[e:window_e])
    if len(left) < 2 and len(right) < 2:
        return False
    neighbours = ([left[-2]] if len(left) >= 2 and left[-1] == "" else []) + ([right[1]] if len(right) >= 2 and right[0] == "" else [])
    return any(n.rstrip("等") in fields for n in neighbours)


def law_like(text: str, r: LawRules) -> bool:
    """Whether a model LAW span looks like a law: a 《》 title or a name ending in a type word."""
    t = text.strip()
    if t.startswith("《") and t.endswith("》"):
        return r.title_kind(t[1:-1]) == "law"
    return bool(_ends_with_any(t, r.type_words)) and not _ends_with_any(t, r.not_type_endings)
