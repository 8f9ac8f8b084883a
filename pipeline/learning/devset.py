"""The out-of-district development set: stored report openings → cleaned texts → standoff gold.

Stored public pages are third-party text and never enter the repository. What
is committed (``corpus/devset``):

- ``documents.jsonl``: per document its id, URL, province, issuer kind, issuer,
  year, split (``study``/``test``) and the sha256 of the cleaned text;
- ``annotations.jsonl``: standoff gold, one document a line: entities
  (start, end, label, text) and records (count span, value, unit, approx,
  activity with its span, actor, parent, section) — no sentence text.

What is not committed (gitignored): ``pages/<id>.excerpt.txt`` (the stored
excerpt as the look-up tool returned it, ``pages/<id>.meta.json`` beside it),
``texts/<id>.txt`` (the cleaned text, rebuilt by :func:`clean_excerpt`) and
``markup/`` (the annotators' inline-markup sources, see ``markup.py``).

``python -m pipeline.learning.devset build`` rebuilds the texts from the pages and
checks each against its committed hash; ``compile`` turns the markup into the
committed standoff; ``load`` gives the gold in the corpus format for scoring.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

from pipeline.learning.markup import MarkupError, compile_markup

DEVSET = Path("corpus/devset")
RESERVED = Path("../shared/reserved-urls.sha256")
SENTENCE_FINAL = tuple("。！？；：”」）)!?;:…")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u200b\ufeff]+")


def clean_excerpt(raw: str) -> str:
    """The cleaned text of a stored excerpt: deterministic, one paragraph a line.

    NFC, line breaks unified, runs of (full-width, non-breaking) spaces made one
    space and stripped at the ends of lines, blank lines dropped, and the last
    line dropped when the excerpt cuts it off mid-sentence.
    """
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    if lines and not lines[-1].endswith(SENTENCE_FINAL):
        lines.pop()
    return "\n".join(lines) + "\n"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def url_is_reserved(url: str, reserved_file: Path = RESERVED) -> bool:
    """True when the URL's sha256 is listed as reserved for the independent evaluation."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
    listed = {l.strip() for l in reserved_file.read_text(encoding="utf-8").splitlines() if l and not l.startswith("#")}
    return digest in listed


def read_documents(root: Path = DEVSET) -> list[dict[str, Any]]:
    path = root / "documents.jsonl"
    if not path.exists():
        return []
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]


