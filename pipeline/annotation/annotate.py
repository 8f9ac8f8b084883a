"""The annotation loop with doccano: push documents with the model's suggestions, pull gold.

``push`` uploads reports to a doccano sequence-labelling project with
relations (labels COUNT, LAW, INSTITUTION, MECHANISM, ACTIVITY; relation
QUANTIFIES), each document once, with the model's entities and records as
pre-annotations. ``pull`` downloads the confirmed documents and writes them in
the corpus format (relation-form JSONL, one file per document), then runs the
corpus validator.

doccano is reached through doccano-client in its own virtual environment
(``pipeline/annotation/doccano_bridge.py``; docs/doccano.md says why). Connection settings
come from ``FAZHI_DOCCANO_*`` environment variables or a config file outside
the repository; passwords and tokens are never printed or logged.

doccano counts offsets in UTF-16 code units (unless a project is in grapheme
mode, which fazhi refuses); Python strings count code points. ``Utf16Offsets``
converts both ways, so a character outside the BMP (``𠮷``) shifts nothing.
"""
from __future__ import annotations

import bisect
import configparser
import hashlib
import json
import os
import re
import subprocess
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from pipeline import errors
from pipeline.learning.corpus import ACTIVITY, NER_LABELS, QUANTIFIES, Problem, annotation_files, read_jsonl_docs, validate_paths

REPO_ROOT = Path(__file__).resolve().parents[2]
BRIDGE = Path(__file__).with_name("doccano_bridge.py")
CLIENT_PYTHON = REPO_ROOT / ".venv-doccano-client" / "bin" / "python"
GUIDELINES = REPO_ROOT / "docs" / "annotation-guidelines.md"
DEFAULT_CONFIG = Path("~/.config/fazhi/doccano.toml")
ENV_PREFIX = "FAZHI_DOCCANO_"
SETTING_KEYS = ("url", "username", "password", "token")

SPAN_LABELS = (*NER_LABELS, ACTIVITY)
LABEL_COLORS = {
    "COUNT": "#F5A623",
    "LAW": "#4A90E2",
    "INSTITUTION": "#7ED321",
    "MECHANISM": "#BD10E0",
    "ACTIVITY": "#9B9B9B",
    QUANTIFIES: "#D0021B",
}
ORDERS = ("input", "uncertainty")
# a record's relation carries its indicator: the relation type is the indicator id (QUANTIFIES = not yet decided)
INDICATOR_COLOR = "#D0021B"
BEAM_WIDTH = 8
META_DOC_ID = "doc_id"
META_SHA1 = "text_sha1"
BRIDGE_TIMEOUT = 1800.0
EXPORT_TIMEOUT = 300.0


class AnnotateError(Exception):
    """An expected failure, told to the user in one line."""


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class DoccanoSettings:
    """Where doccano is and how to log in; the secrets never show in ``repr``."""

    url: str
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    token: Optional[str] = field(default=None, repr=False)

    def to_request(self) -> dict[str, Any]:
        """The settings as the bridge reads them (sent on its stdin only)."""
        return {"url": self.url, "username": self.username, "password": self.password, "token": self.token}

    @property
    def secrets(self) -> list[str]:
        """The values that must never appear in a message: password, token, and a password written in the URL."""
        from urllib.parse import urlsplit

        in_url = urlsplit(self.url).password
        return [s for s in (self.password, self.token, in_url) if s]


def config_file(env: Mapping[str, str]) -> tuple[Path, bool]:
    """The config file to read and whether the user named it explicitly."""
    named = env.get(ENV_PREFIX + "CONFIG")
    if named:
        return Path(named).expanduser(), True
    return DEFAULT_CONFIG.expanduser(), False


def read_config(path: Path) -> dict[str, str]:
    """``url``/``username``/``password``/``token`` from a TOML or INI file (top level or a [doccano] table)."""
    raw = path.read_text(encoding="utf-8")
    try:
        data: dict[str, Any] = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as toml_err:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            try:
                parser.read_string(raw)
            except configparser.MissingSectionHeaderError:
                parser = configparser.ConfigParser(interpolation=None)
                parser.read_string("[doccano]\n" + raw)
        except configparser.Error:
            # configparser quotes the offending line, which may hold the password: say only where TOML failed.
            raise AnnotateError(errors.E_DOCCANO_CONFIG_BAD.format(path=path, err=f"neither TOML ({toml_err}) nor INI")) from None
        data = {name: dict(parser[name]) for name in parser.sections()}
    section = data.get("doccano", data)
    if not isinstance(section, dict):
        raise AnnotateError(errors.E_DOCCANO_CONFIG_BAD.format(path=path, err="[doccano] is not a table"))
    return {k: str(v) for k, v in section.items() if k in SETTING_KEYS and v not in (None, "")}


