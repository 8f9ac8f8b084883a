"""record_linker: one knowledge record per counted item.

For every COUNT the linker finds what is counted (the activity), who does it
(the actor), what it breaks down (the parent, after 其中), and the section and
sentence it is in. The rules, in the order they apply to a count:

1. threshold: a count followed by 以上/以下 and a noun (``五十万元以上项目``) is
   a description, not a record;
2. clause: the activity is read from the clause before the count (after the
   last ，；：、), with qualifiers next to the count (共, 累计, 各, 均为 …) and
   leading fillers (全年, 其中 …) removed;
3. count first: when nothing but a verb precedes the count, the counted noun
   after it completes the activity (``召开12次月调度会`` → 召开月调度会);
4. distributed verb: a conjunct after ``、`` that follows a counted conjunct
   takes its verb (``召开工委会48次、主任办公会33次`` → 召开主任办公会);
5. 各/均为: coordinated items before the cue give one record each
   (``作出终止、驳回决定各2件`` → 作出终止决定, 作出驳回决定);
6. actor: an INSTITUTION or role before the first verb of the clause, else
   the one stated earlier in the same sentence;
7. parent: records after 其中 break down the last record before it, up to the
   next ；or 。.

Word lists are data (``corpus/rules/activity_rules.json``), loaded in
``initialize`` and saved with the pipeline. ``link_records`` works on plain
text and entity offsets, so the same rules run on gold or predicted entities.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

import srsly
from spacy.language import Language
from spacy.tokens import Doc

from spacy.util import registry

from pipeline.errors import no_table
from pipeline.sentences import sentence_spans
from pipeline.spans import entity_offsets
from pipeline.components.structure import section_of

COORD = "、"
NO_READING = {"value": None, "unit": None, "approx": None}
COORD_WORDS = ("、", "和", "及", "与")

if not Doc.has_extension("records"):
    Doc.set_extension("records", default=[])


@dataclass
class Ent:
    start: int
    end: int
    label: str


class ActivityRules:
    """Compiled word lists of the linker."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.delims = set(data["clause_delims"])
        self.qualifiers = sorted(data["qualifiers_before_count"], key=len, reverse=True)
        self.fillers = sorted(data["leading_fillers"], key=len, reverse=True)
        self.distribute = set(data["distribute_cues"])
        self.verbs = sorted(set(data["verbs"]), key=len, reverse=True)
        self.roles = sorted(data["roles"], key=len, reverse=True)
        self.count_first_max = int(data["count_first_max_chars"])
        self.max_chars = int(data["max_activity_chars"])
        self.verbs_after_count = sorted(data.get("verbs_after_count", []), key=len, reverse=True)
        self.governing_markers = sorted(data.get("governing_markers", []), key=len, reverse=True)  # 对, 组织 …: the counted units act
        self.governed_scopes = sorted(data.get("governed_scopes", []), key=len, reverse=True)  # 全区, 各 …: between marker and count
        self.governing_marker_blockers: dict[str, str] = dict(data.get("governing_marker_blockers", {}))  # 核|对, 党|组织: a longer word
        # 修订A、B等制度4项 → 修订制度: the listed items are counted rules; without the key every list collapses (as before)
        self.listed_heads = tuple(data["listed_heads"]) if "listed_heads" in data else None
        self.division_nouns = set(data.get("division_nouns", []))  # 4个|方面|80项…: a count of the parts a list falls into
        # 审批时限由30个工作日|缩短为|3个工作日: a quantity changed from one figure to another
        self.change_verbs = sorted(data.get("change_verbs", []), key=len, reverse=True)
        self.change_from = sorted(data.get("change_from_markers", []), key=len, reverse=True)
        self.change_from_not = tuple(data.get("change_from_not", []))  # words 由/从 is part of (自由, 从事)

    def change_after(self, text: str, pos: int) -> str | None:
        """The verb of change right after a count (30个工作日|缩短为), or None."""
        return next((v for v in self.change_verbs if text.startswith(v, pos)), None)

    def verb_after_count(self, text: str, pos: int) -> str | None:
        """The participation verb right after a count (300余人次|参加), or None."""
        return next((v for v in self.verbs_after_count if text.startswith(v, pos)), None)

    def verb_at(self, s: str, i: int) -> str | None:
        for v in self.verbs:
            if s.startswith(v, i):
                return v
        return None

    def last_verb(self, s: str) -> str | None:
        """The verb that starts last in ``s`` (开展…召开|月调度会), or None."""
        return next((v for i in range(len(s) - 1, -1, -1) if (v := self.verb_at(s, i))), None)

    def first_verb(self, s: str) -> int:
        for i in range(len(s)):
            if self.verb_at(s, i):
                return i
        return -1


def _strip_right(seg: str, words: Sequence[str]) -> tuple[str, list[str]]:
    found = []
    changed = True
    while changed and seg:
        changed = False
        for w in words:
            if seg.endswith(w) and len(seg) > 0:
                seg = seg[: -len(w)]
                found.append(w)
                changed = True
                break
    return seg, found


