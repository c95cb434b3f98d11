"""A quoted source's gender, guessed from the first name only (the ``gender-guesser`` name lists).

``female`` or ``male`` when the first name is (mostly) one of them, in the Dutch list first and in the
international one where the Dutch one does not know the name or calls it androgynous; ``unknown`` for
everything else: an androgynous or unlisted first name, a surname alone (``Hummels``), initials
(``M. Rutte``), a source that is not a person (``experts``, ``de Belarussische regering``, an
organisation). Unknown stays unknown: nothing is inferred from roles, pronouns or anything else.
"""

from __future__ import annotations

import functools
from typing import Any

from duiding.nlp.normalize import parse_person

__all__ = ["GENDERS", "gender_of", "gender_of_first_name"]

#: The values :func:`gender_of` returns, in the order figures show them.
GENDERS = ("female", "male", "unknown")

_ANSWER = {"female": "female", "mostly_female": "female", "male": "male", "mostly_male": "male"}


@functools.cache
def _detector() -> Any:
    import gender_guesser.detector as gd

    return gd.Detector(case_sensitive=False)


@functools.cache
def gender_of_first_name(first: str) -> str:
    """``female``, ``male`` or ``unknown`` for one first name (``Jan-Peter``: also tries ``Jan``)."""
    candidates = [first]
    if "-" in first:
        candidates.append(first.split("-", 1)[0])
    for name in candidates:
        if len(name) < 2 or not name.isalpha():
            continue
        for country in ("the_netherlands", None):
            try:
                answer = _detector().get_gender(name, country) if country else _detector().get_gender(name)
            except Exception:  # pragma: no cover - the detector raises on nothing we pass; be safe
                answer = "unknown"
            if answer in _ANSWER:
                return _ANSWER[answer]
    return "unknown"


def gender_of(name: str | None, entity_label: str | None = None) -> str:
    """The gender of a quoted source named ``name`` (its fullest name), from its first name.

    ``entity_label``: the label of the source's entity, if it has one; only a person (``PER``) or a
    source without an entity can have a gender.
    """
    if not name or (entity_label is not None and entity_label != "PER"):
        return "unknown"
    person = parse_person(name)
    if person is None or not person.given or not person.surname:
        return "unknown"
    first = person.given[0]
    # A name starts with a capital; a word that does not ("de", "het", "experts") is no first name.
    last = person.surname[-1]
    if not first[:1].isupper() or not last[:1].isupper():
        return "unknown"
    return gender_of_first_name(first)
