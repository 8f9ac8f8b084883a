"""Measure main-text extractors on the CMS page fixtures (docs/decisions.md, "Reading saved pages").

    PYTHONPATH=. .venv/bin/python -m tests.measure_html_readers

For each of the 15 pages (5 seed reports × 3 CMS templates) it counts the
report's lines lost, the chrome lines kept, and the pages read exactly (the
.txt's lines, nothing else). readability-lxml is measured when installed
(``pip install readability-lxml==0.9``); the reader's earlier hand-written
walker is taken from git history (commit 316b1ed).
"""
from __future__ import annotations

import subprocess
import sys
import types
from typing import Callable

from tests.saved_reports import REPORTS, TEMPLATES, page_html, report_lines

OLD_READER = "316b1ed:pipeline/batch/read.py"


def _old_walker() -> Callable[[str], str] | None:
    try:
        source = subprocess.run(["git", "show", OLD_READER], capture_output=True, check=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("old_read")
    sys.modules["old_read"] = module  # dataclasses look their module up
    exec(compile(source, OLD_READER, "exec"), module.__dict__)
    return module.html_to_text


def extractors() -> dict[str, Callable[[str], str]]:
    import trafilatura

    from pipeline.batch import read_html

    def traf_txt(html: str) -> str:
        return trafilatura.extract(html, include_tables=True, config=read_html._config()) or ""

    def traf_xml_lines(html: str) -> str:
        from lxml import etree

        xml = trafilatura.extract(html, output_format="xml", include_tables=True, config=read_html._config())
        return "\n".join(read_html._render(etree.fromstring(xml.encode()).find("main"))) if xml else ""

    found: dict[str, Callable[[str], str]] = {}
    old = _old_walker()
    if old:
        found["hand-written walker (before)"] = old
    found["trafilatura, txt output"] = traf_txt
    found["trafilatura, XML → lines"] = traf_xml_lines
    try:
        from readability import Document

        if old:
            found["readability-lxml → walker"] = lambda html: old(Document(html).summary())
    except ImportError:
        pass
    found["trafilatura + edge chrome + title (shipped)"] = lambda html: read_html.page_text(html)[0]
    return found


def measure() -> list[tuple[str, int, int, int, int]]:
    rows = []
    pages = [(r, t) for r in REPORTS.values() for t in TEMPLATES]
    for label, fn in extractors().items():
        exact = lost = extra = 0
        for report, template in pages:
            gold = report_lines(report.text())
            got = report_lines(fn(page_html(report, template)))
            exact += got == gold
            lost += sum(1 for line in gold if line not in got)
            extra += sum(1 for line in got if line not in gold)
        rows.append((label, exact, len(pages), lost, extra))
    return rows


def main() -> None:
    total = sum(len(report_lines(r.text())) for r in REPORTS.values()) * len(TEMPLATES)
    print(f"| extractor | pages exact | report lines lost (of {total}) | chrome lines kept |")
    print("|---|---|---|---|")
    for label, exact, n, lost, extra in measure():
        print(f"| {label} | {exact}/{n} | {lost} | {extra} |")


if __name__ == "__main__":
    sys.exit(main())
