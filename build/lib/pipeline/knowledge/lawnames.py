"""Law and regulation titles as a LAW gazetteer, derived from the legal-domain corpus in ../shared/data/lawref.

``make laws`` (``python -m pipeline.knowledge.lawnames build LAWS.jsonl.gz OUT.json``)
keeps the titles of national laws, administrative regulations, departmental
rules and the local regulations of the corpus that end in a law type word,
without ``中华人民共和国`` (the entity rules take that prefix when it is
written) and without an edition in brackets. Reports name them without 《》
(``学习民法典、行政复议法``); inside 《》 the title rule already applies.
"""
from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

KEPT_ENDINGS = ("法", "法典", "条例", "规定", "办法", "细则", "规则", "修正案")
SKIPPED_CATEGORIES = ("司法解释", "案例", "其他")
PREFIX = "中华人民共和国"


def build_law_titles(corpus: Path) -> dict[str, Any]:
    """Short titles (3–25 characters) of the corpus's laws and regulations."""
    titles: set[str] = set()
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            if doc["category"] in SKIPPED_CATEGORIES or doc["title"].startswith("-"):
                continue
            title = re.sub(r"[（(][^（）()]*[）)]$", "", doc["title"].strip())
            if title.startswith(PREFIX):
                title = title[len(PREFIX) :]
            if "关于" in title or not title.endswith(KEPT_ENDINGS) or not 3 <= len(title) <= 25 or re.search(r"[（）()《》“”、，\\s]", title):
                continue
            titles.add(title)
    return {"_about": "Titles of laws and regulations (LAW gazetteer) derived by `make laws` from ../shared/data/lawref (LawRefBook/Laws 2f4c5c2); see pipeline/knowledge/lawnames.py.", "titles": sorted(titles)}


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "build":
        table = build_law_titles(Path(argv[1]))
        Path(argv[2]).write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(f"{len(table['titles'])} titles")
        return 0
    print("usage: python -m pipeline.knowledge.lawnames build LAWS.jsonl.gz OUT.json", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
