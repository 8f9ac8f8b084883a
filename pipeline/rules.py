"""entity_rules: rule-based repair of the NER's entities, placed right after "ner".

A character-level NER trained on a handful of reports gets boundaries and
rare types wrong. This component re-reads ``doc.text`` with rules that follow
the annotation spec and hold for reports from any province: measure-word
patterns for COUNT, title marks and document type words for LAW, head words
with their naming modifier for MECHANISM, type nouns with their place prefix
for INSTITUTION, and boundary words for every span. No rule names a
particular unit.

Rule families (each switched on or off in the data, see ``FAMILIES``):

- ``trim``: model spans lose leading function words, governing verbs and
  trailing particles, are snapped to word boundaries, and are dropped when they
  cross clause punctuation.
- ``count``: numeral + 余/多 + magnitude + measure word; authoritative (it
  replaces overlapping predictions and, with ``drop_unmatched``, removes model
  COUNTs it does not confirm).
- ``law``: 《》 titles by their type word (law → LAW, publication → no LAW),
  national statute names, numbered five-year (普法) plans.
- ``mechanism_fix`` / ``mechanism_add``: head word + naming modifier
  candidates replace overlapping predictions / are added where the model has
  nothing.
- ``institution_fix`` / ``institution_add``: the same for type nouns with
  place prefixes, named groups and named streets acting as the office.

The tables are data (``corpus/rules/entity_rules.json``), loaded in
``initialize`` and saved with the pipeline. Offsets are never changed: the
rules read the cleaned ``doc.text`` (same length as the input) and set
``doc.ents`` from character offsets.
"""
from __future__ import annotations

import copy
import re
from bisect import bisect_right
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[1] / "corpus" / "rules" / "entity_rules.json"
DEFAULT_PLACES_PATH = DEFAULT_RULES_PATH.with_name("places.json")
DEFAULT_BODIES_PATH = DEFAULT_RULES_PATH.with_name("bodies.json")
DEFAULT_LAWS_PATH = DEFAULT_RULES_PATH.with_name("law_titles.json")
# the data tables besides the rules, each saved with the model as <name>.json
EXTRA_TABLES = ("places", "bodies", "laws")
FAMILIES = ("trim", "count", "law", "mechanism_fix", "mechanism_add", "institution_fix", "institution_add")
CN_NUMERALS = "零〇一二两三四五六七八九十百千万亿"
ADDRESS_RE = re.compile(r"\d+[号楼层室栋座]+$")

from .errors import E_UNKNOWN_FAMILY, E_NO_RULES  # noqa: F401  (messages live in errors.py)
from .places import PhraseTable, PlaceGazetteer

Char = tuple[int, int]
Ent = tuple[int, int, str]
Word = tuple[int, int, str, str]


@registry.misc("fazhi.jieba_words.v1")
def jieba_words(hmm: bool = True) -> Callable[[str], list[Word]]:
    """Word segmentation with part-of-speech tags (jieba.posseg): ``text → [(start, end, word, flag)]``.

    ``hmm`` lets jieba guess words missing from its dictionary (its HMM, about
    3/4 of the time taken here); without it they come out as single characters.
    """

    def segment(text: str) -> list[Word]:
        import logging

        import jieba
        import jieba.posseg as pseg

        jieba.setLogLevel(logging.WARNING)
        out: list[Word] = []
        i = 0
        for w in pseg.cut(text, HMM=hmm):
            out.append((i, i + len(w.word), w.word, w.flag))
            i += len(w.word)
        return out

    return segment


