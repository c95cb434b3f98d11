"""The store/search interface every backend implements.

The embedded backend (SQLite + tantivy, :mod:`duiding.store.embedded`) is the default; the PostgreSQL
server backend (:mod:`duiding.store.postgres`, chosen with a ``postgresql://`` location) implements the
same :class:`Archive` protocol and answers the same queries alike: it indexes words with the embedded
index's own analyzer. CLI, API and analysis code talk to an ``Archive`` only, never to a backend's tables
or index directly.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from duiding.model import Article, Entity, Quote
from duiding.search.query import ParsedQuery
from duiding.store.scope import Scope

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


@dataclass
class Feed:
    """A followed RSS/Atom feed and its polling state (see :mod:`duiding.ingest.feeds`)."""

    name: str
    url: str
    title: str | None = None  # the feed's own title, once polled
    etag: str | None = None  # for a conditional GET
    last_modified: str | None = None
    added_at: datetime | None = None
    last_polled: datetime | None = None
    last_ok: datetime | None = None
    errors: int = 0  # failed polls in a row
    last_error: str | None = None
    next_poll: datetime | None = None  # not before this: backing off after errors
    stored: int = 0  # articles stored from it (read only)


@dataclass
class FeedItem:
    """One link a feed listed, and what became of it."""

    feed: str
    key: str  # the canonical URL
    url: str
    # "stored"; "duplicate" (its URL already in the archive, not fetched); "skipped" (robots.txt);
    # "gone" (failed for good: 404, redirect loop, no article); "failed" (for now: tried again later)
    status: str
    attempts: int = 0
    problem: str | None = None
    article_id: str | None = None
    first_seen: datetime | None = None
    last_attempt: datetime | None = None


@dataclass
class Watch:
    """A saved query: every newly ingested article it finds is recorded once as a match."""

    name: str
    query: str
    webhook: str | None = None
    created_at: datetime | None = None
    matches: int = 0  # (read only)
    pending: int = 0  # matches whose webhook delivery is still due (read only)


@dataclass
class WatchMatch:
    watch: str
    article: Article
    matched_at: datetime
    delivery: str | None = None  # None (no webhook), "pending", "delivered", "failed"
    attempts: int = 0
    next_attempt: datetime | None = None
    error: str | None = None


class StoreError(RuntimeError):
    """A problem with the data directory or database that a user can act on."""


class Archive(Protocol):
    """A stored, searchable archive of articles.

    The backends subclass it explicitly, so that they inherit the methods it implements for all of them
    (:meth:`quotes`)."""

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
        return self._quotes(speaker, query, limit, offset)

    def _quotes(
        self, speaker: str | None, query: ParsedQuery | None, limit: int | None, offset: int
    ) -> QuoteResults:
        """What :meth:`quotes` finds, in a backend: its arguments are all given (the defaults are
        :meth:`quotes`'s, for every backend)."""
        ...

    def scope(self, query: ParsedQuery | None = None) -> AbstractContextManager[Scope]:
        """The articles ``query`` finds (None: the whole archive), to aggregate and export
        (:mod:`duiding.store.scope`); valid inside the ``with`` block only."""
        ...

    def get(self, ref: str) -> Article | None:
        """An article by its id, URL (any form that canonicalises the same) or the source's own id."""
        ...

    def count(self) -> int: ...

    def iter_articles(self) -> Iterator[Article]:
        """Every stored article, streamed in storage order."""
        ...

    def search(
        self, query: ParsedQuery, limit: int = 10, offset: int = 0, collapse: bool = False
    ) -> SearchResults:
        """Ranked hits; with ``collapse``, only the best hit of each duplicate cluster (``total`` counts
        clusters then)."""
        ...

    def matching(self, query: ParsedQuery, ids: Sequence[str]) -> list[str]:
        """Which of these article ids ``query`` finds (as stored and indexed now)."""
        ...

    # -- feeds (:mod:`duiding.ingest.feeds`) ---------------------------------------------------

    def add_feed(self, name: str, url: str) -> Feed:
        """Follow a feed; StoreError when the name or the URL is taken."""
        ...

    def feeds(self) -> list[Feed]: ...

    def save_feed(self, feed: Feed) -> None:
        """Store a feed's polling state (ETag, Last-Modified, errors, backoff)."""
        ...

    def feed_items(self, feed: str, keys: Sequence[str]) -> dict[str, FeedItem]:
        """What is known of these items of a feed, by key (canonical URL)."""
        ...

    def save_feed_items(self, items: Sequence[FeedItem]) -> None: ...

    def known_urls(self, canonical_urls: Sequence[str]) -> set[str]:
        """Those of these canonical URLs that stored articles have."""
        ...

    # -- watches (:mod:`duiding.monitor`) -----------------------------------------------------------

    def add_watch(self, name: str, query: str, webhook: str | None = None) -> Watch:
        """Save a query; StoreError when the name is taken."""
        ...

    def watches(self) -> list[Watch]: ...

    def remove_watch(self, name: str) -> bool: ...

    def record_matches(self, watch: str, ids: Sequence[str]) -> int:
        """Record these articles as matches of a watch (once each); returns how many were new."""
        ...

    def watch_matches(self, watch: str, limit: int | None = None, offset: int = 0) -> list[WatchMatch]:
        """A watch's matches, newest first."""
        ...

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[WatchMatch]:
        """Matches of watches with a webhook whose delivery is pending and due by ``now``."""
        ...

    def save_delivery(self, match: WatchMatch) -> None:
        """Store a delivery's state: ``delivery``, ``attempts``, ``next_attempt``, ``error``."""
        ...

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
