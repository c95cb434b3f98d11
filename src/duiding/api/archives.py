"""The archive as a server uses it: readers on a pool of threads, writes one at a time.

An :class:`~duiding.store.base.Archive` (the embedded one: a SQLite connection and a tantivy reader) is
used by the thread that opened it. So reads run on a fixed pool of threads, each with its own archive,
opened on its first task and kept for the life of the server; writes (ingest) run on one writer thread,
each in an archive opened for it and closed after, so the index writer's lock is held only while an
ingest runs and ``duiding ingest`` in another process can take its turn. After each write, the readers
reload their index view before their next task, so what was ingested is searchable at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from duiding.store import Archive, open_archive

T = TypeVar("T")

DEFAULT_READERS = max(4, min(16, 2 * (os.cpu_count() or 2)))


class ArchivePool:
    """Runs functions of an archive on threads that own their archive."""

    def __init__(self, location: str | Path, readers: int = DEFAULT_READERS) -> None:
        self.location = str(location)
        self._local = threading.local()
        self.readers = readers
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="duiding-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="duiding-write")
        self._generation = 0  # bumped after each write: readers reload their view of the index

    def _reader(self) -> Archive:
        archive: Archive | None = getattr(self._local, "archive", None)
        if archive is None:
            archive = open_archive(self.location)
            self._local.archive = archive
            self._local.generation = self._generation
        elif self._local.generation != self._generation:
            self._local.generation = self._generation
            index = getattr(archive, "index", None)
            if index is not None and hasattr(index, "reload"):
                index.reload()
        return archive

    def _read(self, fn: Callable[[Archive], T]) -> T:
        return fn(self._reader())

    def _write(self, fn: Callable[[Archive], T]) -> T:
        archive = open_archive(self.location)
        try:
            return fn(archive)
        finally:
            archive.close()
            self._generation += 1

    async def read(self, fn: Callable[[Archive], T]) -> T:
        """``fn(archive)`` on a reader thread."""
        return await asyncio.wrap_future(self._readers.submit(self._read, fn))

    async def write(self, fn: Callable[[Archive], T]) -> T:
        """``fn(archive)`` on the writer thread, in an archive opened for it (one write at a time)."""
        return await asyncio.wrap_future(self._writer.submit(self._write, fn))

    def write_now(self, fn: Callable[[Archive], T]) -> T:
        """The same, waiting in this (non-async) thread."""
        return self._writer.submit(self._write, fn).result()

    def _close_reader(self, barrier: threading.Barrier) -> None:
        # Every reader thread takes one of these (each waits for the others), and closes its archive.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=10)
        archive = getattr(self._local, "archive", None)
        if archive is not None:
            self._local.archive = None
            archive.close()

    def shutdown(self) -> None:
        """Close the readers' archives and stop the threads."""
        n = self.readers
        barrier = threading.Barrier(n)
        for _ in range(n):
            self._readers.submit(self._close_reader, barrier)
        self._readers.shutdown(wait=True, cancel_futures=False)
        self._writer.shutdown(wait=True, cancel_futures=True)
