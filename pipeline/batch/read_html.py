"""A saved web page → the report's text and the page's metadata.

Main-text extraction is trafilatura's (docs/decisions.md has the measurement
that chose it over readability-lxml, jusText and the reader's earlier
hand-written walker). Its XML output keeps the structure that matters here —
paragraphs, headings, ``<br>`` line breaks (``<lb/>``), tables — and
``_render`` turns it into lines: one per paragraph, heading or line break,
table cells tab-separated, the cells of a layout table (a table whose cells
hold paragraphs) as lines of their own.

Government CMSs (TRS, Hanweb, the provincial intensive platforms) often put
the article's title, its metadata line (``发布时间：… 来源：… 浏览次数：…
字号：[大 中 小] 打印 关闭``) and the body in one layout table, which any
main-text extractor keeps whole; ``strip_chrome`` removes those lines at the
edges of the text, by pattern (never in the middle of a report), and reads
the metadata line they carry. The page's title, date and source come from its
``<meta>`` tags (the national government-site standard's ``ArticleTitle``,
``PubDate``, ``ContentSource``; Open Graph), else from that metadata line,
else from trafilatura's own metadata.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

MAIN_TEXT_LIBRARY = "trafilatura"


@dataclass
class PageMeta:
    """What a page says about the document it carries (any field may be None)."""

    title: Optional[str] = None
    date: Optional[str] = None  # ISO date YYYY-MM-DD
    source: Optional[str] = None

    def as_dict(self) -> dict[str, Optional[str]]:
        return {"title": self.title, "date": self.date, "source": self.source}


def page_text(html: str) -> tuple[str, PageMeta]:
    """The main text of a page (title and headings kept, site chrome dropped) and its metadata."""
    import trafilatura
    from lxml import etree

    tree = trafilatura.load_html(_CJK_SEGMENT_BREAK.sub("", html))
    if tree is None:
        return "", PageMeta()
    meta = meta_tags(tree)
    page_line = metadata_in_page(tree)
    xml = trafilatura.extract(
        tree,
        output_format="xml",
        include_tables=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        include_formatting=False,
        with_metadata=True,
        config=_config(),
    )
    if not xml:
        return "", meta
    doc = etree.fromstring(xml.encode("utf-8"))
    main = doc.find("main")
    lines = _render(main) if main is not None else []
    lines, line_meta = strip_chrome(lines)
    meta = PageMeta(
        title=meta.title or _clean(doc.get("title")) or line_meta.title,
        date=meta.date or line_meta.date or page_line.date,  # not trafilatura's date: htmldate guesses one from a year in the title
        source=meta.source or line_meta.source or page_line.source,
    )
    lines = place_title(lines, meta.title)
    return "\n".join(lines), meta


_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
# a line break in the source between two Chinese characters is no space (CSS segment-break rules for CJK)
_CJK_SEGMENT_BREAK = re.compile(f"(?<=[{_CJK}])[ \\t\\r\\f]*\\n[ \\t\\r\\n\\f]*(?=[{_CJK}])")
_CONFIG: Any = None


def _config() -> Any:
    """trafilatura's settings, with no minimum size: a short notice is still a page's text."""
    global _CONFIG
    if _CONFIG is None:
        from trafilatura.settings import use_config

        _CONFIG = use_config()
        _CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
        _CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no signal-based timeout (unusable in worker threads)
    return _CONFIG


# ---------------------------------------------------------------------------
# metadata

_TITLE_META = ("ArticleTitle", "og:title", "dc.title", "DC.Title")
_DATE_META = ("PubDate", "pubdate", "publishdate", "article:published_time", "og:release_date", "dc.date", "DC.Date", "firstpublishedtime")
_SOURCE_META = ("ContentSource", "source", "article:author", "Author", "dc.publisher", "DC.Publisher")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def meta_tags(tree: Any) -> PageMeta:
    """Title, date and source from ``<meta name|property=… content=…>`` (first non-empty of each list)."""
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = el.get("name") or el.get("property") or el.get("itemprop")
        value = _clean(el.get("content"))
        if key and value and key not in found:
            found[key] = value
    lower = {k.lower(): v for k, v in found.items()}

    def first(keys: tuple[str, ...]) -> Optional[str]:
        return next((lower[k.lower()] for k in keys if k.lower() in lower), None)

    date = first(_DATE_META)
    return PageMeta(title=first(_TITLE_META), date=_iso_date(date), source=first(_SOURCE_META))


def _clean(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    value = " ".join(value.replace("\xa0", " ").split())
    return value or None


def _iso_date(value: Optional[str]) -> Optional[str]:
    m = _DATE.search(value or "")
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


# ---------------------------------------------------------------------------
# trafilatura's XML → lines

_BLOCKS = {"p", "head", "item", "quote", "code", "list", "table", "row", "div", "main"}
_SPACE = re.compile(r"[ \t\r\n\f\v\xa0]+")


def _render(main: Any) -> list[str]:
    """Lines of trafilatura's ``<main>``: blocks and ``<lb/>`` end lines, a data row is its cells tab-separated."""
    lines: list[str] = []
    cur: list[str] = []

    def flush() -> None:
        line = _SPACE.sub(" ", "".join(cur)).strip(" \u3000")
        if line:
            lines.append(line)
        cur.clear()

    def walk(el: Any) -> None:
        if el.tag == "lb":
            flush()
        elif el.tag == "row":
            flush()
            row(el)
        elif el.tag in _BLOCKS or el.tag == "cell":
            flush()
            cur.append(el.text or "")
            for child in el:
                walk(child)
            flush()
        else:  # inline markup (hi, ref, …)
            cur.append(el.text or "")
            for child in el:
                walk(child)
        cur.append(el.tail or "")

    def row(el: Any) -> None:
        cells = [c for c in el if c.tag == "cell"]
        if any(d.tag in _BLOCKS or d.tag == "lb" for c in cells for d in c.iterdescendants()):
            for c in cells:  # a layout table: each cell is a block of lines
                walk(c)
            return
        line = "\t".join(_SPACE.sub(" ", "".join(c.itertext())).strip(" \u3000") for c in cells).strip("\t")
        if line:
            lines.append(line)

    walk(main)
    flush()
    return lines


