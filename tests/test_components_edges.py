"""Edges of the component modules that the mutation check (docs/testing.md) found untested.

Each expectation is a fact of the input (a title's year, a heading's words, a
count's numerals) or of the component's contract (its error messages name the
component and the project file; saving twice to one folder works; JSON keys),
counted by hand, never copied from the output under test.
"""
from __future__ import annotations

import copy
import re

import pytest
import spacy
import srsly

from pipeline.components.normalize import CountNormalizer, CountReading, prepare_tables, read_count
from pipeline.components.rules import FAMILIES, EntityRules, EntityRuleTables
from pipeline.components.rules.count import CountRules
from pipeline.components.rules.trim import TrimRules
from pipeline.components.structure import StructureRules, find_issuer, section_spans
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
    assert set(c.to_dict()) == {"units", "unit_blockers", "ordinal_prefixes", "cn_word_prefixes", "hotline_regex", "formulas", "quote_max", "indefinite_units", "quota_cues", "drop_unmatched", "page_meta_before", "names_after", "closing_units", "times_classifiers", "ordinal_before"}


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
    """本街道办事处 / 我局 are no names (issuer_not_names): with only those the issuer is null."""
    assert find_issuer("2023年法治政府建设年度情况报告\n2023年，本街道办事处坚持依法行政。", srules) is None
    assert find_issuer("2023年法治政府建设年度情况报告\n2023年，清波街道办事处坚持依法行政。", srules) == "清波街道办事处"


def test_structure_issuer_title_with_dui(srules):
    """对 between the unit and the year on the title line: the unit before it."""
    assert find_issuer("清波街道办事处对2023年法治政府建设情况的报告\n正文。", srules) == "清波街道办事处"


# ------------------------------------------------------------------ count_normalizer: forms outside the corpus


@pytest.fixture(scope="module")
def units():
    return prepare_tables(read_table("count_units.json"))


@pytest.mark.parametrize(
    "text,before,after,reading",
    [
        ("3 万元", "", "", (30000, "元", None)),  # a space before the magnitude: 万元 is a scaled unit (元 × 10000)
        ("2 亿元", "", "", (200000000, "元", None)),
        ("5 万人次", "", "", (50000, "人次", None)),
        ("2,5亿元", "", "", (250000000, "元", None)),  # a comma not followed by three digits is a decimal comma
        ("若干件", "", "", (None, "若干件", None)),  # no numeral: no value, the text as the unit
        ("1.2.3件", "", "", (None, "1.2.3件", None)),  # not a number
        ("3000人", "受益群众近 ", "", (3000, "人", "nearly")),  # the qualifier before a space
        ("3000人", "", "  以上", (3000, "人", "at_least")),
        ("千余人", "", "", (1000, "人", "more_than")),  # a bare magnitude is one of it
        ("百分之百", "", "", (100, "%", None)),  # a percentage written out
        ("百分之九十五点五", "", "", (95.5, "%", None)),
        ("百分之九十", "合格率达", "以上，", (90, "%", "at_least")),  # the qualifiers as for 90%
        ("百分之95．5", "", "", (95.5, "%", None)),  # a full-width decimal point
        ("百万余人", "", "", (1000000, "人", "more_than")),
    ],
)
def test_normalise_forms_outside_the_corpus(units, text, before, after, reading):
    r = read_count(text, before, after, units)
    assert (r.value, r.unit, r.approx) == reading


def test_prefix_qualifiers_longest_first():
    """大于 is tried before 于 whatever the table's order (不少于 before 少于 in the shipped one)."""
    got = prepare_tables({"prefix_approx": [["于", "x"], ["大于", "y"], ["少于", "less"], ["不少于", "at_least"]]})["prefix_approx"]
    assert [c for c, _ in got][:2] in (["大于", "不少于"], ["不少于", "大于"])
    assert {c for c, _ in got[2:]} == {"于", "少于"}


def test_normaliser_component_reads_the_context_at_the_text_start():
    """近 at offset 0 is the qualifier of the count right after it; 不少于 four characters before is too."""
    from pipeline.learning.rule_files import initialize_components

    nlp = blank()
    nlp.add_pipe("count_normalizer")
    initialize_components(nlp)
    doc = nlp.make_doc("近3000人参加，不少于60学时。")
    doc.ents = [doc.char_span(1, 6, label="COUNT"), doc.char_span(12, 16, label="COUNT")]
    doc = nlp.get_pipe("count_normalizer")(doc)
    assert [(e.text, e._.value, e._.unit, e._.approx) for e in doc.ents] == [("3000人", 3000, "人", "nearly"), ("60学时", 60, "学时", "at_least")]