def _longest_first(words: Iterable[str]) -> list[str]:
    return sorted(set(words), key=lambda w: (-len(w), w))


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation, longest first; one that never matches for no words."""
    return "|".join(re.escape(w) for w in _longest_first(words)) or "(?!)"


def _ends_with_any(text: str, words: Sequence[str]) -> Optional[str]:
    for w in words:
        if text.endswith(w):
            return w
    return None


def _starts_with_any(text: str, words: Sequence[str]) -> Optional[str]:
    for w in words:
        if text.startswith(w):
            return w
    return None


def _overlaps(a: Char | Ent, b: Char | Ent) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class RuleTable:
    """A table of one rule family: built from and written back to its section of the rules JSON (keys starting with ``_`` are comments)."""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Any:
        names = {f.name for f in fields(cls)}
        return cls(**{k: copy.deepcopy(v) for k, v in d.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}


class TextIndex:
    """What the rules need to know about one text: bracket pairs, clauses and words."""

    def __init__(
        self, text: str, clause_chars: str, segment: Optional[Callable[[str], list[Word]]] = None, gazetteer: Optional[PlaceGazetteer] = None
    ) -> None:
        self.text = text
        self.gazetteer = gazetteer
        self._places: Optional[list[tuple[int, int, str]]] = None
        self.titles = [m.span() for m in re.finditer(r"《[^《》\n]{1,120}》", text)]
        self.quotes = [m.span() for m in re.finditer(r"“[^“”\n]{1,60}”", text)]
        self._clause_ends = [i for i, ch in enumerate(text) if ch in clause_chars]
        self._segment = segment
        self._words: Optional[list[Word]] = None
        self._word_starts: list[int] = []

    @property
    def gazetteer_places(self) -> list[tuple[int, int, str]]:
        """Place names of the gazetteer in the text (start, end, level), found once."""
        if self._places is None:
            self._places = self.gazetteer.find(self.text) if self.gazetteer else []
        return self._places

    @property
    def words(self) -> list[Word]:
        if self._words is None:
            self._words = self._segment(self.text) if self._segment else [(i, i + 1, ch, "x") for i, ch in enumerate(self.text)]
            self._word_starts = [w[0] for w in self._words]
        return self._words

    def is_word_start(self, i: int) -> bool:
        """Whether a word starts at ``i`` (or ``i`` is the end of the text)."""
        _ = self.words
        if i >= len(self.text) or i <= 0:
            return True
        k = bisect_right(self._word_starts, i) - 1
        return k >= 0 and self._word_starts[k] == i

    def ends_with_word(self, s: int, p: int, words: Sequence[str], fused_end: Optional[int] = None) -> Optional[str]:
        """The longest of ``words`` that ends at ``p`` (not before ``s``) on word boundaries.

        With ``fused_end``, a word may also end inside a segmenter word that
        runs on to ``fused_end`` (深化|改革 segmented as one word).
        """
        left = self.text[s:p]
        for w in words:
            if not left.endswith(w) or not self.is_word_start(p - len(w)):
                continue
            if self.is_word_start(p) or (fused_end is not None and self.words[self.word_at(p)][1] >= fused_end):
                return w
        return None

    def word_at(self, i: int) -> int:
        """Index of the word covering character ``i``."""
        _ = self.words
        return max(0, bisect_right(self._word_starts, i) - 1)

    def clause_start(self, i: int) -> int:
        k = bisect_right(self._clause_ends, i - 1)
        return self._clause_ends[k - 1] + 1 if k else 0

    @staticmethod
    def _inside(pairs: list[Char], s: int, e: int) -> Optional[Char]:
        for a, b in pairs:
            if a <= s and e <= b:
                return (a, b)
            if a > s:
                break
        return None

    def in_title(self, s: int, e: int) -> Optional[Char]:
        return self._inside(self.titles, s, e)

    def in_quote(self, s: int, e: int) -> Optional[Char]:
        return self._inside(self.quotes, s, e)

    def crosses(self, s: int, e: int, chars: str) -> bool:
        """True when ``text[s:e]`` contains one of ``chars`` outside quotes and titles."""
        for i in range(s, e):
            if self.text[i] in chars and not self.in_quote(i, i + 1) and not self.in_title(i, i + 1):
                return True
        return False


# --------------------------------------------------------------------- COUNT


@dataclass
class CountRules(RuleTable):
    units: list[str]
    unit_blockers: dict[str, list[str]]
    ordinal_prefixes: list[str]
    cn_word_prefixes: list[str]
    hotline_regex: str
    formulas: list[str]
    quote_max: int
    indefinite_units: list[str]
    quota_cues: list[str]
    drop_unmatched: bool = True

    def __post_init__(self) -> None:
        self.unit_blockers = {k: v for k, v in self.unit_blockers.items() if not k.startswith("_")}
        num = rf"(?P<num>\d+(?:[.,]\d+)*|[零〇一二两三四五六七八九十][{CN_NUMERALS}]*)"
        self.pattern = re.compile(num + r"(?P<approx>[余多])?(?P<mag>[十百千万亿]*)(?P<approx2>[余多])?(?P<unit>" + _alternation(self.units) + ")")
        self.hotline = re.compile(self.hotline_regex)


def find_counts(index: TextIndex, r: CountRules) -> list[Char]:
    """COUNT spans by the spec's grammar, without ordinals, dates, hotlines, formulas, quoted names and indefinite 一."""
    text = index.text
    out: list[Char] = []
    for m in r.pattern.finditer(text):
        s, e = m.span()
        num, unit = m.group("num"), m.group("unit")
        before = text[max(0, s - 2) : s]
        prev = before[-1:] if before else ""
        if any(before.endswith(p) for p in r.ordinal_prefixes):
            continue
        if prev and (prev.isdigit() or prev in ".-—–·/+~～" or (prev.isascii() and prev.isalpha())):
            continue
        cn = not num[0].isdigit()
        if cn and any(before.endswith(p) for p in r.cn_word_prefixes):
            continue
        if cn and prev and prev in CN_NUMERALS:
            continue
        nxt = text[e : e + 4]
        if _starts_with_any(nxt, r.unit_blockers.get(unit, [])):
            continue
        if not cn and not m.group("mag") and r.hotline.match(num):
            continue
        if index.in_title(s, e):
            continue
        q = index.in_quote(s, e)
        if q and q[1] - q[0] - 2 <= r.quote_max:
            continue
        if _in_formula(text, s, e, r.formulas):
            continue
        if cn and num == "一" and not m.group("mag") and unit in r.indefinite_units:
            clause = text[index.clause_start(s) : s]
            if not any(c in clause for c in r.quota_cues):
                continue
        out.append((s, e))
    return out


