"""The embedded backend's :class:`~duiding.store.scope.Scope`: aggregates in SQL over the store's tables.

The articles a query finds go into a temporary table (``seq`` only), filled page by page from the
search index; every figure is then one SQL statement joining that table to ``articles``, ``mentions``
or ``quotes``. For the whole archive there is no table and no join. Quote texts are cut out in SQL
(``substr``), and rows that go out (export) are read a chunk at a time, so memory stays flat.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from duiding.nlp import speakers as speaker_names
from duiding.nlp.normalize import name_search_text
from duiding.store.scope import EntityCount, NamedCount, SpeakerCount, SpeakerDetails, is_entity_id

if TYPE_CHECKING:
    from duiding.store.sqlite import SqliteStore

#: A quote's speaker key: its entity id, else its name as written, lower-cased.
SPEAKER_KEY = "coalesce(q.speaker_entity_id, lower(q.speaker))"
ARTICLE_FIELDS = ("outlet", "category", "program", "language")
QUOTE_FIELDS = ("role", "organisation")
CHUNK = 200  # articles per page when streaming rows out

_names = itertools.count(1)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


def _ascii_lower(text: str) -> str:
    """What SQLite's lower() makes of ``text``: A-Z lower-cased, nothing else."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


@contextmanager
def open_scope(store: SqliteStore, pages: Iterable[list[int]] | None) -> Iterator[SqliteScope]:
    """A scope over the articles whose seqs ``pages`` yields (``None``: the whole archive)."""
    conn = store.conn
    if pages is None:
        yield SqliteScope(store, None)
        return
    table = f"scope_{next(_names)}"
    conn.execute(f"CREATE TEMP TABLE {table} (seq INTEGER PRIMARY KEY)")
    try:
        conn.execute("BEGIN")
        try:
            for page in pages:
                conn.executemany(f"INSERT OR IGNORE INTO temp.{table} VALUES (?)", ((s,) for s in page))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        # Its size, for the planner: without it SQLite guesses the scope is large and may, e.g., build a
        # Bloom filter over a whole table for a query that found three articles.
        conn.execute(f"ANALYZE temp.{table}")
        yield SqliteScope(store, table)
    finally:
        # A statement still open keeps it: then it goes when the connection closes.
        with suppress(sqlite3.Error):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


