"""The PostgreSQL backend's search: the same :class:`~duiding.search.query.ParsedQuery` the embedded
index runs, translated from its luqum tree into SQL over an article's search columns
(:mod:`duiding.store.postgres_schema`).

Each part of the tree becomes a :class:`Clause`: a condition on the row ``a`` of ``articles`` and a
score. Terms and phrases are analysed in Python exactly as the embedded index analyses them (tantivy's
Dutch analyzer: :mod:`duiding.store.postgres_text`, which explains why PostgreSQL's own ``dutch``
stemmer is not used) and run as ``tsquery`` literals of those stems against the weighted ``search``
vector (title ``A``, text ``B``, quotes ``C``), a phrase keeping the analyzer's positions; an unfielded
term searches title and text, a title hit scoring double (``ts_rank_cd`` weights), as the embedded index
boosts its title field. Matching through the GIN indexes, and the ranking, are PostgreSQL's.
AND/OR/NOT/+/- follow the embedded index's boolean logic clause by clause (scores add up like its
boolean query's). Keyword fields compare folded ``field=value`` keys, entity, speaker and URL fields the
tagged lexemes of ``tags``, dates the ``day`` (local calendar date) and ``published_at`` columns.
Wildcards run on the unstemmed ``exact`` vector: a prefix (``Poet*``) as a ``tsquery`` prefix, anything
else (``Oekra?ne``, ``*gasprijs``) expanded against the ``words`` vocabulary first, like tantivy's regex
over its term dictionary. Snippets are cut and highlighted in Python
(:func:`duiding.store.postgres_text.snippet`), the words whose stems the query asks for marked.

User text never becomes SQL: every value is a bound parameter. Terms reach ``tsquery`` as quoted
lexemes (:func:`lexeme`), so the query syntax cannot be injected either.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import psycopg
import tantivy
from luqum.tree import (
    AndOperation,
    BaseGroup,
    Boost,
    Item,
    Not,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    Proximity,
    SearchField,
    Word,
)

from duiding.model import Article
from duiding.nlp import speakers
from duiding.nlp.normalize import name_search_text

# Shared with the embedded index, so both backends fold, split and highlight alike.
from duiding.search.index import (
    KEYWORD,
    KEYWORD_FIELDS,
    URL,
    _analyzers,
    _entity_values,
    _keyword_value,
    _positive_leaves,
    _regex_escape,
    _speaker_values,
    _Translator,
)
from duiding.search.query import (
    ENTITY_FIELDS,
    FIELDS,
    DateRange,
    ParsedQuery,
    Wild,
    date_range,
    is_match_all,
    term_text,
    wildcard_parts,
)
from duiding.store.postgres_text import MAX_POSITION, MAX_POSITIONS, lexeme, stems, terms

#: ``ts_rank_cd`` weights {D, C, B, A}: a title word (A) counts double a text or quote word.
RANK = "'{0.1, 0.5, 0.5, 1.0}'::float4[]"
#: Field weights in ``search``/``exact``.
WEIGHTS = {"title": "A", "text": "B", "quote": "C"}
DEFAULT_WEIGHTS = ("A", "B")  # an unfielded term: title or text
#: Field tags in ``tags``.
TAGS = {"url": "u", "person": "p", "org": "o", "location": "l", "speaker": "s"}
TAG_GAP = 10  # positions between two values of a tagged field, so a phrase does not run across them
MAX_EXPANSIONS = 5_000  # words a wildcard is listed as in a tsquery; beyond, the articles' words are scanned
MAX_HIGHLIGHT_EXPANSIONS = 50  # wildcard words looked up to highlight in snippets (as the embedded index)
MAX_PHRASE_VARIANTS = 512  # placements a proximity phrase "a b c"~n is written out as


@cache
def _fold() -> Any:
    return _analyzers()[KEYWORD]


@cache
def _url() -> tantivy.TextAnalyzer:
    return _analyzers()[URL]


def url_words(url: str) -> list[str]:
    """A URL's words as the embedded index's ``url`` field holds them (split, lower-cased)."""
    return list(_url().analyze(url))


@cache
def _regexes() -> _Translator:
    """The embedded index's wildcard splitting and folding (it needs no schema for that)."""
    return _Translator(None, _analyzers())  # type: ignore[arg-type]


def keyword(value: str) -> str | None:
    """A keyword field's value as both backends compare it: whitespace-normalised, lower-cased, folded."""
    tokens = _fold().analyze(_keyword_value(value))
    return tokens[0] if tokens else None


