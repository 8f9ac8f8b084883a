"""entity_rules: rule-based repair of the NER's entities, placed right after "ner".

A character-level NER trained on a handful of reports gets boundaries and
rare types wrong. This component re-reads ``doc.text`` with rules that follow
the annotation spec and hold for reports from any province: measure-word
patterns for COUNT, title marks and document type words for LAW, head words
with their naming modifier for MECHANISM, type nouns with their place prefix
for INSTITUTION, and boundary words for every span. No rule names a
particular unit.

Rule families (each switched on or off in the data, see ``FAMILIES``):

- ``trim``: model spans lose leading function words, governing verbs and
  trailing particles, are snapped to word boundaries, and are dropped when they
  cross clause punctuation.
- ``count``: numeral + 余/多 + magnitude + measure word; authoritative (it
  replaces overlapping predictions and, with ``drop_unmatched``, removes model
  COUNTs it does not confirm).
- ``law``: 《》 titles by their type word (law → LAW, publication → no LAW),
  national statute names, numbered five-year (普法) plans.
- ``mechanism_fix`` / ``mechanism_add``: head word + naming modifier
  candidates replace overlapping predictions / are added where the model has
  nothing.
- ``institution_fix`` / ``institution_add``: the same for type nouns with
  place prefixes, named groups and named streets acting as the office.

The tables are data (``corpus/rules/entity_rules.json``), loaded in
``initialize`` and saved with the pipeline. Offsets are never changed: the
rules read the cleaned ``doc.text`` (same length as the input) and set
``doc.ents`` from character offsets.
"""
from pipeline.components.rules.component import EXTRA_TABLES, FAMILIES, EntityRules, EntityRuleTables, apply_rules, make_entity_rules
from pipeline.components.rules.text import jieba_words

__all__ = ["EXTRA_TABLES", "FAMILIES", "EntityRules", "EntityRuleTables", "apply_rules", "jieba_words", "make_entity_rules"]
