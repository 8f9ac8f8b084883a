"""Evaluation: per-label strict and lenient P/R/F1, confusion table, errors.

Strict: a predicted span counts when its start, end and label equal a gold
span's. Lenient: when it overlaps a gold span of the same label (precision
over predicted spans, recall over gold spans). The confusion table crosses
each gold span with the predicted span that overlaps it most (``missed`` if
none) and lists predicted spans that overlap no gold span as ``spurious``.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

from pipeline.labels import NER_LABELS, RECORD_COMPONENTS
from pipeline.learning.corpus import AnnotatedDoc
from pipeline.components.clean import clean_text
from pipeline.components.link import char_f1, record_activity
from pipeline.sentences import sentence_span

Spanish = tuple[int, int, str]


def prf(tp: float, n_pred: float, n_gold: float) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f": round(f, 4), "n_gold": int(n_gold), "n_pred": int(n_pred)}


def _overlap(a: Spanish, b: Spanish) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def score_spans(docs: Sequence[tuple[str, str, Sequence[Spanish], Sequence[Spanish]]], labels: Sequence[str] = NER_LABELS) -> dict[str, Any]:
    """Score (doc_id, text, gold, pred) tuples; returns per-label, micro, confusion and errors."""
    strict_tp: Counter = Counter()
    len_tp_p: Counter = Counter()
    len_tp_r: Counter = Counter()
    n_gold: Counter = Counter()
    n_pred: Counter = Counter()
    confusion: dict[str, Counter] = defaultdict(Counter)
    errors: list[dict[str, Any]] = []
    for doc_id, text, gold, pred in docs:
        gold_set, pred_set = set(gold), set(pred)
        n_gold.update(g[2] for g in gold)
        n_pred.update(p[2] for p in pred)
        strict_tp.update(g[2] for g in gold_set & pred_set)
        for g in gold:
            if any(_overlap(g, p) and p[2] == g[2] for p in pred):
                len_tp_r[g[2]] += 1
            best = max(pred, key=lambda p: _overlap(g, p), default=None)
            confusion[g[2]][best[2] if best and _overlap(g, best) else "missed"] += 1
            if g not in pred_set:
                kind = "wrong label or boundary" if best and _overlap(g, best) else "missed"
                errors.append(_error(doc_id, text, "gold", g, kind, best if best and _overlap(g, best) else None))
        for p in pred:
            if any(_overlap(p, g) and p[2] == g[2] for g in gold):
                len_tp_p[p[2]] += 1
            if not any(_overlap(p, g) for g in gold):
                confusion["spurious"][p[2]] += 1
                errors.append(_error(doc_id, text, "pred", p, "spurious", None))
    per_label = {}
    for lab in labels:
        per_label[lab] = {
            "strict": prf(strict_tp[lab], n_pred[lab], n_gold[lab]),
            "lenient": {
                **prf(0, 0, 0),
                "p": round(len_tp_p[lab] / n_pred[lab], 4) if n_pred[lab] else 0.0,
                "r": round(len_tp_r[lab] / n_gold[lab], 4) if n_gold[lab] else 0.0,
                "n_gold": n_gold[lab],
                "n_pred": n_pred[lab],
            },
        }
        lp, lr = per_label[lab]["lenient"]["p"], per_label[lab]["lenient"]["r"]
        per_label[lab]["lenient"]["f"] = round(2 * lp * lr / (lp + lr), 4) if lp + lr else 0.0
    tot_g, tot_p = sum(n_gold[l] for l in labels), sum(n_pred[l] for l in labels)
    micro_strict = prf(sum(strict_tp[l] for l in labels), tot_p, tot_g)
    lp = sum(len_tp_p[l] for l in labels) / tot_p if tot_p else 0.0
    lr = sum(len_tp_r[l] for l in labels) / tot_g if tot_g else 0.0
    micro_len = {"p": round(lp, 4), "r": round(lr, 4), "f": round(2 * lp * lr / (lp + lr), 4) if lp + lr else 0.0}
    return {
        "per_label": per_label,
        "micro": {"strict": micro_strict, "lenient": micro_len},
        "confusion": {k: dict(v) for k, v in confusion.items()},
        "errors": errors,
    }


def _error(doc_id: str, text: str, side: str, span: Spanish, kind: str, other: Spanish | None) -> dict[str, Any]:
    s0, s1 = sentence_span(text, span[0])
    return {
        "doc": doc_id,
        "side": side,
        "kind": kind,
        "span": {"start": span[0], "end": span[1], "label": span[2], "text": text[span[0] : span[1]]},
        "other": {"start": other[0], "end": other[1], "label": other[2], "text": text[other[0] : other[1]]} if other else None,
        "sentence": text[s0:s1],
    }


def predict_spans(nlp: Any, docs: Iterable[AnnotatedDoc]) -> list[tuple[str, str, list[Spanish], list[Spanish]]]:
    """Run ``nlp`` over each annotated document's text; pair gold and predicted spans."""
    docs = list(docs)
    out = []
    disable = [p for p in ("record_linker",) if p in nlp.pipe_names]
    for ann, doc in zip(docs, nlp.pipe((d.text for d in docs), disable=disable)):
        gold = [(s.start, s.end, s.label) for s in ann.entities]
        pred = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in NER_LABELS]
        out.append((ann.doc_id, ann.text, gold, pred))
    return out