class SqliteScope:
    """Aggregates over the articles in ``temp.<table>`` (or all articles when ``table`` is None)."""

    def __init__(self, store: SqliteStore, table: str | None) -> None:
        self.store = store
        self.conn = store.conn
        self.table = table

    # -- helpers ----------------------------------------------------------------------------------

    def _from(self, table: str, column: str) -> str:
        """``table`` (``"mentions m"``) limited to rows whose article (``column`` holds its seq) is in
        scope. The scope drives the join (CROSS JOIN fixes the order): a narrow query then reads only
        its own articles' rows, through the ``article_seq`` indexes, never a whole table."""
        if not self.table:
            return f"{table} "
        return f"temp.{self.table} s CROSS JOIN {table} ON {column} = s.seq "

    def _join(self, column: str) -> str:
        """The join that keeps rows whose article (``column`` holds its seq) is in scope, for statements
        that a selective condition (an entity, a speaker) should drive: SQLite picks the order."""
        return f"JOIN temp.{self.table} s ON s.seq = {column} " if self.table else ""

    def _source(self, table: str, column: str, selective: bool) -> str:
        if selective:
            return f"{table} {self._join(column)}"
        return self._from(table, column)

    @staticmethod
    def _speaker_filter(keys: Sequence[str]) -> tuple[str, list[object]]:
        ids = [k for k in keys if is_entity_id(k)]
        names = [k for k in keys if not is_entity_id(k)]
        parts: list[str] = []
        if ids:
            parts.append(f"q.speaker_entity_id IN ({_marks(ids)})")
        if names:
            parts.append(f"(q.speaker_entity_id IS NULL AND lower(q.speaker) IN ({_marks(names)}))")
        return ("(" + " OR ".join(parts) + ")" if parts else "0"), [*ids, *names]

    def _entity_records(self, ids: Sequence[str]) -> dict[str, sqlite3.Row]:
        found: dict[str, sqlite3.Row] = {}
        for chunk in _chunks(list(ids)):
            for r in self.conn.execute(
                f"SELECT id, label, canonical, aliases FROM entities WHERE id IN ({_marks(chunk)})", chunk
            ):
                found[r["id"]] = r
        return found

    def _with_records(self, rows: Sequence[tuple[str, int, int]]) -> list[EntityCount]:
        records = self._entity_records([r[0] for r in rows])
        out = []
        for entity_id, mentions, articles in rows:
            r = records.get(entity_id)
            out.append(
                EntityCount(
                    id=entity_id,
                    label=r["label"] if r else entity_id.split("-", 1)[0].upper(),
                    canonical=r["canonical"] if r else entity_id,
                    aliases=json.loads(r["aliases"]) if r else [],
                    mentions=mentions,
                    articles=articles,
                )
            )
        return out

    # -- articles ---------------------------------------------------------------------------------

    def count(self) -> int:
        table = f"temp.{self.table}" if self.table else "articles"
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def days(self) -> list[tuple[str, int]]:
        rows = self.conn.execute(
            f"SELECT substr(a.published, 1, 10) AS d, count(*) FROM {self._from('articles a', 'a.seq')}"
            "WHERE a.published IS NOT NULL GROUP BY d ORDER BY d"
        )
        return [(r[0], int(r[1])) for r in rows]

    def field_counts(self, field: str) -> list[tuple[str | None, int]]:
        if field not in ARTICLE_FIELDS:
            raise ValueError(f"not an article field to count by: {field!r}")
        rows = self.conn.execute(
            f"SELECT a.{field} AS v, count(*) AS n FROM {self._from('articles a', 'a.seq')}"
            "GROUP BY v ORDER BY n DESC, v"
        )
        return [(r[0], int(r[1])) for r in rows]

    # -- entities ---------------------------------------------------------------------------------

    def _entity_count_sql(
        self, label: str | None, ids: Sequence[str] | None, limit: int | None
    ) -> tuple[str, list[object]]:
        where = ["m.entity_id IS NOT NULL"]
        args: list[object] = []
        if label:
            where.append("+m.entity_id IN (SELECT id FROM entities WHERE label = ?)")
            args.append(label)
        if ids is not None:
            where.append(f"m.entity_id IN ({_marks(ids)})")
            args += list(ids)
        sql = (
            "SELECT x.id, x.mentions, x.articles, e.label, e.canonical, e.aliases FROM ("
            "SELECT m.entity_id AS id, count(*) AS mentions, count(DISTINCT m.article_seq) AS articles "
            f"FROM {self._source('mentions m', 'm.article_seq', ids is not None)}"
            f"WHERE {' AND '.join(where)} "
            "GROUP BY m.entity_id) x LEFT JOIN entities e ON e.id = x.id "
            "ORDER BY x.mentions DESC, x.articles DESC, e.canonical, x.id"
        )
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return sql, args

    @staticmethod
    def _entity_count(r: sqlite3.Row) -> EntityCount:
        return EntityCount(
            id=r["id"],
            label=r["label"] or r["id"].split("-", 1)[0].upper(),
            canonical=r["canonical"] or r["id"],
            aliases=json.loads(r["aliases"]) if r["aliases"] else [],
            mentions=int(r["mentions"]),
            articles=int(r["articles"]),
        )

    def entity_counts(
        self, label: str | None = None, limit: int | None = None, ids: Sequence[str] | None = None
    ) -> list[EntityCount]:
        if ids is not None and not ids:
            return []
        sql, args = self._entity_count_sql(label, ids, limit)
        return [self._entity_count(r) for r in self.conn.execute(sql, args)]

    def entity_quote_counts(self, ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        by: dict[str, int] = {}
        about: dict[str, int] = {}
        for chunk in _chunks(list(ids)):
            for r in self.conn.execute(
                f"SELECT q.speaker_entity_id, count(*) FROM quotes q {self._join('q.article_seq')}"
                f"WHERE q.speaker_entity_id IN ({_marks(chunk)}) GROUP BY q.speaker_entity_id",
                chunk,
            ):
                by[r[0]] = int(r[1])
            for r in self.conn.execute(
                f"SELECT m.entity_id, count(DISTINCT q.rowid) FROM mentions m {self._join('m.article_seq')}"
                "JOIN quotes q ON q.article_seq = m.article_seq AND q.start <= m.start AND m.end <= q.end "
                f"WHERE m.entity_id IN ({_marks(chunk)}) GROUP BY m.entity_id",
                chunk,
            ):
                about[r[0]] = int(r[1])
        return {i: (by.get(i, 0), about.get(i, 0)) for i in ids}

    def entity_record(self, entity_id: str) -> EntityCount | None:
        r = self.conn.execute(
            "SELECT id, label, canonical, aliases, mention_count FROM entities WHERE id = ?", (entity_id,)
        ).fetchone()
        if r is None:
            return None
        return EntityCount(
            r["id"], r["label"], r["canonical"], json.loads(r["aliases"]), r["mention_count"], 0
        )

    def entity_days(self, entity_id: str) -> list[tuple[str, int, int]]:
        rows = self.conn.execute(
            "SELECT substr(a.published, 1, 10) AS d, count(*), count(DISTINCT m.article_seq) "
            f"FROM mentions m JOIN articles a ON a.seq = m.article_seq {self._join('m.article_seq')}"
            "WHERE m.entity_id = ? AND a.published IS NOT NULL GROUP BY d ORDER BY d",
            (entity_id,),
        )
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

    def find_entities(self, ref: str) -> list[str]:
        ref = " ".join(ref.split())
        if not ref:
            return []
        if self.conn.execute("SELECT 1 FROM entities WHERE id = ?", (ref,)).fetchone():
            return [ref]
        ids = list(dict.fromkeys([*self.store._entities_named(ref), *speaker_names.entity_ids(ref)]))
        if ids:
            rows = self.conn.execute(
                f"SELECT id FROM entities WHERE id IN ({_marks(ids)}) ORDER BY mention_count DESC, id", ids
            ).fetchall()
            if rows:
                return [r[0] for r in rows]
        return self._entities_like(ref)

    def _entities_like(self, ref: str) -> list[str]:
        """Entities whose name, in the search spelling of ``person:`` and co, holds ``ref``'s words in a
        row (``Putin`` → Vladimir Poetin): a pass over the entities table, for names not stored as such."""
        needles = {label: name_search_text(label, ref).split() for label in ("PER", "ORG", "LOC", "MISC")}
        found = []
        for r in self.conn.execute(
            "SELECT id, label, canonical, aliases FROM entities ORDER BY mention_count DESC, id"
        ):
            needle = needles.get(r["label"])
            if not needle:
                continue
            for name in (r["canonical"], *json.loads(r["aliases"])):
                words = name_search_text(r["label"], name).split()
                if any(words[i : i + len(needle)] == needle for i in range(len(words) - len(needle) + 1)):
                    found.append(r["id"])
                    break
        return found

    def cooccurrence(
        self, entity_id: str | None = None, label: str | None = None, limit: int | None = 20
    ) -> list[tuple[str, str, int]]:
        label_filter = " AND +b.entity_id IN (SELECT id FROM entities WHERE label = ?)" if label else ""
        label_args: list[object] = [label] if label else []
        page = " LIMIT ?" if limit is not None else ""
        page_args: list[object] = [limit] if limit is not None else []
        if entity_id is not None:
            rows = self.conn.execute(
                "SELECT b.entity_id, count(DISTINCT b.article_seq) AS n FROM "
                f"(SELECT DISTINCT m.article_seq AS seq FROM mentions m {self._join('m.article_seq')}"
                "WHERE m.entity_id = ?) x JOIN mentions b ON b.article_seq = x.seq "
                f"WHERE b.entity_id IS NOT NULL AND b.entity_id != ?{label_filter} "
                f"GROUP BY b.entity_id ORDER BY n DESC, b.entity_id{page}",
                [entity_id, entity_id, *label_args, *page_args],
            )
            return [(entity_id, r[0], int(r[1])) for r in rows]
        if limit is None:
            return self._pairs(label_filter, label_args, None, None)
        # Only the most mentioned entities can make the top pairs: a pair is in at most as many articles
        # as either of its entities. Pair up the top ``k`` entities first; the answer is exact when no
        # entity left out is in as many articles as the last pair found, else widen to all that are.
        k = max(500, 20 * limit)
        ranked = self.conn.execute(
            f"SELECT b.entity_id, count(DISTINCT b.article_seq) AS n FROM "
            f"{self._from('mentions b', 'b.article_seq')}WHERE b.entity_id IS NOT NULL{label_filter} "
            "GROUP BY b.entity_id ORDER BY n DESC LIMIT ?",
            [*label_args, k + 1],
        ).fetchall()
        if len(ranked) <= k:
            return self._pairs(label_filter, label_args, None, limit)
        found = self._pairs(label_filter, label_args, [r[0] for r in ranked[:k]], limit)
        if len(found) == limit and int(ranked[k][1]) < found[-1][2]:
            return found
        least = found[-1][2] if len(found) == limit else 1
        wider = [
            r[0]
            for r in self.conn.execute(
                f"SELECT b.entity_id, count(DISTINCT b.article_seq) AS n FROM "
                f"{self._from('mentions b', 'b.article_seq')}WHERE b.entity_id IS NOT NULL{label_filter} "
                "GROUP BY b.entity_id HAVING n >= ?",
                [*label_args, least],
            )
        ]
        return self._pairs(label_filter, label_args, wider, limit)

    def _pairs(
        self, label_filter: str, label_args: list[object], among: list[str] | None, limit: int | None
    ) -> list[tuple[str, str, int]]:
        """Top pairs of entities (``among`` these only, if given) by articles that mention both."""
        pairs = f"pairs_{next(_names)}"
        among_table = f"among_{next(_names)}"
        self.conn.execute(
            f"CREATE TEMP TABLE {pairs} (seq INTEGER NOT NULL, e TEXT NOT NULL, PRIMARY KEY (seq, e)) "
            "WITHOUT ROWID"
        )
        try:
            among_filter = ""
            self.conn.execute("BEGIN")
            try:
                if among is not None:
                    self.conn.execute(f"CREATE TEMP TABLE {among_table} (e TEXT PRIMARY KEY) WITHOUT ROWID")
                    self.conn.executemany(
                        f"INSERT OR IGNORE INTO temp.{among_table} VALUES (?)", ((e,) for e in among)
                    )
                    among_filter = f" AND b.entity_id IN (SELECT e FROM temp.{among_table})"
                self.conn.execute(
                    f"INSERT OR IGNORE INTO temp.{pairs} SELECT b.article_seq, b.entity_id FROM "
                    f"{self._from('mentions b', 'b.article_seq')}WHERE b.entity_id IS NOT NULL"
                    f"{label_filter}{among_filter}",
                    label_args,
                )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            sql = (
                f"SELECT x.e, y.e, count(*) AS n FROM temp.{pairs} x JOIN temp.{pairs} y "
                "ON y.seq = x.seq AND y.e > x.e GROUP BY x.e, y.e ORDER BY n DESC, x.e, y.e"
            )
            rows = self.conn.execute(
                sql + (" LIMIT ?" if limit is not None else ""), [limit] if limit else []
            )
            found = [(r[0], r[1], int(r[2])) for r in rows]
        finally:
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{pairs}")
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{among_table}")
        return found

    def entity_total(self) -> int:
        return int(
            self.conn.execute(
                f"SELECT count(DISTINCT m.entity_id) FROM {self._from('mentions m', 'm.article_seq')}"
            ).fetchone()[0]
        )

    # -- speakers and quotes ----------------------------------------------------------------------

    def _speakers(self, where: str, args: Sequence[object], limit: int | None) -> Iterator[SpeakerCount]:
        sql = (
            "SELECT x.k, x.quotes, x.articles, x.eid, x.name, e.label, e.canonical FROM ("
            f"SELECT {SPEAKER_KEY} AS k, count(*) AS quotes, count(DISTINCT q.article_seq) AS articles, "
            "max(q.speaker_entity_id) AS eid, max(q.speaker) AS name "
            f"FROM {self._source('quotes q', 'q.article_seq', where != '1')}"
            f"WHERE q.speaker IS NOT NULL AND {where} "
            "GROUP BY k) x LEFT JOIN entities e ON e.id = x.eid ORDER BY x.quotes DESC, x.articles DESC, x.k"
        )
        params = list(args)
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        for r in self.conn.execute(sql, params):
            yield SpeakerCount(
                key=r["k"],
                name=r["canonical"] or r["name"],
                entity_id=r["eid"],
                entity_label=r["label"],
                quotes=int(r["quotes"]),
                articles=int(r["articles"]),
            )

    def speakers(self, limit: int | None = None, keys: Sequence[str] | None = None) -> Iterator[SpeakerCount]:
        if keys is None:
            return self._speakers("1", [], limit)
        where, args = self._speaker_filter(keys)
        return self._speakers(where, args, limit)

    def find_speakers(self, ref: str) -> list[SpeakerCount]:
        ref = " ".join(ref.split())
        if not ref:
            return []
        # a key as buckets give it (lower-cased by SQLite: A-Z only), or a name to fold the same way
        keys = [ref] if is_entity_id(ref) else list(dict.fromkeys([ref, _ascii_lower(ref)]))
        exact = list(self.speakers(keys=keys))
        if exact:
            return exact
        alternatives = ["instr(q.speaker_search, ?) > 0" for _ in speaker_names.needles(ref)]
        args: list[object] = list(speaker_names.needles(ref))
        ids = list(dict.fromkeys([*speaker_names.entity_ids(ref), *self.store._entities_named(ref)]))
        if ids:
            alternatives.append(f"q.speaker_entity_id IN ({_marks(ids)})")
            args += ids
        if not alternatives:
            return []
        return list(self._speakers("(" + " OR ".join(alternatives) + ")", args, None))

    def speaker_details(self, keys: Sequence[str]) -> dict[str, SpeakerDetails]:
        details = {k: SpeakerDetails() for k in keys}
        if not keys:
            return details
        where, args = self._speaker_filter(keys)
        base = (
            f"FROM quotes q JOIN articles a ON a.seq = q.article_seq {self._join('q.article_seq')}"
            f"WHERE q.speaker IS NOT NULL AND {where}"
        )
        for column, attr in (
            ("q.speaker", "names"),
            ("q.role", "roles"),
            ("q.organisation", "organisations"),
        ):
            rows = self.conn.execute(
                f"SELECT {SPEAKER_KEY} AS k, {column} AS v, count(*) AS n, min(a.published_utc), "
                f"max(a.published_utc) {base} AND {column} IS NOT NULL AND trim({column}) != '' "
                "GROUP BY k, v ORDER BY k, n DESC, v",
                args,
            )
            for r in rows:
                if r["k"] in details:
                    getattr(details[r["k"]], attr).append(NamedCount(r["v"], int(r["n"]), r[3], r[4]))
        # aliases the articles use count as names too
        rows = self.conn.execute(
            f"SELECT {SPEAKER_KEY} AS k, j.value AS v, count(*) AS n, min(a.published_utc), "
            f"max(a.published_utc) FROM quotes q JOIN json_each(q.speaker_aliases) j "
            f"JOIN articles a ON a.seq = q.article_seq {self._join('q.article_seq')}"
            f"WHERE q.speaker IS NOT NULL AND {where} GROUP BY k, v ORDER BY k, n DESC, v",
            args,
        )
        for r in rows:
            if r["k"] in details:
                details[r["k"]].names.append(NamedCount(r["v"], int(r["n"]), r[3], r[4]))
        return details

    def quote_field_counts(self, field: str, limit: int | None = None) -> list[NamedCount]:
        if field not in QUOTE_FIELDS:
            raise ValueError(f"not a quote field to count by: {field!r}")
        sql = (
            f"SELECT lower(q.{field}) AS k, max(q.{field}) AS v, count(*) AS n, "
            f"count(DISTINCT {SPEAKER_KEY}) AS sp FROM {self._from('quotes q', 'q.article_seq')}"
            f"WHERE q.{field} IS NOT NULL AND trim(q.{field}) != '' GROUP BY k ORDER BY n DESC, k"
        )
        args: list[object] = []
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [NamedCount(r["v"], int(r["n"]), speakers=int(r["sp"])) for r in self.conn.execute(sql, args)]

    def quote_days(self, keys: Sequence[str]) -> list[tuple[str, int]]:
        where, args = self._speaker_filter(keys)
        rows = self.conn.execute(
            "SELECT substr(a.published, 1, 10) AS d, count(*) FROM quotes q "
            f"JOIN articles a ON a.seq = q.article_seq {self._join('q.article_seq')}"
            f"WHERE {where} AND a.published IS NOT NULL GROUP BY d ORDER BY d",
            args,
        )
        return [(r[0], int(r[1])) for r in rows]

    def quoted_entities(self, keys: Sequence[str], limit: int | None = None) -> list[EntityCount]:
        where, args = self._speaker_filter(keys)
        sql = (
            "SELECT m.entity_id, count(*) AS mentions, count(DISTINCT q.rowid) AS quotes "
            f"FROM quotes q {self._join('q.article_seq')}"
            "JOIN mentions m ON m.article_seq = q.article_seq AND m.start >= q.start AND m.end <= q.end "
            f"WHERE {where} AND m.entity_id IS NOT NULL GROUP BY m.entity_id "
            "ORDER BY quotes DESC, mentions DESC, m.entity_id"
        )
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        rows = [(r[0], int(r[1]), int(r[2])) for r in self.conn.execute(sql, args)]
        return self._with_records(rows)

    _QUOTE_SELECT = (
        "SELECT a.id AS article_id, a.published, a.outlet, q.start, q.end, "
        "substr(a.text, q.start + 1, q.end - q.start) AS text, q.type, q.speaker, "
        "q.speaker_aliases AS aliases, q.cue, q.role, q.organisation, q.speaker_entity_id"
    )

    @staticmethod
    def _quote_row(r: sqlite3.Row) -> dict[str, Any]:
        row = dict(r)
        row["aliases"] = json.loads(row["aliases"] or "[]")
        return row

    def quotes(
        self,
        keys: Sequence[str] | None = None,
        mentioning: str | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        where = ["1"]
        args: list[object] = []
        if keys is not None:
            sql, key_args = self._speaker_filter(keys)
            where.append(sql)
            args += key_args
        if mentioning is not None:
            where.append(
                "q.rowid IN (SELECT q2.rowid FROM mentions m JOIN quotes q2 "
                "ON q2.article_seq = m.article_seq AND q2.start <= m.start AND m.end <= q2.end "
                "WHERE m.entity_id = ?)"
            )
            args.append(mentioning)
        sql = (
            f"{self._QUOTE_SELECT}, a.title, a.url FROM quotes q JOIN articles a ON a.seq = q.article_seq "
            f"{self._join('q.article_seq')}WHERE {' AND '.join(where)} "
            "ORDER BY a.published_utc IS NULL, a.published_utc DESC, a.seq DESC, q.start"
        )
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        for r in self.conn.execute(sql, args):
            yield self._quote_row(r)

    def quote_count(self) -> int:
        return int(
            self.conn.execute(f"SELECT count(*) FROM {self._from('quotes q', 'q.article_seq')}").fetchone()[0]
        )

    # -- export -----------------------------------------------------------------------------------

    def _seq_pages(self, size: int = CHUNK) -> Iterator[list[int]]:
        """The scope's seqs, ascending, ``size`` at a time."""
        table = f"temp.{self.table}" if self.table else "articles"
        last = 0
        while True:
            page = [
                int(r[0])
                for r in self.conn.execute(
                    f"SELECT seq FROM {table} WHERE seq > ? ORDER BY seq LIMIT ?", (last, size)
                )
            ]
            if not page:
                return
            yield page
            last = page[-1]

    def article_rows(self) -> Iterator[dict[str, Any]]:
        for page in self._seq_pages():
            marks = _marks(page)
            counts: dict[int, list[int]] = {seq: [0, 0, 0] for seq in page}
            for r in self.conn.execute(
                "SELECT article_seq, count(*), count(DISTINCT entity_id) FROM mentions "
                f"WHERE article_seq IN ({marks}) GROUP BY article_seq",
                page,
            ):
                counts[r[0]][0:2] = [int(r[1]), int(r[2])]
            for r in self.conn.execute(
                f"SELECT article_seq, count(*) FROM quotes WHERE article_seq IN ({marks}) "
                "GROUP BY article_seq",
                page,
            ):
                counts[r[0]][2] = int(r[1])
            rows = self.conn.execute(
                "SELECT seq, id, url, outlet, published, category, program, title, text FROM articles "
                f"WHERE seq IN ({marks}) ORDER BY seq",
                page,
            ).fetchall()
            for r in rows:
                row = dict(r)
                seq = row.pop("seq")
                row["mentions"], row["entities"], row["quotes"] = counts[seq]
                yield row

    def quote_rows(self) -> Iterator[dict[str, Any]]:
        # fewer articles a page than for article rows: an article can hold dozens of quotes
        for page in self._seq_pages(CHUNK // 5):
            rows = self.conn.execute(
                f"{self._QUOTE_SELECT} FROM quotes q JOIN articles a ON a.seq = q.article_seq "
                f"WHERE q.article_seq IN ({_marks(page)}) ORDER BY q.article_seq, q.start",
                page,
            ).fetchall()
            for r in rows:
                yield self._quote_row(r)

    def entity_rows(self) -> Iterator[dict[str, Any]]:
        sql, args = self._entity_count_sql(None, None, None)
        cursor = self.conn.execute(sql, args)
        try:
            while rows := cursor.fetchmany(CHUNK):
                for r in rows:
                    e = self._entity_count(r)
                    yield {
                        "entity_id": e.id,
                        "label": e.label,
                        "canonical": e.canonical,
                        "aliases": e.aliases,
                        "mentions": e.mentions,
                    }
        finally:
            cursor.close()
