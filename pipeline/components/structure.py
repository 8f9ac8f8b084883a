"""report_structure: the report's issuer and year, and the section of every part.

Sections come from headings (一、 （一） (一) 1. 一是), classified by keyword
tables in ``corpus/rules/sections.json``; a heading dated after the report year
is a plan; a sub-heading about the first-responsible-person duty is
``responsibility`` even under an achievements heading (spec, section 5). Text
before the first heading and the signature block is ``other``. Without any
heading, each paragraph is classified by its opening words.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

import srsly
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components.clean import raw_text
from pipeline.errors import no_table

SECTIONS = ("achievements", "shortcomings", "responsibility", "plans", "other")
YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")

for _name, _default in (("issuer", None), ("year", None), ("sections", [])):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


def _lines_from(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of ``text`` from ``start`` on, read lazily (a caller wanting a few reads a few)."""
    while True:
        end = text.find("\n", start)
        if end == -1:
            yield start, len(text)
            return
        yield start, end
        start = end + 1


def _lines(text: str) -> list[tuple[int, int]]:
    return list(_lines_from(text))


# the clauses that may open a report before its subject: 在市委、市政府的坚强领导下，在区人大、区政协的监督支持下，…
LEADERSHIP = r"(?:在[^，。\n]{2,60}?(?:领导|引领|带领|指导|支持|关心|帮助|监督)下[，,])*"
LEADERSHIP_RE = re.compile("^" + LEADERSHIP)


class StructureRules:
    """Compiled section and issuer rules."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.level1 = re.compile(data["heading_patterns"]["level1"])
        self.sub = re.compile(data["heading_patterns"]["sub"])
        self.keywords = [(sec, re.compile(p)) for sec, p in data["keywords"]]
        self.fallback = [(sec, re.compile(p)) for sec, p in data["content_fallback"]]
        self.issuer_end_re = re.compile(data["issuer_heads"] + "$")
        # tables saved by models older than these keys have no such sources: "(?!)" never matches
        fields = "|".join(data.get("issuer_meta_fields", [])) or "(?!)"
        followers = "|".join(data.get("issuer_opening_followers", [])) or "(?!)"
        self.meta_field_re = re.compile(r"(?:" + fields + r")[\s\]|｜:：]*([\u4e00-\u9fff（）()]{2,30})")
        # the unit may be followed by the work it reports on (乐平市法治政府建设工作坚持…)
        topic = "(?:" + "|".join(data.get("issuer_topics", [])) + ")?" if data.get("issuer_topics") else ""
        self.opening_re = re.compile(
            # a time word opens the sentence, or a leadership clause does (…收官之年。在区委、区政府的正确领导下，X…)
            r"(?:^|\n|[，,。])(?:(?:\d{4}年(?:度|以来)?|今年以来|一年来|近年来|现将)[，,]?" + LEADERSHIP + "|" + LEADERSHIP[:-1] + "+)" + r"(?:中共)?"
            r"([\u4e00-\u9fff（）()]{1,30}?" + data["issuer_heads"] + r")" + topic
            # its other names in brackets (市数据局（市营商环境建设局、市行政审批局）在…), a comma before what it does (…草原局，以…)
            + r"(?=(?:[（(][^（）()\n]{1,40}[）)])?[，,]?(?:" + followers + r"))"
        )
        # the unit's own party committee and government named as a pair (梅林街道党工委、办事处, 石门县委、县政府, …度假区党工委、管委会)
        places = data.get("issuer_pair_places", "(?!)")
        self.pair_re = re.compile(
            r"(?:^|\n|[，,。：:；;])(?:中共)?([\u4e00-\u9fff]{2,20}?" + places + r")(?:党工委|党委|委)[、和与及](?:街道)?(?:办事处|管委会|管理委员会|[区县市镇乡旗]?(?:人民)?政府)"
            r"(?=" + followers + r")"
        )
        # the first paragraph after the title opening with the unit (石门县人民政府始终坚持…)
        self.first_paragraph_re = re.compile(
            r"(?:中共)?([\u4e00-\u9fff（）()]{2,30}?" + data["issuer_heads"] + r")(?:党工委|党委)?(?=" + followers + r")"
        )
        self.not_before = tuple(data.get("issuer_not_after_delimiter", []))
        # the unit naming itself by its level only (我县, 县委、县政府, 街道党工委、办事处): the level word, then the gazetteer levels it names
        # tried in order: 我县 anywhere in the opening, then a pair as a clause's subject (not 在市委、市政府领导下)
        refs = data.get("issuer_self_reference", [])
        self.self_level_res = [re.compile(p) for p in ([refs] if isinstance(refs, str) else refs)]  # one pattern in tables saved before
        self.self_levels: dict[str, list[str]] = dict(data.get("issuer_self_levels", {}))
        self.bare_government: dict[str, str] = dict(data.get("issuer_bare_government", {}))
        self.date_re = re.compile(data["signature_date"])

    def classify_heading(self, heading: str, year: int | None) -> str | None:
        """The section a heading names: of the sections its words name, the one named first
        (一、主要举措、成效及存在的问题 reports achievements); a later year in it makes it plans, read
        to its first full stop only (a heading line that runs on into text cites other years)."""
        head = heading.strip()[:60]
        first = re.split(r"[。；;]", head)[0]
        later = bool(year) and any(int(y) > year for y in YEAR_RE.findall(first))
        found = [(m.start(), k, sec) for k, (sec, pat) in enumerate(self.keywords) if (m := pat.search(head))]
        if found:
            sec = min(found)[2]
            return "plans" if sec == "achievements" and later else sec
        if later:
            return "plans"
        return None


BREADCRUMB_RE = re.compile(r"[>＞»]|当前位置|首页")  # a site's navigation path that names the report's column
REPORT_TITLE_RE = re.compile(r"(?:法治|依法行政|法治政府).{0,30}(?:报告|总结)")
TITLE_SCAN_LINES = 20
GOVERNMENT_SUFFIXES = ("人民政府", "政府", "办事处")  # 薛城区 = 薛城区人民政府: one unit
NAME_COMPLETIONS = ("员会",) + GOVERNMENT_SUFFIXES  # 卫生健康委 → 卫生健康委员会
PART_HEADING_RE = re.compile(r"\s*(?:[一二三四五六七八九十]+[、.．]|第[一二三四五六七八九十]+部分)")


def _report_title_line(line: str) -> bool:
    """A short line that names the report (法治…报告/总结), not a sentence or a site's navigation path."""
    return len(line) < 80 and bool(REPORT_TITLE_RE.search(line)) and not re.search(r"[。；]", line) and not BREADCRUMB_RE.search(line)