def evaluate_model(model: Path | Any, docs: Iterable[AnnotatedDoc]) -> dict[str, Any]:
    """Load (or take) a pipeline and score it on annotated documents."""
    import spacy

    nlp = spacy.load(model) if isinstance(model, (str, Path)) else model
    return score_spans(predict_spans(nlp, docs))


def to_markdown(result: dict[str, Any], title: str = "Evaluation", max_errors: int = 200) -> str:
    """A person-readable report of ``score_spans`` output."""
    lines = [f"# {title}", "", "| label | strict P | strict R | strict F1 | lenient F1 | gold | pred |", "|---|---|---|---|---|---|---|"]
    for lab, r in result["per_label"].items():
        s, l = r["strict"], r["lenient"]
        lines.append(f"| {lab} | {s['p']:.3f} | {s['r']:.3f} | {s['f']:.3f} | {l['f']:.3f} | {s['n_gold']} | {s['n_pred']} |")
    m = result["micro"]
    lines.append(f"| **micro** | {m['strict']['p']:.3f} | {m['strict']['r']:.3f} | {m['strict']['f']:.3f} | {m['lenient']['f']:.3f} | {m['strict']['n_gold']} | {m['strict']['n_pred']} |")
    cols = [*NER_LABELS, "missed"]
    lines += ["", "## Confusion (rows gold, columns predicted)", "", "| gold \\ pred | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for row in [*NER_LABELS, "spurious"]:
        c = result["confusion"].get(row, {})
        lines.append(f"| {row} | " + " | ".join(str(c.get(k, 0)) for k in cols) + " |")
    lines += ["", f"## Errors ({len(result['errors'])})", ""]
    for e in result["errors"][:max_errors]:
        o = f" → pred {e['other']['label']} {e['other']['text']!r}" if e["other"] else ""
        lines.append(f"- {e['doc']} {e['kind']}: {e['side']} {e['span']['label']} {e['span']['text']!r}{o} — {e['sentence'][:80]}")
    return "\n".join(lines) + "\n"


def write_report(result: dict[str, Any], out: Path, title: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "evaluation.md").write_text(to_markdown(result, title), encoding="utf-8")


def score_records(pairs: Sequence[tuple[Sequence[dict[str, Any]], Sequence[dict[str, Any]]]], min_overlap: float = 0.5) -> dict[str, Any]:
    """Score (gold records, predicted records) per document.

    A predicted record matches a gold one when the count spans are equal and the
    activities' character-overlap F1 is at least ``min_overlap``; matching is
    one-to-one, best overlap first. Field accuracies are over matched pairs.
    """
    n_gold = n_pred = tp = exact = 0
    fields = Counter()
    errors: list[dict[str, Any]] = []
    for gold, pred in pairs:
        gold = [g for g in gold if not g.get("no_record")]
        n_gold += len(gold)
        n_pred += len(pred)
        cands = []
        for i, g in enumerate(gold):
            for j, p in enumerate(pred):
                if (g["count"]["start"], g["count"]["end"]) == (p["count"]["start"], p["count"]["end"]):
                    cands.append((char_f1(activity_text(g), activity_text(p)), i, j))
        used_g, used_p = set(), set()
        for ov, i, j in sorted(cands, reverse=True):
            if ov < min_overlap or i in used_g or j in used_p:
                continue
            used_g.add(i)
            used_p.add(j)
            tp += 1
            g, p = gold[i], pred[j]
            exact += activity_text(g) == activity_text(p)
            for f in ("value", "unit", "approx", "section"):
                fields[f] += _same(g.get(f), p.get(f))
        for i, g in enumerate(gold):
            if i not in used_g:
                best = max((p for p in pred if p["count"]["start"] == g["count"]["start"]), key=lambda p: char_f1(activity_text(g), activity_text(p)), default=None)
                errors.append({"kind": "missed", "count": g["count"]["text"], "gold": activity_text(g), "pred": activity_text(best) if best else None, "sentence": g.get("sentence", "")[:120]})
        for j, p in enumerate(pred):
            if j not in used_p and not any(g["count"]["start"] == p["count"]["start"] for g in gold):
                errors.append({"kind": "spurious", "count": p["count"]["text"], "gold": None, "pred": activity_text(p), "sentence": p.get("sentence", "")[:120]})
    out = prf(tp, n_pred, n_gold)
    out["matched"] = tp
    out["exact_activity"] = round(exact / tp, 4) if tp else 0.0
    for f in ("value", "unit", "approx", "section"):
        out[f"{f}_acc"] = round(fields[f] / tp, 4) if tp else 0.0
    out["errors"] = errors
    return out


def activity_text(r: dict[str, Any] | None) -> str:
    """The record's activity in the pipeline's canonical form: gold is written in the raw text
    (``(市、区)``, ``,``), the pipeline reads the cleaned text (``（市、区）``, ``，``); the same
    characters at the same offsets must compare equal."""
    return clean_text(record_activity(r)) if r is not None else ""


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-6
    return a == b


def count_normalizer_accuracy(records: Sequence[dict[str, Any]], text_of: dict[str, str]) -> dict[str, float]:
    """value/unit/approx accuracy of the normaliser on gold COUNT spans with gold records."""
    from pipeline.components.normalize import prepare_tables, read_count
    from pipeline.learning.rule_files import component_tables

    tables = prepare_tables(component_tables("count_normalizer")["tables"])

    n = 0
    ok = Counter()
    for r in records:
        if r.get("no_record"):
            continue
        text = text_of[r["doc"]]
        c = r["count"]
        got = read_count(c["text"], text[max(0, c["start"] - 4) : c["start"]], text[c["end"] : c["end"] + 4], tables).to_dict()
        n += 1
        for f in ("value", "unit", "approx"):
            ok[f] += _same(got[f], r.get(f))
    return {f"{f}_acc": round(ok[f] / n, 4) if n else 0.0 for f in ("value", "unit", "approx")} | {"n": n}


def records_pipeline(components: Sequence[str] = RECORD_COMPONENTS, skip: Sequence[str] = ("ranker",)) -> Any:
    """A pipeline without NER: cleaning tokenizer + record components (entities come from gold).

    ``skip`` names tables left out (by default the ranker's: the linker's rules alone)."""
    import spacy

    from pipeline.learning.rule_files import initialize_components

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "fazhi.ChineseTokenizer.v1", "segmenter": "char"}}})
    for name in components:
        nlp.add_pipe(name)
    return initialize_components(nlp, skip=skip)


