"""The entity_rules component: the rule families applied after the NER, tables loaded in initialize and saved with the model."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence
from pathlib import Path

import srsly
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components.rules.count import CountRules, find_counts
from pipeline.components.rules.institution import InstitutionRules, PlaceIndex, find_institutions, institution_like, place_prefix_start
from pipeline.components.rules.law import LawRules, find_laws, law_like
from pipeline.components.rules.mechanism import MechanismRules, find_mechanisms, quoted_name_fix, quoted_slogan
from pipeline.components.rules.text import Ent, TextIndex, Word, _longest_first, _overlaps, jieba_words
from pipeline.components.rules.trim import TrimRules, trim_span
from pipeline.errors import E_NO_RULES, E_UNKNOWN_FAMILY, no_table
from pipeline.knowledge.places import PhraseTable, PlaceGazetteer

if not Doc.has_extension("places"):
    Doc.set_extension("places", default=None)  # the gazetteer's place names (start, end, level), for report_structure

EXTRA_TABLES = ("places", "bodies", "laws")  # the data tables besides the rules, each saved with the model as <name>.json
FAMILIES = ("trim", "count", "law", "mechanism_fix", "mechanism_add", "institution_fix", "institution_add")


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
        """Load the rule tables (required) and the place names, body names and law titles (config [initialize.components.entity_rules])."""
        if rules is None:
            raise no_table("entity_rules", "rules")
        self.set_rules(rules, {"places": places, "bodies": bodies, "laws": laws})

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
        index = TextIndex(doc.text, self.tables.clause, self.segmenter, self.tables.gazetteer)
        ents = apply_rules(doc.text, [(e.start_char, e.end_char, e.label_) for e in doc.ents], self.tables, index=index)
        doc._.places = list(index.gazetteer_places) if self.tables.gazetteer else None
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


QUOTE_PAIRS = (("“", "”"), ("《", "》"), ("「", "」"))


def _unbalanced(span_text: str) -> bool:
    return any(span_text.count(a) != span_text.count(b) for a, b in QUOTE_PAIRS)


SESSION_RE = re.compile(r"第?[一二三四五六七八九十]+届")


def _institution_ends(e: Ent, text: str, r: InstitutionRules, leading: Sequence[str]) -> Optional[Ent]:
    """A body's name runs to its end (党委会|议 → 党委会议) and starts at its name (其中特邀|武汉大学);
    a site's name (…人民政府|门户网站) and a kind of law (市政府|规章) are not a body."""
    if any(text.startswith(w, e[1]) for words in (r.website_words, r.document_words) for w in words):
        return None  # …人民政府|门户网站 names a site, 市政府|规章 a kind of law
    s, end = e[0], e[1] + (1 if text.endswith("会", 0, e[1]) and text.startswith("议", e[1]) else 0)
    while (w := next((w for w in leading if text.startswith(w, s)), None)) and end - s - len(w) >= 2:
        s += len(w)
    session = SESSION_RE.match(text, s, end)  # 十四届|县委全面依法治县委员会: the session number is not the name
    if session and end - session.end() >= 2:
        s = session.end()
    return (s, end, e[2])


def _mechanism_shaped(span: str, r: MechanismRules) -> bool:
    """Ends in a head word (制度, 机制 … or 制), holds a quote, or is a named mechanism."""
    return span.endswith(tuple(r.heads) + tuple(r.quoted_heads) + ("制",)) or "“" in span or '"' in span or span in r.named_mechanisms


def _split_quotes(e: Ent, text: str) -> list[Ent]:
    """“县乡联办”“乡村随身办”: quoted names side by side are one span each."""
    parts = [m.span() for m in re.finditer(r"“[^“”]+”", text[e[0] : e[1]])]
    if len(parts) > 1 and parts[0][0] == 0 and parts[-1][1] == e[1] - e[0] and all(a[1] == b[0] for a, b in zip(parts, parts[1:])):
        return [(e[0] + a, e[0] + b, e[2]) for a, b in parts]
    return [e]


def _list_item(text: str, e: Ent, r: MechanismRules, others: Sequence[Ent]) -> bool:
    """An item of a list of mechanisms (guideline M3): coordinated (、和及与 before it, or 、和及与等“ after it)
    with a head word later in the clause (风险评估、关键岗位分离…等制度) or next to another MECHANISM (讼调对接、诉调对接)."""
    after = re.match(r"[^，,。；;：:\n]*", text[e[1] :]).group(0)
    before = text[max(0, e[0] - 1) : e[0]]
    if not (before in COORDINATORS or after[:1] in COORDINATORS + ("等", "“")):
        return False
    if any(h in after for h in r.heads):
        return True
    return any(o != e and (o[0] == e[1] + 1 or o[1] == e[0] - 1) and (text[e[1] : e[1] + 1] in COORDINATORS or text[o[1] : o[1] + 1] in COORDINATORS) for o in others)


COORDINATORS = ("、", "和", "及", "与")


def _without_owner(e: Ent, text: str, places: PlaceIndex, owners: Sequence[str], keep: int = 3) -> Ent:
    """``e`` without leading place names and owner words (蒙城县‘5+N’…机制 → ‘5+N’…机制), if ``keep`` characters remain."""
    s = e[0]
    while True:
        place_end = places.starting_at(s)
        word = next((w for w in owners if text.startswith(w, s)), None)
        nxt = place_end if place_end is not None else (s + len(word) if word else None)
        if nxt is None or e[1] - nxt < keep or text[nxt] in "和与及、":  # 街道和社区…机制: a conjunct, not an owner
            return (s, e[1], e[2])
        if place_end is not None and (text[nxt] == "式" or text.startswith("经验", nxt)):  # 枫桥式工作法, 枫桥经验: the place names the model
            return (s, e[1], e[2])
        s = nxt