TITLE_MAX = 60  # a longer first line with clause punctuation is a paragraph, not a title
TITLE_TAIL_MAX = 12  # the second line of a title broken in two (…法治政府 / 建设情况报告)


def _title_broken_at(line: str, following: str) -> bool:
    """``line`` and the short line after it are one report title broken in two: neither names the report
    alone, together they do, and the second line ends it (报告/总结)."""
    return (
        len(following) <= TITLE_TAIL_MAX
        and bool(re.search(r"(?:报告|总结)$", following))
        and not _report_title_line(following)
        and _report_title_line(line + following)
    )


def find_title(text: str) -> tuple[list[str], int]:
    """The title lines and the offset after them.

    The title is the short line that names the report (法治…报告/总结) among the
    first lines, with the short lines just above it (a unit's name on its own
    line); pages saved from the web put navigation and metadata lines first,
    which are skipped. Without such a line, the first line is the title.
    """
    lines = [(s, e) for s, e in _lines(text) if text[s:e].strip()]
    for k, (s, e) in enumerate(lines[:TITLE_SCAN_LINES]):
        line = text[s:e].strip()
        if k + 1 < len(lines) and not _report_title_line(line) and _title_broken_at(line, following := text[lines[k + 1][0] : lines[k + 1][1]].strip()):
            # a title broken over two lines (锡盟司法局2022年度法治政府 / 建设情况报告) is read as one line
            line, e = line + following, lines[k + 1][1]
        if _report_title_line(line):
            first = k
            while first > 0 and k - first < 2 and len(text[lines[first - 1][0] : lines[first - 1][1]].strip()) <= 30 and not re.search(r"[|：:，。]", text[lines[first - 1][0] : lines[first - 1][1]]):
                first -= 1
            return [text[a:b].strip() for a, b in lines[first:k]] + [line], e
    if not lines or PART_HEADING_RE.match(text[lines[0][0] : lines[0][1]]):
        return [], 0  # an opening that starts with its first part (一、2024年工作举措) has no title
    return [text[lines[0][0] : lines[0][1]].strip()], lines[0][1]