def link_from_gold(nlp: Any, ann: AnnotatedDoc) -> list[dict[str, Any]]:
    """Records the linker makes from an annotated document's gold entities."""
    doc = nlp.make_doc(ann.text)
    doc.ents = [doc.char_span(s.start, s.end, label=s.label) for s in ann.entities]
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return doc._.records


def evaluate_records(docs: Sequence[AnnotatedDoc], gold: dict[str, list[dict[str, Any]]], model: Any = None) -> dict[str, Any]:
    """Record scores from gold entities (``model`` None) or end to end with ``model``."""
    if model is None:
        nlp = records_pipeline()
        preds = [link_from_gold(nlp, d) for d in docs]
    else:
        preds = [doc._.records for doc in model.pipe(d.text for d in docs)]
    return score_records([(gold.get(d.doc_id, []), p) for d, p in zip(docs, preds)])


ISSUER_AFFIXES = (("中共",), ("人民政府办公室", "办事处", "人民政府", "政府"))


def _issuer_core(name: str) -> str:
    name = name.strip()
    for p in ISSUER_AFFIXES[0]:
        if name.startswith(p):
            name = name[len(p) :]
    for s in ISSUER_AFFIXES[1]:
        if name.endswith(s) and len(name) > len(s) + 1:
            name = name[: -len(s)]
    return name