def build_texts(root: Path = DEVSET) -> list[tuple[str, str]]:
    """Rebuild ``texts/`` from ``pages/``; return (id, status) with status ok/new/MISMATCH/missing."""
    known = {d["id"]: d for d in read_documents(root)}
    (root / "texts").mkdir(parents=True, exist_ok=True)
    out = []
    seen = set()
    for page in sorted((root / "pages").glob("*.excerpt.txt")):
        doc_id = page.name[: -len(".excerpt.txt")]
        seen.add(doc_id)
        text = clean_excerpt(page.read_text(encoding="utf-8"))
        digest = sha256_text(text)
        status = "new"
        if doc_id in known:
            status = "ok" if known[doc_id]["sha256"] == digest else "MISMATCH"
        if status != "MISMATCH":
            (root / "texts" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        out.append((doc_id, status))
    out += [(d, "missing") for d in known if d not in seen]
    return out


def _split_of(doc_id: str) -> str:
    return "test" if int(hashlib.sha256(doc_id.encode()).hexdigest(), 16) % 2 else "study"


def register(root: Path = DEVSET) -> list[dict[str, Any]]:
    """Write ``documents.jsonl`` from the pages' meta files and the cleaned texts.

    Registered documents keep their entry (split included) whether or not their
    page is on this machine. The split was drawn once, for the first 47
    documents (``_split_of``); documents registered after it go to ``study``,
    so the test half stays frozen.
    """
    known = {d["id"]: d for d in read_documents(root)}
    docs = dict(known)
    for meta_path in sorted((root / "pages").glob("*.meta.json")):
        doc_id = meta_path.name[: -len(".meta.json")]
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        text = (root / "texts" / f"{doc_id}.txt").read_text(encoding="utf-8")
        docs[doc_id] = {
            "id": doc_id,
            "url": meta["url"],
            "province": meta["province"],
            "issuer_kind": meta["issuer_kind"],
            "issuer": meta.get("issuer"),
            "year": meta.get("year"),
            "split": known.get(doc_id, {}).get("split") or ("study" if known else _split_of(doc_id)),
            "sha256": sha256_text(text),
            "chars": len(text),
        }
    out = [docs[k] for k in sorted(docs)]
    (root / "documents.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in out), encoding="utf-8")
    return out


def compile_standoff(doc_id: str, root: Path = DEVSET, markup_dir: str = "markup") -> dict[str, Any]:
    """One document's markup → standoff gold (entities and records with span texts, no sentences).

    ``markup_dir`` is ``markup`` (the gold) or ``markup2`` (the second, independent annotation).
    """
    text = (root / "texts" / f"{doc_id}.txt").read_text(encoding="utf-8")
    markup = (root / markup_dir / f"{doc_id}.txt").read_text(encoding="utf-8")
    rec_path = root / markup_dir / f"{doc_id}.records.jsonl"
    recs = [json.loads(l) for l in rec_path.read_text(encoding="utf-8").splitlines() if l.strip()] if rec_path.exists() else []
    doc, records = compile_markup(doc_id, text, markup, recs)
    entities = [
        {"start": e["start_offset"], "end": e["end_offset"], "label": e["label"], "text": text[e["start_offset"] : e["end_offset"]]}
        for e in doc["entities"]
        if e["label"] != "ACTIVITY"
    ]
    for r in records:
        r.pop("sentence", None)
        r.pop("doc", None)
    return {"id": doc_id, "sha256": sha256_text(text), "entities": entities, "records": records}


def compile_all(root: Path = DEVSET, markup_dir: str = "markup", target: str = "annotations.jsonl") -> list[str]:
    """Compile every markup file on this machine into ``target``; raise MarkupError on the first bad one.

    The markup is not committed (it holds page text), so a checkout has only the markup written on its
    machine: the entries of ``target`` whose markup is absent are kept as they are (the committed standoff is
    the gold), and the compiled ones replace or join them. Returns the ids compiled.
    """
    path = root / target
    kept = {d["id"]: d for d in (json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip())} if path.exists() else {}
    compiled = [compile_standoff(p.stem, root, markup_dir) for p in sorted((root / markup_dir).glob("*.txt"))]
    kept.update({d["id"]: d for d in compiled})
    path.write_text("".join(json.dumps(kept[k], ensure_ascii=False) + "\n" for k in sorted(kept)), encoding="utf-8")
    return [d["id"] for d in compiled]


def load_gold(root: Path = DEVSET, split: str | None = None) -> list[dict[str, Any]]:
    """The dev set in the corpus format (text, entities, records), for documents whose text is rebuilt.

    Each item: ``{"id", "text", "entities": [(start, end, label)], "records": [...], "meta": {...}}``.
    Documents whose rebuilt text is absent or differs from the committed hash are skipped.
    """
    docs = {d["id"]: d for d in read_documents(root)}
    ann_path = root / "annotations.jsonl"
    if not ann_path.exists():
        return []
    out = []
    for line in ann_path.read_text(encoding="utf-8").splitlines():
        ann = json.loads(line)
        meta = docs.get(ann["id"])
        if meta is None or (split and meta["split"] != split):
            continue
        path = root / "texts" / f"{ann['id']}.txt"
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if sha256_text(text) != meta["sha256"]:
            continue
        for e in ann["entities"]:
            if text[e["start"] : e["end"]] != e["text"]:
                raise MarkupError(f"{ann['id']}: span {e['start']}-{e['end']} is not {e['text']!r}")
        records = [dict(r, doc=ann["id"]) for r in ann["records"]]
        out.append(
            {"id": ann["id"], "text": text, "entities": [(e["start"], e["end"], e["label"]) for e in ann["entities"]], "records": records, "meta": meta}
        )
    return out


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else ""
    if cmd == "reserved":
        for url in argv[1:]:
            print(("RESERVED " if url_is_reserved(url) else "ok ") + url)
        return 0
    if cmd == "build":
        rows = build_texts()
        for doc_id, status in rows:
            print(f"{status:8s} {doc_id}")
        return 1 if any(s in ("MISMATCH", "missing") for _, s in rows) else 0
    if cmd in ("check", "check2"):
        try:
            for doc_id in argv[1:]:
                d = compile_standoff(doc_id, markup_dir="markup" if cmd == "check" else "markup2")
                print(f"ok {doc_id}: {len(d['entities'])} entities, {len(d['records'])} records")
        except (MarkupError, KeyError, ValueError, FileNotFoundError) as err:
            print(f"error: {err}")
            return 1
        return 0
    if cmd == "register":
        print(f"{len(register())} documents")
        return 0
    if cmd == "compile":
        try:
            print(f"compiled {len(compile_all())} documents")
            if (DEVSET / "markup2").exists():
                print(f"compiled {len(compile_all(markup_dir='markup2', target='agreement.jsonl'))} second annotations")
        except MarkupError as err:
            print(f"error: {err}")
            return 1
        return 0
    print("usage: python -m pipeline.learning.devset reserved URL... | build | check ID... | check2 ID... | register | compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def agreement(root: Path = DEVSET) -> dict[str, Any]:
    """Entity (strict, per label) and record agreement of the second annotation with the gold, over the shared documents."""
    from pipeline.learning.evaluate import score_records, score_spans

    first = {json.loads(l)["id"]: json.loads(l) for l in (root / "annotations.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()}
    second = [json.loads(l) for l in (root / "agreement.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    pairs, rec_pairs = [], []
    for b in second:
        a = first[b["id"]]
        text_len = max([e["end"] for e in a["entities"] + b["entities"]] or [0])
        pairs.append((b["id"], " " * text_len, [(e["start"], e["end"], e["label"]) for e in a["entities"]], [(e["start"], e["end"], e["label"]) for e in b["entities"]]))
        rec_pairs.append((a["records"], b["records"]))
    return {"docs": [b["id"] for b in second], "entities": score_spans(pairs), "records": score_records(rec_pairs)}