def _strip_left(seg: str, offset: int, words: Sequence[str]) -> tuple[str, int]:
    changed = True
    while changed and seg:
        changed = False
        for w in words:
            if seg.startswith(w) and len(seg) > len(w):
                seg, offset, changed = seg[len(w) :], offset + len(w), True
                break
        # a year, date or period at the start is a time adverbial
        m = re.match(r"(?:\d{4}年(?:度)?(?:以来)?|\d{1,2}月(?:份)?(?:以来)?|[上下]半年)", seg)
        if m and len(seg) > m.end():
            seg, offset, changed = seg[m.end() :], offset + m.end(), True
    return seg, offset


INSERT_RE = re.compile(r"(?<=[\u4e00-\u9fff])[(（]([\u4e00-\u9fff]{1,3}(?:、[\u4e00-\u9fff]{1,3}){0,3})[)）](?=[\u4e00-\u9fff])")


def scan_text(text: str) -> str:
    """``text`` with the brackets of short insertions inside a name (乡(镇)工作站, 部门(单位), 县(市、区)党政
    主要负责人) made non-delimiters, character for character, so offsets into it are offsets into ``text``."""
    return INSERT_RE.sub(lambda m: "〈" + m.group(1).replace("、", "·") + "〉", text)


def record_activity(rec: dict[str, Any]) -> str:
    """A record's activity text, whether the record holds it as a span (the pipeline's ``{"text", "start", "end"}``)
    or as a string (the corpus's gold records); "" when it has none."""
    a = rec.get("activity")
    return a.get("text", "") if isinstance(a, dict) else (a or "")


