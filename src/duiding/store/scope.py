"""What a backend answers for analysis and export: aggregates over the articles a query finds.

An :class:`~duiding.store.base.Archive` opens a :class:`Scope` for a parsed query (or for the whole
archive) with ``archive.scope(query)``; the backend streams the query's matching articles into its own
storage (the embedded one: a temporary SQLite table filled from the search index page by page) and
computes every figure there, so no figure needs the articles' texts in memory. :mod:`duiding.analysis`
turns these rows into buckets and profiles; a PostgreSQL backend implements the same protocol.

Speakers are keyed by :func:`speaker_key`: the speaker's entity id when the quote has one, else the
name as written, lower-cased. Quotes without a speaker belong to no speaker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "ENTITY_ID",
    "EntityCount",
    "NamedCount",
    "Scope",
    "SpeakerCount",
    "SpeakerDetails",
    "is_entity_id",
]

#: What an entity id looks like (:func:`duiding.nlp.normalize.entity_id`).
ENTITY_ID = re.compile(r"^(?:per|org|loc|misc)-[0-9a-f]{12}$")


def is_entity_id(value: str) -> bool:
    return bool(ENTITY_ID.match(value))


@dataclass
class EntityCount:
    """An entity and how often the scope's articles mention it."""

    id: str
    label: str
    canonical: str
    aliases: list[str]
    mentions: int
    articles: int


@dataclass
class SpeakerCount:
    """A quoted source: its key (entity id, else the lower-cased name), a name to show, its quotes."""

    key: str
    name: str
    entity_id: str | None
    entity_label: str | None
    quotes: int
    articles: int


@dataclass
class NamedCount:
    """A value (a role, an organisation, a name) with counts and the dates of its first and last use."""

    value: str
    count: int
    first: str | None = None  # ISO 8601 with the article's own offset
    last: str | None = None
    speakers: int = 0


@dataclass
class SpeakerDetails:
    """What a speaker's quotes say about the speaker: names used, roles, organisations."""

    names: list[NamedCount] = field(default_factory=list)
    roles: list[NamedCount] = field(default_factory=list)
    organisations: list[NamedCount] = field(default_factory=list)


class Scope(Protocol):
    """The articles one query finds (or the whole archive). Every count is over those articles only."""

    def count(self) -> int:
        """How many articles are in scope."""
        ...

    def days(self) -> list[tuple[str, int]]:
        """``(YYYY-MM-DD, articles)`` per calendar day in the article's own UTC offset, ascending.

        Articles without a date are left out.
        """
        ...

    def field_counts(self, field: str) -> list[tuple[str | None, int]]:
        """Articles per value of ``outlet``, ``category``, ``program`` or ``language``, most first."""
        ...

    def entity_counts(
        self, label: str | None = None, limit: int | None = None, ids: Sequence[str] | None = None
    ) -> list[EntityCount]:
        """Entities by mentions in scope, most first; ``label``: only entities of that label (the entity
        record's: a country's adjectives count for the country); ``ids``: only these."""
        ...

    def entity_quote_counts(self, ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Per entity: (quotes *by* it as the speaker, quotes whose text *mentions* it)."""
        ...

    def entity_record(self, entity_id: str) -> EntityCount | None:
        """The entity's archive-wide record (``mentions``: in the whole archive; ``articles``: 0)."""
        ...

    def entity_days(self, entity_id: str) -> list[tuple[str, int, int]]:
        """``(YYYY-MM-DD, mentions, articles)`` of one entity per day, ascending."""
        ...

    def find_entities(self, ref: str) -> list[str]:
        """Ids of the archive's entities that ``ref`` names: an id, a canonical name or an alias."""
        ...

    def cooccurrence(
        self, entity_id: str | None = None, label: str | None = None, limit: int | None = 20
    ) -> list[tuple[str, str, int]]:
        """Entity pairs by the number of articles that mention both, most first.

        With ``entity_id``: that entity's partners as ``(entity_id, partner, articles)``; without, the
        top pairs ``(a, b, articles)`` with ``a < b``. ``label``: only partners (or pair members) of it.
        """
        ...

    def speakers(self, limit: int | None = None, keys: Sequence[str] | None = None) -> Iterator[SpeakerCount]:
        """Quoted sources by number of quotes, most first, streamed; ``keys``: only these."""
        ...

    def find_speakers(self, ref: str) -> list[SpeakerCount]:
        """Sources whose key is ``ref``, or whose name or alias matches it (any spelling the speaker search
        folds together), most quoted first."""
        ...

    def speaker_details(self, keys: Sequence[str]) -> dict[str, SpeakerDetails]:
        """Names, roles and organisations of these speakers, most used first, with first and last dates."""
        ...

    def quote_field_counts(self, field: str, limit: int | None = None) -> list[NamedCount]:
        """Quotes per ``role`` or ``organisation`` (case-insensitive; the commonest spelling shown),
        most first, with the number of distinct speakers."""
        ...

    def quote_days(self, keys: Sequence[str]) -> list[tuple[str, int]]:
        """``(YYYY-MM-DD, quotes)`` of these speakers per day, ascending."""
        ...

    def quoted_entities(self, keys: Sequence[str], limit: int | None = None) -> list[EntityCount]:
        """Entities mentioned inside these speakers' quotes (``mentions``: such mentions; ``articles``:
        the number of quotes that mention it), most first."""
        ...

    def quotes(
        self,
        keys: Sequence[str] | None = None,
        mentioning: str | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Quotes in scope as rows of :meth:`quote_rows` plus ``title`` and ``url``, newest article first,
        then in text order; ``keys``: only these speakers'; ``mentioning``: only quotes mentioning it."""
        ...

    def quote_count(self) -> int:
        """How many quotes the scope's articles hold."""
        ...

    def entity_total(self) -> int:
        """How many distinct entities the scope's articles mention."""
        ...

    def article_rows(self) -> Iterator[dict[str, Any]]:
        """Every article in scope, in storage order, streamed: ``id, url, outlet, published, category,
        program, title, text, mentions, entities, quotes``."""
        ...

    def quote_rows(self) -> Iterator[dict[str, Any]]:
        """Every quote in scope, in storage order, streamed: ``article_id, published, outlet, start, end,
        text, type, speaker, aliases, cue, role, organisation, speaker_entity_id``."""
        ...

    def entity_rows(self) -> Iterator[dict[str, Any]]:
        """Every entity the scope mentions, most mentioned first, streamed: ``entity_id, label,
        canonical, aliases, mentions`` (mentions within the scope)."""
        ...