# ------------------------------------------------------------------ record_linker: the documented rules on hand-made sentences


@pytest.fixture
def nlp_records():
    from pipeline.labels import RECORD_COMPONENTS
    from pipeline.learning.rule_files import initialize_components

    nlp = blank()
    for name in RECORD_COMPONENTS:
        nlp.add_pipe(name)
    return initialize_components(nlp, skip=("ranker",))


def records(nlp, text, ents):
    doc = nlp.make_doc(text)
    spans, pos = [], {}
    for label, surface in ents:
        start = text.index(surface, pos.get(surface, 0))
        pos[surface] = start + 1
        spans.append(doc.char_span(start, start + len(surface), label=label))
    doc.ents = spans
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return doc._.records


def test_link_count_first_conjunct_takes_the_verb(nlp_records):
    """召开12次月调度会、8次专题会: the second counted noun takes the first's verb; evidence = the noun after each count."""
    got = records(nlp_records, "召开12次月调度会、8次专题会。", [("COUNT", "12次"), ("COUNT", "8次")])
    assert [r["activity"] for r in got] == [{"text": "召开月调度会", "start": 5, "end": 9}, {"text": "召开专题会", "start": 12, "end": 15}]


def test_link_second_measure_of_one_activity(nlp_records):
    got = records(nlp_records, "接待信访8批次8人次。", [("COUNT", "8批次"), ("COUNT", "8人次")])
    assert [r["activity"] for r in got] == [{"text": "接待信访", "start": 0, "end": 4}] * 2


def test_link_count_at_the_start_has_an_empty_activity(nlp_records):
    got = records(nlp_records, "12件。", [("COUNT", "12件")])
    assert [(r["activity"]["text"], r["actor"], r["parent"]) for r in got] == [("", None, None)]


def test_link_ge_over_unequal_items(nlp_records):
    """各 over items of different lengths: each item with the verb, no shared head noun (查处违建, 查处占道经营, 查处无照经营)."""
    got = records(nlp_records, "查处违建、占道经营和无照经营各5起。", [("COUNT", "5起")])
    assert [r["activity"]["text"] for r in got] == ["查处违建", "查处占道经营", "查处无照经营"]


def test_link_year_and_filler_both_stripped(nlp_records):
    got = records(nlp_records, "2023年全年共召开会议5次。", [("COUNT", "5次")])
    assert [r["activity"] for r in got] == [{"text": "召开会议", "start": 8, "end": 12}]


def test_link_numeral_after_count_is_no_counted_noun(nlp_records):
    got = records(nlp_records, "审查合同5份二十余份已归档。", [("COUNT", "5份")])
    assert [r["activity"]["text"] for r in got] == ["审查合同"]


def test_link_activity_length_limit(nlp_records):
    """max_activity_chars (18): an activity of 18 characters is kept whole even with verbs in it; one of 19 is cut at its
    first verb (组织: no verb starts a conjunct); one without a verb of the table keeps its last 18 characters."""
    table = read_table("activity_rules.json")
    assert table["max_activity_chars"] == 18 and {"组织", "开展"} <= set(table["verbs"]) and not any(v in "向全区各单位配发" for v in table["verbs"])
    got = records(nlp_records, "各单位和社区组织开展法治宣传专题活动12场。", [("COUNT", "12场")])
    assert [r["activity"] for r in got] == [{"text": "各单位和社区组织开展法治宣传专题活动", "start": 0, "end": 18}]
    got = records(nlp_records, "全年。各单位和社区组织开展法治宣传专题活动等12场。", [("COUNT", "12场")])
    assert [r["activity"] for r in got] == [{"text": "组织开展法治宣传专题活动等", "start": 9, "end": 22}]
    # 向全区各单位配发《习近平法治思想学习纲要》: 21 characters, no verb of the table → the last 18, from offset 3 + 3
    got = records(nlp_records, "全年。向全区各单位配发《习近平法治思想学习纲要》2000余册。", [("LAW", "《习近平法治思想学习纲要》"), ("COUNT", "2000余册")])
    assert [r["activity"] for r in got] == [{"text": "各单位配发《习近平法治思想学习纲要》", "start": 6, "end": 24}]


