"""Edges of the component modules that the mutation check (docs/testing.md) found untested.

Each expectation is a fact of the input (a title's year, a heading's words, a
count's numerals) or of the component's contract (its error messages name the
component and the project file; saving twice to one folder works; JSON keys),
counted by hand, never copied from the output under test.
"""
from __future__ import annotations

import copy

import pytest
import spacy
import srsly

from pipeline.components.normalize import CountNormalizer, CountReading, prepare_tables, read_count
from pipeline.components.rules import FAMILIES, EntityRules, EntityRuleTables
from pipeline.components.rules.count import CountRules
from pipeline.components.rules.trim import TrimRules
from pipeline.components.structure import StructureRules, find_issuer
from pipeline.learning.rule_files import component_tables, read_table


def blank():
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "fazhi.ChineseTokenizer.v1", "segmenter": "char"}}})


# ------------------------------------------------------------------ messages and tables


@pytest.mark.parametrize(
    "component,call",
    [
        ("entity_rules", lambda c: c.initialize(lambda: [])),
        ("count_normalizer", lambda c: c.initialize(lambda: [])),
        ("report_structure", lambda c: c.initialize(lambda: [])),
        ("record_linker", lambda c: c.initialize(lambda: [])),
        ("count_normalizer", lambda c: c(blank().make_doc("召开会议3次。"))),
        ("report_structure", lambda c: c(blank().make_doc("召开会议3次。"))),
        ("record_linker", lambda c: c(blank().make_doc("召开会议3次。"))),
    ],
)
def test_component_without_tables_says_which_and_where(component, call):
    """A component without its tables fails naming itself, the config section and the project's file."""
    from pipeline.labels import COMPONENT_TABLES

    nlp = blank()
    comp = nlp.add_pipe(component)
    table, file = next(iter(COMPONENT_TABLES[component].items()))
    with pytest.raises(ValueError) as err:
        call(comp)
    msg = str(err.value)
    assert f"{component} has no {table}" in msg and f"[initialize.components.{component}.{table}]" in msg and f"corpus/rules/{file}" in msg


def test_entity_rules_without_tables_when_called():
    nlp = blank()
    comp = nlp.add_pipe("entity_rules")
    with pytest.raises(ValueError, match=r"entity_rules has no rule data"):
        comp(nlp.make_doc("召开会议3次。"))


def test_unknown_family_lists_the_known_ones():
    data = copy.deepcopy(read_table("entity_rules.json"))
    known = ", ".join(FAMILIES)
    data["families"]["spelling"] = True
    with pytest.raises(ValueError) as err:
        EntityRuleTables.from_dict(data)
    assert str(err.value) == f"unknown rule family 'spelling'; known: {known}"
    nlp = blank()
    with pytest.raises(ValueError) as err2:
        EntityRules(nlp, families=["count", "grammar"]).set_rules(read_table("entity_rules.json"))
    assert str(err2.value) == f"unknown rule family 'grammar'; known: {known}"


def test_families_option_switches_families():
    nlp = blank()
    comp = EntityRules(nlp, families=["count", "law"])
    comp.set_rules(read_table("entity_rules.json"))
    assert comp.tables.families == {f: f in ("count", "law") for f in FAMILIES}


def test_body_names_table_extends_the_standalone_nouns_without_comments():
    data = read_table("entity_rules.json")
    t = EntityRuleTables.from_dict(data, {"bodies": {"_about": ["注释委"], "kinds": ["测试仲裁委"]}})
    assert "测试仲裁委" in t.institution.standalone and "注释委" not in t.institution.standalone
    assert "测试仲裁委" not in EntityRuleTables.from_dict(data).institution.standalone


def test_rule_table_to_dict_gives_its_fields():
    """A rule family's table written back: every field by name, comments (``_`` keys) dropped, a copy."""
    section = read_table("entity_rules.json")["trim"]
    t = TrimRules.from_dict(section)
    d = t.to_dict()
    assert d == {k: v for k, v in section.items() if not k.startswith("_")}
    d["leading"].append("X")
    assert "X" not in t.leading
    c = CountRules.from_dict(read_table("entity_rules.json")["count"])
    assert set(c.to_dict()) == {"units", "unit_blockers", "ordinal_prefixes", "cn_word_prefixes", "hotline_regex", "formulas", "quote_max", "indefinite_units", "quota_cues", "drop_unmatched"}


