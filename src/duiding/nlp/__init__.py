"""Dutch NLP for duiding: tokenizer, sentence splitter and named-entity recogniser (spaCy).

Importing this package registers the spaCy components by name (``duiding.dutch_tokenizer.v1`` and
``duiding_sentencizer``), which ``spacy.load`` needs for a pipeline trained with ``configs/ner.cfg``.
"""

from __future__ import annotations

from pathlib import Path

import spacy
from spacy.language import Language

from duiding.nlp.tokenizer import (
    SENTENCIZER_NAME,
    TOKENIZER_NAME,
    DutchSentencizer,
    build_tokenizer,
    make_nlp,
    sentence_starts,
)

__all__ = [
    "SENTENCIZER_NAME",
    "TOKENIZER_NAME",
    "DutchSentencizer",
    "build_tokenizer",
    "load",
    "make_nlp",
    "sentence_starts",
]


def load(path: str | Path) -> Language:
    """``spacy.load`` a pipeline saved by ``python -m duiding.nlp.train`` (components registered)."""
    return spacy.load(path)
