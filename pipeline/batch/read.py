"""The read stage: turn an input file (.txt, .html/.htm, .docx, .pdf, .doc, .wps) into text.

``read_document`` returns a ``ReadResult`` or raises ``InputError`` whose
``str()`` is a one-line reason taken from ``pipeline/errors.py``.

Plain text is decoded deterministically, never guessed statistically:

1. empty file -> ``""`` (an empty input is not an error, it just has nothing in it);
2. a byte-order mark (UTF-8, UTF-16 LE/BE) is authoritative; the BOM is dropped;
3. NUL bytes occur in text only as UTF-16: a file with NULs is decoded as
   UTF-16 (byte order from the NULs' parity, the other order tried too) when
   the result reads as text, otherwise it is binary;
4. strict UTF-8;
5. UTF-16 without BOM and without NULs (one-line Chinese text): accepted only
   when the result is overwhelmingly CJK ideographs and punctuation;
6. strict GB18030 (a superset of GB2312 and GBK);
7. otherwise undecodable.

A decoded text with a high share of control characters is binary.  Text
from ``.txt`` is returned exactly as decoded (no newline normalisation), so
offsets computed on it index the file's content.

HTML is decoded the same way (a ``<meta charset>`` is honoured when the bytes
are not UTF-8) and reduced to its main text, with the page's title, date and
source, by ``read_html.page_text`` (trafilatura, then the CMS chrome it keeps
removed).  ``.docx`` is read with python-docx in body order
(paragraphs and tables), ``.pdf`` with pypdf, its page furniture removed and its
paragraphs rejoined by ``read_pdf.pdf_text``; ``.doc``/``.wps`` (Word 97–2003) through antiword or
LibreOffice by ``read_word97.word97_text``.
"""
from __future__ import annotations

import codecs
import glob
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import errors
from pipeline.errors import InputError, short_reason as _short  # InputError is re-exported: callers import it from here
from pipeline.batch.read_html import page_text
from pipeline.batch.read_pdf import pdf_text
from pipeline.batch.read_word97 import word97_text

SUPPORTED_SUFFIXES = (".txt", ".docx", ".html", ".htm", ".pdf", ".doc", ".wps")
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


@dataclass
class ReadResult:
    text: str  # .txt: the decoded content exactly (a leading BOM dropped); other formats: extracted text
    fmt: str  # "txt" | "docx" | "html" | "pdf" | "doc" | "wps"
    encoding: str | None  # txt/html: the codec used to decode (None for an empty file); else None
    extracted: bool  # True when text was extracted from a non-text format (the caller saves it)
    meta: dict[str, str | None] = field(default_factory=lambda: dict(EMPTY_META))  # title, date, source the container states


EMPTY_META: dict[str, str | None] = {"title": None, "date": None, "source": None}


# ---------------------------------------------------------------------------
# entry points


def read_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read one input file; raise ``InputError`` with a one-line reason if it cannot be read."""
    path = Path(path)
    return parse_document(read_bytes(path, max_bytes), path.suffix)


def parse_document(data: bytes, suffix: str) -> ReadResult:
    """The text of an input's bytes, by its file suffix; raise ``InputError`` with a one-line reason (also for no text at all)."""
    result = _parse(data, suffix.lower())
    if not result.text.strip():
        raise InputError(errors.E_NO_TEXT_IN_FILE)
    return result


