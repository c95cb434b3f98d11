"""The language of an article, offline, with py3langid (langid.py's model, no network, no downloads).

The candidate languages are those a Dutch news archive meets; a closed set keeps a Dutch text from being
taken for Afrikaans or Frisian on a few words. Texts too short to tell, or told with little confidence,
get None: the archive treats those as Dutch (the Dutch NLP runs on them).
"""

from __future__ import annotations

import threading
from typing import Any

#: ISO 639-1 codes langid may answer.
LANGUAGES = (
    "nl",
    "en",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "pl",
    "ro",
    "tr",
    "ar",
    "da",
    "sv",
    "no",
    "fi",
    "cs",
    "hu",
    "el",
    "ru",
    "uk",
    "id",
    "zh",
    "ja",
)
DUTCH = "nl"
MIN_CHARS = 40  # fewer letters than this: no verdict
MIN_CONFIDENCE = 0.5
SAMPLE_CHARS = 1000  # the title and the start of the body are plenty

_lock = threading.Lock()
_identifier: Any = None


def _ident() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            ident.set_languages(list(LANGUAGES))
            _identifier = ident
    return _identifier


def detect(title: str, text: str) -> str | None:
    """The article's language as an ISO 639-1 code (``nl``, ``en``…), or None when it cannot tell."""
    sample = f"{title}\n{text[:SAMPLE_CHARS]}"
    if sum(c.isalpha() for c in sample) < MIN_CHARS:
        return None
    lang, confidence = _ident().classify(sample)
    return str(lang) if confidence >= MIN_CONFIDENCE else None


def is_dutch(language: str | None) -> bool:
    """Whether the Dutch NLP applies: Dutch, or not known to be anything else."""
    return language is None or language.lower().split("-")[0] == DUTCH