# ---------------------------------------------------------------------------
# chrome at the edges of the text

_FIELD = r"(?:发布时间|发布日期|更新时间|成文日期|日期|时间|信息来源|文章来源|来源|作者|浏览次数|点击次数|阅读次数|访问次数|浏览量|点击数|阅读数|字号|字体|【字体|责任编辑)"
_FIELD_RE = re.compile(_FIELD + r"\s*[：:]")
_CHROME_LINE = re.compile(
    r"^(?:"
    r"(?:当前位置|您当前的位置|您现在的位置|当前的位置|所在位置|您的位置)\s*[：:]"  # breadcrumb
    r"|(?:上一篇|下一篇|上一条|下一条)\s*[：:]"
    r"|分享(?:到)?\s*[：:]"
    r"|(?:相关链接|相关文章|相关阅读|相关新闻|相关文件|扫一扫在手机打开当前页)\s*[：:]?$"
    r"|[【\[〖]?\s*(?:打印本页|打印|关闭窗口|关闭|返回顶部|收藏|纠错)\s*[】\]〗]?(?:\s*[【\[〖]?\s*(?:打印本页|打印|关闭窗口|关闭|返回顶部|收藏|纠错)\s*[】\]〗]?)*$"
    r")"
)
TITLE_LINES = 6  # the title is looked for among the first lines
_FOOTER_WORDS = re.compile(r"主办单位|承办单位|ICP备|公网安备|网站标识码|技术支持|版权所有|网站地图|联系我们")
_MENU_SEPARATOR = re.compile(r"\s*[|｜]\s*")
# what follows these in the page's last lines is a list of other documents
_OTHER_DOCUMENTS = re.compile(r"^(?:(?:上一篇|下一篇|上一条|下一条)\s*[：:]|(?:相关链接|相关文章|相关阅读|相关新闻|相关文件)\s*[：:]?$)")


def _is_metadata_line(line: str) -> bool:
    fields = len(_FIELD_RE.findall(line))
    return fields >= 2 or (fields == 1 and bool(re.search(r"打印|关闭|[\[【〖]\s*大\s*中\s*小\s*[\]】〗]", line)))


