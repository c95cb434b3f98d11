"""Duplicate clusters in PostgreSQL: the rules of :mod:`duiding.store.clusters`, safe with several writers.

An article joins the cluster of a stored article with the same content hash, else of its most similar
near-duplicate (candidates from shared LSH band keys in ``lsh_bands``, confirmed on the exact shingle
sets), else starts its own (its id). Which article came first decides, so clusters are decided one writer
at a time, under a transaction-level advisory lock (:func:`lock`) that a writer takes for the whole
transaction storing its batch, so that every writer sees every article stored before its own. A batch's
clusters are decided together (:func:`plan`: a few set-based statements, the outcome the same as deciding
them one by one in order), before its rows are inserted, and the rows go in with their clusters: each is
written once. Articles without a cluster (``cluster_id`` NULL: stored by an earlier version, which
clustered after committing, by a writer killed in between) get theirs at the next ingest or ``reindex``
(:func:`assign_pending`), as the embedded store does for articles stored before it had clusters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import psycopg

from duiding.ingest import dedup
from duiding.store.clusters import MAX_CANDIDATES, PER_KEY

#: pg_advisory_xact_lock key: one writer assigns clusters (and, in ``upsert``, stores articles) at a time.
CLUSTER_LOCK = 0x6475_6964_0002

#: What deciding a cluster needs of an article: ``(seq, id, content_hash, signature)``.
Item = tuple[int, str, str, dedup.Signature]
SHINGLE_CACHE = 4096  # articles whose shingles a writer keeps (a few kB each)


class Shingles:
    """The shingles of recently stored articles, by seq, each with the fingerprint of the text they are
    of: a near-duplicate's candidate is most often a recent article, whose text then need not be read and
    shingled again. An entry counts only while the article's stored fingerprint is the same."""

    def __init__(self, size: int = SHINGLE_CACHE) -> None:
        self.size = size
        self._entries: dict[int, tuple[str, np.ndarray]] = {}

    def get(self, seq: int, fingerprint: str) -> np.ndarray | None:
        found = self._entries.get(seq)
        return found[1] if found is not None and found[0] == fingerprint else None

    def put(self, seq: int, fingerprint: str, shingles: np.ndarray) -> None:
        self._entries.pop(seq, None)
        self._entries[seq] = (fingerprint, shingles)
        while len(self._entries) > self.size:
            del self._entries[next(iter(self._entries))]  # the oldest


def add_keys(conn: psycopg.Connection, seq: int, keys: Sequence[int]) -> None:
    if keys:
        conn.execute(
            "INSERT INTO lsh_bands (key, article_seq) SELECT k, %s FROM unnest(%s::bigint[]) k "
            "ON CONFLICT DO NOTHING",
            (seq, list(keys)),
        )


def _numbers(values: Iterable[int]) -> str:
    """Integers for ``string_to_array(%s, ',')::bigint[]``: a long list goes over as one string (psycopg
    adapts a Python list element by element)."""
    return ",".join(map(str, values))


def add_all_keys(conn: psycopg.Connection, items: Sequence[Item], new: bool = False) -> None:
    """The band keys of these articles, in one statement; ``new``: articles that have none yet (this
    transaction inserted them), whose keys are simply copied in."""
    if new:
        rows = "".join(f"{key}\t{seq}\n" for seq, _, _, sig in items for key in dict.fromkeys(sig.keys))
        if rows:
            with conn.cursor() as cur, cur.copy("COPY lsh_bands (key, article_seq) FROM STDIN") as copy:
                copy.write(rows)
        return
    keys = [k for _, _, _, sig in items for k in sig.keys]
    seqs = [seq for seq, _, _, sig in items for _ in sig.keys]
    if keys:
        conn.execute(
            "INSERT INTO lsh_bands (key, article_seq) SELECT * FROM unnest("
            "string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bigint[]) ON CONFLICT DO NOTHING",
            (_numbers(keys), _numbers(seqs)),
        )


