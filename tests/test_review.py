"""fazhi review: static HTML pages, checked as markup and in a real headless Chromium."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.tables.export import read_documents
from pipeline.tables.review import LABEL_COLORS, page_names, render_text, section_chunks, valid_entities, write_review

FIXTURE = Path(__file__).parent / "fixtures" / "extract_out"
CHROMIUM = Path("/usr/bin/chromium")
MARK = re.compile(r'<mark class="entity"[^>]*>\s*(.*?)\s*<span[^>]*>(\w+)</span>\s*</mark>', re.S)

runner = CliRunner()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "out"))


def write_extraction(out: Path, docs: list[dict], texts: dict[str, str]) -> Path:
    """A made-up extraction output: documents.jsonl and its texts (written byte-exact)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(text.encode("utf-8"))
    (out / "documents.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return out


def ok_doc(doc_id: str, text: str, entities: list[tuple[str, str]], **extra) -> dict:
    ents = []
    for surface, label in entities:
        start = text.index(surface)
        ents.append({"start": start, "end": start + len(surface), "label": label, "text": surface})
    doc = {"doc_id": doc_id, "path": f"raw/{doc_id}.txt", "status": "ok", "error": None, "issuer": "某局", "year": 2024,
           "n_chars": len(text), "text_path": f"texts/{doc_id}.txt", "entities": ents, "records": []}
    doc.update(extra)
    return doc


def test_review_writes_index_and_a_page_per_document(out_dir):
    index = write_review(out_dir)
    assert index == out_dir / "review" / "index.html"
    page = index.read_text(encoding="utf-8")
    docs = read_documents(out_dir).docs
    for doc, name in zip(docs, page_names(docs)):
        assert f'href="docs/{name}"' in page
        assert (out_dir / "review" / "docs" / name).is_file()
    assert "not a readable .docx: File is not a zip file" in page
    assert "total: 4 document(s), 1 failed" in page
    row = re.search(r"<tr class=\"ok\">.*?dongcheng-sifaju-2022.*?</tr>", page).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "2", "8", "3", "1", "8"]


def test_review_document_page_marks_entities_sections_and_records(out_dir):
    write_review(out_dir)
    page = (out_dir / "review" / "docs" / "dongcheng-sifaju-2022.html").read_text(encoding="utf-8")
    doc = read_documents(out_dir).docs[0]
    marks = MARK.findall(page)
    assert [(text, label) for text, label in marks] == [(e["text"], e["label"]) for e in doc["entities"]]
    assert [m for m in re.findall(r'data-section="(\w+)"', page)] == [s["section"] for s in doc["sections"]]
    assert "一、2022年推进法治政府建设的主要举措和成效" in page
    assert LABEL_COLORS["LAW"] in page
    records = page[page.index('<table class="records">') :]
    assert records.count("<tr>") == 1  # the header; each record's row is anchored at its record id's r<i>
    assert re.findall(r'<tr id="r(\d+)">', records) == [str(i) for i in range(len(doc["records"]))]
    assert "56件 办理行政复议案件" in records  # the parent of 纠错案件8件
    assert "合同合法性审查件数 (review.contracts, 0.9)" in records  # the indicator, its Chinese name and score


def test_review_failed_document_page_gives_the_reason(out_dir):
    write_review(out_dir)
    page = (out_dir / "review" / "docs" / "broken-2023.html").read_text(encoding="utf-8")
    assert "Failed: not a readable .docx: File is not a zip file" in page
    assert "<mark" not in page


def test_review_document_without_sections_has_no_markers(out_dir):
    write_review(out_dir)
    page = (out_dir / "review" / "docs" / "fatou-jiedao-2023.html").read_text(encoding="utf-8")
    assert "section-marker" not in page.split("</style>")[1]
    assert len(MARK.findall(page)) == 5


def test_review_pages_load_nothing_from_elsewhere(out_dir):
    write_review(out_dir)
    for page in (out_dir / "review").rglob("*.html"):
        content = page.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", content), page
        assert "<script" not in content and "<link" not in content and "@import" not in content


def test_review_escapes_all_text(tmp_path):
    text = "<script>alert(1)</script>依据《条例<b>》开展&检查3次。"
    doc = ok_doc("x", text, [("《条例<b>》", "LAW"), ("3次", "COUNT")], issuer="<i>某局</i>",
                  records=[{"count": {"start": text.index("3次"), "end": text.index("3次") + 2, "text": "3次"}, "value": 3,
                            "unit": "次", "approx": None, "activity": {"text": "开展&检查", "start": 0, "end": 0},
                            "actor": "<u>x</u>", "parent": None, "section": "achievements", "sentence": "<script>"}])
    doc["entities"].append({"start": 0, "end": 8, "label": "<img src=x>", "text": "<script>"})
    failed = {"doc_id": "y<z>", "path": "raw/y", "status": "failed", "error": "<script>bad</script>", "entities": [], "records": []}
    out = write_extraction(tmp_path / "out", [doc, failed], {"texts/x.txt": text})
    write_review(out)
    for page in (out / "review").rglob("*.html"):
        content = page.read_text(encoding="utf-8")
        for raw in ("<script", "<b>", "<i>", "<u>", "<img"):
            assert raw not in content, (page.name, raw)
    content = (out / "review" / "docs" / "x.html").read_text(encoding="utf-8")
    assert "《条例&lt;b&gt;》" in content and "开展&amp;检查" in content


