"""PostgreSQL tables of live ingestion: followed feeds and their items, watches and their matches.

The same behaviour as :mod:`duiding.store.sqlite_monitor`, written for several processes at once: new
rows go in with ``INSERT … ON CONFLICT``, so two pollers or two ingests never record a feed item or a
watch match twice. Times are ``timestamptz``, read back in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from duiding.model import Article
from duiding.store.base import Feed, FeedItem, StoreError, Watch, WatchMatch

# Turns an articles row (a dict) into an Article (the backend's own builder).
BuildArticle = Callable[[dict[str, Any]], Article]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _utc(dt: datetime | None) -> datetime | None:
    return dt.astimezone(UTC) if dt is not None else None


def _sec(dt: datetime | None) -> datetime | None:
    """Times are kept to the second, as the embedded store keeps them."""
    return dt.replace(microsecond=0) if dt is not None else None


class MonitorTables:
    def __init__(self, pool: ConnectionPool, columns: str, build: BuildArticle) -> None:
        self.pool = pool
        self.columns = columns  # the article columns ``build`` needs, prefixed with ``a.``
        self.build = build

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[dict[str, Any]]:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, args).fetchall()  # type: ignore[arg-type]

    def _write(self, sql: str, args: Sequence[object] = ()) -> int:
        with self.pool.connection() as conn:
            return conn.execute(sql, args).rowcount  # type: ignore[arg-type]

    # -- feeds -----------------------------------------------------------------------------------

    def add_feed(self, name: str, url: str) -> Feed:
        now = _now()
        added = self._write(
            "INSERT INTO feeds (name, url, added_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (name, url, now),
        )
        if not added:
            for row in self._rows("SELECT name, url FROM feeds WHERE name = %s OR url = %s", (name, url)):
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
        return [
            Feed(
                name=r["name"],
                url=r["url"],
                title=r["title"],
                etag=r["etag"],
                last_modified=r["last_modified"],
                added_at=_utc(r["added_at"]),
                last_polled=_utc(r["last_polled"]),
                last_ok=_utc(r["last_ok"]),
                errors=r["errors"],
                last_error=r["last_error"],
                next_poll=_utc(r["next_poll"]),
                stored=int(r["stored"]),
            )
            for r in rows
        ]

    def save_feed(self, feed: Feed) -> None:
        self._write(
            "UPDATE feeds SET title = %s, etag = %s, last_modified = %s, last_polled = %s, last_ok = %s, "
            "errors = %s, last_error = %s, next_poll = %s WHERE name = %s",
            (
                feed.title,
                feed.etag,
                feed.last_modified,
                _sec(feed.last_polled),
                _sec(feed.last_ok),
                feed.errors,
                feed.last_error,
                _sec(feed.next_poll),
                feed.name,
            ),
        )

    def feed_items(self, feed: str, keys: Sequence[str]) -> dict[str, FeedItem]:
        if not keys:
            return {}
        rows = self._rows("SELECT * FROM feed_items WHERE feed = %s AND key = ANY(%s)", (feed, list(keys)))
        return {
            r["key"]: FeedItem(
                feed=r["feed"],
                key=r["key"],
                url=r["url"],
                status=r["status"],
                attempts=r["attempts"],
                problem=r["problem"],
                article_id=r["article_id"],
                first_seen=_utc(r["first_seen"]),
                last_attempt=_utc(r["last_attempt"]),
            )
            for r in rows
        }

    def save_feed_items(self, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        now = _now()
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO feed_items (feed, key, url, status, attempts, problem, article_id, first_seen, "
                "last_attempt) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (feed, key) DO UPDATE "
                "SET url = excluded.url, status = excluded.status, attempts = excluded.attempts, "
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
                        _sec(it.first_seen) or now,
                        _sec(it.last_attempt) or now,
                    )
                    for it in items
                ],
            )

    def known_urls(self, canonical_urls: Sequence[str]) -> set[str]:
        urls = list(dict.fromkeys(canonical_urls))
        if not urls:
            return set()
        rows = self._rows(
            "SELECT DISTINCT canonical_url FROM articles WHERE canonical_url = ANY(%s)", (urls,)
        )
        return {r["canonical_url"] for r in rows}

    # -- watches ---------------------------------------------------------------------------------

    def add_watch(self, name: str, query: str, webhook: str | None) -> Watch:
        now = _now()
        added = self._write(
            "INSERT INTO watches (name, query, webhook, created_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (name, query, webhook, now),
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
        return [
            Watch(
                name=r["name"],
                query=r["query"],
                webhook=r["webhook"],
                created_at=_utc(r["created_at"]),
                matches=int(r["matches"]),
                pending=int(r["pending"]),
            )
            for r in rows
        ]

    def remove_watch(self, name: str) -> bool:
        # watch_matches go with it (ON DELETE CASCADE)
        return self._write("DELETE FROM watches WHERE name = %s", (name,)) > 0

    def record_matches(self, watch: str, ids: Sequence[str]) -> int:
        rows = self._rows("SELECT webhook FROM watches WHERE name = %s", (watch,))
        if not rows:
            raise StoreError(f"no watch named {watch!r}")
        if not ids:
            return 0
        delivery = "pending" if rows[0]["webhook"] else None
        now = _now()
        return self._write(
            "INSERT INTO watch_matches (watch, article_seq, matched_at, delivery, next_attempt) "
            "SELECT %s, seq, %s, %s, %s FROM articles WHERE id = ANY(%s) ON CONFLICT DO NOTHING",
            (watch, now, delivery, now if delivery else None, list(dict.fromkeys(ids))),
        )

    def _matches(self, where: str, args: Sequence[object], order: str, page: str) -> list[WatchMatch]:
        rows = self._rows(
            f"SELECT {self.columns}, m.watch AS m_watch, m.matched_at AS m_matched_at, "
            "m.delivery AS m_delivery, m.attempts AS m_attempts, m.next_attempt AS m_next_attempt, "
            "m.error AS m_error FROM watch_matches m JOIN articles a ON a.seq = m.article_seq "
            f"WHERE {where} ORDER BY {order} {page}",
            args,
        )
        return [
            WatchMatch(
                watch=r["m_watch"],
                article=self.build(r),
                matched_at=r["m_matched_at"].astimezone(UTC),
                delivery=r["m_delivery"],
                attempts=r["m_attempts"],
                next_attempt=_utc(r["m_next_attempt"]),
                error=r["m_error"],
            )
            for r in rows
        ]

    def watch_matches(self, watch: str, limit: int | None = None, offset: int = 0) -> list[WatchMatch]:
        if not self._rows("SELECT 1 FROM watches WHERE name = %s", (watch,)):
            raise StoreError(f"no watch named {watch!r}")
        return self._matches(
            "m.watch = %s",
            (watch, limit, offset),
            "m.matched_at DESC, a.published_at IS NULL, a.published_at DESC, a.seq DESC",
            "LIMIT %s OFFSET %s",  # LIMIT NULL: no limit
        )

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[WatchMatch]:
        return self._matches(
            "m.delivery = 'pending' AND m.next_attempt <= %s",
            (_sec(now), limit),
            "m.next_attempt, m.matched_at, a.seq",
            "LIMIT %s",
        )

    def save_delivery(self, match: WatchMatch) -> None:
        self._write(
            "UPDATE watch_matches SET delivery = %s, attempts = %s, next_attempt = %s, error = %s "
            "WHERE watch = %s AND article_seq = (SELECT seq FROM articles WHERE id = %s)",
            (
                match.delivery,
                match.attempts,
                _sec(match.next_attempt),
                match.error,
                match.watch,
                match.article.id,
            ),
        )
