"""Duplicate clusters in SQLite: exact copies by content hash, near-duplicates by persisted LSH bands.

Every article gets a ``cluster_id``: the id of the first stored article of its story. A new article
joins the cluster of an article with the same content hash, else of its most similar near-duplicate
(:mod:`duiding.ingest.dedup`: candidates from shared band keys in ``lsh_bands``, confirmed on the exact
shingle sets), else starts its own. It all runs inside the caller's transaction, so an article and its
cluster and band keys are stored together or not at all; the band keys stay in the database, so
detection works across runs. Clusters are never merged or split afterwards: ids stay stable.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable

from duiding.ingest import dedup

#: Candidates (most shared band keys first) checked on their shingles for one new article.
MAX_CANDIDATES = 20
PER_KEY = 50


class Clusters:
    """The cluster bookkeeping on one SQLite connection (the caller holds the transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def assign(self, seq: int, article_id: str, text: str, content_hash: str) -> str:
        """Put a newly stored article into a cluster, store its band keys; returns the cluster id."""
        sig = dedup.signature(text)
        row = self.conn.execute(
            # no ORDER BY: every copy with this hash is in the same cluster, and sorting would visit
            # all of them (quadratic over an archive of many identical texts)
            "SELECT cluster_id FROM articles WHERE content_hash = ? AND seq != ? AND cluster_id IS NOT NULL "
            "LIMIT 1",
            (content_hash, seq),
        ).fetchone()
        cluster = row[0] if row is not None else self._nearest(seq, sig) or article_id
        self._add_keys(seq, sig.keys)
        self.conn.execute("UPDATE articles SET cluster_id = ? WHERE seq = ?", (cluster, seq))
        return cluster

    def replace_text(self, seq: int, old_text: str, new_text: str) -> None:
        """An article's text changed: its band keys follow (its cluster stays: it is the same article)."""
        old = dedup.signature(old_text).keys
        if old:
            self.conn.executemany(
                "DELETE FROM lsh_bands WHERE key = ? AND article_seq = ?", [(k, seq) for k in old]
            )
        self._add_keys(seq, dedup.signature(new_text).keys)

    def _add_keys(self, seq: int, keys: list[int]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO lsh_bands (key, article_seq) VALUES (?, ?)", [(k, seq) for k in keys]
        )

    def _nearest(self, seq: int, sig: dedup.Signature) -> str | None:
        """The cluster of the most similar stored near-duplicate, if any."""
        if not sig.usable:
            return None
        # Per band key only its most recent PER_KEY articles: a story copied thousands of times must not
        # make every new copy read thousands of rows (the newest copies are in the same cluster anyway).
        counts: Counter[int] = Counter()
        for key in sig.keys:
            for (other_seq,) in self.conn.execute(
                "SELECT article_seq FROM lsh_bands WHERE key = ? ORDER BY article_seq DESC LIMIT ?",
                (key, PER_KEY),
            ):
                if other_seq != seq:
                    counts[other_seq] += 1
        candidates = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_CANDIDATES]
        # Candidates sharing the most band keys are the most similar: the first confirmed one is taken
        # (confirming all of them would re-shingle up to MAX_CANDIDATES texts per stored article).
        for candidate_seq, _ in candidates:
            row = self.conn.execute(
                "SELECT text, cluster_id FROM articles WHERE seq = ?", (candidate_seq,)
            ).fetchone()
            if row is None or row[1] is None:
                continue
            if dedup.is_near_duplicate(sig.shingles, dedup.shingles(row[0])):
                return row[1]
        return None

    def pending(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles WHERE cluster_id IS NULL").fetchone()[0])

    def assign_pending(self, advance: Callable[[int], None] | None = None, chunk: int = 500) -> int:
        """Cluster stored articles that have no cluster yet (stored before duiding had clusters).

        One transaction per chunk; each is marked for re-indexing (the index holds the cluster).
        """
        done = 0
        while True:
            rows = self.conn.execute(
                "SELECT seq, id, text, content_hash FROM articles WHERE cluster_id IS NULL "
                "ORDER BY seq LIMIT ?",
                (chunk,),
            ).fetchall()
            if not rows:
                return done
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for seq, article_id, text, content_hash in rows:
                    self.assign(seq, article_id, text, content_hash)
                    self.conn.execute("UPDATE articles SET indexed = 0 WHERE seq = ?", (seq,))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            done += len(rows)
            if advance:
                advance(len(rows))
