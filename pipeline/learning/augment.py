"""Entity-substitution augmentation: the training reports with other places and other bodies.

All the seed reports come from one district, so the NER sees a handful of
place names and bureaus. ``fazhi.entity_swap.v1`` yields each training example
as it is and, with probability ``level``, a copy in which every place name of
the gazetteer (``places.py``) is replaced by a random name of the same level
and administrative suffix (街道 → another 街道, 区 → another 区), and every
body type noun from the body table that ends an INSTITUTION span is replaced
by another of the same group (司法局 → 人力资源和社会保障局). Entity spans move with
the text; the model learns the frame (place + body, 〇〇街道 acting as the
office) rather than the names.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Callable, Iterator

import srsly
from spacy.language import Language
from spacy.training import Example
from spacy.util import registry

from pipeline.knowledge.places import PlaceGazetteer

SUFFIXES = ("街道", "镇", "乡", "苏木", "自治县", "自治州", "自治旗", "区", "县", "市", "旗", "州", "盟", "省", "自治区")


def _suffix(name: str) -> str:
    return next((s for s in SUFFIXES if name.endswith(s)), "")


class EntitySwapper:
    """Replaces place names and body nouns in a text, moving entity offsets along."""

    def __init__(self, places: dict, bodies: dict, seed: int = 0) -> None:
        self.gazetteer = PlaceGazetteer(places)
        self.pools: dict[tuple[str, str], list[str]] = {}
        for name, level in self.gazetteer.level.items():
            suf = _suffix(name)
            if suf:
                self.pools.setdefault((level, suf), []).append(name)
        for pool in self.pools.values():
            pool.sort()
        self.body_group = {b: k for k, v in bodies.items() if not k.startswith("_") for b in v}
        self.body_pools = {k: sorted(v) for k, v in bodies.items() if not k.startswith("_")}
        self.bodies_longest = sorted(self.body_group, key=len, reverse=True)
        self.rng = random.Random(seed)

    def swap(self, text: str, ents: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, str]]]:
        """A new text and its entities; spans never split (a replacement lies inside or outside each span)."""
        edits: list[tuple[int, int, str]] = []
        for s, e, level in self.gazetteer.find(text):
            pool = self.pools.get((level, _suffix(text[s:e])))
            if pool:
                edits.append((s, e, self.rng.choice(pool)))
        for s, e, label in ents:
            body = next((b for b in self.bodies_longest if text.endswith(b, s, e)), None) if label == "INSTITUTION" else None
            if body and not any(a < e and e - len(body) < b for a, b, _ in edits):
                edits.append((e - len(body), e, self.rng.choice(self.body_pools[self.body_group[body]])))
        edits.sort()
        out, pos, shift = [], 0, []
        for s, e, new in edits:
            out.append(text[pos:s])
            out.append(new)
            shift.append((s, e, len(new) - (e - s)))
            pos = e
        out.append(text[pos:])

        def moved(i: int) -> int:
            delta = 0
            for s, e, d in shift:
                if e <= i:
                    delta += d
                elif s < i < e:
                    return -1
            return i + delta

        new_ents = [(moved(s), moved(e), label) for s, e, label in ents]
        if any(s < 0 or e < 0 for s, e, _ in new_ents):  # an entity edge inside a replaced name: keep the example as it is
            return text, ents
        return "".join(out), new_ents


@registry.augmenters("fazhi.entity_swap.v1")
def create_entity_swap(places_path: Path, bodies_path: Path, level: float = 0.5, seed: int = 0) -> Callable[[Language, Example], Iterator[Example]]:
    """Augmenter: the example, then (with probability ``level``) a copy with places and bodies swapped."""
    swapper = EntitySwapper(srsly.read_json(places_path), srsly.read_json(bodies_path), seed)
    rng = random.Random(seed)

    def augment(nlp: Language, example: Example) -> Iterator[Example]:
        yield example
        if rng.random() >= level:
            return
        ref = example.reference
        ents = [(e.start_char, e.end_char, e.label_) for e in ref.ents]
        text, new_ents = swapper.swap(ref.text, ents)
        if text == ref.text:
            return
        doc = nlp.make_doc(text)
        spans = [doc.char_span(s, e, label=l) for s, e, l in new_ents]
        if any(sp is None for sp in spans):
            return
        doc.ents = spans
        yield Example(nlp.make_doc(text), doc)

    return augment