def _parse(data: bytes, suffix: str) -> ReadResult:
    if suffix == ".txt":
        text, encoding = decode_text(data)
        return ReadResult(text=text, fmt="txt", encoding=encoding, extracted=False)
    if suffix in (".html", ".htm"):
        html, encoding = _decode_html(data)
        text, meta = page_text(html) if html.strip() else ("", None)
        return ReadResult(text=text, fmt="html", encoding=encoding, extracted=True, meta=meta.as_dict() if meta else dict(EMPTY_META))
    if suffix == ".docx":
        return ReadResult(text=_docx_text(data), fmt="docx", encoding=None, extracted=True)
    if suffix == ".pdf":
        return ReadResult(text=pdf_text(data), fmt="pdf", encoding=None, extracted=True)
    if suffix in (".doc", ".wps"):
        if data.lstrip()[:1] == b"<":  # a web page saved under a Word name, as some sites serve them
            result = _parse(data, ".html")
            return ReadResult(text=result.text, fmt=suffix[1:], encoding=result.encoding, extracted=True, meta=result.meta)
        return ReadResult(text=word97_text(data, suffix), fmt=suffix[1:], encoding=None, extracted=True)
    raise InputError(errors.E_UNSUPPORTED.format(suffix=suffix))


def collect_inputs(inputs: list[str]) -> list[Path]:
    """Files, directories (recursive, sorted, supported suffixes only) or glob patterns -> de-duplicated list in input order. A named file that does not exist is still returned (it fails later with a reason).

    - an existing file is returned whatever its suffix (an unsupported one fails later with a reason);
    - a directory is walked recursively; hidden entries (``.name``) and Word lock files (``~$name``) are skipped;
    - a pattern with ``*``, ``?`` or ``[`` (``**`` recurses) keeps the matching files with a supported
      suffix and walks matching directories; a pattern that matches nothing is returned as is, so
      that it fails later with a reason instead of vanishing silently.
    """
    out: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)

    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in _walk(p):
                add(f)
        elif p.exists() or not glob.has_magic(item):
            add(p)
        else:
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                add(p)
            for m in matches:
                mp = Path(m)
                if mp.is_dir():
                    for f in _walk(mp):
                        add(f)
                elif mp.is_file() and mp.suffix.lower() in SUPPORTED_SUFFIXES:
                    add(mp)
    return out


def _walk(directory: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith((".", "~$")):
                continue
            if Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(root) / name)
    return sorted(found)


# ---------------------------------------------------------------------------
# bytes


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a regular input file of a supported type, at most ``max_bytes``; ``InputError`` otherwise."""
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise InputError(errors.E_UNREADABLE.format(err="is a directory"))
        if not stat.S_ISREG(st.st_mode):
            raise InputError(errors.E_NOT_REGULAR)
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise InputError(errors.E_UNSUPPORTED.format(suffix=path.suffix))
        if st.st_size > max_bytes:
            raise InputError(errors.E_TOO_LARGE.format(limit=_mb(max_bytes)))
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as err:
        raise InputError(errors.E_UNREADABLE.format(err=_os_reason(err))) from err
    if len(data) > max_bytes:
        raise InputError(errors.E_TOO_LARGE.format(limit=_mb(max_bytes)))
    return data


def _mb(n: int) -> str:
    v = n / (1024 * 1024)
    if v >= 1:
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v:.2g}"


def _os_reason(err: OSError) -> str:
    return err.strerror or _short(err)


# ---------------------------------------------------------------------------
# decoding

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)


def decode_text(data: bytes) -> tuple[str, str | None]:
    """Bytes of a text file -> (text, codec name); raise ``InputError`` (undecodable / binary)."""
    if not data:
        return "", None
    text, encoding = _decode(data)
    _check_not_binary(text)
    return text, encoding


def _decode(data: bytes) -> tuple[str, str]:
    # 1. a BOM is authoritative
    for bom, name, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec), name
            except UnicodeDecodeError:
                raise InputError(errors.E_UNDECODABLE) from None
    # 2. NUL bytes: UTF-16 or binary
    if b"\x00" in data:
        found = _utf16_by_nuls(data)
        if found is None:
            raise InputError(errors.E_BINARY)
        return found
    # 3. strict UTF-8
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # 4. UTF-16 (no BOM, no NUL): Chinese-only text
    found = _utf16_cjk(data)
    if found is not None:
        return found
    # 5. GB18030 (GB2312, GBK)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    raise InputError(_undecodable_where(data))


def _undecodable_where(data: bytes) -> str:
    """The undecodable reason, saying where UTF-8 first breaks when the text is UTF-8 but for a few bytes."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = data[err.start : err.end]
        if data[err.end :].decode("utf-8", errors="replace").count("\ufffd") < 10:
            line = data.count(b"\n", 0, err.start) + 1
            return errors.E_BAD_UTF8.format(offset=err.start, line=line, bytes=bad.hex(" "))
    return errors.E_UNDECODABLE