def link_records(
    text: str,
    ents: Sequence[Ent],
    rules: ActivityRules,
    sections: Optional[list[dict[str, Any]]] = None,
    readings: Optional[dict[tuple[int, int], dict[str, Any]]] = None,
) -> list[dict[str, Any]]:
    """Records for every COUNT in ``ents`` (offsets into ``text``).

    ``readings`` maps a count's (start, end) to the value, unit and approx the
    count_normalizer read (``span._.value`` …); a count without one gets nulls.
    """
    counts = sorted((e for e in ents if e.label == "COUNT"), key=lambda e: e.start)
    scan = scan_text(text)
    institutions = sorted((e for e in ents if e.label == "INSTITUTION"), key=lambda e: e.start)
    inst_starts = [e.start for e in institutions]  # bisect, not a scan per count: a 1M-character report has 20k of them

    def leading_institution(pos: int, length: int) -> Optional[Ent]:
        """The institution that opens the segment at ``pos`` and ends inside it (entities never overlap: one at most)."""
        at = bisect_left(inst_starts, pos)
        return next((e for e in institutions[at : at + 1] if e.start == pos and e.end < pos + length), None)

    records: list[dict[str, Any]] = []
    sents = sentence_spans(text)
    si = 0
    prev_in_sentence: list[dict[str, Any]] = []
    actor_in_sentence: str | None = None
    sent_of_prev = None
    for ci, c in enumerate(counts):
        while si < len(sents) - 1 and sents[si][1] <= c.start:
            si += 1
        s0, s1 = sents[si] if sents else (0, len(text))
        if sent_of_prev != (s0, s1):
            prev_in_sentence, actor_in_sentence, sent_of_prev = [], None, (s0, s1)
        after = text[c.end : c.end + 3]
        if re.match(r"(以上|以下)[^\s，,。；;、）)]", after):
            continue  # a threshold inside a description
        # clause start: last delimiter before the count, never before the previous count
        # (、 coordinates inside an activity, unless it follows a counted conjunct)
        k = c.start - 1
        while k >= s0 and scan[k] not in rules.delims:
            k -= 1
        clause_start = k + 1
        delim = text[k] if k >= s0 else ""
        # the nearest earlier count ending in this clause (counts are sorted and do not overlap)
        prev_count = next((p for p in reversed(counts[max(0, ci - 8) : ci]) if s0 <= p.end <= c.start and p.end > clause_start - 1), None)
        if prev_count is not None:
            clause_start = prev_count.end
            delim = ""
            if text[clause_start : clause_start + 1] == COORD:
                clause_start, delim = clause_start + 1, COORD
            elif conj := _conjunction_after(text, clause_start, rules):
                # 审查规范性文件17件和重大行政决策11件: 和/及/以及 list the conjuncts as 、 does; 并/且 open a new
                # predicate, as a comma does (受理信访事项58件且办结率98%: the bare rate is of the clause before)
                k, clause_start, delim = clause_start, clause_start + len(conj), (COORD if conj in LIST_CONJ else "，")
        seg = text[clause_start : c.start]
        seg_start = clause_start
        seg, quals = _strip_right(seg.rstrip(), rules.qualifiers)
        seg = seg.rstrip()  # 办理 1.3 万件, 办理 共 3件: a typeset space is not part of the activity
        breakdown = "其中" in seg
        if breakdown:
            cut = seg.index("其中") + 2
            seg, seg_start = seg[cut:], seg_start + cut
        stripped = seg.lstrip()
        seg_start, seg = seg_start + len(seg) - len(stripped), stripped
        # an institution that opens the clause is the actor, even when it starts with a filler word (街道综合执法队)
        lead = leading_institution(seg_start, len(seg))
        if lead is None:
            seg, seg_start = _strip_left(seg, seg_start, rules.fillers)
            lead = leading_institution(seg_start, len(seg))
        # actor: an institution or a role before the first verb
        actor = None
        role_m = next((m for r in rules.roles if (m := re.match(r"^.{0,3}?" + re.escape(r), seg)) and len(seg) > m.end()), None)
        if lead or role_m:
            actor = text[lead.start : lead.end] if lead else role_m.group(0)
            cut = (lead.end - lead.start) if lead else role_m.end()
            seg, seg_start = _strip_left(seg[cut:], seg_start + cut, rules.fillers)
        vpos = rules.first_verb(seg)
        if vpos > 0 and actor is None:
            head = seg[:vpos]
            inst = [e for e in institutions[bisect_left(inst_starts, seg_start) : bisect_left(inst_starts, seg_start + vpos)] if e.end <= seg_start + vpos]
            role = next((r for r in rules.roles if head.startswith(r) or head.endswith(r)), None)
            if inst or role:
                actor = text[inst[0].start : inst[0].end] if inst else role
                seg, seg_start = seg[vpos:], seg_start + vpos
                vpos = 0
        if actor is None and vpos == 0:
            actor = actor_in_sentence
        # a record in brackets that close before this count is an aside (办理…12件（含结转1件），已办结6件): the clause
        # goes on from the record before it
        prev = next((r for r in reversed(prev_in_sentence) if not _aside_closed(text, r["count"]["start"], c.start)), None)
        change_to = prev is not None and prev["_mode"] == "change_from" and text[prev["count"]["end"] : c.start] in rules.change_verbs
        subject = _change_subject(seg, rules) if not change_to and rules.change_after(text, c.end) else ""
        noun_after = "" if subject or change_to else _noun_after(text, c.end, rules, scan)
        verb = None
        # 明确4个方面80项具体工作任务 → 明确具体工作任务方面: the aspects divide what the next count counts
        divided = noun_after in rules.division_nouns and ci + 1 < len(counts) and counts[ci + 1].start == c.end + len(noun_after)
        items = _noun_after(text, counts[ci + 1].end, rules, scan) if divided else ""
        if items:
            # read as a counted noun (mode, verb, object), so the next count takes the verb (…80项 → 明确具体工作任务)
            # and a long clause is cut at a verb as any activity is
            verb = rules.last_verb(seg)
            activity, obj, mode = seg + items + noun_after, noun_after, "count_first"
            ev_start, ev_end = seg_start, counts[ci + 1].end + len(items)
        elif subject or change_to:
            # 审批时限由原来的30个工作日缩短为3个工作日: the first figure measures the quantity (审批时限), the second
            # the quantity as changed (审批时限缩短为)
            activity = obj = subject or prev["activity"]["text"] + text[prev["count"]["end"] : c.start]
            mode = "change_from" if subject else "change_to"
            ev_start, ev_end = (seg_start, seg_start + len(seg)) if subject else (prev["activity"]["start"], c.start)
        elif noun_after:
            # count first (召开12次月调度会): the verb before the count + the noun after it
            verb = rules.last_verb(seg)
            if verb is None and prev is not None and prev["_mode"] == "count_first" and text[prev["count"]["end"] : c.start].rstrip(COORD + "和及与") == prev["_object"]:
                verb = prev["_verb"]
            activity, mode = (verb or "") + noun_after, "count_first"
            ev_start, ev_end = c.end, c.end + len(noun_after)
            obj = noun_after
            marker = _governing_marker(seg, rules)
            # the counted units do what follows: handed it by a marker (对9个部门开展督察), or as the clause's subject
            # when the count opens it (，27个部门建立领导干部应知应会…清单)
            a0, a1 = _governed_action(text, c.end + len(noun_after), rules) if marker or not seg else (0, 0)
            if a1 > a0:
                # 对9个部门开展督察, 组织29个部门开展学习: the counted units do what follows
                activity, obj = marker + noun_after + text[a0:a1], noun_after + text[a0:a1]
                ev_end = a1
            elif passive := PASSIVE_AFTER_COUNT_RE.match(text, c.end):
                # 7个司法所均被自治区司法厅确立为…达标所: what the counted things received, to the clause's end
                activity = obj = passive.group(1) + "被" + passive.group(2)
                ev_end = passive.end()
                mode = "passive"  # one predicate to its clause's end: not cut at a verb as a long clause is
            if (
                prev is not None
                and prev["count"]["end"] == c.start
                and prev["_mode"] == "clause"
                and prev["activity"]["text"] == prev["_seg"]
                and _bare_verb_phrase(prev["_seg"], rules)
                and prev["_seg"] not in activity
                and not (a1 > a0 and re.search(r"[个家所]$", text[c.start : c.end]))
            ):
                # 开展9轮268件次规范性文件清理 → 开展规范性文件清理: two measures of one noun, back to back; the first
                # count's clause was a bare verb (not 开展执法检查3轮20家企业), the second names no actor doing something
                # else (not 开展2轮20个部门开展自查自纠); the second keeps its noun
                prev["activity"]["text"] = prev["_seg"] + activity
                prev["activity"]["end"] = ev_end  # the evidence runs from the verb over both counts to the noun
            if delim == COORD and prev is not None and text[prev["count"]["end"] : clause_start] in LISTED_AFTER_COUNT and prev["_verb"] and prev["activity"]["text"] == prev["_verb"]:
                # 修改5件、废止25件市政府规章 → 修改市政府规章: the object after the last count is the conjuncts' too
                prev["activity"]["text"] = prev["_verb"] + noun_after
        else:
            if seg.endswith("的") and rules.verb_at(seg, 0) == seg[:-1]:
                seg = seg[:-1]  # 已审结的19件全部胜诉: a verb + 的 before the count, its noun left to the clause before
            activity, mode = seg, "clause"
            ev_start, ev_end = seg_start, seg_start + len(seg)
            verb = rules.verb_at(seg, 0)
            obj = seg[len(verb) :] if verb else seg
            listed = re.search(r"等([^、，]{1,4})$", seg)
            if listed and rules.listed_heads is not None and not listed.group(1).endswith(rules.listed_heads):
                listed = None  # 开展A、B等专题学习6次: the list is the object (topics, not items counted one by one)
            # nothing but separators and qualifiers between the previous count and this one
            joined = prev is not None and not text[prev["count"]["end"] : clause_start].strip(COORD + "，,和及并且以 ")
            after_verb = rules.verb_after_count(text, c.end)
            if not seg and joined and after_verb and prev["_object"]:
                # 开展法治讲座5场，共计300余人次参加 → 参加法治讲座
                activity, verb, obj = after_verb + prev["_object"], after_verb, prev["_object"]
                ev_start, ev_end = c.end, c.end + len(after_verb)
            elif after_verb and not verb and rules.first_verb(seg) < 0 and (taken := _object_after(text, c.end + len(after_verb), rules)):
                # 全区科级以上400余人参加了习近平法治思想专题培训班 → 参加习近平法治思想专题培训班: the counted people take part in what follows
                obj_after, obj_end = taken
                activity, verb, obj = after_verb + obj_after, after_verb, obj_after
                ev_start, ev_end = c.end, obj_end
            elif (
                verb in rules.governing_markers
                and len(seg) > len(verb)
                and rules.first_verb(seg[len(verb) :]) < 0
                and PERSON_UNIT_RE.search(text[c.start : c.end])
                and (verb_after := rules.verb_at(text, c.end))
                and not rules.verb_after_count(text, c.end)  # 组织…18人参加宪法宣誓仪式: the organised participation stays whole
                and (taken := _object_after(text, c.end, rules))
                and not re.search(r"[0-9０-９]", taken[0])  # 组织执法人员50人开展联合检查12次: the next count's own activity
            ):
                # 组织各级党政主要负责人共887人完成年度述法 → 完成年度述法: the people the marker hands an action do it
                activity, verb, obj = taken[0], verb_after, seg[len(verb) :]  # the object counted: the people
                ev_start, ev_end = c.end, taken[1]
            elif not seg and joined:
                # 接待信访8批次8人次, 考法3场、278人次: a second measure of the same activity
                activity, verb, obj = prev["activity"]["text"], prev["_verb"], prev["_object"]
                ev_start, ev_end = prev["activity"]["start"], prev["activity"]["end"]
            elif verb and listed:
                # 修订“三重一大”事项集体决策等制度4项 → 修订制度
                activity, obj = verb + listed.group(1), listed.group(1)
            elif prev is not None and verb and verb == seg and prev["_object"] and not prev["_object"].endswith("率"):
                # 收到行政复议申请455件，办结310件 → 办结行政复议申请
                activity, obj = verb + prev["_object"], prev["_object"]
            elif delim == COORD and prev is not None and text[prev["count"]["end"] : clause_start] in LISTED_AFTER_COUNT and prev["_verb"] and not verb:
                # 召开工委会48次、主任办公会33次 → 召开主任办公会
                verb = prev["_verb"]
                activity = verb + seg
            if actor is None and delim == COORD and prev is not None:
                actor = prev["actor"]
        bare = _bare_rates(activity)
        if mode == "clause" and delim and delim in "，," and bare and activity == seg:
            # 组织干部参加学法考试，参考率、合格率均达100% → 学法考试参考率: a bare rate is of the clause before
            obj = _previous_object(text, s0, k, counts[max(0, ci - 8) : ci], rules, scan)
            if obj:
                activity = obj + activity
        elif mode == "clause" and delim and delim in "，," and verb and activity == verb:
            # 开展生态环境法治专题培训，培训150人 → 生态环境法治专题培训: a bare verb repeats the clause before it
            obj = _previous_object(text, s0, k, counts[max(0, ci - 8) : ci], rules, scan)
            if obj.endswith(verb) and rules.first_verb(obj[: -len(verb)]) < 0:  # not 全体干部参加|培训: who took part, not what
                activity = obj
        # one figure for a list of bare rates (报备率、及时率、规范率达100%) is one per rate, with or without 均
        rates = _rate_list(activity)
        distributed = (any(q in rules.distribute for q in quals) and any(w in activity for w in COORD_WORDS)) or (bare and bool(rates))
        if len(activity) > rules.max_chars and not (distributed and rates) and mode != "passive":
            # cut at the last verb that starts a conjunct, else the first verb
            titled = _inside_marks(activity)
            verbs_at = [i for i in range(len(activity) - 1) if rules.verb_at(activity, i) and i not in titled]
            starts = [i for i in verbs_at if i == 0 or activity[i - 1] in "、和及并"]
            cut = starts[-1] if starts else (verbs_at[0] if verbs_at else len(activity) - rules.max_chars)
            if mode == "clause":
                ev_start += cut
            activity = activity[cut:]
        items = _distribute(activity, rules) if distributed else [activity]
        reading = (readings or {}).get((c.start, c.end), NO_READING)
        parent = None
        last = prev_in_sentence[-1] if prev_in_sentence else None
        if breakdown or (
            last is not None
            and last.get("_breakdown_of")
            and not re.search(r"[;；]", text[last["count"]["end"] : c.start])
            and not _aside_closed(text, last["count"]["start"], c.start)  # （其中不予受理3件），已审结40件: the breakdown ended
        ):
            if breakdown:
                pos = text.rfind("其中", s0, c.start)
                parents = [r for r in prev_in_sentence if r["count"]["end"] <= pos]
                parent_rec = parents[-1] if parents else None
            else:
                parent_rec = prev_in_sentence[-1]["_breakdown_of"]
            if parent_rec is not None:
                parent = {"count": dict(parent_rec["count"]), "activity": parent_rec["activity"]["text"]}
        for item in items:
            rec = {
                "count": {"start": c.start, "end": c.end, "text": text[c.start : c.end]},
                **reading,
                "activity": {"text": item, "start": ev_start, "end": ev_end},
                "actor": actor,
                "parent": parent,
                "section": section_of(sections, c.start) if sections else "other",
                "sentence": text[s0:s1],
            }
            records.append(rec)
            prev_in_sentence.append(dict(rec, _breakdown_of=(parent_rec if parent else None), _mode=mode, _verb=verb, _object=obj, _seg=seg))
        if actor:
            actor_in_sentence = actor
    return records


