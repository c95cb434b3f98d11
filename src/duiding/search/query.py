"""Search queries: Lucene syntax parsed once, validated, and handed to whichever backend runs it.

Parsing and validation live here and know nothing of tantivy, so the tantivy index
(:mod:`duiding.search.index`) and a later PostgreSQL backend translate the *same*
:class:`ParsedQuery`. The syntax is Lucene's, via luqum:

* terms, ``"phrases"``, ``AND`` / ``OR`` / ``NOT``, ``-term``, ``+term``, parentheses;
  the implicit operator is AND (``Poetin Loekasjenko`` narrows, as news-archive users expect);
* field queries ``title:``, ``text:``, ``outlet:``, ``category:``, ``program:``, ``url:``, ``id:``,
  ``language:``, the entity fields ``person:``, ``org:``, ``location:``, the quote fields ``speaker:``
  (who is quoted) and ``quote:`` (words inside quotes), and field groups ``title:(a OR b)``;
* dates: ``published:[2022-10-01 TO 2022-10-31]``, ``{…}`` exclusive, ``*`` open ends,
  ``published:>=2022-10-01``, a bare day ``published:2022-10-12``, month ``2022-10``, year ``2022``
  or a full datetime with offset ``2022-10-12T07:00:00+02:00`` (colons need no escaping);
* wildcards ``Poet*`` / ``Oekra?ne``, proximity ``"a b"~3``, boosts ``^2``, and ``*`` alone for all.

Fuzzy terms (``Poetin~``) and regular expressions (``/…/``) are refused with a clear message:
the PostgreSQL backend could not honour them the same way.

Helpers for backends: :func:`term_text` (unescaped value of a term), :func:`wildcard_parts`,
:func:`is_match_all` and :func:`date_range` (a ``published:`` clause as calendar-day and instant
bounds).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum

from luqum import parser as luqum_parser
from luqum.exceptions import IllegalCharacterError, ParseError
from luqum.tree import (
    AndOperation,
    BaseGroup,
    BaseOperation,
    Boost,
    From,
    Fuzzy,
    Item,
    OpenRange,
    Phrase,
    Proximity,
    Range,
    Regex,
    SearchField,
    To,
    Unary,
    Word,
)
from luqum.utils import UnknownOperationResolver

__all__ = [
    "DEFAULT_FIELDS",
    "ENTITY_FIELDS",
    "FIELDS",
    "DateRange",
    "ParsedQuery",
    "QuerySyntaxError",
    "Wild",
    "caret",
    "date_range",
    "is_match_all",
    "parse_query",
    "term_text",
    "wildcard_parts",
]

#: Every field a query may name, and its kind: how a backend matches it.
#: ``text``: analysed (stemmed) words; ``keyword``: the whole value, case- and accent-insensitive;
#: ``url``: the URL's words (``url:nieuwsuur``, ``url:"nos.nl"``); ``date``: see :func:`date_range`;
#: ``entity``: the canonical names of the article's entities of one kind, compared through the
#: transliteration-aware key of :mod:`duiding.nlp.normalize` (``person:Putin`` finds Poetin);
#: ``speaker``: the names and aliases of the sources the article quotes, compared the same way
#: (:mod:`duiding.nlp.speakers`). ``quote`` is a text field holding the words of the article's quotes.
FIELDS: dict[str, str] = {
    "title": "text",
    "text": "text",
    "quote": "text",
    "outlet": "keyword",
    "category": "keyword",
    "program": "keyword",
    "id": "keyword",
    "language": "keyword",
    "url": "url",
    "published": "date",
    "person": "entity",
    "org": "entity",
    "location": "entity",
    "speaker": "speaker",
}

#: The entity label each ``entity`` field holds.
ENTITY_FIELDS: dict[str, str] = {"person": "PER", "org": "ORG", "location": "LOC"}

#: What an unfielded term searches (a backend weights title above text).
DEFAULT_FIELDS: tuple[str, ...] = ("title", "text")

MAX_QUERY_CHARS = 4000
MAX_DEPTH = 64


class QuerySyntaxError(ValueError):
    """A query that cannot be run. ``str(err)`` is one line; ``position`` is a 0-based offset or None."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ParsedQuery:
    """A validated query: the user's ``text`` and its luqum ``tree``, implicit operators made AND.

    Read leaf values with :func:`term_text` (datetimes in the tree carry escaped colons) and
    ``published:`` clauses with :func:`date_range`. Equal and hashed by ``text``.
    """

    text: str
    tree: Item = dataclasses.field(compare=False)

    def __str__(self) -> str:
        return str(self.tree)


class Wild(Enum):
    """A wildcard inside a term: ``*`` (any run of characters) or ``?`` (one character)."""

    ANY = "*"
    ONE = "?"


