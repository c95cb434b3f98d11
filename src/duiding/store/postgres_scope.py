"""The PostgreSQL backend's :class:`~duiding.store.scope.Scope`: aggregates in SQL, as the embedded
backend's (:mod:`duiding.store.sqlite_scope`) computes them, figure for figure.

A query's articles go into a temporary table (``seq`` only) in one statement, straight from the search
condition, on the connection the scope holds for its ``with`` block; every figure is then one SQL
statement joining that table to ``articles``, ``mentions`` or ``quotes``. For the whole archive there is
no table and no join. Rows that go out (export, quote lists) are read a chunk at a time: pages of
``seq`` for articles and quotes, a server-side cursor for the rest, so memory stays flat.

Speakers are keyed as in the embedded backend: the entity id, else the name lower-cased the way SQLite
does (ASCII letters only: the columns' "C" collation makes ``lower()`` do just that).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row

from duiding.nlp import speakers as speaker_names
from duiding.nlp.normalize import name_search_text
from duiding.search.query import ParsedQuery
from duiding.store.scope import EntityCount, NamedCount, SpeakerCount, SpeakerDetails, is_entity_id
from duiding.store.sqlite_scope import ARTICLE_FIELDS, QUOTE_FIELDS, _ascii_lower

if TYPE_CHECKING:
    from duiding.store.postgres import PostgresArchive

SPEAKER_KEY = "coalesce(q.speaker_entity_id, lower(q.speaker))"
CHUNK = 200  # articles per page when streaming rows out
QUOTE_KEY = '(q.article_seq, q.start, q."end")'  # a quote's identity

_names = itertools.count(1)


@contextmanager
def open_scope(
    archive: PostgresArchive, conn: psycopg.Connection, query: ParsedQuery | None
) -> Iterator[PostgresScope]:
    """A scope over the articles ``query`` finds (None: the whole archive), on ``conn``."""
    table = f"duiding_scope_{next(_names)}" if query is not None else None
    scope = PostgresScope(archive, conn, table)
    try:
        if query is not None:
            clause = archive.where(conn, query)
            conn.execute(f"CREATE TEMP TABLE {table} (seq bigint PRIMARY KEY)")  # type: ignore[arg-type]
            conn.execute(
                f"INSERT INTO {table} SELECT a.seq FROM articles a WHERE {clause.where.text}",  # type: ignore[arg-type]
                clause.where.params,
            )
            # Its size, for the planner (a query that found three articles joins differently from one
            # that found them all).
            conn.execute(f"ANALYZE {table}")  # type: ignore[arg-type]
        yield scope
    finally:
        # The connection goes back to the pool: nothing of this scope may stay on it.
        scope.closed = True
        with suppress(psycopg.Error):
            conn.execute("CLOSE ALL")
            if table:
                conn.execute(f"DROP TABLE IF EXISTS {table}")  # type: ignore[arg-type]


class PostgresScope:
    """Aggregates over the articles in ``table`` (or all articles when ``table`` is None)."""

    def __init__(self, archive: PostgresArchive, conn: psycopg.Connection, table: str | None) -> None:
        self.archive = archive
        self.conn = conn
        self.table = table
        self.closed = False

    # -- helpers ----------------------------------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, args).fetchall()  # type: ignore[arg-type]

    def _stream(self, sql: str, args: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows read ``CHUNK`` at a time through a server-side cursor; the connection stays usable for
        other statements meanwhile (a consumer may ask for other figures while it reads these)."""
        if self.closed:
            raise RuntimeError("a scope is valid inside its with block only")
        cur = self.conn.cursor(name=f"duiding_rows_{next(_names)}", row_factory=dict_row, withhold=True)
        try:
            cur.execute(sql, args)  # type: ignore[arg-type]
            while rows := cur.fetchmany(CHUNK):
                yield from rows
        finally:
            # A generator given up after its scope ended: the scope closed every cursor already, and
            # the connection may be someone else's by now.
            if not self.closed:
                cur.close()

    def _from(self, table: str, column: str) -> str:
        """``table`` (``"mentions m"``) limited to rows whose article (its seq in ``column``) is in scope."""
        if not self.table:
            return f"{table} "
        return f"{self.table} s JOIN {table} ON {column} = s.seq "

    def _join(self, column: str) -> str:
        return f"JOIN {self.table} s ON s.seq = {column} " if self.table else ""

    @staticmethod
    def _speaker_filter(keys: Sequence[str]) -> tuple[str, list[Any]]:
        ids = [k for k in keys if is_entity_id(k)]
        names = [k for k in keys if not is_entity_id(k)]
        parts: list[str] = []
        args: list[Any] = []
        if ids:
            parts.append("q.speaker_entity_id = ANY(%s)")
            args.append(ids)
        if names:
            parts.append("(q.speaker_entity_id IS NULL AND lower(q.speaker) = ANY(%s))")
            args.append(names)
        return ("(" + " OR ".join(parts) + ")" if parts else "FALSE"), args

    def _with_records(self, rows: Sequence[tuple[str, int, int]]) -> list[EntityCount]:
        records = {
            r["id"]: r
            for r in self._rows(
                "SELECT id, label, canonical, aliases FROM entities WHERE id = ANY(%s)",
                ([r[0] for r in rows],),
            )
        }
        out = []
        for entity_id, mentions, articles in rows:
            r = records.get(entity_id)
            out.append(
                EntityCount(
                    id=entity_id,
                    label=r["label"] if r else entity_id.split("-", 1)[0].upper(),
                    canonical=r["canonical"] if r else entity_id,
                    aliases=list(r["aliases"]) if r else [],
                    mentions=mentions,
                    articles=articles,
                )
            )
        return out

    # -- articles ---------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._rows(f"SELECT count(*) AS n FROM {self.table or 'articles'}")[0]["n"])

    def days(self) -> list[tuple[str, int]]:
        rows = self._rows(
            "SELECT to_char(a.day, 'YYYY-MM-DD') AS d, count(*) AS n "
            f"FROM {self._from('articles a', 'a.seq')}WHERE a.day IS NOT NULL GROUP BY d ORDER BY d"
        )
        return [(r["d"], int(r["n"])) for r in rows]

    def field_counts(self, field: str) -> list[tuple[str | None, int]]:
        if field not in ARTICLE_FIELDS:
            raise ValueError(f"not an article field to count by: {field!r}")
        rows = self._rows(
            f"SELECT a.{field} AS v, count(*) AS n FROM {self._from('articles a', 'a.seq')}"
            "GROUP BY v ORDER BY n DESC, v NULLS FIRST"
        )
        return [(r["v"], int(r["n"])) for r in rows]

    # -- entities ---------------------------------------------------------------------------------

    def _entity_count_sql(
        self, label: str | None, ids: Sequence[str] | None, limit: int | None
    ) -> tuple[str, list[Any]]:
        where = ["m.entity_id IS NOT NULL"]
        args: list[Any] = []
        if label:
            where.append("m.entity_id IN (SELECT id FROM entities WHERE label = %s)")
            args.append(label)
        if ids is not None:
            where.append("m.entity_id = ANY(%s)")
            args.append(list(ids))
        source = (
            f"mentions m {self._join('m.article_seq')}"
            if ids is not None
            else self._from("mentions m", "m.article_seq")
        )
        sql = (
            "SELECT x.id, x.mentions, x.articles, e.label, e.canonical, e.aliases FROM ("
            "SELECT m.entity_id AS id, count(*) AS mentions, count(DISTINCT m.article_seq) AS articles "
            f"FROM {source}WHERE {' AND '.join(where)} "
            "GROUP BY m.entity_id) x LEFT JOIN entities e ON e.id = x.id "
            "ORDER BY x.mentions DESC, x.articles DESC, e.canonical NULLS FIRST, x.id"
        )
        if limit is not None:
            sql += " LIMIT %s"
            args.append(limit)
        return sql, args

    @staticmethod
    def _entity_count(r: dict[str, Any]) -> EntityCount:
        return EntityCount(
            id=r["id"],
            label=r["label"] or r["id"].split("-", 1)[0].upper(),
            canonical=r["canonical"] or r["id"],
            aliases=list(r["aliases"]) if r["aliases"] else [],
            mentions=int(r["mentions"]),
            articles=int(r["articles"]),
        )

    def entity_counts(
        self, label: str | None = None, limit: int | None = None, ids: Sequence[str] | None = None
    ) -> list[EntityCount]:
        if ids is not None and not ids:
            return []
        sql, args = self._entity_count_sql(label, ids, limit)
        return [self._entity_count(r) for r in self._rows(sql, args)]

    def entity_quote_counts(self, ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        by = {
            r["id"]: int(r["n"])
            for r in self._rows(
                f"SELECT q.speaker_entity_id AS id, count(*) AS n FROM quotes q {self._join('q.article_seq')}"
                "WHERE q.speaker_entity_id = ANY(%s) GROUP BY q.speaker_entity_id",
                (list(ids),),
            )
        }
        about = {
            r["id"]: int(r["n"])
            for r in self._rows(
                f"SELECT m.entity_id AS id, count(DISTINCT {QUOTE_KEY}) AS n FROM mentions m "
                f"{self._join('m.article_seq')}JOIN quotes q ON q.article_seq = m.article_seq "
                'AND q.start <= m.start AND m."end" <= q."end" '
                "WHERE m.entity_id = ANY(%s) GROUP BY m.entity_id",
                (list(ids),),
            )
        }
        return {i: (by.get(i, 0), about.get(i, 0)) for i in ids}

    def entity_record(self, entity_id: str) -> EntityCount | None:
        rows = self._rows(
            "SELECT id, label, canonical, aliases, mention_count FROM entities WHERE id = %s", (entity_id,)
        )
        if not rows:
            return None
        r = rows[0]
        return EntityCount(r["id"], r["label"], r["canonical"], list(r["aliases"]), r["mention_count"], 0)

    def entity_days(self, entity_id: str) -> list[tuple[str, int, int]]:
        rows = self._rows(
            "SELECT to_char(a.day, 'YYYY-MM-DD') AS d, count(*) AS n, count(DISTINCT m.article_seq) AS k "
            f"FROM mentions m JOIN articles a ON a.seq = m.article_seq {self._join('m.article_seq')}"
            "WHERE m.entity_id = %s AND a.day IS NOT NULL GROUP BY d ORDER BY d",
            (entity_id,),
        )
        return [(r["d"], int(r["n"]), int(r["k"])) for r in rows]

    def find_entities(self, ref: str) -> list[str]:
        ref = " ".join(ref.split())
        if not ref:
            return []
        if self._rows("SELECT 1 FROM entities WHERE id = %s", (ref,)):
            return [ref]
        ids = list(
            dict.fromkeys([*self.archive.entities_named(self.conn, ref), *speaker_names.entity_ids(ref)])
        )
        if ids:
            rows = self._rows(
                "SELECT id FROM entities WHERE id = ANY(%s) ORDER BY mention_count DESC, id", (ids,)
            )
            if rows:
                return [r["id"] for r in rows]
        return self._entities_like(ref)

    def _entities_like(self, ref: str) -> list[str]:
        """Entities whose name, in the search spelling of ``person:`` and co, holds ``ref``'s words in a
        row (``Putin`` → Vladimir Poetin): a pass over the entities table, as in the embedded backend."""
        needles = {label: name_search_text(label, ref).split() for label in ("PER", "ORG", "LOC", "MISC")}
        found = []
        for r in self._stream(
            "SELECT id, label, canonical, aliases FROM entities ORDER BY mention_count DESC, id"
        ):
            needle = needles.get(r["label"])
            if not needle:
                continue
            for name in (r["canonical"], *r["aliases"]):
                words = name_search_text(r["label"], name).split()
                if any(words[i : i + len(needle)] == needle for i in range(len(words) - len(needle) + 1)):
                    found.append(r["id"])
                    break
        return found

    def cooccurrence(
        self, entity_id: str | None = None, label: str | None = None, limit: int | None = 20
    ) -> list[tuple[str, str, int]]:
        label_filter = " AND b.entity_id IN (SELECT id FROM entities WHERE label = %s)" if label else ""
        label_args: list[Any] = [label] if label else []
        page = " LIMIT %s" if limit is not None else ""
        page_args: list[Any] = [limit] if limit is not None else []
        if entity_id is not None:
            rows = self._rows(
                "SELECT b.entity_id AS e, count(DISTINCT b.article_seq) AS n FROM "
                f"(SELECT DISTINCT m.article_seq AS seq FROM mentions m {self._join('m.article_seq')}"
                "WHERE m.entity_id = %s) x JOIN mentions b ON b.article_seq = x.seq "
                f"WHERE b.entity_id IS NOT NULL AND b.entity_id <> %s{label_filter} "
                f"GROUP BY b.entity_id ORDER BY n DESC, b.entity_id{page}",
                [entity_id, entity_id, *label_args, *page_args],
            )
            return [(entity_id, r["e"], int(r["n"])) for r in rows]
        if limit is None:
            return self._pairs(label_filter, label_args, None, None)
        # As the embedded backend: pair up the most mentioned entities first, and widen only when an
        # entity left out could still be in as many articles as the last pair found.
        k = max(500, 20 * limit)
        ranked = self._rows(
            "SELECT b.entity_id AS e, count(DISTINCT b.article_seq) AS n FROM "
            f"{self._from('mentions b', 'b.article_seq')}WHERE b.entity_id IS NOT NULL{label_filter} "
            "GROUP BY b.entity_id ORDER BY n DESC LIMIT %s",
            [*label_args, k + 1],
        )
        if len(ranked) <= k:
            return self._pairs(label_filter, label_args, None, limit)
        found = self._pairs(label_filter, label_args, [r["e"] for r in ranked[:k]], limit)
        if len(found) == limit and int(ranked[k]["n"]) < found[-1][2]:
            return found
        least = found[-1][2] if len(found) == limit else 1
        wider = [
            r["e"]
            for r in self._rows(
                "SELECT b.entity_id AS e FROM "
                f"{self._from('mentions b', 'b.article_seq')}WHERE b.entity_id IS NOT NULL{label_filter} "
                "GROUP BY b.entity_id HAVING count(DISTINCT b.article_seq) >= %s",
                [*label_args, least],
            )
        ]
        return self._pairs(label_filter, label_args, wider, limit)

    def _pairs(
        self, label_filter: str, label_args: list[Any], among: list[str] | None, limit: int | None
    ) -> list[tuple[str, str, int]]:
        """Top pairs of entities (``among`` these only, if given) by articles that mention both."""
        among_filter = " AND b.entity_id = ANY(%s)" if among is not None else ""
        args: list[Any] = [*label_args, *([among] if among is not None else [])]
        sql = (
            "WITH p AS MATERIALIZED (SELECT DISTINCT b.article_seq AS seq, b.entity_id AS e FROM "
            f"{self._from('mentions b', 'b.article_seq')}WHERE b.entity_id IS NOT NULL"
            f"{label_filter}{among_filter}) "
            "SELECT x.e AS a, y.e AS b, count(*) AS n FROM p x JOIN p y ON y.seq = x.seq AND y.e > x.e "
            "GROUP BY x.e, y.e ORDER BY n DESC, x.e, y.e"
        )
        if limit is not None:
            sql += " LIMIT %s"
            args.append(limit)
        return [(r["a"], r["b"], int(r["n"])) for r in self._rows(sql, args)]

    def entity_total(self) -> int:
        rows = self._rows(
            f"SELECT count(DISTINCT m.entity_id) AS n FROM {self._from('mentions m', 'm.article_seq')}"
        )
        return int(rows[0]["n"])

    # -- speakers and quotes ----------------------------------------------------------------------

    def _speakers(self, where: str, args: Sequence[Any], limit: int | None) -> Iterator[SpeakerCount]:
        source = (
            f"quotes q {self._join('q.article_seq')}"
            if where != "TRUE"
            else self._from("quotes q", "q.article_seq")
        )
        sql = (
            "SELECT x.k, x.quotes, x.articles, x.eid, x.name, e.label, e.canonical FROM ("
            f"SELECT {SPEAKER_KEY} AS k, count(*) AS quotes, count(DISTINCT q.article_seq) AS articles, "
            "max(q.speaker_entity_id) AS eid, max(q.speaker) AS name "
            f"FROM {source}WHERE q.speaker IS NOT NULL AND {where} "
            "GROUP BY k) x LEFT JOIN entities e ON e.id = x.eid ORDER BY x.quotes DESC, x.articles DESC, x.k"
        )
        params = list(args)
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        for r in self._stream(sql, params):
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
            return self._speakers("TRUE", [], limit)
        where, args = self._speaker_filter(keys)
        return self._speakers(where, args, limit)

    def find_speakers(self, ref: str) -> list[SpeakerCount]:
        ref = " ".join(ref.split())
        if not ref:
            return []
        keys = [ref] if is_entity_id(ref) else list(dict.fromkeys([ref, _ascii_lower(ref)]))
        exact = list(self.speakers(keys=keys))
        if exact:
            return exact
        needles = speaker_names.needles(ref)
        ids = list(
            dict.fromkeys([*speaker_names.entity_ids(ref), *self.archive.entities_named(self.conn, ref)])
        )
        if not needles and not ids:
            return []
        where = (
            "(EXISTS (SELECT 1 FROM unnest(%s::text[]) n WHERE strpos(q.speaker_search, n) > 0) "
            "OR q.speaker_entity_id = ANY(%s))"
        )
        return list(self._speakers(where, [needles, ids], None))

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
            rows = self._rows(
                f"SELECT {SPEAKER_KEY} AS k, {column} AS v, count(*) AS n, min(a.published_utc) AS first, "
                f"max(a.published_utc) AS last {base} AND {column} IS NOT NULL AND trim({column}) <> '' "
                "GROUP BY k, v ORDER BY k, n DESC, v",
                args,
            )
            for r in rows:
                if r["k"] in details:
                    getattr(details[r["k"]], attr).append(
                        NamedCount(r["v"], int(r["n"]), r["first"], r["last"])
                    )
        # aliases the articles use count as names too
        rows = self._rows(
            f'SELECT {SPEAKER_KEY} AS k, j.value COLLATE "C" AS v, count(*) AS n, '
            "min(a.published_utc) AS first, max(a.published_utc) AS last FROM quotes q "
            "CROSS JOIN LATERAL jsonb_array_elements_text(q.speaker_aliases) AS j(value) "
            f"JOIN articles a ON a.seq = q.article_seq {self._join('q.article_seq')}"
            f"WHERE q.speaker IS NOT NULL AND {where} GROUP BY k, v ORDER BY k, n DESC, v",
            args,
        )
        for r in rows:
            if r["k"] in details:
                details[r["k"]].names.append(NamedCount(r["v"], int(r["n"]), r["first"], r["last"]))
        return details

    def quote_field_counts(self, field: str, limit: int | None = None) -> list[NamedCount]:
        if field not in QUOTE_FIELDS:
            raise ValueError(f"not a quote field to count by: {field!r}")
        sql = (
            f"SELECT lower(q.{field}) AS k, max(q.{field}) AS v, count(*) AS n, "
            f"count(DISTINCT {SPEAKER_KEY}) AS sp FROM {self._from('quotes q', 'q.article_seq')}"
            f"WHERE q.{field} IS NOT NULL AND trim(q.{field}) <> '' GROUP BY k ORDER BY n DESC, k"
        )
        args: list[Any] = []
        if limit is not None:
            sql += " LIMIT %s"
            args.append(limit)
        return [NamedCount(r["v"], int(r["n"]), speakers=int(r["sp"])) for r in self._rows(sql, args)]

    def quote_days(self, keys: Sequence[str]) -> list[tuple[str, int]]:
        where, args = self._speaker_filter(keys)
        rows = self._rows(
            "SELECT to_char(a.day, 'YYYY-MM-DD') AS d, count(*) AS n FROM quotes q "
            f"JOIN articles a ON a.seq = q.article_seq {self._join('q.article_seq')}"
            f"WHERE {where} AND a.day IS NOT NULL GROUP BY d ORDER BY d",
            args,
        )
        return [(r["d"], int(r["n"])) for r in rows]

    def quoted_entities(self, keys: Sequence[str], limit: int | None = None) -> list[EntityCount]:
        where, args = self._speaker_filter(keys)
        sql = (
            f"SELECT m.entity_id AS e, count(*) AS mentions, count(DISTINCT {QUOTE_KEY}) AS quotes "
            f"FROM quotes q {self._join('q.article_seq')}"
            'JOIN mentions m ON m.article_seq = q.article_seq AND m.start >= q.start AND m."end" <= q."end" '
            f"WHERE {where} AND m.entity_id IS NOT NULL GROUP BY m.entity_id "
            "ORDER BY quotes DESC, mentions DESC, m.entity_id"
        )
        if limit is not None:
            sql += " LIMIT %s"
            args.append(limit)
        rows = [(r["e"], int(r["mentions"]), int(r["quotes"])) for r in self._rows(sql, args)]
        return self._with_records(rows)

    _QUOTE_SELECT = (
        'SELECT a.id AS article_id, a.published, a.outlet, q.start, q."end", '
        'substr(a.text, q.start + 1, q."end" - q.start) AS text, q.type, q.speaker, '
        "q.speaker_aliases AS aliases, q.cue, q.role, q.organisation, q.speaker_entity_id"
    )

    @staticmethod
    def _quote_row(r: dict[str, Any]) -> dict[str, Any]:
        row = dict(r)
        row["aliases"] = list(row["aliases"] or [])
        return row

    def quotes(
        self,
        keys: Sequence[str] | None = None,
        mentioning: str | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        where = ["TRUE"]
        args: list[Any] = []
        if keys is not None:
            sql, key_args = self._speaker_filter(keys)
            where.append(sql)
            args += key_args
        if mentioning is not None:
            where.append(
                f'{QUOTE_KEY} IN (SELECT q2.article_seq, q2.start, q2."end" FROM mentions m JOIN quotes q2 '
                'ON q2.article_seq = m.article_seq AND q2.start <= m.start AND m."end" <= q2."end" '
                "WHERE m.entity_id = %s)"
            )
            args.append(mentioning)
        sql = (
            f"{self._QUOTE_SELECT}, a.title, a.url FROM quotes q JOIN articles a ON a.seq = q.article_seq "
            f"{self._join('q.article_seq')}WHERE {' AND '.join(where)} "
            "ORDER BY a.published_at IS NULL, a.published_at DESC, a.seq DESC, q.start"
        )
        if limit is not None:
            sql += " LIMIT %s"
            args.append(limit)
        for r in self._stream(sql, args):
            yield self._quote_row(r)

    def quote_count(self) -> int:
        return int(self._rows(f"SELECT count(*) AS n FROM {self._from('quotes q', 'q.article_seq')}")[0]["n"])

    # -- export -----------------------------------------------------------------------------------

    def _seq_pages(self, size: int = CHUNK) -> Iterator[list[int]]:
        """The scope's seqs, ascending, ``size`` at a time."""
        table = self.table or "articles"
        last = 0
        while True:
            page = [
                int(r["seq"])
                for r in self._rows(
                    f"SELECT seq FROM {table} WHERE seq > %s ORDER BY seq LIMIT %s", (last, size)
                )
            ]
            if not page:
                return
            yield page
            last = page[-1]

    def article_rows(self) -> Iterator[dict[str, Any]]:
        for page in self._seq_pages():
            counts: dict[int, list[int]] = {seq: [0, 0, 0] for seq in page}
            for r in self._rows(
                "SELECT article_seq AS seq, count(*) AS n, count(DISTINCT entity_id) AS e FROM mentions "
                "WHERE article_seq = ANY(%s) GROUP BY article_seq",
                (page,),
            ):
                counts[int(r["seq"])][0:2] = [int(r["n"]), int(r["e"])]
            for r in self._rows(
                "SELECT article_seq AS seq, count(*) AS n FROM quotes WHERE article_seq = ANY(%s) "
                "GROUP BY article_seq",
                (page,),
            ):
                counts[int(r["seq"])][2] = int(r["n"])
            rows = self._rows(
                "SELECT seq, id, url, outlet, published, category, program, title, text FROM articles "
                "WHERE seq = ANY(%s) ORDER BY seq",
                (page,),
            )
            for r in rows:
                row = dict(r)
                seq = int(row.pop("seq"))
                row["mentions"], row["entities"], row["quotes"] = counts[seq]
                yield row

    def quote_rows(self) -> Iterator[dict[str, Any]]:
        # fewer articles a page than for article rows: an article can hold dozens of quotes
        for page in self._seq_pages(CHUNK // 5):
            rows = self._rows(
                f"{self._QUOTE_SELECT} FROM quotes q JOIN articles a ON a.seq = q.article_seq "
                "WHERE q.article_seq = ANY(%s) ORDER BY q.article_seq, q.start",
                (page,),
            )
            for r in rows:
                yield self._quote_row(r)

    def entity_rows(self) -> Iterator[dict[str, Any]]:
        sql, args = self._entity_count_sql(None, None, None)
        for r in self._stream(sql, args):
            e = self._entity_count(r)
            yield {
                "entity_id": e.id,
                "label": e.label,
                "canonical": e.canonical,
                "aliases": e.aliases,
                "mentions": e.mentions,
            }