PASSIVE_AFTER_COUNT_RE = re.compile(r"([\u4e00-\u9fff]{1,8}?)(?:均|分别|都|全部)?被([^，,。；;！？\n]{2,30})")  # 7个|司法所均被…确立为…
ASIDE_MAX = 60  # how far before a count its aside's opening bracket may be
PERSON_UNIT_RE = re.compile(r"(?:人|名|位|%)$")  # a count of people (or the share of them: 在编干部100%完成…)
BOUNDS = "以上|以下|以内|之内|左右"  # a bound after a count (30分钟|以内)
AFTER_COUNT_NOT_NOUN = rf"(?:{BOUNDS}|的|之|为|至|到|全部|及时)"  # what follows a count without naming what it counts (19件|全部胜诉, 12件|及时办结)
# a conjunction right after a count, not the first character of a word (和谐, 和解, 及格, 及早, 并联 …; 与 is
# as often a preposition: 与企业负责人座谈): 和/及/以及 list the next conjunct, 并/且 open a new predicate
CONJ_AFTER_COUNT_RE = re.compile(r"(?:以及|和|及)(?![谐解美睦气格早])|(?:并且|并|且)(?![联行列存重举])")
LIST_CONJ = ("以及", "和", "及")
CONJUNCT_BEFORE_COUNT_RE = re.compile(r"[^0-9０-９零〇一二两三四五六七八九十百千万、]{1,12}(?=[0-9０-９零〇一二两三四五六七八九十百千万])")  # 重大行政决策|11件
LISTED_AFTER_COUNT = (COORD, *LIST_CONJ)  # what may part a counted conjunct from the next (48次、主任办公会33次; 17件和…11件)
# where the counted noun ends; 中 only as a postposition (5次检查|中发现), not inside a word (集中学法, 中心组, 中华人民共和国,
# 普法中期); a numeral ends it too, except inside a quote
_NOUN_ENDS = r"进行|开展|为|(?<![集其高初])中(?![心期央国华小学])|等|的|和|及|与|，"
NOUN_END_IN_QUOTE_RE = re.compile(rf"(?:{_NOUN_ENDS})")
NOUN_END_RE = re.compile(rf"(?:{_NOUN_ENDS}|[0-9０-９])")


