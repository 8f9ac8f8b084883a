"""INSTITUTION: type nouns and body names with their place prefix, named groups, named streets and towns acting as the office."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

from pipeline.components.rules.text import ADDRESS_RE, Char, RuleTable, TextIndex, _alternation, _ends_with_any, _longest_first, _overlaps, _starts_with_any


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
    website_words: list[str] = field(default_factory=list)  # 门户网站 …: 某某人民政府门户网站 names a site, not a body
    document_words: list[str] = field(default_factory=list)  # 规章: 市政府规章 names a kind of law, not a body
    acting_followers: list[str] = field(default_factory=list)  # 坚持, 深入 …: a county or city named as the subject acts as the office
    paired_bodies: dict[str, list[str]] = field(default_factory=dict)  # 党委 → 政府: the bare partner written after a party committee (镇党委、政府)
    paired_blockers: list[str] = field(default_factory=list)  # 建设, 信息 …: the partner word begins a compound (党委政府信息), not a body
    bare_groups: list[str] = field(default_factory=list)  # 领导小组, 工作专班, 协调小组: a body also when named by its noun alone
    bare_group_verbs: list[str] = field(default_factory=list)  # 成立, 组建 …: the verbs a bare group noun may follow
    not_body_endings: list[str] = field(default_factory=list)  # 大局, 部署, 副中心, 网上办 …: words that end like a body and name none

    def __post_init__(self) -> None:
        self.standalone = _longest_first(self.standalone)
        self.group_nouns = _longest_first(self.group_nouns)
        self.group_boundary_words = _longest_first(self.group_boundary_words)
        self.org_endings = _longest_first(self.org_endings)
        self.org_prefixes = _longest_first(self.org_prefixes)
        self.bare_prefixes = _longest_first(self.bare_prefixes)
        self.type_re = re.compile(_alternation(self.standalone))
        self.group_re = re.compile(_alternation(self.group_nouns))
        # the false groups that are no body's name (中心组 is one): a model span ending inside one is cut in a word
        self.false_group_words = [g for g in self.false_groups if g not in self.standalone]


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
            elif level in ("county", "city") and _acts(index.text, a, b, r.acting_followers):
                self.named_units.append((a, b))  # 岳池县坚持…, 现将武昌区…, 呼兰区2023年…报告: the county as the office
        merged: list[list[int]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.spans = [(a, b) for a, b in merged]
        self._by_end = {b: a for a, b in self.spans}
        self._by_start = {a: b for a, b in self.spans}

    def ending_at(self, i: int) -> Optional[int]:
        return self._by_end.get(i)

    def starting_at(self, i: int) -> Optional[int]:
        """The end of the place name that starts at ``i``, if one does."""
        return self._by_start.get(i)

    def covering(self, i: int) -> Optional[Char]:
        """A place word that runs over position ``i`` from before it (朝阳区|委)."""
        for a, b in self.spans:
            if a < i < b:
                return (a, b)
            if a >= i:
                break
        return None


def _acts(text: str, a: int, b: int, followers: Sequence[str]) -> bool:
    """A county or city name written as the subject that acts (followed by 坚持, 深入 …, or after 现将),
    or opening a line before a year (the report's title), not as a place (全区, 在岳池县)."""
    if not followers or (text[b : b + 1] in "县区市州旗盟" or text[b : b + 2] in ("人民", "政府")):
        return False
    line_start = a == 0 or text[a - 1] == "\n"
    after_clause = a == 0 or text[a - 1] in "，,。；\n" or text[max(0, a - 2) : a] == "现将"
    return (after_clause and _starts_with_any(text[b : b + 4], followers)) or (line_start and bool(re.match(r"(?:关于)?\d{4}年", text[b : b + 8])))


def place_prefix_start(index: TextIndex, s: int, r: InstitutionRules, places: "PlaceIndex", owners: bool = False) -> int:
    """Start of the name written before a type noun at ``s``: place names, a bare 区/市/街道/社区 (guideline I1), 中共/中央, owner bodies of a sub-body."""
    text = index.text
    clause_s = index.clause_start(s)
    start = s
    cover = places.covering(s)
    if cover and _conjunction_place(text, cover[0], cover[1], clause_s, r):
        return cover[0] + 1  # 市政府和|县委: a conjunction and a bare level, not the county 和县
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
        if a is not None and a >= clause_s and _conjunction_place(text, a, start, clause_s, r):
            return a + 1  # 县委、县政府的坚强领导和|县司法局: the bare level after a conjunction
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


def _bare_group_opens(text: str, clause_s: int, s: int, r: InstitutionRules) -> bool:
    """Whether a group noun at ``s`` stands alone: at its clause's start, after 和/及/与/、, or right after a verb
    that sets up or runs a group (成立, 组建 …); not inside a longer name whose modifier the rules stopped at (统筹|协调小组)."""
    before = text[clause_s:s]
    return not before or before[-1] in "和及与、" or bool(_ends_with_any(before, r.bare_group_verbs))


def _conjunction_place(text: str, a: int, b: int, clause_s: int, r: InstitutionRules) -> bool:
    """A two-character place that is a conjunction and a bare level (和县, 及县 …) right after a body's name
    (市政府和县委, 向市政府和县人大常委会): read as 和 + 县, not as the county 和县, which opens its clause or follows
    a word that is no body (在和县县委…, 赴和县司法局)."""
    if not (b - a == 2 and text[a] in "和及与" and a > clause_s and text[b - 1] in "省市县区镇乡旗州盟"):
        return False
    before = text[clause_s:a]
    return bool(_ends_with_any(before, r.standalone) or _ends_with_any(before, r.org_endings))


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
        partnered = any(text.startswith(w, e) for w in r.paired_bodies.get(m.group(), []))  # 党委政府 segmented as one word
        if _role_word(text, e, r) or index.in_title(s, e) or (e - s <= 2 and not index.is_word_start(e) and not partnered):
            continue
        # a body's standing meeting written over its name runs on (县政府|常务会: 县政府 then 政府常务会 → 县政府常务会),
        # but not into a verb (党工委|会同: 工委会 would take 会 of 会同)
        e = max([e] + [m2.end() for p in range(s + 1, e) if (m2 := r.type_re.match(text, p)) and m2.group().endswith(("会", "会议")) and (m2.end() - e >= 2 or text[m2.end() : m2.end() + 1] not in "同商签")])
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
        if start == s and m.group() in r.bare_groups and _bare_group_opens(text, index.clause_start(s), s, r):
            cands.append((s, e))  # 成立领导小组和工作专班: the group the report set up, named by its noun (not 各工作小组, guideline I12)
            continue
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
    cands = [c for c in cands if not index.crosses(c[0], c[1], "，。；：、\n") and not _ends_with_any(text[c[0] : c[1]], r.not_body_endings)]
    cands += _paired_partners(text, cands, r)
    cands = [(a, b + len(r.meeting_suffix)) if r.meeting_suffix and text.startswith(r.meeting_suffix, b) else (a, b) for a, b in cands]
    return _longest_non_overlapping(cands)


def _paired_partners(text: str, cands: Sequence[Char], r: InstitutionRules) -> list[Char]:
    """The government (or office) written bare after a party committee, as its pair: 镇党委、政府 → 政府, 党委政府 → 政府."""
    out: list[Char] = []
    for a, b in cands:
        partners = next((v for k, v in r.paired_bodies.items() if text.endswith(k, a, b)), None)
        if not partners:
            continue
        p = b + 1 if text[b : b + 1] in ("、", "和") else b
        word = next((w for w in partners if text.startswith(w, p)), None)
        if word and not _starts_with_any(text[p + len(word) : p + len(word) + 4], r.paired_blockers):
            out.append((p, p + len(word)))
    return out


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


def institution_like(text: str, s: int, e: int, r: InstitutionRules) -> bool:
    """Whether a model INSTITUTION span at ``s``–``e`` ends like the name of a body: with a body's ending, not with a word
    that only ends like one (服务大局, 同部署, 省域副中心, 网上办), nor inside a word that is no body (街道中心|工作)."""
    name = text[s:e].strip("“”")
    if not _ends_with_any(name, r.org_endings) or _ends_with_any(name, r.not_body_endings):
        return False
    # 服务中心|组织培训 is a centre: 中心组 is a body's name, not a false group here
    return not any(text.startswith(g, e - j) for g in r.false_group_words for j in range(1, len(g)) if j <= e - s)
