"""The corpus tools: sentence boundaries, the inline-markup compiler, and the corpus CLI commands."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.learning.markup import MarkupError, compile_markup
from pipeline.sentences import sentence_span, sentence_spans

from .conftest import CORPUS

runner = CliRunner()


def test_sentences_end_at_marks_and_line_breaks():
    text = "召开会议3次。 审查合同！\n第二行没有句号\n\n  结尾？"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["召开会议3次。", "审查合同！", "第二行没有句号", "结尾？"]
    assert text[slice(*sentence_span(text, text.index("合同")))] == "审查合同！"
    assert sentence_span(text, text.index("\n\n") + 1) == (text.index("\n\n") + 1, text.index("\n\n") + 1)


RAW = "东华门街道召开工委会48次。\n审查合同281份。"
MARKUP = "⟦东华门街道|I⟧召开⟦工委会|I⟧⟦48次|C⟧。\n审查合同⟦281份|C⟧。"
RECORDS = [
    {"line": 1, "count": "48次", "activity": "召开工委会", "value": 48, "unit": "次", "approx": None, "actor": "东华门街道", "parent": None, "section": "achievements"},
    {"line": 2, "count": "281份", "activity": "审查合同", "value": 281, "unit": "份", "approx": None, "actor": None, "parent": None, "section": "achievements"},
]


def test_markup_compiles_to_offsets_into_the_raw_text():
    doc, records = compile_markup("x", RAW, MARKUP, RECORDS)
    ents = [(e["start_offset"], e["end_offset"], e["label"]) for e in doc["entities"]]
    assert ents[:4] == [(0, 5, "INSTITUTION"), (7, 10, "INSTITUTION"), (10, 13, "COUNT"), (19, 23, "COUNT")]
    assert (records[0]["activity_span"], records[1]["activity_span"]) == (
        {"start": 5, "end": 10, "text": "召开工委会"},
        {"start": 15, "end": 19, "text": "审查合同"},
    )
    assert [r["sentence"] for r in records] == ["东华门街道召开工委会48次。", "审查合同281份。"]
    assert {rel["type"] for rel in doc["relations"]} == {"QUANTIFIES"} and len(doc["relations"]) == 2


def test_markup_refuses_changed_text_and_counts_without_records():
    with pytest.raises(MarkupError, match="line 1: text differs"):
        compile_markup("x", RAW, MARKUP.replace("召开", "举行"), RECORDS)
    with pytest.raises(MarkupError, match="neither record nor no_record"):
        compile_markup("x", RAW, MARKUP, RECORDS[:1])


def test_cli_corpus_compile_validate_and_stats(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "markup").mkdir()
    (tmp_path / "raw" / "x.txt").write_text(RAW, encoding="utf-8")
    (tmp_path / "markup" / "x.txt").write_text(MARKUP, encoding="utf-8")
    (tmp_path / "markup" / "x.records.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    out = tmp_path / "ann"
    res = runner.invoke(app, ["corpus", "compile", "--raw-dir", str(tmp_path / "raw"), "--markup-dir", str(tmp_path / "markup"), "--out-dir", str(out)])
    assert res.exit_code == 0 and "compiled 1 report" in res.output
    assert runner.invoke(app, ["corpus", "validate", str(out)]).exit_code == 0
    res = runner.invoke(app, ["corpus", "stats", str(CORPUS)])
    assert res.exit_code == 0
    assert all(name in res.output for name in ("dongcheng-sifaju-2022", "donghuamen-jiedao-2024", "guangnei-jiedao-2021"))
