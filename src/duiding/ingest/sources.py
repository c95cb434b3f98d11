"""Inputs as streams of bytes: files, folders, zip and tar archives, gzip files, with byte accounting.

A path becomes one or more :class:`Member` streams (a plain file is its own member; an archive has one per
file in it). The caller's ``parse`` turns a member into records; this module guarantees that a broken
archive, a missing file or an unreadable one becomes a :class:`Reject` instead of an exception, and reports
how far it has got through the file on disk, so a progress bar can run on bytes.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from duiding.ingest.errors import Reject

T = TypeVar("T")

HEAD_BYTES = 8192  # how much of a stream is looked at to tell binary from text and one format from another
UTF8_BOM = b"\xef\xbb\xbf"

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; the end record of an empty zip
_GZIP_MAGIC = b"\x1f\x8b"

# What reading a damaged archive or compressed stream raises, from zipfile, tarfile, gzip and zlib.
_DAMAGE = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError)


@dataclass(frozen=True)
class Member:
    """One file to parse: ``name`` for reports (``a.zip!x/y.txt``), ``filename`` for its format."""

    name: str
    filename: str
    stream: IO[bytes]


def iter_files(paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> Iterator[Path | Reject]:
    """Every input file in order: folders walked recursively, sorted, hidden files and folders skipped."""
    if isinstance(paths, str | os.PathLike):  # one path, not the characters of one
        paths = [paths]
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for top, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # os.walk descends in this order
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(top, name)
        elif path.exists():
            yield path
        else:
            yield Reject(str(path), None, "no such file or directory")


def total_bytes(paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> int:
    """On-disk size of every input file: what ``on_bytes`` adds up to over a whole read."""
    total = 0
    for item in iter_files(paths):
        if isinstance(item, Path):
            with contextlib.suppress(OSError):  # unreadable: reading it rejects it and counts no bytes
                total += item.stat().st_size
    return total


def decode_problem(encoding: str, byte: int) -> str:
    return f"not {encoding} text: cannot decode byte 0x{byte:02x}"


def is_archive(head: bytes) -> bool:
    return head.startswith(_ZIP_MAGIC) or head.startswith(_GZIP_MAGIC) or _is_tar(head)


def _is_tar(head: bytes) -> bool:
    # POSIX "ustar\0" or GNU "ustar  \0" at offset 257 of the first header block
    return head[257:263] == b"ustar\x00" or head[257:265] == b"ustar  \x00"


def _describe(e: BaseException) -> str:
    return str(e) or type(e).__name__  # EOFError() and friends say nothing themselves


def _hidden(member_path: str) -> bool:
    parts = [p for p in member_path.split("/") if p not in ("", ".")]
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


class _Meter:
    """Reports the growth of the on-disk position in one file, never backwards, and the rest at the end."""

    def __init__(self, on_bytes: Callable[[int], None], position: Callable[[], int], size: int) -> None:
        self.on_bytes = on_bytes
        self.position = position
        self.size = size
        self.done = 0

    def advance_to(self, pos: int) -> None:
        pos = min(pos, self.size)
        if pos > self.done:
            self.on_bytes(pos - self.done)
            self.done = pos

    def tick(self) -> None:
        self.advance_to(self.position())

    def finish(self) -> None:
        self.advance_to(self.size)


def read_source(
    path: Path,
    parse: Callable[[Member], Iterator[T]],
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[T | Reject]:
    """``parse`` every member of the file at ``path``; damage and I/O errors become rejects.

    ``on_bytes`` hears how many on-disk bytes were consumed before each record, and the remainder when the
    file is done, so it adds up to the file's size. Inside a zip or tar the position of the outer file is
    used: close enough for a progress bar.
    """
    name = str(path)
    try:
        raw = path.open("rb")
    except OSError as e:
        yield Reject(name, None, (e.strerror or str(e)).lower())
        return
    with raw:
        size = os.fstat(raw.fileno()).st_size
        meter = _Meter(on_bytes, raw.tell, size) if on_bytes else None
        for record in _file_records(name, raw, size, parse):
            if meter:
                meter.tick()
            yield record
        if meter:
            meter.finish()


def _file_records(
    name: str, raw: IO[bytes], size: int, parse: Callable[[Member], Iterator[T]]
) -> Iterator[T | Reject]:
    if size == 0:
        yield Reject(name, None, "empty file")
        return
    try:
        head = raw.read(HEAD_BYTES)
        raw.seek(0)
    except OSError as e:
        yield Reject(name, None, f"read error: {_describe(e)}")
        return
    lower = name.lower()
    if lower.endswith(".zip") or head.startswith(_ZIP_MAGIC):
        yield from _zip_records(name, raw, parse)
    elif lower.endswith((".tar", ".tgz", ".tar.gz")) or _is_tar(head):
        yield from _tar_records(name, raw, parse)
    elif lower.endswith(".gz") or head.startswith(_GZIP_MAGIC):
        yield from _gzip_records(name, raw, parse)
    else:
        try:
            yield from parse(Member(name, name, raw))
        except OSError as e:
            yield Reject(name, None, f"read error: {_describe(e)}")


def _zip_records(name: str, raw: IO[bytes], parse: Callable[[Member], Iterator[T]]) -> Iterator[T | Reject]:
    try:
        archive = zipfile.ZipFile(raw)
    except (*_DAMAGE, ValueError) as e:  # ValueError: offsets in the directory that make no sense
        yield Reject(name, None, f"corrupt zip archive: {_describe(e)}")
        return
    with archive:
        found = 0
        for info in archive.infolist():
            if info.is_dir() or _hidden(info.filename):
                continue
            found += 1
            member = f"{name}!{info.filename}"
            if info.flag_bits & 0x1:
                yield Reject(member, None, "encrypted zip member, not read")
                continue
            try:
                with archive.open(info) as stream:
                    yield from parse(Member(member, info.filename, stream))
            except (*_DAMAGE, NotImplementedError) as e:  # NotImplementedError: unknown compression method
                # members are independent: the next one may well be fine
                yield Reject(member, None, f"corrupt zip member: {_describe(e)}")
        if not found:
            yield Reject(name, None, "no files in archive")


def _tar_records(name: str, raw: IO[bytes], parse: Callable[[Member], Iterator[T]]) -> Iterator[T | Reject]:
    where = name  # the member being read when damage shows up, else the archive
    found = 0
    try:
        # stream mode ("r|*"): one pass, any compression, nothing held but the member being read
        with tarfile.open(fileobj=raw, mode="r|*") as archive:
            for info in archive:
                if not info.isfile() or _hidden(info.name):
                    continue
                stream = archive.extractfile(info)
                if stream is None:
                    continue
                found += 1
                where = f"{name}!{info.name}"
                yield from parse(Member(where, info.name, stream))
                where = name
    except _DAMAGE as e:
        # a damaged stream cannot be resynchronised: the rest of the archive is lost
        yield Reject(where, None, f"corrupt tar archive: {_describe(e)}")
        return
    if not found:
        yield Reject(name, None, "no files in archive")


def _gzip_records(name: str, raw: IO[bytes], parse: Callable[[Member], Iterator[T]]) -> Iterator[T | Reject]:
    try:
        with gzip.GzipFile(fileobj=raw) as stream:
            head = stream.read(512)
        raw.seek(0)
    except _DAMAGE as e:
        yield Reject(name, None, f"corrupt gzip file: {_describe(e)}")
        return
    if _is_tar(head):
        yield from _tar_records(name, raw, parse)
        return
    inner = name[:-3] if name.lower().endswith(".gz") else name  # data.jsonl.gz holds data.jsonl
    try:
        with gzip.GzipFile(fileobj=raw) as stream:
            yield from parse(Member(name, inner, stream))
    except _DAMAGE as e:
        yield Reject(name, None, f"corrupt gzip file: {_describe(e)}")
