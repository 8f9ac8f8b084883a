"""A PDF → the report's text: running headers, footers and page numbers removed, paragraphs rejoined.

pypdf extracts each page in its layout mode, which keeps a line's indentation
as leading spaces. A printed report then needs three repairs before its
sentences and records are whole again:

1. **Page furniture.** A line at the top or bottom of a page that recurs on
   at least half of the pages (digits ignored: ``第3页``/``第4页``) is a running
   header or footer; a page number on its own (``- 3 -``, ``第3页 共10页``,
   ``3/10``, ``3``) at a page's edge is dropped on any page.
2. **Hard line breaks.** A line that fills the text column and is followed by
   a line that is not indented continues into it: they are joined (no space
   between Chinese characters, nor between the digits of a number cut at the
   margin). A line that stops short of the column, or a next line indented
   like a paragraph's first line, ends the paragraph.
3. **Page breaks.** The same rule joins a page's last line to the next page's
   first line once the furniture between them is gone.
"""
from __future__ import annotations

import io
import re
from collections import Counter

from pipeline import errors
from pipeline.errors import InputError, short_reason

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—－]\s*\d+\s*[-–—－]"  # - 3 -
    r"|第\s*\d+\s*页(?:\s*[,，/、]?\s*共\s*\d+\s*页)?"  # 第3页 共10页
    r"|共\s*\d+\s*页\s*第\s*\d+\s*页"
    r"|\d+\s*/\s*\d+"  # 3/10
    r"|(?:Page|页码)\s*\d+(?:\s*(?:of|/)\s*\d+)?"
    r"|\d{1,4})$",
    re.I,
)
EDGE = 2  # lines at a page's top and bottom where headers, footers and page numbers are looked for
FULL_SLACK = 2  # a line ending within this many characters of the column's right edge fills it
INDENT_MIN = 2  # leading columns beyond the margin that mark a paragraph's first line


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page in pypdf's layout mode; ``InputError`` for an unreadable, encrypted or textless PDF."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except DependencyError:  # e.g. AES without the 'cryptography' package
                ok = 0
            except Exception:
                ok = 0
            if not ok:
                raise InputError(errors.E_PDF_ENCRYPTED)
        if len(reader.pages) == 0:
            raise InputError(errors.E_PDF.format(err="no pages"))
        pages = []
        for page in reader.pages:
            try:
                pages.append(page.extract_text(extraction_mode="layout") or "")
            except Exception:  # layout mode is stricter about odd fonts: the plain text then
                pages.append(page.extract_text() or "")
    except InputError:
        raise
    except Exception as err:  # pypdf raises many kinds on broken files
        raise InputError(errors.E_PDF.format(err=short_reason(err))) from err
    if not any(p.strip() for p in pages):
        raise InputError(errors.E_PDF_NO_TEXT)
    return pages


def pdf_text(data: bytes) -> str:
    """The report's text from a PDF's bytes (see the module's docstring)."""
    return rejoin(strip_furniture([_page_lines(p) for p in pdf_pages(data)]))


def _page_lines(page: str) -> list[str]:
    return [line.rstrip() for line in page.splitlines() if line.strip()]


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", "".join(line.split()))


def strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Pages without running headers/footers (recurring at the edges of half the pages or more) and page numbers."""
    n = len(pages)
    recurring: set[str] = set()
    if n >= 2:
        seen = Counter()
        for lines in pages:
            edge = {_furniture_key(l) for l in lines[:EDGE] + lines[-EDGE:]}
            seen.update(edge)
        recurring = {k for k, c in seen.items() if c >= max(2, (n + 1) // 2)}
    out = []
    for lines in pages:
        keep = []
        for i, line in enumerate(lines):
            at_edge = i < EDGE or i >= len(lines) - EDGE
            if at_edge and (_furniture_key(line) in recurring or _PAGE_NUMBER.match(line.strip())):
                continue
            keep.append(line)
        out.append(keep)
    return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def rejoin(pages: list[list[str]]) -> str:
    """One line per paragraph: lines that fill the column are joined to an unindented next line, across pages too.

    In pypdf's layout mode a line's leading spaces are its indentation and its
    length is where it ends on the page, so the column's right edge is the
    common end of the longest lines.
    """
    lines = [line for page in pages for line in page]
    if not lines:
        return ""
    margin = Counter(_indent(l) for l in lines).most_common(1)[0][0]
    ends = sorted((len(l) for l in lines), reverse=True)
    longest = ends[: max(1, len(ends) // 3)]
    column = longest[len(longest) // 2]
    can_join = sum(e >= column - FULL_SLACK for e in ends) >= 4  # a real column of running text, not a few short lines

    out: list[str] = []
    joining = False
    for line in lines:
        text = " ".join(line.split())
        indented = _indent(line) >= margin + INDENT_MIN
        if joining and not indented and out:
            out[-1] = _join(out[-1], text)
        else:
            out.append(text)
        joining = can_join and len(line) >= column - FULL_SLACK and _indent(line) <= margin + 2 * INDENT_MIN
    return "\n".join(out)


_WORD_END = re.compile(r"[A-Za-z]$")
_WORD_START = re.compile(r"^[A-Za-z]")


def _join(left: str, right: str) -> str:
    """Two parts of a line cut by the layout: a space only between two Latin words."""
    if _WORD_END.search(left) and _WORD_START.match(right):
        return f"{left} {right}"
    return left + right