def _in_formula(text: str, s: int, e: int, formulas: Sequence[str]) -> bool:
    for f in formulas:
        lo = max(0, s - len(f) + 1)
        k = text.find(f, lo, e + len(f))
        while k != -1 and k < e:
            if k < e and k + len(f) > s:
                return True
            k = text.find(f, k + 1, e + len(f))
    return False


# ----------------------------------------------------------------------- LAW


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

    def __post_init__(self) -> None:
        self.type_words = _longest_first(self.type_words)
        self.publication_words = _longest_first(self.publication_words)
        self.compilation_words = _longest_first(self.compilation_words)
        self.names = re.compile(f"(?:{re.escape(self.law_name_prefix)})?(?:{_alternation(self.national_laws)})")
        self.plan = re.compile(self.plan_regex)

    def title_kind(self, inner: str) -> str:
        """``law``, ``publication`` or ``other`` for the text inside 《》."""
        core = re.sub(r"[（(][^（）()]*[）)]\s*$", "", inner).strip()
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


# ----------------------------------------------------------------- MECHANISM


@dataclass
class MechanismRules(RuleTable):
    heads: list[str]
    quoted_heads: list[str]
    head_blockers_after: dict[str, list[str]]
    generic_modifiers: list[str]
    boundary_words: list[str]
    owner_prefixes: list[str]
    conjunctions: list[str]
    conjunct_stop_endings: list[str]
    max_len: int = 24
    quoted_prefix_max: int = 6
    min_modifier: int = 2
    quoted_suffix_trim: list[str] = field(default_factory=list)
    quoted_suffix_drop: list[str] = field(default_factory=list)
    not_head_before: list[str] = field(default_factory=list)
    false_heads: list[str] = field(default_factory=list)
    list_items: bool = True
    list_item_generic_endings: list[str] = field(default_factory=list)
    list_max_item: int = 12
    skip_flags: list[str] = field(default_factory=list)
    named_mechanisms: list[str] = field(default_factory=list)
    slogans: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.heads = _longest_first(self.heads)
        self.named = PhraseTable({n: "named" for n in self.named_mechanisms} | {n: "slogan" for n in self.slogans})
        self.head_blockers_after = {k: _longest_first(v) for k, v in self.head_blockers_after.items() if not k.startswith("_")}
        self.boundary_words = _longest_first(self.boundary_words)
        self.owner_prefixes = _longest_first(self.owner_prefixes)
        self.conjunct_stop_endings = _longest_first(self.conjunct_stop_endings)
        self.head_re = re.compile(_alternation(self.heads))
        self.quoted_head_re = re.compile("”(?:" + _alternation(self.quoted_heads) + ")")
        self.list_re = re.compile("等(?:工作)?(?:" + _alternation(self.heads) + ")")

    def blockers_after(self, head: str) -> list[str]:
        return self.head_blockers_after.get(head, self.head_blockers_after.get("*", []))


def find_mechanisms(index: TextIndex, r: MechanismRules, owner_ends: Sequence[str]) -> tuple[list[Char], list[Char]]:
    """(MECHANISM candidates, generic head phrases): a head word with its naming modifier, extended left to a boundary."""
    text = index.text
    out: list[Char] = []
    generic: list[Char] = []
    for m in r.head_re.finditer(text):
        hs, he = m.span()
        if index.in_title(hs, he):
            continue
        if _starts_with_any(text[he : he + 4], r.not_head_before) or any(text.startswith(f, he - len(f)) for f in r.false_heads):
            generic.append((hs, he))
            continue
        if text[he : he + 1] == "”":
            span = _quoted_head(index, hs, he, r, owner_ends)
        else:
            if _starts_with_any(text[he : he + 4], r.blockers_after(m.group())):
                continue
            s = _extend_modifier(index, hs, r, owner_ends)
            span = (s, he) if s is not None else None
        if span is None:
            continue
        verdict = _specific(text[span[0] : span[1]], r)
        if verdict == "specific":
            out.append(span)
        elif verdict == "generic":
            generic.append(span)
    for m in r.quoted_head_re.finditer(text):
        q = index.in_quote(m.start(), m.start() + 1)
        if q and not index.in_title(q[0], m.end()):
            out.append((q[0], m.end()))
    if r.list_items:
        out += _list_items(index, r)
    for s, e, kind in r.named.find(text):
        q = index.in_quote(max(0, s - 1), min(len(text), e + 1))
        if index.in_title(s, e) or (q and q != (s - 1, e + 1)) or _starts_with_any(text[e + (1 if q else 0) :], r.quoted_suffix_drop):
            continue
        if not q and len(text[s:e]) < 4 and not text[s:e].endswith("制"):  # short names only when quoted (一件事)
            continue
        span = q or (s, e)
        if kind == "slogan":
            generic.append(span)
        elif not _starts_with_any(text[span[1] : span[1] + 4], r.heads):
            out.append(span)
    return out, generic


