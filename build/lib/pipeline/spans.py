"""Entity offsets read from a Doc's arrays.

``doc.ents`` builds a Token object for every token, which with one token per
character is the slowest step of the record components. The offsets are read
instead from ``doc.to_array`` in one pass.
"""
from __future__ import annotations

import numpy
from spacy.attrs import ENT_IOB, ENT_TYPE, IDX
from spacy.tokens import Doc

IOB_BEGIN, IOB_INSIDE = 3, 1


def entity_offsets(doc: Doc) -> list[tuple[int, int, str]]:
    """(start_char, end_char, label) of every entity, in order — the same spans as ``doc.ents``."""
    if not len(doc):
        return []
    arr = doc.to_array([ENT_IOB, ENT_TYPE, IDX])
    iob, types, idx = arr[:, 0].astype("int64"), arr[:, 1], arr[:, 2].astype("int64")
    begins = numpy.nonzero(iob == IOB_BEGIN)[0]
    not_inside = numpy.nonzero(iob != IOB_INSIDE)[0]
    out = []
    for b in begins:
        k = numpy.searchsorted(not_inside, b, side="right")
        end_tok = int(not_inside[k]) if k < len(not_inside) else len(doc)
        last = doc[end_tok - 1]
        out.append((int(idx[b]), last.idx + len(last), doc.vocab.strings[int(types[b])]))
    return out
