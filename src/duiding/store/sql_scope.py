"""What the SQL backends' scopes share: every figure of :class:`~duiding.store.scope.Scope` written once.

:class:`SqlScope` holds the statements; the embedded backend (:mod:`duiding.store.sqlite_scope`) and the
PostgreSQL one (:mod:`duiding.store.postgres_scope`) subclass it with what differs between the two
dialects: the parameter mark, how a list of values is passed, how rows are read and streamed, how a
date becomes a day, how a JSON list is unpacked, and the few statements (pairs for co-occurrence, the
speaker search) that each database answers its own way. The articles in scope sit in a temporary table
(``seq`` only) that every figure joins to ``articles``, ``mentions`` or ``quotes``; for the whole
archive there is no table and no join.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from duiding.nlp import speakers as speaker_names
from duiding.nlp.normalize import name_search_text
from duiding.store.scope import EntityCount, NamedCount, SpeakerCount, SpeakerDetails, is_entity_id

__all__ = ["ARTICLE_FIELDS", "CHUNK", "QUOTE_FIELDS", "SPEAKER_KEY", "Row", "SqlScope"]

#: A quote's speaker key: its entity id, else its name as written, lower-cased.
SPEAKER_KEY = "coalesce(q.speaker_entity_id, lower(q.speaker))"
ARTICLE_FIELDS = ("outlet", "category", "program", "language")
QUOTE_FIELDS = ("role", "organisation")
CHUNK = 200  # articles per page when streaming rows out

#: A row read by column name (a :class:`sqlite3.Row`, a psycopg dict row).
Row = Any


def _ascii_lower(text: str) -> str:
    """What SQLite's lower() makes of ``text``: A-Z lower-cased, nothing else."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


