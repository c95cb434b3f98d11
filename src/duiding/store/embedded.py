"""The embedded backend: SQLite as the source of truth, a tantivy index beside it, one data directory.

Nothing to start by hand. Writes go to SQLite first (one transaction per batch), then to the index;
each row is marked indexed only after the index commit, so a process killed between the two leaves
rows that :meth:`EmbeddedArchive.sync_index` indexes on the next write. Re-adding a row replaces its
index document (keyed by ``seq``), so catching up never duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from duiding.model import Article, Entity
from duiding.search.index import SearchIndex
from duiding.search.query import ParsedQuery
from duiding.store.base import Advance, Archive, Outcome, QuoteResults, SearchHit, SearchResults, StoreError
from duiding.store.monitor_tables import MonitorMethods
from duiding.store.scope import Scope
from duiding.store.sqlite import SqliteStore
from duiding.store.sqlite_scope import open_scope

DATABASE_FILE = "duiding.sqlite3"
INDEX_DIR = "index"
COMMIT_EVERY = 2000  # articles per index commit while catching up or rebuilding


class EmbeddedArchive(MonitorMethods, Archive):
    """SQLite and tantivy in a data directory (see the module's docstring); feeds and watches are SQLite's
    alone (:mod:`duiding.store.sqlite_monitor`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.location = str(directory)
        if directory.exists() and not directory.is_dir():
            raise StoreError(f"{directory}: exists and is not a directory")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"{directory}: cannot create data directory: {e.strerror}") from e
        self.store = SqliteStore(directory / DATABASE_FILE)
        self.monitor = self.store.monitor
        self.index = SearchIndex(directory / INDEX_DIR)
        if self.index.needs_rebuild:
            # A new or incompatible index: every stored article has to go (back) into it.
            self.store.mark_all_unindexed()

    @property
    def rejects_dir(self) -> Path:
        return self.directory / "rejects"

    def upsert(self, articles: Sequence[Article]) -> list[Outcome]:
        results = self.store.upsert(articles)
        # What changed, and unchanged articles that came with (new) annotations: the index holds those.
        changed = [
            seq
            for (outcome, seq, _), article in zip(results, articles, strict=True)
            if outcome is not Outcome.UNCHANGED or article.entities or article.quotes
        ]
        if changed:
            by_seq = {seq: a for (_, seq, _), a in zip(results, articles, strict=True)}
            for seq in changed:
                self.index.add(seq, by_seq[seq])
            self.index.commit()
            self.store.mark_indexed(changed)
        return [outcome for outcome, _, _ in results]

    def changed(self, articles: Sequence[Article]) -> list[bool]:
        return self.store.changed(articles)

    def entities(self, limit: int | None = None, label: str | None = None) -> list[Entity]:
        return self.store.entities(limit=limit, label=label)

    def _quotes(
        self, speaker: str | None, query: ParsedQuery | None, limit: int | None, offset: int
    ) -> QuoteResults:
        seqs = self.index.matching_seqs(query) if query is not None else None
        return self.store.quotes(speaker=speaker, seqs=seqs, limit=limit, offset=offset)

    @contextmanager
    def scope(self, query: ParsedQuery | None = None) -> Iterator[Scope]:
        pages = self.index.iter_matching_seqs(query) if query is not None else None
        with open_scope(self.store, pages) as scope:
            yield scope

    def get(self, ref: str) -> Article | None:
        return self.store.get(ref)

    def count(self) -> int:
        return self.store.count()

    def iter_articles(self) -> Iterator[Article]:
        for _, article in self.store.iter_articles():
            yield article

    def search(
        self, query: ParsedQuery, limit: int = 10, offset: int = 0, collapse: bool = False
    ) -> SearchResults:
        ranked, total = self.index.search(query, limit=limit, offset=offset, collapse=collapse)
        articles = self.store.by_seqs([seq for seq, _ in ranked])
        hits = []
        for seq, score in ranked:
            article = articles.get(seq)
            if article is None:  # indexed, then removed from the store: the index is stale
                continue
            hits.append(SearchHit(article, score, self.index.snippet(query, article.text)))
        return SearchResults(hits=hits, total=total)

    def matching(self, query: ParsedQuery, ids: Sequence[str]) -> list[str]:
        by_seq = self.store.monitor.seqs_of(ids)
        found = set(self.index.matching_within(query, list(by_seq)))
        return [by_seq[seq] for seq in by_seq if seq in found]

    # -- the index ---------------------------------------------------------------------------------

    def pending_index(self) -> int:
        return self.store.pending_index()

    def sync_index(self, advance: Advance | None = None) -> int:
        # Articles stored before duiding had duplicate clusters get theirs first (the index holds it).
        self.store.clusters.assign_pending()
        done: list[int] = []
        total = 0
        for seq, article in self.store.iter_unindexed():
            self.index.add(seq, article)
            done.append(seq)
            if len(done) >= COMMIT_EVERY:
                total += self._commit_indexed(done, advance)
        if done:
            total += self._commit_indexed(done, advance)
        return total

    def _commit_indexed(self, done: list[int], advance: Advance | None) -> int:
        self.index.commit()
        self.store.mark_indexed(done)
        n = len(done)
        if advance:
            advance(n)
        done.clear()
        return n

    def reindex(self, advance: Advance | None = None) -> int:
        self.store.mark_all_unindexed()
        self.index.delete_all()
        self.index.commit()
        return self.sync_index(advance)

    def snapshot(self, destination: Path, advance: Advance | None = None) -> Path:
        """Copy the archive to ``destination`` (a new or empty directory), consistently, while it stays
        in use; returns the snapshot's directory, itself a data directory (``--db`` it to use it, or
        copy it back to restore), whose index :meth:`sync_index` builds.

        The database is copied with SQLite's online backup API, so concurrent writers neither block
        the copy nor tear it. The search index is not copied: it is derived from the database, and a
        copy taken beside a running writer could hold articles the database copy lacks or miss ones
        it has. The snapshot marks every article unindexed instead, for :meth:`sync_index` on the copy
        (``duiding snapshot`` does that). The API's users file (``auth.sqlite``) and the rejects
        reports go with it.
        """
        import shutil
        import sqlite3

        destination = Path(destination)
        if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
            raise StoreError(f"{destination}: exists and is not an empty directory")
        if destination.resolve() == self.directory.resolve():
            raise StoreError(f"{destination}: is the archive itself")
        destination.mkdir(parents=True, exist_ok=True)
        pages_done = 0

        def progress(status: int, remaining: int, total: int) -> None:
            nonlocal pages_done
            if advance is not None:
                advance(total - remaining - pages_done)
            pages_done = total - remaining

        target = sqlite3.connect(destination / DATABASE_FILE)
        try:
            self.store.conn.backup(target, pages=1024, progress=progress)
            target.execute("UPDATE articles SET indexed = 0")
            target.commit()
        finally:
            target.close()
        auth = self.directory / "auth.sqlite"  # duiding.api.auth.AUTH_FILE (not imported: no API deps here)
        if auth.is_file():
            source, copy = sqlite3.connect(auth), sqlite3.connect(destination / auth.name)
            try:
                source.backup(copy)
            finally:
                source.close()
                copy.close()
        if self.rejects_dir.is_dir():
            shutil.copytree(self.rejects_dir, destination / self.rejects_dir.name)
        return destination

    def database_pages(self) -> int:
        """The database's size in pages (what :meth:`snapshot` reports progress in)."""
        return int(self.store.conn.execute("PRAGMA page_count").fetchone()[0])

    def close(self) -> None:
        self.index.close()
        self.store.close()
