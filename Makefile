# fazhi-ie: each target names its inputs, so make rebuilds only what changed.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
FAZHI  := $(BIN)/fazhi

MODEL  := training/model-best
CORPUS := $(wildcard corpus/annotations/*.jsonl)
# the NER's inputs; the indicator table goes into a trained model without retraining it (below)
RULES  := $(filter-out corpus/rules/indicator%,$(wildcard corpus/rules/*.json))

.PHONY: setup test validate stats train cv pkuseg extract bench ranker places laws package mutants vectors indicators

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

test: setup browser formats
	$(BIN)/python -m pytest -q

# The shipped model: all five reports, fixed seed and epochs (chosen by `make cv`).
$(MODEL)/meta.json: configs/ner.cfg $(CORPUS) $(RULES) corpus/vectors/meta.json | setup corpus/rules/indicators.json
	$(FAZHI) train --output training --config configs/ner.cfg

# a new indicator table replaces the trained model's copy; the NER is not retrained for it
$(MODEL)/indicator_classifier/model.json: corpus/rules/indicators.json $(MODEL)/meta.json
	$(BIN)/python -m pipeline.learning.indicators install corpus/rules/indicators.json $(MODEL)

train: $(MODEL)/meta.json $(MODEL)/indicator_classifier/model.json

# The linker's learned activity choice (scikit-learn), trained on the gold records.
corpus/rules/activity_ranker.json: $(CORPUS) corpus/rules/activity_rules.json pipeline/learning/ranker.py | setup
	$(BIN)/python -m pipeline.learning.ranker train $@

ranker: corpus/rules/activity_ranker.json

# The indicator classifier's table (taxonomy + weights + threshold): seed labels, the dev set's study half
# (its texts rebuilt: corpus/devset/README.md) and the taxonomy beside the checkout. Committed; built when missing
# or on `make indicators`. `python -m pipeline.learning.indicators compare` measures the choices (docs/results.md §7).
INDICATORS ?= ../shared/indicators
corpus/rules/indicators.json: | setup
	FAZHI_INDICATORS=$(INDICATORS) $(BIN)/python -m pipeline.learning.indicators build $@

indicators: setup
	FAZHI_INDICATORS=$(INDICATORS) $(BIN)/python -m pipeline.learning.indicators build corpus/rules/indicators.json

# Place names to township level, derived from jionlp's location dictionary (Apache-2.0).
# jionlp is installed without its dependencies (its zip is all we read), only for this target.
places: setup
	$(BIN)/pip install -q --no-deps jionlp==1.5.31
	$(BIN)/python -m pipeline.knowledge.places build corpus/rules/places.json

# Titles of laws and regulations (a LAW gazetteer) from the legal-domain corpus beside the checkout.
LAWREF ?= ../shared/data/lawref/laws.jsonl.gz
laws: setup
	$(BIN)/python -m pipeline.knowledge.lawnames build $(LAWREF) corpus/rules/law_titles.json

# Leave-one-report-out cross-validation of the shipped config → training/cv/default/cv.md
cv: setup
	$(FAZHI) cv --output training/cv/default --name "shipped config (configs/ner.cfg)"

# The project's own pkuseg model, trained offline from jieba-segmented reports.
training/pkuseg/weights.npz: $(wildcard corpus/raw/*.txt) | setup
	$(FAZHI) pkuseg --output training/pkuseg

pkuseg: training/pkuseg/weights.npz

# The README's main command: bundled reports → out/ (manifest, tables, xlsx, review pages).
extract: train
	$(FAZHI) extract corpus/raw --out out --force --model $(MODEL)
	$(FAZHI) export out --format xlsx
	$(FAZHI) review out
	$(FAZHI) dashboard out
	@echo "open out/review/index.html and out/dashboard/index.html; tables in out/export/fazhi.xlsx"

# Character vectors from the legal-domain corpus beside the checkout (the committed weights in corpus/vectors).
vectors: setup
	$(BIN)/pip install -q floret==0.10.5
	$(BIN)/python -m pipeline.learning.vectors $(LAWREF) training/vectors-work corpus/vectors

# The trained pipeline as an installable wheel (requires this project, which registers the components).
package: train
	$(BIN)/python -m pipeline.learning.package $(MODEL) packages

# Mutation check (docs/testing.md), not part of `make test`: the named must-catch mutants (each applied to a
# copy of the checkout, its killing tests must fail), then mutmut over the component modules on a seeded
# stratified sample (MUTANTS_PER_GROUP per module group), which writes the score into docs/testing.md.
MUTANTS_PER_GROUP ?= 120
MUTANTS_SEED      ?= 14
mutants: setup
	$(BIN)/python tests/mutants/named.py --report docs/testing-mutants.json
	$(BIN)/python tests/mutants/score.py --per-group $(MUTANTS_PER_GROUP) --seed $(MUTANTS_SEED) --report docs/testing-mutmut.json --doc docs/testing.md

bench: train
	$(BIN)/python -m pipeline.batch.bench --model $(MODEL) --out docs/benchmarks.md

validate: setup
	$(FAZHI) corpus validate corpus/

stats: setup
	$(FAZHI) corpus stats corpus/

# The doccano loop (docs/doccano.md). doccano-client pins pydantic<2 and
# urllib3<2, which spaCy cannot share: it lives in its own venv and is driven
# through pipeline/annotation/doccano_bridge.py.
CLIENT_VENV     := .venv-doccano-client
DOCCANO_PROJECT ?= fazhi
PULLED          ?= corpus/doccano
RETRAIN_ARGS    ?=

.PHONY: doccano-client retrain

$(CLIENT_VENV)/.installed:
	test -d $(CLIENT_VENV) || $(PYTHON) -m venv $(CLIENT_VENV)
	$(CLIENT_VENV)/bin/pip install -q doccano-client==1.2.8 "pydantic<2" "urllib3<2"
	touch $@

doccano-client: $(CLIENT_VENV)/.installed

# pull → validate → train → evaluate on configs/heldout.txt → keep if not worse.
# e.g. make retrain DOCCANO_PROJECT=team RETRAIN_ARGS="--training.max_epochs 10"
retrain: setup doccano-client
	$(FAZHI) annotate retrain --project $(DOCCANO_PROJECT) --pulled $(PULLED) $(RETRAIN_ARGS)

# Headless Chromium (Debian's) for the review-page browser test; CJK font so screenshots show the text.
.PHONY: browser
browser:
	test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei; }

# Converters for Word 97–2003 .doc/.wps (antiword first, LibreOffice when antiword refuses a file;
# docs/formats.md) and a CJK font for the PDF fixtures. LibreOffice also writes the tests' Word 97 files.
.PHONY: formats
formats:
	test -x /usr/bin/antiword -a -x /usr/bin/soffice -a -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends antiword libreoffice-writer-nogui fonts-wqy-microhei; }
