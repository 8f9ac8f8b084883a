"""Tables from an extraction output: documents, entities, records and a pivot.

``fazhi extract --out DIR`` writes ``DIR/documents.jsonl``; everything that
flattens those documents into table rows lives here, so ``entities.csv`` and
``records.csv`` written by extract and the tables written by ``fazhi export``
have the same columns.  The columns of each table are the constants below.

CSV is written as UTF-8 with a BOM (Excel then reads the Chinese correctly),
xlsx with openpyxl (one sheet per table), parquet with pyarrow.  Every file
is written to a temporary name beside its target and renamed into place, so
a reader never sees half a table.
"""
from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.labels import TABLE_LABEL_ORDER

LABELS = TABLE_LABEL_ORDER

DOCUMENT_COLUMNS = (
    "doc_id",
    "path",
    "status",
    "error",
    "format",
    "title",
    "date",
    "source",
    "issuer",
    "year",
    "n_chars",
    "n_entities",
    "n_mechanism",
    "n_count",
    "n_institution",
    "n_law",
    "n_records",
    "text_path",
)
ENTITY_COLUMNS = ("doc_id", "issuer", "year", "start", "end", "label", "text")
RECORD_COLUMNS = (
    "record_id",
    "doc_id",
    "issuer",
    "year",
    "section",
    "count_text",
    "count_start",
    "count_end",
    "value",
    "unit",
    "approx",
    "activity",
    "activity_start",
    "activity_end",
    "actor",
    "parent_count",
    "parent_record",
    "parent_activity",
    "indicator",
    "indicator_name",
    "unit_family",
    "indicator_score",
    "sentence",
)
PIVOT_COLUMNS = (
    "issuer",
    "year",
    "indicator",
    "indicator_name",
    "unit_family",
    "value",
    "aggregate",
    "n_records",
    "n_approx",
    "units",
    "values",
    "record_ids",
)
# units and indicator unit families of rates and per-capita figures: averaged and listed, never summed
# (8 × 99% is not 792%; 40 学时 per head in two passages is not 80)
RATE_UNITS = ("%", "‰")
MEAN_FAMILIES = ("%", "学时")
OTHER_INDICATOR = "other"

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "documents": DOCUMENT_COLUMNS,
    "entities": ENTITY_COLUMNS,
    "records": RECORD_COLUMNS,
    "pivot": PIVOT_COLUMNS,
}
TABLES = tuple(TABLE_COLUMNS)
FORMATS = ("csv", "xlsx", "parquet")
LANGS = ("en", "zh")

# Column headers with --lang zh; the data itself (labels, sections, approx kinds) is not translated.
COLUMN_NAMES_ZH: dict[str, str] = {
    "doc_id": "文档编号",
    "path": "文件路径",
    "status": "状态",
    "error": "错误原因",
    "format": "格式",
    "title": "标题",
    "date": "发布日期",
    "source": "来源",
    "issuer": "发布单位",
    "year": "年度",
    "n_chars": "字数",
    "n_entities": "实体数",
    "n_mechanism": "机制实体数",
    "n_count": "数量实体数",
    "n_institution": "机构实体数",
    "n_law": "法规实体数",
    "n_records": "记录数",
    "text_path": "文本路径",
    "start": "起始位置",
    "end": "结束位置",
    "label": "标签",
    "text": "文本",
    "section": "章节",
    "count_text": "数量原文",
    "count_start": "数量起始位置",
    "count_end": "数量结束位置",
    "value": "数值",
    "unit": "单位",
    "approx": "约数",
    "activity": "活动",
    "activity_start": "活动起始位置",
    "activity_end": "活动结束位置",
    "actor": "主体",
    "parent_count": "上级数量",
    "parent_record": "上级记录编号",
    "parent_activity": "上级活动",
    "record_id": "记录编号",
    "indicator": "指标",
    "indicator_name": "指标名称",
    "indicator_score": "指标置信度",
    "unit_family": "单位类别",
    "units": "单位",
    "values": "数值列表",
    "record_ids": "来源记录编号",
    "sentence": "句子",
    "n_approx": "约数记录数",
    "aggregate": "汇总方式",
}
TABLE_NAMES_ZH = {"documents": "文档", "entities": "实体", "records": "记录", "pivot": "汇总"}

# Parquet column types; every column not listed is a string.  ``value`` is a
# float everywhere so the schema does not depend on whether a batch had decimals.
_INT_COLUMNS = {
    "year",
    "n_chars",
    "n_entities",
    "n_mechanism",
    "n_count",
    "n_institution",
    "n_law",
    "n_records",
    "n_approx",
    "start",
    "end",
    "count_start",
    "count_end",
    "activity_start",
    "activity_end",
}
_FLOAT_COLUMNS = {"value", "indicator_score"}