# --- what an article puts in its search columns ---------------------------------------------------------


def article_keys(article: Article) -> list[str]:
    """``field=value`` for each keyword field the article has (``outlet=nos``, ``id=nos-2448020``)."""
    out = []
    for name in KEYWORD_FIELDS:
        value = getattr(article, name)
        if value and value.strip():
            folded = keyword(value)
            if folded:
                out.append(f"{name}={folded}")
    return out


def article_tags(article: Article) -> str:
    """The ``tags`` tsvector literal: URL words, entity names and quoted sources' names, tagged by field,
    each value at its own run of positions."""
    values: list[tuple[str, list[str]]] = []
    for url in dict.fromkeys(u for u in (article.url, article.canonical_url) if u):
        values.append((TAGS["url"], url_words(url)))
    for field, names in _entity_values(article).items():
        values += [(TAGS[field], name.split()) for name in names]
    values += [(TAGS["speaker"], value.split()) for value in _speaker_values(article)]
    positions: dict[str, list[int]] = defaultdict(list)
    at = 1
    for tag, value_words in values:
        for word in value_words:
            positions[f"{tag}.{word}"].append(min(at, MAX_POSITION))
            at += 1
        at += TAG_GAP
    return " ".join(
        f"{lexeme(lex)}:{','.join(str(p) for p in sorted(set(ps))[:MAX_POSITIONS])}"
        for lex, ps in positions.items()
    )


# --- SQL fragments ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sql:
    """A piece of SQL with ``%s`` placeholders and the values bound to them, in order."""

    text: str
    params: tuple[Any, ...] = ()


def sql(*parts: str | Sql) -> Sql:
    """Concatenate constant SQL text and fragments (with their parameters)."""
    text: list[str] = []
    params: list[Any] = []
    for part in parts:
        if isinstance(part, Sql):
            text.append(part.text)
            params += part.params
        else:
            text.append(part)
    return Sql("".join(text), tuple(params))


def join(separator: str, fragments: Sequence[Sql]) -> Sql:
    parts: list[str | Sql] = []
    for i, fragment in enumerate(fragments):
        if i:
            parts.append(separator)
        parts.append(fragment)
    return sql(*parts)


@dataclass(frozen=True)
class Clause:
    """What a query part finds (``where``, on articles ``a``) and how well (``score``, float8)."""

    where: Sql
    score: Sql


TRUE = Sql("TRUE")
FALSE = Sql("FALSE")
ONE = Sql("1.0::float8")
ALL = Clause(TRUE, ONE)
NOTHING = Clause(FALSE, Sql("0.0::float8"))


def _tsquery_clause(column: str, query: str) -> Clause:
    """``column @@ query`` ranked by ``ts_rank_cd``; ``query``: a tsquery literal of analysed lexemes (as
    ``to_tsquery('simple', …)`` would read it, without PostgreSQL's parser re-splitting them)."""
    q = Sql("%s::tsquery", (query,))
    return Clause(sql(f"a.{column} @@ ", q), sql(f"ts_rank_cd({RANK}, a.{column}, ", q, ")::float8"))


