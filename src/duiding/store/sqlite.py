"""SQLite: the embedded store's source of truth.

WAL journal, one transaction per batch (a killed process loses at most the batch in flight, and the
next run adds it again), a schema version in ``PRAGMA user_version`` with forward migrations.
Every article row carries ``indexed``: 0 until the search index reflects that version of the row, so
an index that fell behind (a crash between the two commits) is caught up from here.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

from duiding import urls
from duiding.model import Article, Entity
from duiding.nlp import speakers
from duiding.store.base import Outcome, QuoteResults, StoreError
from duiding.store.clusters import Clusters
from duiding.store.rows import (
    ARTICLE_COLUMNS,
    QUOTE_COLUMNS,
    RowReader,
    article_values,
    entities_query,
    marks,
    mention_values,
    prefixed,
    quote_values,
    stored_as,
    to_json,
)
from duiding.store.sqlite_monitor import SqliteMonitorTables


def _add_speaker_search(conn: sqlite3.Connection) -> None:
    """Version 2: ``quotes.speaker_search`` (see :func:`duiding.nlp.speakers.search_key`), filled in."""
    conn.execute("ALTER TABLE quotes ADD COLUMN speaker_search TEXT")
    rows = conn.execute("SELECT article_seq, start, end, speaker, speaker_aliases FROM quotes").fetchall()
    conn.executemany(
        "UPDATE quotes SET speaker_search = ? WHERE article_seq = ? AND start = ? AND end = ?",
        [(speakers.search_key([r[3], *json.loads(r[4] or "[]")]), r[0], r[1], r[2]) for r in rows],
    )


# Each migration takes the schema from version i to i + 1: SQL statements separated by ``;``, or a
# function given the connection (inside the migration's transaction). Never edit one that has shipped:
# add another.
MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    """
    CREATE TABLE articles (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        id             TEXT NOT NULL UNIQUE,
        identity       TEXT NOT NULL UNIQUE,
        url            TEXT,
        canonical_url  TEXT,
        outlet         TEXT,
        source_id      TEXT,
        title          TEXT NOT NULL,
        published      TEXT,            -- ISO 8601 with the source's own UTC offset
        published_utc  TEXT,            -- the same instant in UTC, for ordering and ranges
        program        TEXT,
        category       TEXT,
        language       TEXT,
        text           TEXT NOT NULL,
        content_hash   TEXT NOT NULL,
        fingerprint    TEXT NOT NULL,
        source_file    TEXT,
        source_line    INTEGER,
        ingested_at    TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        indexed        INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX articles_canonical_url ON articles(canonical_url);
    CREATE INDEX articles_url ON articles(url);
    CREATE INDEX articles_source_id ON articles(source_id);
    CREATE INDEX articles_published ON articles(published_utc);
    CREATE INDEX articles_unindexed ON articles(seq) WHERE indexed = 0;

    CREATE TABLE entities (
        id             TEXT PRIMARY KEY,
        label          TEXT NOT NULL,
        canonical      TEXT NOT NULL,
        aliases        TEXT NOT NULL DEFAULT '[]',   -- JSON list
        mention_count  INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE mentions (
        article_seq    INTEGER NOT NULL REFERENCES articles(seq) ON DELETE CASCADE,
        start          INTEGER NOT NULL,
        end            INTEGER NOT NULL,
        label          TEXT NOT NULL,
        entity_id      TEXT,
        canonical      TEXT,
        surface        TEXT NOT NULL,                -- the mention's text, for entity aliases
        PRIMARY KEY (article_seq, start, end)
    );
    CREATE INDEX mentions_entity ON mentions(entity_id);
    CREATE TABLE quotes (
        article_seq    INTEGER NOT NULL REFERENCES articles(seq) ON DELETE CASCADE,
        start          INTEGER NOT NULL,
        end            INTEGER NOT NULL,
        type           TEXT NOT NULL,
        speaker        TEXT,
        speaker_aliases TEXT NOT NULL DEFAULT '[]',  -- JSON list
        cue            TEXT,
        role           TEXT,
        organisation   TEXT,
        speaker_entity_id TEXT,
        PRIMARY KEY (article_seq, start, end)
    );
    CREATE INDEX quotes_speaker ON quotes(speaker);
    CREATE INDEX quotes_speaker_entity ON quotes(speaker_entity_id);
    """,
    _add_speaker_search,
    # Version 3: indexes for analysis and export (duiding.store.sqlite_scope): entity counts read
    # (entity_id, article_seq) pairs only, a query's articles join their mentions, dates, outlets and
    # categories without touching the article rows, and a speaker without an entity is found by its
    # lower-cased name. mentions_entity is a prefix of mentions_entity_article.
    """
    CREATE INDEX IF NOT EXISTS mentions_entity_article ON mentions(entity_id, article_seq);
    CREATE INDEX IF NOT EXISTS mentions_article_entity ON mentions(article_seq, entity_id);
    CREATE INDEX IF NOT EXISTS articles_facets ON articles(seq, published, outlet, category);
    CREATE INDEX IF NOT EXISTS quotes_speaker_folded ON quotes(lower(speaker));
    DROP INDEX IF EXISTS mentions_entity;
    """,
    # Version 4: live ingestion and monitoring. The byline (author); each article's duplicate cluster
    # (duiding.store.clusters: NULL until assigned; rows stored before this get theirs on the next
    # sync) and its LSH band keys; followed feeds and the items they listed (duiding.ingest.feeds);
    # saved queries and their matches with webhook delivery state (duiding.monitor).
    """
    ALTER TABLE articles ADD COLUMN author TEXT;
    ALTER TABLE articles ADD COLUMN cluster_id TEXT;
    CREATE INDEX articles_cluster ON articles(cluster_id);
    CREATE INDEX articles_content_hash ON articles(content_hash);
    CREATE INDEX articles_unclustered ON articles(seq) WHERE cluster_id IS NULL;
    CREATE TABLE lsh_bands (
        key            INTEGER NOT NULL,
        article_seq    INTEGER NOT NULL,
        PRIMARY KEY (key, article_seq)
    ) WITHOUT ROWID;
    CREATE TABLE feeds (
        name           TEXT PRIMARY KEY,
        url            TEXT NOT NULL UNIQUE,
        title          TEXT,
        etag           TEXT,
        last_modified  TEXT,
        added_at       TEXT NOT NULL,
        last_polled    TEXT,
        last_ok        TEXT,
        errors         INTEGER NOT NULL DEFAULT 0,   -- failed polls in a row
        last_error     TEXT,
        next_poll      TEXT                          -- backing off until then
    );
    CREATE TABLE feed_items (
        feed           TEXT NOT NULL REFERENCES feeds(name) ON DELETE CASCADE,
        key            TEXT NOT NULL,                -- canonical URL
        url            TEXT NOT NULL,
        status         TEXT NOT NULL,                -- stored, duplicate, failed, skipped
        attempts       INTEGER NOT NULL DEFAULT 0,
        problem        TEXT,
        article_id     TEXT,
        first_seen     TEXT NOT NULL,
        last_attempt   TEXT,
        PRIMARY KEY (feed, key)
    );
    CREATE TABLE watches (
        name           TEXT PRIMARY KEY,
        query          TEXT NOT NULL,
        webhook        TEXT,
        created_at     TEXT NOT NULL
    );
    CREATE TABLE watch_matches (
        watch          TEXT NOT NULL REFERENCES watches(name) ON DELETE CASCADE,
        article_seq    INTEGER NOT NULL REFERENCES articles(seq) ON DELETE CASCADE,
        matched_at     TEXT NOT NULL,
        delivery       TEXT,                         -- NULL (no webhook), pending, delivered, failed
        attempts       INTEGER NOT NULL DEFAULT 0,
        next_attempt   TEXT,
        error          TEXT,
        PRIMARY KEY (watch, article_seq)
    );
    CREATE INDEX watch_matches_due ON watch_matches(next_attempt) WHERE delivery = 'pending';
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

_QUOTE_COLUMNS_Q = prefixed(QUOTE_COLUMNS, "q")
# JSON list columns are text in SQLite.
_READ = RowReader(json.loads)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqliteStore:
    """Articles and their annotations in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        except sqlite3.Error as e:
            raise StoreError(f"{path}: cannot open database: {e}") from e
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL is safe against a killed process (only a power cut can lose the last commit).
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self.clusters = Clusters(self.conn)
        self.monitor = SqliteMonitorTables(self.conn, ARTICLE_COLUMNS, _READ.article)

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: database schema version {version} is newer than this duiding "
                f"understands ({SCHEMA_VERSION}); upgrade duiding"
            )
        for number in range(version, SCHEMA_VERSION):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                migration = MIGRATIONS[number]
                if callable(migration):
                    migration(self.conn)
                else:
                    # executescript would commit the open transaction; run statement by statement instead.
                    for statement in migration.split(";"):
                        if statement.strip():
                            self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number + 1}")
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    # -- writing ---------------------------------------------------------------------------------

    def upsert(self, articles: Sequence[Article]) -> list[tuple[Outcome, int, str]]:
        """Store a batch in one transaction; returns (outcome, seq, stored id) per article."""
        results: list[tuple[Outcome, int, str]] = []
        now = _now()
        touched: set[str] = set()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for article in articles:
                results.append(self._upsert_one(article, now, touched))
            self._refresh_entities(touched)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return results

    def changed(self, articles: Sequence[Article]) -> list[bool]:
        """Whether each article is new or differs from its stored version (so it needs processing)."""
        stored: dict[str, str] = {}
        identities = [a.identity for a in articles]
        for i in range(0, len(identities), 500):
            chunk = identities[i : i + 500]
            rows = self.conn.execute(
                f"SELECT identity, fingerprint FROM articles WHERE identity IN ({marks(chunk)})", chunk
            )
            stored.update((r["identity"], r["fingerprint"]) for r in rows)
        return [stored.get(a.identity) != a.fingerprint() for a in articles]

    def _upsert_one(self, a: Article, now: str, touched: set[str]) -> tuple[Outcome, int, str]:
        identity = a.identity
        fingerprint = a.fingerprint()
        row = self.conn.execute(
            "SELECT seq, id, fingerprint, content_hash, cluster_id FROM articles WHERE identity = ?",
            (identity,),
        ).fetchone()
        values = article_values(a, fingerprint)
        if row is None:
            article_id = self._free_id(a.id, identity)
            cur = self.conn.execute(
                f"INSERT INTO articles (id, identity, {', '.join(values)}, ingested_at, updated_at, indexed) "
                f"VALUES (?, ?, {', '.join('?' for _ in values)}, ?, ?, 0)",
                (article_id, identity, *values.values(), now, now),
            )
            seq = int(cur.lastrowid or 0)
            self._replace_annotations(seq, a, touched)
            cluster = self.clusters.assign(seq, article_id, a.text, a.content_hash)
            stored_as(a, article_id, cluster)
            return Outcome.ADDED, seq, article_id
        seq, article_id = int(row["seq"]), str(row["id"])
        stored_as(a, article_id, row["cluster_id"])
        if row["fingerprint"] == fingerprint:
            if a.entities or a.quotes:
                # New annotations of the same text: the index holds them too (person:, speaker:, quote:).
                self._replace_annotations(seq, a, touched)
                self.conn.execute("UPDATE articles SET indexed = 0 WHERE seq = ?", (seq,))
            return Outcome.UNCHANGED, seq, article_id
        if row["content_hash"] != a.content_hash and row["cluster_id"] is not None:
            (old_text,) = self.conn.execute("SELECT text FROM articles WHERE seq = ?", (seq,)).fetchone()
            self.clusters.replace_text(seq, old_text, a.text)
        assignments = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(
            f"UPDATE articles SET {assignments}, updated_at = ?, indexed = 0 WHERE seq = ?",
            (*values.values(), now, seq),
        )
        self._replace_annotations(seq, a, touched)
        return Outcome.UPDATED, seq, article_id

    def _free_id(self, wanted: str, identity: str) -> str:
        """The article's public id, made unique when two sources share one (``7`` from two CSVs)."""
        if self.conn.execute("SELECT 1 FROM articles WHERE id = ?", (wanted,)).fetchone() is None:
            return wanted
        return f"{wanted}-{sha256(identity.encode()).hexdigest()[:8]}"

    def _replace_annotations(self, seq: int, a: Article, touched: set[str]) -> None:
        # An article's annotations describe one version of its text: replace them together.
        touched.update(
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT entity_id FROM mentions WHERE article_seq = ? AND entity_id IS NOT NULL",
                (seq,),
            )
        )
        touched.update(m.entity_id for m in a.entities if m.entity_id)
        self.conn.execute("DELETE FROM mentions WHERE article_seq = ?", (seq,))
        self.conn.execute("DELETE FROM quotes WHERE article_seq = ?", (seq,))
        self.conn.executemany(
            "INSERT OR REPLACE INTO mentions VALUES (?, ?, ?, ?, ?, ?, ?)",
            [mention_values(seq, m) for m in a.entities],
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO quotes (article_seq, start, end, type, speaker, speaker_aliases, cue, "
            "role, organisation, speaker_entity_id, speaker_search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [quote_values(seq, q) for q in a.quotes],
        )

    def _refresh_entities(self, ids: Iterable[str]) -> None:
        """Recompute the archive-wide records of these entities from their mentions."""
        for entity_id in ids:
            rows = self.conn.execute(
                "SELECT label, canonical, surface, count(*) AS n FROM mentions WHERE entity_id = ? "
                "GROUP BY label, canonical, surface",
                (entity_id,),
            ).fetchall()
            if not rows:
                self.conn.execute("DELETE FROM entities WHERE id = ?", (entity_id,))
                continue
            record = Entity.from_mentions(
                entity_id, [(r["label"], r["canonical"] or r["surface"], r["surface"], r["n"]) for r in rows]
            )
            self.conn.execute(
                "INSERT INTO entities (id, label, canonical, aliases, mention_count) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET label = excluded.label, canonical = excluded.canonical, "
                "aliases = excluded.aliases, mention_count = excluded.mention_count",
                (
                    record.id,
                    record.label,
                    record.canonical,
                    to_json(record.aliases),
                    record.mention_count,
                ),
            )

    def entities(self, limit: int | None = None, label: str | None = None) -> list[Entity]:
        """The archive's entities, most mentioned first."""
        return [_READ.entity(r) for r in self.conn.execute(*entities_query(limit, label, "?"))]

    def mark_indexed(self, seqs: Iterable[int]) -> None:
        seqs = list(seqs)
        for i in range(0, len(seqs), 500):
            chunk = seqs[i : i + 500]
            self.conn.execute(f"UPDATE articles SET indexed = 1 WHERE seq IN ({marks(chunk)})", chunk)

    def mark_all_unindexed(self) -> None:
        self.conn.execute("UPDATE articles SET indexed = 0")

    # -- reading ---------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def pending_index(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles WHERE indexed = 0").fetchone()[0])

    def iter_unindexed(self, chunk: int = 1000) -> Iterator[tuple[int, Article]]:
        """Unindexed rows in seq order, with their annotations (the index holds entities and quotes)."""
        return self._paged("indexed = 0 AND ", chunk, annotations=True)

    def iter_articles(self, chunk: int = 1000) -> Iterator[tuple[int, Article]]:
        return self._paged("", chunk, annotations=True)

    def _paged(self, condition: str, chunk: int, annotations: bool) -> Iterator[tuple[int, Article]]:
        """Rows in seq order, read ``chunk`` at a time so memory stays flat; safe to write between chunks."""
        last = 0
        while True:
            rows = self.conn.execute(
                f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE {condition}seq > ? ORDER BY seq LIMIT ?",
                (last, chunk),
            ).fetchall()
            if not rows:
                return
            seqs = [int(row["seq"]) for row in rows]
            mentions, quotes = self._annotations(seqs) if annotations else ({}, {})
            for seq, row in zip(seqs, rows, strict=True):
                yield seq, _READ.article(row, mentions.get(seq, []), quotes.get(seq, []))
            last = seqs[-1]

    def by_seqs(self, seqs: Sequence[int]) -> dict[int, Article]:
        if not seqs:
            return {}
        rows = self.conn.execute(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE seq IN ({marks(seqs)})",
            list(seqs),
        ).fetchall()
        return {int(r["seq"]): self._article(r, annotations=False) for r in rows}

    def get(self, ref: str) -> Article | None:
        ref = ref.strip()
        row = self.conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (ref,)).fetchone()
        if row is None and urls.is_http_url(ref):
            canonical = urls.canonicalize(ref)
            row = self.conn.execute(
                f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE canonical_url = ? OR url = ? ORDER BY seq",
                (canonical, ref),
            ).fetchone()
        if row is None:
            rows = self.conn.execute(
                f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE source_id = ? LIMIT 2", (ref,)
            ).fetchall()
            if len(rows) == 1:
                row = rows[0]
        return self._article(row) if row is not None else None

    def _annotations(
        self, seqs: Sequence[int]
    ) -> tuple[dict[int, list[sqlite3.Row]], dict[int, list[sqlite3.Row]]]:
        """The mention and quote rows of these articles, by seq, each in text order."""
        mentions: dict[int, list[sqlite3.Row]] = defaultdict(list)
        quotes: dict[int, list[sqlite3.Row]] = defaultdict(list)
        for i in range(0, len(seqs), 500):
            chunk = list(seqs[i : i + 500])
            for m in self.conn.execute(
                "SELECT article_seq, start, end, label, entity_id, canonical FROM mentions "
                f"WHERE article_seq IN ({marks(chunk)}) ORDER BY article_seq, start",
                chunk,
            ):
                mentions[int(m["article_seq"])].append(m)
            for q in self.conn.execute(
                f"SELECT article_seq, {QUOTE_COLUMNS} FROM quotes "
                f"WHERE article_seq IN ({marks(chunk)}) ORDER BY article_seq, start",
                chunk,
            ):
                quotes[int(q["article_seq"])].append(q)
        return mentions, quotes

    def _article(self, row: sqlite3.Row, annotations: bool = True) -> Article:
        if not annotations:
            return _READ.article(row)
        mentions, quotes = self._annotations([int(row["seq"])])
        seq = int(row["seq"])
        return _READ.article(row, mentions.get(seq, []), quotes.get(seq, []))

    # -- quotes ----------------------------------------------------------------------------------

    def _entities_named(self, name: str) -> list[str]:
        """Ids of the archive's entities whose canonical name or an alias is ``name`` (case-insensitive)."""
        return _READ.entities_named(
            name,
            lambda pattern: self.conn.execute(
                "SELECT id, canonical, aliases FROM entities "
                "WHERE canonical LIKE ? ESCAPE '\\' OR aliases LIKE ? ESCAPE '\\'",
                (pattern, pattern),
            ),
        )

    def quotes(
        self,
        speaker: str | None = None,
        seqs: Sequence[int] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> QuoteResults:
        """Stored quotes, newest article first (then in text order), with the total that match.

        ``speaker``: the source's name or an alias, in any spelling :mod:`duiding.nlp.speakers` folds
        together, or a name of the speaker's entity; ``seqs``: only quotes of these articles.
        """
        where: list[str] = []
        args: list[object] = []
        join = ""
        if speaker is not None:
            alternatives = ["instr(q.speaker_search, ?) > 0" for _ in speakers.needles(speaker)]
            args += speakers.needles(speaker)
            ids = list(dict.fromkeys([*speakers.entity_ids(speaker), *self._entities_named(speaker)]))
            if ids:
                alternatives.append(f"q.speaker_entity_id IN ({marks(ids)})")
                args += ids
            if not alternatives:
                return QuoteResults(hits=[], total=0)
            where.append("(" + " OR ".join(alternatives) + ")")
        if seqs is not None:
            if not seqs:
                return QuoteResults(hits=[], total=0)
            # The articles a search found, as a join (there may be many more than an IN list can hold).
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS quote_filter (seq INTEGER PRIMARY KEY)")
            self.conn.execute("BEGIN")
            try:
                self.conn.execute("DELETE FROM quote_filter")
                self.conn.executemany("INSERT OR IGNORE INTO quote_filter VALUES (?)", ((s,) for s in seqs))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            join = "JOIN quote_filter f ON f.seq = q.article_seq "
        condition = ("WHERE " + " AND ".join(where) + " ") if where else ""
        body = f"FROM quotes q JOIN articles a ON a.seq = q.article_seq {join}{condition}"
        total = int(self.conn.execute(f"SELECT count(*) {body}", args).fetchone()[0])
        sql = (
            f"SELECT a.id AS article_id, a.title, a.published, a.url, a.text, {_QUOTE_COLUMNS_Q} {body}"
            "ORDER BY a.published_utc IS NULL, a.published_utc DESC, a.seq DESC, q.start"
        )
        page: list[object] = []
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            page = [limit, offset]
        elif offset:
            sql += " LIMIT -1 OFFSET ?"
            page = [offset]
        hits = [_READ.quote_hit(r) for r in self.conn.execute(sql, [*args, *page])]
        return QuoteResults(hits=hits, total=total)

    def close(self) -> None:
        self.conn.close()
