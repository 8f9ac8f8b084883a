"""``make package``: the trained pipeline as an installable Python package (``spacy package``).

The package's requirements name this project (``fazhi-ie``), whose entry
points register the components and the tokenizer; the model directory itself
carries every table, so the installed package runs from any directory.
"""
from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

PACKAGE_NAME = "fazhi_reports"


def package(model: Path, out: Path, name: str = PACKAGE_NAME) -> Path:
    """Build a wheel of ``model`` under ``out``; return the wheel's path."""
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    meta["name"] = name
    meta["version"] = version("fazhi-ie")
    meta["requirements"] = sorted({*meta.get("requirements", []), f"fazhi-ie=={version('fazhi-ie')}"})
    meta["description"] = "fazhi-ie: entities and knowledge records from 法治政府建设年度情况报告"
    out.mkdir(parents=True, exist_ok=True)
    meta_path = out / f"{name}.meta.json"
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "spacy", "package", str(model), str(out), "--meta-path", str(meta_path), "--build", "wheel", "--force"],
        check=True,
    )
    wheels = sorted((out / f"zh_{name}-{meta['version']}" / "dist").glob("*.whl"))
    if not wheels:
        raise SystemExit(f"no wheel built under {out}")
    return wheels[-1]


if __name__ == "__main__":  # python -m pipeline.learning.package MODEL OUT
    print(package(Path(sys.argv[1]), Path(sys.argv[2])))
