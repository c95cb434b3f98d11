"""The PostgreSQL backend's search: the same :class:`~duiding.search.query.ParsedQuery` the embedded
index runs, translated from its luqum tree into SQL over an article's search columns
(:mod:`duiding.store.postgres_schema`), and snippets cut the way the embedded index cuts them.

Each part of the tree becomes a :class:`Clause`: a condition on the row ``a`` of ``articles`` and a
score. Terms and phrases run as ``tsquery`` against the weighted ``search`` vector (title ``A``, text
``B``, quotes ``C``); an unfielded term searches title and text, a title hit scoring double
(``ts_rank_cd`` weights), as the embedded index boosts its title field. AND/OR/NOT/+/- follow the embedded
index's boolean logic clause by clause (scores add up like its boolean query's). Keyword fields compare
folded ``field=value`` keys, entity, speaker and URL fields the tagged lexemes of ``tags``, dates the
``day`` (local calendar date) and ``published_at`` columns. Wildcards run on the unstemmed ``exact``
vector: a prefix (``Poet*``) as a ``tsquery`` prefix, anything else (``Oekra?ne``, ``*gasprijs``) expanded
against the ``words`` vocabulary first, like tantivy's regex over its term dictionary.

User text never becomes SQL: every value is a bound parameter. Terms reach ``tsquery`` as quoted
lexemes (:func:`lexeme`), so the query syntax cannot be injected either.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import psycopg
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
    _analyzers,
    _article_start,
    _entity_values,
    _keyword_value,
    _pieces,
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

DUTCH = "duiding_dutch"  # text search configurations (postgres_schema)
EXACT = "duiding_exact"
#: ``ts_rank_cd`` weights {D, C, B, A}: a title word (A) counts double a text or quote word.
RANK = "'{0.1, 0.5, 0.5, 1.0}'::float4[]"
#: Field weights in ``search``/``exact``.
WEIGHTS = {"title": "A", "text": "B", "quote": "C"}
DEFAULT_WEIGHTS = ("A", "B")  # an unfielded term: title or text
#: Field tags in ``tags``.
TAGS = {"url": "u", "person": "p", "org": "o", "location": "l", "speaker": "s"}
TAG_GAP = 10  # positions between two values of a tagged field, so a phrase does not run across them
MAX_POSITION = 16383  # PostgreSQL's limit on positions in a tsvector
MAX_POSITIONS = 256  # and on positions per lexeme
MAX_EXPANSIONS = 5_000  # words a wildcard is listed as in a tsquery; beyond, the articles' words are scanned
MAX_HIGHLIGHT_EXPANSIONS = 50  # wildcard words looked up to highlight in snippets (as the embedded index)
# tsvector bytes for each part of ``search``/``exact`` (the whole may not pass 1 MB): see word_text
TITLE_BUDGET, TEXT_BUDGET, QUOTE_BUDGET = 100_000, 600_000, 250_000
MAX_PHRASE_VARIANTS = 256  # word spacings a proximity phrase "a b c"~n is written out as

_WORD = re.compile(r"[^\W_]+")
# Marks around highlighted words in ts_headline's output: control characters no article keeps
# (they are blanked in the text handed to ts_headline).
START, STOP = "\x02", "\x03"
HEADLINE_OPTIONS = f"HighlightAll=true, StartSel={START}, StopSel={STOP}"


def words(text: str) -> list[str]:
    """The words of ``text`` as the embedded index's tokenizer splits it: runs of letters and digits.

    PostgreSQL's own parser would read ``Noord-Oekraïne`` or ``nos.nl`` as one token (and its parts);
    feeding it the words one by one makes both backends see the same positions and phrases.
    """
    return _WORD.findall(text)


def word_text(text: str, budget: int = 1 << 30) -> str:
    """The words of ``text`` as ``to_tsvector`` gets them, as many as fit ``budget`` bytes of tsvector.

    A tsvector holds at most 1 MB; a word costs about its bytes plus 8 (entry and position). News
    articles are far below the budgets (:data:`TEXT_BUDGET`: some 40,000 words); a giant record is
    indexed from its start instead of failing its batch.
    """
    kept: list[str] = []
    for word in words(text):
        budget -= len(word.encode("utf-8")) + 8
        if budget < 0:
            break
        kept.append(word)
    return " ".join(kept)


@cache
def _fold() -> Any:
    return _analyzers()[KEYWORD]


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


def lexeme(word: str, weights: str = "", prefix: bool = False) -> str:
    """One quoted lexeme for a tsvector or tsquery literal (quotes and backslashes escaped)."""
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    flags = ("*" if prefix else "") + weights
    return f"{quoted}:{flags}" if flags else quoted


def article_tags(article: Article) -> str:
    """The ``tags`` tsvector literal: URL words, entity names and quoted sources' names, tagged by field,
    each value at its own run of positions."""
    values: list[tuple[str, list[str]]] = []
    for url in dict.fromkeys(u for u in (article.url, article.canonical_url) if u):
        values.append((TAGS["url"], [w.lower() for w in words(url)]))
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


def quote_words(article: Article) -> str:
    return word_text(" ".join(q.text for q in article.quotes), QUOTE_BUDGET)


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


def _tsquery_clause(column: str, config: str | None, query: str) -> Clause:
    """``column @@ query`` ranked by ``ts_rank_cd``; ``config`` None: ``query`` is a literal of lexemes."""
    q = Sql(f"to_tsquery('{config}', %s)" if config else "%s::tsquery", (query,))
    return Clause(sql(f"a.{column} @@ ", q), sql(f"ts_rank_cd({RANK}, a.{column}, ", q, ")::float8"))


def _spacings(gaps: int, slop: int) -> Iterator[tuple[int, ...]]:
    """Every way to leave at most ``slop`` words out between ``gaps + 1`` words in order."""
    if gaps == 0:
        yield ()
        return
    for first in range(slop + 1):
        for rest in _spacings(gaps - 1, slop - first):
            yield (first, *rest)


def phrase(operands: Sequence[str], slop: int = 0) -> str:
    """A tsquery phrase of ``operands``, in order, with at most ``slop`` other words among them in all
    (the embedded index's slop). A proximity that would take more than :data:`MAX_PHRASE_VARIANTS`
    spacings to write out is loosened to all the words anywhere in the field."""
    if len(operands) == 1:
        return operands[0]
    if slop == 0:
        return "(" + " <-> ".join(operands) + ")"
    gaps = len(operands) - 1
    if math.comb(slop + gaps, gaps) > MAX_PHRASE_VARIANTS:  # how many spacings there are
        return "(" + " & ".join(operands) + ")"
    variants = []
    for spacing in _spacings(gaps, slop):
        parts = [operands[0]]
        for skip, operand in zip(spacing, operands[1:], strict=True):
            parts += [f"<{skip + 1}>", operand]
        variants.append("(" + " ".join(parts) + ")")
    return "(" + " | ".join(variants) + ")"


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
            found = words(text)
            if not found:
                return None
            weights = DEFAULT_WEIGHTS if field is None else (WEIGHTS[field],)
            query = " | ".join(phrase([lexeme(w, weight) for w in found], slop) for weight in weights)
            return _tsquery_clause("search", DUTCH, query)
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
            return _tsquery_clause("tags", None, " | ".join(alternatives))
        if kind == "entity":
            found = name_search_text(ENTITY_FIELDS[field], text).split()
        else:  # url: its words, lower-cased
            found = [w.lower() for w in words(text)]
        if not found:
            return None
        return _tsquery_clause("tags", None, phrase([lexeme(f"{tag}.{w}") for w in found], slop))

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
                return _tsquery_clause("exact", None, query)
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

    def highlight(self, query: ParsedQuery) -> str | None:
        """A ``to_tsquery`` text of every word a hit's snippet should highlight: the words of the terms
        and phrases on title, text or quote (not those under NOT), and the vocabulary words a wildcard
        with a literal prefix stands for (the first :data:`MAX_HIGHLIGHT_EXPANSIONS`)."""
        found: dict[str, None] = {}
        for leaf, field in _positive_leaves(query.tree, None):
            if field is not None and FIELDS[field] != "text":
                continue
            if not isinstance(leaf, Word | Phrase) or is_match_all(leaf):
                continue
            parts = wildcard_parts(leaf) if isinstance(leaf, Word) else None
            if parts is None:
                found.update(dict.fromkeys(words(term_text(leaf))))
                continue
            for prefix, regex in _regexes().wildcard_regexes(parts, "text"):
                if prefix:
                    found.update(dict.fromkeys(self.expand(prefix, regex, MAX_HIGHLIGHT_EXPANSIONS)))
        return " | ".join(lexeme(w) for w in found) or None


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


# --- snippets --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


@dataclass(frozen=True)
class _Snippet:
    """What :func:`duiding.search.index._pieces` reads of a tantivy snippet (UTF-8 byte offsets)."""

    span: _Span
    text: str

    def fragment_range(self) -> _Span:
        return self.span

    def fragment(self) -> str:
        return self.text


def headline_input(text: str) -> str:
    """The text as ts_headline gets it: the highlight marks blanked, so that none can be the text's own."""
    return text.replace(START, " ").replace(STOP, " ")


def _marked(headline: str, text: str) -> list[tuple[int, int]]:
    """The highlighted stretches of ``text`` (str offsets) in ts_headline's output, or none if the output
    is not the text itself with marks added."""
    spans: list[tuple[int, int]] = []
    clean: list[str] = []
    at = 0
    start: int | None = None
    for ch in headline:
        if ch == START:
            start = at
        elif ch == STOP:
            if start is not None and at > start:
                spans.append((start, at))
            start = None
        else:
            clean.append(ch)
            at += 1
    return spans if "".join(clean) == headline_input(text) else []


def snippet(text: str, headline: str | None, max_chars: int = 200) -> list[tuple[str, bool]]:
    """The best passage of ``text`` as ``(fragment, highlighted?)`` pieces, chosen as the embedded index
    chooses it: the text is cut into windows of at most ``max_chars * 3 / 4`` bytes, word by word; the
    window with the most highlighted words wins (the first of equals), with some context before it.
    ``headline``: ts_headline's output, marking the words to highlight. Without any, the text's start."""
    marked = _marked(headline, text) if headline else []
    if not marked:
        return _article_start(text, max_chars)
    limit = max(1, max_chars * 3 // 4)
    # Words with UTF-8 byte offsets (tantivy counts bytes), and whether ts_headline highlighted them.
    tokens: list[tuple[int, int, bool]] = []
    byte_at, char_at = 0, 0
    i = 0
    for m in _WORD.finditer(text):
        byte_at += len(text[char_at : m.start()].encode("utf-8"))
        start = byte_at
        byte_at += len(m.group().encode("utf-8"))
        char_at = m.end()
        while i < len(marked) and marked[i][1] <= m.start():
            i += 1
        hit = i < len(marked) and marked[i][0] <= m.start() and m.end() <= marked[i][1]
        tokens.append((start, byte_at, hit))
    # The embedded index's windows: a new one starts at the word that would make the current one too long.
    windows: list[tuple[int, int, list[tuple[int, int]]]] = []
    window_start, window_stop = 0, 0
    hits: list[tuple[int, int]] = []
    for start, stop, hit in tokens:
        if stop - window_start > limit:
            if hits:
                windows.append((window_start, window_stop, hits))
            window_start, hits = start, []
        window_stop = stop
        if hit:
            hits.append((start, stop))
    if hits:
        windows.append((window_start, window_stop, hits))
    if not windows:
        return _article_start(text, max_chars)
    best = windows[0]
    for window in windows[1:]:
        if len(window[2]) > len(best[2]):
            best = window
    start, stop, hits = best
    raw = text.encode("utf-8")
    fragment = raw[start:stop].decode("utf-8", errors="ignore")
    ranges = [_Span(a - start, b - start) for a, b in hits]
    return _pieces(text, _Snippet(_Span(start, stop), fragment), ranges, max_chars)  # type: ignore[arg-type]
