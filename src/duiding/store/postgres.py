"""The PostgreSQL server backend: the :class:`~duiding.store.base.Archive` protocol on one database.

Chosen with ``--db postgresql://user@host/db`` (or ``$DUIDING_DB``). The database is both the store and
the search index: each article row carries its ``tsvector`` columns, written in the same statement as
the row (:mod:`duiding.store.postgres_schema`), so the index is never behind. Their terms are tantivy's
(the embedded index's Dutch analyzer, run in Python: :mod:`duiding.store.postgres_text`), so that both
backends answer a query alike; the GIN indexes, matching and ranking are PostgreSQL's. Search translates
the same parsed query the embedded backend runs (:mod:`duiding.store.postgres_query`); analysis runs in
SQL (:mod:`duiding.store.postgres_scope`).

Writing a batch (``upsert``) is a few statements whatever its size: what can be worked out beforehand
(search vectors, near-duplicate signatures) is, without holding anything; then, in one transaction under
the cluster lock (:mod:`duiding.store.postgres_clusters`), the stored articles are read, the new ones'
duplicate clusters decided for all of them at once, and the new rows copied in (``COPY`` into a temporary
table, then ``INSERT … SELECT … ON CONFLICT DO NOTHING``) with their clusters, band keys, vocabulary and
annotations. Changed articles are updated row by row (the rare case).

Several processes may write at once (``duiding ingest`` on several machines, the API's writer): they take
turns per batch at the lock (their reading, parsing, NLP and analysis run side by side), so each sees
every article stored before it, the same article from two writers is stored once (an article's identity
— canonical URL, else the source's id, else the content hash, as in the embedded store — is a unique
column besides), every story gets one cluster, and entity records are recomputed under row locks in id
order; a batch that deadlocks with another transaction anyway is retried. Connections come from a pool
(psycopg_pool), one per process and server URL, shared by the archives opened on it.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from duiding import urls
from duiding.ingest import dedup
from duiding.model import Article, Entity
from duiding.nlp import speakers
from duiding.search.query import ParsedQuery
from duiding.store import postgres_clusters as clusters
from duiding.store.base import Advance, Archive, Outcome, QuoteResults, SearchHit, SearchResults, StoreError
from duiding.store.monitor_tables import MonitorMethods
from duiding.store.postgres_monitor import PostgresMonitorTables
from duiding.store.postgres_query import (
    TRUE,
    Clause,
    Sql,
    Translator,
    article_keys,
    article_tags,
    join,
    sql,
)
from duiding.store.postgres_schema import migrate
from duiding.store.postgres_text import snippet, vectors
from duiding.store.rows import (
    ARTICLE_COLUMNS,
    QUOTE_COLUMNS,
    RowReader,
    article_values,
    entities_query,
    mention_values,
    prefixed,
    quote_values,
    stored_as,
    to_json,
)
from duiding.store.scope import Scope

log = logging.getLogger(__name__)
T = TypeVar("T")

CONNECT_TIMEOUT = 10  # seconds, unless the URL says otherwise
POOL_SIZE = int(os.environ.get("DUIDING_PG_POOL", "10"))  # connections per process and server
RETRIES = 5  # tries of a batch that deadlocked with another writer
REINDEX_CHUNK = 500
#: Vocabulary words a writer remembers having stored, so that it does not send them again.
KNOWN_WORDS = 500_000

_BY_IDENTITY = (
    "SELECT seq, id, identity, fingerprint, content_hash, cluster_id FROM articles WHERE identity = %s"
)
_QUOTE_COLUMNS_Q = prefixed(QUOTE_COLUMNS, "q")


# The search columns of an article (postgres_text.vectors, postgres_query.article_tags/article_keys).
_VECTORS = (
    "search = %(search)s::tsvector, exact = %(exact)s::tsvector, keys = %(keys)s, tags = %(tags)s::tsvector"
)
# The columns a new article's row is copied in with (through the temporary table duiding_incoming); from
# url to day, PostgresArchive._values in its order.
_NEW_COLUMNS = (
    "seq, id, identity, url, canonical_url, outlet, source_id, title, published, published_utc, "
    "program, category, language, text, content_hash, fingerprint, source_file, source_line, author, "
    "published_at, day, cluster_id, ingested_at, updated_at, keys, search, exact, tags"
)


class _Raced(Exception):
    """Another transaction stored a row this batch meant to insert: the batch starts over."""


# -- locations and connections -----------------------------------------------------------------------


def is_server_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and ``archive.location``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = parts.query
    if "password=" in query:
        query = urlencode(
            [(k, "***" if k == "password" else v) for k, v in parse_qsl(query, keep_blank_values=True)]
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def describe(url: str) -> str:
    """The server and database a URL names: ``user@host:port/db`` (a socket directory for host)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return redact(url)
    host = str(info.get("host") or info.get("hostaddr") or "localhost")
    port = str(info.get("port") or "5432")
    user = f"{info['user']}@" if info.get("user") else ""
    return f"{user}{host}:{port}/{info.get('dbname') or info.get('user') or ''}"


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _configure(conn: psycopg.Connection) -> None:
    # Every time read back in UTC (the domain model's datetimes are aware either way).
    conn.execute("SET TIME ZONE 'UTC'")