DOCUMENTS_FILE = "documents.jsonl"
EXPORT_SUBDIR = "export"
XLSX_FILE = "fazhi.xlsx"
EXCEL_MAX_CELL = 32767

from pipeline.errors import E_NO_DIR, E_NO_DOCUMENTS, E_BAD_DOCUMENT_LINE, E_UNKNOWN_FORMAT, E_UNKNOWN_LANG  # noqa: F401  (messages live in errors.py)


class ExportError(Exception):
    """Missing or unreadable extraction output; ``str()`` is one line.

    ``exit_code`` is 2 for a usage error (no such directory, nothing
    extracted there) and 1 for a damaged ``documents.jsonl``.
    """

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(" ".join(message.split()))
        self.exit_code = exit_code


@dataclass
class Extraction:
    """The documents of an extraction output, and whether a torn last line was skipped."""

    docs: list[dict[str, Any]]
    torn_last_line: bool = False


def read_documents(out_dir: Path) -> Extraction:
    """Read ``out_dir/documents.jsonl``; a last line cut short by a killed run is skipped."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ExportError(E_NO_DIR.format(path=out_dir), exit_code=2)
    path = out_dir / DOCUMENTS_FILE
    if not path.is_file():
        raise ExportError(E_NO_DOCUMENTS.format(name=DOCUMENTS_FILE, path=out_dir), exit_code=2)
    lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    docs: list[dict[str, Any]] = []
    torn = False
    for k, (number, line) in enumerate(numbered):
        try:
            doc = json.loads(line)
            if not isinstance(doc, dict):
                raise ValueError("not an object")
        except ValueError as err:
            if k == len(numbered) - 1:
                torn = True
                break
            raise ExportError(E_BAD_DOCUMENT_LINE.format(path=path, line=number, err=err)) from None
        docs.append(doc)
    return Extraction(docs, torn)


# ---------------------------------------------------------------------------
# rows: the one place documents become table rows


def _label_counts(doc: dict[str, Any]) -> dict[str, int]:
    counts = dict.fromkeys(LABELS, 0)
    for ent in doc.get("entities") or []:
        label = ent.get("label")
        counts[label] = counts.get(label, 0) + 1
    return counts


def document_rows(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per input document (failed ones too), with entity counts per label (DOCUMENT_COLUMNS)."""
    rows = []
    for doc in docs:
        counts = _label_counts(doc)
        rows.append(
            {
                "doc_id": doc.get("doc_id"),
                "path": doc.get("path"),
                "status": doc.get("status"),
                "error": doc.get("error"),
                "format": doc.get("format"),
                "title": doc.get("title"),
                "date": doc.get("date"),
                "source": doc.get("source"),
                "issuer": doc.get("issuer"),
                "year": doc.get("year"),
                "n_chars": doc.get("n_chars"),
                "n_entities": len(doc.get("entities") or []),
                **{f"n_{label.lower()}": counts[label] for label in LABELS},
                "n_records": len(doc.get("records") or []),
                "text_path": doc.get("text_path"),
            }
        )
    return rows


