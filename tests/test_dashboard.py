"""fazhi dashboard: the comparison dashboard's data, its files, its command, and the page in a real headless Chromium."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.tables.dashboard import (
    BUNDLE_FILE,
    DOMAIN_NAMES_ZH,
    dashboard_data,
    indicator_file,
    issuer_kind,
    issuer_place,
    write_dashboard,
)
from pipeline.tables.export import read_documents
from pipeline.tables.review import write_review
from tests.test_review import CHROMIUM, FIXTURE, chromium, png_pixels, write_extraction

runner = CliRunner()

STREET = "北京市东城区人民政府东华门街道办事处"
BUREAU = "东城区司法局"
REVIEW_CASES = "disputes.admin_review_cases"
SUCCESS_RATE = "mediation.success_rate"


def record(text: str, surface: str, activity: str, value: float, unit: str, indicator: str, family: str, name: str, parent: str | None = None) -> dict:
    start = text.index(surface)
    rec = {"count": {"start": start, "end": start + len(surface), "text": surface}, "value": value, "unit": unit, "approx": None,
           "activity": {"start": text.index(activity), "end": text.index(activity) + len(activity), "text": activity},
           "actor": None, "parent": None, "section": "achievements", "sentence": text,
           "indicator": indicator, "indicator_name": name, "indicator_unit": family, "indicator_score": 0.9}
    if parent:
        p = text.index(parent)
        rec["parent"] = {"count": {"start": p, "end": p + len(parent), "text": parent}, "activity": "办理行政复议案件"}
    return rec


def made_up_docs() -> tuple[list[dict], dict[str, str]]:
    """Three reports of two issuers (one of them in two years) and a failed input; records with known values."""
    docs, texts = [], {}

    def doc(doc_id: str, issuer: str, year: int, text: str, records: list[dict]) -> None:
        texts[f"texts/{doc_id}.txt"] = text
        docs.append({"doc_id": doc_id, "path": f"raw/{doc_id}.txt", "status": "ok", "error": None, "issuer": issuer, "year": year,
                     "n_chars": len(text), "text_path": f"texts/{doc_id}.txt", "entities": [], "records": records, "sections": []})

    t = "办理行政复议案件12件，其中维持5件。调解成功率90%，另一批调解成功率80%。召开座谈会3次。"
    doc("street-2023", STREET, 2023, t, [
        record(t, "12件", "办理行政复议案件", 12, "件", REVIEW_CASES, "件", "行政复议案件数"),
        record(t, "5件", "维持", 5, "件", REVIEW_CASES, "件", "行政复议案件数", parent="12件"),
        record(t, "90%", "调解成功率", 90, "%", SUCCESS_RATE, "%", "调解成功率/化解率"),
        record(t, "80%", "另一批调解成功率", 80, "%", SUCCESS_RATE, "%", "调解成功率/化解率"),
        record(t, "3次", "召开座谈会", 3, "次", "other", "", "其他"),
    ])
    t = "办理行政复议案件20件，收到行政复议申请3件。"
    doc("street-2024", STREET, 2024, t, [
        record(t, "20件", "办理行政复议案件", 20, "件", REVIEW_CASES, "件", "行政复议案件数"),
        record(t, "3件", "收到行政复议申请", 3, "件", REVIEW_CASES, "件", "行政复议案件数"),
    ])
    t = "办理行政复议案件7件。"
    doc("bureau-2024", BUREAU, 2024, t, [record(t, "7件", "办理行政复议案件", 7, "件", REVIEW_CASES, "件", "行政复议案件数")])
    docs.append({"doc_id": "broken", "path": "raw/broken.docx", "status": "failed", "error": "not a readable .docx", "entities": [], "records": []})
    return docs, texts


@pytest.fixture
def made_up_out(tmp_path: Path) -> Path:
    docs, texts = made_up_docs()
    return write_extraction(tmp_path / "out", docs, texts)


def top_level_sums(docs: list[dict], indicator: str) -> dict[tuple[str, int], float]:
    """What a comparison cell must hold for a count indicator: the issuer's top-level records of that year, summed."""
    sums: dict[tuple[str, int], float] = defaultdict(float)
    for doc in docs:
        for rec in doc.get("records") or []:
            if rec.get("indicator") == indicator and not rec.get("parent"):
                sums[(doc["issuer"], doc["year"])] += rec["value"]
    return dict(sums)


