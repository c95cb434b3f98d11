"""The PostgreSQL backend's schema: numbered migrations, applied on open, recorded in ``schema_version``.

Text search: the vectors hold tantivy's terms, not PostgreSQL's. Each word is analysed in Python by the
embedded index's own analyzer (:mod:`duiding.store.postgres_text`: tantivy's simple tokenizer, lowercase,
ASCII folding and its Dutch Snowball stemmer, every word kept) and written as a ``tsvector`` literal:
what the ``simple`` configuration makes of words that are already stems. PostgreSQL's built-in ``dutch``
configuration is another version of the Snowball Dutch stemmer (``bruggen``: ``brugg`` there, ``brug`` in
tantivy), and one query language must give one answer on both backends. (Version 1 had the text search
configurations ``duiding_dutch`` and ``duiding_exact`` for that; version 2 rebuilt every vector with
tantivy's terms and dropped them.) The GIN indexes, ``@@`` matching and ``ts_rank_cd`` ranking are
PostgreSQL's.

Every article row carries its search vectors, written in the same statement as the row:

* ``search``: stemmed words, weighted by field — title ``A``, text ``B``, the quotes' words ``C`` — at
  tantivy's positions, for phrases;
* ``exact``: the same unstemmed, for wildcards; its words also go into ``words`` (the vocabulary that
  wildcards such as ``Oekra?ne`` are expanded against, like tantivy's term dictionary);
* ``tags``: lexemes tagged by field, with positions for phrases: the URL's words (``u.nos``), the
  entity names (``p.vladimir``, ``o.…``, ``l.…``) and the quoted sources' names and entity ids (``s.…``);
* ``keys``: the keyword fields as ``field=value``, lower-cased and accent-folded (``outlet=nos``).

Text columns use the "C" collation: bytewise order and ASCII-only ``lower()``, which is what SQLite does,
so both backends sort, group and fold names the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg

log = logging.getLogger(__name__)

#: pg_advisory_xact_lock key held while migrating (two processes opening a new database at once).
MIGRATION_LOCK = 0x6475_6964_0001


def _text_search(conn: psycopg.Connection) -> None:
    """Version 1, part 1: the text search configurations (unaccent when the server allows it)."""
    folding = True
    try:
        with conn.transaction():  # a savepoint: a server without unaccent (contrib) still gets the rest
            conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    except psycopg.Error as e:
        folding = False
        log.warning("PostgreSQL extension unaccent unavailable (%s): accents are not folded in search", e)
    chain = "unaccent, " if folding else ""
    words = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"
    numbers = "numword, numhword, hword_numpart"
    dutch = "ALTER TEXT SEARCH CONFIGURATION duiding_dutch ALTER MAPPING FOR"
    exact = "ALTER TEXT SEARCH CONFIGURATION duiding_exact ALTER MAPPING FOR"
    for statement in (
        # the Snowball stemmer without the stop-word list: tantivy's index keeps every word
        "CREATE TEXT SEARCH DICTIONARY duiding_dutch_stem (TEMPLATE = snowball, Language = dutch)",
        "CREATE TEXT SEARCH CONFIGURATION duiding_dutch (COPY = pg_catalog.dutch)",
        f"{dutch} {words} WITH {chain}duiding_dutch_stem",
        f"{dutch} {numbers} WITH {chain}simple",
        "CREATE TEXT SEARCH CONFIGURATION duiding_exact (COPY = pg_catalog.simple)",
        f"{exact} {words}, {numbers} WITH {chain}simple",
    ):
        conn.execute(statement)  # type: ignore[arg-type]  # constant SQL


_TABLES = """
CREATE TABLE articles (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             text COLLATE "C" NOT NULL UNIQUE,
    identity       text COLLATE "C" NOT NULL UNIQUE,
    url            text COLLATE "C",
    canonical_url  text COLLATE "C",
    outlet         text COLLATE "C",
    source_id      text COLLATE "C",
    title          text COLLATE "C" NOT NULL,
    published      text COLLATE "C",          -- ISO 8601 with the source's own UTC offset
    published_utc  text COLLATE "C",          -- the same instant in UTC, ISO 8601 (as SQLite keeps it)
    published_at   timestamptz,               -- the instant: ordering and datetime ranges
    day            date,                      -- the article's own calendar date: date queries, per-day counts
    program        text COLLATE "C",
    category       text COLLATE "C",
    language       text COLLATE "C",
    author         text COLLATE "C",
    text           text COLLATE "C" NOT NULL,
    content_hash   text COLLATE "C" NOT NULL,
    fingerprint    text COLLATE "C" NOT NULL,
    source_file    text COLLATE "C",
    source_line    integer,
    cluster_id     text COLLATE "C",          -- NULL until assigned (duiding.store.postgres_clusters)
    ingested_at    timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    keys           text[] NOT NULL DEFAULT '{}',
    search         tsvector NOT NULL,
    exact          tsvector NOT NULL,
    tags           tsvector NOT NULL
);
CREATE INDEX articles_canonical_url ON articles (canonical_url);
CREATE INDEX articles_url ON articles (url);
CREATE INDEX articles_source_id ON articles (source_id);
CREATE INDEX articles_published ON articles (published_at);
CREATE INDEX articles_day ON articles (day);
CREATE INDEX articles_cluster ON articles (cluster_id);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX articles_unclustered ON articles (seq) WHERE cluster_id IS NULL;
CREATE INDEX articles_search ON articles USING gin (search);
CREATE INDEX articles_exact ON articles USING gin (exact);
CREATE INDEX articles_tags ON articles USING gin (tags);
CREATE INDEX articles_keys ON articles USING gin (keys);

