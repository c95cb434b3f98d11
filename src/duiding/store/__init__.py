"""Where articles live: the :class:`~duiding.store.base.Archive` interface and its backends."""

from __future__ import annotations

import os
from pathlib import Path

from duiding.store.base import (
    Archive,
    Outcome,
    QuoteHit,
    QuoteResults,
    SearchHit,
    SearchResults,
    StoreError,
)

DEFAULT_DB = "./duiding-data"

__all__ = [
    "DEFAULT_DB",
    "Archive",
    "Outcome",
    "QuoteHit",
    "QuoteResults",
    "SearchHit",
    "SearchResults",
    "StoreError",
    "is_server_url",
    "local_dir",
    "open_archive",
    "shown_location",
]

#: Where a server archive's local files go (rejects reports, API keys): ``$DUIDING_LOCAL_DIR``, else this.
LOCAL_DIR_ENV = "DUIDING_LOCAL_DIR"


def is_server_url(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names a PostgreSQL server (``postgresql://…``) rather than a data directory."""
    return str(location).startswith(("postgresql://", "postgres://"))


def shown_location(location: str | os.PathLike[str]) -> str:
    """``location`` as messages show it: a server URL without its password."""
    if is_server_url(location):
        from duiding.store.postgres import redact

        return redact(str(location))
    return str(location)


def local_dir(location: str | os.PathLike[str]) -> Path:
    """The directory for an archive's files that stay on this machine: the data directory itself, or for
    a server archive ``$DUIDING_LOCAL_DIR``, else ``./duiding-data``."""
    if is_server_url(location):
        return Path(os.environ.get(LOCAL_DIR_ENV) or DEFAULT_DB)
    return Path(location)


def open_archive(db: str | os.PathLike[str] | None = None) -> Archive:
    """Open (creating if needed) the archive at ``db``: a data directory (the embedded backend), or a
    PostgreSQL server URL ``postgresql://user:password@host:port/database`` (its schema is created or
    migrated on first open; the database must exist)."""
    location = str(db or os.environ.get("DUIDING_DB") or DEFAULT_DB)
    if is_server_url(location):
        try:
            from duiding.store.postgres import PostgresArchive
        except ImportError as e:  # pragma: no cover - psycopg is a dependency
            raise StoreError(f"the PostgreSQL backend needs psycopg and psycopg_pool: {e}") from e
        return PostgresArchive(location)
    from duiding.store.embedded import EmbeddedArchive

    return EmbeddedArchive(Path(location))