def _utf16_by_nuls(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without BOM recognised by its NULs.

    ASCII characters have a zero high byte (a NUL at odd offsets in LE), so the NUL parity
    gives the likelier byte order; it is tried first.  Chinese characters U+xx00 (一 U+4E00)
    put NULs on the other parity, so a Chinese text without ASCII may point the wrong way:
    the other order is tried too.  A decoding is accepted only if it reads as text.
    """
    if len(data) % 2:
        return None
    nul_even = data[0::2].count(0)
    nul_odd = data[1::2].count(0)
    order = ("utf-16-le", "utf-16-be") if nul_odd >= nul_even else ("utf-16-be", "utf-16-le")
    for codec in order:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _count(_TEXTY, text) >= 0.9 * len(text) and _bad_char_ratio(text) <= 0.05:
            return text, codec
    return None


def _utf16_cjk(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without BOM and without NULs: only plausible for ASCII-free Chinese text."""
    if len(data) % 2 or len(data) < 4:
        return None
    best: tuple[float, str, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            # a cheap look at the start first, then the whole text
            if not _looks_cjk(data[:65536].decode(codec, errors="replace")):
                continue
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _looks_cjk(text):
            score = _count(_CJKISH, text) / len(text)
            if best is None or score > best[0]:
                best = (score, text, codec)
    return None if best is None else (best[1], best[2])


_IDEOGRAPH = r"\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
_IDEOGRAPHS = re.compile(f"[{_IDEOGRAPH}]")
_CJKISH_RANGES = (
    _IDEOGRAPH
    + r"\x20-\x7e\t\n\r\x0b\x0c\xb0\xb7\xd7"
    + r"\u3000-\u303f"  # CJK symbols and punctuation
    + r"\uff00-\uffef"  # full-width forms
    + r"\u2000-\u206f"  # general punctuation
    + r"\u2150-\u218f"  # Roman numerals
    + r"\u2460-\u24ff"  # circled numbers
    + r"\u25a0-\u25ff"  # ■ □ ● ○
    + r"\u3200-\u32ff"  # ㈠
    + r"\ufe30-\ufe4f"  # CJK compatibility forms
)
_CJKISH = re.compile(f"[{_CJKISH_RANGES}]")
# what a decoded UTF-16 text is mostly made of: the above plus Latin, Greek and Cyrillic
_TEXTY = re.compile(f"[{_CJKISH_RANGES}" + r"\xa0-\u024f\u0370-\u04ff]")
# control characters other than \t \n \v \f \r, surrogates, private use, U+FFFD
_BAD_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\U000f0000-\U0010ffff\ufffd]")


def _count(pattern: re.Pattern, text: str) -> int:
    """How many characters of ``text`` match a one-character ``pattern``."""
    return len(text) - len(pattern.sub("", text))


def _looks_cjk(text: str) -> bool:
    n = len(text)
    return n > 0 and _count(_IDEOGRAPHS, text) >= 0.5 * n and _count(_CJKISH, text) >= 0.95 * n


def _bad_char_ratio(text: str) -> float:
    return _count(_BAD_CHARS, text) / len(text) if text else 0.0


def _check_not_binary(text: str) -> None:
    if "\x00" in text or _bad_char_ratio(text) > 0.1:
        raise InputError(errors.E_BINARY)


# ---------------------------------------------------------------------------
# HTML

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.I)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "euc-cn", "euccn", "gb_2312-80", "csgb2312", "chinese"}


