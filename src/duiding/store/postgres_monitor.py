"""PostgreSQL tables of live ingestion: followed feeds and their items, watches and their matches.

The same behaviour as :mod:`duiding.store.sqlite_monitor` (both are :mod:`duiding.store.monitor_tables`),
written for several processes at once: new rows go in with ``INSERT … ON CONFLICT``, so two pollers or two
ingests never record a feed item or a watch match twice. Times are ``timestamptz``, read back in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from duiding.store.monitor_tables import BuildArticle, Execute, MonitorTables
from duiding.store.rows import Row


def _sql(statement: str) -> str:
    """A statement written with ``?`` placeholders, with psycopg's."""
    return statement.replace("?", "%s")


class PostgresMonitorTables(MonitorTables):
    published = "a.published_at"
    no_limit = None  # LIMIT NULL: no limit

    def __init__(self, pool: ConnectionPool, columns: str, build: BuildArticle) -> None:
        super().__init__(columns, build)
        self.pool = pool

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(_sql(sql), args).fetchall()  # type: ignore[arg-type]

    def _write(self, sql: str, args: Sequence[object] = ()) -> int:
        with self.pool.connection() as conn:
            return conn.execute(_sql(sql), args).rowcount  # type: ignore[arg-type]

    def _write_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(_sql(sql), rows)  # type: ignore[arg-type]

    @contextmanager
    def _transaction(self) -> Iterator[Execute]:
        with self.pool.connection() as conn, conn.transaction():
            yield lambda sql, args: conn.execute(_sql(sql), args).rowcount  # type: ignore[arg-type]

    def _in(self, column: str, values: Sequence[object]) -> Iterator[tuple[str, list[object]]]:
        if values:
            yield f"{column} = ANY(?)", [list(values)]

    def _to_db(self, dt: datetime) -> object:
        return dt.replace(microsecond=0)  # to the second, as the embedded store keeps them

    def _from_db(self, value: Any) -> datetime:
        return value.astimezone(UTC)