def entity_rows(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per entity (ENTITY_COLUMNS)."""
    rows = []
    for doc in docs:
        for ent in doc.get("entities") or []:
            rows.append(
                {
                    "doc_id": doc.get("doc_id"),
                    "issuer": doc.get("issuer"),
                    "year": doc.get("year"),
                    "start": ent.get("start"),
                    "end": ent.get("end"),
                    "label": ent.get("label"),
                    "text": ent.get("text"),
                }
            )
    return rows


def record_id(doc_id: Any, index: int) -> str:
    """A record's id in every table: its document and its position among the document's records."""
    return f"{doc_id}#r{index}"


def record_rows(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per count→activity record (RECORD_COLUMNS); the parent is flattened to its count text, record id and activity."""
    rows = []
    for doc in docs:
        records = doc.get("records") or []
        by_count = {}
        for i, rec in enumerate(records):
            c = rec.get("count") or {}
            by_count.setdefault((c.get("start"), c.get("end")), i)
        for i, rec in enumerate(records):
            count = rec.get("count") or {}
            activity = rec.get("activity") or {}
            parent = rec.get("parent") or {}
            pc = parent.get("count") or {}
            parent_index = by_count.get((pc.get("start"), pc.get("end"))) if pc else None
            rows.append(
                {
                    "record_id": record_id(doc.get("doc_id"), i),
                    "doc_id": doc.get("doc_id"),
                    "issuer": doc.get("issuer"),
                    "year": doc.get("year"),
                    "section": rec.get("section"),
                    "count_text": count.get("text"),
                    "count_start": count.get("start"),
                    "count_end": count.get("end"),
                    "value": rec.get("value"),
                    "unit": rec.get("unit"),
                    "approx": rec.get("approx"),
                    "activity": activity.get("text"),
                    "activity_start": activity.get("start"),
                    "activity_end": activity.get("end"),
                    "actor": rec.get("actor"),
                    "parent_count": pc.get("text"),
                    "parent_record": record_id(doc.get("doc_id"), parent_index) if parent_index is not None else None,
                    "parent_activity": parent.get("activity"),
                    "indicator": rec.get("indicator"),
                    "indicator_name": rec.get("indicator_name"),
                    "unit_family": rec.get("indicator_unit"),
                    "indicator_score": rec.get("indicator_score"),
                    "sentence": rec.get("sentence"),
                }
            )
    return rows


def _decimals(value: float) -> int:
    text = repr(float(value))
    return 0 if float(value).is_integer() else len(text.split(".")[1]) if "e" not in text else 6


def pivot_rows(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Values per (issuer, year, indicator) (PIVOT_COLUMNS): the table that compares issuers.

    Counts are summed over **top-level** records only: a breakdown under 其中
    has a parent and is already in its total. Rates (%, ‰) and per-capita
    figures (学时) are averaged, never summed, and listed in ``values``.
    Records in ``other``, without an indicator, or without a numeric value are
    left out. ``record_ids`` lists the records behind the cell (ids of the
    records table); ``n_approx`` says how many values were approximate
    (``20余件`` counts as 20). Values are rounded to the decimals the text
    used. Rows are sorted by issuer, year and indicator.
    """
    groups: dict[tuple[Any, Any, str], dict[str, Any]] = {}
    for row in record_rows(docs):
        value, indicator = row["value"], row["indicator"]
        if not indicator or indicator == OTHER_INDICATOR or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        family = row["unit_family"]
        mean = family in MEAN_FAMILIES or row["unit"] in RATE_UNITS
        if (row["parent_count"] or row["parent_activity"]) and not mean:
            continue  # a part of a total already counted
        key = (row["issuer"], row["year"], indicator)
        group = groups.setdefault(
            key,
            {"issuer": key[0], "year": key[1], "indicator": indicator, "indicator_name": row["indicator_name"], "unit_family": family,
             "value": 0, "aggregate": "mean" if mean else "sum", "n_records": 0, "n_approx": 0, "_units": [], "_values": [], "_ids": [], "_places": 0},
        )
        group["value"] += value
        group["n_records"] += 1
        group["n_approx"] += 1 if row["approx"] else 0
        group["_places"] = max(group["_places"], _decimals(value))
        group["_values"].append(value)
        group["_ids"].append(row["record_id"])
        if row["unit"] not in group["_units"]:
            group["_units"].append(row["unit"])
    for group in groups.values():
        places = group.pop("_places")
        total = group["value"] / group["n_records"] if group["aggregate"] == "mean" else group["value"]
        total = round(total, places + (2 if group["aggregate"] == "mean" else 0))
        group["value"] = int(total) if group["aggregate"] == "sum" and places == 0 else total
        group["units"] = "、".join(str(u) for u in group.pop("_units"))
        group["values"] = "; ".join(f"{v:g}" for v in group.pop("_values"))
        group["record_ids"] = "; ".join(group.pop("_ids"))

    def order(key: tuple[Any, Any, str]) -> tuple[str, int, str]:
        issuer, year, indicator = key
        return (issuer or "", year if isinstance(year, int) else 0, indicator)

    return [groups[key] for key in sorted(groups, key=order)]


TABLE_ROWS = {"documents": document_rows, "entities": entity_rows, "records": record_rows, "pivot": pivot_rows}


def table_rows(table: str, docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of one of TABLES."""
    return TABLE_ROWS[table](docs)


def headers(table: str, lang: str = "en") -> list[str]:
    """The column headers of ``table``: the column names, or their Chinese names with ``lang="zh"``."""
    _check_lang(lang)
    columns = TABLE_COLUMNS[table]
    return [COLUMN_NAMES_ZH[c] for c in columns] if lang == "zh" else list(columns)


def sheet_name(table: str, lang: str = "en") -> str:
    """The xlsx sheet (or Chinese sheet) name of ``table``."""
    _check_lang(lang)
    return TABLE_NAMES_ZH[table] if lang == "zh" else table


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ExportError(E_UNKNOWN_LANG.format(lang=lang), exit_code=2)


# ---------------------------------------------------------------------------
# writers


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed onto it when the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, content: str) -> None:
    """Write a UTF-8 text file through ``atomic_path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(content, encoding="utf-8")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula (=, +, -, @ first) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: Path, table: str, rows: Sequence[dict[str, Any]], lang: str = "en") -> Path:
    """Write one table as UTF-8 CSV with a BOM, atomically; text cells are neutralised against formula injection."""
    columns = TABLE_COLUMNS[table]
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(headers(table, lang))
            for row in rows:
                writer.writerow(["" if row.get(c) is None else safe_cell(row.get(c)) for c in columns])
    return Path(path)


def write_tables_csv(
    out_dir: Path,
    docs: Sequence[dict[str, Any]],
    tables: Sequence[str] = ("entities", "records"),
    lang: str = "en",
) -> list[Path]:
    """Write ``out_dir/<table>.csv`` for each of ``tables`` (extract writes entities.csv and records.csv)."""
    return [write_csv(Path(out_dir) / f"{table}.csv", table, table_rows(table, docs), lang) for table in tables]


def _excel_value(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        # Control characters (from .docx/.pdf text) make openpyxl refuse the cell; Excel caps a cell's length.
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_MAX_CELL]
    return value


def write_xlsx(path: Path, docs: Sequence[dict[str, Any]], lang: str = "en") -> Path:
    """Write one workbook with a sheet per table (header row bold and frozen, autofilter, column widths), atomically."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in TABLES:
        ws = wb.create_sheet(sheet_name(table, lang))
        ws.freeze_panes = "A2"
        columns = TABLE_COLUMNS[table]
        rows = table_rows(table, docs)
        names = headers(table, lang)
        for i, (c, name) in enumerate(zip(columns, names), start=1):
            widest = max([_display_width(name)] + [_display_width(row.get(c)) for row in rows[:1000]])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, widest + 2))
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
        header = []
        for name in names:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in rows:
            cells = []
            for c in columns:
                cell = WriteOnlyCell(ws, value=_excel_value(row.get(c)))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a text starting with "=" stays text, not a formula
                cells.append(cell)
            ws.append(cells)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def _display_width(value: Any) -> int:
    """Columns a value takes in a spreadsheet: two for a CJK character."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _arrow_schema(table: str, lang: str):
    import pyarrow as pa

    fields = []
    for column, name in zip(TABLE_COLUMNS[table], headers(table, lang)):
        kind = pa.int64() if column in _INT_COLUMNS else pa.float64() if column in _FLOAT_COLUMNS else pa.string()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _arrow_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in _INT_COLUMNS:
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if column in _FLOAT_COLUMNS:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return value if isinstance(value, str) else str(value)


def write_parquet(path: Path, table: str, rows: Sequence[dict[str, Any]], lang: str = "en") -> Path:
    """Write one table as parquet with a fixed schema (ints, float ``value``, strings), atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema(table, lang)
    columns = TABLE_COLUMNS[table]
    arrays = [pa.array([_arrow_value(c, row.get(c)) for row in rows], type=field.type) for c, field in zip(columns, schema)]
    with atomic_path(path) as tmp:
        pq.write_table(pa.Table.from_arrays(arrays, schema=schema), tmp)
    return Path(path)


