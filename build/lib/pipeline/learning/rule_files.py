"""The project's rule and lexicon files (``corpus/rules``) handed to the components.

Components never read the checkout: a saved model carries its tables. Code
that builds pipelines from the checkout (training, evaluation, tests) gets the
tables here, as the shipped config's ``[initialize.components]`` does.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import srsly
from spacy.language import Language

from pipeline.labels import COMPONENT_TABLES

RULES_DIR = Path(__file__).resolve().parents[2] / "corpus" / "rules"


def read_table(file_name: str) -> Any:
    """One file of ``corpus/rules``."""
    return srsly.read_json(RULES_DIR / file_name)


def component_tables(component: str) -> dict[str, Any]:
    """The ``initialize`` keyword arguments of one component, read from ``corpus/rules``."""
    return {arg: read_table(name) for arg, name in COMPONENT_TABLES[component].items()}


def initialize_components(nlp: Language, skip: Sequence[str] = ()) -> Language:
    """Initialise every fazhi component of ``nlp`` with the project's tables (what ``nlp.initialize()`` does from the config).

    ``skip`` names optional tables to leave out (``("ranker",)``: the linker's rules alone).
    """
    for name in nlp.pipe_names:
        factory = nlp.get_pipe_meta(name).factory
        if factory in COMPONENT_TABLES:
            tables = {k: v for k, v in component_tables(factory).items() if k not in skip}
            nlp.get_pipe(name).initialize(lambda: [], nlp=nlp, **tables)
    return nlp