def _declared_charset(data: bytes) -> str | None:
    head = data[:4096]
    m = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not m:
        return None
    name = m.group(1).decode("ascii").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decode_html(data: bytes) -> tuple[str, str | None]:
    """Like ``decode_text``; when the bytes are not UTF-8, a declared charset is tried first."""
    if not data:
        return "", None
    if any(data.startswith(bom) for bom, _, _ in _BOMS) or b"\x00" in data:
        return decode_text(data)
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        declared = _declared_charset(data)
        text = None
        if declared and declared not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
            try:
                text, encoding = data.decode(declared), declared
            except UnicodeDecodeError:
                text = None
        if text is None:
            return decode_text(data)
    _check_not_binary(text)
    return text, encoding


# ---------------------------------------------------------------------------
# DOCX


DOCX_MAX_UNPACKED = 10  # × the file's size: more than any real report's XML, less than a zip bomb


def _docx_text(data: bytes) -> str:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputError(errors.E_DOCX.format(err="not a zip archive"))
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # sizes from the archive's directory, before anything is unpacked
        unpacked = sum(i.file_size for i in z.infolist())
    if unpacked > max(DOCX_MAX_UNPACKED * len(data), 50 * 1024 * 1024):
        raise InputError(errors.E_DOCX_BOMB.format(mb=_mb(unpacked)))
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except Exception as err:  # python-docx raises many kinds on broken packages
        raise InputError(errors.E_DOCX.format(err=_short(err))) from err
    return "\n".join(_docx_block_lines(body))


def _w(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _docx_block_lines(container) -> list[str]:
    """Lines of a block container (body, cell, content control) in reading order."""
    p_tag, tbl_tag = _w("w:p"), _w("w:tbl")
    wrappers = {_w("w:sdt"), _w("w:customXml")}
    sdt_content = _w("w:sdtContent")
    lines: list[str] = []
    for child in container.iterchildren():
        tag = child.tag
        if tag == p_tag:
            lines.extend(_docx_paragraph_text(child).split("\n"))
        elif tag == tbl_tag:
            lines.extend(_docx_table_lines(child))
        elif tag in wrappers:
            inner = child.find(sdt_content) if tag == _w("w:sdt") else child
            if inner is not None:
                lines.extend(_docx_block_lines(inner))
    return lines


def _docx_table_lines(tbl) -> list[str]:
    lines = []
    for tr in tbl.xpath("./w:tr | ./w:sdt/w:sdtContent/w:tr | ./w:customXml/w:tr"):
        cells = []
        for tc in tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc"):
            cell_lines = _docx_block_lines(tc)
            cells.append(" ".join(" ".join(l.split()) for l in cell_lines if l.strip()))
        lines.append("\t".join(cells))
    return lines


_DOCX_SKIP_ANCESTORS = ("w:txbxContent", "w:del", "w:moveFrom", "w:pPr", "w:rPr")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _docx_paragraph_text(p) -> str:
    """The text of a w:p including runs nested in hyperlinks, insertions, fields and content controls."""
    r_tag = _w("w:r")
    t_tags = {_w("w:t"): None, _w("w:tab"): "\t", _w("w:ptab"): "\t", _w("w:cr"): "\n", _w("w:noBreakHyphen"): "-", _w("w:softHyphen"): ""}
    br_tag = _w("w:br")
    type_attr = _w("w:type")
    skip = {_w(t) for t in _DOCX_SKIP_ANCESTORS} | {_MC_FALLBACK}
    parts = []
    for el in p.iter(*t_tags, br_tag):
        parent = el.getparent()
        if parent is None or parent.tag != r_tag:
            continue
        if any(a.tag in skip for a in _ancestors_until(el, p)):
            continue
        if el.tag == br_tag:
            parts.append("\n" if el.get(type_attr) in (None, "textWrapping") else "")
        else:
            fixed = t_tags[el.tag]
            parts.append((el.text or "") if fixed is None else fixed)
    return "".join(parts)


def _ancestors_until(el, stop):
    a = el.getparent()
    while a is not None and a is not stop:
        yield a
        a = a.getparent()


# ---------------------------------------------------------------------------
# PDF
