"""Export the articles a query finds, their quotes or their entities as CSV, JSON Lines or Parquet.

Streamed end to end: rows come from the backend a chunk at a time (:mod:`duiding.store.scope`) and go
out as they come (Parquet: one row group per chunk, with pyarrow's ``ParquetWriter``), so a million rows
never need a million rows in memory. The file is written beside its destination and moved into place
when complete, so a failed export leaves no half-written file.

Columns (in this order):

* ``articles``: ``id, url, outlet, published, category, program, title, text, mentions, entities,
  quotes`` (``mentions``: entity mentions, ``entities``: distinct entities, ``quotes``: quotes in it);
* ``quotes``: ``article_id, published, outlet, start, end, text, type, speaker, aliases, cue, role,
  organisation, speaker_entity_id`` (``text == article.text[start:end]``);
* ``entities``: ``entity_id, label, canonical, aliases, mentions`` (mentions within the query's
  articles), most mentioned first.

``published`` is ISO 8601 with the source's own UTC offset, as stored. ``aliases`` is a list in JSON
Lines and Parquet, and in CSV the aliases joined by ``"; "``; a missing value is empty in CSV, null in
the others.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from duiding.analysis.aggregate import scope_query
from duiding.search.query import ParsedQuery
from duiding.store.base import Archive
from duiding.store.scope import Scope

__all__ = ["COLUMNS", "FORMATS", "LIST_SEPARATOR", "WHAT", "export", "format_for"]

WHAT: tuple[str, ...] = ("articles", "quotes", "entities")
FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet")
LIST_SEPARATOR = "; "

COLUMNS: dict[str, tuple[str, ...]] = {
    "articles": (
        "id",
        "url",
        "outlet",
        "published",
        "category",
        "program",
        "title",
        "text",
        "mentions",
        "entities",
        "quotes",
    ),
    "quotes": (
        "article_id",
        "published",
        "outlet",
        "start",
        "end",
        "text",
        "type",
        "speaker",
        "aliases",
        "cue",
        "role",
        "organisation",
        "speaker_entity_id",
    ),
    "entities": ("entity_id", "label", "canonical", "aliases", "mentions"),
}
_INTEGER = {"mentions", "entities", "quotes", "start", "end"}
_LIST = {"aliases"}

#: Rows per Parquet row group at most, and characters of text: a group is written when either is reached.
ROW_GROUP = {"articles": 2_000, "quotes": 20_000, "entities": 50_000}
ROW_GROUP_CHARS = 2_000_000


def format_for(path: str | os.PathLike[str]) -> str | None:
    """The export format a file name asks for (``.csv``, ``.jsonl``/``.ndjson``, ``.parquet``/``.pq``)."""
    name = str(path).lower()
    for ending, fmt in (
        (".csv", "csv"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
    ):
        if name.endswith(ending):
            return fmt
    return None


def _rows(scope: Scope, what: str) -> Iterator[dict[str, Any]]:
    if what == "articles":
        return scope.article_rows()
    if what == "quotes":
        return scope.quote_rows()
    return scope.entity_rows()


def _total(scope: Scope, what: str) -> int:
    if what == "articles":
        return scope.count()
    if what == "quotes":
        return scope.quote_count()
    return scope.entity_total()


def _write_csv(fh: IO[str], what: str, rows: Iterator[dict[str, Any]], advance: Callable[[int], None]) -> int:
    columns = COLUMNS[what]
    writer = csv.writer(fh)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow(
            [
                LIST_SEPARATOR.join(row[c]) if c in _LIST else ("" if row[c] is None else row[c])
                for c in columns
            ]
        )
        n += 1
        if n % 1000 == 0:
            advance(1000)
    advance(n % 1000)
    return n


def _write_jsonl(
    fh: IO[str], what: str, rows: Iterator[dict[str, Any]], advance: Callable[[int], None]
) -> int:
    columns = COLUMNS[what]
    n = 0
    for row in rows:
        fh.write(json.dumps({c: row[c] for c in columns}, ensure_ascii=False) + "\n")
        n += 1
        if n % 1000 == 0:
            advance(1000)
    advance(n % 1000)
    return n


def parquet_schema(what: str) -> Any:
    """The pyarrow schema of an export: strings, int64 counts and offsets, ``aliases`` a list of strings."""
    import pyarrow as pa

    def kind(column: str) -> Any:
        if column in _INTEGER:
            return pa.int64()
        if column in _LIST:
            return pa.list_(pa.string())
        return pa.string()

    return pa.schema([(c, kind(c)) for c in COLUMNS[what]])


def _write_parquet(
    path: Path, what: str, rows: Iterator[dict[str, Any]], advance: Callable[[int], None]
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(what)
    columns = COLUMNS[what]
    size = ROW_GROUP[what]
    n = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        batch: dict[str, list[Any]] = {c: [] for c in columns}
        filled = 0
        chars = 0

        def flush() -> None:
            nonlocal filled, chars
            if filled:
                writer.write_table(pa.table(batch, schema=schema), row_group_size=size)
                advance(filled)
                for values in batch.values():
                    values.clear()
                filled = chars = 0

        for row in rows:
            for c in columns:
                batch[c].append(row[c])
            filled += 1
            n += 1
            chars += len(row.get("text") or "")
            if filled >= size or chars >= ROW_GROUP_CHARS:
                flush()
        flush()
        if n == 0:
            writer.write_table(pa.table(batch, schema=schema))
    return n


def export(
    archive: Archive,
    query: str | ParsedQuery | None,
    what: str,
    fmt: str,
    output: str | os.PathLike[str],
    *,
    on_total: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Write ``what`` (articles, quotes or entities) of the articles ``query`` finds (None or blank: the
    whole archive) to ``output`` as ``fmt`` (csv, jsonl or parquet); returns the number of rows.

    ``on_total`` is called once with the number of rows to come, ``advance`` with each batch written
    (for a progress bar). Raises ValueError for an unknown ``what`` or ``fmt`` or a malformed query.
    """
    if what not in WHAT:
        raise ValueError(f"unknown export {what!r}: expected one of {', '.join(WHAT)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    parsed = scope_query(query)
    path = Path(output)
    part = path.with_name(f".{path.name}.part")
    step = advance or (lambda n: None)
    with archive.scope(parsed) as scope:
        if on_total is not None:
            on_total(_total(scope, what))
        rows = _rows(scope, what)
        try:
            if fmt == "parquet":
                n = _write_parquet(part, what, rows, step)
            else:
                with part.open("w", encoding="utf-8", newline="") as fh:
                    n = (_write_csv if fmt == "csv" else _write_jsonl)(fh, what, rows, step)
            os.replace(part, path)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
    return n
