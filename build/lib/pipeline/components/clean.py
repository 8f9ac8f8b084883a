"""Cleaning: a length-preserving text cleaner inside the tokenizer.

Reports carry ``[bookmark: _Hlk…]`` artefacts from .docx conversion, odd
whitespace, and half-width punctuation as often as full-width. The tokenizer
cleans every text before segmenting it, replacing characters one for one:
artefacts become spaces, odd spaces a plain space, half-width punctuation its
full-width form (a ``.`` only after Chinese text), full-width digits ASCII digits. Because the length never
changes, every offset into the cleaned ``doc.text`` is an offset into the
original text, which is kept in ``doc.user_data["raw_text"]`` when it differs.
Training and extraction go through the same tokenizer, so the model only ever
sees the canonical form.
"""
from __future__ import annotations

import re
from typing import Callable

from spacy.lang.zh import ChineseTokenizer, Segmenter
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry

ARTEFACT_RE = re.compile(r"\[bookmark: [^\]\n]*\]|\[(?:image|footnote)[^\]\n]{0,80}\]")
CHAR_MAP = str.maketrans(
    {
        ",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？",
        "\u3000": " ", "\xa0": " ", "\t": " ", "\u2002": " ", "\u2003": " ", "\u200b": " ", "\ufeff": " ",
        "「": "“", "」": "”", "『": "“", "』": "”",
        **{chr(0xFF10 + i): str(i) for i in range(10)},
    }
)
NUMBER_COMMA_RE = re.compile(r"(?<=\d)，(?=\d{3})")
# a half-width full stop after Chinese text (not a decimal point or a list marker "1.")
FULL_STOP_RE = re.compile(r"(?<=[\u4e00-\u9fff%）”》])\.(?=\s|$|[\u4e00-\u9fff“《（])")
RAW_KEY = "raw_text"


def clean_text(text: str) -> str:
    """Length-preserving cleaning (``len(clean_text(t)) == len(t)``)."""
    out = ARTEFACT_RE.sub(lambda m: " " * len(m.group()), text).translate(CHAR_MAP)
    out = FULL_STOP_RE.sub("。", out)
    return NUMBER_COMMA_RE.sub(",", out)  # keep thousands separators inside numbers


def raw_text(doc: Doc) -> str:
    """The text as it was given to the pipeline (offsets are the same as ``doc.text``)."""
    return doc.user_data.get(RAW_KEY, doc.text)


class CleaningChineseTokenizer(ChineseTokenizer):
    """spaCy's Chinese tokenizer (char, jieba or pkuseg) after ``clean_text``."""

    def __call__(self, text: str) -> Doc:
        cleaned = clean_text(text)
        doc = super().__call__(cleaned)
        if cleaned != text:
            doc.user_data[RAW_KEY] = text
        return doc


@registry.tokenizers("fazhi.ChineseTokenizer.v1")
def create_tokenizer(segmenter: Segmenter = Segmenter.char) -> Callable[[Language], CleaningChineseTokenizer]:
    """Registered tokenizer: ``[nlp.tokenizer] @tokenizers = "fazhi.ChineseTokenizer.v1"``."""

    def tokenizer_factory(nlp: Language) -> CleaningChineseTokenizer:
        if segmenter == Segmenter.jieba:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not for our users
        return CleaningChineseTokenizer(nlp.vocab, segmenter=segmenter)

    return tokenizer_factory
