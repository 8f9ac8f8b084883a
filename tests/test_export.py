"""fazhi export: the four tables from an extraction output, as CSV, xlsx and parquet.

The fixture ``tests/fixtures/extract_out`` is a small hand-made extraction
output (three reports, one failed input); each test works on a copy.
"""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.tables.export import (
    COLUMN_NAMES_ZH,
    DOCUMENT_COLUMNS,
    ENTITY_COLUMNS,
    PIVOT_COLUMNS,
    RECORD_COLUMNS,
    TABLE_COLUMNS,
    TABLE_NAMES_ZH,
    TABLES,
    ExportError,
    atomic_path,
    document_rows,
    entity_rows,
    export,
    pivot_rows,
    read_documents,
    record_rows,
    write_tables_csv,
)

FIXTURE = Path(__file__).parent / "fixtures" / "extract_out"
N_ROWS = {"documents": 4, "entities": 21, "records": 12, "pivot": 7}  # pivot: 5 indicators of 东城 2022, 1 of 法头, 1 of 东城 2023

runner = CliRunner()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "out"))


@pytest.fixture
def docs() -> list[dict]:
    return read_documents(FIXTURE).docs


def test_export_fixture_offsets_index_texts(docs):
    for doc in docs:
        if doc["status"] != "ok":
            continue
        text = (FIXTURE / doc["text_path"]).read_bytes().decode("utf-8")
        assert len(text) == doc["n_chars"]
        for ent in doc["entities"]:
            assert text[ent["start"] : ent["end"]] == ent["text"]
        for rec in doc["records"]:
            assert text[rec["count"]["start"] : rec["count"]["end"]] == rec["count"]["text"]
            assert text[rec["activity"]["start"] : rec["activity"]["end"]] == rec["activity"]["text"]


def test_export_every_column_has_a_chinese_name():
    for columns in TABLE_COLUMNS.values():
        assert len(set(columns)) == len(columns)
        for column in columns:
            assert column in COLUMN_NAMES_ZH
    assert set(TABLE_NAMES_ZH) == set(TABLES)


def test_export_rows_have_the_table_columns(docs):
    for fn, columns in ((document_rows, DOCUMENT_COLUMNS), (entity_rows, ENTITY_COLUMNS), (record_rows, RECORD_COLUMNS), (pivot_rows, PIVOT_COLUMNS)):
        rows = fn(docs)
        assert rows
        assert all(tuple(row) == columns for row in rows), fn.__name__
    assert [len(fn(docs)) for fn in (document_rows, entity_rows, record_rows, pivot_rows)] == list(N_ROWS.values())


def test_export_document_rows_count_labels_and_keep_failed(docs):
    rows = {row["doc_id"]: row for row in document_rows(docs)}
    first = rows["dongcheng-sifaju-2022"]
    assert (first["n_mechanism"], first["n_count"], first["n_institution"], first["n_law"]) == (2, 8, 3, 1)
    assert first["n_entities"] == 14 and first["n_records"] == 8
    failed = rows["broken-2023"]
    assert failed["status"] == "failed" and "zip" in failed["error"]
    assert failed["n_entities"] == 0 and failed["n_records"] == 0


def test_export_record_rows_flatten_count_activity_and_parent(docs):
    rows = record_rows(docs)
    child = next(r for r in rows if r["count_text"] == "8件")
    assert child["activity"] == "纠错案件"
    assert child["parent_count"] == "56件" and child["parent_activity"] == "办理行政复议案件"
    assert child["issuer"] == "东城区司法局" and child["year"] == 2022
    approx = next(r for r in rows if r["count_text"] == "20余次")
    assert (approx["value"], approx["unit"], approx["approx"]) == (20, "次", "more_than")
    assert approx["activity_end"] - approx["activity_start"] == len("开展执法检查")


def test_export_pivot_sums_per_issuer_year_indicator(docs):
    pivot = {(r["issuer"], r["year"], r["indicator"]): r for r in pivot_rows(docs)}
    checks = pivot[("东城区司法局", 2022, "enforcement.inspections")]
    assert (checks["value"], checks["n_records"], checks["n_approx"], checks["aggregate"]) == (35, 2, 1, "sum")
    assert pivot[("东城区司法局", 2022, "review.contracts")]["value"] == 281
    assert pivot[("东城区司法局", 2023, "review.contracts")]["value"] == 300
    # two wordings of one measure meet in one cell (开展“八五”普法宣传活动 40 + 开展普法宣传活动 50)
    assert pivot[("东城区司法局", 2022, "pufa.events")]["value"] == 90
    # 纠错案件8件 is a part (其中) of 办理行政复议案件56件: not added again
    assert pivot[("东城区司法局", 2022, "disputes.admin_review_cases")]["value"] == 56
    assert pivot[("法头街道", 2023, "study.leadership_sessions")]["value"] == 36
    # 若干件 has no value: it cannot be summed (its indicator has no other record)
    assert ("法头街道", 2023, "review.normative_docs") not in pivot
    assert pivot[("东城区司法局", 2022, "pufa.events")]["indicator_name"] == "普法宣传活动场次"
    keys = [(r["issuer"], r["year"], r["indicator"]) for r in pivot_rows(docs)]
    assert keys == sorted(keys)


