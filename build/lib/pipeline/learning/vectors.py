"""Character vectors from the legal-domain corpus (``../shared/data/lawref``), for the NER's tok2vec.

``make vectors``: the laws and regulations, cleaned like reports and split
into characters (the pipeline's tokens), train fastText-style vectors with
floret (skipgram, 2 epochs), kept for the characters seen at least
``min_count`` times and converted with ``spacy init vectors`` into
``corpus/vectors`` (small: one row per character). The corpus stays outside
the repository; the trained weights are committed, and this target rebuilds
them from it.
"""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from pipeline.components.clean import clean_text


def char_corpus(laws: Path, out: Path) -> int:
    """One cleaned paragraph a line, characters separated by spaces; returns the number of characters."""
    n = 0
    with gzip.open(laws, "rt", encoding="utf-8") as f, out.open("w", encoding="utf-8") as w:
        for line in f:
            for para in json.loads(line)["text"].split("\n"):
                chars = [c for c in clean_text(para) if not c.isspace()]
                if len(chars) >= 5:
                    w.write(" ".join(chars) + "\n")
                    n += len(chars)
    return n


def train_vectors(laws: Path, work: Path, out: Path, dim: int = 64, epochs: int = 2, min_count: int = 5) -> Path:
    """Train character vectors and write a spaCy vectors directory to ``out``."""
    import floret

    work.mkdir(parents=True, exist_ok=True)
    text = work / "lawref-chars.txt"
    n = char_corpus(laws, text)
    model = floret.train_unsupervised(str(text), model="skipgram", mode="fasttext", dim=dim, epoch=epochs, minCount=min_count, minn=0, maxn=0, thread=2, verbose=0)
    vec = work / "lawref-chars.vec"
    words = model.get_words()
    with vec.open("w", encoding="utf-8") as f:
        f.write(f"{len(words)} {dim}\n")
        for w in words:
            f.write(w + " " + " ".join(f"{x:.4f}" for x in model.get_word_vector(w)) + "\n")
    subprocess.run([sys.executable, "-m", "spacy", "init", "vectors", "zh", str(vec), str(out)], check=True)
    print(f"{n} characters, {len(words)} vectors of {dim} dimensions → {out}")
    return out


if __name__ == "__main__":  # python -m pipeline.learning.vectors LAWS.jsonl.gz WORK OUT
    train_vectors(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
