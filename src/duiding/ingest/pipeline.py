"""Ingest: stream records from the readers into an archive, in batches, and account for every one.

Memory stays flat: records flow from a generator into a batch that is stored and dropped. Each batch
is one transaction, so a killed run loses at most the batch in flight; running the same command again
adds exactly what is missing (identity by canonical URL, source id or content hash).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from duiding.ingest.errors import Reject
from duiding.ingest.readers import read_articles
from duiding.model import Article
from duiding.store.base import Archive

DEFAULT_BATCH = 500


@dataclass
class IngestSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    recovered: int = 0  # articles a previous, interrupted run stored but had not indexed yet
    rejects_path: Path | None = None
    seconds: float = 0.0
    stored: bool = True  # False when --strict found rejects and stored nothing

    @property
    def read(self) -> int:
        return self.added + self.updated + self.unchanged

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "recovered": self.recovered,
            "rejects_report": str(self.rejects_path) if self.rejects_path else None,
            "seconds": round(self.seconds, 3),
            "stored": self.stored,
        }


@dataclass
class RejectsReport:
    """A JSON Lines file with one ``{"source", "line", "problem"}`` per reject, created on the first."""

    path: Path
    _fh: IO[str] | None = field(default=None, repr=False)

    def write(self, reject: Reject) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(json.dumps(reject.to_dict(), ensure_ascii=False) + "\n")
        self._fh.flush()

    @property
    def written(self) -> bool:
        return self._fh is not None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def default_rejects_path(directory: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return directory / f"ingest-{stamp}-{os.getpid()}.jsonl"


@dataclass
class IngestOptions:
    fmt: str | None = None
    mapping: dict[str, str] | None = None
    encoding: str = "utf-8"
    strict: bool = False
    batch_size: int = DEFAULT_BATCH
    nlp: bool = True  # run the Dutch NLP (entities and quotes) on new and changed articles


def _annotator() -> Callable[[list[Article]], None]:
    """The NLP run on each batch before it is stored: entities and quotes, in one pass of the pipeline.

    Loaded here so --no-nlp never imports spaCy.
    """
    from duiding.nlp.entities import load_model
    from duiding.nlp.quotes import annotate

    nlp = load_model()
    return lambda articles: annotate(articles, nlp)


def ingest(
    archive: Archive,
    paths: Sequence[str | os.PathLike[str]],
    rejects_path: Path,
    options: IngestOptions | None = None,
    *,
    on_reject: Callable[[Reject], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    on_stored: Callable[[int], None] | None = None,
    on_recovered: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Read ``paths`` into ``archive``. Callbacks report progress; the summary accounts for every record.

    With ``options.strict`` the input is checked first and nothing is stored if any record is bad.
    """
    opts = options or IngestOptions()
    summary = IngestSummary()
    report = RejectsReport(rejects_path)
    started = time.perf_counter()

    def records(progress: Callable[[int], None] | None):
        return read_articles(
            paths, fmt=opts.fmt, mapping=opts.mapping, encoding=opts.encoding, on_bytes=progress
        )

    def reject(record: Reject) -> None:
        summary.rejected += 1
        report.write(record)
        if on_reject:
            on_reject(record)

    try:
        # A previous run that was killed between its store and index commits left work behind.
        summary.recovered = archive.sync_index(on_recovered)

        if opts.strict:
            for record in records(None):
                if isinstance(record, Reject):
                    reject(record)
            if summary.rejected:
                summary.stored = False
                return summary

        batch: list[Article] = []

        annotate = _annotator() if opts.nlp else None

        def flush() -> None:
            if annotate:
                # Only what is new or changed: re-ingesting an archive does not redo its NLP.
                annotate([a for a, changed in zip(batch, archive.changed(batch), strict=True) if changed])
            for outcome in archive.upsert(batch):
                # IngestSummary has one counter per Outcome, named by its value.
                setattr(summary, outcome.value, getattr(summary, outcome.value) + 1)
            if on_stored:
                on_stored(len(batch))
            batch.clear()

        for record in records(on_bytes):
            if isinstance(record, Reject):
                reject(record)
                continue
            batch.append(record)
            if len(batch) >= opts.batch_size:
                flush()
        if batch:
            flush()
    finally:
        report.close()
        summary.seconds = time.perf_counter() - started
        summary.rejects_path = rejects_path if report.written else None
    return summary