def test_count_reading_as_json_fields():
    assert CountReading(3, "次", None).to_dict() == {"value": 3, "unit": "次", "approx": None}


def test_values_are_ints_when_whole():
    """3万余条 → 30000 (an int, written 30000 in JSON, not 30000.0); 32.9% stays 32.9."""
    tables = prepare_tables(read_table("count_units.json"))
    v = read_count("3万余条", "", "", tables).value
    assert v == 30000 and isinstance(v, int)
    v2 = read_count("32.9%", "", "", tables).value
    assert v2 == 32.9 and isinstance(v2, float)
    v3 = read_count("三十五件", "", "", tables).value
    assert v3 == 35 and isinstance(v3, int)


@pytest.mark.parametrize("component", ["entity_rules", "count_normalizer", "report_structure", "record_linker"])
def test_components_save_twice_to_one_folder_and_into_new_folders(component, tmp_path):
    """Saving a model again over itself (a retrain writing model-best) works, and so does a path whose parents do not exist."""
    nlp = blank()
    comp = nlp.add_pipe(component)
    comp.initialize(lambda: [], nlp=nlp, **{k: v for k, v in component_tables(component).items() if k != "ranker"})
    comp.to_disk(tmp_path / "a" / "b" / component)
    comp.to_disk(tmp_path / "a" / "b" / component)
    assert any((tmp_path / "a" / "b" / component).iterdir())


def test_structure_tables_of_older_models_without_optional_keys():
    """sections.json saved by models older than the issuer keys: no not-names, meta fields or followers; issuers still read."""
    data = {k: v for k, v in read_table("sections.json").items() if k not in ("issuer_not_names", "issuer_meta_fields", "issuer_opening_followers")}
    rules = StructureRules(data)
    assert find_issuer("东城区司法局\n\n2022年法治政府建设年度情况报告\n正文。", rules) == "东城区司法局"


# ------------------------------------------------------------------ report_structure: headings


@pytest.fixture(scope="module")
def srules():
    return StructureRules(read_table("sections.json"))


@pytest.mark.parametrize(
    "heading,year,section",
    [
        ("一、2023年推进法治政府建设的主要举措和成效", 2023, "achievements"),
        ("一、2023年推进法治政府建设的主要举措和成效", 2022, "plans"),  # dated after the report year
        ("二、存在的不足和原因", 2023, "shortcomings"),
        ("二、2024年存在的不足", 2023, "shortcomings"),  # a later year does not make a shortcoming a plan
        ("三、党政主要负责人履行推进法治建设第一责任人职责的情况", 2023, "responsibility"),
        ("四、2024年工作思路和主要安排", 2023, "plans"),
        ("五、2024年的目标", 2023, "plans"),  # no keyword, dated after the report year
        ("五、其他事项", 2023, None),  # no keyword, no year
        ("五、2023年其他事项", 2023, None),  # the report's own year is no plan
        ("五、其他事项", None, None),
    ],
)
def test_structure_classify_heading(srules, heading, year, section):
    assert srules.classify_heading(heading, year) == section


def test_structure_issuer_title_ending_in_guanyu(srules):
    """关于 between the unit and the year on a title line: 东三街道办事处关于2024年度法治政府建设情况的报告 → 东三街道办事处."""
    text = "东三街道办事处关于2024年度法治政府建设情况的报告\n2024年，街道坚持依法行政。\n一、主要举措和成效\n召开会议3次。"
    assert find_issuer(text, srules) == "东三街道办事处"


def test_structure_issuer_not_a_self_reference(srules):
    """我街道 / 本局 are no names: with only those the issuer is null."""
    assert find_issuer("2023年法治政府建设年度情况报告\n2023年，我街道坚持依法行政。", srules) is None