def _list_items(index: TextIndex, r: MechanismRules) -> list[Char]:
    """Items of ``A、B等制度`` / ``A、B等工作机制`` (guideline M3): each named item is a MECHANISM, management areas are not."""
    text = index.text
    out: list[Char] = []
    for m in r.list_re.finditer(text):
        end = m.start()
        clause_s = index.clause_start(end)
        s = end
        while s > clause_s and not index.ends_with_word(clause_s, s, r.boundary_words):
            s -= 1
        items: list[Char] = []
        i = s
        for part in re.split(r"([、和及])", text[s:end]):
            if part and part not in "、和及":
                items.append((i, i + len(part)))
            i += len(part)
        if len(items) < 2:
            continue
        for a, b in items:
            item = text[a:b]
            if 2 <= len(item) <= r.list_max_item and not _ends_with_any(item, r.list_item_generic_endings) and not index.in_title(a, b):
                out.append((a, b))
    return out


def _quoted_head(index: TextIndex, hs: int, he: int, r: MechanismRules, owner_ends: Sequence[str]) -> Optional[Char]:
    """A head closing a quote: “X机制” → X机制 (guideline M1); a short qualifier before it stays with the quotes (行政执法“三项制度”)."""
    q = index.in_quote(hs, he + 1)
    if not q or q[1] != he + 1:
        return None
    s = _extend_modifier(index, q[0], r, owner_ends, stop_at_conjunction=True)
    if s is not None and 0 < q[0] - s <= r.quoted_prefix_max:
        return (s, q[1])
    return (q[0] + 1, he)


def _extend_modifier(
    index: TextIndex, head_start: int, r: MechanismRules, owner_ends: Sequence[str], stop_at_conjunction: bool = False, with_owners: bool = True
) -> Optional[int]:
    """Start of the naming modifier before ``head_start``; None when no boundary is found within ``max_len``.

    Quoted parts are taken whole; 和/及/与/、 join modifiers that share the head
    (guideline M4) unless the conjunct before them is a complete phrase of its
    own (it ends in a head or another system noun). A span that would start
    with a conjunction takes the conjunct before it too.
    """
    text = index.text
    p = head_start
    if p > 0 and text[p - 1] in r.conjunctions:
        return head_start
    head_end = head_start + 1
    clause_s = index.clause_start(head_start)
    budget = r.max_len
    owners = list(owner_ends) + (r.owner_prefixes if with_owners else [])
    found = None
    while budget > 0:
        if p <= clause_s:
            found = p
            break
        ch = text[p - 1]
        if ch == "”":
            q = index.in_quote(p - 1, p)
            if not q:
                found = p
                break
            p = q[0]
            budget -= 2
            continue
        if ch in "“《》（）()[]【】 \t" or ch.isdigit():
            found = p
            break
        if index.ends_with_word(clause_s, p, r.boundary_words, fused_end=head_end) or index.ends_with_word(clause_s, p, owners):
            found = p
            break
        if ch in r.conjunctions:
            conj_left = text[clause_s : p - 1]
            if stop_at_conjunction or _ends_with_any(conj_left, r.conjunct_stop_endings) or _ends_with_any(conj_left, r.heads):
                found = p
                break
        p -= 1
        budget -= 1
    if found is None:
        return None
    if found < head_start and text[found] in "和与及" and with_owners:
        again = _extend_modifier(index, found, r, (), stop_at_conjunction, with_owners=False)
        if again is not None and again < found:
            return again
    return _skip_governing_words(index, found, head_start, r)


def _skip_governing_words(index: TextIndex, s: int, head_start: int, r: MechanismRules) -> int:
    """Skip adverbs and verbs that open the modifier (by part of speech), as long as a modifier of ``min_modifier`` characters is left.

    A clause in a report opens with its governing verb phrase (全面/深入 + 推行/落实 …);
    the part-of-speech tags catch verbs the boundary list does not name.
    """
    if not r.skip_flags:
        return s
    words = index.words
    k = index.word_at(s)
    while k < len(words):
        ws, we, w, flag = words[k]
        if ws != s or flag not in r.skip_flags or head_start - we < r.min_modifier:
            break
        nxt = index.text[we : we + 1]
        if nxt in "、和与及“" or nxt in r.conjunctions:
            break
        s = we
        k += 1
    return s


