"""A packaged model runs anywhere: built with ``spacy package``, installed with the project into a fresh
virtual environment outside the checkout, loaded from another directory, it gives exactly the entities and
records of the model in the checkout."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import spacy

from .conftest import RAW, ROOT

SCRIPT = """
import json, sys, spacy
nlp = spacy.load("zh_fazhi_reports")
doc = nlp(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps({"ents": [[e.start_char, e.end_char, e.label_] for e in doc.ents],
                  "records": doc._.records, "issuer": doc._.issuer, "year": doc._.year}, ensure_ascii=False))
"""


def _output(nlp, text: str) -> dict:
    doc = nlp(text)
    return json.loads(json.dumps({"ents": [[e.start_char, e.end_char, e.label_] for e in doc.ents], "records": doc._.records, "issuer": doc._.issuer, "year": doc._.year}, ensure_ascii=False))


@pytest.mark.slow
def test_package_installed_elsewhere_gives_the_same_output(trained_model, tmp_path):
    from pipeline.learning.package import package

    wheel = package(trained_model, tmp_path / "packages")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(ROOT)], check=True, env=env)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, env=env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    report = RAW / "guangnei-jiedao-2021.txt"
    out = subprocess.run([str(py), "-c", SCRIPT, str(report)], cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout
    got = json.loads(out)
    expected = _output(spacy.load(trained_model), report.read_text(encoding="utf-8"))
    assert got == expected
    assert got["records"] and got["issuer"] == "广内街道"  # known facts of the bundled report
