"""The embedded backend's :class:`~duiding.store.scope.Scope`: aggregates in SQL over the store's tables.

The articles a query finds go into a temporary table (``seq`` only), filled page by page from the
search index; every figure is then one SQL statement joining that table to ``articles``, ``mentions``
or ``quotes``. For the whole archive there is no table and no join. Quote texts are cut out in SQL
(``substr``), and rows that go out (export) are read a chunk at a time, so memory stays flat. The
statements are :class:`~duiding.store.sql_scope.SqlScope`'s; this module gives them SQLite's dialect.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from duiding.store.sql_scope import CHUNK, Row, SqlScope

if TYPE_CHECKING:
    from duiding.store.sqlite import SqliteStore

_names = itertools.count(1)


@contextmanager
def open_scope(store: SqliteStore, pages: Iterable[list[int]] | None) -> Iterator[SqliteScope]:
    """A scope over the articles whose seqs ``pages`` yields (``None``: the whole archive)."""
    conn = store.conn
    if pages is None:
        yield SqliteScope(store, None)
        return
    table = f"scope_{next(_names)}"
    conn.execute(f"CREATE TEMP TABLE {table} (seq INTEGER PRIMARY KEY)")
    try:
        conn.execute("BEGIN")
        try:
            for page in pages:
                conn.executemany(f"INSERT OR IGNORE INTO temp.{table} VALUES (?)", ((s,) for s in page))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        # Its size, for the planner: without it SQLite guesses the scope is large and may, e.g., build a
        # Bloom filter over a whole table for a query that found three articles.
        conn.execute(f"ANALYZE temp.{table}")
        yield SqliteScope(store, table)
    finally:
        # A statement still open keeps it: then it goes when the connection closes.
        with suppress(sqlite3.Error):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


class SqliteScope(SqlScope):
    """Aggregates over the articles in ``temp.<table>`` (or all articles when ``table`` is None)."""

    P = "?"
    TRUE = "1"
    FALSE = "0"
    DAY = "substr(a.published, 1, 10)"
    DATED = "a.published"
    PUBLISHED = "a.published_utc"
    NO_INDEX = "+"  # unary plus: SQLite uses no index for that term
    # CROSS JOIN fixes the order: the scope drives the join
    SCOPE_JOIN = "CROSS JOIN"
    ALIAS_ROWS = "JOIN json_each(q.speaker_aliases) j"
    ID_CHUNK = 500  # SQLite takes only so many parameters a statement

    def __init__(self, store: SqliteStore, table: str | None) -> None:
        super().__init__(store.conn, table)
        self.store = store

    # -- dialect ----------------------------------------------------------------------------------

    def _scope_table(self, table: str) -> str:
        return f"temp.{table}"

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return self.conn.execute(sql, args).fetchall()

    def _stream(self, sql: str, args: Sequence[Any] = ()) -> Iterator[Row]:
        cursor = self.conn.execute(sql, args)
        try:
            while rows := cursor.fetchmany(CHUNK):
                yield from rows
        finally:
            cursor.close()

    def _in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} IN ({', '.join('?' for _ in values)})", list(values)

    @staticmethod
    def _aliases(value: Any) -> list[str]:
        return json.loads(value) if value else []

    def _quote_id(self, alias: str, row: bool = True) -> str:
        return f"{alias}.rowid"

    def _entities_named(self, ref: str) -> list[str]:
        return self.store._entities_named(ref)

    def _speaker_search(self, needles: list[str], ids: list[str]) -> tuple[str, list[Any]]:
        alternatives = ["instr(q.speaker_search, ?) > 0" for _ in needles]
        args: list[Any] = list(needles)
        if ids:
            sql, more = self._in("q.speaker_entity_id", ids)
            alternatives.append(sql)
            args += more
        return "(" + " OR ".join(alternatives) + ")", args

    def _pairs(
        self, label_filter: str, label_args: list[Any], among: list[str] | None, limit: int | None
    ) -> list[tuple[str, str, int]]:
        """Top pairs of entities (``among`` these only, if given) by articles that mention both."""
        pairs = f"pairs_{next(_names)}"
        among_table = f"among_{next(_names)}"
        self.conn.execute(
            f"CREATE TEMP TABLE {pairs} (seq INTEGER NOT NULL, e TEXT NOT NULL, PRIMARY KEY (seq, e)) "
            "WITHOUT ROWID"
        )
        try:
            among_filter = ""
            self.conn.execute("BEGIN")
            try:
                if among is not None:
                    self.conn.execute(f"CREATE TEMP TABLE {among_table} (e TEXT PRIMARY KEY) WITHOUT ROWID")
                    self.conn.executemany(
                        f"INSERT OR IGNORE INTO temp.{among_table} VALUES (?)", ((e,) for e in among)
                    )
                    among_filter = f" AND b.entity_id IN (SELECT e FROM temp.{among_table})"
                self.conn.execute(
                    f"INSERT OR IGNORE INTO temp.{pairs} SELECT b.article_seq, b.entity_id FROM "
                    f"{self._from('mentions b', 'b.article_seq')}WHERE b.entity_id IS NOT NULL"
                    f"{label_filter}{among_filter}",
                    label_args,
                )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            sql = (
                f"SELECT x.e, y.e, count(*) AS n FROM temp.{pairs} x JOIN temp.{pairs} y "
                "ON y.seq = x.seq AND y.e > x.e GROUP BY x.e, y.e ORDER BY n DESC, x.e, y.e"
            )
            rows = self.conn.execute(
                sql + (" LIMIT ?" if limit is not None else ""), [limit] if limit else []
            )
            found = [(r[0], r[1], int(r[2])) for r in rows]
        finally:
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{pairs}")
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{among_table}")
        return found