def test_dashboard_issuer_kind_from_the_name_ending():
    assert issuer_kind(STREET) == "street"
    assert issuer_kind("广内街道") == "street"
    assert issuer_kind(BUREAU) == "bureau"
    assert issuer_kind("上海市浦东新区人民政府") == "county"
    assert issuer_kind("某某县人民政府") == "county"
    assert issuer_kind("杭州市人民政府") == "city"
    assert issuer_kind("广西壮族自治区人民政府") == "province"
    assert issuer_kind("浙江省人民政府") == "province"
    assert issuer_kind("长安镇人民政府") == "town"
    assert issuer_kind(None) == "unknown"


def test_dashboard_issuer_place_from_the_gazetteer():
    assert issuer_place(STREET) == ("北京市", "北京市")
    assert issuer_place("浙江省杭州市司法局") == ("浙江省", "杭州市")
    assert issuer_place("河北石家庄市人民政府")[0] == "河北省"
    assert issuer_place(BUREAU) == (None, None)


def test_dashboard_data_counts_reports_records_and_other(made_up_out):
    docs = read_documents(made_up_out).docs
    overview, indicators = dashboard_data(docs)
    lines = [line for line in (made_up_out / "documents.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert overview["n_documents"] == len(lines) == 4
    assert overview["n_ok"] == 3
    rows = {d["doc_id"]: d for d in overview["docs"]}
    assert rows["street-2023"]["records"] == 5 and rows["street-2023"]["other"] == 1
    assert rows["street-2023"]["kind"] == "street" and rows["street-2023"]["province"] == "北京市"
    assert rows["bureau-2024"]["kind"] == "bureau"
    n_records = sum(len(d["records"]) for d in docs)
    assert sum(c["n"] for c in overview["indicator_counts"]) == n_records
    assert sum(c["n"] for c in overview["indicator_counts"] if c["indicator"] == "other") == 1
    assert set(indicators) == {REVIEW_CASES, SUCCESS_RATE}  # `other` is never compared


def test_dashboard_cells_are_the_top_level_sums_and_rate_means(made_up_out):
    docs = read_documents(made_up_out).docs
    _, indicators = dashboard_data(docs)
    cells = {(c["issuer"], c["year"]): c["value"] for c in indicators[REVIEW_CASES]["cells"]}
    assert cells == top_level_sums(docs, REVIEW_CASES)
    assert cells[(STREET, 2023)] == 12  # 其中维持5件 is part of the 12
    rates = {(c["issuer"], c["year"]): c for c in indicators[SUCCESS_RATE]["cells"]}
    assert rates[(STREET, 2023)]["value"] == pytest.approx((90 + 80) / 2)
    assert rates[(STREET, 2023)]["aggregate"] == "mean"


def test_dashboard_indicator_names_come_from_the_taxonomy(made_up_out):
    overview, _ = dashboard_data(read_documents(made_up_out).docs)
    names = {i["id"]: i for i in overview["indicators"]}
    assert len(names) == 44  # ../shared/indicators: 44 indicators in 14 domains, plus other
    assert len({i["domain"] for i in names.values()}) == 14
    assert names[REVIEW_CASES]["name"] == "行政复议案件数" and names[REVIEW_CASES]["unit"] == "件"
    assert names["study.exam_pass_rate"]["name"] == "学法考法合格率" and names["study.exam_pass_rate"]["unit"] == "%"
    assert names[REVIEW_CASES]["domain_name"] == DOMAIN_NAMES_ZH["disputes"] == "行政复议与行政诉讼"
    assert names[REVIEW_CASES]["n_records"] == 5 and names["study.exam_pass_rate"]["file"] is None


def data_script(path: Path) -> dict:
    """The JSON payload of one data/<indicator>.js (``FAZHI.register("id", {...});``)."""
    body = path.read_text(encoding="utf-8")
    match = re.fullmatch(r'FAZHI\.register\("([^"]+)", (.*)\);\n', body, re.S)
    assert match, body[:200]
    return json.loads(match.group(2))


def test_dashboard_record_links_open_the_record_on_its_review_page(made_up_out):
    write_review(made_up_out)
    index = write_dashboard(made_up_out)
    payload = data_script(index.parent / "data" / indicator_file(REVIEW_CASES))
    docs = {d["doc_id"]: d for d in read_documents(made_up_out).docs}
    # the contributing records: the top-level ones of each cell, not the 其中 part
    assert sorted(r["value"] for r in payload["records"]) == [3, 7, 12, 20]
    for rec in payload["records"]:
        target = urlsplit(rec["href"])
        page = (index.parent / unquote(target.path)).resolve()
        assert page.is_file(), rec["href"]
        i = int(target.fragment.removeprefix("r"))
        row = re.search(rf'<tr id="{target.fragment}">(.*?)</tr>', page.read_text(encoding="utf-8"), re.S).group(1)
        doc_id = rec["id"].rpartition("#r")[0]
        assert docs[doc_id]["records"][i]["count"]["text"] in row and rec["count"] in row


def test_dashboard_files_load_nothing_from_elsewhere(made_up_out):
    index = write_dashboard(made_up_out)
    page = index.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    for src in re.findall(r'<script src="([^"]+)"', page):
        assert (index.parent / src).is_file(), src
    assert (index.parent / BUNDLE_FILE).stat().st_size > 100_000


def test_dashboard_is_rewritten_without_stale_indicator_files(made_up_out):
    index = write_dashboard(made_up_out)
    stale = index.parent / "data" / "gone.indicator.js"
    stale.write_text("FAZHI.register('gone', {});\n", encoding="utf-8")
    write_dashboard(made_up_out)
    assert not stale.exists()
    assert sorted(p.name for p in (index.parent / "data").iterdir()) == sorted(
        ["overview.js", indicator_file(REVIEW_CASES), indicator_file(SUCCESS_RATE)]
    )


def test_dashboard_cli_writes_the_page_and_exits_2_without_output(made_up_out, tmp_path):
    dest = tmp_path / "board"
    result = runner.invoke(app, ["dashboard", str(made_up_out), "--out", str(dest)])
    assert result.exit_code == 0, result.output
    assert (dest / "index.html").is_file()
    missing = runner.invoke(app, ["dashboard", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1
    assert "no such directory" in missing.output and "Traceback" not in missing.output
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = runner.invoke(app, ["dashboard", str(empty)])
    assert nothing.exit_code == 2 and "documents.jsonl" in nothing.output and len(nothing.output.strip().splitlines()) == 1


def test_dashboard_of_an_output_without_indicators(tmp_path):
    """An extraction from before the indicator classifier: reports and records, nothing to compare."""
    import json
    import shutil

    out = Path(shutil.copytree(FIXTURE, tmp_path / "out"))
    docs = read_documents(out).docs
    for d in docs:
        for r in d.get("records") or []:
            for k in ("indicator", "indicator_name", "indicator_unit", "indicator_score"):
                r.pop(k, None)
    (out / "documents.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    overview, indicators = dashboard_data(read_documents(out).docs)
    assert indicators == {} and overview["n_documents"] == 4
    assert all(c["indicator"] == "other" for c in overview["indicator_counts"])
    assert write_dashboard(out).is_file()


# ---------------------------------------------------------------------------
# a real browser, offline

OFFLINE = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=30000"]


def console_messages(stderr: str) -> list[str]:
    """Everything the page wrote to the console (errors, warnings, failed loads): the dashboard writes nothing."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def chart_html(page: str, chart_id: str) -> str:
    """The markup of one chart's element: from its id to the next heading."""
    start = page.index(f'id="{chart_id}"')
    return page[start : re.compile(r"<h[23]").search(page, start).start()]


@pytest.mark.slow
def test_dashboard_renders_offline_in_headless_chromium(made_up_out, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: run `make browser` (apt-get install chromium)")
    write_review(made_up_out)
    index = write_dashboard(made_up_out)

    dom = chromium([*OFFLINE, "--dump-dom", f"{index.as_uri()}#indicator={REVIEW_CASES}"], tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_messages(dom.stderr) == []
    html = dom.stdout
    assert 'data-ready="1"' in html
    charts = {name: chart_html(html, name) for name in re.findall(r'<div id="(c-\w+)"', html)}
    # six charts, each drawn as SVG: kinds, provinces, years, indicators, ranked issuers, year over year
    assert sorted(charts) == ["c-indicators", "c-kinds", "c-provinces", "c-ranked", "c-years", "c-yoy"]
    for name, chart in charts.items():
        assert "<svg" in chart, name
    assert STREET in charts["c-ranked"] and BUREAU in charts["c-ranked"]
    assert "行政复议案件数" in html
    rows = re.findall(r"<tr>(.*?)</tr>", html.split('id="i-records"')[1], re.S)
    assert len(rows) == 4 and all('href="../review/docs/' in r for r in rows)

    # the filters: one issuer kind and one year
    bureau = chromium([*OFFLINE, "--dump-dom", f"{index.as_uri()}#kind=bureau&year=2024&indicator={REVIEW_CASES}"], tmp_path / "profile-kind")
    assert console_messages(bureau.stderr) == []
    rows = re.findall(r"<tr>(.*?)</tr>", bureau.stdout.split('id="i-records"')[1], re.S)
    assert len(rows) == 1 and BUREAU in rows[0]
    assert re.search(r'id="s-docs">1<', bureau.stdout)

    shot = tmp_path / "dashboard.png"
    result = chromium([*OFFLINE, f"--screenshot={shot}", "--hide-scrollbars", "--window-size=1200,1600",
                       f"{index.as_uri()}#indicator={REVIEW_CASES}"], tmp_path / "profile-shot")
    assert result.returncode == 0, result.stderr[-2000:]
    width, height, scanlines = png_pixels(shot)
    assert (width, height) == (1200, 1600)
    assert len(set(scanlines)) > 64


@pytest.mark.slow
def test_dashboard_on_real_output_agrees_with_the_records(trained_model, tmp_path):
    """The five bundled reports extracted by a real model: one overview row per report, every cell the records' sum
    (counts, top level only) or mean (rates, 学时), every listed record a link to its row on the review page."""
    import spacy

    from pipeline.batch.extract import extract
    from tests.conftest import RAW

    raw = sorted(RAW.glob("*.txt"))
    out = tmp_path / "out"
    assert extract([str(p) for p in raw], out, spacy.load(trained_model), progress=None).failed == 0
    docs = read_documents(out).docs
    write_review(out)
    index = write_dashboard(out)
    overview = json.loads((index.parent / "data" / "overview.js").read_text(encoding="utf-8").removeprefix("FAZHI.overview = ").rstrip(";\n"))
    assert overview["n_documents"] == len(raw) == 5
    assert sum(d["records"] for d in overview["docs"]) == sum(len(d["records"]) for d in docs)

    values: dict[tuple, list[float]] = defaultdict(list)
    for doc in docs:
        for rec in doc["records"]:
            rate = rec.get("indicator_unit") in ("%", "学时") or rec.get("unit") in ("%", "‰")
            if rec.get("indicator") not in (None, "other") and isinstance(rec.get("value"), (int, float)) and (rate or not rec.get("parent")):
                values[(rec["indicator"], doc["issuer"], doc["year"], rate)].append(rec["value"])
    expected = {(ind, issuer, year): (sum(v) / len(v) if rate else sum(v)) for (ind, issuer, year, rate), v in values.items()}
    files = [p for p in (index.parent / "data").glob("*.js") if p.name != "overview.js"]
    assert len(files) == len({key[0] for key in expected}) > 5
    seen = {}
    for path in files:
        payload = data_script(path)
        for cell in payload["cells"]:
            seen[(payload["id"], cell["issuer"], cell["year"])] = cell["value"]
        for rec in payload["records"][:5]:
            target = urlsplit(rec["href"])
            page = (index.parent / unquote(target.path)).read_text(encoding="utf-8")
            assert f'<tr id="{target.fragment}">' in page and rec["count"] in page
    assert seen.keys() == expected.keys()
    for key, value in expected.items():
        assert seen[key] == pytest.approx(value, abs=0.01), key