def _noun_after(text: str, pos: int, rules: ActivityRules, scan: Optional[str] = None) -> str:
    """The counted noun right after a count (召开12次|月调度会|), or "" when a delimiter follows."""
    m = re.match(r"[^\s，,。；;：:、（）()]{1,%d}" % rules.count_first_max, (scan or text)[pos : pos + rules.count_first_max])
    after = text[pos : pos + len(m.group(0))] if m else ""  # the original characters (乡(镇)) at the matched offsets
    if not after or not re.match(r"[\u4e00-\u9fff“]", after) or re.match(AFTER_COUNT_NOT_NOUN, after):
        return ""
    if _conjunction_after(text, pos, rules):
        return ""  # 17件|和重大行政决策11件, 20次|并下达…, 111次|且通过率: a conjunction, not the counted noun
    # 243家|中小微企业: 中 opens the noun; 5个|方面|17项: a second count ends it, a numeral inside a quote does not (22台|“24小时…”)
    ends = NOUN_END_IN_QUOTE_RE if after.startswith("“") else NOUN_END_RE
    end = ends.search(after, 1)  # from the second character, with the first in the lookbehind's sight (集|中)
    noun = after[: end.start()] if end else after
    cut = next((i for i in range(1, len(noun)) if rules.verb_at(noun, i)), len(noun))
    noun = noun[:cut]
    if not noun or rules.verb_at(noun, 0) or re.match(r"[0-9零〇一二两三四五六七八九十百千万]", noun):
        return ""
    return noun


