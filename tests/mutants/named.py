"""Named must-catch mutants: each is applied to a copy of the checkout, the tests that must kill it are run there.

    python tests/mutants/named.py [--only NAME] [--report docs/testing-named.json]

A mutant is killed when its killing tests fail on the mutated copy. The
unmutated copy must pass them first (a sanity run), so a kill is the
mutant's doing. The list is docs/testing.md's table.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# name → (file, original text, mutated text, killing tests)
MUTANTS: dict[str, tuple[str, str, str, list[str]]] = {
    "ner-disabled-in-extraction": (
        "pipeline/batch/document.py",
        "nlp.pipe((p for _, p in pieces), disable=record_pipes, batch_size=options.batch_size)",
        'nlp.pipe((p for _, p in pieces), disable=[*record_pipes, "ner"], batch_size=options.batch_size)',
        ["tests/test_gold.py::test_gold_ner_alone_predicts"],
    ),
    "entity-offsets-shifted-by-one": (
        "pipeline/batch/document.py",
        '"entities": [{"start": e.start_char, "end": e.end_char,',
        '"entities": [{"start": e.start_char + 1, "end": e.end_char + 1,',
        ["tests/test_gold.py::test_gold_extraction_finds_gold_entities_at_gold_offsets"],
    ),
    "ranker-inverted": (
        "pipeline/components/link.py",
        "if score > best_score:",
        "if -score > best_score:",
        ["tests/test_gold.py::test_gold_shipped_ranker_is_loaded_and_beats_the_rules"],
    ),
    "count-normaliser-skipped": (
        "pipeline/components/normalize.py",
        "ent._.value, ent._.unit, ent._.approx = r.value, r.unit, r.approx",
        "pass",
        ["tests/test_gold.py::test_gold_records_end_to_end"],
    ),
    "entity-rules-disabled": (
        "pipeline/components/rules/component.py",
        "ents = apply_rules(doc.text, [(e.start_char, e.end_char, e.label_) for e in doc.ents], self.tables, self.segmenter)",
        "ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]",
        ["tests/test_gold.py::test_gold_extraction_finds_gold_entities_at_gold_offsets"],
    ),
    "record-value-from-wrong-count": (
        "pipeline/components/link.py",
        "reading = (readings or {}).get((c.start, c.end), NO_READING)",
        "reading = (readings or {}).get(next(((p.start, p.end) for p in reversed(counts) if p.end <= c.start), (c.start, c.end)), NO_READING)",
        ["tests/test_gold.py::test_gold_records_end_to_end"],
    ),
}


def run_tests(tree: Path, tests: list[str]) -> bool:
    """True when the tests pass in ``tree`` (its own ``pipeline`` package first on the path)."""
    env = {**__import__("os").environ, "PYTHONPATH": str(tree), "FAZHI_TEST_MODEL_CACHE": str(ROOT / "training")}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests], cwd=tree, env=env, capture_output=True, text=True)
    return r.returncode == 0


def copy_tree(dst: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv*", ".git", "training", "out", "packages", "__pycache__", "*.egg-info", ".pytest_cache")
    shutil.copytree(ROOT, dst, ignore=ignore)
    return dst


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append")
    ap.add_argument("--report", type=Path)
    args = ap.parse_args()
    names = args.only or list(MUTANTS)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tree = copy_tree(Path(tmp) / "tree")
        for name in names:
            path, old, new, tests = MUTANTS[name]
            target = tree / path
            original = target.read_text(encoding="utf-8")
            if original.count(old) != 1:
                results[name] = {"status": "stale (original text not found once)", "tests": tests}
                continue
            t0 = time.time()
            if not run_tests(tree, tests):
                results[name] = {"status": "tests fail without the mutant", "tests": tests}
                continue
            target.write_text(original.replace(old, new), encoding="utf-8")
            try:
                killed = not run_tests(tree, tests)
            finally:
                target.write_text(original, encoding="utf-8")
            results[name] = {"status": "killed" if killed else "SURVIVED", "tests": tests, "seconds": round(time.time() - t0)}
            print(f"{name}: {results[name]['status']}", flush=True)
    if args.report:
        args.report.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0 if all(r["status"] == "killed" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
