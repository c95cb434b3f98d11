"""SQLite tables of live ingestion: followed feeds and their items, watches and their matches.

The tables are created by the store's migrations (:mod:`duiding.store.sqlite`); this module only reads
and writes them, on the store's connection. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from duiding.model import Article
from duiding.store.base import Feed, FeedItem, StoreError, Watch, WatchMatch

# Turns an articles row into an Article (the store's own builder).
BuildArticle = Callable[[sqlite3.Row], Article]


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


class MonitorTables:
    def __init__(self, conn: sqlite3.Connection, columns: str, build: BuildArticle) -> None:
        self.conn = conn
        self.columns = columns  # the article columns ``build`` needs, unprefixed
        self.build = build

    def _write(self, sql: str, args: Sequence[object] = ()) -> sqlite3.Cursor:
        """One statement in its own (immediate) transaction."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            cur = self.conn.execute(sql, args)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return cur

    # -- feeds ---------------------------------------------------------------------------------

    def add_feed(self, name: str, url: str) -> Feed:
        for row in self.conn.execute("SELECT name, url FROM feeds WHERE name = ? OR url = ?", (name, url)):
            if row["url"] == url:
                raise StoreError(f"feed {url} is already followed, as {row['name']!r}")
            raise StoreError(f"a feed named {name!r} already exists ({row['url']})")
        now = _now()
        self._write("INSERT INTO feeds (name, url, added_at) VALUES (?, ?, ?)", (name, url, _iso(now)))
        return Feed(name=name, url=url, added_at=now)

    def feeds(self) -> list[Feed]:
        rows = self.conn.execute(
            "SELECT f.*, (SELECT count(*) FROM feed_items i WHERE i.feed = f.name AND i.status = 'stored') "
            "AS stored FROM feeds f ORDER BY f.name"
        ).fetchall()
        return [
            Feed(
                name=r["name"],
                url=r["url"],
                title=r["title"],
                etag=r["etag"],
                last_modified=r["last_modified"],
                added_at=_dt(r["added_at"]),
                last_polled=_dt(r["last_polled"]),
                last_ok=_dt(r["last_ok"]),
                errors=r["errors"],
                last_error=r["last_error"],
                next_poll=_dt(r["next_poll"]),
                stored=r["stored"],
            )
            for r in rows
        ]

    def save_feed(self, feed: Feed) -> None:
        self._write(
            "UPDATE feeds SET title = ?, etag = ?, last_modified = ?, last_polled = ?, last_ok = ?, "
            "errors = ?, last_error = ?, next_poll = ? WHERE name = ?",
            (
                feed.title,
                feed.etag,
                feed.last_modified,
                _iso(feed.last_polled),
                _iso(feed.last_ok),
                feed.errors,
                feed.last_error,
                _iso(feed.next_poll),
                feed.name,
            ),
        )

    def feed_items(self, feed: str, keys: Sequence[str]) -> dict[str, FeedItem]:
        found: dict[str, FeedItem] = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            for r in self.conn.execute(
                f"SELECT * FROM feed_items WHERE feed = ? AND key IN ({_marks(len(chunk))})", (feed, *chunk)
            ):
                found[r["key"]] = FeedItem(
                    feed=r["feed"],
                    key=r["key"],
                    url=r["url"],
                    status=r["status"],
                    attempts=r["attempts"],
                    problem=r["problem"],
                    article_id=r["article_id"],
                    first_seen=_dt(r["first_seen"]),
                    last_attempt=_dt(r["last_attempt"]),
                )
        return found

    def save_feed_items(self, items: Sequence[FeedItem]) -> None:
        if not items:
            return
        now = _iso(_now())
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(
                "INSERT INTO feed_items (feed, key, url, status, attempts, problem, article_id, first_seen, "
                "last_attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(feed, key) DO UPDATE SET "
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
                        _iso(it.first_seen) or now,
                        _iso(it.last_attempt) or now,
                    )
                    for it in items
                ],
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def known_urls(self, canonical_urls: Sequence[str]) -> set[str]:
        urls = list(dict.fromkeys(canonical_urls))
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            found.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT canonical_url FROM articles WHERE canonical_url IN ({_marks(len(chunk))})", chunk
                )
            )
        return found

    def seqs_of(self, ids: Sequence[str]) -> dict[int, str]:
        """The stored ``seq`` of each of these article ids that exists, in the order given."""
        found: dict[str, int] = {}
        ids = list(dict.fromkeys(ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for r in self.conn.execute(
                f"SELECT seq, id FROM articles WHERE id IN ({_marks(len(chunk))})", chunk
            ):
                found[r["id"]] = int(r["seq"])
        return {found[i]: i for i in ids if i in found}

    # -- watches -------------------------------------------------------------------------------

    def add_watch(self, name: str, query: str, webhook: str | None) -> Watch:
        if self.conn.execute("SELECT 1 FROM watches WHERE name = ?", (name,)).fetchone():
            raise StoreError(f"a watch named {name!r} already exists")
        now = _now()
        self._write(
            "INSERT INTO watches (name, query, webhook, created_at) VALUES (?, ?, ?, ?)",
            (name, query, webhook, _iso(now)),
        )
        return Watch(name=name, query=query, webhook=webhook, created_at=now)

    def watches(self) -> list[Watch]:
        rows = self.conn.execute(
            "SELECT w.*, (SELECT count(*) FROM watch_matches m WHERE m.watch = w.name) AS matches, "
            "(SELECT count(*) FROM watch_matches m WHERE m.watch = w.name AND m.delivery = 'pending') "
            "AS pending FROM watches w ORDER BY w.name"
        ).fetchall()
        return [
            Watch(
                name=r["name"],
                query=r["query"],
                webhook=r["webhook"],
                created_at=_dt(r["created_at"]),
                matches=r["matches"],
                pending=r["pending"],
            )
            for r in rows
        ]

    def remove_watch(self, name: str) -> bool:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute("DELETE FROM watch_matches WHERE watch = ?", (name,))
            cur = self.conn.execute("DELETE FROM watches WHERE name = ?", (name,))
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return cur.rowcount > 0

    def record_matches(self, watch: str, ids: Sequence[str]) -> int:
        row = self.conn.execute("SELECT webhook FROM watches WHERE name = ?", (watch,)).fetchone()
        if row is None:
            raise StoreError(f"no watch named {watch!r}")
        if not ids:
            return 0
        delivery = "pending" if row["webhook"] else None
        now = _iso(_now())
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            added = 0
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO watch_matches "
                    "(watch, article_seq, matched_at, delivery, next_attempt) "
                    f"SELECT ?, seq, ?, ?, ? FROM articles WHERE id IN ({_marks(len(chunk))})",
                    (watch, now, delivery, now if delivery else None, *chunk),
                )
                added += cur.rowcount
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return added

    def _matches(self, where: str, args: Sequence[object], order: str, page: str) -> list[WatchMatch]:
        cols = ", ".join(f"a.{c.strip()}" for c in self.columns.split(","))
        rows = self.conn.execute(
            f"SELECT {cols}, m.watch AS m_watch, m.matched_at AS m_matched_at, m.delivery AS m_delivery, "
            "m.attempts AS m_attempts, m.next_attempt AS m_next_attempt, m.error AS m_error "
            "FROM watch_matches m JOIN articles a ON a.seq = m.article_seq "
            f"WHERE {where} ORDER BY {order} {page}",
            args,
        ).fetchall()
        return [
            WatchMatch(
                watch=r["m_watch"],
                article=self.build(r),
                matched_at=datetime.fromisoformat(r["m_matched_at"]),
                delivery=r["m_delivery"],
                attempts=r["m_attempts"],
                next_attempt=_dt(r["m_next_attempt"]),
                error=r["m_error"],
            )
            for r in rows
        ]

    def watch_matches(self, watch: str, limit: int | None = None, offset: int = 0) -> list[WatchMatch]:
        if self.conn.execute("SELECT 1 FROM watches WHERE name = ?", (watch,)).fetchone() is None:
            raise StoreError(f"no watch named {watch!r}")
        page = (
            f"LIMIT {int(limit)} OFFSET {int(offset)}"
            if limit is not None
            else f"LIMIT -1 OFFSET {int(offset)}"
        )
        return self._matches(
            "m.watch = ?",
            (watch,),
            "m.matched_at DESC, a.published_utc IS NULL, a.published_utc DESC, a.seq DESC",
            page,
        )

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[WatchMatch]:
        return self._matches(
            "m.delivery = 'pending' AND m.next_attempt <= ?",
            (_iso(now),),
            "m.next_attempt, m.matched_at, a.seq",
            f"LIMIT {int(limit)}",
        )

    def save_delivery(self, match: WatchMatch) -> None:
        self._write(
            "UPDATE watch_matches SET delivery = ?, attempts = ?, next_attempt = ?, error = ? "
            "WHERE watch = ? AND article_seq = (SELECT seq FROM articles WHERE id = ?)",
            (
                match.delivery,
                match.attempts,
                _iso(match.next_attempt),
                match.error,
                match.watch,
                match.article.id,
            ),
        )
