"""Every message a user reads about bad input, in one place."""

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
E_UNDECODABLE = "cannot decode text (tried UTF-8, UTF-16, GB18030)"
E_BINARY = "binary content, not text"
E_DOCX = "not a readable .docx: {err}"
E_PDF = "not a readable .pdf: {err}"
E_PDF_ENCRYPTED = "encrypted .pdf"
E_PDF_NO_TEXT = "pdf has no extractable text (image-only?)"
E_UNREADABLE = "cannot read file: {err}"
E_TOO_LARGE = "file larger than {limit} MB"
E_UNSUPPORTED = "unsupported file type {suffix!r}"