def _conjunction_after(text: str, pos: int, rules: ActivityRules) -> str:
    """The conjunction right after a count at ``pos``, or "": 和/及/以及 only when the conjunct it opens ends in a
    count of its own (规范性文件17件|和重大行政决策11件: not 15个|和谐社区); 并/且 open the next predicate
    (20次|并下达…, 111次|且通过率100%) unless they start a word (45项|并联审批: the regex's lookahead)."""
    m = CONJ_AFTER_COUNT_RE.match(text, pos)
    if not m:
        return ""
    rest = re.match(r"[^，,。；;：:！？!?\n]{0,16}", text[m.end() :]).group(0)
    if m.group(0) in LIST_CONJ:
        conjunct = CONJUNCT_BEFORE_COUNT_RE.match(rest)
        return m.group(0) if conjunct and rules.first_verb(conjunct.group(0)) < 0 else ""
    return m.group(0)


def _change_subject(seg: str, rules: ActivityRules) -> str:
    """The quantity a figure changes from (审批时限由原来的|30个工作日缩短为…, 审批事项从法定平均办理时间|20.86天
    提速至…): the clause before the count with its last from-marker dropped; "" when there is none, or nothing
    (fewer than two characters) names the quantity before it."""
    for i in range(len(seg) - 1, 1, -1):
        marker = next((m for m in rules.change_from if seg.startswith(m, i)), None)
        inside_word = any(seg.startswith(w, i - w.index(seg[i])) for w in rules.change_from_not if seg[i] in w and i >= w.index(seg[i]))
        if marker and not inside_word:  # 自由裁量, 从事, 理由: no from-marker
            return (seg[:i] + seg[i + len(marker) :]).removesuffix("的")
    return ""


def _aside_closed(text: str, start: int, end: int) -> bool:
    """Whether the count at ``start`` sits inside brackets that close before ``end`` (…（含2023年结转1件），已办结6件)."""
    lo = max(0, start - ASIDE_MAX)
    opened = max(text.rfind("（", lo, start), text.rfind("(", lo, start))
    if opened < 0 or max(text.rfind("）", opened, start), text.rfind(")", opened, start)) >= 0:
        return False
    return any(b in text[start:end] for b in "）)")


def _bare_verb_phrase(s: str, rules: ActivityRules, most: int = 4) -> bool:
    """``s`` is a short phrase ending in a verb, with no object (开展, 牵头完成; not 开展执法检查)."""
    return 0 < len(s) <= most and any(rules.verb_at(s, i) == s[i:] for i in range(len(s)))


def _object_after(text: str, pos: int, rules: ActivityRules) -> Optional[tuple[str, int]]:
    """(object, its end) of a participation verb right after a count (参加|了|习近平法治思想专题培训班): to the clause's
    end or a second predicate (参加考试|并全部合格), past a 了; None when nothing follows or it is longer than an activity."""
    if text.startswith("了", pos):
        pos += 1
    m = re.match(r"[^，,。；;：:！？!?\n并]{2,%d}(?=[，,。；;：:！？!?\n并]|$)" % rules.max_chars, text[pos : pos + rules.max_chars + 1])
    return (m.group(0), pos + m.end()) if m else None


def _governing_marker(seg: str, rules: ActivityRules) -> str:
    """The word that hands the counted units an action (对, 组织, 指导 …) ending the text before the count,
    past a scope word (组织全区|78家单位), and not the end of a longer word (核对, 针对, 党组织); "" when none."""
    s = seg.rstrip()
    scope = next((d for d in rules.governed_scopes if s.endswith(d)), "")
    s = s[: len(s) - len(scope)]
    m = next((m for m in rules.governing_markers if s.endswith(m)), "")
    before = s[: len(s) - len(m)][-1:]
    return "" if m and before and before in rules.governing_marker_blockers.get(m, "") else m


def _governed_action(text: str, pos: int, rules: ActivityRules) -> tuple[int, int]:
    """Where what the counted units do lies: from the first verb after the counted noun at ``pos`` (past an
    insertion in brackets and coordinated counts: 5个乡镇(街道)、56个部门|开展…) to the clause's end; (0, 0) when none."""
    end = pos
    while end < len(text) and text[end] not in "，,。；;：:！？!?\n":
        end += 1
    for p in range(pos, min(end, pos + 16) + 1):
        if rules.verb_at(text, p) and re.fullmatch(r"(?:[（(][^（）()]{0,10}[）)])?(?:、[^、]{1,12}?)*", text[pos:p]):
            return p, end
    return 0, 0


def _inside_marks(s: str) -> set[int]:
    """Positions inside 《…》 or “…” in ``s`` (after the opening mark): a verb there belongs to a name."""
    return {i for m in re.finditer(r"[《“][^《》“”]*[》”]", s) for i in range(m.start() + 1, m.end())}


def _bare_rates(activity: str) -> bool:
    """``参考率、合格率``, ``办结率``, ``覆盖人数``, ``占比``: rates and shares that name no object (short words)."""
    parts = _rate_list(activity) or [activity]
    return all(p.endswith(("率", "人数", "占比", "比例")) and 2 <= len(p) <= 4 for p in parts)


# a year and a scope word opening an object (参加|2025年度全区|法治理论知识考试), not words that start alike (有关, 现场, 共青团)
OBJECT_TIME_SCOPE_RE = re.compile(r"^(?:\d{4}年(?:度)?)?(?:[全我](?:省|市|区|县|镇|乡|街道|旗|州|盟))?")