def replace_text(conn: psycopg.Connection, seq: int, new_text: str) -> None:
    """An article's text changed: its band keys follow (its cluster stays: it is the same article)."""
    conn.execute("DELETE FROM lsh_bands WHERE article_seq = %s", (seq,))
    add_keys(conn, seq, dedup.signature(new_text).keys)


def lock(conn: psycopg.Connection) -> None:
    """Take the cluster lock for the rest of the caller's transaction, which then writes in a few large
    statements: PostgreSQL's JIT compiler, which their row estimates would call in, costs more than it
    saves there (a third of a second on a batch's candidate lookup)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (CLUSTER_LOCK,))
    conn.execute("SET LOCAL jit = off")


def plan(conn: psycopg.Connection, items: Sequence[Item], cache: Shingles | None = None) -> dict[int, str]:
    """The cluster of each of these articles, decided as if they were clustered one after the other in
    ``seq`` order, each seeing the stored articles and the ones before it (the rules of
    :mod:`duiding.store.clusters`), in a few statements for all of them. Reads only: the caller holds the
    cluster lock, and stores the clusters and band keys (:func:`add_all_keys`) afterwards.

    An article joins the cluster of an article with the same content hash, else of its most similar
    near-duplicate: the candidates share its band keys (per key only the most recent :data:`PER_KEY`
    articles, stored or earlier in the batch, count), the :data:`MAX_CANDIDATES` sharing the most are
    tried in that order (fewest seq first among equals) and the first whose shingles confirm it is taken.
    The articles' seqs are taken to follow every stored one's (true of new articles: they are numbered
    under the lock), so that per key the earlier ones in the batch are the most recent. ``cache``: shingles
    of stored articles already known (it gets those read here).
    """
    cache = cache if cache is not None else Shingles(0)
    ordered = sorted(items, key=lambda item: item[0])
    if not ordered:
        return {}
    # Exact copies: a stored article with the same content hash (no ORDER BY: every copy with this hash
    # is in the same cluster), else one earlier in the batch.
    hashes = sorted({content_hash for _, _, content_hash, _ in ordered})
    by_hash: dict[str, str] = {
        h: str(c)
        for h, c in conn.execute(
            "SELECT h, (SELECT cluster_id FROM articles WHERE content_hash = h AND cluster_id IS NOT NULL "
            "LIMIT 1) FROM unnest(%s::text[]) h",
            (hashes,),
        )
        if c is not None
    }
    # Which articles look for near-duplicates, and how many of each key's PER_KEY most recent articles are
    # earlier ones of the batch (the rest are stored ones).
    seen_hashes = set(by_hash)
    earlier: dict[int, list[int]] = defaultdict(list)  # band key → seqs of the batch, ascending
    searching: list[int] = []  # indexes into ordered
    lookups: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    prior: dict[int, dict[int, int]] = {}  # index → candidate seq from the batch → shared keys
    for i, (seq, _, content_hash, sig) in enumerate(ordered):
        if content_hash not in seen_hashes and sig.usable:
            searching.append(i)
            counts: dict[int, int] = defaultdict(int)
            for key in sig.keys:
                before = earlier.get(key, [])
                for other in before[-PER_KEY:]:
                    counts[other] += 1
                room = PER_KEY - len(before)
                if room > 0:
                    for column, value in zip(lookups, (i, key, room, seq), strict=True):
                        column.append(value)
            prior[i] = counts
        seen_hashes.add(content_hash)
        for key in sig.keys:
            earlier[key].append(seq)
    # The stored candidates sharing the most keys with each (those the batch leaves room for), with their
    # clusters: in one statement, for the whole batch.
    stored: dict[int, list[tuple[int, int, str | None]]] = defaultdict(list)
    fingerprints: dict[int, str] = {}
    if lookups[0]:
        for i, other, n, cluster, fingerprint in conn.execute(
            "SELECT r.i, r.seq, r.n, a.cluster_id, a.fingerprint FROM ("
            "SELECT c.i, c.seq, c.n, row_number() OVER (PARTITION BY c.i ORDER BY c.n DESC, c.seq) AS rank "
            "FROM (SELECT q.i, b.article_seq AS seq, count(*) AS n "
            "FROM unnest(string_to_array(%s, ',')::int[], string_to_array(%s, ',')::bigint[], "
            "string_to_array(%s, ',')::int[], string_to_array(%s, ',')::bigint[]) q(i, key, room, own) "
            "CROSS JOIN LATERAL (SELECT article_seq FROM lsh_bands WHERE key = q.key "
            "ORDER BY article_seq DESC LIMIT q.room) b WHERE b.article_seq <> q.own "
            "GROUP BY q.i, b.article_seq) c) r JOIN articles a ON a.seq = r.seq WHERE r.rank <= %s",
            (*map(_numbers, lookups), MAX_CANDIDATES),
        ):
            stored[int(i)].append((int(other), int(n), cluster))
            fingerprints[int(other)] = fingerprint
    # Each one's candidates in the order they are tried: the batch's ones have clusters by then.
    in_batch = {seq for seq, _, _, _ in ordered}
    candidates: dict[int, list[int]] = {}
    clusters_of: dict[int, str] = {}
    for i in searching:
        ranked = [(other, n) for other, n, _ in stored.get(i, [])] + list(prior[i].items())
        ranked.sort(key=lambda c: (-c[1], c[0]))
        for other, _, cluster in stored.get(i, []):
            if cluster is not None:
                clusters_of[other] = str(cluster)
        candidates[i] = [
            other for other, _ in ranked[:MAX_CANDIDATES] if other in in_batch or other in clusters_of
        ]
    # Texts of stored candidates, read once: each article's first stored one up front (the first
    # candidate usually confirms), any other when it comes to it.
    shingles: dict[int, np.ndarray] = {seq: sig.shingles for seq, _, _, sig in ordered}
    for found in candidates.values():
        for other in found:
            if other not in shingles and other not in in_batch:
                known = cache.get(other, fingerprints[other])
                if known is not None:
                    shingles[other] = known
    first = {next((c for c in found if c not in in_batch), None) for found in candidates.values()}
    _read_shingles(conn, [c for c in first if c is not None and c not in shingles], shingles, cache)
    # Decide, in order.
    decided: dict[int, str] = {}
    batch_hashes: dict[str, str] = {}
    for i, (seq, article_id, content_hash, sig) in enumerate(ordered):
        cluster = by_hash.get(content_hash) or batch_hashes.get(content_hash)
        if cluster is None:
            for other in candidates.get(i, []):
                if other not in shingles:
                    _read_shingles(conn, [other], shingles, cache)
                if other in shingles and dedup.is_near_duplicate(sig.shingles, shingles[other]):
                    cluster = decided[other] if other in in_batch else clusters_of[other]
                    break
        cluster = cluster or article_id
        decided[seq] = cluster
        batch_hashes.setdefault(content_hash, cluster)
    return decided


def _read_shingles(
    conn: psycopg.Connection, seqs: Sequence[int], into: dict[int, np.ndarray], cache: Shingles
) -> None:
    if seqs:
        for seq, text, fingerprint in conn.execute(
            "SELECT seq, text, fingerprint FROM articles WHERE seq = ANY(%s)", (list(seqs),)
        ):
            into[int(seq)] = dedup.shingles(text)
            cache.put(int(seq), fingerprint, into[int(seq)])


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
        lock(conn)
        done = {
            int(r[0]): str(r[1])
            for r in conn.execute(
                "SELECT seq, cluster_id FROM articles WHERE seq = ANY(%s) AND cluster_id IS NOT NULL",
                ([a[0] for a in articles],),
            )
        }
        clusters.update(done)
        items = [
            (seq, article_id, content_hash, sig or dedup.signature(text))
            for seq, article_id, text, content_hash, sig in articles
            if seq not in done
        ]
        decided = plan(conn, items)
        if decided:
            conn.execute(
                "UPDATE articles a SET cluster_id = d.cluster FROM unnest(%s::bigint[], %s::text[]) "
                "d(seq, cluster) WHERE a.seq = d.seq",
                (list(decided), list(decided.values())),
            )
            add_all_keys(conn, items)
        clusters.update(decided)
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