class _Pools:
    """One connection pool per process and server URL, shared by every archive opened on it (the API
    opens one archive per reader thread) and closed with the last of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[tuple[int, str], tuple[ConnectionPool, int]] = {}

    def acquire(self, url: str) -> ConnectionPool:
        key = (os.getpid(), url)  # a forked process opens its own
        with self._lock:
            found = self._pools.get(key)
            if found is not None:
                self._pools[key] = (found[0], found[1] + 1)
                return found[0]
            pool = self._open(url)
            self._pools[key] = (pool, 1)
            return pool

    def release(self, pool: ConnectionPool) -> None:
        with self._lock:
            for key, (p, n) in list(self._pools.items()):
                if p is pool:
                    if n > 1:
                        self._pools[key] = (p, n - 1)
                        return
                    del self._pools[key]
                    break
        pool.close()

    @staticmethod
    def _open(url: str) -> ConnectionPool:
        where = describe(url)
        try:
            info = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.Error as e:
            raise StoreError(f"{redact(url)}: not a valid PostgreSQL URL: {_first_line(e)}") from None
        kwargs: dict[str, Any] = {"autocommit": True, "application_name": "duiding"}
        if "connect_timeout" not in info:
            kwargs["connect_timeout"] = CONNECT_TIMEOUT
        # Connect once first: a clear error now rather than a pool retrying in the background, and the
        # schema migrated before any other connection uses it.
        try:
            with psycopg.connect(url, **kwargs) as conn:
                _configure(conn)
                migrate(conn, where)
        except StoreError:
            raise
        except psycopg.Error as e:
            raise StoreError(f"cannot use the PostgreSQL server {where}: {_first_line(e)}") from None
        extra: dict[str, Any] = {}
        if hasattr(ConnectionPool, "check_connection"):  # psycopg_pool >= 3.2: drop broken connections
            extra["check"] = ConnectionPool.check_connection
        return ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, POOL_SIZE),
            kwargs=kwargs,
            configure=_configure,
            name=f"duiding {where}",
            open=True,
            **extra,
        )


_POOLS = _Pools()


def _jsonb_list(value: Any) -> list[str]:
    return list(value or [])


# JSON list columns are jsonb: psycopg decodes them.
_READ = RowReader(_jsonb_list)


@dataclass
class _Prepared:
    """What writing an article's row takes that is worked out before the batch's transaction."""

    search: str
    exact: str
    words: list[str]  # its distinct unstemmed words: the vocabulary
    tags: str
    signature: dedup.Signature | None = None  # for a new article: near-duplicate detection

    @classmethod
    def of(cls, article: Article, new: bool) -> _Prepared:
        search, exact, words = vectors(article.title, article.text, [q.text for q in article.quotes])
        signature = dedup.signature(article.text) if new else None
        return cls(search, exact, words, article_tags(article), signature)

    def params(self, article: Article) -> dict[str, Any]:
        """The search columns' values (``keys`` holds the stored id: the article's id by then)."""
        return {"search": self.search, "exact": self.exact, "keys": article_keys(article), "tags": self.tags}


def _dicts(conn: psycopg.Connection, query: str, args: Any = ()) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, args).fetchall()  # type: ignore[arg-type]


def _annotations(
    conn: psycopg.Connection, seqs: Sequence[int]
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    mentions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    quotes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in _dicts(
        conn,
        'SELECT article_seq, start, "end", label, entity_id, canonical FROM mentions '
        "WHERE article_seq = ANY(%s) ORDER BY article_seq, start",
        (list(seqs),),
    ):
        mentions[int(m["article_seq"])].append(m)
    for q in _dicts(
        conn,
        f"SELECT article_seq, {QUOTE_COLUMNS} FROM quotes WHERE article_seq = ANY(%s) "
        "ORDER BY article_seq, start",
        (list(seqs),),
    ):
        quotes[int(q["article_seq"])].append(q)
    return mentions, quotes


def _with_annotations(conn: psycopg.Connection, rows: list[dict[str, Any]]) -> list[Article]:
    mentions, quotes = _annotations(conn, [int(r["seq"]) for r in rows])
    return [_READ.article(r, mentions.get(int(r["seq"]), []), quotes.get(int(r["seq"]), [])) for r in rows]


def _add_words(conn: psycopg.Connection, words: Iterable[str]) -> None:
    """Words into the vocabulary (sorted, so that two writers adding the same ones never deadlock)."""
    found = sorted(set(words))
    if found:
        conn.execute(
            "INSERT INTO words (word) SELECT unnest(%s::text[]) ORDER BY 1 ON CONFLICT DO NOTHING", (found,)
        )


def revectorise(conn: psycopg.Connection, after: int = 0, limit: int = REINDEX_CHUNK) -> tuple[int, int]:
    """Rewrite the search columns of the (up to ``limit``) articles after seq ``after`` and add their words
    to the vocabulary, in the caller's transaction; returns how many articles that was and the last one's
    seq."""
    rows = _dicts(
        conn,
        f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE seq > %s ORDER BY seq LIMIT %s FOR NO KEY UPDATE",
        (after, limit),
    )
    if not rows:
        return 0, after
    words: set[str] = set()
    params = []
    for r, a in zip(rows, _with_annotations(conn, rows), strict=True):
        prepared = _Prepared.of(a, new=False)
        words.update(prepared.words)
        params.append({**prepared.params(a), "seq": int(r["seq"])})
    with conn.cursor() as cur:
        cur.executemany(f"UPDATE articles SET {_VECTORS} WHERE seq = %(seq)s", params)
    _add_words(conn, words)
    return len(rows), int(rows[-1]["seq"])


class PostgresArchive(MonitorMethods, Archive):
    """An archive in a PostgreSQL database (see the module's docstring); feeds and watches:
    :mod:`duiding.store.postgres_monitor`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.location = redact(url)
        self.server = describe(url)
        self.pool = _POOLS.acquire(url)
        self.monitor = PostgresMonitorTables(self.pool, ARTICLE_COLUMNS, _READ.article)
        self._closed = False
        self._known_words: set[str] = set()  # in the vocabulary for sure (committed by this archive)
        self._shingles = clusters.Shingles()  # of the articles this archive stored lately

    @property
    def rejects_dir(self) -> Path:
        """Where rejects reports go: the archive is on a server, the reports stay on this machine."""
        from duiding.store import local_dir

        return local_dir(self.url) / "rejects"

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        try:
            with self.pool.connection() as conn:
                yield conn
        except (errors.DeadlockDetected, errors.SerializationFailure):
            raise  # rolled back whole: the caller may try again (_retrying)
        except psycopg.OperationalError as e:
            raise StoreError(f"PostgreSQL server {self.server}: {_first_line(e)}") from e

    # -- writing ---------------------------------------------------------------------------------

    def upsert(self, articles: Sequence[Article]) -> list[Outcome]:
        if not articles:
            return []
        wanted_ids = [a.id for a in articles]
        identities = [a.identity for a in articles]
        fingerprints = [a.fingerprint() for a in articles]
        # Before the transaction, without locking anything: which articles are stored as they come (the
        # common case when re-ingesting), so that vectors and signatures are worked out for the others only.
        with self._conn() as conn:
            stored: dict[str, str] = dict(
                conn.execute(
                    "SELECT identity, fingerprint FROM articles WHERE identity = ANY(%s)",
                    (sorted(set(identities)),),
                ).fetchall()
            )
        prepared: dict[int, _Prepared] = {}
        firsts: set[str] = set()
        for i, a in enumerate(articles):
            identity = identities[i]
            if identity not in stored and identity not in firsts:
                firsts.add(identity)
                prepared[i] = _Prepared.of(a, new=True)
            elif identity in stored and (stored[identity] != fingerprints[i] or a.entities or a.quotes):
                prepared[i] = _Prepared.of(a, new=False)

        def store(conn: psycopg.Connection) -> tuple[list[Outcome], set[str]]:
            # A retry starts over with the ids as given (one it got may be free again).
            for article, wanted in zip(articles, wanted_ids, strict=True):
                object.__setattr__(article, "id", wanted)
            with conn.transaction():
                clusters.lock(conn)
                return self._upsert(conn, articles, identities, fingerprints, prepared)

        outcomes, words = self._retrying(store)
        if len(self._known_words) + len(words) <= KNOWN_WORDS:  # committed: they are there now
            self._known_words.update(words)
        return outcomes

    def _retrying(self, work: Callable[[psycopg.Connection], T]) -> T:
        """``work(conn)`` (one transaction), again when it deadlocked with another transaction or raced
        with another writer: PostgreSQL rolled all of it back, so it can simply run once more."""
        for attempt in range(1, RETRIES + 1):
            try:
                with self._conn() as conn:
                    return work(conn)
            except (errors.DeadlockDetected, errors.SerializationFailure, _Raced):
                if attempt == RETRIES:
                    raise
                log.info("conflict with another writer; trying the batch again (%d)", attempt)
                time.sleep(random.uniform(0.05, 0.2) * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _upsert(
        self,
        conn: psycopg.Connection,
        articles: Sequence[Article],
        identities: Sequence[str],
        fingerprints: Sequence[str],
        prepared: dict[int, _Prepared],
    ) -> tuple[list[Outcome], set[str]]:
        """Store the batch (the caller holds the transaction and the cluster lock); returns the outcomes
        and the vocabulary words it added."""
        now = datetime.now(UTC)
        existing: dict[str, dict[str, Any]] = {
            r["identity"]: r
            for r in _dicts(
                conn,
                "SELECT seq, id, identity, fingerprint, content_hash, cluster_id FROM articles "
                "WHERE identity = ANY(%s)",
                (sorted(set(identities)),),
            )
        }
        # The first article of each identity not stored yet is new; the others are compared with what is
        # stored by then (another one of the batch, maybe), in the batch's order.
        new: list[int] = []
        for i, identity in enumerate(identities):
            if identity not in existing:
                existing[identity] = {}  # claimed, filled in by _insert
                new.append(i)
        for i in new:
            if i not in prepared:  # stored when the batch was read, and gone since: only if rolled back
                prepared[i] = _Prepared.of(articles[i], new=True)
        locked: set[str] = set()
        results: list[tuple[Outcome, int] | None] = [None] * len(articles)
        annotate: dict[int, Article] = {}  # seq → the article whose annotations replace the stored ones
        words: set[str] = set()  # the words of the texts written
        if new:
            for i, row in zip(new, self._insert(conn, articles, new, prepared, now), strict=True):
                a = articles[i]
                existing[identities[i]] = row
                locked.add(identities[i])  # inserted by this transaction
                stored_as(a, row["id"], row["cluster_id"])
                annotate[row["seq"]] = a
                words.update(prepared[i].words)
                results[i] = (Outcome.ADDED, row["seq"])
        for i, a in enumerate(articles):
            if results[i] is not None:
                continue
            identity, fingerprint = identities[i], fingerprints[i]
            row = existing[identity]
            if identity not in locked and (row["fingerprint"] != fingerprint or a.entities or a.quotes):
                row = existing[identity] = self._locked(conn, identity)  # to be written: lock, read again
                locked.add(identity)
            seq, article_id = int(row["seq"]), str(row["id"])
            stored_as(a, article_id, row["cluster_id"])
            if row["fingerprint"] == fingerprint:
                if a.entities or a.quotes:
                    # New annotations of the same text: the search columns hold them too.
                    vectors = prepared.get(i) or _Prepared.of(a, new=False)
                    params = {**vectors.params(a), "seq": seq}
                    conn.execute(f"UPDATE articles SET {_VECTORS} WHERE seq = %(seq)s", params)
                    annotate[seq] = a
                results[i] = (Outcome.UNCHANGED, seq)
                continue
            if row["content_hash"] != a.content_hash and row["cluster_id"] is not None:
                clusters.replace_text(conn, seq, a.text)
            vectors = prepared.get(i) or _Prepared.of(a, new=False)
            conn.execute(
                "UPDATE articles SET url = %(url)s, canonical_url = %(canonical_url)s, outlet = %(outlet)s, "
                "source_id = %(source_id)s, title = %(title)s, published = %(published)s, "
                "published_utc = %(published_utc)s, published_at = %(published_at)s, day = %(day)s, "
                "program = %(program)s, category = %(category)s, language = %(language)s, "
                "text = %(text)s, content_hash = %(content_hash)s, fingerprint = %(fingerprint)s, "
                "source_file = %(source_file)s, source_line = %(source_line)s, author = %(author)s, "
                f"updated_at = %(now)s, {_VECTORS} WHERE seq = %(seq)s",
                {**self._values(a, fingerprint), **vectors.params(a), "now": now, "seq": seq},
            )
            row.update(fingerprint=fingerprint, content_hash=a.content_hash)
            annotate[seq] = a
            words.update(vectors.words)
            results[i] = (Outcome.UPDATED, seq)
        touched = self._replace_annotations(conn, annotate)
        self._refresh_entities(conn, touched)
        words -= self._known_words
        _add_words(conn, words)
        return [r[0] for r in results if r is not None], words

    @staticmethod
    def _values(a: Article, fingerprint: str) -> dict[str, Any]:
        return {
            **article_values(a, fingerprint),
            "published_at": a.published,
            "day": a.published.date() if a.published else None,  # its own calendar date
        }

    def _insert(
        self,
        conn: psycopg.Connection,
        articles: Sequence[Article],
        new: Sequence[int],
        prepared: dict[int, _Prepared],
        now: datetime,
    ) -> list[dict[str, Any]]:
        """Insert the new articles (``new``: their indexes, in the batch's order) with their duplicate
        clusters and band keys; returns the stored rows' ``seq, id, identity, fingerprint, content_hash,
        cluster_id``, in the same order.

        An article's public id is the one it came with, made unique when another article has it already
        (``7`` from two CSVs: ``7-<hash of its identity>``), as in the embedded store. Seqs are drawn first,
        in the batch's order, so that the clusters can be decided before the rows exist.
        """
        batch = [articles[i] for i in new]
        identities = [a.identity for a in batch]
        choices = [
            (a.id, f"{a.id}-{sha256(identity.encode()).hexdigest()[:8]}")
            for a, identity in zip(batch, identities, strict=True)
        ]
        taken = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM articles WHERE id = ANY(%s)", (sorted({c for pair in choices for c in pair}),)
            )
        }
        for a, pair in zip(batch, choices, strict=True):
            article_id = next((c for c in pair if c not in taken), None)
            if article_id is None:
                raise StoreError(f"{self.server}: cannot store article {a.id!r}: its id is taken")
            taken.add(article_id)
            object.__setattr__(a, "id", article_id)  # the id: keyword holds the stored id
        seqs = sorted(
            int(r[0])
            for r in conn.execute(
                "SELECT nextval(pg_get_serial_sequence('articles', 'seq')) FROM generate_series(1, %s)",
                (len(batch),),
            )
        )
        items = [
            (seq, a.id, a.content_hash, prepared[i].signature or dedup.signature(a.text))
            for seq, a, i in zip(seqs, batch, new, strict=True)
        ]
        decided = clusters.plan(conn, items, self._shingles)
        rows = []
        conn.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS duiding_incoming (LIKE articles) ON COMMIT DELETE ROWS"
        )
        with conn.cursor() as cur, cur.copy(f"COPY duiding_incoming ({_NEW_COLUMNS}) FROM STDIN") as copy:
            for seq, a, i, identity in zip(seqs, batch, new, identities, strict=True):
                fingerprint = a.fingerprint()
                v = self._values(a, fingerprint)
                vectors = prepared[i]
                copy.write_row(
                    (
                        seq,
                        a.id,
                        identity,
                        *v.values(),
                        decided[seq],
                        now,
                        now,
                        article_keys(a),
                        vectors.search,
                        vectors.exact,
                        vectors.tags,
                    )
                )
                rows.append(
                    {
                        "seq": seq,
                        "id": a.id,
                        "identity": identity,
                        "fingerprint": fingerprint,
                        "content_hash": a.content_hash,
                        "cluster_id": decided[seq],
                    }
                )
        inserted = conn.execute(
            f"INSERT INTO articles ({_NEW_COLUMNS}) OVERRIDING SYSTEM VALUE SELECT {_NEW_COLUMNS} "
            "FROM duiding_incoming ORDER BY seq ON CONFLICT DO NOTHING RETURNING seq"
        ).fetchall()
        if len(inserted) != len(rows):
            # Another transaction stored one of these meanwhile (not a writer of this version: those take
            # the cluster lock first). Start over: it is an existing article then.
            raise _Raced()
        clusters.add_all_keys(conn, items, new=True)
        for (seq, _, _, sig), row in zip(items, rows, strict=True):
            self._shingles.put(seq, row["fingerprint"], sig.shingles)  # valid whatever becomes of the batch
        return rows

    def _locked(self, conn: psycopg.Connection, identity: str) -> dict[str, Any]:
        # NO KEY UPDATE: the key (seq) never changes, so rows referring to it (mentions, quotes, band
        # keys) can still be added by others meanwhile.
        rows = _dicts(conn, _BY_IDENTITY + " FOR NO KEY UPDATE", (identity,))
        if not rows:  # pragma: no cover - it was there a statement ago and nothing deletes articles
            raise StoreError(f"{self.server}: article {identity} vanished while being stored")
        return rows[0]

    def _replace_annotations(self, conn: psycopg.Connection, annotate: dict[int, Article]) -> set[str]:
        """Replace the mentions and quotes of these articles (one version of a text: all together);
        returns the entity ids whose records change."""
        touched: set[str] = set()
        if not annotate:
            return touched
        seqs = sorted(annotate)
        touched.update(
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT entity_id FROM mentions "
                "WHERE article_seq = ANY(%s) AND entity_id IS NOT NULL",
                (seqs,),
            )
        )
        conn.execute("DELETE FROM mentions WHERE article_seq = ANY(%s)", (seqs,))
        conn.execute("DELETE FROM quotes WHERE article_seq = ANY(%s)", (seqs,))
        mentions: dict[tuple[int, int, int], tuple[Any, ...]] = {}
        quotes: dict[tuple[int, int, int], tuple[Any, ...]] = {}
        for seq in seqs:
            a = annotate[seq]
            for m in a.entities:  # a span given twice: the last one stands (INSERT OR REPLACE in SQLite)
                mentions[(seq, m.start, m.end)] = mention_values(seq, m)
                if m.entity_id:
                    touched.add(m.entity_id)
            for q in a.quotes:
                quotes[(seq, q.start, q.end)] = quote_values(seq, q)
        copies = [
            ('mentions (article_seq, start, "end", label, entity_id, canonical, surface)', mentions),
            (
                'quotes (article_seq, start, "end", type, speaker, speaker_aliases, cue, role, organisation, '
                "speaker_entity_id, speaker_search)",
                quotes,
            ),
        ]
        with conn.cursor() as cur:
            for table, rows in copies:
                if rows:
                    with cur.copy(f"COPY {table} FROM STDIN") as copy:
                        for row in rows.values():
                            copy.write_row(row)
        return touched

    def _refresh_entities(self, conn: psycopg.Connection, touched: set[str]) -> None:
        """Recompute the archive-wide records of these entities from their mentions.

        Each record's row is locked first, in id order (a new entity's row is created for that), so
        writers touching the same entities take turns: the last one counts every committed mention.
        """
        if not touched:
            return
        ids = sorted(touched)
        conn.execute(
            "INSERT INTO entities (id, label, canonical) SELECT i, 'MISC', i FROM unnest(%s::text[]) "
            "WITH ORDINALITY AS t(i, n) ORDER BY n ON CONFLICT DO NOTHING",
            (ids,),
        )
        conn.execute("SELECT id FROM entities WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (ids,)).fetchall()
        counts: dict[str, list[tuple[str, str, str, int]]] = defaultdict(list)
        for entity_id, label, canonical, surface, n in conn.execute(
            "SELECT entity_id, label, coalesce(canonical, surface), surface, count(*) FROM mentions "
            "WHERE entity_id = ANY(%s) GROUP BY entity_id, label, canonical, surface",
            (ids,),
        ):
            counts[entity_id].append((label, canonical, surface, int(n)))
        records = [Entity.from_mentions(i, counts[i]) for i in ids if counts[i]]
        if records:
            with conn.cursor() as cur:
                cur.executemany(
                    "UPDATE entities SET label = %s, canonical = %s, aliases = %s::jsonb, mention_count = %s "
                    "WHERE id = %s",
                    [
                        (
                            r.label,
                            r.canonical,
                            to_json(r.aliases),
                            r.mention_count,
                            r.id,
                        )
                        for r in records
                    ],
                )
        gone = [i for i in ids if not counts[i]]
        if gone:
            conn.execute("DELETE FROM entities WHERE id = ANY(%s)", (gone,))

    def changed(self, articles: Sequence[Article]) -> list[bool]:
        identities = list({a.identity for a in articles})
        with self._conn() as conn:
            stored = dict(
                conn.execute(
                    "SELECT identity, fingerprint FROM articles WHERE identity = ANY(%s)", (identities,)
                ).fetchall()
            )
        return [stored.get(a.identity) != a.fingerprint() for a in articles]

    # -- reading ---------------------------------------------------------------------------------

    def count(self) -> int:
        with self._conn() as conn:
            row = conn.execute("SELECT count(*) FROM articles").fetchone()
        return int(row[0]) if row else 0

    def entities(self, limit: int | None = None, label: str | None = None) -> list[Entity]:
        with self._conn() as conn:
            rows = _dicts(conn, *entities_query(limit, label, "%s"))
        return [_READ.entity(r) for r in rows]

    def get(self, ref: str) -> Article | None:
        ref = ref.strip()
        select = f"SELECT {ARTICLE_COLUMNS} FROM articles"
        with self._conn() as conn:
            rows = _dicts(conn, f"{select} WHERE id = %s", (ref,))
            if not rows and urls.is_http_url(ref):
                rows = _dicts(
                    conn,
                    f"{select} WHERE canonical_url = %s OR url = %s ORDER BY seq LIMIT 1",
                    (urls.canonicalize(ref), ref),
                )
            if not rows:
                found = _dicts(conn, f"{select} WHERE source_id = %s LIMIT 2", (ref,))
                rows = found if len(found) == 1 else []
            return _with_annotations(conn, rows)[0] if rows else None

    def iter_articles(self, chunk: int = 1000) -> Iterator[Article]:
        """Every article in storage order, ``chunk`` at a time (one connection per chunk)."""
        last = 0
        while True:
            with self._conn() as conn:
                rows = _dicts(
                    conn,
                    f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE seq > %s ORDER BY seq LIMIT %s",
                    (last, chunk),
                )
                if not rows:
                    return
                page = _with_annotations(conn, rows)
            yield from page
            last = int(rows[-1]["seq"])

    # -- search ----------------------------------------------------------------------------------

    def search(
        self, query: ParsedQuery, limit: int = 10, offset: int = 0, collapse: bool = False
    ) -> SearchResults:
        if offset < 0:
            raise ValueError("offset must be >= 0")
        with self._conn() as conn:
            translator = Translator(conn)
            clause = translator.clause(query)
            if collapse:
                ranked = conn.execute(
                    *_args(
                        "SELECT seq, score FROM (SELECT DISTINCT ON (c) seq, score FROM ("
                        "SELECT a.seq, coalesce(a.cluster_id, a.id) AS c, ",
                        clause.score,
                        " AS score FROM articles a WHERE ",
                        clause.where,
                        ") m ORDER BY c, score DESC, seq) best ORDER BY score DESC, seq LIMIT %s OFFSET %s",
                        params=(max(limit, 0), offset),
                    )
                ).fetchall()
                total_sql = (
                    "SELECT count(DISTINCT coalesce(a.cluster_id, a.id)) FROM articles a WHERE ",
                    clause.where,
                )
            else:
                ranked = conn.execute(
                    *_args(
                        "SELECT a.seq, ",
                        clause.score,
                        " AS score FROM articles a WHERE ",
                        clause.where,
                        " ORDER BY score DESC, a.seq LIMIT %s OFFSET %s",
                        params=(max(limit, 0), offset),
                    )
                ).fetchall()
                total_sql = ("SELECT count(*) FROM articles a WHERE ", clause.where)
            row = conn.execute(*_args(*total_sql)).fetchone()
            total = int(row[0]) if row else 0
            if not ranked:
                return SearchResults(hits=[], total=total)
            highlight = translator.highlight(query)
            rows = {
                int(r["seq"]): r
                for r in _dicts(
                    conn,
                    f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE seq = ANY(%s)",
                    ([int(r[0]) for r in ranked],),
                )
            }
        hits = []
        for seq, score in ranked:
            r = rows.get(int(seq))
            if r is None:
                continue
            hits.append(SearchHit(_READ.article(r), float(score), snippet(r["text"], highlight)))
        return SearchResults(hits=hits, total=total)

    def snippet(self, query: ParsedQuery, text: str, max_chars: int = 200) -> list[tuple[str, bool]]:
        """The passage of ``text`` a hit for ``query`` shows (as :meth:`search` cuts them)."""
        with self._conn() as conn:
            highlight = Translator(conn).highlight(query)
        return snippet(text, highlight, max_chars)

    def matching(self, query: ParsedQuery, ids: Sequence[str]) -> list[str]:
        if not ids:
            return []
        with self._conn() as conn:
            clause = Translator(conn).clause(query)
            found = {
                r[0]
                for r in conn.execute(
                    *_args(
                        "SELECT a.id FROM articles a WHERE a.id = ANY(%s) AND ",
                        clause.where,
                        first=(list(ids),),
                    )
                )
            }
        return [i for i in dict.fromkeys(ids) if i in found]

    def where(self, conn: psycopg.Connection, query: ParsedQuery) -> Clause:
        """The condition (on ``articles a``) that ``query`` finds, for other statements to use."""
        return Translator(conn).clause(query)

    # -- quotes and analysis ---------------------------------------------------------------------

    def entities_named(self, conn: psycopg.Connection, name: str) -> list[str]:
        """Ids of the entities whose canonical name or an alias is ``name`` (case-insensitive)."""
        return _READ.entities_named(
            name,
            lambda pattern: _dicts(
                conn,
                "SELECT id, canonical, aliases FROM entities "
                "WHERE canonical ILIKE %s OR aliases::text ILIKE %s",
                (pattern, pattern),
            ),
        )

    def _quotes(
        self, speaker: str | None, query: ParsedQuery | None, limit: int | None, offset: int
    ) -> QuoteResults:
        with self._conn() as conn:
            conditions: list[Sql] = []
            if speaker is not None:
                needles = speakers.needles(speaker)
                ids = list(
                    dict.fromkeys([*speakers.entity_ids(speaker), *self.entities_named(conn, speaker)])
                )
                if not needles and not ids:
                    return QuoteResults(hits=[], total=0)
                conditions.append(
                    Sql(
                        "(q.speaker_search IS NOT NULL AND EXISTS (SELECT 1 FROM unnest(%s::text[]) n "
                        "WHERE strpos(q.speaker_search, n) > 0) OR q.speaker_entity_id = ANY(%s))",
                        (needles, ids),
                    )
                )
            if query is not None:
                conditions.append(self.where(conn, query).where)
            where = join(" AND ", [sql("(", c, ")") for c in conditions]) if conditions else TRUE
            body = ("FROM quotes q JOIN articles a ON a.seq = q.article_seq WHERE ", where)
            row = conn.execute(*_args("SELECT count(*) ", *body)).fetchone()
            total = int(row[0]) if row else 0
            rows = _dicts(
                conn,
                *_args(
                    f"SELECT a.id AS article_id, a.title, a.published, a.url, a.text, {_QUOTE_COLUMNS_Q} ",
                    *body,
                    " ORDER BY a.published_at IS NULL, a.published_at DESC, a.seq DESC, q.start "
                    "LIMIT %s OFFSET %s",
                    params=(limit, offset),
                ),
            )
        return QuoteResults(hits=[_READ.quote_hit(r) for r in rows], total=total)

    @contextmanager
    def scope(self, query: ParsedQuery | None = None) -> Iterator[Scope]:
        from duiding.store.postgres_scope import open_scope

        with self._conn() as conn, open_scope(self, conn, query) as scope:
            yield scope

    # -- the index: the search columns, written with each row ------------------------------------------

    def pending_index(self) -> int:
        """Articles not fully indexed: only those still without a duplicate cluster (the search columns
        are written with the row itself)."""
        with self._conn() as conn:
            return clusters.pending(conn)

    def sync_index(self, advance: Advance | None = None) -> int:
        """Assign the clusters a stopped writer left unassigned; returns how many articles that was."""
        with self._conn() as conn:
            return clusters.assign_pending(conn, advance)

    def reindex(self, advance: Advance | None = None) -> int:
        """Rewrite every article's search columns (after a change in how words are indexed) and the
        vocabulary, a chunk per transaction; returns the number of articles."""
        done = 0
        last = 0
        with self._conn() as conn:
            clusters.assign_pending(conn)
            while True:
                with conn.transaction():
                    count, last = revectorise(conn, last, REINDEX_CHUNK)
                if not count:
                    break
                done += count
                if advance:
                    advance(count)
        return done

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _POOLS.release(self.pool)


# -- composing statements from fragments ---------------------------------------------------------------


def _args(
    *parts: str | Sql, first: tuple[Any, ...] = (), params: tuple[Any, ...] = ()
) -> tuple[str, list[Any]]:
    """``(sql, parameters)`` for ``conn.execute``: constant text and fragments in order, with ``first``
    bound before the fragments' parameters and ``params`` after them."""
    composed = sql(*parts)
    return composed.text, [*first, *composed.params, *params]
