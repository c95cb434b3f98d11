"""JSON Lines and CSV: one record per line (or per CSV row), columns mapped onto article fields.

Both readers take the raw lines of a file and yield ``(line, fields)`` for each record, where ``fields``
maps an article field (``title``, ``published`` …) to the raw value found for it, or a :class:`Reject`.
Turning values into an article is the caller's job. Nothing is held beyond the record being read.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping

from duiding.ingest.errors import Reject
from duiding.ingest.sources import decode_problem

Fields = dict[str, object]

# The article fields a column can fill, and the column names recognised for each (case-insensitively).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "article_id", "doc_id", "guid", "uuid"),
    "title": ("title", "headline", "titel", "kop"),
    "text": ("text", "content", "body", "tekst", "article_text"),
    "published": (
        "published",
        "published_at",
        "datetime",
        "date",
        "pubdate",
        "publication_date",
        "timestamp",
        "datum",
    ),
    "url": ("url", "link", "permalink", "href"),
    "outlet": ("outlet", "publisher", "source", "medium", "newspaper"),
    "program": ("program", "programme", "section", "rubriek"),
    "category": ("category", "categories", "topic"),
    "language": ("language", "lang"),
}
REQUIRED = ("title", "text")

# Bounds the memory a stray quote can take (it swallows the file up to the next quote) yet fits any article.
CSV_FIELD_LIMIT = 64 * 1024 * 1024

_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # what the surrogateescape error handler makes of a bad byte


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``"text=content,published=datetime"`` → ``{"text": "content", "published": "datetime"}``."""
    mapping: dict[str, str] = {}
    if not spec or not spec.strip():
        return mapping
    for entry in spec.split(","):
        field, sep, column = (part.strip() for part in entry.partition("="))
        if not sep or not field or not column:
            raise ValueError(f"bad mapping entry {entry.strip()!r}: expected FIELD=COLUMN")
        if field not in COLUMN_NAMES:
            raise ValueError(f"unknown field {field!r} in mapping: fields are {', '.join(COLUMN_NAMES)}")
        if field in mapping:
            raise ValueError(f"field {field!r} is mapped twice")
        mapping[field] = column
    return mapping


def resolve_columns(keys: Iterable[str], mapping: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Which key holds each field: the mapping's column where given, else a recognised name.

    Returns ``(field → key, fields whose mapped column is absent)``. A column the mapping claims is never
    also picked up by its name for another field.
    """
    keys = list(keys)
    by_lower: dict[str, str] = {}
    for key in keys:
        by_lower.setdefault(key.strip().lower(), key)
    found: dict[str, str] = {}
    absent: list[str] = []
    for field, column in mapping.items():
        key = column if column in keys else by_lower.get(column.lower())
        if key is None:
            absent.append(field)
        else:
            found[field] = key
    claimed = set(found.values())
    for field, names in COLUMN_NAMES.items():
        if field in mapping:
            continue
        for name in names:
            key = by_lower.get(name)
            if key is not None and key not in claimed:
                found[field] = key
                break
    return found, absent


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), "number")


def jsonl_records(
    name: str, lines: Iterable[bytes], encoding: str, mapping: Mapping[str, str]
) -> Iterator[tuple[int, Fields] | Reject]:
    """One record per non-blank line; a line that is not a JSON object is rejected on its own."""
    first = True
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            line = raw.decode(encoding)
        except UnicodeDecodeError as e:
            yield Reject(name, lineno, decode_problem(encoding, raw[e.start]))
            continue
        opening, first = first, False
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            if opening and line.strip() in ("[", "{"):
                yield Reject(name, lineno, "pretty-printed JSON, not JSON Lines (one object per line)")
                return
            # (some of json's messages end in " at", made to be followed by a position)
            yield Reject(name, lineno, f"invalid JSON: {e.msg.removesuffix(' at')} at column {e.colno}")
            continue
        except RecursionError:
            yield Reject(name, lineno, "invalid JSON: nested too deeply")
            continue
        if not isinstance(obj, dict):
            yield Reject(name, lineno, f"not a JSON object but a JSON {json_type(obj)}")
            continue
        columns, _ = resolve_columns(obj.keys(), mapping)
        yield lineno, {field: obj.get(key) for field, key in columns.items()}


def _delimiter(filename: str, header: str) -> str:
    if filename.lower().removesuffix(".gz").endswith(".tsv"):
        return "\t"
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_problem(err: csv.Error) -> str:
    msg = str(err)
    if msg == "unexpected end of data":
        return "unterminated quoted field at end of file"
    if msg.startswith("field larger than field limit"):
        return f"field larger than {CSV_FIELD_LIMIT // 2**20} MiB (a stray quote?)"
    return f"malformed CSV: {msg}"


def csv_records(
    name: str, filename: str, lines: Iterable[bytes], encoding: str, mapping: Mapping[str, str]
) -> Iterator[tuple[int, Fields] | Reject]:
    """One record per row after the header row; rows may span lines inside quotes.

    Lines are decoded with ``surrogateescape`` so one bad byte spoils only the record it is in.
    """
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    decoded = (raw.decode(encoding, "surrogateescape") for raw in lines)
    first = next(decoded, None)
    if first is None:
        return
    reader = csv.reader(itertools.chain([first], decoded), delimiter=_delimiter(filename, first), strict=True)
    header: list[str] | None = None
    index: dict[str, int] = {}
    while True:
        start = reader.line_num + 1  # line_num counts the lines the reader has consumed so far
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield Reject(name, start, _csv_problem(e))
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        bad = next((m for field in row if (m := _ESCAPED_BYTE.search(field))), None)
        if bad:
            yield Reject(name, start, decode_problem(encoding, ord(bad.group()) - 0xDC00))
            continue
        if header is None:
            header = [h.strip() for h in row]
            columns, absent = resolve_columns(header, mapping)
            missing = [f"{f} (mapped to {mapping[f]!r})" for f in absent] + [
                f"{f} (looked for {', '.join(COLUMN_NAMES[f])})"
                for f in REQUIRED
                if f not in columns and f not in mapping
            ]
            if missing:
                columns_seen = ", ".join(header)
                if len(columns_seen) > 200:  # not a header at all, most likely
                    columns_seen = columns_seen[:200] + "…"
                problem = f"no column for {'; '.join(missing)}: the columns are {columns_seen}"
                yield Reject(name, start, problem)
                return
            index = {field: header.index(key) for field, key in columns.items()}
            continue
        if len(row) < len(header):
            yield Reject(name, start, f"truncated row: expected {len(header)} fields, got {len(row)}")
            continue
        if len(row) > len(header):
            yield Reject(name, start, f"too many fields: expected {len(header)}, got {len(row)}")
            continue
        yield start, {field: row[i] for field, i in index.items()}
