"""Read news archives into :class:`~duiding.model.Article` records, streaming.

Inputs are files in the archive text layout (one article per ``.txt``), JSON Lines and CSV files, folders
of them, zip and tar archives of them and gzip-compressed single files. The format is told by the file
name, else by the content; ``fmt`` forces it. Every good record becomes an Article and every bad one a
:class:`Reject` naming the file, the line the record starts on and what is wrong, and reading goes on.
Memory stays flat: one record is held at a time (one file for the text layout).
"""

from __future__ import annotations

import codecs
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from duiding import urls
from duiding.ingest.archive_text import parse_archive_text
from duiding.ingest.errors import Reject, describe_validation_error
from duiding.ingest.sources import (
    HEAD_BYTES,
    UTF8_BOM,
    Member,
    decode_problem,
    is_archive,
    iter_files,
    read_source,
    total_bytes,
)
from duiding.ingest.tabular import COLUMN_NAMES, csv_records, json_type, jsonl_records, parse_mapping
from duiding.model import Article

__all__ = ["FORMATS", "parse_datetime", "parse_mapping", "read_articles", "total_bytes"]

FORMATS = ("text", "jsonl", "csv", "html")
_EXTENSIONS = {
    ".txt": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".tsv": "csv",
}
# One article per file in the text layout; anything bigger is surely another format read as text.
MAX_TEXT_BYTES = 16 * 1024 * 1024
_HTML_START = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)
_EPOCH = re.compile(r"-?\d{9,}(?:\.\d+)?")  # epoch seconds; eight digits are an ISO date (20221012)


@dataclass(frozen=True)
class _Options:
    fmt: str | None
    mapping: Mapping[str, str]
    encoding: str
    tz: tzinfo


def read_articles(
    paths: Sequence[str | os.PathLike[str]],
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str = "utf-8",
    on_bytes: Callable[[int], None] | None = None,
    default_tz: str = "Europe/Amsterdam",
) -> Iterator[Article | Reject]:
    """Every record in ``paths``, in order, as an Article or a Reject; bad input never raises.

    ``mapping`` names the JSONL/CSV column of a field (``{"text": "content"}``); other fields are found by
    their usual names. A timestamp without an offset is taken in ``default_tz``. ``on_bytes(n)`` hears the
    on-disk bytes consumed since its last call; over a whole read they add up to :func:`total_bytes`.
    Arguments that make no sense raise ValueError straight away, before anything is read.
    """
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: formats are {', '.join(FORMATS)}")
    unknown = sorted(set(mapping or {}) - set(COLUMN_NAMES))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r} in mapping: fields are {', '.join(COLUMN_NAMES)}")
    try:
        codecs.lookup(encoding)
    except LookupError as e:
        raise ValueError(f"unknown encoding {encoding!r}") from e
    try:
        tz = ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {default_tz!r}") from e
    return _read(paths, _Options(fmt, dict(mapping or {}), encoding, tz), on_bytes)


def _read(
    paths: Iterable[str | os.PathLike[str]], opts: _Options, on_bytes: Callable[[int], None] | None
) -> Iterator[Article | Reject]:
    parse = functools.partial(_parse_member, opts=opts)
    for item in iter_files(paths):
        if isinstance(item, Reject):
            yield item
        else:
            yield from read_source(item, parse, on_bytes)


def detect_format(filename: str, head: bytes) -> str:
    """The format of a file: by its extension (``.gz`` aside), else by its first lines."""
    ext = os.path.splitext(filename.lower().removesuffix(".gz"))[1]
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if _HTML_START.match(head):
        return "html"
    if head.lstrip()[:1] == b"{":
        return "jsonl"
    lines = head.split(b"\n", 3)
    if len(lines) > 2 and lines[2].strip().lower().startswith((b"http://", b"https://")):
        return "text"  # title, timestamp, URL
    if any(d in lines[0] for d in (b",", b";", b"\t")):
        return "csv"
    return "text"