def load_settings(env: Optional[Mapping[str, str]] = None) -> DoccanoSettings:
    """Settings from ``FAZHI_DOCCANO_URL/USERNAME/PASSWORD/TOKEN``, else the config file.

    The file is ``$FAZHI_DOCCANO_CONFIG`` or ``~/.config/fazhi/doccano.toml``;
    an environment variable wins over the same key in the file.
    """
    env = os.environ if env is None else env
    path, named = config_file(env)
    values: dict[str, str] = {}
    if path.is_file():
        if path.resolve().is_relative_to(REPO_ROOT):
            raise AnnotateError(errors.E_DOCCANO_CONFIG_IN_REPO.format(path=path))
        values = read_config(path)
    elif named:
        raise AnnotateError(errors.E_DOCCANO_CONFIG_MISSING.format(path=path))
    for key in SETTING_KEYS:
        if env.get(ENV_PREFIX + key.upper()):
            values[key] = env[ENV_PREFIX + key.upper()]
    if not values.get("url"):
        raise AnnotateError(errors.E_DOCCANO_NO_URL.format(config=path))
    if not values.get("token") and not (values.get("username") and values.get("password")):
        raise AnnotateError(errors.E_DOCCANO_NO_AUTH.format(config=path))
    return DoccanoSettings(values["url"].rstrip("/"), values.get("username"), values.get("password"), values.get("token"))


# ---------------------------------------------------------------- bridge