def _placements(offsets: Sequence[int], slop: int) -> Iterator[tuple[int, ...]]:
    """Where a phrase's words may stand, relative to the first one's position: each word at its place in
    the phrase (``offsets``) moved by some positions, all the moves within a range of ``slop`` (the
    embedded index's slop: a budget the words share, spent in either direction, so that ``"a b"~2`` also
    finds "b a", and a repeated word may be found once: ``"a a"~1``)."""

    def place(i: int, low: int, high: int, found: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        if i == len(offsets):
            yield found
            return
        for move in range(high - slop, low + slop + 1):
            yield from place(i + 1, min(low, move), max(high, move), (*found, offsets[i] + move))

    yield from place(1, 0, 0, (0,))


def _follows(distance: int) -> str:
    """The tsquery operator for "the next word ``distance`` positions on"."""
    return "<->" if distance == 1 else f"<{distance}>"


def phrase(operands: Sequence[str], slop: int = 0, positions: Sequence[int] | None = None) -> str:
    """A tsquery phrase of ``operands`` at the given relative ``positions`` (one apart when none are given;
    a word the analyzer drops leaves its gap), with a ``slop`` as the embedded index reads it: every
    placement of the words :func:`_placements` allows, written out. That is tantivy's rule exactly for
    two words; for more, tantivy's own matching (which follows the words one by one, greedily) can find a
    placement this includes slightly harder or not at all. A proximity that would take more than
    :data:`MAX_PHRASE_VARIANTS` placements to write out is loosened to all the words anywhere in the
    field."""
    if len(operands) == 1:
        return operands[0]
    at = list(positions) if positions is not None else list(range(len(operands)))
    offsets = [p - at[0] for p in at]
    variants: dict[str, None] = {}
    for placement in _placements(offsets, slop):
        order = sorted(range(len(operands)), key=lambda i: placement[i])
        parts = [operands[order[0]]]
        for before, after in itertools.pairwise(order):
            distance = placement[after] - placement[before]
            if distance == 0 and operands[after] != operands[before]:
                break  # two words at one position: no text has that
            parts += [_follows(distance), operands[after]]
        else:
            variants["(" + " ".join(parts) + ")"] = None
            if len(variants) > MAX_PHRASE_VARIANTS:
                return "(" + " & ".join(operands) + ")"
    return "(" + " | ".join(variants) + ")" if len(variants) > 1 else next(iter(variants))


def _like_prefix(prefix: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", prefix) + "%"


# --- translation -----------------------------------------------------------------------------------------


class Translator:
    """Turns a validated luqum tree into a :class:`Clause` (``conn``: to look up what wildcards match)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def clause(self, query: ParsedQuery) -> Clause:
        found = self.node(query.tree, None)
        return found if found is not None else NOTHING

    # -- structure --------------------------------------------------------------------------------

    def node(self, node: Item, field: str | None) -> Clause | None:
        if isinstance(node, SearchField):
            return self.node(node.expr, node.name)
        if isinstance(node, BaseGroup):
            return self.node(node.expr, field)
        if isinstance(node, AndOperation | OrOperation):
            return self.boolean(node, field)
        if isinstance(node, Not | Prohibit):
            inner = self.node(node.a, field)
            return None if inner is None else _combine([("must", ALL), ("must_not", inner)])
        if isinstance(node, Plus):
            return self.node(node.a, field)
        if isinstance(node, Boost):
            inner = self.node(node.expr, field)
            if inner is None:
                return None
            return Clause(inner.where, sql("(", inner.score, ") * ", Sql("%s::float8", (float(node.force),))))
        if field is not None and FIELDS[field] == "date":
            return dates(date_range(node))
        if isinstance(node, Proximity):
            assert isinstance(node.term, Phrase)
            return self.words(term_text(node.term), field, slop=int(node.degree))
        if isinstance(node, Phrase):
            return self.words(term_text(node), field, slop=0)
        if isinstance(node, Word):
            if is_match_all(node):
                return self.match_all(field)
            parts = wildcard_parts(node)
            if parts is not None:
                return self.wildcard(parts, field)
            return self.words(term_text(node), field, slop=0)
        raise TypeError(f"untranslatable query part {node!r}")  # parse_query rejects these

    def boolean(self, node: AndOperation | OrOperation, field: str | None) -> Clause | None:
        """The embedded index's boolean logic: ``+x`` is required even inside OR, and inside OR a
        negation is its own alternative ("all but x")."""
        positive = "must" if isinstance(node, AndOperation) else "should"
        clauses: list[tuple[str, Clause]] = []
        for child in node.children:
            if isinstance(child, Plus):
                occur, found = "must", self.node(child.a, field)
            elif isinstance(child, Not | Prohibit) and positive == "must":
                occur, found = "must_not", self.node(child.a, field)
            else:
                occur, found = positive, self.node(child, field)
            if found is not None:
                clauses.append((occur, found))
        if not clauses:
            return None
        if all(occur == "must_not" for occur, _ in clauses):
            clauses.append(("must", ALL))
        if len(clauses) == 1 and clauses[0][0] != "must_not":
            return clauses[0][1]
        return _combine(clauses)

    # -- leaves -----------------------------------------------------------------------------------

    def words(self, text: str, field: str | None, slop: int) -> Clause | None:
        """A term or phrase, read like the field it searches."""
        kind = FIELDS[field] if field else "text"
        if kind == "text":
            # The analyzer's stems at its positions: a dropped (over-long) word leaves its gap in a phrase.
            found = terms(text)
            if not found:
                return None
            weights = DEFAULT_WEIGHTS if field is None else (WEIGHTS[field],)
            positions = [position for position, _, _ in found]
            query = " | ".join(
                phrase([lexeme(stem, weight) for _, _, stem in found], slop, positions) for weight in weights
            )
            return _tsquery_clause("search", query)
        if kind == "keyword":
            value = keyword(text)
            if not value:
                return None
            return Clause(Sql("a.keys @> ARRAY[%s]::text[]", (f"{field}={value}",)), ONE)
        assert field is not None
        tag = TAGS[field]
        if kind == "speaker":
            alternatives = [
                phrase([lexeme(f"{tag}.{w}") for w in form.split()], slop) for form in speakers.forms(text)
            ]
            alternatives += [lexeme(f"{tag}.{eid}") for eid in speakers.entity_ids(text)]
            if not alternatives:
                return None
            return _tsquery_clause("tags", " | ".join(alternatives))
        # an entity's name as its search words; a URL's words, lower-cased
        found = name_search_text(ENTITY_FIELDS[field], text).split() if kind == "entity" else url_words(text)
        if not found:
            return None
        return _tsquery_clause("tags", phrase([lexeme(f"{tag}.{w}") for w in found], slop))

    def match_all(self, field: str | None) -> Clause:
        """``*``: everything, or every article with a value in the field."""
        kind = FIELDS[field] if field else None
        if field is None or field in ("title", "text"):
            return ALL  # every article has both
        if field == "quote":
            return Clause(Sql("EXISTS (SELECT 1 FROM quotes q WHERE q.article_seq = a.seq)"), ONE)
        if kind == "keyword":
            return Clause(
                Sql("EXISTS (SELECT 1 FROM unnest(a.keys) k WHERE k LIKE %s)", (_like_prefix(f"{field}="),)),
                ONE,
            )
        return Clause(Sql("a.tags @@ %s::tsquery", (lexeme(f"{TAGS[field]}.", prefix=True),)), ONE)

    def wildcard(self, parts: tuple[str | Wild, ...], field: str | None) -> Clause | None:
        """Wildcards match whole unstemmed words: a word pattern per word the pattern spans, all required
        (``Noord-Oek*``: ``noord`` and ``oek…``), as the embedded index does."""
        kind = FIELDS[field] if field else "text"
        pieces = _regexes().wildcard_regexes(parts, field or "text")
        if not pieces:
            return None
        if kind == "text":
            weights = DEFAULT_WEIGHTS if field is None else (WEIGHTS[field],)
            operands = []
            for prefix, regex in pieces:
                found = self._word_pattern(prefix, regex)
                if found is None:
                    return NOTHING  # a word no article has: nothing can match
                operands.append(found)
            if not any(isinstance(op, _Scan) for op in operands):
                query = " | ".join(
                    "(" + " & ".join(_weighted(op, weight) for op in operands) + ")"  # type: ignore[arg-type]
                    for weight in weights
                )
                return _tsquery_clause("exact", query)
            # A pattern that stands for too many words to list: the articles' words are scanned instead
            # (slower, same answer), next to the GIN index for the other parts.
            alternatives = []
            for weight in weights:
                listed = [_weighted(op, weight) for op in operands if not isinstance(op, _Scan)]
                conditions = [Sql("a.exact @@ %s::tsquery", (" & ".join(listed),))] if listed else []
                conditions += [
                    Sql(
                        "EXISTS (SELECT 1 FROM unnest(a.exact) u "
                        "WHERE u.lexeme ~ %s AND %s = ANY(u.weights))",
                        (f"^(?:{op.regex})$", weight),
                    )
                    for op in operands
                    if isinstance(op, _Scan)
                ]
                alternatives.append(sql("(", join(" AND ", conditions), ")"))
            return Clause(sql("(", join(" OR ", alternatives), ")"), ONE)
        if kind == "keyword":
            (_, regex), *_ = pieces
            return Clause(
                Sql("EXISTS (SELECT 1 FROM unnest(a.keys) k WHERE k ~ %s)", (f"^{field}=(?:{regex})$",)), ONE
            )
        assert field is not None
        tag = TAGS[field]
        conditions = []
        for prefix, regex in pieces:
            if regex == _regex_escape(prefix):
                conditions.append(Sql("a.tags @@ %s::tsquery", (lexeme(f"{tag}.{prefix}"),)))
                continue
            if prefix:  # the GIN index narrows to the articles with a word of that prefix first
                conditions.append(Sql("a.tags @@ %s::tsquery", (lexeme(f"{tag}.{prefix}", prefix=True),)))
            if regex != _regex_escape(prefix) + ".*":
                conditions.append(
                    Sql(
                        "EXISTS (SELECT 1 FROM unnest(a.tags) t WHERE t.lexeme ~ %s)",
                        (f"^{tag}\\.(?:{regex})$",),
                    )
                )
        return Clause(join(" AND ", conditions), ONE)

    def _word_pattern(self, prefix: str, regex: str) -> list[str] | str | _Scan | None:
        """A tsquery operand for one word pattern on ``exact``: the word itself, a prefix, or the words
        of the vocabulary it matches (None when there are none; a :class:`_Scan` when too many)."""
        if regex == _regex_escape(prefix):
            return lexeme(prefix)
        if prefix and regex == _regex_escape(prefix) + ".*":
            return lexeme(prefix, prefix=True)
        found = self.expand(prefix, regex, MAX_EXPANSIONS + 1)
        if len(found) > MAX_EXPANSIONS:
            return _Scan(regex)
        return found or None

    def expand(self, prefix: str, regex: str, limit: int) -> list[str]:
        """Words of the vocabulary (every article's unstemmed words) that ``regex`` matches whole."""
        if prefix:
            rows = self.conn.execute(
                "SELECT word FROM words WHERE word LIKE %s AND word ~ %s ORDER BY word LIMIT %s",
                (_like_prefix(prefix), f"^(?:{regex})$", limit),
            )
        else:
            rows = self.conn.execute(
                "SELECT word FROM words WHERE word ~ %s ORDER BY word LIMIT %s", (f"^(?:{regex})$", limit)
            )
        return [r[0] for r in rows]

    # -- highlighting -----------------------------------------------------------------------------

    def highlight(self, query: ParsedQuery) -> set[str]:
        """The stems a hit's snippet highlights, as the embedded index picks them: those of the terms and
        phrases on title, text or quote (not those under NOT), and of the vocabulary words a wildcard with a
        literal prefix stands for (the first :data:`MAX_HIGHLIGHT_EXPANSIONS`)."""
        found: set[str] = set()
        for leaf, field in _positive_leaves(query.tree, None):
            if field is not None and FIELDS[field] != "text":
                continue
            if not isinstance(leaf, Word | Phrase) or is_match_all(leaf):
                continue
            parts = wildcard_parts(leaf) if isinstance(leaf, Word) else None
            if parts is None:
                found.update(stems(term_text(leaf)))
                continue
            for prefix, regex in _regexes().wildcard_regexes(parts, "text"):
                if prefix:
                    for word in self.expand(prefix, regex, MAX_HIGHLIGHT_EXPANSIONS):
                        found.update(stems(word))
        return found


@dataclass(frozen=True)
class _Scan:
    """A word pattern matched against the articles' words themselves (too many words to list)."""

    regex: str


def _weighted(operand: list[str] | str, weight: str) -> str:
    """An operand of :meth:`Translator._word_pattern` restricted to one field's weight."""
    if isinstance(operand, str):
        return operand + weight if operand.endswith(":*") else f"{operand}:{weight}"
    return "(" + " | ".join(lexeme(w, weight) for w in operand) + ")"


def _combine(clauses: list[tuple[str, Clause]]) -> Clause:
    """A boolean query: every ``must``, none of the ``must_not``, and (without a ``must``) at least one
    ``should``. Scores add up: the ``must`` ones, and those of the ``should`` clauses that match."""
    musts = [c for occur, c in clauses if occur == "must"]
    shoulds = [c for occur, c in clauses if occur == "should"]
    nots = [c for occur, c in clauses if occur == "must_not"]
    conditions = [sql("(", c.where, ")") for c in musts] + [sql("NOT (", c.where, ")") for c in nots]
    if shoulds and not musts:
        conditions.append(sql("(", join(" OR ", [sql("(", c.where, ")") for c in shoulds]), ")"))
    scores = [sql("(", c.score, ")") for c in musts]
    scores += [sql("(CASE WHEN ", c.where, " THEN ", c.score, " ELSE 0.0 END)") for c in shoulds]
    return Clause(join(" AND ", conditions), join(" + ", scores) if scores else ONE)


def dates(rng: DateRange) -> Clause:
    """Day bounds on ``day`` (the article's local calendar date), instant bounds on ``published_at``."""
    conditions = [Sql("a.published_at IS NOT NULL")]  # so that NOT published:… keeps undated articles
    if rng.min_day is not None:
        conditions.append(Sql("a.day >= %s", (rng.min_day,)))
    if rng.max_day is not None:
        conditions.append(Sql("a.day <= %s", (rng.max_day,)))
    if rng.since is not None:
        conditions.append(Sql("a.published_at >= %s", (rng.since,)))
    if rng.before is not None:
        conditions.append(Sql("a.published_at < %s", (rng.before,)))
    return Clause(sql("(", join(" AND ", conditions), ")"), ONE)
