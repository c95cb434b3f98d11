"""Duplicate clusters in PostgreSQL: the rules of :mod:`duiding.store.clusters`, safe with several writers.

An article joins the cluster of a stored article with the same content hash, else of its most similar
near-duplicate (candidates from shared LSH band keys in ``lsh_bands``, confirmed on the exact shingle
sets), else starts its own (its id). Which article came first decides, so clusters are assigned one
writer at a time: under a transaction-level advisory lock, after the articles themselves are committed,
so every writer sees every article stored before its own. A writer killed in between leaves articles
without a cluster (``cluster_id`` NULL); the next ingest or ``reindex`` assigns them
(:func:`assign_pending`), as the embedded store does for articles stored before it had clusters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import psycopg

from duiding.ingest import dedup
from duiding.store.clusters import MAX_CANDIDATES, PER_KEY

#: pg_advisory_xact_lock key: one writer assigns clusters at a time.
CLUSTER_LOCK = 0x6475_6964_0002


def add_keys(conn: psycopg.Connection, seq: int, keys: Sequence[int]) -> None:
    if keys:
        conn.execute(
            "INSERT INTO lsh_bands (key, article_seq) SELECT k, %s FROM unnest(%s::bigint[]) k "
            "ON CONFLICT DO NOTHING",
            (seq, list(keys)),
        )


def replace_text(conn: psycopg.Connection, seq: int, new_text: str) -> None:
    """An article's text changed: its band keys follow (its cluster stays: it is the same article)."""
    conn.execute("DELETE FROM lsh_bands WHERE article_seq = %s", (seq,))
    add_keys(conn, seq, dedup.signature(new_text).keys)


def _nearest(conn: psycopg.Connection, seq: int, sig: dedup.Signature) -> str | None:
    """The cluster of the most similar stored near-duplicate, if any."""
    if not sig.usable:
        return None
    # Per band key only its most recent PER_KEY articles (as the embedded store): a story copied
    # thousands of times must not make each new copy read thousands of rows. Candidates sharing the most
    # band keys are the most similar; counted here, in one statement.
    ranked = [
        int(r[0])
        for r in conn.execute(
            "SELECT b.article_seq, count(*) AS n FROM unnest(%s::bigint[]) k(key) CROSS JOIN LATERAL ("
            "SELECT article_seq FROM lsh_bands WHERE key = k.key ORDER BY article_seq DESC LIMIT %s) b "
            "WHERE b.article_seq <> %s GROUP BY b.article_seq ORDER BY n DESC, b.article_seq LIMIT %s",
            (list(sig.keys), PER_KEY, seq, MAX_CANDIDATES),
        )
    ]
    if not ranked:
        return None
    found = dict(
        conn.execute(
            "SELECT seq, cluster_id FROM articles WHERE seq = ANY(%s) AND cluster_id IS NOT NULL", (ranked,)
        ).fetchall()
    )
    candidates = [(s, found[s]) for s in ranked if s in found]
    # The first confirmed one is taken (confirming them all would re-shingle up to MAX_CANDIDATES texts).
    for candidate, cluster in candidates:
        row = conn.execute("SELECT text FROM articles WHERE seq = %s", (candidate,)).fetchone()
        if row is not None and dedup.is_near_duplicate(sig.shingles, dedup.shingles(row[0])):
            return str(cluster)
    return None


def assign(
    conn: psycopg.Connection, articles: Sequence[tuple[int, str, str, str, dedup.Signature | None]]
) -> dict[int, str]:
    """Put these stored articles ``(seq, id, text, content_hash, signature)`` into clusters, in one
    transaction under the cluster lock; returns each one's cluster. Articles another writer clustered
    meanwhile keep theirs."""
    clusters: dict[int, str] = {}
    if not articles:
        return clusters
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (CLUSTER_LOCK,))
        done = {
            int(r[0]): str(r[1])
            for r in conn.execute(
                "SELECT seq, cluster_id FROM articles WHERE seq = ANY(%s) AND cluster_id IS NOT NULL",
                ([a[0] for a in articles],),
            )
        }
        for seq, article_id, text, content_hash, sig in sorted(articles, key=lambda a: a[0]):
            if seq in done:
                clusters[seq] = done[seq]
                continue
            sig = sig or dedup.signature(text)
            # no ORDER BY: every copy with this hash is in the same cluster
            row = conn.execute(
                "SELECT cluster_id FROM articles WHERE content_hash = %s AND seq <> %s "
                "AND cluster_id IS NOT NULL LIMIT 1",
                (content_hash, seq),
            ).fetchone()
            cluster = str(row[0]) if row is not None else _nearest(conn, seq, sig) or article_id
            add_keys(conn, seq, sig.keys)
            conn.execute("UPDATE articles SET cluster_id = %s WHERE seq = %s", (cluster, seq))
            clusters[seq] = cluster
    return clusters


def pending(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM articles WHERE cluster_id IS NULL").fetchone()
    return int(row[0]) if row else 0


def assign_pending(
    conn: psycopg.Connection, advance: Callable[[int], None] | None = None, chunk: int = 500
) -> int:
    """Cluster stored articles that have none (their writer stopped before it clustered them)."""
    done = 0
    last = 0
    while True:
        rows = conn.execute(
            "SELECT seq, id, text, content_hash FROM articles WHERE cluster_id IS NULL AND seq > %s "
            "ORDER BY seq LIMIT %s",
            (last, chunk),
        ).fetchall()
        if not rows:
            return done
        assign(conn, [(int(r[0]), r[1], r[2], r[3], None) for r in rows])
        done += len(rows)
        last = int(rows[-1][0])
        if advance:
            advance(len(rows))