def test_link_last_sentence_without_a_final_mark(nlp_records):
    """The last sentence of a text (no final 。) is the sentence of its counts."""
    got = records(nlp_records, "召开会议3次。组织培训5次", [("COUNT", "3次"), ("COUNT", "5次")])
    assert [(r["activity"]["text"], r["sentence"]) for r in got] == [("召开会议", "召开会议3次。"), ("组织培训", "组织培训5次")]


def test_link_actor_stated_once_for_the_sentence(nlp_records):
    got = records(nlp_records, "司法所全年办理案件5件，调解纠纷3件。", [("INSTITUTION", "司法所"), ("COUNT", "5件"), ("COUNT", "3件")])
    assert [(r["activity"]["text"], r["actor"]) for r in got] == [("办理案件", "司法所"), ("调解纠纷", "司法所")]
    got = records(nlp_records, "全年由司法所办理案件5件。", [("INSTITUTION", "司法所"), ("COUNT", "5件")])
    assert [(r["activity"], r["actor"]) for r in got] == [({"text": "办理案件", "start": 6, "end": 10}, "司法所")]


def test_link_records_without_parent_have_null(nlp_records):
    got = records(nlp_records, "召开会议3次。", [("COUNT", "3次")])
    assert got[0]["parent"] is None and got[0]["actor"] is None


# ------------------------------------------------------------------ entity_rules: boundaries, counted by hand on hand-made word lists


def _index(text, words):
    """A TextIndex whose segmenter gives ``words`` (start, end, flag), so word boundaries are known by hand."""
    from pipeline.components.rules.text import TextIndex

    return TextIndex(text, "。；！？\n：，", lambda t: [(a, b, t[a:b], f) for a, b, f in words])


def test_snap_moves_a_boundary_that_cuts_a_word_by_one_character():
    from pipeline.components.rules.trim import _snap

    ix = _index("甲乙丙丁", [(0, 1, "x"), (1, 2, "x"), (2, 4, "x")])
    assert _snap(ix, 0, 3) == (0, 2)  # 丙 is a lone first character of 丙丁, which runs past the end: dropped
    assert _snap(ix, 1, 3) == (1, 3)  # ... unless two characters or fewer would be left
    ix2 = _index("甲乙丙丁", [(0, 2, "x"), (2, 4, "x")])
    assert _snap(ix2, 1, 4) == (0, 4)  # 乙 is the lone last character of 甲乙, which runs in from the start: 甲 taken
    assert _snap(ix2, 2, 4) == (2, 4)


def test_trim_drops_the_governing_verbs_of_its_label_only():
    """leading_by_label: 建立健全 opens MECHANISM spans (dropped); for a LAW span it is not in the list."""
    from pipeline.components.rules.trim import trim_span

    r = TrimRules.from_dict(read_table("entity_rules.json")["trim"])
    text = "建立健全法律顾问制度。"
    ix = _index(text, [(0, 4, "v"), (4, 8, "n"), (8, 10, "n"), (10, 11, "x")])
    assert trim_span(ix, (0, 10, "MECHANISM"), r, "。") == (4, 10, "MECHANISM")
    assert trim_span(ix, (0, 10, "INSTITUTION"), r, "。") == (0, 10, "INSTITUTION")


def test_governing_words_skipped_by_part_of_speech_when_configured():
    """skip_flags (off in the shipped table): leading adverbs/verbs go out while min_modifier characters are left."""
    from pipeline.components.rules.mechanism import MechanismRules, _skip_governing_words

    data = dict(read_table("entity_rules.json")["mechanism"], skip_flags=["d", "v"], min_modifier=2)
    r = MechanismRules.from_dict(data)
    text = "全面推行执法公示制度"
    ix = _index(text, [(0, 2, "d"), (2, 4, "v"), (4, 6, "vn"), (6, 8, "n"), (8, 10, "n")])
    assert _skip_governing_words(ix, 0, 8, r) == 4  # 全面 (d), 推行 (v) out; 执法公示 left before the head 制度
    assert _skip_governing_words(ix, 2, 8, r) == 4
    assert _skip_governing_words(ix, 4, 8, r) == 4  # 执法 is vn, not skipped
    # never below min_modifier: 推行 before a 2-character modifier stays only when 2 would not be left
    assert _skip_governing_words(_index("推行公示制度", [(0, 2, "v"), (2, 4, "n"), (4, 6, "n")]), 0, 4, r) == 2
    assert _skip_governing_words(_index("推行示制度", [(0, 2, "v"), (2, 3, "n"), (3, 5, "n")]), 0, 3, r) == 0
    # a conjunction right after the verb keeps it (推行、完善X制度: the verbs are the modifier's conjuncts)
    assert _skip_governing_words(_index("推行、完善公示制度", [(0, 2, "v"), (2, 3, "x"), (3, 5, "v"), (5, 7, "n"), (7, 9, "n")]), 0, 7, r) == 0
    assert _skip_governing_words(_index("推行公示制度", [(0, 2, "v"), (2, 4, "n"), (4, 6, "n")]), 1, 4, r) == 1  # s not a word start
    off = MechanismRules.from_dict(dict(data, skip_flags=[]))
    assert _skip_governing_words(ix, 0, 8, off) == 0