def find_year(text: str) -> int | None:
    """The reported year: from the title, else the first year in the text."""
    title, _ = find_title(text)
    for line in title:
        m = YEAR_RE.search(line)
        if m:
            return int(m.group(1))
    m = YEAR_RE.search(text[:2000])
    return int(m.group(1)) if m else None


def _unit_name(candidate: str, rules: StructureRules) -> str | None:
    """The unit's name at the end of ``candidate`` (text before a year or 关于), if it ends like one."""
    c = re.sub(r"^.*[《【】“\]|｜:：，,。]", "", candidate.strip())
    c = re.sub(r"(?:关于|对|的)$", "", c.strip()).strip()
    c = re.sub(r"^(?:现将|现就|特将|根据|依据|关于)", "", c)
    # the issuer before 关于 names the report's subject after it (…柳南区人民政府关于柳南区2024年…)
    c = re.sub(r"^(.{2,}?)关于.*$", r"\1", c)
    # a party committee and the government of one place run together (中共东昌区委东昌区人民政府, 中共柳南区委柳州市
    # 柳南区人民政府, 中共清波街道工作委员会清波街道办事处): the government
    pair = PAIR_RUN_RE.match(c)
    if pair and _same_place(pair.group(1), pair.group(2)):
        c = pair.group(2) + pair.group(3)
    # the unit's party committee and government named together (红星镇党委政府) name the unit
    c = re.sub(r"(?<=[镇乡县区市旗街道])(?:党工委|党委|委)[、和与及]?(?:街道)?(?:办事处|[区县市镇乡旗]?(?:人民)?政府)$", "", c)
    # …and the party committee of a street, town or office heading the report alone (常青花园社管办党工委坚持…)
    c = re.sub(r"(?:(?<=街道)|(?<=[办镇乡]))(?:党工委|党委)$", "", c)
    c = c.split()[-1] if c.split() else ""
    if not 2 <= len(c) <= 30 or c.startswith(tuple(rules.data.get("issuer_not_names", []))):
        return None
    return c if rules.issuer_end_re.search(c) else None


PAIR_RUN_RE = re.compile(r"^(?:中共)?(.{2,20}?)(?:党工委|党委|工作委员会|委员会|委)[、和与及]?(.{2,20}?)((?:人民)?政府|办事处)$")


def _same_place(a: str, b: str) -> bool:
    """Two writings of one place, one with its higher levels (柳南区 / 柳州市柳南区)."""
    return len(a) >= 2 and len(b) >= 2 and (a.endswith(b) or b.endswith(a))


def _from_title(title: list[str], rules: StructureRules) -> str | None:
    """The unit named by the title lines; of a party committee and a government issuing together, the government."""
    by_line = [_title_line_name(title, i, rules) for i in range(len(title))]
    names = [n for n in by_line if n]
    own = [n for n in names if not PARTY_RE.search(n)]
    # the report line's own unit before a short line above it, which may be the page's publisher
    # (工布江达县人民政府 / 政府信息公开 / 工布江达县巴河镇2024年度法治政府建设工作报告)
    last = by_line[-1] if by_line else None
    if last and last in own and own[0] != last and own[0].endswith(GOVERNMENT_SUFFIXES[:2]) and not last.endswith(GOVERNMENT_SUFFIXES[:2]):
        return last
    return (own or names or [None])[0]


PARTY_RE = re.compile(r"^中共|(?:党委|党工委|党组|委员会)$")


def _title_line_name(title: list[str], i: int, rules: StructureRules) -> str | None:
    """The unit named by title line ``i`` (before its year, before 关于/法治, or a short line above the title), else None."""
    line = title[i]
    m = YEAR_RE.search(line)
    if m:
        name = _unit_name(line[: m.start()], rules)
        if name:
            return name
        after = re.match(r"[度]?(?:年度)?([\u4e00-\u9fff（）()]{2,30}?)(?:关于)?(?:法治|依法行政|推进|全面)", line[m.end() :])
        name = _unit_name(after.group(1), rules) if after else None
        if name:
            return name
    name = _unit_name(re.split(r"关于|法治", line)[0], rules) if ("关于" in line or "法治" in line) else None
    if name and (i < len(title) - 1 or "关于" in line):
        return name
    if i < len(title) - 1:
        name = _unit_name(line, rules)
        if name:
            return name
    return None


