"""How long the dashboard takes to build for many reports (docs/benchmarks.md, "Dashboard").

``python -m pipeline.tables.bench OUT --documents 1000 --repeats 3`` replicates
the reports of a real extraction output ``OUT`` (``fazhi extract … --out OUT``)
to ``--documents`` reports with made-up issuers (place × issuer kind), years
2018–2025 and values scaled at random (fixed seed), writes them to
``WORK/documents.jsonl`` (a benchmark input, not a test fixture), and times
``write_dashboard`` on it: each run in its own process, cold (an empty
dashboard folder, so the Vega bundle is built too) and warm (a rebuild beside
the bundle). Prints the medians and the sizes of the files written.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pipeline.tables.export import read_documents

PLACES = ("北京市东城区", "浙江省杭州市", "广东省深圳市南山区", "四川省成都市", "河南省郑州市金水区", "吉林省公主岭市", "江苏省苏州市",
          "湖北省武汉市洪山区", "山东省青岛市", "云南省昆明市", "甘肃省兰州市", "上海市浦东新区", "天津市和平区", "陕西省西安市")
UNITS = ("某某街道办事处", "某某镇人民政府", "人民政府", "司法局", "市场监督管理局", "生态环境局", "某某乡人民政府")


def replicate(docs: list[dict[str, Any]], n: int, seed: int = 15) -> list[dict[str, Any]]:
    """``n`` reports made from ``docs``: each a copy with another issuer, year and values (counts stay whole numbers)."""
    rng = random.Random(seed)
    ok = [d for d in docs if d.get("status") == "ok"]
    issuers = [f"{place}{unit}".replace("某某", f"第{k}") for k in range(1, 4) for place in PLACES for unit in UNITS]
    out = []
    for i in range(n):
        doc = json.loads(json.dumps(ok[i % len(ok)]))
        doc["doc_id"] = f"{doc['doc_id']}-bench{i:05d}"
        doc["issuer"] = issuers[(i // 4) % len(issuers)]
        doc["year"] = 2018 + i % 8
        factor = rng.uniform(0.5, 2.0)
        for rec in doc.get("records") or []:
            value = rec.get("value")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                scaled = value * factor
                rec["value"] = min(100.0, round(scaled, 1)) if rec.get("unit") in ("%", "‰") else (round(scaled) if isinstance(value, int) else round(scaled, 1))
        out.append(doc)
    return out


def _build_once(work: Path, cold: bool) -> float:
    code = (
        "import shutil, sys, time\n"
        "from pathlib import Path\n"
        "from pipeline.tables.dashboard import write_dashboard\n"
        f"work = Path({str(work)!r})\n"
        f"if {cold!r}: shutil.rmtree(work / 'dashboard', ignore_errors=True)\n"
        "t = time.perf_counter(); write_dashboard(work); print(time.perf_counter() - t)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def run(source: Path, work: Path, n: int, repeats: int) -> dict[str, Any]:
    docs = replicate(read_documents(source).docs, n)
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "documents.jsonl", "w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    cold = [_build_once(work, True) for _ in range(repeats)]
    warm = [_build_once(work, False) for _ in range(repeats)]
    board = work / "dashboard"
    data = sorted((board / "data").glob("*.js"))
    indicator_files = [p for p in data if p.name != "overview.js"]
    return {
        "documents": n,
        "records": sum(len(d.get("records") or []) for d in docs),
        "issuers": len({d["issuer"] for d in docs}),
        "cold_seconds": [round(t, 2) for t in cold],
        "warm_seconds": [round(t, 2) for t in warm],
        "cold_median": round(statistics.median(cold), 2),
        "warm_median": round(statistics.median(warm), 2),
        "index_kb": round((board / "index.html").stat().st_size / 1024, 1),
        "bundle_kb": round((board / "vega.js").stat().st_size / 1024, 1),
        "overview_kb": round((board / "data" / "overview.js").stat().st_size / 1024, 1),
        "indicator_files": len(indicator_files),
        "largest_indicator_kb": round(max(p.stat().st_size for p in indicator_files) / 1024, 1) if indicator_files else 0,
        "jsonl_mb": round((work / "documents.jsonl").stat().st_size / 2**20, 1),
        "when": time.strftime("%Y-%m-%d"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path, help="a real extraction output (holds documents.jsonl)")
    ap.add_argument("--work", type=Path, default=Path("training/dashboard-bench"), help="where the replicated output goes")
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(json.dumps(run(args.source, args.work, args.documents, args.repeats), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
