"""COUNT: numeral + 余/多 + magnitude + measure word (spec §2), formulas and ordinals excluded."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from pipeline.components.rules.text import CN_NUMERALS, Char, RuleTable, TextIndex, _alternation, _overlaps, _starts_with_any


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
    page_meta_before: Sequence[str] = ()  # 浏览：76次, 点击数:120: the page's counter, not the report's (总点击量510100次 is)
    names_after: dict[str, list[str]] = field(default_factory=dict)  # 15分钟…服务圈: a unit whose count names a circle
    closing_units: Sequence[str] = ()  # 一 + one of these closing its clause counts (讲座一期，, 清理一次，)
    times_classifiers: Sequence[str] = ()  # a classifier + 次 is a compound unit of occasions (人次, 家次, 台次)
    ordinal_before: Sequence[str] = ()  # words a count right before is an ordinal of (七次、八次|全会: the 8th plenary)

    def __post_init__(self) -> None:
        # …not where 次 starts a word of its own (3个|次要问题, 5处|次生灾害, 5个|次级中心, 2个|次日, 次序, 次品); 之多, 之后,
        # 后 and 年度 after a compound unit leave it whole (2万余人次之多, 300人次后)
        compound = "".join(re.escape(c + "次") + "(?![要生级日序品])|" for c in self.times_classifiers)
        self.unit_blockers = {k: v for k, v in self.unit_blockers.items() if not k.startswith("_")}
        # the page's own counter: a label opening a line or a field, then a colon, right before the number
        self.page_meta = re.compile(r"(?:^|\n|[\s|｜])(?:" + _alternation(self.page_meta_before) + r")\s*[:：]\s*$") if self.page_meta_before else None
        self.names_after = {k: v for k, v in self.names_after.items() if not k.startswith("_")}
        # a bare magnitude with 余/多 is a number too (千余人, 万余件), not after a word that makes it vague (数千, 上万)
        num = rf"(?P<num>\d+(?:[.,]\d+)*|[零〇一二两三四五六七八九十][{CN_NUMERALS}]*|(?<![数几上成好近])[百千万]+(?=[余多]))"
        # one space may part Arabic digits from the rest (121 件, 1.3 万件, 240 余人次: PDF and CMS typesetting)
        self.pattern = re.compile(
            num + r"(?:(?<=\d)[ \u00a0\u3000](?=[余多十百千万亿\u4e00-\u9fff%]))?(?P<approx>[余多])?(?P<mag>[十百千万亿]*)(?P<approx2>[余多])?(?P<unit>" + compound + _alternation(self.units) + ")"
        )
        self.hotline = re.compile(self.hotline_regex)
        # a percentage written out (百分之百, 百分之九十五): the whole phrase is the COUNT, its unit %
        self.percent = re.compile(rf"百分之(?:\d+(?:[.．]\d+)?|[零〇一二两三四五六七八九十百][{CN_NUMERALS}点]*)")


def find_counts(index: TextIndex, r: CountRules) -> list[Char]:
    """COUNT spans by the spec's grammar, without ordinals, dates, hotlines, formulas, quoted names and indefinite 一."""
    text = index.text
    out: list[Char] = []
    for m in r.pattern.finditer(text):
        s, e = m.span()
        num, unit = m.group("num"), m.group("unit")
        before = text[max(0, s - 3) : s].rstrip(" \u00a0\u3000")[-2:]  # 第 3 次 is an ordinal too
        prev = before[-1:] if before else ""
        if any(before.endswith(p) for p in r.ordinal_prefixes):
            continue
        if r.page_meta and r.page_meta.search(text[max(0, s - 12) : s]):
            continue
        if r.ordinal_before and text.startswith(tuple(r.ordinal_before), e):
            continue
        if unit in r.names_after and any(w in re.split(r"[，,。；;\n]", text[e : e + 24])[0] for w in r.names_after[unit]):
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
        if _in_name(index, s, e, r):
            continue
        if _in_formula(text, s, e, r.formulas):
            continue
        if cn and num == "一" and not m.group("mag") and unit in r.indefinite_units and not (unit in r.closing_units and re.match(r"[，,。；;、！？!?]|$", text[e : e + 1])):
            # 一 before a noun is the indefinite article (开展一次培训); an event unit closing its clause counts (法治讲座一期，);
            # other units there make idioms (独当一面, 亲如一家, 成熟一批) or 一起 "together" (融合在一起；)
            clause = text[index.clause_start(s) : s]
            # 每季度召开一次 is a quota; 每一名 (right after 每) is "every", no count
            if not any(c in clause for c in r.quota_cues) or any(clause.endswith(c) for c in r.quota_cues):
                continue
        out.append((s, e))
    for m in r.percent.finditer(text):
        # like any count: not in a title, not a quoted slogan (确保“百分之百”落实)
        if not _in_name(index, *m.span(), r) and not any(_overlaps(m.span(), c) for c in out):
            out.append(m.span())
    return sorted(out)


def _in_name(index: TextIndex, s: int, e: int, r: CountRules) -> bool:
    """Inside a 《》 title or a short quoted name (“十四五”, “百分之百”): a number there names, it does not count."""
    q = index.in_quote(s, e)
    return index.in_title(s, e) or bool(q and q[1] - q[0] - 2 <= r.quote_max)


def _in_formula(text: str, s: int, e: int, formulas: Sequence[str]) -> bool:
    for f in formulas:
        lo = max(0, s - len(f) + 1)
        k = text.find(f, lo, e + len(f))
        while k != -1 and k < e:
            if k < e and k + len(f) > s:
                return True
            k = text.find(f, k + 1, e + len(f))
    return False
