"""Speaker names as search words: how ``speaker:`` and ``duiding quotes --speaker`` match a quote's source.

A quote's source is matched on its name and the aliases the article uses for it, in every normalisation
of :mod:`duiding.nlp.normalize` that may apply (a source may be a person, a body or a country), plus
the name as written, case- and whitespace-folded. A name asked for matches when one of its forms is a
run of whole words of one of the source's forms, so ``Poetin``, ``Putin`` and ``Vladimir Putin`` all
find ``Vladimir Poetin``, and ``Van der Togt`` finds ``Tony van der Togt``. The entity a name keys to
(:func:`~duiding.nlp.normalize.entity_key`, so middle names do not count) matches the quote's
``speaker_entity_id`` too.

Pure Python and shared by the store and the search index, so both answer the same question the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from duiding.model import Quote
from duiding.nlp.normalize import entity_id, entity_key, name_search_text

__all__ = ["LABELS", "SEP", "entity_ids", "forms", "needles", "quote_terms", "search_key"]

#: The normalisations a source's name goes through: a person's, an organisation's, a place's.
LABELS = ("PER", "ORG", "LOC")

#: Separates the forms in :func:`search_key` (no name contains it).
SEP = "\x1f"


def _raw(name: str) -> str:
    return " ".join(name.casefold().split())


def forms(name: str | None) -> list[str]:
    """The search forms of one name: space-separated lower-case words, most specific first, deduplicated.

    ``Vladimir Poetin`` → ``vladimir putin``, ``vladimir poetin``; ``het RIVM`` → ``het rivm``.
    """
    if not name or not name.strip():
        return []
    found = []
    # The normalised spellings keep letters only: a name with digits (D66, 50PLUS) goes as written.
    if not any(c.isdigit() for c in name):
        # A person's name typed all in lower case is still a name: without capitals, its first words
        # would be taken for a role (``mark rutte`` → ``rutte``).
        person = (
            name if any(c.isupper() for c in name) else " ".join(w[:1].upper() + w[1:] for w in name.split())
        )
        found += [name_search_text(label, person if label == "PER" else name) for label in LABELS]
    found.append(_raw(name))
    return [f for f in dict.fromkeys(found) if f]


def entity_ids(name: str | None) -> list[str]:
    """The entity ids a name keys to, one per label of :data:`LABELS` (``Vladimir Poetin`` → ``per-…``)."""
    if not name or not name.strip():
        return []
    return list(dict.fromkeys(entity_id(label, entity_key(label, name)) for label in LABELS))


def _names(quote: Quote) -> list[str]:
    return [n for n in (quote.speaker, *quote.speaker_aliases) if n and n.strip()]


def quote_terms(quote: Quote) -> list[str]:
    """What the search index holds for a quote's source: the forms of its names and its entity id."""
    out = [f for name in _names(quote) for f in forms(name)]
    if quote.speaker_entity_id:
        out.append(quote.speaker_entity_id)
    return list(dict.fromkeys(out))


def search_key(names: Iterable[str | None]) -> str | None:
    """The forms of a source's names as one string a store can test with a substring search.

    Each form stands as ``SEP + " " + form + " "``, so :func:`needles` match whole words inside one form.
    None when there is no name.
    """
    found = list(dict.fromkeys(f for name in names for f in forms(name)))
    if not found:
        return None
    return "".join(f"{SEP} {f} " for f in found) + SEP


def needles(name: str) -> list[str]:
    """The substrings of :func:`search_key` that mean ``name`` matches: its forms, as whole words."""
    return [f" {f} " for f in forms(name)]