class SqlScope:
    """Aggregates over the articles in ``table`` (or all articles when ``table`` is None).

    Subclasses set the dialect's fragments below and implement the hooks that raise
    :class:`NotImplementedError`.
    """

    #: The parameter mark.
    P: ClassVar[str]
    #: Conditions that always hold and never do.
    TRUE: ClassVar[str]
    FALSE: ClassVar[str]
    #: An article's calendar day (``YYYY-MM-DD``, in its own offset), and the column that is NULL when it
    #: has no date.
    DAY: ClassVar[str]
    DATED: ClassVar[str]
    #: The article's instant, for newest first.
    PUBLISHED: ClassVar[str]
    #: Appended to an ascending sort key: NULL sorts first (SQLite's default, not PostgreSQL's).
    NULLS_FIRST: ClassVar[str] = ""
    #: Put before a column to keep the planner from driving a statement through its index ("" for none).
    NO_INDEX: ClassVar[str] = ""
    #: How the scope's table joins in when it should drive the statement.
    SCOPE_JOIN: ClassVar[str] = "JOIN"
    #: The FROM item that gives a quote's speaker aliases one row each, as ``j.value``, and that value as
    #: it is compared and sorted.
    ALIAS_ROWS: ClassVar[str]
    ALIAS_VALUE: ClassVar[str] = "j.value"
    #: Ids per statement, where a statement can take only so many parameters (None: all at once).
    ID_CHUNK: ClassVar[int | None] = None

    def __init__(self, conn: Any, table: str | None) -> None:
        self.conn = conn
        self.table = table

    # -- dialect hooks ----------------------------------------------------------------------------

    def _scope_table(self, table: str) -> str:
        """The scope's table (``self.table``) as statements name it."""
        raise NotImplementedError

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        """All rows of a statement, read at once."""
        raise NotImplementedError

    def _stream(self, sql: str, args: Sequence[Any] = ()) -> Iterator[Row]:
        """The rows of a statement read ``CHUNK`` at a time."""
        raise NotImplementedError

    def _in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition that ``column`` is one of ``values`` (not empty), and its arguments."""
        raise NotImplementedError

    @staticmethod
    def _aliases(value: Any) -> list[str]:
        """A stored JSON list (``aliases``, ``speaker_aliases``) as a list."""
        raise NotImplementedError

    def _quote_id(self, alias: str, row: bool = True) -> str:
        """What identifies the quote ``alias`` (``row``: as one value; else as a select list)."""
        raise NotImplementedError

    def _entities_named(self, ref: str) -> list[str]:
        """Ids of the entities whose canonical name or alias is ``ref``."""
        raise NotImplementedError

    def _speaker_search(self, needles: list[str], ids: list[str]) -> tuple[str, list[Any]]:
        """A condition on ``q`` for quotes whose speaker search text holds one of ``needles`` or whose
        speaker is one of ``ids``, and its arguments."""
        raise NotImplementedError

    def _pairs(
        self, label_filter: str, label_args: list[Any], among: list[str] | None, limit: int | None
    ) -> list[tuple[str, str, int]]:
        """Top pairs of entities (``among`` these only, if given) by articles that mention both."""
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------------------

    def _seqs(self) -> str:
        """The table whose ``seq`` column lists the articles in scope."""
        return self._scope_table(self.table) if self.table else "articles"

    def _from(self, table: str, column: str) -> str:
        """``table`` (``"mentions m"``) limited to rows whose article (``column`` holds its seq) is in
        scope. The scope drives the join (on SQLite, CROSS JOIN fixes the order): a narrow query then
        reads only its own articles' rows, through the ``article_seq`` indexes, never a whole table."""
        if not self.table:
            return f"{table} "
        return f"{self._scope_table(self.table)} s {self.SCOPE_JOIN} {table} ON {column} = s.seq "

    def _join(self, column: str) -> str:
        """The join that keeps rows whose article (``column`` holds its seq) is in scope, for statements
        that a selective condition (an entity, a speaker) should drive: the planner picks the order."""
        return f"JOIN {self._scope_table(self.table)} s ON s.seq = {column} " if self.table else ""

    def _source(self, table: str, column: str, selective: bool) -> str:
        if selective:
            return f"{table} {self._join(column)}"
        return self._from(table, column)

    def _limit(self, sql: str, args: list[Any], limit: int | None) -> str:
        """``sql`` with ``limit`` applied (its argument appended to ``args``)."""
        if limit is None:
            return sql
        args.append(limit)
        return f"{sql} LIMIT {self.P}"

    def _id_chunks(self, values: Sequence[str]) -> Iterator[list[str]]:
        values = list(values)
        size = self.ID_CHUNK or len(values) or 1
        for i in range(0, len(values), size):
            yield values[i : i + size]

    def _speaker_filter(self, keys: Sequence[str]) -> tuple[str, list[Any]]:
        ids = [k for k in keys if is_entity_id(k)]
        names = [k for k in keys if not is_entity_id(k)]
        parts: list[str] = []
        args: list[Any] = []
        if ids:
            sql, more = self._in("q.speaker_entity_id", ids)
            parts.append(sql)
            args += more
        if names:
            sql, more = self._in("lower(q.speaker)", names)
            parts.append(f"(q.speaker_entity_id IS NULL AND {sql})")
            args += more
        return ("(" + " OR ".join(parts) + ")" if parts else self.FALSE), args

    def _with_records(self, rows: Sequence[tuple[str, int, int]]) -> list[EntityCount]:
        records: dict[str, Row] = {}
        for chunk in self._id_chunks([r[0] for r in rows]):
            sql, args = self._in("id", chunk)
            for r in self._rows(f"SELECT id, label, canonical, aliases FROM entities WHERE {sql}", args):
                records[r["id"]] = r
        out = []
        for entity_id, mentions, articles in rows:
            r = records.get(entity_id)
            out.append(
                EntityCount(
                    id=entity_id,
                    label=r["label"] if r else entity_id.split("-", 1)[0].upper(),
                    canonical=r["canonical"] if r else entity_id,
                    aliases=self._aliases(r["aliases"]) if r else [],
                    mentions=mentions,
                    articles=articles,
                )
            )
        return out

    # -- articles ---------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._rows(f"SELECT count(*) AS n FROM {self._seqs()}")[0]["n"])

    def days(self) -> list[tuple[str, int]]:
        rows = self._rows(
            f"SELECT {self.DAY} AS d, count(*) AS n FROM {self._from('articles a', 'a.seq')}"
            f"WHERE {self.DATED} IS NOT NULL GROUP BY d ORDER BY d"
        )
        return [(r["d"], int(r["n"])) for r in rows]

    def field_counts(self, field: str) -> list[tuple[str | None, int]]:
        if field not in ARTICLE_FIELDS:
            raise ValueError(f"not an article field to count by: {field!r}")
        rows = self._rows(
            f"SELECT a.{field} AS v, count(*) AS n FROM {self._from('articles a', 'a.seq')}"
            f"GROUP BY v ORDER BY n DESC, v{self.NULLS_FIRST}"
        )
        return [(r["v"], int(r["n"])) for r in rows]

    # -- entities ---------------------------------------------------------------------------------

    def _entity_count_sql(
        self, label: str | None, ids: Sequence[str] | None, limit: int | None
    ) -> tuple[str, list[Any]]:
        where = ["m.entity_id IS NOT NULL"]
        args: list[Any] = []
        if label:
            where.append(f"{self.NO_INDEX}m.entity_id IN (SELECT id FROM entities WHERE label = {self.P})")
            args.append(label)
        if ids is not None:
            sql, more = self._in("m.entity_id", ids)
            where.append(sql)
            args += more
        sql = (
            "SELECT x.id, x.mentions, x.articles, e.label, e.canonical, e.aliases FROM ("
            "SELECT m.entity_id AS id, count(*) AS mentions, count(DISTINCT m.article_seq) AS articles "
            f"FROM {self._source('mentions m', 'm.article_seq', ids is not None)}"
            f"WHERE {' AND '.join(where)} "
            "GROUP BY m.entity_id) x LEFT JOIN entities e ON e.id = x.id "
            f"ORDER BY x.mentions DESC, x.articles DESC, e.canonical{self.NULLS_FIRST}, x.id"
        )
        return self._limit(sql, args, limit), args

    def _entity_count(self, r: Row) -> EntityCount:
        return EntityCount(
            id=r["id"],
            label=r["label"] or r["id"].split("-", 1)[0].upper(),
            canonical=r["canonical"] or r["id"],
            aliases=self._aliases(r["aliases"]),
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
        by: dict[str, int] = {}
        about: dict[str, int] = {}
        for chunk in self._id_chunks(ids):
            sql, args = self._in("q.speaker_entity_id", chunk)
            for r in self._rows(
                f"SELECT q.speaker_entity_id AS id, count(*) AS n FROM quotes q {self._join('q.article_seq')}"
                f"WHERE {sql} GROUP BY q.speaker_entity_id",
                args,
            ):
                by[r["id"]] = int(r["n"])
            sql, args = self._in("m.entity_id", chunk)
            for r in self._rows(
                f"SELECT m.entity_id AS id, count(DISTINCT {self._quote_id('q')}) AS n FROM mentions m "
                f"{self._join('m.article_seq')}JOIN quotes q ON q.article_seq = m.article_seq "
                'AND q.start <= m.start AND m."end" <= q."end" '
                f"WHERE {sql} GROUP BY m.entity_id",
                args,
            ):
                about[r["id"]] = int(r["n"])
        return {i: (by.get(i, 0), about.get(i, 0)) for i in ids}

    def entity_record(self, entity_id: str) -> EntityCount | None:
        rows = self._rows(
            f"SELECT id, label, canonical, aliases, mention_count FROM entities WHERE id = {self.P}",
            (entity_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return EntityCount(
            r["id"], r["label"], r["canonical"], self._aliases(r["aliases"]), r["mention_count"], 0
        )

    def entity_days(self, entity_id: str) -> list[tuple[str, int, int]]:
        rows = self._rows(
            f"SELECT {self.DAY} AS d, count(*) AS n, count(DISTINCT m.article_seq) AS k "
            f"FROM mentions m JOIN articles a ON a.seq = m.article_seq {self._join('m.article_seq')}"
            f"WHERE m.entity_id = {self.P} AND {self.DATED} IS NOT NULL GROUP BY d ORDER BY d",
            (entity_id,),
        )
        return [(r["d"], int(r["n"]), int(r["k"])) for r in rows]

    def find_entities(self, ref: str) -> list[str]:
        ref = " ".join(ref.split())
        if not ref:
            return []
        if self._rows(f"SELECT 1 FROM entities WHERE id = {self.P}", (ref,)):
            return [ref]
        ids = list(dict.fromkeys([*self._entities_named(ref), *speaker_names.entity_ids(ref)]))
        if ids:
            sql, args = self._in("id", ids)
            rows = self._rows(f"SELECT id FROM entities WHERE {sql} ORDER BY mention_count DESC, id", args)
            if rows:
                return [r["id"] for r in rows]
        return self._entities_like(ref)

    def _entities_like(self, ref: str) -> list[str]:
        """Entities whose name, in the search spelling of ``person:`` and co, holds ``ref``'s words in a
        row (``Putin`` → Vladimir Poetin): a pass over the entities table, for names not stored as such."""
        needles = {label: name_search_text(label, ref).split() for label in ("PER", "ORG", "LOC", "MISC")}
        found = []
        for r in self._stream(
            "SELECT id, label, canonical, aliases FROM entities ORDER BY mention_count DESC, id"
        ):
            needle = needles.get(r["label"])
            if not needle:
                continue
            for name in (r["canonical"], *self._aliases(r["aliases"])):
                words = name_search_text(r["label"], name).split()
                if any(words[i : i + len(needle)] == needle for i in range(len(words) - len(needle) + 1)):
                    found.append(r["id"])
                    break
        return found

    def cooccurrence(
        self, entity_id: str | None = None, label: str | None = None, limit: int | None = 20
    ) -> list[tuple[str, str, int]]:
        label_filter = (
            f" AND {self.NO_INDEX}b.entity_id IN (SELECT id FROM entities WHERE label = {self.P})"
            if label
            else ""
        )
        label_args: list[Any] = [label] if label else []
        if entity_id is not None:
            args: list[Any] = [entity_id, entity_id, *label_args]
            sql = (
                "SELECT b.entity_id AS e, count(DISTINCT b.article_seq) AS n FROM "
                f"(SELECT DISTINCT m.article_seq AS seq FROM mentions m {self._join('m.article_seq')}"
                f"WHERE m.entity_id = {self.P}) x JOIN mentions b ON b.article_seq = x.seq "
                f"WHERE b.entity_id IS NOT NULL AND b.entity_id <> {self.P}{label_filter} "
                "GROUP BY b.entity_id ORDER BY n DESC, b.entity_id"
            )
            rows = self._rows(self._limit(sql, args, limit), args)
            return [(entity_id, r["e"], int(r["n"])) for r in rows]
        if limit is None:
            return self._pairs(label_filter, label_args, None, None)
        # Only the most mentioned entities can make the top pairs: a pair is in at most as many articles
        # as either of its entities. Pair up the top ``k`` entities first; the answer is exact when no
        # entity left out is in as many articles as the last pair found, else widen to all that are.
        k = max(500, 20 * limit)
        ranked = self._rows(
            "SELECT b.entity_id AS e, count(DISTINCT b.article_seq) AS n FROM "
            f"{self._from('mentions b', 'b.article_seq')}WHERE b.entity_id IS NOT NULL{label_filter} "
            f"GROUP BY b.entity_id ORDER BY n DESC LIMIT {self.P}",
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
                f"GROUP BY b.entity_id HAVING count(DISTINCT b.article_seq) >= {self.P}",
                [*label_args, least],
            )
        ]
        return self._pairs(label_filter, label_args, wider, limit)

    def entity_total(self) -> int:
        rows = self._rows(
            f"SELECT count(DISTINCT m.entity_id) AS n FROM {self._from('mentions m', 'm.article_seq')}"
        )
        return int(rows[0]["n"])

    # -- speakers and quotes ----------------------------------------------------------------------

    def _speakers(self, where: str, args: Sequence[Any], limit: int | None) -> Iterator[SpeakerCount]:
        params = list(args)
        sql = (
            "SELECT x.k, x.quotes, x.articles, x.eid, x.name, e.label, e.canonical FROM ("
            f"SELECT {SPEAKER_KEY} AS k, count(*) AS quotes, count(DISTINCT q.article_seq) AS articles, "
            "max(q.speaker_entity_id) AS eid, max(q.speaker) AS name "
            f"FROM {self._source('quotes q', 'q.article_seq', where != self.TRUE)}"
            f"WHERE q.speaker IS NOT NULL AND {where} "
            "GROUP BY k) x LEFT JOIN entities e ON e.id = x.eid ORDER BY x.quotes DESC, x.articles DESC, x.k"
        )
        for r in self._stream(self._limit(sql, params, limit), params):
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
            return self._speakers(self.TRUE, [], limit)
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
        needles = speaker_names.needles(ref)
        ids = list(dict.fromkeys([*speaker_names.entity_ids(ref), *self._entities_named(ref)]))
        if not needles and not ids:
            return []
        where, args = self._speaker_search(needles, ids)
        return list(self._speakers(where, args, None))

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
            f"SELECT {SPEAKER_KEY} AS k, {self.ALIAS_VALUE} AS v, count(*) AS n, "
            f"min(a.published_utc) AS first, max(a.published_utc) AS last FROM quotes q {self.ALIAS_ROWS} "
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
        args: list[Any] = []
        sql = (
            f"SELECT lower(q.{field}) AS k, max(q.{field}) AS v, count(*) AS n, "
            f"count(DISTINCT {SPEAKER_KEY}) AS sp FROM {self._from('quotes q', 'q.article_seq')}"
            f"WHERE q.{field} IS NOT NULL AND trim(q.{field}) <> '' GROUP BY k ORDER BY n DESC, k"
        )
        rows = self._rows(self._limit(sql, args, limit), args)
        return [NamedCount(r["v"], int(r["n"]), speakers=int(r["sp"])) for r in rows]

    def quote_days(self, keys: Sequence[str]) -> list[tuple[str, int]]:
        where, args = self._speaker_filter(keys)
        rows = self._rows(
            f"SELECT {self.DAY} AS d, count(*) AS n FROM quotes q "
            f"JOIN articles a ON a.seq = q.article_seq {self._join('q.article_seq')}"
            f"WHERE {where} AND {self.DATED} IS NOT NULL GROUP BY d ORDER BY d",
            args,
        )
        return [(r["d"], int(r["n"])) for r in rows]

    def quoted_entities(self, keys: Sequence[str], limit: int | None = None) -> list[EntityCount]:
        where, args = self._speaker_filter(keys)
        sql = (
            f"SELECT m.entity_id AS e, count(*) AS mentions, count(DISTINCT {self._quote_id('q')}) AS quotes "
            f"FROM quotes q {self._join('q.article_seq')}"
            'JOIN mentions m ON m.article_seq = q.article_seq AND m.start >= q.start AND m."end" <= q."end" '
            f"WHERE {where} AND m.entity_id IS NOT NULL GROUP BY m.entity_id "
            "ORDER BY quotes DESC, mentions DESC, m.entity_id"
        )
        rows = self._rows(self._limit(sql, args, limit), args)
        return self._with_records([(r["e"], int(r["mentions"]), int(r["quotes"])) for r in rows])

    _QUOTE_SELECT = (
        'SELECT a.id AS article_id, a.published, a.outlet, q.start, q."end", '
        'substr(a.text, q.start + 1, q."end" - q.start) AS text, q.type, q.speaker, '
        "q.speaker_aliases AS aliases, q.cue, q.role, q.organisation, q.speaker_entity_id"
    )

    def _quote_row(self, r: Row) -> dict[str, Any]:
        row = dict(r)
        row["aliases"] = self._aliases(row["aliases"])
        return row

    def quotes(
        self,
        keys: Sequence[str] | None = None,
        mentioning: str | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        where = [self.TRUE]
        args: list[Any] = []
        if keys is not None:
            sql, key_args = self._speaker_filter(keys)
            where.append(sql)
            args += key_args
        if mentioning is not None:
            where.append(
                f"{self._quote_id('q')} IN (SELECT {self._quote_id('q2', row=False)} FROM mentions m "
                "JOIN quotes q2 "
                'ON q2.article_seq = m.article_seq AND q2.start <= m.start AND m."end" <= q2."end" '
                f"WHERE m.entity_id = {self.P})"
            )
            args.append(mentioning)
        sql = (
            f"{self._QUOTE_SELECT}, a.title, a.url FROM quotes q JOIN articles a ON a.seq = q.article_seq "
            f"{self._join('q.article_seq')}WHERE {' AND '.join(where)} "
            f"ORDER BY {self.PUBLISHED} IS NULL, {self.PUBLISHED} DESC, a.seq DESC, q.start"
        )
        for r in self._stream(self._limit(sql, args, limit), args):
            yield self._quote_row(r)

    def quote_count(self) -> int:
        return int(self._rows(f"SELECT count(*) AS n FROM {self._from('quotes q', 'q.article_seq')}")[0]["n"])

    # -- export -----------------------------------------------------------------------------------

    def _seq_pages(self, size: int = CHUNK) -> Iterator[list[int]]:
        """The scope's seqs, ascending, ``size`` at a time."""
        table = self._seqs()
        last = 0
        while True:
            page = [
                int(r["seq"])
                for r in self._rows(
                    f"SELECT seq FROM {table} WHERE seq > {self.P} ORDER BY seq LIMIT {self.P}", (last, size)
                )
            ]
            if not page:
                return
            yield page
            last = page[-1]

    def article_rows(self) -> Iterator[dict[str, Any]]:
        for page in self._seq_pages():
            counts: dict[int, list[int]] = {seq: [0, 0, 0] for seq in page}
            sql, args = self._in("article_seq", page)
            for r in self._rows(
                "SELECT article_seq AS seq, count(*) AS n, count(DISTINCT entity_id) AS e FROM mentions "
                f"WHERE {sql} GROUP BY article_seq",
                args,
            ):
                counts[int(r["seq"])][0:2] = [int(r["n"]), int(r["e"])]
            for r in self._rows(
                f"SELECT article_seq AS seq, count(*) AS n FROM quotes WHERE {sql} GROUP BY article_seq", args
            ):
                counts[int(r["seq"])][2] = int(r["n"])
            sql, args = self._in("seq", page)
            rows = self._rows(
                "SELECT seq, id, url, outlet, published, category, program, title, text FROM articles "
                f"WHERE {sql} ORDER BY seq",
                args,
            )
            for r in rows:
                row = dict(r)
                seq = int(row.pop("seq"))
                row["mentions"], row["entities"], row["quotes"] = counts[seq]
                yield row

    def quote_rows(self) -> Iterator[dict[str, Any]]:
        # fewer articles a page than for article rows: an article can hold dozens of quotes
        for page in self._seq_pages(CHUNK // 5):
            sql, args = self._in("q.article_seq", page)
            rows = self._rows(
                f"{self._QUOTE_SELECT} FROM quotes q JOIN articles a ON a.seq = q.article_seq "
                f"WHERE {sql} ORDER BY q.article_seq, q.start",
                args,
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