def client_python(env: Optional[Mapping[str, str]] = None) -> Path:
    """The interpreter of the doccano-client venv (``FAZHI_DOCCANO_CLIENT_PYTHON`` overrides)."""
    env = os.environ if env is None else env
    return Path(env.get(ENV_PREFIX + "CLIENT_PYTHON") or CLIENT_PYTHON)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` on one line with every secret blanked out."""
    text = " ".join(text.split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def call_bridge(settings: DoccanoSettings, action: str, args: dict[str, Any], timeout: float = BRIDGE_TIMEOUT) -> Any:
    """Run one bridge action in the doccano-client venv and return its result."""
    python = client_python()
    if not python.exists():
        raise AnnotateError(errors.E_DOCCANO_NO_CLIENT.format(python=python))
    request = json.dumps({"settings": settings.to_request(), "action": action, "args": args}, ensure_ascii=False)
    try:
        proc = subprocess.run(
            [str(python), "-I", str(BRIDGE)], input=request, capture_output=True, text=True, encoding="utf-8", timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise AnnotateError(errors.E_DOCCANO_TIMEOUT.format(seconds=int(timeout))) from None
    lines = proc.stdout.strip().splitlines()
    try:
        response = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise AnnotateError(errors.E_DOCCANO_BRIDGE_CRASH.format(err=scrub(tail, settings.secrets))) from None
    if not response.get("ok"):
        err = scrub(str(response.get("error")), settings.secrets)
        if "No module named 'doccano_client'" in err:
            raise AnnotateError(errors.E_DOCCANO_NO_CLIENT.format(python=python))
        raise AnnotateError(errors.E_DOCCANO_BRIDGE.format(err=err))
    return response["result"]


def check_project(info: dict[str, Any]) -> None:
    """Refuse a project fazhi cannot work with (wrong type, grapheme offsets)."""
    if info["project_type"] != "SequenceLabeling":
        raise AnnotateError(errors.E_DOCCANO_WRONG_PROJECT.format(name=info["name"], kind=info["project_type"]))
    if info["grapheme_mode"]:
        raise AnnotateError(errors.E_DOCCANO_GRAPHEME.format(name=info["name"]))


def ensure_project(settings: DoccanoSettings, name: str) -> dict[str, Any]:
    """Create or reuse the project, with labels, relation type and guideline."""
    guideline = GUIDELINES.read_text(encoding="utf-8") if GUIDELINES.exists() else ""
    info = call_bridge(
        settings,
        "ensure_project",
        {
            "name": name,
            "description": "fazhi-ie: entities and count→activity records of 法治政府建设年度情况报告",
            "guideline": guideline,
            "span_labels": [{"text": t, "color": LABEL_COLORS[t]} for t in SPAN_LABELS],
            "relation_types": [{"text": QUANTIFIES, "color": LABEL_COLORS[QUANTIFIES]}]
            + [{"text": i, "color": INDICATOR_COLOR} for i in indicator_ids()],
        },
    )
    check_project(info)
    return info


def indicator_ids() -> list[str]:
    """The indicator ids of the project's indicator table (``corpus/rules/indicators.json``): doccano's relation types."""
    from pipeline.learning.rule_files import RULES_DIR

    path = RULES_DIR / "indicators.json"
    if not path.exists():
        return []
    return [t["id"] for t in json.loads(path.read_text(encoding="utf-8"))["taxonomy"]]


# ---------------------------------------------------------------- offsets


class Utf16Offsets:
    """Offsets into one text: Python code points ↔ UTF-16 code units (doccano's)."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self._units: Optional[list[int]] = None
        if any(ord(c) > 0xFFFF for c in text):
            units = [0]
            for c in text:
                units.append(units[-1] + (2 if ord(c) > 0xFFFF else 1))
            self._units = units

    def to_utf16(self, offset: int) -> int:
        """Code point offset → UTF-16 code unit offset."""
        if not 0 <= offset <= self.length:
            raise ValueError(errors.E_OUT_OF_RANGE.format(n=self.length))
        return offset if self._units is None else self._units[offset]

    def from_utf16(self, offset: int) -> int:
        """UTF-16 code unit offset → code point offset; refuses one inside a surrogate pair."""
        units = self._units
        end = self.length if units is None else units[-1]
        if not 0 <= offset <= end:
            raise ValueError(errors.E_OUT_OF_RANGE.format(n=self.length))
        if units is None:
            return offset
        i = bisect.bisect_left(units, offset)
        if units[i] != offset:
            raise ValueError(errors.E_UTF16_SPLIT.format(offset=offset))
        return i


def to_utf16(text: str, offset: int) -> int:
    """A code point offset into ``text`` as a UTF-16 code unit offset."""
    return Utf16Offsets(text).to_utf16(offset)


def from_utf16(text: str, offset: int) -> int:
    """A UTF-16 code unit offset into ``text`` as a code point offset."""
    return Utf16Offsets(text).from_utf16(offset)


# ---------------------------------------------------------------- push


def text_sha1(text: str) -> str:
    """The identity of a document's text (stored in the example's metadata)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass
class PushDoc:
    doc_id: str
    text: str
    path: str

    @property
    def sha1(self) -> str:
        return text_sha1(self.text)


@dataclass
class Suggestions:
    """Pre-annotations of one document, offsets in code points."""

    spans: list[tuple[int, int, str, float]] = field(default_factory=list)
    relations: list[tuple[int, int, str]] = field(default_factory=list)  # (count span, activity span, type: indicator or QUANTIFIES)


@dataclass
class PushResult:
    project: dict[str, Any]
    added: list[str]
    skipped: list[str]
    spans: int = 0
    relations: int = 0
    uncertainty: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.project["url"]


def read_push_docs(paths: Iterable[Path]) -> list[PushDoc]:
    """Documents from .txt files (UTF-8), corpus .jsonl files, or directories of them."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.rglob("*.txt")) + annotation_files([p])
        else:
            files.append(p)
    docs: list[PushDoc] = []
    for f in files:
        if not f.exists():
            raise AnnotateError(f"{f}: {errors.E_MISSING_FILE}")
        if f.suffix == ".txt":
            try:
                text = f.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as err:
                raise AnnotateError(f"{f}: {errors.E_UNREADABLE.format(err=err)}") from None
            found = [PushDoc(f.stem, text, str(f))]
        elif f.suffix == ".jsonl":
            found = []
            for item in read_jsonl_docs(f):
                if isinstance(item, Problem):
                    raise AnnotateError(str(item))
                found.append(PushDoc(item.doc_id, item.text, f"{f}:{item.line}"))
        else:
            raise AnnotateError(f"{f}: {errors.E_UNSUPPORTED.format(suffix=f.suffix)}")
        for d in found:
            if not d.text.strip():
                raise AnnotateError(errors.E_PUSH_EMPTY_DOC.format(path=d.path))
        docs += found
    if not docs:
        raise AnnotateError(errors.E_PUSH_NO_DOCS)
    return docs


def suggestions_from_doc(doc: Any, probs: Optional[Mapping[tuple[int, int, str], float]] = None) -> Suggestions:
    """The model's entities, plus one ACTIVITY span and a relation per record.

    A record's ACTIVITY span is its activity evidence (``activity.start/end``);
    records sharing the same evidence share one span (and one relation per count).
    The relation's type is the record's indicator (QUANTIFIES when it has none),
    so annotators correct the indicator by changing the type.
    """
    out = Suggestions()
    index: dict[tuple[int, int, str], int] = {}
    for e in doc.ents:
        if e.label_ in NER_LABELS:
            key = (e.start_char, e.end_char, e.label_)
            index[key] = len(out.spans)
            out.spans.append((*key, float(probs.get(key, 0.0)) if probs else 0.0))
    records = doc._.records if doc.has_extension("records") else []
    for rec in records:
        count, activity = rec.get("count") or {}, rec.get("activity") or {}
        count_key = (count.get("start"), count.get("end"), "COUNT")
        a0, a1 = activity.get("start"), activity.get("end")
        if count_key not in index or not (isinstance(a0, int) and isinstance(a1, int) and 0 <= a0 < a1 <= len(doc.text)):
            continue
        act_key = (a0, a1, ACTIVITY)
        if act_key not in index:
            index[act_key] = len(out.spans)
            out.spans.append((*act_key, 0.0))
        rel = (index[count_key], index[act_key], rec.get("indicator") or QUANTIFIES)
        if not any(r[:2] == rel[:2] for r in out.relations):
            out.relations.append(rel)
    return out


def entity_probabilities(nlp: Any, text: str, beam_width: int = BEAM_WIDTH) -> dict[tuple[int, int, str], float]:
    """Beam marginal probability of every candidate entity ``(start_char, end_char, label)``."""
    ner = nlp.get_pipe("ner")
    doc = nlp.make_doc(text)
    for name, proc in nlp.pipeline:
        if name == "ner":
            break
        doc = proc(doc)
    beams = ner.beam_parse([doc], beam_width=beam_width)
    scores = ner.scored_ents(beams)[0]
    return {(doc[s:e].start_char, doc[s:e].end_char, label): min(1.0, float(p)) for (s, e, label), p in scores.items()}


def uncertainty(probs: Mapping[Any, float]) -> float:
    """Mean over the beam's candidate entities of min(p, 1 − p).

    min(p, 1 − p) is the beam's probability that keeping (p ≥ 0.5) or dropping
    (p < 0.5) the entity is wrong: 0 when all parses agree, 0.5 when they split
    evenly. A document with no candidate entity scores 0.
    """
    return sum(min(p, 1.0 - p) for p in probs.values()) / len(probs) if probs else 0.0


def _example_payload(d: PushDoc, sug: Suggestions, info: dict[str, Any], score: Optional[float]) -> dict[str, Any]:
    conv = Utf16Offsets(d.text)
    label_ids, type_ids = info["span_label_ids"], info["relation_type_ids"]
    meta: dict[str, Any] = {META_DOC_ID: d.doc_id, META_SHA1: d.sha1}
    if score is not None:
        meta["uncertainty"] = round(score, 4)
    return {
        "text": d.text,
        "meta": meta,
        "spans": [
            {"start": conv.to_utf16(s), "end": conv.to_utf16(e), "label_id": label_ids[label], "confidence": round(p, 4)}
            for s, e, label, p in sug.spans
        ],
        "relations": [{"from": a, "to": b, "type_id": type_ids.get(t, type_ids[QUANTIFIES])} for a, b, t in sug.relations],
    }


def push(
    docs: list[Path],
    project: str,
    model: Optional[Path],
    order: str = "input",
    settings: Optional[DoccanoSettings] = None,
) -> PushResult:
    """Upload each document once to ``project``, with the model's suggestions.

    A document already in the project (same text) is skipped. With
    ``order="uncertainty"`` the documents the model is least sure of are
    uploaded first (doccano lists documents in upload order).
    """
    if order not in ORDERS:
        raise AnnotateError(errors.E_PUSH_ORDER.format(order=order))
    if order == "uncertainty" and model is None:
        raise AnnotateError(errors.E_PUSH_UNCERTAINTY_NEEDS_MODEL)
    items = read_push_docs(docs)
    settings = settings or load_settings()
    info = ensure_project(settings, project)
    known: set[str] = set()
    for ex in call_bridge(settings, "list_examples", {"project_id": info["id"]}):
        known.add(text_sha1(ex["text"]))
        if ex["meta"].get(META_SHA1):
            known.add(ex["meta"][META_SHA1])
    new: list[PushDoc] = []
    skipped: list[str] = []
    for d in items:
        if d.sha1 in known:
            skipped.append(d.doc_id)
        else:
            known.add(d.sha1)
            new.append(d)
    result = PushResult(info, [d.doc_id for d in new], skipped)
    if not info.get("collaborative_annotation"):
        result.warnings.append(errors.W_NOT_COLLABORATIVE.format(name=project, user=settings.username or "the token's user"))
    suggestions = {d.sha1: Suggestions() for d in new}
    scores: dict[str, float] = {}
    if model is not None and new:
        import spacy

        nlp = spacy.load(model)
        if order == "uncertainty" and "ner" not in nlp.pipe_names:
            raise AnnotateError(errors.E_PUSH_NO_NER.format(model=model))
        for d in new:
            probs = entity_probabilities(nlp, d.text) if order == "uncertainty" else None
            suggestions[d.sha1] = suggestions_from_doc(nlp(d.text), probs)
            if probs is not None:
                scores[d.sha1] = uncertainty(probs)
    if order == "uncertainty":
        new.sort(key=lambda d: -scores[d.sha1])
        result.added = [d.doc_id for d in new]
        result.uncertainty = {d.doc_id: round(scores[d.sha1], 4) for d in new}
    if new:
        payload = [_example_payload(d, suggestions[d.sha1], info, scores.get(d.sha1)) for d in new]
        made = call_bridge(settings, "add_examples", {"project_id": info["id"], "examples": payload})
        result.spans = sum(m["spans"] for m in made)
        result.relations = sum(m["relations"] for m in made)
    return result


# ---------------------------------------------------------------- pull


@dataclass
class PullResult:
    project: dict[str, Any]
    out: Path
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.project["url"]


SAFE_ID = re.compile(r"[\w][\w.\-]*")


def export_line_to_doc(obj: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """One line of doccano's JSONL export → a corpus document (code point offsets, ids renumbered)."""
    text = obj["text"]
    conv = Utf16Offsets(text)
    where = f"doccano example {obj.get('id')}"
    raw: list[tuple[Any, int, int, str]] = []
    if "entities" in obj:
        raw = [(e["id"], e["start_offset"], e["end_offset"], e["label"]) for e in obj["entities"]]
    else:
        raw = [(i, s, e, lab) for i, (s, e, lab) in enumerate(obj.get("label", []))]
    spans: dict[Any, tuple[int, int, str]] = {}
    for sid, s, e, label in raw:
        try:
            spans[sid] = (conv.from_utf16(int(s)), conv.from_utf16(int(e)), str(label))
        except ValueError as err:
            problems.append(f"{where}: [{s},{e}) {label}: {err}")
    ordered = sorted(set(spans.values()))
    new_id = {key: i for i, key in enumerate(ordered, start=1)}
    rels: set[tuple[int, int, str]] = set()
    for r in obj.get("relations", []):
        if r["from_id"] in spans and r["to_id"] in spans:
            rels.add((new_id[spans[r["from_id"]]], new_id[spans[r["to_id"]]], str(r["type"])))
        else:
            problems.append(f"{where}: relation {r['from_id']}->{r['to_id']}: {errors.E_REL_MISSING_END}")
    doc_id = str(obj.get(META_DOC_ID) or "")
    if not SAFE_ID.fullmatch(doc_id):
        doc_id = f"doc-{text_sha1(text)[:12]}"
    indicators = set(indicator_ids())
    return {
        "id": doc_id,
        "text": text,
        "entities": [{"id": new_id[k], "start_offset": k[0], "end_offset": k[1], "label": k[2]} for k in ordered],
        "relations": [corpus_relation(i, a, b, t, indicators) for i, (a, b, t) in enumerate(sorted(rels), start=1)],
    }


def corpus_relation(rel_id: int, frm: int, to: int, rtype: str, indicators: set[str]) -> dict[str, Any]:
    """A doccano relation in the corpus form: an indicator type becomes QUANTIFIES with that ``indicator``."""
    if rtype in indicators:
        return {"id": rel_id, "from_id": frm, "to_id": to, "type": QUANTIFIES, "indicator": rtype}
    return {"id": rel_id, "from_id": frm, "to_id": to, "type": rtype}


def read_export(zip_path: Path) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Documents, conflicts and problems of a doccano export zip.

    With collaborative annotation the zip holds ``all.jsonl``; otherwise one
    ``<user>.jsonl`` per member. Per-user versions of one example are merged:
    empty versions give way to annotated ones; different annotated versions
    are a conflict, and the example is left out.
    """
    problems: list[str] = []
    try:
        with zipfile.ZipFile(zip_path) as zf:
            files = {Path(n).stem: zf.read(n).decode("utf-8") for n in zf.namelist() if n.endswith(".jsonl")}
    except (zipfile.BadZipFile, UnicodeDecodeError, OSError) as err:
        raise AnnotateError(errors.E_PULL_BAD_EXPORT.format(err=err)) from None
    if "all" in files:
        files = {"all": files["all"]}
    versions: dict[Any, dict[str, dict[str, Any]]] = {}
    try:
        for user in sorted(files):
            for line in files[user].splitlines():
                if line.strip():
                    obj = json.loads(line)
                    versions.setdefault(obj["id"], {})[user] = export_line_to_doc(obj, problems)
    except (ValueError, KeyError, TypeError) as err:
        raise AnnotateError(errors.E_PULL_BAD_EXPORT.format(err=err)) from None
    docs: list[dict[str, Any]] = []
    conflicts: list[str] = []
    for example_id in sorted(versions, key=str):
        by_user = versions[example_id]
        distinct: dict[str, dict[str, Any]] = {}
        for user, d in by_user.items():
            distinct.setdefault(json.dumps([d["entities"], d["relations"]], sort_keys=True), d)
        annotated = [d for d in distinct.values() if d["entities"]] or list(distinct.values())[:1]
        if len(annotated) > 1:
            users = ", ".join(u for u, d in sorted(by_user.items()) if d["entities"])
            conflicts.append(f"{annotated[0]['id']}: annotators disagree ({users}); left out")
            continue
        docs.append(annotated[0])
    return docs, conflicts, problems


def doc_line(doc: dict[str, Any]) -> str:
    """A corpus document as one JSONL line (the exact bytes pull compares and writes)."""
    return json.dumps(doc, ensure_ascii=False) + "\n"


def pull(
    project: str,
    out: Path,
    force: bool = False,
    settings: Optional[DoccanoSettings] = None,
    confirmed_only: bool = True,
    timeout: float = EXPORT_TIMEOUT,
) -> PullResult:
    """Export ``project``, write one corpus file per document into ``out``, validate them.

    Only documents marked done (confirmed) in doccano are taken unless
    ``confirmed_only`` is False: unreviewed suggestions are not gold. A file
    in ``out`` that differs from doccano's version is replaced only with
    ``force``; otherwise nothing is written and ``AnnotateError`` is raised.
    """
    settings = settings or load_settings()
    info = call_bridge(settings, "find_project", {"name": project})
    if info is None:
        raise AnnotateError(errors.E_DOCCANO_NO_PROJECT.format(name=project))
    check_project(info)
    with tempfile.TemporaryDirectory(prefix="fazhi-pull-") as tmp:
        got = call_bridge(
            settings,
            "export",
            {"project_id": info["id"], "only_approved": confirmed_only, "dir": tmp, "timeout": timeout},
            timeout=timeout + 60,
        )
        docs, conflicts, problems = read_export(Path(got["path"]))
    result = PullResult(info, out, conflicts=conflicts, problems=problems)
    planned: list[tuple[Path, str, str]] = []
    seen: set[str] = set()
    for doc in docs:
        if doc["id"] in seen:
            doc["id"] = f"{doc['id']}-{text_sha1(doc['text'])[:8]}"
        seen.add(doc["id"])
        path = out / f"{doc['id']}.jsonl"
        content = doc_line(doc)
        if not path.exists():
            planned.append((path, content, "added"))
        elif path.read_text(encoding="utf-8") != content:
            planned.append((path, content, "changed"))
        else:
            result.unchanged.append(doc["id"])
        result.files.append(path)
    changed = [p for p, _, kind in planned if kind == "changed"]
    if changed and not force:
        raise AnnotateError(errors.E_PULL_WOULD_OVERWRITE.format(n=len(changed), out=out, first=changed[0].name))
    out.mkdir(parents=True, exist_ok=True)
    for path, content, kind in planned:
        path.write_text(content, encoding="utf-8")
        getattr(result, kind).append(path.stem)
    if result.files:
        result.problems += [str(p) for p in validate_paths(result.files)]
    return result