@pytest.fixture(scope="module")
def nlp_rules():
    from pipeline.learning.rule_files import initialize_components

    nlp = blank()
    nlp.add_pipe("entity_rules")
    return initialize_components(nlp)


@pytest.mark.parametrize(
    "text",
    [
        "“街道综治中心”负责调处矛盾纠纷3件。",
        "中华人民共和国政府信息公开条例规定，办理申请21件。",
        "北京市东城区人民政府东华门街道办事处召开会议48次。",
        "三十五件行政复议案件已办结。",
        "《中华人民共和国行政处罚法》实施以来，开展培训3次。",
        "法律顾问制度和公职律师制度进一步健全。",
    ],
)
def test_rules_find_the_same_spans_at_the_text_start_as_after_a_sentence(nlp_rules, text):
    """What the rules find does not depend on the text starting right there (no offset 0 or 1 is special)."""
    prefix = "全年。\n"
    at_start = [(e.start_char, e.end_char, e.label_) for e in nlp_rules(text).ents]
    later = [(e.start_char - len(prefix), e.end_char - len(prefix), e.label_) for e in nlp_rules(prefix + text).ents]
    assert at_start == later and at_start


def test_law_title_without_marks_takes_the_state_prefix(nlp_rules):
    """A law title of the table (政府信息公开条例) written with 中华人民共和国 before it: the LAW span starts at the prefix."""
    text = "依据中华人民共和国政府信息公开条例，办理申请21件。"
    got = [(e.text, e.label_) for e in nlp_rules(text).ents]
    assert ("中华人民共和国政府信息公开条例", "LAW") in got
    # 个人所得税法: in the title table (law_titles.json), not among the national statute names of the rules
    assert "个人所得税法" in read_table("law_titles.json")["titles"] and "个人所得税法" not in read_table("entity_rules.json")["law"]["national_laws"]
    got = [(e.text, e.label_) for e in nlp_rules("宣传中华人民共和国个人所得税法，开展讲座3场。").ents]
    assert ("中华人民共和国个人所得税法", "LAW") in got


def test_link_role_before_the_first_verb_not_at_the_start(nlp_records):
    """A role (法律顾问) ending the words before the first verb, more than three characters in: the actor; the activity starts at the verb."""
    got = records(nlp_records, "全体街道法律顾问审查合同281份。", [("COUNT", "281份")])
    assert [(r["activity"], r["actor"]) for r in got] == [({"text": "审查合同", "start": 8, "end": 12}, "法律顾问")]


def test_link_institution_opening_a_clause_without_a_verb(nlp_records):
    """An INSTITUTION at the clause start is the actor even when no verb of the table follows (法律援助)."""
    got = records(nlp_records, "司法所全年法律援助5件。", [("INSTITUTION", "司法所"), ("COUNT", "5件")])
    assert [(r["activity"], r["actor"]) for r in got] == [({"text": "法律援助", "start": 5, "end": 9}, "司法所")]


def test_link_count_opening_a_sentence_belongs_to_it(nlp_records):
    got = records(nlp_records, "召开会议3次。5次为专题会。", [("COUNT", "3次"), ("COUNT", "5次")])
    assert [r["sentence"] for r in got] == ["召开会议3次。", "5次为专题会。"]


# ------------------------------------------------------------------ report_structure: titles, signatures, sections


def test_structure_issuer_after_the_year_on_the_title_line(srules):
    assert find_issuer("2023年清波街道法治政府建设年度报告\n正文。", srules) == "清波街道"


