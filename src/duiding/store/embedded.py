"""The embedded backend: SQLite as the source of truth, a tantivy index beside it, one data directory.

Nothing to start by hand. Writes go to SQLite first (one transaction per batch), then to the index;
each row is marked indexed only after the index commit, so a process killed between the two leaves
rows that :meth:`EmbeddedArchive.sync_index` indexes on the next write. Re-adding a row replaces its
index document (keyed by ``seq``), so catching up never duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from duiding.model import Article, Entity
from duiding.search.index import SearchIndex
from duiding.search.query import ParsedQuery
from duiding.store.base import Advance, Outcome, QuoteResults, SearchHit, SearchResults, StoreError
from duiding.store.sqlite import SqliteStore

DATABASE_FILE = "duiding.sqlite3"
INDEX_DIR = "index"
COMMIT_EVERY = 2000  # articles per index commit while catching up or rebuilding


class EmbeddedArchive:
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

    def quotes(
        self,
        speaker: str | None = None,
        query: ParsedQuery | None = None,
        limit: int | None = 20,
        offset: int = 0,
    ) -> QuoteResults:
        seqs = self.index.matching_seqs(query) if query is not None else None
        return self.store.quotes(speaker=speaker, seqs=seqs, limit=limit, offset=offset)

    def get(self, ref: str) -> Article | None:
        return self.store.get(ref)

    def count(self) -> int:
        return self.store.count()

    def iter_articles(self) -> Iterator[Article]:
        for _, article in self.store.iter_articles():
            yield article

    def search(self, query: ParsedQuery, limit: int = 10, offset: int = 0) -> SearchResults:
        ranked, total = self.index.search(query, limit=limit, offset=offset)
        articles = self.store.by_seqs([seq for seq, _ in ranked])
        hits = []
        for seq, score in ranked:
            article = articles.get(seq)
            if article is None:  # indexed, then removed from the store: the index is stale
                continue
            hits.append(SearchHit(article, score, self.index.snippet(query, article.text)))
        return SearchResults(hits=hits, total=total)

    def pending_index(self) -> int:
        return self.store.pending_index()

    def sync_index(self, advance: Advance | None = None) -> int:
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

    def close(self) -> None:
        self.index.close()
        self.store.close()