def issuer_matches(gold: str | None, pred: str | None) -> bool:
    """The predicted issuer names the gold unit: equal after dropping 中共/办事处/人民政府,
    or the same unit with or without its higher-level place prefix (杭州市上城区清波街道 = 清波街道)."""
    if not gold or not pred:
        return gold == pred
    g, p = _issuer_core(gold), _issuer_core(pred)
    if g == p:
        return True
    shorter, longer = sorted((g, p), key=len)
    return len(shorter) >= 3 and longer.endswith(shorter) and len(longer) - len(shorter) <= 12


def evaluate_devset(nlp: Any, docs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Score a pipeline on dev-set documents (``devset.load_gold``): entities, records, issuer, year, sections."""
    preds = list(nlp.pipe(d["text"] for d in docs))
    spans = [
        (d["id"], d["text"], list(d["entities"]), [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in NER_LABELS])
        for d, doc in zip(docs, preds)
    ]
    result = score_spans(spans)
    result["records"] = score_records([(d["records"], doc._.records) for d, doc in zip(docs, preds)])
    issuers = [
        {"doc": d["id"], "gold": d["meta"].get("issuer"), "pred": doc._.issuer, "ok": issuer_matches(d["meta"].get("issuer"), doc._.issuer)}
        for d, doc in zip(docs, preds)
    ]
    years = [{"doc": d["id"], "gold": d["meta"].get("year"), "pred": doc._.year} for d, doc in zip(docs, preds)]
    result["issuer"] = {"acc": round(sum(i["ok"] for i in issuers) / len(issuers), 4) if issuers else 0.0, "items": issuers}
    result["year"] = {"acc": round(sum(y["gold"] == y["pred"] for y in years) / len(years), 4) if years else 0.0, "items": years}
    result["n_docs"] = len(docs)
    return result


def devset_markdown(result: dict[str, Any], title: str) -> str:
    """``to_markdown`` plus the records, issuer, year and section lines of a dev-set evaluation."""
    r = result["records"]
    md = to_markdown(result, title)
    md += (
        f"\nDocuments: {result['n_docs']}\n\nRecords: P {r['p']:.3f} R {r['r']:.3f} F1 {r['f']:.3f}, exact activity {r['exact_activity']:.3f}, "
        f"value {r['value_acc']:.3f}, unit {r['unit_acc']:.3f}, approx {r['approx_acc']:.3f}, section {r['section_acc']:.3f}\n"
        f"\nIssuer accuracy {result['issuer']['acc']:.3f}; year accuracy {result['year']['acc']:.3f}\n\n## Issuer\n\n"
    )
    md += "".join(f"- {'ok ' if i['ok'] else 'ERR'} {i['doc']}: gold {i['gold']!r} pred {i['pred']!r}\n" for i in result["issuer"]["items"])
    md += "\n## Record errors\n\n" + "".join(f"- {e['kind']}: {e['count']} gold {e['gold']!r} pred {e['pred']!r}\n" for e in r["errors"][:200])
    return md
