"""word_features: word-level context for a character-level NER.

A char NER trained on five reports memorises names; what carries over to
another province's report is the shape of words around a character: is it
inside a place name (ns), an organisation name (nt), a verb (v), a noun (n)…,
and where in that word. jieba ships its dictionary (offline), so its
part-of-speech segmenter gives every character a tag ``B|I|E|S-<pos>`` that
``tok2vec`` embeds as the ``TAG`` feature. For word-level segmenters (jieba,
pkuseg) each token takes the tag of the word its first character is in.
"""
from __future__ import annotations

from typing import Callable, Iterable

from spacy.language import Language
from spacy.tokens import Doc


def char_tags(text: str) -> list[str]:
    """One ``B|I|E|S-<pos>`` tag per character of ``text`` (whitespace: ``S-x``)."""
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(60)
    tags: list[str] = []
    for pair in pseg.cut(text):
        word, flag = pair.word, pair.flag
        n = len(word)
        if n == 1:
            tags.append(f"S-{flag}")
        else:
            tags += [f"B-{flag}"] + [f"I-{flag}"] * (n - 2) + [f"E-{flag}"]
    if len(tags) != len(text):  # jieba keeps every character; guard against surprises
        tags = (tags + ["S-x"] * len(text))[: len(text)]
    return tags


class WordFeatures:
    """Sets ``token.tag_`` from jieba's part-of-speech segmentation."""

    def __init__(self, nlp: Language, name: str = "word_features") -> None:
        self.name = name

    def initialize(self, get_examples: Callable[[], Iterable] | None = None, *, nlp: Language | None = None) -> None:
        """Nothing to load: jieba's dictionary ships with the package."""

    def __call__(self, doc: Doc) -> Doc:
        tags = char_tags(doc.text)
        for token in doc:
            token.tag_ = tags[token.idx] if token.idx < len(tags) else "S-x"
        return doc


@Language.factory("word_features", assigns=["token.tag"], default_config={})
def make_word_features(nlp: Language, name: str) -> WordFeatures:
    return WordFeatures(nlp, name)
