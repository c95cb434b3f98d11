"""The tables of live ingestion, in either SQL backend: followed feeds and their items, watches and their
matches.

:class:`MonitorTables` holds what both backends do alike; :mod:`duiding.store.sqlite_monitor` and
:mod:`duiding.store.postgres_monitor` give it their connections, transactions, placeholders, ``IN`` lists
and times. Statements are written with SQLite's ``?`` placeholders; the PostgreSQL tables turn them into
``%s``. New rows go in with ``INSERT … ON CONFLICT``, so that two writers never record a feed, a feed item
or a watch match twice. :class:`MonitorMethods` gives an archive the protocol's feed and watch methods
(:class:`~duiding.store.base.Archive`) from its tables.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from duiding.model import Article
from duiding.store.base import Feed, FeedItem, StoreError, Watch, WatchMatch
from duiding.store.rows import Row, prefixed

# Turns an articles row into an Article (the backend's own builder).
BuildArticle = Callable[[Row], Article]
# Runs one statement inside a transaction and returns its row count.
Execute = Callable[[str, Sequence[object]], int]

R = TypeVar("R", Feed, FeedItem, Watch)

# The columns of the feeds, feed_items and watches tables that hold times.
_TIMES = frozenset(
    {"added_at", "last_polled", "last_ok", "next_poll", "first_seen", "last_attempt", "created_at"}
)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class MonitorTables(ABC):
    """Feeds, feed items, watches and watch matches in a backend's tables."""

    #: The articles column that orders them by publication time.
    published: str
    #: ``LIMIT`` for no limit.
    no_limit: int | None = None

    def __init__(self, columns: str, build: BuildArticle) -> None:
        self.columns = columns  # the article columns ``build`` needs, unprefixed
        self.build = build

    # -- the backend's part ------------------------------------------------------------------------

    @abstractmethod
    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        """The rows one statement returns."""

    @abstractmethod
    def _write(self, sql: str, args: Sequence[object] = ()) -> int:
        """One statement in a transaction of its own; returns its row count."""

    @abstractmethod
    def _write_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """One statement for each of these rows of parameters, all in one transaction."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Execute]:
        """A transaction to run statements in (committed when the block ends, rolled back if it raises)."""

    @abstractmethod
    def _in(self, column: str, values: Sequence[object]) -> Iterator[tuple[str, list[object]]]:
        """Conditions that together hold for the rows whose ``column`` is one of ``values``, each with its
        parameters (as many as a statement can take; none for no values)."""

    @abstractmethod
    def _to_db(self, dt: datetime) -> object:
        """A time as the backend stores it (to the second)."""

    @abstractmethod
    def _from_db(self, value: Any) -> datetime:
        """A stored time, in UTC."""

    def _stored(self, dt: datetime | None) -> object:
        return self._to_db(dt) if dt else None

    def _read(self, row: Row, kind: type[R]) -> R:
        """A Feed, FeedItem or Watch from its row: each field from the column of its name, if there is one
        (times read back with :meth:`_from_db`)."""
        names = set(row.keys())
        values = {f.name: row[f.name] for f in fields(kind) if f.name in names}
        for name in _TIMES & values.keys():
            values[name] = self._from_db(values[name]) if values[name] else None
        return kind(**values)

    # -- feeds -------------------------------------------------------------------------------------

    def add_feed(self, name: str, url: str) -> Feed:
        now = _now()
        added = self._write(
            "INSERT INTO feeds (name, url, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (name, url, self._to_db(now)),
        )
        if not added:
            for row in self._rows("SELECT name, url FROM feeds WHERE name = ? OR url = ?", (name, url)):
                if row["url"] == url:
                    raise StoreError(f"feed {url} is already followed, as {row['name']!r}")
                raise StoreError(f"a feed named {name!r} already exists ({row['url']})")
            raise StoreError(f"feed {name!r} could not be added; try again")  # removed meanwhile
        return Feed(name=name, url=url, added_at=now)

    def feeds(self) -> list[Feed]:
        rows = self._rows(
            "SELECT f.*, (SELECT count(*) FROM feed_items i WHERE i.feed = f.name AND i.status = 'stored') "
            "AS stored FROM feeds f ORDER BY f.name"
        )
        return [self._read(r, Feed) for r in rows]

    def save_feed(self, feed: Feed) -> None:
        self._write(
            "UPDATE feeds SET title = ?, etag = ?, last_modified = ?, last_polled = ?, last_ok = ?, "
            "errors = ?, last_error = ?, next_poll = ? WHERE name = ?",
            (
                feed.title,
                feed.etag,
                feed.last_modified,
                self._stored(feed.last_polled),
                self._stored(feed.last_ok),
                feed.errors,
                feed.last_error,
                self._stored(feed.next_poll),
                feed.name,
            ),
        )

    def feed_items(self, feed: str, keys: Sequence[str]) -> dict[str, FeedItem]:
        found: dict[str, FeedItem] = {}
        for condition, args in self._in("key", keys):
            for r in self._rows(f"SELECT * FROM feed_items WHERE feed = ? AND {condition}", (feed, *args)):
                found[r["key"]] = self._read(r, FeedItem)
        return found

    def save_feed_items(self, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        now = self._to_db(_now())
        self._write_many(
            "INSERT INTO feed_items (feed, key, url, status, attempts, problem, article_id, first_seen, "
            "last_attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed, key) DO UPDATE SET "
            "url = excluded.url, status = excluded.status, attempts = excluded.attempts, "
            "problem = excluded.problem, article_id = excluded.article_id, "
            "last_attempt = excluded.last_attempt",
            [
                (
                    it.feed,
                    it.key,
                    it.url,
                    it.status,
                    it.attempts,
                    it.problem,
                    it.article_id,
                    self._stored(it.first_seen) or now,
                    self._stored(it.last_attempt) or now,
                )
                for it in items
            ],
        )

    def known_urls(self, canonical_urls: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for condition, args in self._in("canonical_url", list(dict.fromkeys(canonical_urls))):
            rows = self._rows(f"SELECT DISTINCT canonical_url FROM articles WHERE {condition}", args)
            found.update(r["canonical_url"] for r in rows)
        return found

    # -- watches -----------------------------------------------------------------------------------

    def add_watch(self, name: str, query: str, webhook: str | None) -> Watch:
        now = _now()
        added = self._write(
            "INSERT INTO watches (name, query, webhook, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (name, query, webhook, self._to_db(now)),
        )
        if not added:
            raise StoreError(f"a watch named {name!r} already exists")
        return Watch(name=name, query=query, webhook=webhook, created_at=now)

    def watches(self) -> list[Watch]:
        rows = self._rows(
            "SELECT w.*, (SELECT count(*) FROM watch_matches m WHERE m.watch = w.name) AS matches, "
            "(SELECT count(*) FROM watch_matches m WHERE m.watch = w.name AND m.delivery = 'pending') "
            "AS pending FROM watches w ORDER BY w.name"
        )
        return [self._read(r, Watch) for r in rows]

    def remove_watch(self, name: str) -> bool:
        # watch_matches go with it (ON DELETE CASCADE; the embedded store sets PRAGMA foreign_keys=ON)
        return self._write("DELETE FROM watches WHERE name = ?", (name,)) > 0

    def record_matches(self, watch: str, ids: Sequence[str]) -> int:
        rows = self._rows("SELECT webhook FROM watches WHERE name = ?", (watch,))
        if not rows:
            raise StoreError(f"no watch named {watch!r}")
        if not ids:
            return 0
        delivery = "pending" if rows[0]["webhook"] else None
        now = self._to_db(_now())
        with self._transaction() as execute:
            return sum(
                execute(
                    "INSERT INTO watch_matches (watch, article_seq, matched_at, delivery, next_attempt) "
                    f"SELECT ?, seq, ?, ?, ? FROM articles WHERE {condition} ON CONFLICT DO NOTHING",
                    (watch, now, delivery, now if delivery else None, *args),
                )
                for condition, args in self._in("id", list(dict.fromkeys(ids)))
            )

    def _matches(self, where: str, args: Sequence[object], order: str, page: str) -> list[WatchMatch]:
        rows = self._rows(
            f"SELECT {prefixed(self.columns, 'a')}, m.watch AS m_watch, m.matched_at AS m_matched_at, "
            "m.delivery AS m_delivery, m.attempts AS m_attempts, m.next_attempt AS m_next_attempt, "
            "m.error AS m_error FROM watch_matches m JOIN articles a ON a.seq = m.article_seq "
            f"WHERE {where} ORDER BY {order} {page}",
            args,
        )
        return [
            WatchMatch(
                watch=r["m_watch"],
                article=self.build(r),
                matched_at=self._from_db(r["m_matched_at"]),
                delivery=r["m_delivery"],
                attempts=r["m_attempts"],
                next_attempt=self._from_db(r["m_next_attempt"]) if r["m_next_attempt"] else None,
                error=r["m_error"],
            )
            for r in rows
        ]

    def watch_matches(self, watch: str, limit: int | None = None, offset: int = 0) -> list[WatchMatch]:
        if not self._rows("SELECT 1 FROM watches WHERE name = ?", (watch,)):
            raise StoreError(f"no watch named {watch!r}")
        return self._matches(
            "m.watch = ?",
            (watch, self.no_limit if limit is None else limit, offset),
            f"m.matched_at DESC, {self.published} IS NULL, {self.published} DESC, a.seq DESC",
            "LIMIT ? OFFSET ?",
        )

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[WatchMatch]:
        return self._matches(
            "m.delivery = 'pending' AND m.next_attempt <= ?",
            (self._to_db(now), limit),
            "m.next_attempt, m.matched_at, a.seq",
            "LIMIT ?",
        )

    def save_delivery(self, match: WatchMatch) -> None:
        self._write(
            "UPDATE watch_matches SET delivery = ?, attempts = ?, next_attempt = ?, error = ? "
            "WHERE watch = ? AND article_seq = (SELECT seq FROM articles WHERE id = ?)",
            (
                match.delivery,
                match.attempts,
                self._stored(match.next_attempt),
                match.error,
                match.watch,
                match.article.id,
            ),
        )


class MonitorMethods:
    """The :class:`~duiding.store.base.Archive` protocol's feed and watch methods, for an archive that
    keeps them in :class:`MonitorTables` (its ``monitor``)."""

    monitor: MonitorTables

    # -- feeds (:mod:`duiding.ingest.feeds`) ---------------------------------------------------

    def add_feed(self, name: str, url: str) -> Feed:
        return self.monitor.add_feed(name, url)

    def feeds(self) -> list[Feed]:
        return self.monitor.feeds()

    def save_feed(self, feed: Feed) -> None:
        self.monitor.save_feed(feed)

    def feed_items(self, feed: str, keys: Sequence[str]) -> dict[str, FeedItem]:
        return self.monitor.feed_items(feed, keys)

    def save_feed_items(self, items: Sequence[FeedItem]) -> None:
        self.monitor.save_feed_items(items)

    def known_urls(self, canonical_urls: Sequence[str]) -> set[str]:
        return self.monitor.known_urls(canonical_urls)

    # -- watches (:mod:`duiding.monitor`) ------------------------------------------------------

    def add_watch(self, name: str, query: str, webhook: str | None = None) -> Watch:
        return self.monitor.add_watch(name, query, webhook)

    def watches(self) -> list[Watch]:
        return self.monitor.watches()

    def remove_watch(self, name: str) -> bool:
        return self.monitor.remove_watch(name)

    def record_matches(self, watch: str, ids: Sequence[str]) -> int:
        return self.monitor.record_matches(watch, ids)

    def watch_matches(self, watch: str, limit: int | None = None, offset: int = 0) -> list[WatchMatch]:
        return self.monitor.watch_matches(watch, limit=limit, offset=offset)

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[WatchMatch]:
        return self.monitor.due_deliveries(now, limit=limit)

    def save_delivery(self, match: WatchMatch) -> None:
        self.monitor.save_delivery(match)
