"""What every rule family shares: the text index (titles, quotes, clauses, words, places), word-list helpers, rule tables."""
from __future__ import annotations

import copy
import re
from typing import Any, Callable, Iterable, Optional, Sequence
from bisect import bisect_right
from dataclasses import fields

from spacy.util import registry

from pipeline.knowledge.places import PlaceGazetteer

CN_NUMERALS = "零〇一二两三四五六七八九十百千万亿"
ADDRESS_RE = re.compile(r"\d+[号楼层室栋座]+$")

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