def _is_menu(line: str) -> bool:
    items = [i for i in _MENU_SEPARATOR.split(line) if i]
    return len(items) >= 3 and all(len(i) <= 12 for i in items)


def is_chrome(line: str) -> bool:
    """A line of site chrome: menu, breadcrumb, metadata line, print/close, share bar, prev/next, related links, footer."""
    return bool(_CHROME_LINE.search(line) or _is_metadata_line(line) or _FOOTER_WORDS.search(line) or _is_menu(line))


def _is_paragraph(line: str) -> bool:
    """A line of running text (site chrome never is one)."""
    return len(line) >= 50 or (len(line) >= 16 and line.endswith(("。", "；", "！", "？")))


def metadata_from_line(line: str) -> PageMeta:
    """Date and source from a metadata line such as ``发布时间：2023-03-28 来源：东城区司法局 浏览次数：1583``."""
    date = None
    m = re.search(r"(?:发布时间|发布日期|日期|时间)\s*[：:]\s*([0-9年月日/.\- ]+)", line)
    if m:
        date = _iso_date(m.group(1))
    source = None
    m = re.search(r"(?:信息来源|文章来源|来源)\s*[：:]\s*(\S+?)(?=\s|" + _FIELD + r"|$)", line)
    if m:
        source = m.group(1).strip(" ，,;；|") or None
    return PageMeta(date=date, source=source)


def metadata_in_page(tree: Any) -> PageMeta:
    """Date and source from the page's metadata line (``发布时间：… 来源：…``) wherever it is, scripts and styles aside."""
    text = " ".join(
        t for el in tree.iter() if isinstance(el.tag, str) and el.tag not in ("script", "style", "head", "title") for t in (el.text, el.tail) if t and t.strip()
    )
    for m in re.finditer(r"(?:发布时间|发布日期|信息来源|来源)\s*[：:]", text):
        window = text[m.start() : m.start() + 160]
        if _is_metadata_line(window):
            return metadata_from_line(window)
    return PageMeta()


def strip_chrome(lines: list[str]) -> tuple[list[str], PageMeta]:
    """``lines`` without the chrome before the first paragraph and after the last, and the metadata a metadata line there gave.

    Only the edges are looked at: the title, the greeting (``市委、市政府：``) and the
    closing block (unit names, date) sit there too and are kept. After a
    prev/next or related-links line, the page's last lines are other documents'
    titles: all dropped.
    """
    meta = PageMeta()
    paragraphs = [i for i, line in enumerate(lines) if _is_paragraph(line) and not is_chrome(line)]
    top, bottom = (paragraphs[0], paragraphs[-1] + 1) if paragraphs else (len(lines), len(lines))
    keep = []
    others = False
    for i, line in enumerate(lines):
        edge = i < top or i >= bottom
        if edge and i >= bottom and _OTHER_DOCUMENTS.search(line):
            others = True
        if edge and (others or is_chrome(line)):
            if _is_metadata_line(line):
                found = metadata_from_line(line)
                meta.date = meta.date or found.date
                meta.source = meta.source or found.source
            continue
        keep.append(line)
    return keep, meta


def _key(s: str) -> str:
    return re.sub(r"\s+", "", s)


def place_title(lines: list[str], title: Optional[str]) -> list[str]:
    """The report's title once at the top: added from the page's metadata when the text lacks it, a repeat dropped.

    CMS pages often show the title (``<h1>``) above a body that repeats it as pasted
    from Word, possibly over two lines (the unit, then the report's name).
    """
    if not title:
        return lines
    key = _key(title)
    found: list[tuple[int, int]] = []
    for i in range(min(len(lines), TITLE_LINES)):
        joined = ""
        for j in range(i, min(len(lines), i + 3)):
            joined += _key(lines[j])
            if joined == key:
                found.append((i, j + 1))
                break
            if not key.startswith(joined):
                break
    if not found:
        return [title, *lines]
    if len(found) >= 2:
        first, after = found[0]
        return lines[:first] + lines[after:]
    return lines
