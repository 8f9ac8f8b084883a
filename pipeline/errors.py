"""Every message a user reads about bad input, in one place."""
from pipeline.labels import COMPONENT_TABLES

# corpus validation
E_NO_TEXT = "no 'text' string"
E_BAD_LINE = "cannot read line: {err}"
E_UNKNOWN_LABEL = "unknown label {label!r}"
E_OUT_OF_RANGE = "offsets out of range (text has {n} characters)"
E_WHITESPACE_EDGE = "span starts or ends with whitespace"
E_CROSSES_LINE = "span crosses a line break"
E_OVERLAP = "overlapping entity spans"
E_DUPLICATE = "duplicate ACTIVITY span"
E_REL_TYPE = "unknown relation type {type!r}"
E_REL_MISSING_END = "relation end does not exist"
E_REL_DIRECTION = "relation must go COUNT→ACTIVITY, goes {a}→{b}"
E_RECORD_NO_COUNT = "record's count offsets match no COUNT span"
E_RECORD_TEXT = "record's count text differs from the text at its offsets"
E_COUNT_NO_RECORD = "COUNT has neither a record nor a no_record mark"
E_NO_FILES = "no annotation files found"
E_MISSING_FILE = "file does not exist"

# conversion to spaCy
E_MISALIGNED = "span does not align with tokens"

# reading inputs (batch extraction)
E_EMPTY = "empty file"
E_NOT_REGULAR = "not a regular file (a pipe, socket or device)"
E_BAD_UTF8 = "UTF-8 text with an invalid byte sequence ({bytes}) at byte {offset}, line {line}"
E_DOCX_BOMB = "not a readable .docx: it unpacks to {mb} MB"
E_NO_TEXT_IN_FILE = "no text (the file is empty or only whitespace)"
E_UNDECODABLE = "cannot decode text (tried UTF-8, UTF-16, GB18030)"
E_BINARY = "binary content, not text"
E_DOCX = "not a readable .docx: {err}"
E_PDF = "not a readable .pdf: {err}"
E_PDF_ENCRYPTED = "encrypted .pdf"
E_PDF_NO_TEXT = "pdf has no extractable text (image-only?)"
E_UNREADABLE = "cannot read file: {err}"
E_TOO_LARGE = "file larger than {limit} MB"
E_UNSUPPORTED = "unsupported file type {suffix!r}"

# doccano (fazhi annotate)
E_DOCCANO_NO_URL = "no doccano address: set FAZHI_DOCCANO_URL or `url` in {config}"
E_DOCCANO_NO_AUTH = "no doccano credentials: set FAZHI_DOCCANO_USERNAME and FAZHI_DOCCANO_PASSWORD (or FAZHI_DOCCANO_TOKEN), or put them in {config}"
E_DOCCANO_CONFIG_MISSING = "doccano config file not found: {path} (from FAZHI_DOCCANO_CONFIG)"
E_DOCCANO_CONFIG_BAD = "cannot read doccano config {path}: {err}"
E_DOCCANO_CONFIG_IN_REPO = "doccano config {path} is inside the repository; keep credentials outside it (~/.config/fazhi/doccano.toml)"
E_DOCCANO_NO_CLIENT = "doccano-client is not installed at {python}: run `make doccano-client`"
E_DOCCANO_BRIDGE = "doccano: {err}"
E_DOCCANO_BRIDGE_CRASH = "doccano bridge failed: {err}"
E_DOCCANO_TIMEOUT = "doccano did not answer within {seconds} s"
E_DOCCANO_NO_PROJECT = "no doccano project named {name!r}: push documents to it first"
E_DOCCANO_WRONG_PROJECT = "doccano project {name!r} is a {kind} project; fazhi needs a SequenceLabeling project"
E_DOCCANO_GRAPHEME = "doccano project {name!r} counts offsets in graphemes; turn grapheme mode off (fazhi converts UTF-16 offsets) or use another project"
W_NOT_COLLABORATIVE = "project {name!r} is not collaborative: only {user} sees and can edit the suggestions (turn on collaborative annotation in the project settings)"
E_PUSH_NO_DOCS = "no documents to push (give .txt files, corpus .jsonl files or directories)"
E_PUSH_EMPTY_DOC = "{path}: empty document"
E_PUSH_ORDER = "unknown order {order!r}: use input or uncertainty"
E_PUSH_UNCERTAINTY_NEEDS_MODEL = "--order uncertainty needs --model"
E_PUSH_NO_NER = "model {model} has no ner component: cannot order by uncertainty"
E_UTF16_SPLIT = "offset {offset} falls inside a UTF-16 surrogate pair"
E_PULL_BAD_EXPORT = "cannot read the doccano export: {err}"
E_PULL_WOULD_OVERWRITE = "{n} file(s) in {out} differ from doccano ({first}, ...): not overwriting; pass --force to replace them"
E_RETRAIN_INVALID = "{n} problem(s) in the corpus or the pulled documents; fix them first (fazhi corpus validate)"
E_RETRAIN_NO_HELDOUT = "none of the held-out reports in {path} is in the corpus"
E_RETRAIN_NO_TRAIN = "no training documents left after removing the held-out reports"