def test_export_pivot_sums_floats_and_skips_records_without_value_or_indicator():
    def rec(value, unit, indicator, family):
        return {"count": {"text": "x"}, "value": value, "unit": unit, "approx": None, "activity": {"text": "投入经费"},
                "indicator": indicator, "indicator_name": "n", "indicator_unit": family}

    docs = [{"doc_id": "a", "issuer": "某局", "year": 2024, "records": [
        rec(15000.5, "元", "services.funds_disbursed", "元"),
        rec(20000, "元", "services.funds_disbursed", "元"),
        rec(3, "次", None, None),
        rec(None, "次", "pufa.events", "次"),
        rec(4, "项", "other", None),
    ]}]
    assert pivot_rows(docs) == [
        {"issuer": "某局", "year": 2024, "indicator": "services.funds_disbursed", "indicator_name": "n", "unit_family": "元", "value": 35000.5,
         "aggregate": "sum", "n_records": 2, "n_approx": 0, "units": "元", "values": "15000.5; 20000", "record_ids": "a#r0; a#r1"}
    ]


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_export_csv_round_trip(out_dir, lang):
    written = export(out_dir, "csv", lang)
    assert [p.name for p in written] == [f"{t}.csv" for t in TABLES]
    for table in TABLES:
        rows = _read_csv(out_dir / "export" / f"{table}.csv")
        columns = TABLE_COLUMNS[table]
        assert rows[0] == ([COLUMN_NAMES_ZH[c] for c in columns] if lang == "zh" else list(columns))
        assert len(rows) - 1 == N_ROWS[table]
    records = _read_csv(out_dir / "export" / "records.csv")
    activity = records[0].index("活动" if lang == "zh" else "activity")
    assert "办理行政复议案件" in [r[activity] for r in records[1:]]
    documents = _read_csv(out_dir / "export" / "documents.csv")
    assert documents[3][2:4] == ["failed", "not a readable .docx: File is not a zip file"]
    assert documents[3][4] == ""  # None is written as an empty cell


def test_export_csv_zh_headers_name_the_main_columns(out_dir):
    export(out_dir, "csv", "zh")
    header = _read_csv(out_dir / "export" / "pivot.csv")[0]
    assert header[:6] == ["发布单位", "年度", "指标", "指标名称", "单位类别", "数值"]
    header = _read_csv(out_dir / "export" / "records.csv")[0]
    assert header[:2] == ["记录编号", "文档编号"] and "约数" in header and "章节" in header and "指标名称" in header


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_export_xlsx_round_trip(out_dir, lang):
    from openpyxl import load_workbook

    (path,) = export(out_dir, "xlsx", lang)
    assert path == out_dir / "export" / "fazhi.xlsx"
    wb = load_workbook(path, read_only=False)
    names = [TABLE_NAMES_ZH[t] for t in TABLES] if lang == "zh" else list(TABLES)
    assert wb.sheetnames == names
    for table, name in zip(TABLES, names):
        ws = wb[name]
        rows = list(ws.iter_rows(values_only=True))
        columns = TABLE_COLUMNS[table]
        assert list(rows[0]) == ([COLUMN_NAMES_ZH[c] for c in columns] if lang == "zh" else list(columns))
        assert len(rows) - 1 == N_ROWS[table]
        assert ws.freeze_panes == "A2"
    pivot = list(wb[names[3]].iter_rows(values_only=True))
    assert ("东城区司法局", 2022, "enforcement.inspections", "行政执法检查/专项行动次数", "次", 35, "sum", 2, 1) == next(r for r in pivot if r[2] == "enforcement.inspections")[:9]
    entities = list(wb[names[1]].iter_rows(values_only=True))
    assert ("dongcheng-sifaju-2022", "东城区司法局", 2022) == entities[1][:3]
    assert any(r[6] == "《重大行政决策程序暂行条例》" for r in entities[1:])