def _opening_start(title: list[str], after: int) -> int:
    """Where the opening paragraph may start: after a report title line (``find_title``: lines, end);
    without one the first line may itself be that paragraph."""
    return after if title and _report_title_line(title[-1]) else 0


def _opening_sentences(text: str, start: int) -> list[str]:
    """The first sentences of the first paragraph from ``start`` (``_opening_start``), past date and document-number lines."""
    for s, e in islice(_lines_from(text, start), 6):
        line = text[s:e].strip()
        if len(line) >= 30 and re.search(r"[，,。]", line):
            return re.split(r"(?<=[。；])", line)[:3]
    return []


def find_issuer(text: str, rules: StructureRules, places: Optional[Sequence[tuple[int, int, str]]] = None) -> str | None:
    """The reporting unit as written: signature block, title, page metadata, opening sentence; null when unnamed.

    A self-reference (我局, 我街道) is never an answer; it is resolved by the
    other sources, else by the place of its level the text names most often
    (``places``: the gazetteer's (start, end, level) in the text), or left null.
    """
    nonempty = [text[s:e].strip() for s, e in _lines(text) if text[s:e].strip()]
    tail = nonempty[-4:]
    if tail and rules.date_re.match(tail[-1]):
        names = [n for line in tail[:-1] for n in re.split(r"\s{2,}", line) if len(n) <= 40 and not re.search(r"[，。；：,;:]", n)]
        names = [n for n in (_unit_name(x, rules) for x in names) if n]
        if names:
            return names[-1]
    title, after = find_title(text)
    # a first line that is a paragraph (2023年，长治市司法局认真贯彻…) names the unit in its opening sentence, not as a title
    name = _from_title(title, rules) if not (len(title) == 1 and len(title[0]) > TITLE_MAX and re.search(r"[，,。；;]", title[0])) else None
    if name:
        return name
    below = list(islice((text[s:e].strip() for s, e in _lines_from(text, after) if text[s:e].strip()), 3))
    for line, nxt in zip(below, below[1:]):
        # a sign-off under the title: the unit's name on its own line, then the date
        name = _unit_name(line, rules) if len(line) <= 30 and rules.date_re.match(nxt) else None
        if name:
            return name
    # the unit the report's own opening names before the page's publisher (a justice bureau often
    # publishes its government's report: 发布机构:…区司法局, then 2025年,…,薛城区坚持…), in the
    # publisher's fuller form when that is the same name written out (…卫生健康委 → …卫生健康委员会)
    head = text[: min(len(text), after + 1500)]
    published = next((n for m in rules.meta_field_re.finditer(head) if (n := _unit_name(m.group(1), rules))), None)
    window = text[: min(len(text), after + 600)]
    opening = next((n for m in rules.opening_re.finditer(window) if (n := _unit_name(m.group(1), rules))), None)
    opening_from = _opening_start(title, after)
    for sentence in _opening_sentences(text, opening_from) if opening is None else []:
        m = rules.first_paragraph_re.match(LEADERSHIP_RE.sub("", sentence))
        opening = _unit_name(m.group(1), rules) if m else None
        if opening:
            break
    level = next((lvl for lvl, bare in rules.bare_government.items() if bare == opening), None)
    if level:
        # 2024年，市政府坚持… names no place: the city the text names most, as for 我市
        opening = _most_named_place(text, level, places or [], rules) or opening
    if opening:
        return published if published and _same_unit_written_out(opening, published) else opening
    if published:
        return published
    for m in rules.pair_re.finditer(window, opening_from):
        name = _unit_name(m.group(1), rules)
        if name and not name.startswith(rules.not_before):
            return name
    return _self_unit(text, window, places or []) or _self_named(text, window, places or [], rules)


SELF_UNIT_RE = re.compile(r"我(局|厅|委)(?![\u4e00-\u9fff]{0,1}[会员])")  # 我局, not 我委员会 (a commission names itself so)


