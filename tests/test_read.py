"""The read stage turns real .txt/.html/.docx/.pdf files into text or a one-line reason.

Every fixture is written to ``tmp_path`` at test time (no binary fixtures in the repo).
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from pipeline import errors
from pipeline.batch.read import (
    SUPPORTED_SUFFIXES,
    InputError,
    ReadResult,
    collect_inputs,
    read_document,
)

ZH = "北京市东城区2023年法治政府建设年度情况报告\n全年办理行政复议案件12件，审查合同281份。\r\n依法行政水平不断提高。\n"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def reason(path: Path, **kw) -> str:
    with pytest.raises(InputError) as info:
        read_document(path, **kw)
    msg = str(info.value)
    assert "\n" not in msg and "\r" not in msg, msg
    return msg


# ---------------------------------------------------------------------------
# a tiny PDF writer (no extra dependency): objects + xref table with exact offsets


def make_pdf(content: bytes, resources: bytes, extra_objects: list[bytes] = ()) -> bytes:
    """A one-page PDF whose page has ``content`` as its content stream.

    Objects: 1 catalog, 2 pages, 3 page, 4 content stream, 5.. ``extra_objects``.
    """
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources " + resources + b" /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def text_pdf(*lines: str) -> bytes:
    ops = [b"BT", b"/F1 12 Tf", b"14 TL", b"72 720 Td"]
    for i, line in enumerate(lines):
        if i:
            ops.append(b"T*")
        ops.append(b"(" + line.encode("ascii") + b") Tj")
    ops.append(b"ET")
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    return make_pdf(b"\n".join(ops), b"<< /Font << /F1 5 0 R >> >>", [font])


def image_only_pdf() -> bytes:
    """A page that paints a 2x2 grey image and a rectangle: no text operators at all."""
    pixels = b"\x00\x80\xff\x40"
    image = (
        b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n" % len(pixels) + pixels + b"\nendstream"
    )
    content = b"q 200 0 0 200 72 500 cm /Im1 Do Q\n0 0 1 rg 72 72 100 50 re f"
    return make_pdf(content, b"<< /XObject << /Im1 5 0 R >> >>", [image])


# ---------------------------------------------------------------------------
# .txt encodings


@pytest.mark.parametrize(
    "encoding, detected",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16-le"),  # Python writes a little-endian BOM
        ("utf-16-be", "utf-16-be"),  # no BOM, NULs at even positions
        ("utf-16-le", "utf-16-le"),  # no BOM, NULs at odd positions
    ],
)
def test_read_txt_encodings(tmp_path, encoding, detected):
    f = write(tmp_path / f"r-{encoding}.txt", ZH.encode(encoding))
    res = read_document(f)
    assert res == ReadResult(text=ZH, fmt="txt", encoding=detected, extracted=False)


def test_read_txt_bom_dropped_and_newlines_kept(tmp_path):
    f = write(tmp_path / "bom.txt", b"\xef\xbb\xbf" + ZH.encode("utf-8"))
    res = read_document(f)
    assert not res.text.startswith("\ufeff")
    assert "\r\n" in res.text  # no newline normalisation: offsets index the content
    assert res.text.index("审查合同") == ZH.index("审查合同")


def test_read_txt_utf16_bom_big_endian(tmp_path):
    f = write(tmp_path / "be.txt", b"\xfe\xff" + ZH.encode("utf-16-be"))
    assert read_document(f) == ReadResult(ZH, "txt", "utf-16-be", False)


def test_read_txt_utf16_without_bom_or_nul(tmp_path):
    """One line of Chinese in UTF-16 has no NUL bytes at all; it is still recognised."""
    line = "法治政府建设年度情况报告依法行政"
    for enc in ("utf-16-le", "utf-16-be"):
        data = line.encode(enc)
        assert b"\x00" not in data
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        res = read_document(write(tmp_path / f"{enc}.txt", data))
        assert (res.text, res.encoding) == (line, enc)


def test_read_txt_utf16_without_bom_nuls_from_yi(tmp_path):
    """一 is U+4E00: without ASCII its NULs sit where ASCII's would in the other byte order."""
    line = "一是一以贯之，一体推进，统一部署"
    for enc in ("utf-16-le", "utf-16-be"):
        data = line.encode(enc)
        assert b"\x00" in data
        res = read_document(write(tmp_path / f"yi-{enc}.txt", data))
        assert (res.text, res.encoding) == (line, enc)


