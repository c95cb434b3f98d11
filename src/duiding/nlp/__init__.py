"""Dutch NLP for duiding: tokenizer, sentence splitter, named entities (spaCy) and their normalisation.

spaCy is imported only when something here needs it, so the rest of duiding (and ``--no-nlp``) starts
fast. The spaCy components are registered by name (``duiding.dutch_tokenizer.v1`` and
``duiding_sentencizer``) when :mod:`duiding.nlp.tokenizer` is imported; :func:`load` does that, and the
package's ``spacy_tokenizers``/``spacy_factories`` entry points let plain ``spacy.load`` find them too.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "SENTENCIZER_NAME",
    "TOKENIZER_NAME",
    "DutchSentencizer",
    "ModelMissing",
    "build_tokenizer",
    "load",
    "make_nlp",
    "sentence_starts",
]

_TOKENIZER_NAMES = {
    "SENTENCIZER_NAME",
    "TOKENIZER_NAME",
    "DutchSentencizer",
    "build_tokenizer",
    "make_nlp",
    "sentence_starts",
}


class ModelMissing(RuntimeError):
    """The package was installed without its NER model (or a model path points at nothing)."""


def load(path: str | Path) -> Language:
    """``spacy.load`` a pipeline saved by ``python -m duiding.nlp.train`` (components registered)."""
    import spacy

    import duiding.nlp.tokenizer  # noqa: F401  (registers the components the pipeline names)

    return spacy.load(path)


def __getattr__(name: str) -> Any:
    if name in _TOKENIZER_NAMES:
        return getattr(importlib.import_module("duiding.nlp.tokenizer"), name)
    if name in {"conll", "evaluate", "train", "tokenizer", "entities", "normalize"}:
        return importlib.import_module(f"duiding.nlp.{name}")
    raise AttributeError(f"module 'duiding.nlp' has no attribute {name!r}")
