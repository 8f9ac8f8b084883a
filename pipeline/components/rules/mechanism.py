"""MECHANISM: a head word with its naming modifier, quoted names, named national mechanisms vs slogans, list items."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

from pipeline.knowledge.places import PhraseTable
from pipeline.components.rules.text import CN_NUMERALS, Char, Ent, RuleTable, TextIndex, _alternation, _ends_with_any, _longest_first, _starts_with_any


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
    not_head_before_by_head: dict[str, list[str]] = field(default_factory=dict)  # 工作法|治化: no head before these
    actor_endings: list[str] = field(default_factory=list)  # who acts (队员, 社区) before a verb next to a head
    false_heads: list[str] = field(default_factory=list)
    list_items: bool = True
    list_item_generic_endings: list[str] = field(default_factory=list)
    list_max_item: int = 12
    list_not_heads: list[str] = field(default_factory=list)  # heads whose lists name no mechanisms (A、B等程序: a decision's steps)
    skip_flags: list[str] = field(default_factory=list)
    named_mechanisms: list[str] = field(default_factory=list)
    slogans: list[str] = field(default_factory=list)
    actor_heads: list[str] = field(default_factory=list)  # a model span ending in one names who acts (政府法制机构), not a mechanism
    named_kept_before: list[str] = field(default_factory=list)  # a named mechanism stays one before these (“第一议题”学习), an unknown quote does not
    named_bare_not_before: list[str] = field(default_factory=list)  # unquoted before these, a named mechanism qualifies matters
    quoted_name_endings: list[str] = field(default_factory=list)  # a quoted name ending in one is a procedure (“一窗通办”)
    quoted_name_max: int = 10  # longer quotes are requirements or goals (“能网办的全部网办、能联办的全部联办”), not names
    generic_modifier_endings: dict[str, list[str]] = field(default_factory=dict)  # a field, not a name: 法治领域|改革, 城乡融合发展|改革
    generic_field_modifiers: dict[str, list[str]] = field(default_factory=dict)  # a whole modifier naming a field: 法治建设|制度, 领导|机制 (not 法治建设|责任制)
    quoted_slogan_counters: list[str] = field(default_factory=list)  # a quoted numeral + one of these opens a slogan (“五项重点”)
    quoted_thing_endings: list[str] = field(default_factory=list)  # a quoted name ending in one names a thing or an event
    described_min: int = 8  # X的 + bare head is a mechanism only when the description X is this long (or quoted, or a list)
    dated_boundaries: list[str] = field(default_factory=list)  # a boundary only after a number (2022年度|述法制度); inside a name it is part of it (领导干部年度述法制度)

    def __post_init__(self) -> None:
        self.heads = _longest_first(self.heads)
        self.named = PhraseTable({n: "named" for n in self.named_mechanisms} | {n: "slogan" for n in self.slogans})
        self.head_blockers_after = {k: _longest_first(v) for k, v in self.head_blockers_after.items() if not k.startswith("_")}
        self.boundary_words = _longest_first(self.boundary_words)
        self.owner_prefixes = _longest_first(self.owner_prefixes)
        self.conjunct_stop_endings = _longest_first(self.conjunct_stop_endings)
        self.head_re = re.compile(_alternation(self.heads))
        self.quoted_head_re = re.compile("”(?:" + _alternation(self.quoted_heads) + ")")
        self.list_re = re.compile("等(?:工作)?(?:" + _alternation([h for h in self.heads if h not in self.list_not_heads]) + ")")

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
        if _starts_with_any(text[he : he + 4], r.not_head_before + r.not_head_before_by_head.get(m.group(), [])) or any(text.startswith(f, he - len(f)) for f in r.false_heads):
            generic.append((hs, he))
            continue
        if text[he : he + 1] == "”":
            span = _quoted_head(index, hs, he, r, owner_ends)
        else:
            if _starts_with_any(text[he : he + 4], r.blockers_after(m.group())):
                continue
            s = _extend_modifier(index, hs, r, owner_ends, verbal_modifier=True)
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
    for qs, qe in index.quotes:
        # a quoted procedure named by its working word (“一窗通办”, “复调对接”, “双察联合”): the service-reform and
        # coordination names of the named table, by their ending rather than one by one
        inner = text[qs + 1 : qe - 1]
        if 4 <= len(inner) <= r.quoted_name_max and not re.search(r"[，,、；;：:。]", inner) and _ends_with_any(inner, r.quoted_name_endings) and not index.in_title(qs, qe) and not _starts_with_any(text[qe:], r.quoted_suffix_drop):
            out.append((qs, qe))
    if r.list_items:
        out += _list_items(index, r)
    for s, e, kind in r.named.find(text):
        q = index.in_quote(max(0, s - 1), min(len(text), e + 1))
        after = text[e + (1 if q else 0) :]
        if index.in_title(s, e) or (q and q != (s - 1, e + 1)):
            continue
        if _starts_with_any(after, r.quoted_suffix_drop) and not (kind == "named" and _starts_with_any(after, r.named_kept_before)):
            continue
        if not q and len(text[s:e]) < 4 and not text[s:e].endswith("制"):  # short names only when quoted (一件事)
            continue
        if not q and _starts_with_any(after, r.named_bare_not_before):  # 全程网办事项, 全程网办率: matters so handled
            generic.append((s, e))
            continue
        span = q or (s, e)
        if kind == "slogan":
            generic.append(span)
        elif not _starts_with_any(text[span[1] : span[1] + 4], r.heads):
            out.append(span)
    return out, generic


def quoted_slogan(span: str, r: MechanismRules) -> bool:
    """A span ending in a quote whose name counts points (“三个第一时间”) or ends in a thing or event word
    (“法治督察人才库”, “政务服务提质行动”); a named mechanism (“三项制度”) or a working word (“五个通办”) is not one."""
    m = re.search(r"“([^“”]+)”$", span)
    if not m:
        return False
    inner = m.group(1)
    if inner in r.named_mechanisms or _ends_with_any(inner, r.quoted_name_endings) or _ends_with_any(inner, r.heads) or _ends_with_any(inner, r.quoted_heads):
        return False
    counted = re.match(r"[一二三四五六七八九十百千两]+", inner)
    return bool(counted and _starts_with_any(inner[counted.end() :], r.quoted_slogan_counters)) or bool(_ends_with_any(inner, r.quoted_thing_endings))


def _list_items(index: TextIndex, r: MechanismRules) -> list[Char]:
    """Items of ``A、B等制度`` / ``A、B等工作机制`` (guideline M3): each named item is a MECHANISM, management areas are not."""
    text = index.text
    out: list[Char] = []
    for m in r.list_re.finditer(text):
        end = m.start()
        clause_s = index.clause_start(end)
        s = end
        while s > clause_s and not _boundary_at(index, clause_s, s, r):
            s -= 1
        # a 年度 not after a date opens the first item (各单位完成|年度述法、…, ，|年度述法、…), as it is part of the name
        first_end = text.find("、", s, end)
        for w in r.dated_boundaries:
            k = s - len(w) if text.endswith(w, clause_s, s) else text.find(w, s + 1, end if first_end < 0 else first_end)
            if k >= clause_s and k != s and (k == clause_s or not DATE_BEFORE_RE.match(text[k - 1])):
                s = k
                break
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
    if not q or q[1] != he + 1 or _starts_with_any(index.text[q[1] : q[1] + 8], r.quoted_suffix_drop):
        return None  # …“枫桥式工作法”单位: an honour's name, an activity's, a style's (guideline M6)
    s = _extend_modifier(index, q[0], r, owner_ends, stop_at_conjunction=True)
    if s is not None and 0 < q[0] - s <= r.quoted_prefix_max:
        return (s, q[1])
    return (q[0] + 1, he)


DATE_BEFORE_RE = re.compile(rf"[\d０-９上全每本今去明当该{CN_NUMERALS}]")  # a number or time word before 年度: a date (2023年度, 上年度)


def _boundary_at(index: TextIndex, clause_s: int, p: int, r: MechanismRules, fused_end: Optional[int] = None) -> Optional[str]:
    """The boundary word ending at ``p``, or None. A dated boundary (年度) is one only after a number or a time word
    (2023年度, 上年度); inside a name it is part of it (领导干部|年度|述法制度, 会前学法、|年度|述法等制度)."""
    word = index.ends_with_word(clause_s, p, r.boundary_words, fused_end=fused_end)
    if word in r.dated_boundaries and p - len(word) > clause_s and not DATE_BEFORE_RE.match(index.text[p - len(word) - 1]):
        return None
    return word


def _extend_modifier(
    index: TextIndex, head_start: int, r: MechanismRules, owner_ends: Sequence[str], stop_at_conjunction: bool = False, with_owners: bool = True,
    verbal_modifier: bool = False,
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
        verb = _boundary_at(index, clause_s, p, r, fused_end=head_end)
        if verb and verbal_modifier and len(verb) > 1 and p == head_start and not text.startswith("改革", head_start) and _names_before(index, clause_s, p - len(verb), r, owners):
            # a verb next to the head with a noun phrase before it modifies the head (法治政府建设|推进|机制: spec 考核机制);
            # before 改革 it governs it (深化改革); one-character words (等, 的) end a list or a phrase
            p -= len(verb)
            budget -= len(verb)
            continue
        if verb or index.ends_with_word(clause_s, p, owners):
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


def _names_before(index: TextIndex, clause_s: int, p: int, r: MechanismRules, owners: Sequence[str]) -> bool:
    """A name of what is done ends at ``p`` (法治政府建设, 党内法规): not the clause's start, punctuation, a governing
    word, an owner, or who acts (执法人员, 领导干部, 社区: then the verb governs the head, 干部落实制度)."""
    text = index.text
    if p - clause_s < 3 or text[p - 1] in "“”《》（）()[]【】 \t、和及与" or text[p - 1].isdigit():
        return False
    if _ends_with_any(text[clause_s:p], list(r.actor_heads) + list(r.actor_endings)):
        return False
    return not (index.ends_with_word(clause_s, p, r.boundary_words) or index.ends_with_word(clause_s, p, owners))


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
    if mod in r.generic_modifiers or not mod or _ends_with_any(mod, r.generic_modifier_endings.get(head, [])):
        return "generic"
    if mod.removesuffix("制度") in r.generic_field_modifiers.get(head, []):  # 市场监管制度|机制: institutions and mechanisms of a field
        return "generic"
    described, de, rest = mod.rpartition("的")
    if de and (not rest or rest in r.generic_modifiers or rest in r.heads) and len(described) < r.described_min and not re.search(r"[、“”\"]", described):
        # 依法治市的体制机制, 高效协同的工作机制: a short description before a bare head names no mechanism;
        # a long one does (党委领导、政府实施、部门落实、社会参与的联动工作机制), and so does a name after 的 (首接负责的协同办理工作机制)
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