def test_read_txt_gbk_is_not_mistaken_for_utf16(tmp_path):
    line = "法治政府建设年度情况报告依法行政"
    res = read_document(write(tmp_path / "gbk.txt", line.encode("gbk")))
    assert (res.text, res.encoding) == (line, "gb18030")


def test_read_txt_uppercase_suffix(tmp_path):
    res = read_document(write(tmp_path / "UPPER.TXT", ZH.encode("utf-8")))
    assert (res.text, res.fmt) == (ZH, "txt")


def test_read_empty_file_fails_with_no_text(tmp_path):
    with pytest.raises(InputError, match="^no text"):
        read_document(write(tmp_path / "empty.txt", b""))


def test_read_whitespace_only_fails_with_no_text(tmp_path):
    ws = " \n\t\u3000\r\n  \n"
    with pytest.raises(InputError, match="^no text"):
        read_document(write(tmp_path / "ws.txt", ws.encode("utf-8")))


def test_read_utf8_with_one_bad_byte_says_where(tmp_path):
    data = "第一行\n第二行有".encode("utf-8") + b"\xff" + "坏字节。".encode("utf-8")
    with pytest.raises(InputError, match=r"invalid byte sequence \(ff\) at byte 22, line 2"):
        read_document(write(tmp_path / "bad.txt", data))


def test_read_docx_bomb_refused_before_unpacking(tmp_path):
    import zipfile

    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w/>" + b" " * (60 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(InputError, match="unpacks to"):
        read_document(path)


def test_read_binary_junk_with_nuls(tmp_path):
    junk = random.Random(0).randbytes(4096)
    assert b"\x00" in junk
    assert reason(write(tmp_path / "junk.txt", junk)) == errors.E_BINARY


def test_read_binary_control_characters(tmp_path):
    """Valid UTF-8 but mostly control characters."""
    data = bytes(range(1, 32)) * 20 + "正文".encode("utf-8")
    data.decode("utf-8")
    assert reason(write(tmp_path / "ctl.txt", data)) == errors.E_BINARY