def apply_rules(
    text: str, model_ents: Sequence[Ent], t: EntityRuleTables, segmenter: Optional[Callable[[str], list[Word]]] = None, index: Optional[TextIndex] = None
) -> list[Ent]:
    """The repaired entity list for ``text`` given the model's entities (character offsets)."""
    fam = t.families
    index = index or TextIndex(text, t.clause, segmenter, t.gazetteer)
    ents: list[Ent] = list(model_ents)
    if fam["trim"]:
        ents = [x for x in (trim_span(index, e, t.trim, t.hard) for e in ents) if x is not None]

    asserted: list[Ent] = []
    places = PlaceIndex(index, t.institution) if fam["law"] or fam["mechanism_fix"] else None
    if fam["law"]:
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
            ents = [e for e in ents if e[2] != "INSTITUTION" or (institution_like(text, e[0], e[1], r) and text[e[0] : e[1]] not in r.group_generic)]
        found = find_institutions(index, r, t.mechanism.boundary_words)
        candidates += [((s, e, "INSTITUTION"), fam["institution_fix"], fam["institution_add"]) for s, e in found]
    if fam["mechanism_fix"] or fam["mechanism_add"]:
        owner_ends = _longest_first(t.institution.standalone)
        mechs, generic = find_mechanisms(index, t.mechanism, owner_ends)
        if fam["mechanism_fix"]:
            ents = [x for x in (quoted_name_fix(index, e, t.mechanism) for e in ents) if x is not None]
            # quoted names side by side are one span each before a rule's candidate replaces one of them
            ents = [x for e in ents for x in (_split_quotes(e, text) if e[2] == "MECHANISM" else [e])]
            ents = [e for e in ents if not (e[2] == "MECHANISM" and any(g[1] == e[1] and e[0] <= g[0] for g in generic))]
            # a name is whole: a model span that opens a quote it does not close (or the reverse) is a cut slogan
            ents = [e for e in ents if not (e[2] == "MECHANISM" and _unbalanced(text[e[0] : e[1]]))]
            # a quoted name that counts points (“五项重点”, “三个第一时间”) or names a thing or an event (“法治督察人才库”,
            # “政务服务提质行动”) is a slogan, unless the named table or a working word says otherwise
            ents = [e for e in ents if not (e[2] == "MECHANISM" and quoted_slogan(text[e[0] : e[1]], t.mechanism))]
            # a span headed by a body or people (政府法制机构, 执法队伍) names who acts, not a mechanism
            ents = [e for e in ents if not (e[2] == "MECHANISM" and text[e[0] : e[1]].endswith(tuple(t.mechanism.actor_heads)))]
            # a MECHANISM names a head word, a quote or a named mechanism; a model span with none of them
            # (重点学习内容, 依法行政) is dropped unless the rules found a mechanism there (a list item)
            model_mechs = [e for e in ents if e[2] == "MECHANISM"]
            ents = [
                e
                for e in ents
                if e[2] != "MECHANISM" or _mechanism_shaped(text[e[0] : e[1]], t.mechanism) or _list_item(text, e, t.mechanism, model_mechs) or any(_overlaps(e, m) for m in mechs)
            ]
        candidates += [((s, e, "MECHANISM"), fam["mechanism_fix"], fam["mechanism_add"]) for s, e in mechs]
    taken: list[Ent] = []
    for cand, fix, add in candidates:
        if any(_overlaps(cand, a) for a in accepted) or any(_overlaps(cand, o) for o in taken):
            continue
        hit = [e for e in ents if _overlaps(cand, e)]
        if (hit and fix) or (not hit and add):
            taken.append(cand)
            ents = [e for e in ents if not _overlaps(cand, e)]
    out = accepted + taken + ents
    if fam["institution_fix"]:
        lead = _longest_first(t.trim.leading_by_label.get("INSTITUTION", []))
        out = [x for x in (_institution_ends(e, text, t.institution, lead) if e[2] == "INSTITUTION" else e for e in out) if x is not None]
    if fam["mechanism_fix"]:
        # quoted names side by side are one span each; owner prefixes stay out (guideline M10):
        # a place name or an owner/level word opening a MECHANISM
        out = [x for e in out for x in (_split_quotes(e, text) if e[2] == "MECHANISM" else [e])]
        # guideline M6: the work a named mechanism is carried out as is not its name (“诉源治理”|工作, 诉调对接|工作)
        out = [(e[0], e[1] - 2, e[2]) if e[2] == "MECHANISM" and text.endswith("”工作", e[0], e[1]) else e for e in out]
        out = [_without_owner(e, text, places, t.mechanism.owner_prefixes) if e[2] == "MECHANISM" else e for e in out]
    return sorted(set(out))


@Language.factory(
    "entity_rules",
    assigns=["doc.ents", "doc._.places"],
    requires=["doc.ents"],
    default_config={"families": None, "segmenter": {"@misc": "fazhi.jieba_words.v1"}},
)
def make_entity_rules(nlp: Language, name: str, families: Optional[list[str]], segmenter: Callable[[str], list[Word]]) -> EntityRules:
    return EntityRules(nlp, name, families=families, segmenter=segmenter)