CREATE TABLE words (
    word           text COLLATE "C" PRIMARY KEY
);

CREATE TABLE entities (
    id             text COLLATE "C" PRIMARY KEY,
    label          text COLLATE "C" NOT NULL,
    canonical      text COLLATE "C" NOT NULL,
    aliases        jsonb NOT NULL DEFAULT '[]',
    mention_count  integer NOT NULL DEFAULT 0
);
CREATE INDEX entities_mentioned ON entities (mention_count DESC, canonical);

CREATE TABLE mentions (
    article_seq    bigint NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
    start          integer NOT NULL,
    "end"          integer NOT NULL,
    label          text COLLATE "C" NOT NULL,
    entity_id      text COLLATE "C",
    canonical      text COLLATE "C",
    surface        text COLLATE "C" NOT NULL,
    PRIMARY KEY (article_seq, start, "end")
);
CREATE INDEX mentions_entity_article ON mentions (entity_id, article_seq);

CREATE TABLE quotes (
    article_seq    bigint NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
    start          integer NOT NULL,
    "end"          integer NOT NULL,
    type           text COLLATE "C" NOT NULL,
    speaker        text COLLATE "C",
    speaker_aliases jsonb NOT NULL DEFAULT '[]',
    cue            text COLLATE "C",
    role           text COLLATE "C",
    organisation   text COLLATE "C",
    speaker_entity_id text COLLATE "C",
    speaker_search text COLLATE "C",          -- duiding.nlp.speakers.search_key
    PRIMARY KEY (article_seq, start, "end")
);
CREATE INDEX quotes_speaker_entity ON quotes (speaker_entity_id);
CREATE INDEX quotes_speaker_folded ON quotes (lower(speaker));

CREATE TABLE lsh_bands (
    key            bigint NOT NULL,
    article_seq    bigint NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
    PRIMARY KEY (key, article_seq)
);
CREATE INDEX lsh_bands_article ON lsh_bands (article_seq);