def test_export_xlsx_keeps_awkward_text_as_text(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "out"
    out.mkdir()
    doc = {
        "doc_id": "x", "path": "x.docx", "status": "ok", "error": None, "issuer": "=SUM(A1:A9)", "year": 2024,
        "n_chars": 10, "text_path": "x.txt", "records": [],
        "entities": [{"start": 0, "end": 6, "label": "LAW", "text": "《条例》\x0b\x01"}],
    }
    (out / "documents.jsonl").write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")
    (path,) = export(out, "xlsx")
    ws = load_workbook(path)["entities"]
    assert ws["B2"].value == "=SUM(A1:A9)" and ws["B2"].data_type == "s"
    assert ws["G2"].value == "《条例》"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_export_parquet_round_trip(out_dir, lang):
    import pyarrow as pa
    import pyarrow.parquet as pq

    written = export(out_dir, "parquet", lang)
    assert [p.name for p in written] == [f"{t}.parquet" for t in TABLES]
    tables = {t: pq.read_table(out_dir / "export" / f"{t}.parquet") for t in TABLES}
    for table, data in tables.items():
        columns = TABLE_COLUMNS[table]
        assert data.column_names == ([COLUMN_NAMES_ZH[c] for c in columns] if lang == "zh" else list(columns))
        assert data.num_rows == N_ROWS[table]
    value, year, activity = ("数值", "年度", "活动") if lang == "zh" else ("value", "year", "activity")
    records = tables["records"]
    assert records.schema.field(value).type == pa.float64()
    assert records.schema.field(year).type == pa.int64()
    rows = records.to_pylist()
    assert {"办理行政复议案件", "开展“八五”普法宣传活动"} <= {r[activity] for r in rows}
    assert next(r for r in rows if r[activity] == "完成合法性审查")[value] is None
    pivot = tables["pivot"].to_pylist()
    indicator = "指标" if lang == "zh" else "indicator"
    assert any(r[indicator] == "enforcement.inspections" and r[value] == 35.0 for r in pivot)


def test_export_empty_extraction_writes_header_only_tables(tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    out.mkdir()
    (out / "documents.jsonl").write_text("", encoding="utf-8")
    export(out, "csv")
    assert _read_csv(out / "export" / "pivot.csv") == [list(PIVOT_COLUMNS)]
    export(out, "parquet")
    data = pq.read_table(out / "export" / "records.parquet")
    assert data.num_rows == 0 and data.column_names == list(RECORD_COLUMNS)


def test_export_torn_last_line_is_skipped(out_dir):
    path = out_dir / "documents.jsonl"
    with open(path, "ab") as f:
        f.write('{"doc_id": "killed-mid-write", "path": "raw/x.txt", "status": "ok", "issu'.encode())
    extraction = read_documents(out_dir)
    assert extraction.torn_last_line
    assert [d["doc_id"] for d in extraction.docs][-1] == "dongcheng-sifaju-2023"
    result = runner.invoke(app, ["export", str(out_dir), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "torn last line" in result.output
    assert len(_read_csv(out_dir / "export" / "documents.csv")) - 1 == 4


def test_export_damaged_middle_line_is_an_error(out_dir):
    path = out_dir / "documents.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:40]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ExportError) as info:
        read_documents(out_dir)
    assert "line 2" in str(info.value) and info.value.exit_code == 1
    result = runner.invoke(app, ["export", str(out_dir)])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1


def test_export_write_tables_csv_writes_entities_and_records(tmp_path, docs):
    written = write_tables_csv(tmp_path, docs)
    assert [p.name for p in written] == ["entities.csv", "records.csv"]
    assert _read_csv(tmp_path / "entities.csv")[0] == list(ENTITY_COLUMNS)
    assert len(_read_csv(tmp_path / "records.csv")) - 1 == N_ROWS["records"]


def test_export_atomic_path_leaves_target_alone_on_failure(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]
    with atomic_path(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


@pytest.mark.parametrize("fmt,files", [("csv", 4), ("xlsx", 1), ("parquet", 4)])
def test_export_cli_formats(out_dir, fmt, files):
    result = runner.invoke(app, ["export", str(out_dir), "--format", fmt, "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "exported 4 document(s)" in result.output
    written = [p for p in (out_dir / "export").iterdir()]
    assert len(written) == files
    assert not [p for p in written if p.name.startswith(".")], "temporary files left behind"


def test_export_cli_missing_dir_exits_2(tmp_path):
    result = runner.invoke(app, ["export", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: no such directory")
    assert len(result.output.strip().splitlines()) == 1


def test_export_cli_missing_documents_exits_2(tmp_path):
    result = runner.invoke(app, ["export", str(tmp_path)])
    assert result.exit_code == 2
    assert "no documents.jsonl" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_export_cli_unknown_format_or_lang_exits_2(out_dir):
    assert runner.invoke(app, ["export", str(out_dir), "--format", "json"]).exit_code == 2
    assert runner.invoke(app, ["export", str(out_dir), "--lang", "fr"]).exit_code == 2
    assert not (out_dir / "export").exists()
