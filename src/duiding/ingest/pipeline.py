"""Ingest: stream records from the readers into an archive, in batches, and account for every one.

Memory stays flat: records flow from a generator into a batch that is stored and dropped. Each batch
is one transaction, so a killed run loses at most the batch in flight; running the same command again
adds exactly what is missing (identity by canonical URL, source id or content hash).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from duiding.ingest.errors import Reject
from duiding.ingest.language import detect, is_dutch
from duiding.ingest.readers import read_articles
from duiding.model import Article
from duiding.store.base import Archive, Outcome

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
    matches: int = 0  # new matches of saved queries (duiding.monitor); not in to_dict
    delivered: int = 0  # webhook deliveries made at the end; not in to_dict

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
    nlp: bool = True  # run the Dutch NLP (entities and quotes) on new and changed Dutch articles
    language: bool = True  # detect the language of articles whose input gives none
    watches: bool = True  # check new and changed articles against the saved queries, deliver webhooks


# Records to ingest: called with a progress callback (bytes read, or None), returns Articles and Rejects.
# Called twice with --strict (a checking pass, then the real one).
RecordSource = Callable[[Callable[[int], None] | None], Iterable[Article | Reject]]


@dataclass
class Batch:
    """A batch of articles on its way to the store, one transaction: ``todo`` are those of them the NLP
    is for (new or changed, Dutch), annotated in place before the batch is stored."""

    articles: list[Article]
    todo: list[Article]
    number: int = 0  # 1, 2, … in input order


# The NLP stage: annotates each batch's ``todo`` in place and yields the batches in the order it was
# given them. It may read ahead, holding several batches in flight (``duiding.ingest.distributed``); the
# serial stage (:func:`serial_enrich`) does one at a time.
Enrich = Callable[[Iterator[Batch]], Iterator[Batch]]


def _annotator() -> Callable[[list[Article]], None]:
    """The NLP run on each batch before it is stored: entities and quotes, in one pass of the pipeline.

    Loaded here so --no-nlp never imports spaCy.
    """
    from duiding.nlp.entities import load_model
    from duiding.nlp.quotes import annotate

    nlp = load_model()
    return lambda articles: annotate(articles, nlp)


def serial_enrich(batches: Iterator[Batch]) -> Iterator[Batch]:
    """The NLP in this process, a batch at a time (the model is loaded on the first batch)."""
    annotate = None
    for batch in batches:
        if batch.todo:
            annotate = annotate or _annotator()
            annotate(batch.todo)
        yield batch


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
    enrich: Enrich | None = None,
) -> IngestSummary:
    """Read ``paths`` into ``archive``. Callbacks report progress; the summary accounts for every record.

    With ``options.strict`` the input is checked first and nothing is stored if any record is bad.
    ``enrich`` runs the NLP elsewhere (:mod:`duiding.ingest.distributed`); by default it runs here.
    """
    opts = options or IngestOptions()

    def records(progress: Callable[[int], None] | None) -> Iterable[Article | Reject]:
        return read_articles(
            paths, fmt=opts.fmt, mapping=opts.mapping, encoding=opts.encoding, on_bytes=progress
        )

    return ingest_records(
        archive,
        records,
        rejects_path,
        opts,
        on_reject=on_reject,
        on_bytes=on_bytes,
        on_stored=on_stored,
        on_recovered=on_recovered,
        enrich=enrich,
    )


def ingest_records(
    archive: Archive,
    records: RecordSource,
    rejects_path: Path,
    options: IngestOptions | None = None,
    *,
    on_reject: Callable[[Reject], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    on_stored: Callable[[int], None] | None = None,
    on_recovered: Callable[[int], None] | None = None,
    on_batch: Callable[[list[Article], list[Outcome]], None] | None = None,
    enrich: Enrich | None = None,
) -> IngestSummary:
    """Store what ``records`` yields: the one ingest path of files, fetched pages and feeds.

    Each article without a language gets one (:mod:`duiding.ingest.language`); new and changed Dutch
    articles go through the NLP; each batch is stored in one transaction (duplicate clusters assigned
    there); new and changed articles are checked against the saved queries (:mod:`duiding.monitor`),
    whose webhooks are called at the end. ``on_batch`` hears each stored batch with its outcomes; the
    articles then carry their stored ``id`` and ``cluster_id``. ``enrich`` is the NLP stage
    (:data:`Enrich`, default :func:`serial_enrich`); batches are stored in input order whatever it is, so
    ids, duplicate clusters and the summary do not depend on it.
    """
    opts = options or IngestOptions()
    summary = IngestSummary()
    report = RejectsReport(rejects_path)
    started = time.perf_counter()
    checker = None
    if opts.watches:
        from duiding.monitor import WatchChecker

        checker = WatchChecker(archive)

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

        # Identities read but not stored yet: ``changed`` compares with the store, blind to what those
        # will store before an article with the same identity (earlier in its batch, or in a batch a
        # read-ahead stage holds), so such an article goes through the NLP whatever ``changed`` says.
        unstored: Counter[str] = Counter()
        numbered = 0

        def prepare(articles: list[Article]) -> Batch:
            nonlocal numbered
            todo: list[Article] = []
            if opts.nlp:
                # Only what is new or changed: re-ingesting an archive does not redo its NLP. Articles
                # in another language are stored and indexed, but the Dutch NLP is not for them.
                changed = archive.changed(articles)
                for a, c in zip(articles, changed, strict=True):
                    if (c or unstored[a.identity]) and is_dutch(a.language):
                        todo.append(a)
                    unstored[a.identity] += 1
            else:
                unstored.update(a.identity for a in articles)
            numbered += 1
            return Batch(articles, todo, numbered)

        def batches() -> Iterator[Batch]:
            batch: list[Article] = []
            for record in records(on_bytes):
                if isinstance(record, Reject):
                    reject(record)
                    continue
                if opts.language and record.language is None:
                    # object.__setattr__: the rest of the record is valid as it is
                    object.__setattr__(record, "language", detect(record.title, record.text))
                batch.append(record)
                if len(batch) >= opts.batch_size:
                    yield prepare(batch)
                    batch = []
            if batch:
                yield prepare(batch)

        def store(batch: Batch) -> None:
            outcomes = archive.upsert(batch.articles)
            for a in batch.articles:
                unstored[a.identity] -= 1
                if not unstored[a.identity]:
                    del unstored[a.identity]
            for outcome in outcomes:
                # IngestSummary has one counter per Outcome, named by its value.
                setattr(summary, outcome.value, getattr(summary, outcome.value) + 1)
            if checker is not None:
                fresh = [
                    a.id for a, o in zip(batch.articles, outcomes, strict=True) if o is not Outcome.UNCHANGED
                ]
                summary.matches += checker.check(fresh)
            if on_batch:
                on_batch(list(batch.articles), outcomes)
            if on_stored:
                on_stored(len(batch.articles))

        stream = batches()
        for batch in (enrich or serial_enrich)(stream) if opts.nlp else stream:
            store(batch)
        if checker is not None:
            summary.delivered = checker.deliver()
    finally:
        report.close()
        summary.seconds = time.perf_counter() - started
        summary.rejects_path = rejects_path if report.written else None
    return summary
