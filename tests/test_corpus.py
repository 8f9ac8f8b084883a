"""The corpus validator catches each kind of problem; both doccano forms are read."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.learning.corpus import load_corpus, validate_paths

TEXT = "共召开工委会48次。\n审查合同281份。"
GOOD_ENTS = [
    {"id": 1, "start_offset": 3, "end_offset": 6, "label": "INSTITUTION"},
    {"id": 2, "start_offset": 6, "end_offset": 9, "label": "COUNT"},
    {"id": 3, "start_offset": 1, "end_offset": 6, "label": "ACTIVITY"},
    {"id": 4, "start_offset": 15, "end_offset": 19, "label": "COUNT"},
    {"id": 5, "start_offset": 11, "end_offset": 15, "label": "ACTIVITY"},
]
GOOD_RELS = [{"id": 1, "from_id": 2, "to_id": 3, "type": "QUANTIFIES"}, {"id": 2, "from_id": 4, "to_id": 5, "type": "QUANTIFIES"}]
GOOD_RECS = [
    {"doc": "d", "count": {"start": 6, "end": 9, "text": "48次"}, "activity": "召开工委会"},
    {"doc": "d", "count": {"start": 15, "end": 19, "text": "281份"}, "activity": "审查合同"},
]


def write(tmp: Path, ents=GOOD_ENTS, rels=GOOD_RELS, recs=GOOD_RECS, text=TEXT) -> Path:
    f = tmp / "d.jsonl"
    f.write_text(json.dumps({"id": "d", "text": text, "entities": ents, "relations": rels}, ensure_ascii=False) + "\n", encoding="utf-8")
    if recs is not None:
        (tmp / "d.records.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return f


def messages(tmp: Path) -> list[str]:
    return [str(p) for p in validate_paths([tmp])]


def test_corpus_validate_good_file_has_no_problem(tmp_path):
    write(tmp_path)
    assert messages(tmp_path) == []


def replace(ents, i, **kw):
    out = [dict(e) for e in ents]
    out[i].update(kw)
    return out


@pytest.mark.parametrize(
    "ents,rels,recs,expected",
    [
        (replace(GOOD_ENTS, 0, end_offset=99), GOOD_RELS, GOOD_RECS, "offsets out of range"),
        (replace(GOOD_ENTS, 0, label="PERSON"), GOOD_RELS, GOOD_RECS, "unknown label 'PERSON'"),
        (replace(GOOD_ENTS, 0, start_offset=4, end_offset=7), GOOD_RELS, GOOD_RECS, "overlapping entity spans"),
        (replace(GOOD_ENTS, 3, start_offset=9, end_offset=12), GOOD_RELS, GOOD_RECS, "crosses a line break"),
        (replace(GOOD_ENTS, 3, start_offset=9, end_offset=11), GOOD_RELS, GOOD_RECS, "whitespace"),
        (GOOD_ENTS, [{"id": 1, "from_id": 2, "to_id": 99, "type": "QUANTIFIES"}], GOOD_RECS, "relation end does not exist"),
        (GOOD_ENTS, [{"id": 1, "from_id": 3, "to_id": 2, "type": "QUANTIFIES"}], GOOD_RECS, "must go COUNT→ACTIVITY"),
        (GOOD_ENTS, [{"id": 1, "from_id": 2, "to_id": 3, "type": "CAUSES"}], GOOD_RECS, "unknown relation type"),
        (GOOD_ENTS, GOOD_RELS, GOOD_RECS[:1], "neither a record nor a no_record mark"),
        (GOOD_ENTS, GOOD_RELS, [*GOOD_RECS, {"doc": "d", "count": {"start": 0, "end": 2, "text": "共召"}}], "match no COUNT"),
        (GOOD_ENTS, GOOD_RELS, [GOOD_RECS[0], {"doc": "d", "count": {"start": 15, "end": 19, "text": "281件"}}], "count text differs"),
    ],
)
def test_corpus_validate_catches_each_problem(tmp_path, ents, rels, recs, expected):
    write(tmp_path, ents, rels, recs)
    msgs = messages(tmp_path)
    assert any(expected in m for m in msgs), msgs
    # one line per problem, naming the file and its line number
    assert all(m.startswith(str(tmp_path)) and ":" in m for m in msgs)


def test_corpus_validate_span_text_must_equal_text_at_offsets_in_plain_form(tmp_path):
    # plain form has no separate text per span; misplaced offsets show up as edge/overlap problems
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"text": " 48次", "label": [[0, 3, "COUNT"]]}) + "\n", encoding="utf-8")
    assert any("whitespace" in m for m in messages(tmp_path))


def test_corpus_validate_reports_unreadable_line(tmp_path):
    (tmp_path / "x.jsonl").write_text('{"text": "a"}\n{not json\n', encoding="utf-8")
    msgs = messages(tmp_path)
    assert len(msgs) == 1 and "x.jsonl:2" in msgs[0]


def test_corpus_reads_both_doccano_forms(tmp_path):
    write(tmp_path, recs=None)
    (tmp_path / "plain.jsonl").write_text(json.dumps({"id": 7, "text": TEXT, "label": [[6, 9, "COUNT"], [3, 6, "INSTITUTION"]]}) + "\n", encoding="utf-8")
    docs = {d.doc_id: d for d in load_corpus([tmp_path])}
    assert [(s.start, s.end, s.label) for s in docs["7"].entities] == [(3, 6, "INSTITUTION"), (6, 9, "COUNT")]
    assert [(s.start, s.end, s.label) for s in docs["d"].entities] == [(3, 6, "INSTITUTION"), (6, 9, "COUNT"), (15, 19, "COUNT")]
    assert docs["d"].relations[0] == (2, 3, "QUANTIFIES")


def test_corpus_validate_cli_exit_status(tmp_path):
    write(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["corpus", "validate", str(tmp_path)]).exit_code == 0
    write(tmp_path, ents=replace(GOOD_ENTS, 0, label="X"))
    res = runner.invoke(app, ["corpus", "validate", str(tmp_path)])
    assert res.exit_code == 1 and "unknown label 'X'" in res.output


def test_corpus_shipped_gold_is_valid():
    root = Path(__file__).resolve().parents[1] / "corpus" / "annotations"
    files = sorted(root.glob("*.jsonl"))
    if not [f for f in files if not f.name.endswith(".records.jsonl")]:
        pytest.fail("no gold annotations in corpus/annotations")
    assert [str(p) for p in validate_paths([root])] == []