def _previous_object(text: str, s0: int, end: int, counts: Sequence[Ent], rules: ActivityRules, scan: str) -> str:
    """The object of the clause that ends at ``end`` (in the sentence from ``s0``): what its last verb takes
    (three characters at least), a count closing it dropped (受理企业群众各类诉求31万件 → 企业群众各类诉求); "" when none."""
    k = end - 1
    while k >= s0 and scan[k] not in rules.delims:
        k -= 1
    stop = next((c.start for c in counts if k < c.start and c.end >= end - 1 and not text[c.end : end].strip()), end)
    clause = text[k + 1 : stop]
    quoted = _inside_marks(clause)
    for i in range(len(clause) - 1, -1, -1):
        v = rules.verb_at(clause, i)
        if v and i not in quoted:
            obj = OBJECT_TIME_SCOPE_RE.sub("", clause[i + len(v) :].strip())  # 参加2025年度全区|…考试: time and scope
            if re.match(r"[0-9０-９]", obj) or obj.endswith("的"):
                return ""  # 占调解案件的37.2%: a ratio, not an object
            if len(obj) >= 3:
                return obj  # 参加培训班: not 培训|班, a verb inside the object
    return ""


def _rate_list(activity: str) -> list[str]:
    """The rates of ``考法参学率、报考率、通过率`` (each after the first a short 率 word), else []."""
    parts = [p for p in re.split(r"、|(?<=率)[和及与]", activity) if p]
    if len(parts) > 1 and all(p.endswith("率") for p in parts) and all(len(p) <= 4 for p in parts[1:]):
        return parts
    return []


def _distribute(activity: str, rules: ActivityRules) -> list[str]:
    """``作出终止、驳回决定`` → [作出终止决定, 作出驳回决定]; ``A率、B率`` → [A率, B率]."""
    rates = _rate_list(activity)
    if rates:
        # 学法考法参学率、报考率、通过率: every rate is of the stem the first one names
        stem = rates[0][: -len(rates[-1])] if len(rates[0]) > len(rates[-1]) else ""
        return [rates[0]] + [stem + r for r in rates[1:]]
    # 、 and 和/及/与 list the items, but not a 和/及/与 that opens an item (、及时率: a word)
    parts = [p for p in re.split(r"、|(?<![、])(?<!^)[和及与]", activity) if p]
    if len(parts) < 2:
        return [activity]
    verb = rules.verb_at(parts[0], 0) or ""
    if verb:
        parts[0] = parts[0][len(verb) :]
    last = parts[-1]
    base = len(parts[0])
    head = last[base:] if len(last) > base and all(len(p) == base for p in parts[:-1]) else ""
    items = [verb + p + head for p in parts[:-1]] + [verb + last]
    return items


# ------------------------------------------------------- the learned activity choice
# Scoring only: the weights are trained by pipeline/learning/ranker.py and saved with the component.

RANK_DELIMS = "，,；;：:。！？!?\n（）()、"


def candidates(text: str, rec: dict[str, Any], rules: ActivityRules, scan: Optional[str] = None) -> list[tuple[str, str, int, int, int]]:
    """(kind, activity, distance to the count, evidence start, evidence end) candidates for one rule record
    (``scan``: ``scan_text(text)``, computed once per document by the caller)."""
    scan = scan or scan_text(text)
    c0, c1 = rec["count"]["start"], rec["count"]["end"]
    k = c0 - 1
    while k >= 0 and scan[k] not in RANK_DELIMS:
        k -= 1
    raw = text[k + 1 : c0]
    clause = raw.strip()
    cs = k + 1 + (len(raw) - len(raw.lstrip()))
    a = rec["activity"]
    out = [("rule", a["text"], 0, a["start"], a["end"]), ("clause", clause, len(clause), cs, cs + len(clause))]
    verbs = [i for i in range(len(clause)) if rules.verb_at(clause, i)]
    if verbs:
        out.append(("first_verb", clause[verbs[0] :], len(clause) - verbs[0], cs + verbs[0], cs + len(clause)))
        out.append(("last_verb", clause[verbs[-1] :], len(clause) - verbs[-1], cs + verbs[-1], cs + len(clause)))
    # 5个|方面|17项: a second count ends the noun; a numeral inside a quote (22台|“24小时…”) does not
    # a bound after the count is not the noun (压缩至30分钟|以内), what follows it may be (98%|以上的|案件…)
    bound = re.match(rf"(?:{BOUNDS})的?", text[c1 : c1 + 3])
    c1 += bound.end() if bound else 0
    m = re.match(r"“[^\s，,。；;：:、（）()]{1,9}|[^\s，,。；;：:、（）()0-9０-９]{1,10}", scan[c1 : c1 + 10])
    if m and not rules.verb_after_count(text, c1):  # 400余人|参加了…: a verb, not the noun
        noun = text[c1 : c1 + len(m.group(0))]
        verb = rules.verb_at(clause, verbs[-1]) if verbs else ""
        out.append(("count_first", (verb or "") + noun, len(noun), c1, c1 + len(noun)))
    seen, uniq = set(), []
    for cand in out:
        if cand[1] and cand[1] not in seen:
            seen.add(cand[1])
            uniq.append(cand)
    return uniq