@dataclass(frozen=True)
class DateRange:
    """What a ``published:`` clause selects.

    Calendar bounds (``min_day``/``max_day``, both inclusive) compare with the article's *local*
    date in its own UTC offset, so a 00:30+02:00 article is on that day. Instant bounds compare with
    the publication time: ``since`` inclusive, ``before`` exclusive, both aware UTC. Each side uses
    at most one of the two; all four None means "has a publication date".
    """

    min_day: date | None = None
    max_day: date | None = None
    since: datetime | None = None
    before: datetime | None = None


# --- term helpers (shared by the backends) -------------------------------------------------------

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def term_text(node: Word | Phrase) -> str:
    """The value a Word or Phrase stands for: quotes stripped, backslash escapes resolved."""
    value = node.value
    if isinstance(node, Phrase):
        value = value[1:-1]
    return _ESCAPE.sub(r"\1", value)


def wildcard_parts(node: Word) -> tuple[str | Wild, ...] | None:
    """A Word with unescaped ``*``/``?`` as literal runs and :class:`Wild` marks; None without wildcards."""
    parts: list[str | Wild] = []
    literal: list[str] = []
    value = node.value
    i = 0
    found = False
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            literal.append(value[i + 1])
            i += 2
            continue
        if ch in "*?":
            found = True
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Wild.ANY if ch == "*" else Wild.ONE)
        else:
            literal.append(ch)
        i += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts) if found else None


def is_match_all(node: Item) -> bool:
    """``*`` on its own: everything (unfielded) or every document with the field."""
    return isinstance(node, Word) and node.value == "*"


# --- dates ---------------------------------------------------------------------------------------

