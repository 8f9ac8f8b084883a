"""The names the whole package shares: entity labels, relation names, component names, table files."""
from __future__ import annotations

NER_LABELS = ("COUNT", "LAW", "INSTITUTION", "MECHANISM")
ACTIVITY = "ACTIVITY"
QUANTIFIES = "QUANTIFIES"

# the components after the NER, in pipeline order; extraction runs them on the whole text
RECORD_COMPONENTS = ("count_normalizer", "report_structure", "record_linker", "indicator_classifier")

# the indicator of a record that fits none of the taxonomy (../shared/indicators)
OTHER_INDICATOR = "other"

# the data each component receives in `initialize` (config [initialize.components]) and saves with the model:
# component → {initialize argument → file under corpus/rules}
COMPONENT_TABLES = {
    "entity_rules": {"rules": "entity_rules.json", "places": "places.json", "bodies": "bodies.json", "laws": "law_titles.json"},
    "count_normalizer": {"tables": "count_units.json"},
    "report_structure": {"rules": "sections.json"},
    "record_linker": {"rules": "activity_rules.json", "ranker": "activity_ranker.json"},
    "indicator_classifier": {"model": "indicators.json"},
}

# the order of the per-label columns of the documents table and of the review pages' legend
TABLE_LABEL_ORDER = ("MECHANISM", "COUNT", "INSTITUTION", "LAW")
assert sorted(TABLE_LABEL_ORDER) == sorted(NER_LABELS)