CREATE TABLE feeds (
    name           text COLLATE "C" PRIMARY KEY,
    url            text COLLATE "C" NOT NULL UNIQUE,
    title          text,
    etag           text,
    last_modified  text,
    added_at       timestamptz NOT NULL,
    last_polled    timestamptz,
    last_ok        timestamptz,
    errors         integer NOT NULL DEFAULT 0,
    last_error     text,
    next_poll      timestamptz
);
CREATE TABLE feed_items (
    feed           text COLLATE "C" NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
    key            text COLLATE "C" NOT NULL,
    url            text NOT NULL,
    status         text NOT NULL,
    attempts       integer NOT NULL DEFAULT 0,
    problem        text,
    article_id     text,
    first_seen     timestamptz NOT NULL,
    last_attempt   timestamptz,
    PRIMARY KEY (feed, key)
);
CREATE TABLE watches (
    name           text COLLATE "C" PRIMARY KEY,
    query          text NOT NULL,
    webhook        text,
    created_at     timestamptz NOT NULL
);
CREATE TABLE watch_matches (
    watch          text COLLATE "C" NOT NULL REFERENCES watches (name) ON DELETE CASCADE,
    article_seq    bigint NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
    matched_at     timestamptz NOT NULL,
    delivery       text,
    attempts       integer NOT NULL DEFAULT 0,
    next_attempt   timestamptz,
    error          text,
    PRIMARY KEY (watch, article_seq)
);
CREATE INDEX watch_matches_due ON watch_matches (next_attempt) WHERE delivery = 'pending';
"""


def _version_1(conn: psycopg.Connection) -> None:
    _text_search(conn)
    conn.execute(_TABLES)  # type: ignore[arg-type]  # constant SQL, several statements (simple protocol)


def _version_2(conn: psycopg.Connection) -> None:
    """Tantivy's terms instead of PostgreSQL's ``dutch`` stems: every stored article's vectors rewritten
    (:func:`duiding.store.postgres.revectorise`), the vocabulary rebuilt from them, and the text search
    configurations of version 1, unused from now on, dropped (a duiding of version 1 still running would
    fail at once rather than write vectors of the old kind)."""
    from duiding.store.postgres import revectorise

    row = conn.execute("SELECT count(*) FROM articles").fetchone()
    total = int(row[0]) if row else 0
    if total:
        log.warning("rebuilding the search vectors of %d articles (schema version 2)", total)
    done, last = 0, 0
    while True:
        count, last = revectorise(conn, last)
        if not count:
            break
        done += count
        if done % 50_000 < count:
            log.info("search vectors rebuilt: %d of %d articles", done, total)
    conn.execute("DELETE FROM words")
    conn.execute(
        "INSERT INTO words (word) SELECT DISTINCT w FROM articles, unnest(tsvector_to_array(exact)) w "
        "ON CONFLICT DO NOTHING"
    )
    for statement in (
        "DROP TEXT SEARCH CONFIGURATION IF EXISTS duiding_dutch",
        "DROP TEXT SEARCH CONFIGURATION IF EXISTS duiding_exact",
        "DROP TEXT SEARCH DICTIONARY IF EXISTS duiding_dutch_stem",
    ):
        conn.execute(statement)  # type: ignore[arg-type]  # constant SQL


# Each migration takes the schema from version i to i + 1, inside one transaction (PostgreSQL's DDL is
# transactional: a migration is applied whole or not at all). Never edit one that has shipped: add another.
MIGRATIONS: list[Callable[[psycopg.Connection], None]] = [_version_1, _version_2]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: psycopg.Connection) -> int | None:
    """The schema version of the database (None: no duiding schema yet)."""
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    found = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(found[0]) if found and found[0] is not None else 0


def migrate(conn: psycopg.Connection, where: str) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION` (an autocommit connection); returns the version.

    Cheap when nothing is to do (one query). Otherwise it runs under a transaction-level advisory lock,
    so processes that open a new database at once migrate it once, one after the other.
    """
    from duiding.store.base import StoreError

    version = current_version(conn)
    if version == SCHEMA_VERSION:
        return version
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(
            f"{where}: database schema version {version} is newer than this duiding understands "
            f"({SCHEMA_VERSION}); upgrade duiding"
        )
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        version = current_version(conn) or 0  # again: another process may have just migrated
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{where}: database schema version {version} is newer than this duiding understands "
                f"({SCHEMA_VERSION}); upgrade duiding"
            )
        for number in range(version, SCHEMA_VERSION):
            MIGRATIONS[number](conn)
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number + 1,))
    return SCHEMA_VERSION