def _specific(span_text: str, r: MechanismRules) -> str:
    """``specific``, ``generic`` (a bare head or one with a generic modifier) or ``none``."""
    t = span_text.strip("“”")
    head = _ends_with_any(t, r.heads) or _ends_with_any(t, r.quoted_heads) or ""
    if not head:
        return "none"
    mod = t[: len(t) - len(head)].strip("“”")
    if mod in r.generic_modifiers or not mod:
        return "generic"
    if len(mod) < r.min_modifier or mod[0] in "和与及、的":
        return "none"
    return "specific"


def quoted_name_fix(index: TextIndex, ent: Ent, r: MechanismRules) -> Optional[Ent]:
    """A model MECHANISM that is a quoted name plus a non-head word: keep the quoted name, or drop it (activity, style, requirement)."""
    s, e, label = ent
    text = index.text
    if label != "MECHANISM":
        return ent
    q = index.in_quote(s, s + 1) if text[s] != "“" else index.in_quote(s, s + 2)
    if q and (q[0] + 1, q[1] - 1) == (s, e):
        return ent if _ends_with_any(text[s:e], r.heads) else (q[0], q[1], label)
    if text[s] == "“" and q and q[0] == s and e > q[1]:
        rest = text[q[1] : e]
        if _starts_with_any(rest, r.quoted_suffix_drop):
            return None
        if rest in r.quoted_suffix_trim:
            return (q[0], q[1], label)
    if text[s] == "“" and q and q[1] == e and _starts_with_any(text[e : e + 4], r.quoted_suffix_drop):
        return None
    return ent


# --------------------------------------------------------------- INSTITUTION


@dataclass
class InstitutionRules(RuleTable):
    standalone: list[str]
    group_nouns: list[str]
    sub_bodies: list[str]
    bare_prefixes: list[str]
    place_suffixes: list[str]
    not_places: list[str]
    place_flags: list[str]
    name_flags: list[str]
    org_prefixes: list[str]
    determiners: list[str]
    role_continuations: list[str]
    blockers_after_place: list[str]
    false_groups: list[str]
    meeting_suffix: str
    group_boundary_words: list[str]
    group_generic: list[str]
    org_endings: list[str]
    group_max_len: int = 22
    named_places: bool = True
    place_units: list[str] = field(default_factory=lambda: ["街道", "社区"])
    government_link: str = "人民政府"
    drop_unmatched: bool = True

    def __post_init__(self) -> None:
        self.standalone = _longest_first(self.standalone)
        self.group_nouns = _longest_first(self.group_nouns)
        self.group_boundary_words = _longest_first(self.group_boundary_words)
        self.org_endings = _longest_first(self.org_endings)
        self.org_prefixes = _longest_first(self.org_prefixes)
        self.bare_prefixes = _longest_first(self.bare_prefixes)
        self.type_re = re.compile(_alternation(self.standalone))
        self.group_re = re.compile(_alternation(self.group_nouns))


