"""Segmenters: the project's own offline pkuseg model, and the segmenter comparison.

pkuseg's pretrained models download from the network, which these machines
cannot reach. ``make pkuseg`` trains a model offline with spacy_pkuseg from
segmentation data the project derives itself: jieba (which ships its
dictionary) segments the raw reports, and, when annotations are given,
annotated entities are kept whole (their boundaries become word boundaries and
the entity one word). The user's own pretrained model still works:
``--initialize.tokenizer.pkuseg_model spacy_ontonotes`` (with network) or a
local model directory.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Iterable, Optional

from pipeline.components.clean import clean_text
from pipeline.learning.corpus import AnnotatedDoc


def segment_line(line: str, entities: Iterable[tuple[int, int]] = ()) -> list[str]:
    """jieba words of one line, with each (start, end) entity kept as one word."""
    import jieba

    jieba.setLogLevel(60)
    words: list[str] = []
    pos = 0
    for start, end in sorted(entities):
        if start < pos:
            continue
        words += [w for w in jieba.cut(line[pos:start]) if w.strip()]
        words.append(line[start:end])
        pos = end
    words += [w for w in jieba.cut(line[pos:]) if w.strip()]
    return [w.replace(" ", "") for w in words if w.replace(" ", "")]


def build_segmentation_data(texts: Iterable[str], docs: Iterable[AnnotatedDoc] = ()) -> list[str]:
    """Space-separated segmented lines from raw texts and annotated documents."""
    lines: list[str] = []
    for text in texts:
        for line in clean_text(text).split("\n"):
            if line.strip():
                lines.append(" ".join(segment_line(line.strip())))
    for d in docs:
        text = clean_text(d.text)
        start = 0
        for line in text.split("\n"):
            end = start + len(line)
            ents = [(s.start - start, s.end - start) for s in d.entities if s.start >= start and s.end <= end]
            if line.strip():
                lines.append(" ".join(segment_line(line, ents)))
            start = end + 1
    return lines


def train_pkuseg(lines: list[str], model_dir: Path, train_iter: int = 10, seed: int = 0) -> Path:
    """Train a spacy_pkuseg model on segmented lines (10% held out for its own test)."""
    import spacy_pkuseg

    rng = random.Random(seed)
    lines = list(lines)
    rng.shuffle(lines)
    n_test = max(1, len(lines) // 10)
    model_dir.mkdir(parents=True, exist_ok=True)
    train_file, test_file = model_dir / "train.txt", model_dir / "test.txt"
    train_file.write_text("\n".join(lines[n_test:]) + "\n", encoding="utf-8")
    test_file.write_text("\n".join(lines[:n_test]) + "\n", encoding="utf-8")
    spacy_pkuseg.train(str(train_file), str(test_file), str(model_dir), train_iter=train_iter)
    return model_dir


def make_pkuseg(raw_dir: Path, model_dir: Path, annotations: Optional[list[AnnotatedDoc]] = None, train_iter: int = 10) -> Path:
    """``make pkuseg``: jieba-derived data from the raw reports (+ entities kept whole) → model."""
    texts = [p.read_text(encoding="utf-8-sig") for p in sorted(raw_dir.glob("*.txt"))] if not annotations else []
    return train_pkuseg(build_segmentation_data(texts, annotations or []), model_dir, train_iter)