def _self_unit(text: str, window: str, places: Sequence[tuple[int, int, str]]) -> str | None:
    """The bureau a self-reference by its head (我局, 我厅, 我委) stands for: of the names in the text that
    run from a place to that head (江门市新会区统计局, in a document title too), the one written most often
    (the first of equals); None when the opening has no such self-reference or the text no such name."""
    m = SELF_UNIT_RE.search(window)
    if not m:
        return None
    head = m.group(1)
    next_end = {a: b for a, b, _ in places}  # a place starting where another ends continues its chain
    ends = set(next_end.values())
    names: Counter[str] = Counter()
    for a, b, _ in places:
        if a in ends:
            continue  # 新会区 right after 江门市: the chain starts at 江门市
        end = b
        while end in next_end:
            end = next_end[end]
        unit = re.match(r"[\u4e00-\u9fff]{1,8}?" + head + r"(?![\u4e00-\u9fff]?[会员])", text[end : end + 10])
        if unit and "我" not in unit.group(0):
            names[text[a : end + unit.end()]] += 1
    return max(names, key=names.__getitem__) if names else None  # first-seen order: max keeps the first of equals


def _same_unit_written_out(short: str, full: str) -> bool:
    """Whether ``full`` names the unit ``short`` names, written out: 卫生健康委 → 卫生健康委员会,
    区司法局 → 东城区司法局, 区政府 → 东城区人民政府 (not 薛城区 → 薛城区司法局, another unit)."""
    if full.startswith(short) and full[len(short) :] in NAME_COMPLETIONS:
        return True
    def core(n: str) -> str:
        return next((n[: -len(c)] for c in GOVERNMENT_SUFFIXES if n.endswith(c) and len(n) > len(c)), n)
    return core(full).endswith(core(short)) and len(core(full)) > len(core(short))


def _self_named(text: str, window: str, places: Sequence[tuple[int, int, str]], rules: StructureRules) -> str | None:
    """The place a self-reference by level (我县, 县委、县政府) stands for: of the places of that level
    in the text, the one named most often (the first of equals); None without either."""
    m = next((m for r in rules.self_level_res if (m := r.search(window))), None)
    if not m:
        return None
    level = next(g for g in m.groups() if g)
    name = _most_named_place(text, level, places, rules)
    if name is None:
        bare = rules.bare_government.get(level)
        # written as itself (市委、市政府, 。市政府…), not the end of another name (各乡镇政府, 桃溪岭街道办事处)
        alone = bare and re.search(r"(?<![\u4e00-\u9fff])" + re.escape(bare) + "|[委、和与及]" + re.escape(bare), text)
        return bare if alone else None
    return name


def _most_named_place(text: str, level: str, places: Sequence[tuple[int, int, str]], rules: StructureRules) -> str | None:
    """Of the gazetteer places of a level (县 → county …) named in the text, the one named most often
    (the first of equals); None when there is none."""
    names = [text[a:b] for a, b, lvl in places if lvl in rules.self_levels.get(level, []) and text[a:b].endswith(level) and len(text[a:b]) > len(level)]
    if not names:
        return None
    counts = Counter(names)  # first-seen order; max keeps the first of equals
    return max(counts, key=counts.__getitem__)


def from_page(title: str | None, date: str | None, source: str | None, rules: StructureRules) -> tuple[str | None, int | None]:
    """(issuer, year) from what a saved page or file states about the report, for when its text does not.

    The issuer is the unit named in the page's title, else its source (来源) when
    that ends like a unit. The year is the title's; else the year before the
    publication date: a 法治政府建设年度情况报告 reports on the previous year and is
    made public in the first quarter (《法治政府建设与责任落实督察工作规定》, art. 25).
    """
    issuer = _from_title([title], rules) if title else None
    if issuer is None and source:
        issuer = _unit_name(source, rules)
    year = None
    m = YEAR_RE.search(title or "")
    if m:
        year = int(m.group(1))
    elif date and re.match(r"(?:19|20)\d{2}-", date):
        year = int(date[:4]) - 1
    return issuer, year