# batch extraction
E_TOO_LONG = "text has {n} characters, more than the limit of {limit} (--max-chars)"
E_OUT_LOCKED = "{path} is in use by another extraction (process {holder}); wait for it or use another --out"
E_MISSING_LINES = "{n} input(s) have no line in documents.jsonl: {first}"
E_NO_INPUTS = "no input files found"
E_OUT_EXISTS = "{path} already holds an extraction; use --resume to continue it or --force to start again"
E_AT_LEAST_ONE = "{flag} must be at least 1 (got {value})"
E_OUT_NOT_DIR = "--out {path} is not a directory"
E_NOT_A_MODEL = "{path} is not a spaCy pipeline (no config.cfg): pass the directory `make train` writes (training/model-best)"
E_NO_MODEL = "model not found: {path} (run `make train` or pass --model)"

# Dask extraction
E_SCHEDULER_SPEC = "bad --scheduler {spec!r}: give a scheduler address (tcp://host:8786) or local:N"
E_SCHEDULER_UNREACHABLE = "cannot reach the Dask scheduler at {address}: {err}"
E_NO_WORKERS = "no Dask workers joined the scheduler at {address} within {seconds} s (start dask-worker on the hosts)"
E_WORKER_SETUP = "a Dask worker cannot run the extraction: {err}"
E_WORKER_VERSIONS = "worker has {worker}, the client {client}: install the same versions on every worker"
E_WORKER_NO_MODEL = "Dask worker {worker} has no model: {err}"
E_N_PROCESS = "--n-process is for a local run; with --scheduler the workers are the processes (local:N for N on this machine)"

# export
E_NO_DIR = "no such directory: {path} (give the --out directory of `fazhi extract`)"
E_NO_DOCUMENTS = "no {name} in {path}: run `fazhi extract ... --out {path}` first"
E_BAD_DOCUMENT_LINE = "{path}, line {line}: not a JSON document ({err}); only a torn last line is skipped"
E_UNKNOWN_FORMAT = "unknown format {fmt!r}: use csv, xlsx or parquet"
E_UNKNOWN_LANG = "unknown language {lang!r}: use en or zh"

# review pages
E_TEXT_MISSING = "text not available: {err}"
E_TEXT_LENGTH = "the text has {n} characters, documents.jsonl says {expected}: offsets may be wrong"
E_BAD_ENTITIES = "{n} entity span(s) out of range or overlapping were not shown"

# entity rules
E_UNKNOWN_FAMILY = "unknown rule family {name!r}; known: {known}"
E_NO_RULES = "entity_rules has no rule data: initialize it with rules (config [initialize.components.entity_rules.rules])"
E_NO_TABLE = "{component} has no {table}: initialize it with [initialize.components.{component}.{table}] (the project's file is corpus/rules/{file})"


def no_table(component: str, table: str) -> ValueError:
    """The error of a component used before its table was given (``E_NO_TABLE``, naming the project's file)."""
    return ValueError(E_NO_TABLE.format(component=component, table=table, file=COMPONENT_TABLES[component][table]))


# Word 97–2003 (.doc) and WPS (.wps) files, read through a Debian-packaged converter
E_WORD97_NO_CONVERTER = "cannot read {suffix} files on this machine: no converter installed (antiword or LibreOffice; `make formats` installs them)"
E_WORD97_NOT_OLE = "not a Word 97–2003 {suffix} file (no OLE compound-file header)"
E_WORD97 = "not a readable {suffix}: {err}"
E_WORD97_TIMEOUT = "{tool} did not finish reading the {suffix} within {seconds} s"


class InputError(Exception):
    """An input that cannot be read; str(err) is a one-line reason (one of the messages above)."""

    def __init__(self, reason: str):
        super().__init__(" ".join(reason.split()) if ("\n" in reason or "\r" in reason) else reason)


def short_reason(err: BaseException, limit: int = 160) -> str:
    """A short one-line description of an exception from a third-party library."""
    raw = err.args[0] if isinstance(err, KeyError) and err.args else err  # KeyError's str() adds quotes
    msg = " ".join(str(raw).split())
    if not msg:
        return type(err).__name__
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"
