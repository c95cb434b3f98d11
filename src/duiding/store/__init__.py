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
    "open_archive",
]


def open_archive(db: str | os.PathLike[str] | None = None) -> Archive:
    """Open (creating if needed) the archive at ``db``: a data directory, or later a server URL."""
    location = str(db or os.environ.get("DUIDING_DB") or DEFAULT_DB)
    if location.startswith(("postgresql://", "postgres://")):
        raise StoreError("the PostgreSQL backend is not available yet; use a data directory for --db")
    from duiding.store.embedded import EmbeddedArchive

    return EmbeddedArchive(Path(location))
