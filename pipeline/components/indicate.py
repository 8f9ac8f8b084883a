"""indicator_classifier: every record mapped to a comparable indicator of the taxonomy.

A record's activity is free text (``召开党委理论学习中心组学法会议``, ``开展中心组学法``);
the indicator is the canonical measure it belongs to (``study.leadership_sessions``,
the taxonomy in ``../shared/indicators``). The classifier is a linear model over
character n-grams of the record's activity, of the words around the count, of
the heading above it and of the parent's activity, plus the unit family and
the section. Rules from the taxonomy constrain it: an indicator whose unit
family cannot hold the count's unit is never chosen (a % is never a count), a
rate whose word the taxonomy names (出庭应诉率, 网上可办率, 考试合格率) takes that
indicator, and below the abstention threshold the record is ``other``.

The weights are trained by ``pipeline/learning/indicators.py`` and handed to
``initialize`` (the project's file is ``corpus/rules/indicators.json``); they are
saved with the pipeline. ``record_features`` is shared with the training, so
the features of a record are the same at training and at run time.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import srsly
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components.link import record_activity
from pipeline.errors import no_table
from pipeline.labels import OTHER_INDICATOR

HEADING_RE = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|\d+[.．、]|[（(]\d+[)）])")
LEFT, RIGHT, RIGHT_CUES, HEADING_MAX = 24, 6, 12, 40


def ngrams(s: str, prefix: str, sizes: Iterable[int]) -> dict[str, float]:
    out: dict[str, float] = {}
    for n in sizes:
        for i in range(len(s) - n + 1):
            out[prefix + s[i : i + n]] = 1.0
    return out


def heading_above(text: str, pos: int) -> str:
    """The nearest numbered heading line before ``pos`` (``（三）深化普法宣传``), or ""."""
    end = text.rfind("\n", 0, pos)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if len(line.strip()) <= HEADING_MAX and HEADING_RE.match(line):
            return HEADING_RE.sub("", line).strip()
        end = start - 1
    return ""


class Cues:
    """Head-word groups (``corpus/rules/indicator_cues.json``): which groups a string mentions."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.groups = {g: words for g, words in groups.items() if not g.startswith("_")}
        alternation = "|".join(sorted({re.escape(w) for ws in self.groups.values() for w in ws}, key=len, reverse=True))
        self.pattern = re.compile(alternation) if alternation else None
        self.group_of: dict[str, list[str]] = {}
        for g, words in self.groups.items():
            for w in words:
                self.group_of.setdefault(w, []).append(g)

    def fired(self, s: str) -> set[str]:
        if self.pattern is None:
            return set()
        # every occurrence of every word (overlaps included: 法律援助 and 援助案件)
        found = {w for w in self.group_of if w in s}
        return {g for w in found for g in self.group_of[w]}


def record_features(text: str, rec: dict[str, Any], unit_family: Optional[str], cues: Optional[Cues] = None) -> dict[str, float]:
    """The classifier's input for one record (offsets of ``rec`` point into ``text``)."""
    c0, c1 = rec["count"]["start"], rec["count"]["end"]
    act = record_activity(rec)
    left = text[max(0, c0 - LEFT) : c0].split("\n")[-1]
    right = text[c1 : c1 + RIGHT].split("\n")[0]
    f = ngrams(act, "a:", (1, 2, 3))
    f.update(ngrams(left, "l:", (2,)))
    f.update(ngrams(right, "r:", (1, 2)))
    f.update(ngrams(heading_above(text, c0), "h:", (2,)))
    parent = rec.get("parent")
    if parent:
        f.update(ngrams(str(parent.get("activity") or ""), "p:", (2,)))
        f["has_parent"] = 1.0
    f[f"unit={rec.get('unit')}"] = 1.0
    f[f"family={unit_family}"] = 1.0
    f[f"section={rec.get('section')}"] = 1.0
    if rec.get("actor"):
        f["has_actor"] = 1.0
    if cues is not None:
        for g in cues.fired(act):
            f[f"cue={g}"] = 1.0
        for g in cues.fired(left):
            f[f"left_cue={g}"] = 1.0
        for g in cues.fired(text[c1 : c1 + RIGHT_CUES].split("\n")[0]):
            f[f"right_cue={g}"] = 1.0
    return f


def primary_families(unit_families: dict[str, list[str]]) -> dict[str, str]:
    """Each unit's primary family: the first family that lists it (件 → 件, not 件次)."""
    primary: dict[str, str] = {}
    for fam, units in unit_families.items():
        for u in units:
            primary.setdefault(u, fam)
    return primary


