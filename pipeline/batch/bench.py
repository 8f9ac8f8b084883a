"""``make bench``: speed and memory of the whole pipeline against two yardsticks.

Each measurement runs in its own process (so peak RSS is its own) over the
bundled reports repeated to at least 1 MB of UTF-8, three times; the median
is reported. Yardsticks in the same run: spaCy's blank ``zh`` tokenizer alone
and an untrained default spaCy NER on char tokens. The whole pipeline is the
extraction path (reading excluded): chunked NER, then the record components
over the whole document.
"""
from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pipeline.labels import NER_LABELS

RAW = Path("corpus/raw")
TARGET_BYTES = 1_000_000


def bench_texts() -> list[str]:
    base = [p.read_text(encoding="utf-8") for p in sorted(RAW.glob("*.txt"))]
    texts: list[str] = []
    while sum(len(t.encode("utf-8")) for t in texts) < TARGET_BYTES:
        texts += base
    return texts


def _measure(kind: str, model: str, n_process: int) -> dict[str, Any]:
    """Runs inside the child process."""
    import resource

    import spacy

    texts = bench_texts()
    if kind == "tokenizer":
        nlp = spacy.blank("zh")
        run = lambda: [nlp.make_doc(t) for t in texts]  # noqa: E731
    elif kind == "default_ner":
        nlp = spacy.blank("zh")
        ner = nlp.add_pipe("ner")
        for label in NER_LABELS:
            ner.add_label(label)
        nlp.initialize()
        nlp.max_length = 10**7
        run = lambda: list(nlp.pipe(texts, batch_size=16, n_process=n_process))  # noqa: E731
    else:
        from pipeline.batch.document import Job, Options
        from pipeline.batch.extract import LocalEngine

        nlp = spacy.load(model)
        src = Path("training/bench-in")
        src.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, t in enumerate(texts):
            paths.append(src / f"bench-{i}.txt")
            paths[-1].write_text(t, encoding="utf-8")
        engine = LocalEngine(nlp, Options(batch_size=16), n_process=n_process)

        def run() -> list:
            return list(engine(Job(i, p) for i, p in enumerate(paths)))

    run()  # warm-up (and workers started once for n_process > 1 inside each run)
    t0 = time.perf_counter()
    run()
    seconds = time.perf_counter() - t0
    chars = sum(len(t) for t in texts)
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"chars": chars, "docs": len(texts), "seconds": seconds, "peak_rss_mb": peak / 1024}


def measure(kind: str, model: str, n_process: int = 1, repeats: int = 3) -> dict[str, Any]:
    """Median of ``repeats`` child-process runs."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", f"import json; from pipeline.batch.bench import _measure; print(json.dumps(_measure({kind!r}, {model!r}, {n_process})))"],
            capture_output=True, text=True, check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    secs = statistics.median(r["seconds"] for r in runs)
    return {
        "kind": kind,
        "n_process": n_process,
        "chars": runs[0]["chars"],
        "docs": runs[0]["docs"],
        "median_seconds": round(secs, 3),
        "chars_per_s": round(runs[0]["chars"] / secs),
        "docs_per_s": round(runs[0]["docs"] / secs, 2),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
        "runs_seconds": [round(r["seconds"], 3) for r in runs],
    }


def run_bench(model: Path, out_md: Path, repeats: int = 3) -> dict[str, Any]:
    rows = [
        measure("tokenizer", str(model), 1, repeats),
        measure("default_ner", str(model), 1, repeats),
        measure("pipeline", str(model), 1, repeats),
        measure("pipeline", str(model), 2, repeats),
    ]
    tok, ner, p1, p2 = rows
    ratios = {
        "pipeline_vs_default_ner": round(p1["chars_per_s"] / ner["chars_per_s"], 2),
        "n_process_2_vs_1": round(p2["chars_per_s"] / p1["chars_per_s"], 2),
    }
    result = {"model": str(model), "python": platform.python_version(), "machine": platform.machine(), "rows": rows, "ratios": ratios}
    names = {"tokenizer": "blank zh tokenizer alone", "default_ner": "untrained default spaCy NER (char tokens)", "pipeline": "fazhi whole pipeline"}
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (`python -m pipeline.batch.bench`), model `{model}`, on the five bundled reports repeated to "
        f"{rows[0]['chars']:,} characters ({rows[0]['docs']} documents, ≥ 1 MB UTF-8). Each figure is the median of {repeats} runs, "
        "each in its own process after a warm-up pass; peak RSS is the largest resident set of the process or any of its workers.",
        "",
        "| what | processes | median s | chars/s | docs/s | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {names[r['kind']]} | {r['n_process']} | {r['median_seconds']} | {r['chars_per_s']:,} | {r['docs_per_s']} | {r['peak_rss_mb']} |")
    lines += [
        "",
        f"- whole pipeline / untrained default NER (chars/s, one process): **{ratios['pipeline_vs_default_ner']}×** (target ≥ 2×)",
        f"- `--n-process 2` / one process: **{ratios['n_process_2_vs_1']}×** (target ≥ 1.7×)",
        f"- peak RSS per process: **{max(p1['peak_rss_mb'], p2['peak_rss_mb'])} MB** (target ≤ 500 MB)",
        "",
        "These machines are noisy (2 shared cores); compare ratios from one run, not figures across runs.",
    ]
    out_md.parent.mkdir(parents=True, exist_ok=True)
    # the measured table is the file's head; the sections after it (## …) are kept: other benchmarks and notes
    old = out_md.read_text(encoding="utf-8") if out_md.exists() else ""
    kept = old[old.index("\n## ") :] if "\n## " in old else ""
    out_md.write_text("\n".join(lines) + "\n" + kept, encoding="utf-8")
    (out_md.with_suffix(".json")).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=Path("training/model-best"))
    ap.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    print(json.dumps(run_bench(a.model, a.out, a.repeats)["ratios"]))