class PlaceIndex:
    """Place names found by the word segmenter: runs of place words (``ns``, or an administrative suffix), a name word + 街道/社区 included."""

    def __init__(self, index: TextIndex, r: InstitutionRules, stop_words: Sequence[str] = ()) -> None:
        words = index.words
        stops = set(stop_words)
        spans: list[list[int]] = []
        self.named_units: list[Char] = []
        for k, (ws, we, w, flag) in enumerate(words):
            is_place = (flag in r.place_flags and len(w) >= 2) or (
                len(w) >= 3 and w.endswith(tuple(r.place_suffixes)) and w not in r.not_places and not _ends_with_any(w, r.not_places) and w[0] not in "".join(r.determiners)
            )
            prev = words[k - 1] if k else None
            named_unit = (
                w in r.place_units and prev is not None and prev[1] == ws and (prev[3] in r.name_flags or prev[3] in r.place_flags) and len(prev[2]) >= 2 and prev[2] not in stops
            )
            if named_unit:
                if spans and spans[-1][1] == ws:
                    spans[-1][1] = we
                else:
                    spans.append([prev[0], we])
                self.named_units.append((spans[-1][0], we))
                continue
            if is_place:
                if spans and spans[-1][1] == ws:
                    spans[-1][1] = we
                else:
                    spans.append([ws, we])
        for a, b, level in index.gazetteer_places:
            if index.text[a:b] in r.not_places:
                continue
            spans.append([a, b])
            if level == "town" and not _starts_with_any(index.text[b : b + 4], r.place_units):
                self.named_units.append((a, b))
        merged: list[list[int]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.spans = [(a, b) for a, b in merged]
        self._by_end = {b: a for a, b in self.spans}

    def ending_at(self, i: int) -> Optional[int]:
        return self._by_end.get(i)

    def covering(self, i: int) -> Optional[Char]:
        """A place word that runs over position ``i`` from before it (朝阳区|委)."""
        for a, b in self.spans:
            if a < i < b:
                return (a, b)
            if a >= i:
                break
        return None


def place_prefix_start(index: TextIndex, s: int, r: InstitutionRules, places: "PlaceIndex", owners: bool = False) -> int:
    """Start of the name written before a type noun at ``s``: place names, a bare 区/市/街道/社区 (guideline I1), 中共/中央, owner bodies of a sub-body."""
    text = index.text
    clause_s = index.clause_start(s)
    start = s
    cover = places.covering(s)
    if cover:
        start = cover[0]
    took_place = cover is not None
    bare_taken = False
    while start > clause_s:
        before = text[clause_s:start]
        linked = places.ending_at(start - len(r.government_link)) if took_place and before.endswith(r.government_link) else None
        if linked is not None:  # 0 is a valid start: compare with None, or the loop never moves
            start = linked
            continue
        w = _ends_with_any(before, r.standalone)
        if w and owners:
            start -= len(w)
            continue
        if w:
            break
        a = places.ending_at(start)
        if a is not None and a >= clause_s:
            start, took_place = a, True
            continue
        w = _ends_with_any(before, r.org_prefixes)
        if w:
            start -= len(w)
            continue
        w = _ends_with_any(before, r.bare_prefixes)
        if w and not took_place and not bare_taken:
            if _ends_with_any(before[: -len(w)], r.determiners):
                break
            start -= len(w)
            bare_taken = True
            continue
        break
    return start


def _quote_wrapped(index: TextIndex, s: int, e: int) -> Char:
    q = index.in_quote(max(0, s - 1), min(len(index.text), e + 1))
    return q if q and q == (s - 1, e + 1) else (s, e)


def find_institutions(index: TextIndex, r: InstitutionRules, stop_words: Sequence[str] = ()) -> list[Char]:
    """INSTITUTION candidates: type nouns with their place prefix, named groups, named streets acting as the office.

    ``stop_words`` (governing verbs and the like) are never taken for the name part of a place.
    """
    text = index.text
    places = PlaceIndex(index, r, list(stop_words) + r.group_boundary_words)
    cands: list[Char] = []
    typed: list[Char] = []
    for m in r.type_re.finditer(text):
        s, e = m.span()
        if _role_word(text, e, r) or index.in_title(s, e) or (e - s <= 2 and not index.is_word_start(e)):
            continue
        typed.append((s, e))
        s, e = _quote_wrapped(index, s, e)
        q = index.in_quote(s, e)
        if q and q != (s, e):
            continue
        start = place_prefix_start(index, s, r, places, owners=m.group() in r.sub_bodies)
        cands.append((start, e))
    for m in r.group_re.finditer(text):
        s, e = m.span()
        if _role_word(text, e, r) or index.in_title(s, e) or any(text.startswith(f, s) for f in r.false_groups):
            continue
        if any(_overlaps((s, e), t) and t[1] != e for t in typed):
            continue
        start = _extend_group(index, s, r, r.group_boundary_words)
        if start is None or start == s:
            continue
        name = text[start:e]
        if name in r.group_generic or len(name.strip("“”")) < 3:
            continue
        start, e = _quote_wrapped(index, start, e)
        start = place_prefix_start(index, start, r, places) if text[start] == "“" else start
        cands.append((start, e))
    if r.named_places:
        for a, b in places.named_units:
            if index.in_title(a, b) or index.in_quote(a, b):
                continue
            if _starts_with_any(text[b : b + 6], r.blockers_after_place):
                continue
            cands.append((place_prefix_start(index, a, r, places), b))
    cands = [c for c in cands if not index.crosses(c[0], c[1], "，。；：、\n")]
    cands = [(a, b + len(r.meeting_suffix)) if r.meeting_suffix and text.startswith(r.meeting_suffix, b) else (a, b) for a, b in cands]
    return _longest_non_overlapping(cands)


def _role_word(text: str, e: int, r: InstitutionRules) -> bool:
    """True when the type noun ends inside a word for a person or a workforce (执法队员, 执法队伍)."""
    return any(text.startswith(c, e - 1) for c in r.role_continuations)


def _extend_group(index: TextIndex, s: int, r: InstitutionRules, stops: Sequence[str]) -> Optional[int]:
    """Start of the naming modifier of a group noun (委员会, 领导小组 …), up to a boundary word; None when none is found."""
    text = index.text
    p = s
    floor = max(0, s - r.group_max_len)
    clause_s = index.clause_start(s)
    while p > floor:
        if p <= clause_s:
            return p
        ch = text[p - 1]
        if ch == "”":
            q = index.in_quote(p - 1, p)
            if not q:
                return p
            p = q[0]
            continue
        if ch in "“《》（）()[]【】 \t" or ch.isdigit() or ch in "个家所" or ADDRESS_RE.search(text, clause_s, p):
            return p
        if index.ends_with_word(clause_s, p, stops):
            return p
        p -= 1
    return None


def _longest_non_overlapping(cands: Iterable[Char]) -> list[Char]:
    chosen: list[Char] = []
    for c in sorted(set(cands), key=lambda c: (-(c[1] - c[0]), c[0])):
        if not any(_overlaps(c, o) for o in chosen):
            chosen.append(c)
    return sorted(chosen)


def institution_like(span_text: str, r: InstitutionRules) -> bool:
    """Whether a model INSTITUTION span ends like the name of a body."""
    return bool(_ends_with_any(span_text.strip("“”"), r.org_endings))


# ---------------------------------------------------------------------- TRIM


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


# ----------------------------------------------------------------- component


@dataclass
class EntityRuleTables:
    families: dict[str, bool]
    hard: str
    clause: str
    count: CountRules
    law: LawRules
    mechanism: MechanismRules
    institution: InstitutionRules
    trim: TrimRules
    raw: dict[str, Any]
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    gazetteer: Optional[PlaceGazetteer] = None

    @classmethod
    def from_dict(cls, d: dict[str, Any], extra: Optional[dict[str, dict[str, Any]]] = None) -> "EntityRuleTables":
        """The tables from the rules JSON and the ``EXTRA_TABLES``: place names (places.py), body names, law titles (lawnames.py)."""
        extra = {k: v for k, v in (extra or {}).items() if v is not None}
        bodies = extra.get("bodies")
        fams = {k: bool(v) for k, v in d.get("families", {}).items() if not k.startswith("_")}
        for k in fams:
            if k not in FAMILIES:
                raise ValueError(E_UNKNOWN_FAMILY.format(name=k, known=", ".join(FAMILIES)))
        inst = dict(d["institution"])
        if bodies:
            inst["standalone"] = list(inst["standalone"]) + [b for k, v in bodies.items() if not k.startswith("_") for b in v]
        return cls(
            families={f: fams.get(f, True) for f in FAMILIES},
            hard=d["punctuation"]["hard"],
            clause=d["punctuation"]["clause"],
            count=CountRules.from_dict(d["count"]),
            law=LawRules.from_dict({**d["law"], "titles": PhraseTable({t: "LAW" for t in extra["laws"]["titles"]}) if "laws" in extra else None}),
            mechanism=MechanismRules.from_dict(d["mechanism"]),
            institution=InstitutionRules.from_dict(inst),
            trim=TrimRules.from_dict(d["trim"]),
            raw=copy.deepcopy(dict(d)),
            extra=extra,
            gazetteer=PlaceGazetteer(extra["places"], d["institution"].get("not_places", [])) if "places" in extra else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out = copy.deepcopy(self.raw)
        out["families"] = dict(self.families)
        return out


class EntityRules:
    """Repairs ``doc.ents`` after the NER with the rule families in the data (see module docstring)."""

    def __init__(
        self,
        nlp: Language,
        name: str = "entity_rules",
        *,
        families: Optional[list[str]] = None,
        segmenter: Optional[Callable[[str], list[Word]]] = None,
    ) -> None:
        self.name = name
        self.families = families
        self.segmenter = segmenter or jieba_words()
        self.tables: Optional[EntityRuleTables] = None

    def initialize(
        self,
        get_examples: Optional[Callable[[], Iterable]] = None,
        *,
        nlp: Optional[Language] = None,
        rules: Optional[dict[str, Any]] = None,
        places: Optional[dict[str, Any]] = None,
        bodies: Optional[dict[str, Any]] = None,
        laws: Optional[dict[str, Any]] = None,
    ) -> None:
        """Load the rule tables, place names, body names and law titles (from the config, or the project's default files)."""
        given = {"places": places, "bodies": bodies, "laws": laws}
        defaults = {"places": DEFAULT_PLACES_PATH, "bodies": DEFAULT_BODIES_PATH, "laws": DEFAULT_LAWS_PATH}
        self.set_rules(
            rules if rules is not None else srsly.read_json(DEFAULT_RULES_PATH),
            {k: v if v is not None else srsly.read_json(defaults[k]) for k, v in given.items()},
        )

    def set_rules(self, rules: dict[str, Any], extra: Optional[dict[str, Optional[dict[str, Any]]]] = None) -> None:
        """Set the rule tables; extra tables already loaded are kept unless given (a None value removes one)."""
        tables = dict(self.tables.extra) if self.tables is not None else {}
        tables.update(extra or {})
        self.tables = EntityRuleTables.from_dict(rules, tables)
        if self.families is not None:
            for f in self.families:
                if f not in FAMILIES:
                    raise ValueError(E_UNKNOWN_FAMILY.format(name=f, known=", ".join(FAMILIES)))
            self.tables.families = {f: f in self.families for f in FAMILIES}

    def __call__(self, doc: Doc) -> Doc:
        if self.tables is None:
            raise ValueError(E_NO_RULES)
        ents = apply_rules(doc.text, [(e.start_char, e.end_char, e.label_) for e in doc.ents], self.tables, self.segmenter)
        spans = []
        for s, e, label in ents:
            span = doc.char_span(s, e, label=label, alignment_mode="strict") or doc.char_span(s, e, label=label, alignment_mode="contract")
            if span is not None and len(span):
                spans.append(span)
        doc.ents = _drop_overlaps(spans)
        return doc

    def to_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.tables is not None:
            srsly.write_json(path / "rules.json", self.tables.to_dict())
            for name, data in self.tables.extra.items():
                srsly.write_json(path / f"{name}.json", data)

    def from_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> "EntityRules":
        path = Path(path)
        if (path / "rules.json").exists():
            extra = {n: srsly.read_json(path / f"{n}.json") for n in EXTRA_TABLES if (path / f"{n}.json").exists()}
            self.set_rules(srsly.read_json(path / "rules.json"), extra)
        return self


def _drop_overlaps(spans: list) -> list:
    out: list = []
    end = -1
    for sp in sorted(spans, key=lambda sp: (sp.start, -sp.end)):
        if sp.start >= end:
            out.append(sp)
            end = sp.end
    return out


def apply_rules(text: str, model_ents: Sequence[Ent], t: EntityRuleTables, segmenter: Optional[Callable[[str], list[Word]]] = None) -> list[Ent]:
    """The repaired entity list for ``text`` given the model's entities (character offsets)."""
    fam = t.families
    index = TextIndex(text, t.clause, segmenter, t.gazetteer)
    ents: list[Ent] = list(model_ents)
    if fam["trim"]:
        ents = [x for x in (trim_span(index, e, t.trim, t.hard) for e in ents) if x is not None]

    asserted: list[Ent] = []
    if fam["law"]:
        places = PlaceIndex(index, t.institution)
        laws, vetoes = find_laws(index, t.law, lambda ix, s: place_prefix_start(ix, s, t.institution, places))
        ents = [e for e in ents if not (e[2] == "LAW" and any(_overlaps(e, v) for v in vetoes))]
        if t.law.drop_unmatched:
            ents = [e for e in ents if e[2] != "LAW" or any(_overlaps(e, l) for l in laws) or law_like(text[e[0] : e[1]], t.law)]
        asserted += [(s, e, "LAW") for s, e in laws]
    if fam["count"]:
        counts = find_counts(index, t.count)
        if t.count.drop_unmatched:
            ents = [e for e in ents if e[2] != "COUNT" or any(_overlaps(e, c) for c in counts)]
        asserted += [(s, e, "COUNT") for s, e in counts]
    accepted: list[Ent] = []
    for a in sorted(asserted, key=lambda a: (0 if a[2] == "LAW" else 1, -(a[1] - a[0]), a[0])):
        if not any(_overlaps(a, o) for o in accepted):
            accepted.append(a)
    ents = [e for e in ents if not any(_overlaps(e, a) for a in accepted)]

    candidates: list[tuple[Ent, bool, bool]] = []
    if fam["institution_fix"] or fam["institution_add"]:
        r = t.institution
        if fam["institution_fix"] and r.drop_unmatched:
            ents = [e for e in ents if e[2] != "INSTITUTION" or (institution_like(text[e[0] : e[1]], r) and text[e[0] : e[1]] not in r.group_generic)]
        found = find_institutions(index, r, t.mechanism.boundary_words)
        candidates += [((s, e, "INSTITUTION"), fam["institution_fix"], fam["institution_add"]) for s, e in found]
    if fam["mechanism_fix"] or fam["mechanism_add"]:
        owner_ends = _longest_first(t.institution.standalone)
        mechs, generic = find_mechanisms(index, t.mechanism, owner_ends)
        if fam["mechanism_fix"]:
            ents = [x for x in (quoted_name_fix(index, e, t.mechanism) for e in ents) if x is not None]
            ents = [e for e in ents if not (e[2] == "MECHANISM" and any(g[1] == e[1] and e[0] <= g[0] for g in generic))]
        candidates += [((s, e, "MECHANISM"), fam["mechanism_fix"], fam["mechanism_add"]) for s, e in mechs]
    taken: list[Ent] = []
    for cand, fix, add in candidates:
        if any(_overlaps(cand, a) for a in accepted) or any(_overlaps(cand, o) for o in taken):
            continue
        hit = [e for e in ents if _overlaps(cand, e)]
        if (hit and fix) or (not hit and add):
            taken.append(cand)
            ents = [e for e in ents if not _overlaps(cand, e)]
    return sorted(set(accepted + taken + ents))


@Language.factory(
    "entity_rules",
    assigns=["doc.ents"],
    requires=["doc.ents"],
    default_config={"families": None, "segmenter": {"@misc": "fazhi.jieba_words.v1"}},
)
def make_entity_rules(nlp: Language, name: str, families: Optional[list[str]], segmenter: Callable[[str], list[Word]]) -> EntityRules:
    return EntityRules(nlp, name, families=families, segmenter=segmenter)
