"""The store/search interface every backend implements.

The embedded backend (SQLite + tantivy, :mod:`duiding.store.embedded`) is the default; a PostgreSQL
server backend will implement the same :class:`Archive` protocol. CLI, API and analysis code talk to an
``Archive`` only, never to a backend's tables or index directly.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from duiding.model import Article, Entity, Quote
from duiding.search.query import ParsedQuery

# A progress callback: called with the number of items just done.
Advance = Callable[[int], None]


class Outcome(enum.Enum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class SearchHit:
    article: Article
    score: float
    # The snippet as fragments: (text, is the fragment a highlighted match?)
    snippet: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class SearchResults:
    hits: list[SearchHit]
    total: int


@dataclass
class QuoteHit:
    """A stored quote and the article it is in."""

    article_id: str
    title: str
    published: datetime | None
    url: str | None
    quote: Quote


@dataclass
class QuoteResults:
    hits: list[QuoteHit]
    total: int


class StoreError(RuntimeError):
    """A problem with the data directory or database that a user can act on."""


class Archive(Protocol):
    """A stored, searchable archive of articles."""

    location: str

    def upsert(self, articles: Sequence[Article]) -> list[Outcome]:
        """Store a batch atomically: new articles are added, changed ones updated, the rest left alone."""
        ...

    def changed(self, articles: Sequence[Article]) -> list[bool]:
        """For each article: is it new, or different from its stored version (so worth annotating)?"""
        ...

    def entities(self, limit: int | None = None, label: str | None = None) -> list[Entity]:
        """The archive's canonical entities, most mentioned first."""
        ...

    def quotes(
        self,
        speaker: str | None = None,
        query: ParsedQuery | None = None,
        limit: int | None = 20,
        offset: int = 0,
    ) -> QuoteResults:
        """Stored quotes, newest article first, then in text order; ``total`` counts all that match.

        ``speaker``: the source's name or one of its aliases, case-insensitive and in any spelling
        :mod:`duiding.nlp.speakers` folds together (``Poetin`` finds ``Vladimir Poetin``), or a name of
        the speaker's entity; ``query``: only quotes of the articles the search query finds.
        """
        ...

    def get(self, ref: str) -> Article | None:
        """An article by its id, URL (any form that canonicalises the same) or the source's own id."""
        ...

    def count(self) -> int: ...

    def iter_articles(self) -> Iterator[Article]:
        """Every stored article, streamed in storage order."""
        ...

    def search(self, query: ParsedQuery, limit: int = 10, offset: int = 0) -> SearchResults: ...

    def pending_index(self) -> int:
        """How many stored articles the search index does not reflect yet."""
        ...

    def sync_index(self, advance: Advance | None = None) -> int:
        """Bring the search index up to date with the store; returns the number of articles indexed."""
        ...

    def reindex(self, advance: Advance | None = None) -> int:
        """Rebuild the search index from the store; returns the number of articles indexed."""
        ...

    def close(self) -> None: ...
