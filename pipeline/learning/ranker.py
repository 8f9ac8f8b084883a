"""Training of the linker's learned activity choice, compared by cross-validation.

The scoring (candidates, features, ``fazhi.activity_ranker.v1``) lives with
the component in ``pipeline/components/link.py``; this module only fits and
compares the weights. For every COUNT the rules (``link.link_records``) give one activity. This
module generates several candidate activities for the same count — the rules'
choice, the whole clause before the count, the clause from its first or last
verb, the noun after the count with the clause's last verb — describes each
with features from words, distance and punctuation, and trains a
scikit-learn logistic regression to tell good candidates (character-overlap
F1 ≥ 0.5 with the gold activity) from bad ones; the best-scored candidate is
the ranker's activity. ``compare_loro`` trains on four reports and scores on
the fifth, for each report, against the rules alone (docs/results.md §4).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import srsly

from pipeline.components.clean import clean_text
from pipeline.components.link import ActivityRules, Ent, candidates, char_f1, features, link_records, rank_activities, scan_text
from pipeline.learning.corpus import AnnotatedDoc, load_corpus, load_gold_records
from pipeline.learning.evaluate import score_records
from pipeline.learning.rule_files import read_table


def examples(docs: Iterable[AnnotatedDoc], gold: dict[str, list[dict[str, Any]]], rules: ActivityRules) -> list[tuple[str, dict, list]]:
    """(doc id, rule record, [(features, activity, is_good)]) for every rule record."""
    out = []
    for d in docs:
        by_count: dict[tuple[int, int], list[str]] = {}
        for g in gold.get(d.doc_id, []):
            if not g.get("no_record"):
                by_count.setdefault((g["count"]["start"], g["count"]["end"]), []).append(clean_text(g["activity"]))  # gold in the raw text, candidates in the cleaned
        ents = [Ent(s.start, s.end, s.label) for s in d.entities]
        text = clean_text(d.text)
        scan = scan_text(text)
        for rec in link_records(text, ents, rules):
            golds = by_count.get((rec["count"]["start"], rec["count"]["end"]), [])
            cands = []
            for kind, act, dist, _, _ in candidates(text, rec, rules, scan):
                good = any(char_f1(act, g) >= 0.5 for g in golds)
                cands.append((features(kind, act, dist, rec["activity"]["text"], rules), act, good))
            out.append((d.doc_id, rec, cands))
    return out


def train_ranker(docs: Iterable[AnnotatedDoc], gold: dict[str, list[dict[str, Any]]], rules: ActivityRules) -> dict[str, Any]:
    """Fit the logistic regression on the documents' gold records; returns plain weights (JSON-able)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    train = [c for _, _, cands in examples(docs, gold, rules) for c in cands]
    vec = DictVectorizer()
    X = vec.fit_transform([f for f, _, _ in train])
    clf = LogisticRegression(max_iter=2000, C=1.0, random_state=0).fit(X, [int(g) for _, _, g in train])
    names = vec.get_feature_names_out()
    return {"weights": {str(n): round(float(w), 6) for n, w in zip(names, clf.coef_[0]) if w}, "intercept": round(float(clf.intercept_[0]), 6)}


def compare_loro(corpus: list[Path]) -> dict[str, Any]:
    """Leave-one-report-out records F1 (from gold entities): rules alone vs the ranker (the component's own scoring)."""
    rules = ActivityRules(read_table("activity_rules.json"))
    docs = load_corpus(corpus)
    gold = load_gold_records(corpus)
    folds = []
    for held in docs:
        model = train_ranker([d for d in docs if d.doc_id != held.doc_id], gold, rules)
        text = clean_text(held.text)
        rule_preds = link_records(text, [Ent(s.start, s.end, s.label) for s in held.entities], rules)
        ranked_preds = rank_activities(text, rule_preds, rules, model)
        g = gold.get(held.doc_id, [])
        folds.append({"held_out": held.doc_id, "rules": score_records([(g, rule_preds)])["f"], "ranker": score_records([(g, ranked_preds)])["f"]})
    mean = {k: round(sum(f[k] for f in folds) / len(folds), 4) for k in ("rules", "ranker")}
    return {"folds": folds, "mean": mean}


def train_cli_run(corpus: list[Path], out: Path) -> dict[str, Any]:
    """``make ranker``: train on every gold record of the corpus and write the weights."""
    rules = ActivityRules(read_table("activity_rules.json"))
    gold = load_gold_records(corpus)
    model = train_ranker(load_corpus(corpus), gold, rules)
    srsly.write_json(out, model)
    return model


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1:2] == ["train"]:
        train_cli_run([Path("corpus/annotations")], Path(sys.argv[2]))
    else:
        print(json.dumps(compare_loro([Path("corpus/annotations")]), indent=1))
