"""The PostgreSQL backend's :class:`~duiding.store.scope.Scope`: aggregates in SQL, as the embedded
backend's (:mod:`duiding.store.sqlite_scope`) computes them, figure for figure: the statements are
:class:`~duiding.store.sql_scope.SqlScope`'s, in PostgreSQL's dialect here.

A query's articles go into a temporary table (``seq`` only) in one statement, straight from the search
condition, on the connection the scope holds for its ``with`` block; every figure is then one SQL
statement joining that table to ``articles``, ``mentions`` or ``quotes``. For the whole archive there is
no table and no join. Rows that go out (export, quote lists) are read a chunk at a time: pages of
``seq`` for articles and quotes, a server-side cursor for the rest, so memory stays flat.

Speakers are keyed as in the embedded backend: the entity id, else the name lower-cased the way SQLite
does (ASCII letters only: the columns' "C" collation makes ``lower()`` do just that).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row

from duiding.search.query import ParsedQuery
from duiding.store.sql_scope import CHUNK, Row, SqlScope

if TYPE_CHECKING:
    from duiding.store.postgres import PostgresArchive

_names = itertools.count(1)


@contextmanager
def open_scope(
    archive: PostgresArchive, conn: psycopg.Connection, query: ParsedQuery | None
) -> Iterator[PostgresScope]:
    """A scope over the articles ``query`` finds (None: the whole archive), on ``conn``."""
    table = f"duiding_scope_{next(_names)}" if query is not None else None
    scope = PostgresScope(archive, conn, table)
    try:
        if query is not None:
            clause = archive.where(conn, query)
            conn.execute(f"CREATE TEMP TABLE {table} (seq bigint PRIMARY KEY)")  # type: ignore[arg-type]
            conn.execute(
                f"INSERT INTO {table} SELECT a.seq FROM articles a WHERE {clause.where.text}",  # type: ignore[arg-type]
                clause.where.params,
            )
            # Its size, for the planner (a query that found three articles joins differently from one
            # that found them all).
            conn.execute(f"ANALYZE {table}")  # type: ignore[arg-type]
        yield scope
    finally:
        # The connection goes back to the pool: nothing of this scope may stay on it.
        scope.closed = True
        with suppress(psycopg.Error):
            conn.execute("CLOSE ALL")
            if table:
                conn.execute(f"DROP TABLE IF EXISTS {table}")  # type: ignore[arg-type]


class PostgresScope(SqlScope):
    """Aggregates over the articles in ``table`` (or all articles when ``table`` is None)."""

    P = "%s"
    TRUE = "TRUE"
    FALSE = "FALSE"
    DAY = "to_char(a.day, 'YYYY-MM-DD')"
    DATED = "a.day"
    PUBLISHED = "a.published_at"
    NULLS_FIRST = " NULLS FIRST"  # as SQLite sorts them
    ALIAS_ROWS = "CROSS JOIN LATERAL jsonb_array_elements_text(q.speaker_aliases) AS j(value)"
    ALIAS_VALUE = 'j.value COLLATE "C"'

    def __init__(self, archive: PostgresArchive, conn: psycopg.Connection, table: str | None) -> None:
        super().__init__(conn, table)
        self.archive = archive
        self.closed = False

    # -- dialect ----------------------------------------------------------------------------------

    def _scope_table(self, table: str) -> str:
        return table

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, args).fetchall()  # type: ignore[arg-type]

    def _stream(self, sql: str, args: Sequence[Any] = ()) -> Iterator[Row]:
        """Rows read ``CHUNK`` at a time through a server-side cursor; the connection stays usable for
        other statements meanwhile (a consumer may ask for other figures while it reads these)."""
        if self.closed:
            raise RuntimeError("a scope is valid inside its with block only")
        cur = self.conn.cursor(name=f"duiding_rows_{next(_names)}", row_factory=dict_row, withhold=True)
        try:
            cur.execute(sql, args)  # type: ignore[arg-type]
            while rows := cur.fetchmany(CHUNK):
                yield from rows
        finally:
            # A generator given up after its scope ended: the scope closed every cursor already, and
            # the connection may be someone else's by now.
            if not self.closed:
                cur.close()

    def _in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(%s)", [list(values)]

    @staticmethod
    def _aliases(value: Any) -> list[str]:
        return list(value) if value else []

    def _quote_id(self, alias: str, row: bool = True) -> str:
        # a quote's identity: no rowid here
        columns = f'{alias}.article_seq, {alias}.start, {alias}."end"'
        return f"({columns})" if row else columns

    def _entities_named(self, ref: str) -> list[str]:
        return self.archive.entities_named(self.conn, ref)

    def _speaker_search(self, needles: list[str], ids: list[str]) -> tuple[str, list[Any]]:
        where = (
            "(EXISTS (SELECT 1 FROM unnest(%s::text[]) n WHERE strpos(q.speaker_search, n) > 0) "
            "OR q.speaker_entity_id = ANY(%s))"
        )
        return where, [needles, ids]

    def _pairs(
        self, label_filter: str, label_args: list[Any], among: list[str] | None, limit: int | None
    ) -> list[tuple[str, str, int]]:
        """Top pairs of entities (``among`` these only, if given) by articles that mention both."""
        among_filter = " AND b.entity_id = ANY(%s)" if among is not None else ""
        args: list[Any] = [*label_args, *([among] if among is not None else [])]
        sql = (
            "WITH p AS MATERIALIZED (SELECT DISTINCT b.article_seq AS seq, b.entity_id AS e FROM "
            f"{self._from('mentions b', 'b.article_seq')}WHERE b.entity_id IS NOT NULL"
            f"{label_filter}{among_filter}) "
            "SELECT x.e AS a, y.e AS b, count(*) AS n FROM p x JOIN p y ON y.seq = x.seq AND y.e > x.e "
            "GROUP BY x.e, y.e ORDER BY n DESC, x.e, y.e"
        )
        if limit is not None:
            sql += " LIMIT %s"
            args.append(limit)
        return [(r["a"], r["b"], int(r["n"])) for r in self._rows(sql, args)]
