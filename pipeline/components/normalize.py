"""count_normalizer: value, unit and approx of every COUNT entity.

``3万余条`` → value 30000, unit ``条``, approx ``more_than``; ``300余万元`` →
3000000 ``元``; ``近三千平方米`` → 3000 ``平方米`` ``nearly`` (the qualifier is
outside the span and read from the context). Numerals go through cn2an; this
module adds what cn2an lacks: internal 余/多, magnitudes after them, and units.
The unit and qualifier tables are data (``corpus/rules/count_units.json``),
loaded in ``initialize`` and saved with the pipeline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import cn2an
import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.errors import no_table
from pipeline.spans import entity_offsets

CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
NUM_RE = re.compile(
    rf"^(?P<num>[0-9０-９]+(?:[.,，．][0-9０-９]+)*|[{CN_DIGITS}]+)"
    r"(?P<approx>[余多]?)(?P<mag>[十百千万亿]*)(?P<approx2>[余多]?)(?P<unit>.*)$"
)
FULLWIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")

for _name in ("value", "unit", "approx"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)


@dataclass
class CountReading:
    value: float | int | None
    unit: str
    approx: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "approx": self.approx}


def _number(num: str) -> float:
    num = num.translate(FULLWIDTH)
    if num[0].isdigit():
        # thousands separators: "1,200" (a comma followed by exactly three digits)
        num = re.sub(r"[,](?=\d{3}(?:\D|$))", "", num).replace(",", ".")
        return float(num)
    if num[0] in "十百千万亿":
        num = "一" + num
    return float(cn2an.cn2an(num, "smart"))


def _tidy(v: float) -> float | int:
    return int(v) if float(v).is_integer() else round(v, 6)


def read_count(text: str, before: str, after: str, tables: dict) -> CountReading:
    """Normalise one COUNT span's text, with the text just before and after it (``tables``: count_units.json)."""
    t = tables
    if text.strip().startswith("百分之"):  # 百分之九十五 → 95 %
        try:
            value, unit, approx = _number(text.strip()[3:]), "%", None
        except (ValueError, TypeError):
            return CountReading(None, text, None)
    else:
        m = NUM_RE.match(re.sub(r"(?<=[0-9０-９])[ \u00a0\u3000]", "", text.strip(), count=1))  # 121 件 reads as 121件
        if not m:
            return CountReading(None, text, None)
        try:
            value = _number(m.group("num"))
        except (ValueError, TypeError):
            return CountReading(None, text, None)
        for ch in m.group("mag"):
            value *= t["magnitudes"][ch]
        unit = m.group("unit").strip()
        unit = t["unit_aliases"].get(unit, unit)
        if unit in t["scaled_units"]:
            base, factor = t["scaled_units"][unit]
            unit, value = base, value * factor
        approx = t["internal_approx"].get(m.group("approx") or m.group("approx2"))
    if approx is None:
        tail = before.rstrip()[-4:]
        for cue, kind in t["prefix_approx"]:
            if tail.endswith(cue):
                approx = kind
                break
    if approx is None:
        head = after.lstrip()[:3]
        for cue, kind in t["suffix_approx"]:
            if head.startswith(cue):
                approx = kind
                break
    return CountReading(_tidy(value), unit, approx)


def prepare_tables(data: dict[str, Any]) -> dict[str, Any]:
    """The unit tables with their prefix qualifiers longest first (不少于 before 少于)."""
    data = dict(data)
    data["prefix_approx"] = sorted(data["prefix_approx"], key=lambda p: -len(p[0]))
    return data


class CountNormalizer:
    """Sets ``span._.value``, ``span._.unit``, ``span._.approx`` on every COUNT entity."""

    def __init__(self, nlp: Language, name: str = "count_normalizer", *, label: str = "COUNT", context: int = 4) -> None:
        self.name = name
        self.label = label
        self.context = context
        self.tables: Optional[dict[str, Any]] = None

    def initialize(self, get_examples: Callable[[], Iterable] | None = None, *, nlp: Language | None = None, tables: Optional[dict] = None) -> None:
        """Load the unit and qualifier tables (config [initialize.components.count_normalizer.tables])."""
        if not tables:
            raise no_table("count_normalizer", "tables")
        self.tables = prepare_tables(tables)

    def __call__(self, doc: Doc) -> Doc:
        if self.tables is None:
            raise no_table("count_normalizer", "tables")
        text = doc.text
        for start, end, label in entity_offsets(doc):
            if label != self.label:
                continue
            ent = doc.char_span(start, end)
            r = read_count(ent.text, text[max(0, ent.start_char - self.context) : ent.start_char], text[ent.end_char : ent.end_char + self.context], self.tables)
            ent._.value, ent._.unit, ent._.approx = r.value, r.unit, r.approx
        return doc

    def to_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "tables.json", self.tables)

    def from_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> "CountNormalizer":
        self.tables = prepare_tables(srsly.read_json(Path(path) / "tables.json"))
        return self


@Language.factory(
    "count_normalizer",
    assigns=["span._.value", "span._.unit", "span._.approx"],
    requires=["doc.ents"],
    default_config={"label": "COUNT", "context": 4},
)
def make_count_normalizer(nlp: Language, name: str, label: str, context: int) -> CountNormalizer:
    return CountNormalizer(nlp, name, label=label, context=context)
