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

from .corpus import NER_LABELS, AnnotatedDoc
from .sentences import sentence_span

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