_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2})(?::?(\d{2})(?::?(\d{2})([.,]\d+)?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_DATE_HELP = "use YYYY-MM-DD, YYYY-MM, YYYY or a datetime with offset like 2022-10-12T07:00+02:00"

# A period a date value covers: (first day, last day) inclusive, or (start, end) instants, half-open.
_Period = tuple[date, date] | tuple[datetime, datetime]


def _period(value: str, where: str, pos: int | None) -> _Period:
    """The stretch of time a date value denotes, or a QuerySyntaxError naming it."""
    bad = QuerySyntaxError(f"bad date {value!r} in {where} ({_DATE_HELP})", pos)
    try:
        if _YEAR.fullmatch(value):
            year = int(value)
            return date(year, 1, 1), date(year, 12, 31)
        if m := _MONTH.fullmatch(value):
            first = date(int(m[1]), int(m[2]), 1)
            nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, nxt - timedelta(days=1)
        if _DAY.fullmatch(value):
            day = date.fromisoformat(value)
            return day, day
        if m := _DATETIME.fullmatch(value):
            if not m[6]:
                raise QuerySyntaxError(
                    f"datetime {value!r} in {where} needs a UTC offset, e.g. {m[1]}T07:00+02:00 or …Z", pos
                )
            start = datetime.fromisoformat(value.replace(",", ".").replace("z", "Z"))
            # The value covers its own precision: 07:00 is the whole minute, 07:00:02 that second.
            if m[5]:
                step = timedelta(microseconds=1)
            elif m[4]:
                step = timedelta(seconds=1)
            elif m[3]:
                step = timedelta(minutes=1)
            else:
                step = timedelta(hours=1)
            start = start.astimezone(UTC)
            return start, start + step
    except QuerySyntaxError:
        raise
    except (ValueError, OverflowError):
        raise bad from None
    raise bad


def _bound_value(node: Item) -> str | None:
    """The text of a range end, None for an open end (``*``)."""
    if isinstance(node, Word | Phrase):
        value = term_text(node)
        return None if value == "*" else value
    raise QuerySyntaxError(f"unexpected {str(node).strip()!r} in a published range", node.pos)


def _lower(rng: DateRange, value: str | None, inclusive: bool, where: str, pos: int | None) -> DateRange:
    if value is None:
        return rng
    first, last = _period(value, where, pos)
    if isinstance(first, datetime):
        return DateRange(rng.min_day, rng.max_day, first if inclusive else last, rng.before)
    assert isinstance(last, date)
    try:
        return DateRange(first if inclusive else last + timedelta(days=1), rng.max_day, None, rng.before)
    except OverflowError:
        raise QuerySyntaxError(f"date {value!r} in {where} is out of range", pos) from None


def _upper(rng: DateRange, value: str | None, inclusive: bool, where: str, pos: int | None) -> DateRange:
    if value is None:
        return rng
    first, last = _period(value, where, pos)
    if isinstance(first, datetime):
        return DateRange(rng.min_day, rng.max_day, rng.since, last if inclusive else first)
    assert isinstance(last, date)
    try:
        return DateRange(rng.min_day, last if inclusive else first - timedelta(days=1), rng.since, None)
    except OverflowError:
        raise QuerySyntaxError(f"date {value!r} in {where} is out of range", pos) from None


def date_range(node: Item) -> DateRange:
    """The bounds a value under ``published:`` selects: a Word/Phrase (that day, month, year or
    instant), a Range (``[a TO b]``, ``{a TO b}``, ``*`` ends) or From/To (``>=a``, ``<b``).

    A value covers its whole period: ``[2022-10 TO 2022-11]`` runs from 1 October through
    30 November, ``{2022-10-01 TO *}`` starts on 2 October.
    """
    if isinstance(node, Range):
        rng = _lower(DateRange(), _bound_value(node.low), node.include_low, "published range", node.low.pos)
        return _upper(rng, _bound_value(node.high), node.include_high, "published range", node.high.pos)
    if isinstance(node, From):
        return _lower(DateRange(), _bound_value(node.a), node.include, "published range", node.a.pos)
    if isinstance(node, To):
        return _upper(DateRange(), _bound_value(node.a), node.include, "published range", node.a.pos)
    if isinstance(node, Word | Phrase):
        value = _bound_value(node)
        if value is None:
            return DateRange()
        rng = _lower(DateRange(), value, True, "published", node.pos)
        return _upper(rng, value, True, "published", node.pos)
    raise QuerySyntaxError(f"published takes a date or a range, not {str(node).strip()!r}", node.pos)


# --- parsing -------------------------------------------------------------------------------------

# luqum reads ``:`` as a field separator, so escape the colons of datetimes (outside phrases)
# before parsing: ``published:[2022-10-12T00:30:00+02:00 TO *]`` then parses as users mean it.
_DATETIME_IN_QUERY = re.compile(
    r'"(?:\\.|[^"\\])*"'  # a phrase: left alone
    r"|(?<![\w\\])\d{4}-\d{2}-\d{2}[Tt]\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)

# ply's parser keeps state on its objects: one parse at a time, with our own lexer.
_PARSE_LOCK = threading.Lock()
_LEXER = luqum_parser.lexer.clone()


class _Positions:
    """Maps offsets in the escaped query back to the user's query."""

    def __init__(self, inserted: list[int]) -> None:
        self.inserted = inserted  # offsets (in the escaped text) of the backslashes we added

    def __call__(self, pos: int | None) -> int | None:
        if pos is None:
            return None
        return pos - bisect.bisect_left(self.inserted, pos)


def _escape_datetimes(q: str) -> tuple[str, _Positions]:
    out: list[str] = []
    inserted: list[int] = []
    last = 0
    for m in _DATETIME_IN_QUERY.finditer(q):
        if m.group().startswith('"'):
            continue
        out.append(q[last : m.start()])
        for offset, ch in enumerate(m.group()):
            if ch == ":":
                # where the backslash lands in the escaped text
                inserted.append(m.start() + offset + len(inserted))
                out.append("\\")
            out.append(ch)
        last = m.end()
    out.append(q[last:])
    return "".join(out), _Positions(inserted)


def _check_brackets(q: str) -> None:
    """Friendlier messages than the parser's for unbalanced quotes and parentheses."""
    stack: list[int] = []
    quote: int | None = None
    i = 0
    while i < len(q):
        ch = q[i]
        if ch == "\\":
            i += 2
            continue
        if quote is not None:
            if ch == '"':
                quote = None
        elif ch == '"':
            quote = i
        elif ch == "(":
            stack.append(i)
        elif ch == ")":
            if not stack:
                raise QuerySyntaxError(f"query error at {i}: unexpected ')'", i)
            stack.pop()
        i += 1
    if quote is not None:
        raise QuerySyntaxError(f"query error at {quote}: unclosed '\"'", quote)
    if stack:
        raise QuerySyntaxError(f"query error at {stack[-1]}: unclosed '('", stack[-1])


_UNEXPECTED = re.compile(r"unexpected\s+'(.*)' at position (\d+)", re.DOTALL)
_ILLEGAL = re.compile(r"Illegal character '(.*)' at position (\d+)", re.DOTALL)


def _syntax_error(q: str, exc: ParseError, where: _Positions) -> QuerySyntaxError:
    """One-line QuerySyntaxError from luqum's message (which speaks of the escaped text)."""
    msg = str(exc)
    if "unexpected end" in msg:
        words = q.split()
        after = f" after {words[-1]!r}" if words else ""
        return QuerySyntaxError(f"query error at {len(q)}: unexpected end of query{after}", len(q))
    m = _ILLEGAL.search(msg) if isinstance(exc, IllegalCharacterError) else _UNEXPECTED.search(msg)
    if m:
        pos = where(int(m[2]))
        assert pos is not None
        token = m[1] or (q[pos] if pos < len(q) else "")
        if isinstance(exc, IllegalCharacterError):
            token = q[pos] if pos < len(q) else token
            return QuerySyntaxError(f"query error at {pos}: illegal character {token!r}", pos)
        return QuerySyntaxError(f"query error at {pos}: unexpected {token!r}", pos)
    return QuerySyntaxError("query error: " + " ".join(msg.split()), None)


def _has_content(value: str) -> bool:
    return any(ch.isalnum() for ch in value)


class _Validator:
    """Walks the raw tree and raises QuerySyntaxError at the first thing no backend can run."""

    def __init__(self, where: _Positions) -> None:
        self.where = where

    def error(self, message: str, node: Item) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.where(node.pos))

    def check(self, node: Item, field: str | None, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise self.error("query is nested too deeply", node)
        kind = FIELDS.get(field) if field else None
        if isinstance(node, SearchField):
            if field is not None:
                raise self.error(f"field {node.name!r} inside field {field!r} is not allowed", node)
            if node.name not in FIELDS:
                raise self.error(f"unknown field {node.name!r} (fields: {', '.join(FIELDS)})", node)
            self.check(node.expr, node.name, depth + 1)
        elif isinstance(node, Range | OpenRange):
            if kind != "date":
                hint = f"not on {field!r}" if field else "e.g. published:[2022-10-01 TO 2022-10-31]"
                raise self.error(f"ranges only work on published ({hint})", node)
            self.check_date(node)
        elif isinstance(node, Fuzzy):
            raise self.error(
                f"fuzzy search ({str(node).strip()!r}) is not supported; try a wildcard such as Poet*", node
            )
        elif isinstance(node, Regex):
            raise self.error("regular expressions (/…/) are not supported; use the wildcards * and ?", node)
        elif isinstance(node, Proximity):
            if kind == "date":
                raise self.error("published takes a date or a range, not a phrase with ~", node)
            self.check(node.term, field, depth + 1)
        elif isinstance(node, Boost):
            self.check(node.expr, field, depth + 1)
        elif isinstance(node, BaseGroup | Unary):
            # Group, FieldGroup, NOT, -term, +term
            for child in node.children:
                self.check(child, field, depth + 1)
        elif isinstance(node, BaseOperation):
            for child in node.children:
                self.check(child, field, depth + 1)
        elif isinstance(node, Word | Phrase):
            self.check_term(node, field, kind)
        else:  # pragma: no cover - luqum has no other node types the grammar produces
            raise self.error(f"unsupported query part {str(node).strip()!r}", node)

    def check_term(self, node: Word | Phrase, field: str | None, kind: str | None) -> None:
        value = term_text(node)
        if kind == "date":
            self.check_date(node)
            return
        if isinstance(node, Phrase):
            if not value.strip():
                raise self.error("empty phrase", node)
            if not _has_content(value):
                raise self.error(f"nothing to search for in {node.value!r}", node)
            return
        if node.value in ("&&", "||"):
            raise self.error(f"use {'AND' if node.value == '&&' else 'OR'} instead of {node.value!r}", node)
        if is_match_all(node):
            return
        if not _has_content(value):
            raise self.error(f"nothing to search for in {value!r}", node)

    def check_date(self, node: Item) -> None:
        try:
            date_range(node)
        except QuerySyntaxError as err:
            raise QuerySyntaxError(err.message, self.where(err.position)) from None


def parse_query(q: str) -> ParsedQuery:
    """Parse and validate a query; raises :class:`QuerySyntaxError` with a one-line message."""
    if not isinstance(q, str) or not q.strip():
        raise QuerySyntaxError("empty query", 0)
    if len(q) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query is too long ({len(q)} characters, at most {MAX_QUERY_CHARS})", None)
    _check_brackets(q)
    escaped, where = _escape_datetimes(q)
    try:
        with _PARSE_LOCK:
            tree = luqum_parser.parser.parse(escaped, lexer=_LEXER)
    except ParseError as exc:
        raise _syntax_error(q, exc, where) from None
    except RecursionError:
        raise QuerySyntaxError("query is nested too deeply", None) from None
    if tree is None:  # pragma: no cover - defensive: luqum returns None only for empty input
        raise QuerySyntaxError("empty query", 0)
    _Validator(where).check(tree, None)
    # Make the implicit operator explicit so every backend reads ``a b`` the same: a AND b.
    tree = UnknownOperationResolver(resolve_to=AndOperation)(tree)
    return ParsedQuery(text=q, tree=tree)


def caret(q: str, err: QuerySyntaxError) -> str:
    """The error message, then the query with a caret under the offending position::

    query error at 7: unexpected ')'
      Poetin)
            ^
    """
    if err.position is None:
        return str(err)
    # Keep columns aligned: newlines and tabs in the query shown as single spaces.
    shown = "".join(" " if ch in "\t\r\n" else ch for ch in q)
    pos = max(0, min(err.position, len(shown)))
    return f"{err}\n  {shown}\n  {' ' * pos}^"
