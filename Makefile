# fazhi-ie: each target names its inputs, so make rebuilds only what changed.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
FAZHI  := $(BIN)/fazhi

.PHONY: setup test validate stats

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

test: setup
	$(BIN)/python -m pytest -q

validate: setup
	$(FAZHI) corpus validate corpus/

stats: setup
	$(FAZHI) corpus stats corpus/
