"""Conversion to DocBin, evaluation arithmetic, and a short train → save → load-in-new-process run."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import spacy

from pipeline.learning.convert import convert
from pipeline.learning.corpus import AnnSpan, AnnotatedDoc, parse_doc
from pipeline.learning.evaluate import char_f1, score_records, score_spans

TEXT = "东城区司法局召开工委会48次。\n落实法律顾问制度。"


def char_nlp():
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "fazhi.ChineseTokenizer.v1", "segmenter": "char"}}})


def test_convert_aligned_spans_by_line():
    doc = parse_doc({"id": "d", "text": TEXT, "label": [[0, 6, "INSTITUTION"], [11, 14, "COUNT"], [18, 24, "MECHANISM"]]})
    db, report = convert(char_nlp(), [doc])
    docs = list(db.get_docs(char_nlp().vocab))
    assert [d.text for d in docs] == ["东城区司法局召开工委会48次。", "落实法律顾问制度。"]
    assert [(e.text, e.label_) for e in docs[0].ents] == [("东城区司法局", "INSTITUTION"), ("48次", "COUNT")]
    assert [(e.text, e.label_) for e in docs[1].ents] == [("法律顾问制度", "MECHANISM")]
    assert report.misaligned_examples == [] and report.spans["COUNT"] == 1


def test_convert_misaligned_span_is_counted_and_listed():
    nlp = spacy.blank("en")  # one token for a run of Chinese characters
    doc = AnnotatedDoc("d", "召开工委会 48次", [AnnSpan(3, 5, "INSTITUTION"), AnnSpan(6, 9, "COUNT")])
    _, report = convert(nlp, [doc])
    assert report.spans["INSTITUTION"] == 0 and report.misaligned["INSTITUTION"] == 1
    assert "委会" in report.misaligned_examples[0] and report.spans["COUNT"] == 1
    assert "INSTITUTION: 0 aligned, 1 misaligned" in report.summary()


def test_convert_overlapping_spans_keep_one_and_report():
    doc = AnnotatedDoc("d", "东城区司法局", [AnnSpan(0, 6, "INSTITUTION"), AnnSpan(3, 6, "INSTITUTION")])
    db, report = convert(char_nlp(), [doc])
    assert len(list(db.get_docs(char_nlp().vocab))[0].ents) == 1 and len(report.overlapping) == 1


def test_convert_reads_relation_form_too():
    obj = {"id": 1, "text": TEXT, "entities": [{"id": 5, "start_offset": 11, "end_offset": 14, "label": "COUNT"}, {"id": 6, "start_offset": 6, "end_offset": 11, "label": "ACTIVITY"}], "relations": [{"id": 1, "from_id": 5, "to_id": 6, "type": "QUANTIFIES"}]}
    db, report = convert(char_nlp(), [parse_doc(obj)])
    docs = list(db.get_docs(char_nlp().vocab))
    assert [(e.text, e.label_) for e in docs[0].ents] == [("48次", "COUNT")]  # ACTIVITY is not an NER label


def test_evaluate_arithmetic_on_hand_made_example():
    text = "0123456789" * 3
    gold = [(0, 3, "COUNT"), (5, 9, "LAW"), (10, 15, "INSTITUTION"), (20, 25, "MECHANISM")]
    pred = [(0, 3, "COUNT"), (5, 8, "LAW"), (10, 15, "MECHANISM"), (26, 28, "COUNT")]
    r = score_spans([("d", text, gold, pred)])
    pl = r["per_label"]
    assert pl["COUNT"]["strict"] == {"p": 0.5, "r": 1.0, "f": 0.6667, "n_gold": 1, "n_pred": 2}
    assert pl["LAW"]["strict"]["f"] == 0.0 and pl["LAW"]["lenient"]["f"] == 1.0
    assert r["micro"]["strict"]["p"] == 0.25 and r["micro"]["strict"]["r"] == 0.25
    assert r["confusion"]["INSTITUTION"] == {"MECHANISM": 1}
    assert r["confusion"]["MECHANISM"] == {"missed": 1}
    assert r["confusion"]["spurious"] == {"COUNT": 1}
    kinds = sorted((e["kind"], e["span"]["label"]) for e in r["errors"])
    assert kinds == [("missed", "MECHANISM"), ("spurious", "COUNT"), ("wrong label or boundary", "INSTITUTION"), ("wrong label or boundary", "LAW")]


def test_evaluate_records_arithmetic():
    g = [{"count": {"start": 0, "end": 3, "text": "48次"}, "activity": "召开工委会", "value": 48, "unit": "次", "approx": None, "section": "achievements"},
         {"count": {"start": 5, "end": 8, "text": "33次"}, "activity": "召开主任办公会", "value": 33, "unit": "次", "approx": None, "section": "achievements"}]
    p = [{"count": {"start": 0, "end": 3, "text": "48次"}, "activity": {"text": "召开工委会"}, "value": 48, "unit": "次", "approx": None, "section": "plans"},
         {"count": {"start": 5, "end": 8, "text": "33次"}, "activity": {"text": "办公"}, "value": 33, "unit": "次", "approx": None, "section": "achievements"}]
    r = score_records([(g, p)])
    assert char_f1("办公", "召开主任办公会") < 0.5
    assert (r["matched"], r["p"], r["r"], r["exact_activity"], r["section_acc"], r["value_acc"]) == (1, 0.5, 0.5, 1.0, 0.0, 1.0)



def test_evaluate_records_reads_punctuation_widths_alike():
    # gold is written in the raw text, the pipeline reads the cleaned text: the same characters at the
    # same offsets (对县(市、区)开展 / 对县（市、区）开展) are one activity, exactly
    g = [{"count": {"start": 4, "end": 6, "text": "4个"}, "activity": "对县(市、区),开展实地督察", "value": 4, "unit": "个", "approx": None, "section": "achievements"}]
    p = [{"count": {"start": 4, "end": 6, "text": "4个"}, "activity": {"text": "对县（市、区），开展实地督察"}, "value": 4, "unit": "个", "approx": None, "section": "achievements"}]
    r = score_records([(g, p)])
    assert (r["matched"], r["exact_activity"]) == (1, 1.0)

@pytest.mark.slow
def test_train_save_load_in_new_process_predict(trained_model):
    code = (
        "import json, spacy; nlp = spacy.load(%r); "
        "doc = nlp('东华门街道召开工委会48次、主任办公会33次，法律顾问审查各类合同281份。'); "
        "print(json.dumps({'pipes': nlp.pipe_names, 'ents': [(e.text, e.label_) for e in doc.ents], 'records': len(doc._.records), 'year': doc._.year}, ensure_ascii=False))"
    ) % str(trained_model)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["pipes"][-4:] == ["count_normalizer", "report_structure", "record_linker", "indicator_classifier"]
    assert all(label in ("COUNT", "LAW", "INSTITUTION", "MECHANISM") for _, label in res["ents"])
    assert res["records"] == sum(1 for _, label in res["ents"] if label == "COUNT")
