"""Mutation score of the component modules with mutmut 3, on a reproducible stratified sample.

    python tests/mutants/score.py [--per-group 120] [--seed 14] [--report docs/testing-mutmut.json] [--doc docs/testing.md]

mutmut (configured in pyproject.toml ``[tool.mutmut]``) copies the checkout
to ``mutants/``, generates every mutant of ``pipeline/components`` there, and
runs, per mutant, only the fast tests that reach the mutated function. The full
set (~4,400 mutants) takes well over an hour on two shared cores, so this
script draws ``--per-group`` mutants from each module group with a fixed seed
(all of a group when it has fewer), runs those, and reports per group:
killed / (sampled − equivalent), with a 95% Wilson interval, and an overall
score weighted by the groups' sizes.

Statuses: a failing test or a timeout kills a mutant; "no tests" (no selected
test reaches the function) counts as survived. Survivors that cannot change
behaviour are listed, with the reason, in ``tests/mutants/equivalent.json`` and
left out of the denominator (their number is reported).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTMUT = [str(Path(sys.executable).parent / "mutmut")]
EQUIVALENT = Path(__file__).with_name("equivalent.json")
BEGIN, END = "<!-- mutmut:begin -->", "<!-- mutmut:end -->"

# The linker module holds two parts: the rules that make records, and the learned activity choice (the ranker's scoring).
RANKER_FUNCTIONS = ("candidates", "features", "char_f1", "rank_activities", "activity_ranker_v1")
TARGET = ("rules", "normaliser", "structure", "linker", "ranker")


def group_of(name: str) -> str:
    """The module group of a mutant name (``pipeline.components.link.x_candidates__mutmut_3``)."""
    module, func = name.split("__mutmut_")[0].rsplit(".", 1)
    if module.startswith("pipeline.components.rules."):
        return "rules"
    if module == "pipeline.components.normalize":
        return "normaliser"
    if module == "pipeline.components.structure":
        return "structure"
    if module == "pipeline.components.link":
        return "ranker" if func.removeprefix("x_") in RANKER_FUNCTIONS else "linker"
    return module.rsplit(".", 1)[-1]  # clean, features: components outside the target, reported apart


def status(code) -> str:
    if code in (1, 3) or code in (36, 24, -24, 152, 255):
        return "killed"  # a failing test, or a timeout (the mutant looped)
    if code == 0:
        return "survived"
    if code in (5, 33):
        return "no tests"
    if code is None:
        return "not checked"
    return f"other ({code})"


def all_mutants(tree: Path) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for meta in sorted((tree / "mutants" / "pipeline" / "components").rglob("*.meta")):
        out.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return out


def mutmut(args: list[str]) -> int:
    env = {**os.environ, "PYTHONPATH": ""}
    return subprocess.run(["nice", "-n", "10", *MUTMUT, *args], cwd=ROOT, env=env).returncode


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = p + z * z / (2 * n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return ((c - h) / d, (c + h) / d)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-group", type=int, default=120)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--report", type=Path, default=ROOT / "docs" / "testing-mutmut.json")
    ap.add_argument("--doc", type=Path, default=ROOT / "docs" / "testing.md")
    ap.add_argument("--reuse", action="store_true", help="keep mutants/ and only report (no run)")
    args = ap.parse_args()
    t0 = time.time()

    # the checkout's own entry points (spaCy factories), ahead of whatever the shared venv registered
    subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "egg_info"], cwd=ROOT, check=True, capture_output=True)
    if not args.reuse:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        # generates every mutant and the test↔function map; runs one cheap mutant
        if mutmut(["run", "--max-children", "2", "pipeline.components.normalize.x__tidy__mutmut_1"]) != 0:
            print("mutmut could not generate the mutants", file=sys.stderr)
            return 2
    everything = all_mutants(ROOT)
    by_group: dict[str, list[str]] = {}
    for name in sorted(everything):
        by_group.setdefault(group_of(name), []).append(name)
    rng = random.Random(args.seed)
    sample = {g: sorted(rng.sample(names, min(args.per_group, len(names)))) for g, names in sorted(by_group.items())}
    chosen = [n for names in sample.values() for n in names]
    if not args.reuse:
        mutmut(["run", "--max-children", "2", *chosen])
    results = all_mutants(ROOT)
    equivalent = json.loads(EQUIVALENT.read_text(encoding="utf-8")) if EQUIVALENT.exists() else {}

    groups = {}
    for g, names in sample.items():
        st = Counter(status(results.get(n)) for n in names)
        eq = [n for n in names if n in equivalent and status(results.get(n)) != "killed"]
        n = len(names) - len(eq)
        k = st["killed"]
        lo, hi = wilson(k, n)
        groups[g] = {
            "mutants": len(by_group[g]),
            "sampled": len(names),
            "killed": k,
            "survived": st["survived"],
            "no_tests": st["no tests"],
            "equivalent": len(eq),
            "not_checked": st["not checked"],
            "score": round(k / n, 3) if n else None,
            "ci95": [round(lo, 3), round(hi, 3)],
            "surviving": sorted(m for m in names if status(results.get(m)) != "killed" and m not in equivalent),
        }
    # the target's score: each group's score weighted by its number of mutants (a stratified estimate)
    tg = [g for g in TARGET if g in groups and groups[g]["score"] is not None]
    weight = {g: groups[g]["mutants"] for g in tg}
    total = sum(weight.values())
    overall = sum(weight[g] * groups[g]["score"] for g in tg) / total
    var = sum((weight[g] / total) ** 2 * groups[g]["score"] * (1 - groups[g]["score"]) / max(1, groups[g]["sampled"] - groups[g]["equivalent"]) * (1 - groups[g]["sampled"] / groups[g]["mutants"]) for g in tg)
    report = {
        "date": dt.date.today().isoformat(),
        "tool": "mutmut " + __import__("importlib.metadata").metadata.version("mutmut"),
        "seed": args.seed,
        "per_group": args.per_group,
        # --reuse only re-reports: keep the run's own time
        "minutes": json.loads(args.report.read_text(encoding="utf-8"))["minutes"] if args.reuse and args.report.exists() else round((time.time() - t0) / 60, 1),
        "target_score": round(overall, 3),
        "target_ci95": [round(overall - 1.96 * math.sqrt(var), 3), round(overall + 1.96 * math.sqrt(var), 3)],
        "groups": groups,
    }
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.doc:
        write_doc(args.doc, report)
    print(markdown(report))
    return 0 if overall >= 0.80 else 1


def markdown(r: dict) -> str:
    rows = [
        "| group | modules | mutants | sampled | killed | survived | no tests | equivalent | score | 95% interval |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    where = {
        "rules": "`components/rules/*.py`",
        "normaliser": "`components/normalize.py`",
        "structure": "`components/structure.py`",
        "linker": "`components/link.py` (rules part)",
        "ranker": "`components/link.py`: " + ", ".join(f"`{f}`" for f in RANKER_FUNCTIONS[:4]),
        "clean": "`components/clean.py` (not in the target)",
        "features": "`components/features.py` (not in the target)",
        "indicate": "`components/indicate.py` (not in the target: added after it was set)",
    }
    order = [g for g in (*TARGET, "clean", "features") if g in r["groups"]]
    for g in order:
        x = r["groups"][g]
        rows.append(
            f"| {g} | {where.get(g, g)} | {x['mutants']} | {x['sampled']} | {x['killed']} | {x['survived']} | {x['no_tests']} | {x['equivalent']} | "
            f"{x['score']:.2f} | {x['ci95'][0]:.2f}–{x['ci95'][1]:.2f} |"
        )
    n_all = sum(x["mutants"] for x in r["groups"].values())
    n_s = sum(x["sampled"] for x in r["groups"].values())
    lo, hi = r["target_ci95"]
    return "\n".join(
        [
            f"Last run: {r['date']}, {r['tool']}, seed {r['seed']}, {r['per_group']} mutants drawn per group "
            f"({n_s} of {n_all}), {r['minutes']} minutes on the two shared cores (`make mutants`, named mutants not included).",
            "",
            *rows,
            "",
            f"**Component modules (rules, normaliser, structure, linker, ranker): {r['target_score']:.2f}** "
            f"(groups weighted by their number of mutants; 95% interval {lo:.2f}–{hi:.2f}).",
        ]
    )


def write_doc(doc: Path, r: dict) -> None:
    text = doc.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{markdown(r)}\n{END}"
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