def export_tables(docs: Sequence[dict[str, Any]], dest: Path, fmt: str = "xlsx", lang: str = "en") -> list[Path]:
    """Write the four tables of ``docs`` into ``dest``; returns the files written.

    csv → ``dest/<table>.csv``; xlsx → ``dest/fazhi.xlsx`` (a sheet per
    table); parquet → ``dest/<table>.parquet``.
    """
    if fmt not in FORMATS:
        raise ExportError(E_UNKNOWN_FORMAT.format(fmt=fmt), exit_code=2)
    _check_lang(lang)
    dest = Path(dest)
    if fmt == "csv":
        return write_tables_csv(dest, docs, TABLES, lang)
    if fmt == "xlsx":
        return [write_xlsx(dest / XLSX_FILE, docs, lang)]
    return [write_parquet(dest / f"{table}.parquet", table, table_rows(table, docs), lang) for table in TABLES]


def export(out_dir: Path, fmt: str = "xlsx", lang: str = "en") -> list[Path]:
    """Export the tables of the extraction output in ``out_dir`` into ``out_dir/export``."""
    if fmt not in FORMATS:
        raise ExportError(E_UNKNOWN_FORMAT.format(fmt=fmt), exit_code=2)
    _check_lang(lang)
    return export_tables(read_documents(out_dir).docs, Path(out_dir) / EXPORT_SUBDIR, fmt, lang)
