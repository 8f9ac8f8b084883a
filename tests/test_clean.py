"""The cleaning tokenizer: length-preserving, artefacts and half-width punctuation, raw text kept."""
from __future__ import annotations

import pytest
import spacy

from pipeline.components.clean import clean_text, raw_text


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("[bookmark: _Hlk178152442]3.优化", " " * len("[bookmark: _Hlk178152442]") + "3.优化"),
        ("坚持党建引领,扎实推进;(一)", "坚持党建引领，扎实推进；（一）"),
        ("入户走访398次.下一步", "入户走访398次。下一步"),
        ("成功率为88.2%.", "成功率为88.2%。"),
        ("1.持续推进", "1.持续推进"),
        ("办理1,200件", "办理1,200件"),
        ("召开１２次\u3000会议", "召开12次 会议"),
    ],
)
def test_clean_text_maps_one_for_one(raw, clean):
    assert clean_text(raw) == clean and len(clean_text(raw)) == len(raw)


def test_clean_tokenizer_keeps_raw_text_and_offsets():
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "fazhi.ChineseTokenizer.v1", "segmenter": "char"}}})
    raw = "[bookmark: _Hlk1]共召开工委会48次,主任办公会33次"
    doc = nlp(raw)
    assert len(doc.text) == len(raw) and raw_text(doc) == raw
    span = doc.char_span(raw.index("48次"), raw.index("48次") + 3)
    assert raw[span.start_char : span.end_char] == "48次"
    assert raw_text(nlp("无需清洗。")) == "无需清洗。"


def test_entity_offsets_equal_doc_ents():
    from pipeline.spans import entity_offsets

    nlp = spacy.blank("zh")
    doc = nlp("东城区司法局召开工委会48次主任办公会33次")
    doc.ents = [doc.char_span(0, 6, "INSTITUTION"), doc.char_span(8, 11, "INSTITUTION"), doc.char_span(11, 14, "COUNT"), doc.char_span(19, 22, "COUNT")]
    assert entity_offsets(doc) == [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    doc.ents = [doc.char_span(18, 22, "COUNT")]
    assert entity_offsets(doc) == [(18, 22, "COUNT")]
    assert entity_offsets(nlp("")) == []
    jb = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    d2 = jb("召开工委会48次")
    d2.ents = [d2.char_span(5, 8, "COUNT", alignment_mode="expand")]
    assert entity_offsets(d2) == [(e.start_char, e.end_char, e.label_) for e in d2.ents]