def features(kind: str, act: str, dist: int, rule_act: str, rules: ActivityRules) -> dict[str, Any]:
    """The features of one candidate activity (the ranker's input)."""
    return {
        f"kind={kind}": 1,
        f"len={min(len(act), 20) // 3}": 1,
        f"dist={min(dist, 20) // 4}": 1,
        "starts_verb": int(bool(rules.verb_at(act, 0))),
        "has_coord": int("、" in act or "和" in act),
        "has_title": int("《" in act),
        "overlap_rule": round(char_f1(act, rule_act), 1),
        f"first={act[:1]}": 1,
        f"last={act[-1:]}": 1,
    }


def char_f1(a: str, b: str) -> float:
    """Character-overlap F1 of two strings (bag of characters)."""
    if not a or not b:
        return 0.0
    common = sum((Counter(a) & Counter(b)).values())
    if not common:
        return 0.0
    p, r = common / len(a), common / len(b)
    return 2 * p * r / (p + r)


Ranker = Callable[[str, list[dict[str, Any]], ActivityRules, dict[str, Any]], list[dict[str, Any]]]


def rank_activities(text: str, records: list[dict[str, Any]], rules: ActivityRules, model: dict[str, Any]) -> list[dict[str, Any]]:
    """Each record's activity replaced by the best-scored candidate under a logistic model's weights (``model``: intercept, weights)."""
    w, out = model["weights"], []
    scan = scan_text(text)
    shared = Counter((r["count"]["start"], r["count"]["end"]) for r in records)
    for rec in records:
        if shared[(rec["count"]["start"], rec["count"]["end"])] > 1:
            out.append(rec)  # one count, several items (各, 均): the rules' distribution stands
            continue
        best, best_score = None, float("-inf")
        for kind, act, dist, start, end in candidates(text, rec, rules, scan):
            f = features(kind, act, dist, rec["activity"]["text"], rules)
            score = model["intercept"] + sum(w.get(k, 0.0) * v for k, v in f.items())
            if score > best_score:
                best, best_score = (act, start, end), score
        out.append(rec if best is None else {**rec, "activity": chosen_activity(best[0], best[1], best[2], rules)})
    return out


def chosen_activity(act: str, start: int, end: int, rules: ActivityRules) -> dict[str, Any]:
    """A ranked candidate as the record's activity: leading fillers (全年, 其中 …) dropped, as the rules drop them."""
    bare, bare_start = _strip_left(act, start, rules.fillers)
    return {"text": bare, "start": bare_start if end > start else start, "end": end}


@registry.misc("fazhi.activity_ranker.v1")
def activity_ranker_v1() -> Ranker:
    """Each record's activity replaced by the best-scored candidate under a logistic model's weights.

    The scoring is the module-level ``rank_activities`` (not a closure), so the
    mutation tool, which skips decorated functions, reaches it.
    """
    return rank_activities


class RecordLinker:
    """Sets ``doc._.records``: a list of plain dicts, one per counted item."""

    def __init__(self, nlp: Language, name: str = "record_linker", *, ranker_scoring: Optional[Ranker] = None) -> None:
        self.name = name
        self.rules: Optional[ActivityRules] = None
        self.ranker: Optional[dict] = None
        self.rank_activities = ranker_scoring or activity_ranker_v1()

    def initialize(
        self, get_examples: Callable[[], Iterable] | None = None, *, nlp: Language | None = None, rules: Optional[dict] = None, ranker: Optional[dict] = None
    ) -> None:
        """Load the linker's word lists and, if given, the activity ranker's weights (``pipeline/learning/ranker.py``)."""
        if not rules:
            raise no_table("record_linker", "rules")
        self.rules = ActivityRules(dict(rules))
        self.ranker = dict(ranker) if ranker else None

    def __call__(self, doc: Doc) -> Doc:
        if self.rules is None:
            raise no_table("record_linker", "rules")
        offsets = entity_offsets(doc)
        ents = [Ent(s, e, label) for s, e, label in offsets]
        readings = {}
        for s, e, label in offsets:
            if label == "COUNT":
                span = doc.char_span(s, e)
                readings[(s, e)] = {"value": span._.value, "unit": span._.unit, "approx": span._.approx}
        records = link_records(doc.text, ents, self.rules, doc._.sections or None, readings)
        doc._.records = self.rank_activities(doc.text, records, self.rules, self.ranker) if self.ranker else records
        return doc

    def to_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        srsly.write_json(Path(path) / "rules.json", self.rules.data)
        if self.ranker:
            srsly.write_json(Path(path) / "ranker.json", self.ranker)

    def from_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> "RecordLinker":
        self.rules = ActivityRules(srsly.read_json(Path(path) / "rules.json"))
        ranker = Path(path) / "ranker.json"
        self.ranker = srsly.read_json(ranker) if ranker.exists() else None
        return self


@Language.factory(
    "record_linker",
    assigns=["doc._.records"],
    requires=["doc.ents", "span._.value", "span._.unit", "span._.approx", "doc._.sections"],
    default_config={"ranker_scoring": {"@misc": "fazhi.activity_ranker.v1"}},
)
def make_record_linker(nlp: Language, name: str, ranker_scoring: Ranker) -> RecordLinker:
    return RecordLinker(nlp, name, ranker_scoring=ranker_scoring)