def test_read_undecodable(tmp_path):
    # odd length (so not UTF-16), 0x80 is neither a UTF-8 nor a GB18030 lead byte, 0xff never valid
    data = b"\x80" + b"\xff\xfa" * 50
    assert b"\x00" not in data
    for codec in ("utf-8", "utf-16-le", "utf-16-be", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(codec)
    assert reason(write(tmp_path / "bad.txt", data)) == errors.E_UNDECODABLE


def test_read_undecodable_after_bom(tmp_path):
    """A BOM is authoritative: UTF-16 BOM + an odd trailing byte cannot be decoded."""
    data = b"\xff\xfe\xfa"
    for codec in ("utf-8", "utf-16", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(codec)
    assert reason(write(tmp_path / "bom-bad.txt", data)) == errors.E_UNDECODABLE


def test_read_too_large(tmp_path):
    f = write(tmp_path / "big.txt", b"a" * (1024 * 1024 + 1))
    assert reason(f, max_bytes=1024 * 1024) == errors.E_TOO_LARGE.format(limit="1")
    assert read_document(f, max_bytes=2 * 1024 * 1024).text == "a" * (1024 * 1024 + 1)


# ---------------------------------------------------------------------------
# file system problems


def test_read_missing_file(tmp_path):
    f = write(tmp_path / "gone.txt", b"text")
    f.unlink()
    assert reason(f) == errors.E_UNREADABLE.format(err="No such file or directory")


def test_read_permission_denied(tmp_path):
    f = write(tmp_path / "secret.txt", "机密".encode("utf-8"))
    f.chmod(0)
    try:
        if os.geteuid() == 0:
            # root reads anyway: the file is read normally
            assert read_document(f).text == "机密"
        else:
            assert reason(f) == errors.E_UNREADABLE.format(err="Permission denied")
    finally:
        f.chmod(0o644)


def test_read_directory(tmp_path):
    d = tmp_path / "dir.txt"
    d.mkdir()
    assert reason(d) == errors.E_UNREADABLE.format(err="is a directory")


def test_read_unsupported_suffix(tmp_path):
    f = write(tmp_path / "report.odt", b"whatever")
    assert reason(f) == errors.E_UNSUPPORTED.format(suffix=".odt")
    g = write(tmp_path / "noext", b"whatever")
    assert reason(g) == errors.E_UNSUPPORTED.format(suffix="")


# ---------------------------------------------------------------------------
# HTML

PAGE = """<!DOCTYPE html>
<html><head>{meta}<title>站点标题</title>
<script>var secret = "脚本内容";</script><style>.x {{ color: red }}</style></head>
<body>
<nav><a href="/">首页</a> | <a href="/news">导航栏目</a></nav>
<header class="site">网站页眉</header>
<div class="sidebar">侧栏热点</div>
<article>
  <h1>某区2023年法治政府建设年度情况报告</h1>
  <p>　　一、主要举措&nbsp;&nbsp;</p>
  <p>全年办理
  行政复议案件12件。</p>
  <table>
    <tr><th>项目</th><th>数量</th></tr>
    <tr><td>审查合同</td><td>281份</td></tr>
  </table>
  <ul><li>第一项<li>第二项</ul>
  <noscript>请启用脚本</noscript>
</article>
<aside>相关阅读</aside>
<footer>版权所有 司法局</footer>
<script>document.write("尾部脚本")</script>
</body></html>
"""
PAGE_TEXT = (
    "某区2023年法治政府建设年度情况报告\n"
    "一、主要举措\n"  # the full-width indent is layout, not text
    "全年办理行政复议案件12件。\n"
    "项目\t数量\n"
    "审查合同\t281份\n"
    "第一项\n"
    "第二项"
)


def assert_page(res: ReadResult) -> None:
    assert res.fmt == "html" and res.extracted
    for absent in ("首页", "导航栏目", "脚本内容", "尾部脚本", "网站页眉", "版权所有", "相关阅读", "侧栏热点", "站点标题", "请启用脚本", "color"):
        assert absent not in res.text
    assert res.text == PAGE_TEXT


def test_read_html_article_utf8(tmp_path):
    f = write(tmp_path / "page.html", PAGE.format(meta='<meta charset="utf-8">').encode("utf-8"))
    res = read_document(f)
    assert_page(res)
    assert res.encoding == "utf-8"


def test_read_html_meta_gb2312(tmp_path):
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    data = PAGE.format(meta=meta).encode("gb2312")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    res = read_document(write(tmp_path / "page.htm", data))
    assert_page(res)
    assert res.encoding == "gb18030"


def test_read_html_meta_big5_is_honoured(tmp_path):
    """GB18030 would also decode these bytes (into nonsense); the declared charset wins."""
    data = '<html><head><meta charset="big5"></head><body><p>法治政府報告</p></body></html>'.encode("big5")
    data.decode("gb18030")  # decodable, but wrong
    res = read_document(write(tmp_path / "big5.html", data))
    assert (res.text, res.encoding) == ("法治政府報告", "big5")


def test_read_html_without_article_uses_body(tmp_path):
    html = "<html><body><nav>导航</nav><div>第一段</div><div>第二段<br>换行</div><p>a <b>b</b> c</p><footer>页脚</footer></body></html>"
    res = read_document(write(tmp_path / "plain.html", html.encode("utf-8")))
    assert res.text == "第一段\n第二段\n换行\na b c"


def test_read_html_main_preferred_and_blank_lines_dropped(tmp_path):
    html = "<body><div>外部</div><main><p>甲</p><br><br><br><br><p>乙  </p></main></body>"
    res = read_document(write(tmp_path / "main.html", html.encode("utf-8")))
    assert res.text == "甲\n乙"


def test_read_html_empty_file_fails_with_no_text(tmp_path):
    with pytest.raises(InputError, match="^no text"):
        read_document(write(tmp_path / "empty.html", b""))


# ---------------------------------------------------------------------------
# DOCX


def test_read_docx_paragraphs_and_table_in_order(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("某区2023年法治政府建设年度情况报告", level=1)
    document.add_paragraph("一、主要举措")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目"
    table.cell(0, 1).text = "数量"
    table.cell(1, 0).text = "审查合同"
    table.cell(1, 1).text = "281份"
    p = document.add_paragraph("全年办理行政复议案件")
    p.add_run("12件").bold = True
    p.add_run("。")
    f = tmp_path / "report.docx"
    document.save(f)

    res = read_document(f)
    assert res.fmt == "docx" and res.extracted and res.encoding is None
    assert res.text == (
        "某区2023年法治政府建设年度情况报告\n"
        "一、主要举措\n"
        "项目\t数量\n"
        "审查合同\t281份\n"
        "全年办理行政复议案件12件。"
    )


def test_read_docx_merged_cells_not_repeated(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "合并"
    table.cell(0, 2).text = "右"
    table.cell(1, 0).text = "a"
    table.cell(1, 1).text = "b"
    table.cell(1, 2).text = "c"
    f = tmp_path / "merged.docx"
    document.save(f)
    assert read_document(f).text == "合并\t右\na\tb\tc"


def test_read_docx_corrupt(tmp_path):
    f = write(tmp_path / "broken.docx", random.Random(1).randbytes(2048))
    assert reason(f) == errors.E_DOCX.format(err="not a zip archive")


def test_read_docx_zip_but_not_word(tmp_path):
    import zipfile

    f = tmp_path / "notword.docx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("hello.txt", "hi")
    msg = reason(f)
    assert msg == errors.E_DOCX.format(err="There is no item named '[Content_Types].xml' in the archive")


# ---------------------------------------------------------------------------
# PDF


def test_read_pdf_text(tmp_path):
    f = write(tmp_path / "report.pdf", text_pdf("Annual report 2023", "Cases handled: 12"))
    res = read_document(f)
    assert res.fmt == "pdf" and res.extracted and res.encoding is None
    assert res.text.split() == "Annual report 2023 Cases handled: 12".split()
    assert res.text.splitlines() == ["Annual report 2023", "Cases handled: 12"]


def test_read_pdf_pages_joined_by_newline(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for name in ("first", "second"):
        src = write(tmp_path / f"{name}.pdf", text_pdf(f"Page {name}"))
        writer.add_page(PdfReader(src).pages[0])
    f = tmp_path / "two.pdf"
    with f.open("wb") as fh:
        writer.write(fh)
    assert read_document(f).text == "Page first\nPage second"


def test_read_pdf_image_only(tmp_path):
    f = write(tmp_path / "scan.pdf", image_only_pdf())
    from pypdf import PdfReader

    assert len(PdfReader(f).pages) == 1  # a valid PDF, just without text
    assert reason(f) == errors.E_PDF_NO_TEXT


def test_read_pdf_encrypted(tmp_path):
    from pypdf import PdfReader, PdfWriter

    src = write(tmp_path / "plain.pdf", text_pdf("Top secret"))
    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password="x", owner_password="owner-secret")
    f = tmp_path / "locked.pdf"
    with f.open("wb") as fh:
        writer.write(fh)
    assert PdfReader(f).is_encrypted
    assert reason(f) == errors.E_PDF_ENCRYPTED


def test_read_pdf_encrypted_with_empty_password_is_read(tmp_path):
    from pypdf import PdfReader, PdfWriter

    src = write(tmp_path / "plain.pdf", text_pdf("Open to all"))
    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password="", owner_password="owner-secret")
    f = tmp_path / "restricted.pdf"
    with f.open("wb") as fh:
        writer.write(fh)
    assert PdfReader(f).is_encrypted
    assert read_document(f).text == "Open to all"


def test_read_pdf_corrupt(tmp_path):
    f = write(tmp_path / "broken.pdf", b"%PDF-1.4\n" + random.Random(2).randbytes(512))
    msg = reason(f)
    assert msg.startswith(errors.E_PDF.format(err=""))
    assert len(msg) > len(errors.E_PDF.format(err=""))


# ---------------------------------------------------------------------------
# collect_inputs


def test_read_collect_inputs_dir_glob_missing(tmp_path):
    d = tmp_path / "reports"
    (d / "sub").mkdir(parents=True)
    (d / ".hidden").mkdir()
    for name in ("b.txt", "a.pdf", "sub/c.docx", "sub/d.HTML", "notes.md", "~$lock.docx", ".hidden/e.txt", ".f.txt"):
        (d / name).write_bytes(b"x")
    other = tmp_path / "other"
    other.mkdir()
    for name in ("x.htm", "y.txt", "z.csv"):
        (other / name).write_bytes(b"x")
    missing = str(tmp_path / "missing.txt")

    got = collect_inputs([str(d), str(other / "*"), missing, str(d / "b.txt"), str(tmp_path / "nomatch*.txt")])
    assert got == [
        d / "a.pdf",
        d / "b.txt",
        d / "sub" / "c.docx",
        d / "sub" / "d.HTML",
        other / "x.htm",
        other / "y.txt",
        Path(missing),
        Path(tmp_path / "nomatch*.txt"),
    ]
    assert all(isinstance(p, Path) for p in got)


def test_read_collect_inputs_named_file_kept_whatever_suffix(tmp_path):
    f = write(tmp_path / "notes.md", b"x")
    assert collect_inputs([str(f), str(f)]) == [f]
    assert reason(f) == errors.E_UNSUPPORTED.format(suffix=".md")


def test_read_supported_suffixes():
    assert SUPPORTED_SUFFIXES == (".txt", ".docx", ".html", ".htm", ".pdf", ".doc", ".wps")