def _parse_member(member: Member, opts: _Options) -> Iterator[Article | Reject]:
    head = member.stream.read(HEAD_BYTES)
    whole = len(head) < HEAD_BYTES  # the head is all there is
    head = head.removeprefix(UTF8_BOM)
    if whole and not head.strip():
        yield Reject(member.name, None, "empty file")
        return
    if is_archive(head):
        yield Reject(member.name, None, "archive inside an archive, not read")
        return
    if b"\x00" in head:
        yield Reject(member.name, None, "binary file, not text")
        return
    fmt = opts.fmt or detect_format(member.filename, head)
    if fmt == "text":
        yield _text_article(member, head, opts)
        return
    if fmt == "html":
        yield _html_article(member, head, opts)
        return
    lines = _lines(head, member.stream)
    if fmt == "jsonl":
        records = jsonl_records(member.name, lines, opts.encoding, opts.mapping)
    else:
        records = csv_records(member.name, member.filename, lines, opts.encoding, opts.mapping)
    for record in records:
        yield record if isinstance(record, Reject) else _article(member.name, *record, opts.tz)


def _html_article(member: Member, head: bytes, opts: _Options) -> Article | Reject:
    """A saved news page: the article on it (``duiding.ingest.html``); its URL from its canonical link."""
    from duiding.ingest.html import article_from_html

    data = head + member.stream.read(MAX_TEXT_BYTES + 1 - len(head))
    if len(data) > MAX_TEXT_BYTES:
        return Reject(member.name, None, f"over {MAX_TEXT_BYTES // 2**20} MiB, too large for one page")
    # --encoding is for a page that declares no charset itself
    return article_from_html(data, member.name, default_encoding=opts.encoding)


def _lines(head: bytes, stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of ``head`` and then of the rest of ``stream`` (the head's last line may go on there)."""
    *complete, partial = head.split(b"\n")
    for line in complete:
        yield line + b"\n"
    tail = partial + stream.readline()
    if tail:
        yield tail
    yield from stream


def _text_article(member: Member, head: bytes, opts: _Options) -> Article | Reject:
    data = head + member.stream.read(MAX_TEXT_BYTES + 1 - len(head))
    if len(data) > MAX_TEXT_BYTES:
        return Reject(
            member.name,
            None,
            f"over {MAX_TEXT_BYTES // 2**20} MiB, too large for one article in the text layout",
        )
    try:
        text = data.decode(opts.encoding)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1  # the line of the first bad byte
        return Reject(member.name, line, decode_problem(opts.encoding, data[e.start]))
    return _article(member.name, 1, parse_archive_text(text), opts.tz)


def parse_datetime(value: object, tz: tzinfo) -> datetime | None:
    """An aware datetime from an ISO date or datetime (naive ones in ``tz``) or epoch seconds.

    Empty is None; anything else raises ``ValueError("unparseable date '…'")``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz)
        if not isinstance(value, str):
            raise ValueError
        s = value.strip()
        if _EPOCH.fullmatch(s):
            return datetime.fromtimestamp(float(s), tz)
        dt = datetime.fromisoformat(s)  # also "2010-01-01 00:09:00", "+0200" and "Z" (Python ≥ 3.11)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"unparseable date {value!r}") from None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)


def _as_text(value: object, field: str, joiner: str) -> str | None:
    """A field's value as a string: numbers written out, a list of strings joined."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return joiner.join(value)
    raise ValueError(f"{field}: expected text, not a JSON {json_type(value)}")


def _short(fields: Mapping[str, object], field: str) -> str | None:
    value = _as_text(fields.get(field), field, ", ")
    return (value.strip() or None) if value else None


def _url_id(url: str | None) -> str | None:
    try:
        return urls.source_id_from_url(url) if url else None
    except ValueError:  # a malformed URL; the model says so
        return None


def _article(source: str, line: int, fields: Mapping[str, object], tz: tzinfo) -> Article | Reject:
    """The Article for one record's fields, or a Reject saying what is wrong with them."""
    try:
        url = _short(fields, "url")
        record_id = _short(fields, "id")
        return Article(
            title=_short(fields, "title") or "",
            text=_as_text(fields.get("text"), "text", "\n") or "",  # a list of paragraphs is joined
            published=parse_datetime(fields.get("published"), tz),
            url=url,
            # the record's own id, unless the URL carries the outlet's (the model derives that one)
            source_id=None if _url_id(url) else record_id,
            outlet=_short(fields, "outlet"),
            program=_short(fields, "program"),
            category=_short(fields, "category"),
            language=_short(fields, "language"),
            source_file=source,
            source_line=line,
        )
    except ValidationError as e:
        return Reject(source, line, describe_validation_error(e))
    except ValueError as e:
        return Reject(source, line, str(e))