def test_structure_issuer_before_guanyu_on_a_title_without_year(srules):
    assert find_issuer("清波街道关于法治政府建设情况的报告\n正文。", srules) == "清波街道"


def test_structure_issuer_from_the_signature_of_a_short_text(srules):
    """Four lines: the signature block is still read (the last four non-empty lines)."""
    text = "法治政府建设年度情况报告\n2023年，我们坚持依法行政。\n清波街道办事处\n2024年1月10日"
    assert find_issuer(text, srules) == "清波街道办事处"


def test_structure_signature_names_split_at_wide_spaces(srules):
    """Names on one signature line are split at runs of spaces; a seal note after the name is no name."""
    text = "某报告\n正文。\n清波街道办事处    （公章）\n2024年1月10日"
    assert find_issuer(text, srules) == "清波街道办事处"


def test_structure_title_skips_metadata_lines_above_it():
    from pipeline.components.structure import find_title

    text = "来源：东城区政府网\n东城区司法局\n2022年法治政府建设年度情况报告\n正文。"
    title, after = find_title(text)
    assert title == ["东城区司法局", "2022年法治政府建设年度情况报告"]
    assert after == text.index("\n正文")


def test_structure_title_broken_over_two_lines_under_page_controls(srules):
    """A page's font controls (-, 字大, 字小) above a title broken in two: the title is both lines, its unit the issuer."""
    from pipeline.components.structure import find_title

    text = "-\n字大\n-\n字小\n锡盟司法局2022年度法治政府\n建设情况报告\n一、2022年工作完成情况\n正文。"
    assert find_title(text)[0][-1] == "锡盟司法局2022年度法治政府建设情况报告"
    assert find_issuer(text, srules) == "锡盟司法局"


@pytest.mark.parametrize("text, issuer", [
    # the unit's own line above a broken title stays part of it (review of session 8)
    ("锡林郭勒盟司法局\n2022年度法治政府\n建设情况报告\n正文。", "锡林郭勒盟司法局"),
    ("石门县司法局\n关于2022年度法治政府\n建设工作情况的报告\n正文。", "石门县司法局"),
    # the first half alone (…法治政府) is no unit's name
    ("关于2022年度法治政府\n建设工作情况的报告\n正文。", None),
])
def test_structure_broken_title_is_read_as_one_line(srules, text, issuer):
    assert find_issuer(text, srules) == issuer


@pytest.mark.parametrize("text, issuer", [
    # the report line's own unit before the page's publisher above it (round 8)
    ("工布江达县人民政府\n政府信息公开\n工布江达县巴河镇2024年度法治政府建设工作报告\n正文。", "工布江达县巴河镇"),
    # the issuer before 关于, not the subject after it
    ("中共柳州市柳南区委员会 柳州市柳南区人民政府关于柳南区2024年法治政府建设工作情况报告\n正文。", "柳州市柳南区人民政府"),
    # a party committee and the government of one place run together: the government, the place written alike or
    # with its higher levels on either side (second review of session 8)
    ("中共东昌区委东昌区人民政府关于2024年度法治政府建设工作情况的报告\n正文。", "东昌区人民政府"),
    ("中共柳南区委柳州市柳南区人民政府关于2023年度法治政府建设情况的报告\n正文。", "柳州市柳南区人民政府"),
    ("中共鄂尔多斯市伊金霍洛旗委员会伊金霍洛旗人民政府关于2023年法治政府建设情况的报告\n正文。", "伊金霍洛旗人民政府"),
    ("中共清波街道工作委员会清波街道办事处关于2023年法治政府建设情况的报告\n正文。", "清波街道办事处"),
    # a bureau's line above a report line naming its county: the bureau (only a government above yields)
    ("石门县司法局\n石门县2023年法治政府建设情况报告\n正文。", "石门县司法局"),
])
def test_structure_issuer_from_title_lines_of_other_provinces(srules, text, issuer):
    assert find_issuer(text, srules) == issuer


def test_structure_bare_government_in_the_opening_is_the_city_the_text_names(srules):
    """2024年，市政府坚持… names no place: the city named most (here inside titles), as for 我市; without one, 市政府."""
    text = "2024年，市政府坚持依法行政。\n制定《包头市停车条例》，修订《包头市物业条例》。"
    places = [(m.start(), m.start() + 3, "city") for m in re.finditer("包头市", text)]
    assert find_issuer(text, srules, places) == "包头市"
    assert find_issuer(text, srules, []) == "市政府"
    # also when the page's publisher is another unit (a justice bureau publishing its government's report)
    text = "发布机构：包头市司法局\n" + text
    places = [(m.start(), m.start() + 3, "city") for m in re.finditer("包头市", text)]
    assert find_issuer(text, srules, places) == "包头市"


