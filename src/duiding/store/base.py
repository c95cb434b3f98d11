"""The store/search interface every backend implements.

The embedded backend (SQLite + tantivy, :mod:`duiding.store.embedded`) is the default; a PostgreSQL
server backend will implement the same :class:`Archive` protocol. CLI, API and analysis code talk to an
``Archive`` only, never to a backend's tables or index directly.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from duiding.model import Article, Entity
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