def test_review_offsets_survive_crlf_and_bom(tmp_path):
    text = "第一行\r\n审查合同281份\r\n依据《条例》。"
    doc = ok_doc("crlf", text, [("281份", "COUNT"), ("《条例》", "LAW")])
    out = write_extraction(tmp_path / "out", [doc], {})
    (out / "texts").mkdir()
    (out / "texts" / "crlf.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    write_review(out)
    page = (out / "review" / "docs" / "crlf.html").read_text(encoding="utf-8")
    assert MARK.findall(page) == [("281份", "COUNT"), ("《条例》", "LAW")]
    assert "offsets may be wrong" not in page


def test_review_absolute_text_path_and_missing_text(tmp_path):
    text = "全年审查合同281份。"
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text(text, encoding="utf-8")
    absolute = ok_doc("abs", text, [("281份", "COUNT")], text_path=str(elsewhere))
    missing = ok_doc("gone", text, [("281份", "COUNT")], text_path="texts/gone.txt")
    out = write_extraction(tmp_path / "out", [absolute, missing], {})
    write_review(out)
    assert MARK.findall((out / "review" / "docs" / "abs.html").read_text(encoding="utf-8")) == [("281份", "COUNT")]
    gone = (out / "review" / "docs" / "gone.html").read_text(encoding="utf-8")
    assert "text not available" in gone and "Records (0)" in gone


def test_review_bad_entities_are_dropped_with_a_warning():
    text = "审查合同281份"
    ents = [{"start": 4, "end": 8, "label": "COUNT"}, {"start": 5, "end": 7, "label": "COUNT"}, {"start": 6, "end": 99, "label": "LAW"}]
    kept, dropped = valid_entities(text, ents)
    assert kept == [{"start": 4, "end": 8, "label": "COUNT"}] and dropped == 2


def test_review_section_chunks_cover_the_text_and_never_cut_an_entity():
    text = "标题\n一、成效\n办理案件12件\n二、不足\n无"
    sections = [
        {"start": 0, "end": 3, "section": "other", "heading": ""},
        {"start": 3, "end": 16, "section": "achievements", "heading": "一、成效"},
        {"start": 13, "end": 16, "section": "bogus", "heading": ""},  # falls inside 12件
        {"start": 16, "end": len(text), "section": "shortcomings", "heading": "二、不足"},
    ]
    ents = [{"start": 12, "end": 15, "label": "COUNT"}]
    assert text[12:15] == "12件" and text[16] == "二"
    chunks = section_chunks(text, sections, ents)
    assert [(a, b) for a, b, _ in chunks] == [(0, 3), (3, 16), (16, len(text))]
    assert [s["section"] for _, _, s in chunks] == ["other", "achievements", "shortcomings"]
    rendered = render_text(text, ents, sections)
    assert MARK.findall(rendered) == [("12件", "COUNT")]
    assert rendered.count('class="section-marker"') == 3


def test_review_cli_writes_pages_and_exits_2_without_output(out_dir, tmp_path):
    dest = tmp_path / "pages"
    result = runner.invoke(app, ["review", str(out_dir), "--out", str(dest)])
    assert result.exit_code == 0, result.output
    assert (dest / "index.html").is_file() and len(list((dest / "docs").iterdir())) == 4
    missing = runner.invoke(app, ["review", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["review", str(empty)]).exit_code == 2


# ---------------------------------------------------------------------------
# a real browser


def chromium(args: list[str], profile: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run headless Chromium; on a hang, kill its whole process group (it forks helpers)."""
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", *args,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish within {timeout} s: {' '.join(cmd)}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed (still filtered) scanlines of a PNG, read with zlib alone."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


@pytest.mark.slow
def test_review_renders_in_headless_chromium(out_dir, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: run `make browser` (apt-get install chromium)")
    write_review(out_dir)
    page = out_dir / "review" / "docs" / "dongcheng-sifaju-2022.html"
    doc = read_documents(out_dir).docs[0]

    dom = chromium(["--dump-dom", page.as_uri()], tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    marks = MARK.findall(dom.stdout)
    assert [label for _, label in marks] == [e["label"] for e in doc["entities"]]
    assert ("《重大行政决策程序暂行条例》", "LAW") in marks
    assert dom.stdout.count('class="section-marker"') == len(doc["sections"])
    assert "Records (8)" in dom.stdout

    shot = tmp_path / "page.png"
    result = chromium([f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri()], tmp_path / "profile-shot")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 20_000, "screenshot missing or nearly empty"
    width, height, scanlines = png_pixels(shot)
    assert (width, height) == (1200, 1600)
    # A blank page compresses to a handful of distinct byte values; text and coloured marks give many.
    assert len(set(scanlines)) > 64

    index = chromium(["--dump-dom", (out_dir / "review" / "index.html").as_uri()], tmp_path / "profile-index")
    assert index.returncode == 0
    assert index.stdout.count('href="docs/') == 4
