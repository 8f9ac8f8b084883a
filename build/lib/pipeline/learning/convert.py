"""Corpus annotations → spaCy ``DocBin`` for training and evaluation.

Each report is split into its lines (paragraphs); a training example is one
non-empty line, its entities shifted to line offsets. A span that does not
line up with the tokens of the chosen segmenter is never dropped silently: it
is counted and listed per label in the ``ConversionReport``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.util import filter_spans

from pipeline.learning.corpus import NER_LABELS, AnnotatedDoc, load_corpus


@dataclass
class ConversionReport:
    docs: int = 0
    examples: int = 0
    spans: Counter = field(default_factory=Counter)
    misaligned: Counter = field(default_factory=Counter)
    misaligned_examples: list[str] = field(default_factory=list)
    overlapping: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.docs} report(s), {self.examples} example(s), {sum(self.spans.values())} span(s)"]
        for label in NER_LABELS:
            lines.append(f"  {label}: {self.spans[label]} aligned, {self.misaligned[label]} misaligned")
        lines += [f"  misaligned: {m}" for m in self.misaligned_examples]
        lines += [f"  overlapping (dropped): {m}" for m in self.overlapping]
        return "\n".join(lines)


def doc_to_examples(nlp: Language, ann: AnnotatedDoc, report: ConversionReport, by_line: bool = True) -> list[Doc]:
    """One spaCy Doc per non-empty line of ``ann`` (or one for the whole text)."""
    pieces: list[tuple[int, int]] = []
    if by_line:
        start = 0
        for line in ann.text.split("\n"):
            if line.strip():
                pieces.append((start, start + len(line)))
            start += len(line) + 1
    else:
        pieces = [(0, len(ann.text))]
    ents = ann.entities
    out = []
    for p0, p1 in pieces:
        doc = nlp.make_doc(ann.text[p0:p1])
        doc.user_data["doc_id"] = ann.doc_id
        doc.user_data["offset"] = p0
        spans = []
        for e in ents:
            if e.start >= p0 and e.end <= p1:
                span = doc.char_span(e.start - p0, e.end - p0, label=e.label, alignment_mode="strict")
                if span is None:
                    report.misaligned[e.label] += 1
                    report.misaligned_examples.append(f"{ann.doc_id}[{e.start},{e.end}) {e.label} {ann.text[e.start:e.end]!r}")
                else:
                    spans.append(span)
        kept = filter_spans(spans)
        for s in set(spans) - set(kept):
            report.overlapping.append(f"{ann.doc_id} {s.label_} {s.text!r}")
        doc.ents = kept
        report.spans.update(s.label_ for s in kept)
        out.append(doc)
    report.docs += 1
    report.examples += len(out)
    return out


def convert(nlp: Language, docs: Iterable[AnnotatedDoc], by_line: bool = True) -> tuple[DocBin, ConversionReport]:
    """Convert annotated documents with ``nlp``'s tokenizer."""
    report = ConversionReport()
    db = DocBin(store_user_data=True)
    for ann in docs:
        for d in doc_to_examples(nlp, ann, report, by_line):
            db.add(d)
    return db, report


def convert_paths(nlp: Language, paths: Iterable[Path], out: Path, exclude: Iterable[str] = (), only: Iterable[str] = ()) -> ConversionReport:
    """Convert corpus files to ``out`` (.spacy), leaving out or keeping only some report ids."""
    exclude, only = set(exclude), set(only)
    docs = [d for d in load_corpus(paths) if d.doc_id not in exclude and (not only or d.doc_id in only)]
    db, report = convert(nlp, docs)
    out.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(out)
    return report
