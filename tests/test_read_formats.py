"""Reports as users save them (issue 16): CMS pages, PDFs and Word 97 files read back to the plain report.

The gold is the plain .txt of the same report: the text read from each format
must have the .txt's lines, none of the site's chrome, and — through the
trained model — the .txt's entities, issuer and year. Fixtures are built at
test time by ``tests/saved_reports.py``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import errors
from pipeline.batch import read_word97
from pipeline.batch.document import Options, process_document
from pipeline.batch.read import InputError, read_document
from pipeline.cli import app

from .saved_reports import (
    CHROME,
    PUBLISHED_ON,
    REPORTS,
    TEMPLATES,
    cjk_font,
    page_bytes,
    report_doc,
    report_lines,
    report_pdf,
    soffice,
)

runner = CliRunner()
NAMES = sorted(REPORTS)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def assert_no_chrome(text: str, plain: str) -> None:
    """No chrome string occurs more often than in the report itself (政务公开 is also a report's word)."""
    for word in CHROME:
        assert text.count(word) == plain.count(word), word


# ---------------------------------------------------------------------------
# HTML


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("name", NAMES)
def test_read_formats_cms_page_is_the_plain_report(tmp_path, name, template):
    report = REPORTS[name]
    res = read_document(write(tmp_path / f"{name}.html", page_bytes(report, template)))
    plain = report.text()
    assert report_lines(res.text) == report_lines(plain)
    assert_no_chrome(res.text, plain)
    assert res.meta == {"title": " ".join(report.title.split()), "date": report.date, "source": report.source}
    assert res.encoding == ("gb18030" if template != "intensive" else "utf-8")


def test_read_formats_page_metadata_line_without_meta_tags(tmp_path):
    """A page without <meta> fields: date and source come from its metadata line, the title from <title>."""
    html = (
        "<html><head><meta charset='utf-8'><title>某区司法局2023年法治政府建设年度情况报告</title></head><body>"
        "<div class='crumb'>当前位置：首页 > 政务公开 > 法治政府</div>"
        "<div class='info'>发布时间：2024-03-28 来源：某区司法局 浏览次数：12 字号：[大 中 小] 打印 关闭</div>"
        "<div class='article'><p>2023年，我局坚持以习近平法治思想为指导，全面推进依法行政，全年办理行政复议案件12件，审查合同281份。</p>"
        "<p>一、主要举措</p><p>全年组织法治培训8次，开展执法检查36次，各项工作取得积极成效，依法行政水平不断提升。</p>"
        "<table><tr><td>项目</td><td>数量</td></tr><tr><td>审查合同</td><td>281份</td></tr></table></div>"
        "<div class='footer'>主办单位：某区人民政府办公室 京ICP备05060933号 技术支持：某公司</div></body></html>"
    )
    res = read_document(write(tmp_path / "p.html", html.encode("utf-8")))
    assert res.meta == {"title": "某区司法局2023年法治政府建设年度情况报告", "date": "2024-03-28", "source": "某区司法局"}
    assert res.text.splitlines() == [
        "某区司法局2023年法治政府建设年度情况报告",
        "2023年，我局坚持以习近平法治思想为指导，全面推进依法行政，全年办理行政复议案件12件，审查合同281份。",
        "一、主要举措",
        "全年组织法治培训8次，开展执法检查36次，各项工作取得积极成效，依法行政水平不断提升。",
        "项目\t数量",
        "审查合同\t281份",
    ]


def test_read_formats_issuer_and_year_from_page_when_text_has_none(nlp_blank, tmp_path):
    """The body names neither its unit nor a year: the page's source and date stand in (published in the following year)."""
    html = (
        "<html><head><meta charset='utf-8'><meta name='ArticleTitle' content='法治政府建设年度情况报告'>"
        "<meta name='PubDate' content='2024-03-28'><meta name='ContentSource' content='北京市东城区司法局'></head><body>"
        "<div class='TRS_Editor'><p>今年以来，我局坚持以习近平法治思想为指导，全面推进依法行政。</p>"
        "<p>全年办理行政复议案件12件，审查合同281份，组织法治培训8次。</p></div></body></html>"
    )
    path = write(tmp_path / "notitle.html", html.encode("utf-8"))
    line, _ = process_document(nlp_blank, path, path.read_bytes(), Options())
    assert line["status"] == "ok"
    assert (line["format"], line["title"], line["date"], line["source"]) == ("html", "法治政府建设年度情况报告", "2024-03-28", "北京市东城区司法局")
    assert (line["issuer"], line["year"]) == ("北京市东城区司法局", 2023)


# ---------------------------------------------------------------------------
# PDF

needs_font = pytest.mark.skipif(cjk_font() is None, reason="no CJK font: make formats")


@needs_font
@pytest.mark.parametrize("numbers", ["dash", "of"])
@pytest.mark.parametrize("name", NAMES)
def test_read_formats_pdf_is_the_plain_report(tmp_path, name, numbers):
    report = REPORTS[name]
    data = report_pdf(report, page_numbers=numbers)
    from pypdf import PdfReader

    assert len(PdfReader(write(tmp_path / "r.pdf", data)).pages) >= 5  # page breaks and running headers to survive
    res = read_document(tmp_path / "r.pdf")
    assert report_lines(res.text) == report_lines(report.text())
    assert not re.search(r"^\s*(?:-\s*\d+\s*-|第\d+页 共\d+页)\s*$", res.text, re.M)


@needs_font
def test_read_formats_pdf_running_header_once_per_page_is_gone(tmp_path):
    report = REPORTS["fatou-jiedao-2023"]
    res = read_document(write(tmp_path / "r.pdf", report_pdf(report)))
    header = f"{report.source} {report.title}"
    assert header not in " ".join(res.text.split())


# ---------------------------------------------------------------------------
# Word 97 (.doc) and WPS (.wps)

needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice writes the Word 97 fixtures: make formats")


@pytest.fixture(scope="module")
def word97_files(tmp_path_factory) -> dict[str, Path]:
    """Each seed report as a real Word 97 binary (LibreOffice's "MS Word 97" filter), built once."""
    if soffice() is None:
        pytest.skip("LibreOffice writes the Word 97 fixtures: make formats")
    out = tmp_path_factory.mktemp("doc")
    return {name: report_doc(REPORTS[name], out) for name in NAMES}


@needs_soffice
@pytest.mark.parametrize("name", NAMES)
def test_read_formats_doc_is_the_plain_report(word97_files, name):
    path = word97_files[name]
    assert path.read_bytes()[:8] == read_word97.OLE_MAGIC
    res = read_document(path)
    assert res.fmt == "doc"
    assert report_lines(res.text) == report_lines(REPORTS[name].text())


@needs_soffice
def test_read_formats_doc_through_libreoffice_when_antiword_is_missing(word97_files, monkeypatch):
    monkeypatch.setattr(read_word97, "converters", lambda: ["soffice"])
    name = "guangnei-jiedao-2021"
    assert report_lines(read_document(word97_files[name]).text) == report_lines(REPORTS[name].text())


@needs_soffice
def test_read_formats_wps_is_read_like_doc(word97_files, tmp_path):
    """WPS Office's .wps (since WPS 2005) is the Word 97 compound binary under another name."""
    name = "dongsan-jiedao-2024"
    wps = write(tmp_path / f"{name}.wps", word97_files[name].read_bytes())
    res = read_document(wps)
    assert res.fmt == "wps" and report_lines(res.text) == report_lines(REPORTS[name].text())


@needs_soffice
def test_read_formats_doc_without_converter_is_one_line_naming_the_file(word97_files, tmp_path, monkeypatch):
    monkeypatch.setattr(read_word97, "converters", lambda: [])
    with pytest.raises(InputError) as info:
        read_document(word97_files["fatou-jiedao-2023"])
    assert str(info.value) == errors.E_WORD97_NO_CONVERTER.format(suffix=".doc")
    from pipeline.batch.extract import extract

    class NoModel:  # never called: the file fails before any NLP
        pipe_names: list[str] = []

    (tmp_path / "in").mkdir()
    doc = write(tmp_path / "in" / "report.doc", word97_files["fatou-jiedao-2023"].read_bytes())
    summary = extract([str(doc)], tmp_path / "out", NoModel(), write_tables=lambda *a: None)
    assert summary.failures == [f"{doc}: {errors.E_WORD97_NO_CONVERTER.format(suffix='.doc')}"]
    line = json.loads((tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8"))
    assert (line["status"], line["format"]) == ("failed", "doc")


def test_read_formats_doc_that_is_not_word97(tmp_path):
    with pytest.raises(InputError) as info:
        read_document(write(tmp_path / "x.doc", b"{\\rtf1\\ansi hello}"))
    assert str(info.value) == errors.E_WORD97_NOT_OLE.format(suffix=".doc")


def test_read_formats_doc_that_is_a_saved_page(tmp_path):
    """Some sites serve a web page under a .doc name; it is read as the page it is."""
    html = "<html><head><meta charset='utf-8'></head><body><div class='article'><p>全年办理行政复议案件12件。</p></div></body></html>"
    res = read_document(write(tmp_path / "x.doc", html.encode("utf-8")))
    assert res.fmt == "doc" and res.text == "全年办理行政复议案件12件。"


# ---------------------------------------------------------------------------
# through the trained model: the plain report's entities from every format


def _ents(line: dict) -> list[tuple[str, str]]:
    return [(e["label"], e["text"]) for e in line["entities"]]


@pytest.fixture(scope="module")
def plain_lines(trained_model) -> dict[str, dict]:
    import spacy

    nlp = spacy.load(trained_model)
    out = {}
    for name in NAMES:
        path = REPORTS[name].path
        out[name], _ = process_document(nlp, path, path.read_bytes(), Options())
    return out


@pytest.mark.slow
@needs_font
@needs_soffice
def test_read_formats_entities_equal_the_plain_report(trained_model, plain_lines, word97_files, tmp_path):
    import spacy

    nlp = spacy.load(trained_model)
    for name in NAMES:
        report = REPORTS[name]
        plain = plain_lines[name]
        assert len(plain["entities"]) > 40
        saved = {
            "html": write(tmp_path / f"{name}.html", page_bytes(report, PUBLISHED_ON[name])),
            "pdf": write(tmp_path / f"{name}.pdf", report_pdf(report)),
            "doc": word97_files[name],
        }
        for fmt, path in saved.items():
            line, copy = process_document(nlp, path, path.read_bytes(), Options())
            assert line["status"] == "ok" and line["format"] == fmt
            assert _ents(line) == _ents(plain), (name, fmt)
            assert (line["issuer"], line["year"]) == (plain["issuer"], plain["year"]), (name, fmt)
            for e in line["entities"]:
                assert copy[e["start"] : e["end"]] == e["text"]


@pytest.mark.slow
@needs_font
@needs_soffice
def test_read_formats_extract_mixed_folder(trained_model, plain_lines, word97_files, tmp_path):
    """`fazhi extract` on a folder of pages, PDFs, .doc and .wps: each gives its plain report's entities; a broken file fails alone."""
    folder = tmp_path / "saved"
    folder.mkdir()
    write(folder / "dongcheng.htm", page_bytes(REPORTS["dongcheng-sifaju-2022"], "trs"))
    write(folder / "donghuamen.html", page_bytes(REPORTS["donghuamen-jiedao-2024"], "hanweb"))
    write(folder / "fatou.pdf", report_pdf(REPORTS["fatou-jiedao-2023"], page_numbers="of"))
    write(folder / "guangnei.doc", word97_files["guangnei-jiedao-2021"].read_bytes())
    write(folder / "dongsan.wps", word97_files["dongsan-jiedao-2024"].read_bytes())
    write(folder / "broken.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    expected = {"dongcheng": "dongcheng-sifaju-2022", "donghuamen": "donghuamen-jiedao-2024", "fatou": "fatou-jiedao-2023", "guangnei": "guangnei-jiedao-2021", "dongsan": "dongsan-jiedao-2024"}
    out = tmp_path / "out"
    res = runner.invoke(app, ["extract", str(folder), "--out", str(out), "--model", str(trained_model)])
    assert res.exit_code == 1, res.output  # the broken file
    lines = {Path(l["path"]).stem: l for l in map(json.loads, (out / "documents.jsonl").read_text(encoding="utf-8").splitlines())}
    assert set(lines) == {*expected, "broken"}
    assert lines["broken"]["status"] == "failed" and lines["broken"]["error"].startswith("not a readable .doc")
    assert sum(f"broken.doc: {lines['broken']['error']}" in l for l in res.output.splitlines()) == 1
    for stem, name in expected.items():
        line = lines[stem]
        assert line["status"] == "ok", line["error"]
        assert _ents(line) == _ents(plain_lines[name]), stem
        text = (out / line["text_path"]).read_text(encoding="utf-8")
        assert report_lines(text) == report_lines(REPORTS[name].text())
    assert lines["dongcheng"]["source"] == "北京市东城区司法局" and lines["fatou"]["format"] == "pdf"
    import csv

    rows = {Path(r["path"]).stem: r for r in csv.DictReader((out / "export" / "documents.csv").open(encoding="utf-8-sig"))} if (out / "export" / "documents.csv").exists() else None
    if rows is None:
        runner.invoke(app, ["export", str(out), "--format", "csv"])
        rows = {Path(r["path"]).stem: r for r in csv.DictReader((out / "export" / "documents.csv").open(encoding="utf-8-sig"))}
    assert (rows["donghuamen"]["format"], rows["donghuamen"]["date"], rows["donghuamen"]["title"]) == ("html", "2025-03-25", REPORTS["donghuamen-jiedao-2024"].title)
