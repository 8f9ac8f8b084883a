"""Place names of China to township level, and a fast longest-match finder over them.

The table ``corpus/rules/places.json`` is derived from jionlp's
``dictionary/china_location.zip`` (Apache-2.0; provinces, cities, counties
with their short forms, and towns/townships/streets), rebuilt by
``make places`` (``python -m pipeline.knowledge.places build``), which reads the zip from
an installed jionlp without importing it. Villages and communities are left
out: too many, and they name no reporting unit. Short forms are kept for
provinces and cities, and for counties when three characters or more
(``静海`` alone is also an ordinary word far too rarely to matter, but
``和平``, ``长安``, ``城关`` are common words).

The entity rules get the table through ``initialize`` and save it with the
model; nothing here is read from the checkout at run time.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from pathlib import Path
from typing import Any, Iterable

LEVELS = ("province", "city", "county", "town")
TOWN_ENDINGS = ("街道", "镇", "乡", "苏木")
# town-level entries of the source that are not street/town names (service stations, farms, zones)
NOT_TOWN_WORDS = ("社区", "服务", "管理", "开发", "委员会", "办事处", "农场", "林场", "园区", "片区")


def jionlp_zip() -> Path:
    """The location dictionary inside an installed jionlp (``pip install --no-deps jionlp``)."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or spec.origin is None:
        raise SystemExit("jionlp is not installed: .venv/bin/pip install --no-deps jionlp==1.5.31")
    return Path(spec.origin).parent / "dictionary" / "china_location.zip"


def build_place_table(zip_path: Path) -> dict[str, Any]:
    """Names per level from jionlp's tab-indented location tree."""
    with zipfile.ZipFile(zip_path) as z:
        raw = z.read("china_location.txt").decode("utf-8")
    names: dict[str, set[str]] = {lvl: set() for lvl in LEVELS}
    for line in raw.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip("\t"))
        if depth > 3:
            continue
        cols = line.strip("\t").split("\t")
        level = LEVELS[depth]
        full = cols[0].strip()
        if depth == 3:
            if full.endswith(TOWN_ENDINGS) and 3 <= len(full) <= 8 and not any(w in full for w in NOT_TOWN_WORDS):
                names[level].add(full)
            continue
        names[level].add(full)
        short = cols[2].strip() if len(cols) > 2 else ""
        if short and short != full and (depth < 2 and len(short) >= 2 or len(short) >= 3):
            names[level].add(short)
        # autonomous units are mostly written short + their type: 肃南裕固族自治县 → 肃南县
        for ending, kind in (("自治县", "县"), ("自治旗", "旗"), ("自治州", "州")):
            if full.endswith(ending) and short and len(short) >= 2:
                names[level].add(short + kind)
    return {
        "_about": "Place names to township level, derived from jionlp 1.5.31 dictionary/china_location.zip (Apache-2.0) by `make places`; see pipeline/knowledge/places.py.",
        **{lvl: sorted(v) for lvl, v in names.items()},
    }


class PhraseTable:
    """Leftmost-longest matches of fixed names (name → tag) in a text, indexed by their first two characters.

    A dictionary lookup per position instead of a regex alternation: tens of
    thousands of names cost no more than a handful.
    """

    def __init__(self, names: dict[str, str]) -> None:
        self.tag = dict(names)
        self._by_head: dict[str, list[str]] = {}
        for name in self.tag:
            if len(name) >= 2:
                self._by_head.setdefault(name[:2], []).append(name)
        for group in self._by_head.values():
            group.sort(key=len, reverse=True)

    def __len__(self) -> int:
        return len(self.tag)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, tag) matches, leftmost first, longest at each start."""
        out: list[tuple[int, int, str]] = []
        i, n = 0, len(text)
        by_head = self._by_head
        while i < n - 1:
            cands = by_head.get(text[i : i + 2])
            if cands:
                for name in cands:
                    if text.startswith(name, i):
                        out.append((i, i + len(name), self.tag[name]))
                        i += len(name)
                        break
                else:
                    i += 1
                continue
            i += 1
        return out


STOP = "stop"


class PlaceGazetteer(PhraseTable):
    """The place table as a phrase table: name → level (province, city, county, town)."""

    def __init__(self, table: dict[str, Any] | None, stop_names: Iterable[str] = ()) -> None:
        stops = set(stop_names)
        names: dict[str, str] = {}
        for lvl in LEVELS:
            for name in (table or {}).get(lvl, []):
                if name not in stops:
                    names.setdefault(name, lvl)
        # a stop name is matched and dropped, so it also hides a place inside it (示范县 ⊃ 范县)
        names.update({name: STOP for name in stops})
        super().__init__(names)
        self.level = {name: lvl for name, lvl in self.tag.items() if lvl != STOP}

    def find(self, text: str) -> list[tuple[int, int, str]]:
        return [m for m in super().find(text) if m[2] != STOP]


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "build":
        table = build_place_table(jionlp_zip())
        Path(argv[1]).write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(", ".join(f"{lvl} {len(table[lvl])}" for lvl in LEVELS))
        return 0
    print("usage: python -m pipeline.knowledge.places build OUT.json", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