class IndicatorModel:
    """The taxonomy, the units each family holds, and a linear model's weights (a JSON-able table)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.taxonomy = {t["id"]: t for t in data["taxonomy"]}
        self.classes: list[str] = list(data["classes"])
        self.weights: dict[str, dict[str, float]] = data["weights"]  # feature → {class index: weight}
        self.intercept: list[float] = list(data["intercept"])
        self.threshold = float(data["threshold"])
        self.unit_family = primary_families(data["unit_families"])
        self.family_units = {fam: set(units) for fam, units in data["unit_families"].items()}
        self.use_mask = bool(data.get("unit_mask", True))
        self.cues = Cues(data["cues"]) if data.get("cues") else None
        self.inherit_parent = bool(data.get("inherit_parent", False))
        self.rate_rules: list[dict[str, Any]] = list(data.get("rate_rules") or [])

    def rate_rule(self, text: str, rec: dict[str, Any]) -> Optional[str]:
        """The indicator a record's head word names by the taxonomy's notes, or None: a % record's rate word
        (出庭应诉率, 网上可办率 …), or, for a rule that lists ``units``, a count in one of them whose activity
        names the counted thing (立案 … 件) and none of the rule's ``not`` words."""
        unit = rec.get("unit")
        is_rate = self.family_of(unit) == "%"
        act = record_activity(rec)
        act = re.sub(r"[“”\"]", "", act)
        c0 = rec["count"]["start"]
        line = text[max(0, c0 - LEFT) : c0].split("\n")[-1]
        clauses = re.split(r"[，,；;。]", line)
        for rule in self.rate_rules:
            applies = unit in rule["units"] if "units" in rule else is_rate
            word = next((w for w in rule["words"] if w in act), None) if applies else None
            if word is None or any(w in act for w in rule.get("not", ())):
                continue
            # a rate that names its own object (政府信息公开申请办结率) is read in its clause; a bare one
            # (受理信访事项58件，办结率98%) in the clause before too
            own = act.index(word) >= 2
            around = act + "".join(clauses[-1:] if own else clauses[-2:])
            if not rule.get("context") or any(w in around for w in rule["context"]):
                return rule["indicator"]
        return None

    def family_of(self, unit: Optional[str]) -> Optional[str]:
        """The unit family a unit belongs to first (``场次`` → 次; None if none)."""
        return self.unit_family.get(unit or "")

    def allowed(self, indicator: str, unit: Optional[str]) -> bool:
        """Can an indicator hold a count in ``unit``? (unknown units constrain nothing)"""
        if not self.use_mask or indicator == OTHER_INDICATOR or not unit or unit not in self.unit_family:
            return True
        entry = self.taxonomy.get(indicator, {})
        if "units" in entry:  # the family's units and those the taxonomy's include note lists
            return unit in entry["units"]
        fam = entry.get("unit_family")
        return fam not in self.family_units or unit in self.family_units[fam]

    def probabilities(self, feats: dict[str, float], unit: Optional[str]) -> list[float]:
        scores = list(self.intercept)
        for name, value in feats.items():
            for k, w in self.weights.get(name, {}).items():
                scores[int(k)] += w * value
        ok = [self.allowed(c, unit) for c in self.classes]
        top = max(s for s, good in zip(scores, ok) if good) if any(ok) else 0.0
        exp = [math.exp(s - top) if good else 0.0 for s, good in zip(scores, ok)]
        total = sum(exp) or 1.0
        return [e / total for e in exp]

    def classify(self, text: str, rec: dict[str, Any]) -> tuple[str, float]:
        """(indicator, score): the most probable allowed indicator, or ``other`` below the threshold."""
        unit = rec.get("unit")
        named = self.rate_rule(text, rec)
        if named is not None:
            return named, 1.0
        probs = self.probabilities(record_features(text, rec, self.family_of(unit), self.cues), unit)
        best = max(range(len(probs)), key=lambda i: probs[i])
        label, score = self.classes[best], probs[best]
        if score < self.threshold:
            label = OTHER_INDICATOR
        return label, round(score, 4)


    def classify_records(self, text: str, records: list[dict[str, Any]]) -> list[tuple[str, float]]:
        """(indicator, score) of each record of one document. A breakdown (a record with a parent, after
        其中) takes its total's indicator when its unit allows it (the taxonomy's convention 3)."""
        out: list[tuple[str, float]] = []
        by_count: dict[tuple[int, int], tuple[str, float]] = {}
        for rec in records:
            parent = rec.get("parent") or {}
            pc = parent.get("count") or {}
            inherited = by_count.get((pc.get("start"), pc.get("end"))) if self.inherit_parent and pc else None
            if inherited and inherited[0] != OTHER_INDICATOR and self.allowed(inherited[0], rec.get("unit")):
                result = inherited
            else:
                result = self.classify(text, rec)
            out.append(result)
            by_count.setdefault((rec["count"]["start"], rec["count"]["end"]), result)
        return out


class IndicatorClassifier:
    """Adds ``indicator`` (an id of the taxonomy, or ``other``), ``indicator_name`` (its Chinese name),
    ``indicator_unit`` (its unit family) and ``indicator_score`` (the model's probability) to every record."""

    def __init__(self, nlp: Language, name: str = "indicator_classifier") -> None:
        self.name = name
        self.model: Optional[IndicatorModel] = None

    def initialize(self, get_examples: Callable[[], Iterable] | None = None, *, nlp: Language | None = None, model: Optional[dict] = None) -> None:
        """Load the trained table (config [initialize.components.indicator_classifier.model])."""
        if not model:
            raise no_table("indicator_classifier", "model")
        self.model = IndicatorModel(dict(model))

    def __call__(self, doc: Doc) -> Doc:
        if self.model is None:
            raise no_table("indicator_classifier", "model")
        out = []
        for rec, (label, score) in zip(doc._.records, self.model.classify_records(doc.text, doc._.records)):
            entry = self.model.taxonomy.get(label, {})
            out.append({**rec, "indicator": label, "indicator_name": entry.get("name_zh"), "indicator_unit": entry.get("unit_family"), "indicator_score": score})
        doc._.records = out
        return doc

    def to_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        srsly.write_json(Path(path) / "model.json", self.model.data)

    def from_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> "IndicatorClassifier":
        self.model = IndicatorModel(srsly.read_json(Path(path) / "model.json"))
        return self


@Language.factory("indicator_classifier", assigns=["doc._.records"], requires=["doc._.records"], default_config={})
def make_indicator_classifier(nlp: Language, name: str) -> IndicatorClassifier:
    return IndicatorClassifier(nlp, name)