def section_spans(text: str, rules: StructureRules, year: int | None) -> list[dict[str, Any]]:
    """Contiguous (start, end, section, heading) parts covering the text."""
    parts: list[dict[str, Any]] = []
    _, title_end = find_title(text)
    lines = _lines(text)
    has_headings = any(rules.level1.match(text[s:e]) and rules.classify_heading(text[s:e], year) for s, e in lines if s >= title_end)
    current, heading = "other", ""
    sub_override: str | None = None
    sub_level = 0
    signature_from = len(text)
    nonempty = [(s, e) for s, e in lines if text[s:e].strip()]
    if nonempty and rules.date_re.match(text[nonempty[-1][0] : nonempty[-1][1]]):
        k = len(nonempty) - 1
        while k > 0 and len(text[nonempty[k - 1][0] : nonempty[k - 1][1]].strip()) <= 40 and not re.search(r"[。；;]", text[nonempty[k - 1][0] : nonempty[k - 1][1]]):
            k -= 1
        signature_from = nonempty[k][0]
    for s, e in lines:
        line = text[s:e]
        if s < title_end or s >= signature_from:
            sec = "other"
        elif has_headings:
            if rules.level1.match(line):
                # a part heading that names no section (一、牢固树立法治思维) reports the year's work
                current, heading, sub_override = rules.classify_heading(line, year) or "achievements", line.strip(), None
            elif rules.sub.match(line):
                cls = rules.classify_heading(line[:40], year)
                # （一） opens a subsection, 1. a point inside it, 一是 a point inside either (一、 > （一） > 1. > 一是)
                level = 4 if re.match(r"\s*[一二三四五六七八九十]+是", line) else 3 if re.match(r"\s*[0-9]+[.．、]", line) else 2
                if cls == "responsibility":
                    # a responsibility point inside a responsibility subsection leaves the subsection's level
                    sub_level = level if sub_override is None else min(sub_level, level)
                    sub_override = "responsibility"
                elif sub_override is None or level <= sub_level:
                    sub_override = None  # a point inside the responsibility part (一是…) stays in it
            sec = sub_override or current
        else:
            stripped = line.strip()
            for cls, pat in rules.fallback:
                if pat.search(stripped):
                    current = cls
                    break
            else:
                if current == "other" and stripped:
                    current = "achievements"
            sec = current
        if parts and parts[-1]["section"] == sec:
            parts[-1]["end"] = e
        else:
            parts.append({"start": s, "end": e, "section": sec, "heading": heading})
    return parts


def section_of(sections: list[dict[str, Any]], char: int) -> str:
    """The section name of the part that contains character ``char``."""
    starts = [p["start"] for p in sections]
    i = bisect_right(starts, char) - 1
    return sections[i]["section"] if i >= 0 else "other"


class ReportStructure:
    """Sets ``doc._.issuer``, ``doc._.year`` and ``doc._.sections`` (plain dicts)."""

    def __init__(self, nlp: Language, name: str = "report_structure") -> None:
        self.name = name
        self.rules: Optional[StructureRules] = None

    def initialize(self, get_examples: Callable[[], Iterable] | None = None, *, nlp: Language | None = None, rules: Optional[dict] = None) -> None:
        """Load the heading and issuer rules (config [initialize.components.report_structure.rules])."""
        if not rules:
            raise no_table("report_structure", "rules")
        self.rules = StructureRules(dict(rules))

    def __call__(self, doc: Doc) -> Doc:
        if self.rules is None:
            raise no_table("report_structure", "rules")
        text = doc.text
        doc._.year = find_year(text)
        issuer = find_issuer(text, self.rules, doc._.places)
        if issuer is not None:
            # the name as the source wrote it (the cleaner made its brackets and commas full-width)
            at = text.find(issuer)
            issuer = raw_text(doc)[at : at + len(issuer)] if at >= 0 else issuer
        doc._.issuer = issuer
        doc._.sections = section_spans(text, self.rules, doc._.year)
        return doc

    def to_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        srsly.write_json(Path(path) / "rules.json", self.rules.data)

    def from_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> "ReportStructure":
        self.rules = StructureRules(srsly.read_json(Path(path) / "rules.json"))
        return self


@Language.factory("report_structure", assigns=["doc._.issuer", "doc._.year", "doc._.sections"], default_config={})
def make_report_structure(nlp: Language, name: str) -> ReportStructure:
    return ReportStructure(nlp, name)