def test_structure_issuer_a_new_town_district(srules):
    """新城 (泾河新城, a development district administered like a county) ends a unit's name."""
    assert find_issuer("泾河新城2022年度法治政府建设工作报告\n2022年，泾河新城深入贯彻落实。", srules) == "泾河新城"


REPORT_DATED = """某街道2023年法治政府建设年度情况报告
2023年，某街道坚持依法行政。
一、主要举措和成效
开展培训3次。
二、2024年的目标
在2024年里，街道将继续加强法治宣传教育，完善依法决策机制，推进严格规范公正文明执法。
计划开展培训5次。
某某街道办事处
2024年1月10日"""


def test_structure_sections_of_a_dated_heading_and_the_signature(srules):
    """二、2024年的目标 has no keyword but is dated after 2023: plans; the signature block (unit, date) is other; each part
    carries its level-1 heading."""
    from pipeline.components.structure import find_year

    year = find_year(REPORT_DATED)
    assert year == 2023
    secs = section_spans(REPORT_DATED, srules, year)
    at = lambda s: next(p for p in secs if p["start"] <= REPORT_DATED.index(s) <= p["end"])  # noqa: E731
    assert at("开展培训3次")["section"] == "achievements" and at("开展培训3次")["heading"] == "一、主要举措和成效"
    assert at("计划开展培训5次")["section"] == "plans" and at("计划开展培训5次")["heading"] == "二、2024年的目标"
    assert at("在2024年里")["section"] == "plans"
    assert at("某某街道办事处")["section"] == "other" and at("2024年1月10日")["section"] == "other"
    # the component reads the year itself and gives the same sections
    nlp = blank()
    nlp.add_pipe("report_structure").initialize(lambda: [], rules=read_table("sections.json"))
    doc = nlp(REPORT_DATED)
    assert doc._.year == 2023 and doc._.sections == secs and doc._.issuer == "某某街道办事处"


def test_structure_a_dated_heading_alone_makes_the_report_headed(srules):
    """The only level-1 heading has no keyword but is dated after the report year: the text is sectioned by headings
    (plans), not paragraph by paragraph."""
    text = "某县2023年法治政府建设情况报告\n一、2024年的目标\n开展培训5次。"
    secs = section_spans(text, srules, 2023)
    assert [p["section"] for p in secs if p["start"] >= text.index("一、")] == ["plans"]


def test_linker_initialized_with_the_ranker_table():
    """[initialize.components.record_linker.ranker]: the shipped weights are loaded (a copy) and saved with the linker."""
    nlp = blank()
    linker = nlp.add_pipe("record_linker")
    table = read_table("activity_ranker.json")
    linker.initialize(lambda: [], nlp=nlp, **component_tables("record_linker"))
    assert linker.ranker == table and linker.ranker is not table
    linker.initialize(lambda: [], nlp=nlp, rules=read_table("activity_rules.json"))
    assert linker.ranker is None


def test_mechanism_head_opening_a_system_is_no_mechanism(nlp_rules):
    """制度 followed by 体系 (not_head_before): 依法行政制度体系 is a system of rules, not one named mechanism; a model
    MECHANISM ending at that 制度 is dropped, and the rules add none."""
    assert read_table("entity_rules.json")["mechanism"]["not_head_before"] == ["体系"]
    # (依法行政制度 itself names a whole field, no mechanism, since session 7: generic_field_modifiers)
    text = "健全行政执法公示制度体系。"
    doc = nlp_rules.make_doc(text)
    doc.ents = [doc.char_span(2, 10, label="MECHANISM")]
    got = [(e.text, e.label_) for e in nlp_rules.get_pipe("entity_rules")(doc).ents]
    assert not any(label == "MECHANISM" for _, label in got), got
    doc = nlp_rules.make_doc("健全行政执法公示制度。")
    doc.ents = [doc.char_span(2, 10, label="MECHANISM")]
    assert [(e.text, e.label_) for e in nlp_rules.get_pipe("entity_rules")(doc).ents] == [("行政执法公示制度", "MECHANISM")]
