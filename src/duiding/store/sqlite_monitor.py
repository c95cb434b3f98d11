"""SQLite tables of live ingestion: followed feeds and their items, watches and their matches.

The tables are created by the store's migrations (:mod:`duiding.store.sqlite`); this module only reads
and writes them, on the store's connection (what it does with them: :mod:`duiding.store.monitor_tables`).
Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from duiding.store.monitor_tables import BuildArticle, Execute, MonitorTables
from duiding.store.rows import Row, marks

CHUNK = 500  # values in one ``IN (...)`` list


class SqliteMonitorTables(MonitorTables):
    published = "a.published_utc"
    no_limit = -1

    def __init__(self, conn: sqlite3.Connection, columns: str, build: BuildArticle) -> None:
        super().__init__(columns, build)
        self.conn = conn

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        return self.conn.execute(sql, args).fetchall()

    def _write(self, sql: str, args: Sequence[object] = ()) -> int:
        """One statement in its own (immediate) transaction."""
        with self._transaction() as execute:
            return execute(sql, args)

    def _write_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self._transaction():
            self.conn.executemany(sql, rows)

    @contextmanager
    def _transaction(self) -> Iterator[Execute]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield lambda sql, args: self.conn.execute(sql, args).rowcount
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def _in(self, column: str, values: Sequence[object]) -> Iterator[tuple[str, list[object]]]:
        for i in range(0, len(values), CHUNK):
            chunk = list(values[i : i + CHUNK])
            yield f"{column} IN ({marks(chunk)})", chunk

    def _to_db(self, dt: datetime) -> object:
        return dt.astimezone(UTC).isoformat(timespec="seconds")

    def _from_db(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

    def seqs_of(self, ids: Sequence[str]) -> dict[int, str]:
        """The stored ``seq`` of each of these article ids that exists, in the order given."""
        found: dict[str, int] = {}
        ids = list(dict.fromkeys(ids))
        for condition, args in self._in("id", ids):
            for r in self._rows(f"SELECT seq, id FROM articles WHERE {condition}", args):
                found[r["id"]] = int(r["seq"])
        return {found[i]: i for i in ids if i in found}
