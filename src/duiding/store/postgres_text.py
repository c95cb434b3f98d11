"""How the PostgreSQL backend reads text: with the embedded index's own analyzers, in Python.

PostgreSQL's built-in ``dutch`` configuration stems with another version of the Snowball Dutch algorithm
than tantivy's (rust-stemmers): ``bruggen`` becomes ``brugg`` there and ``brug`` here, and ``regering``,
``gelopen``, ``minister`` and many more words come out otherwise too. One query language must give one
answer on both backends, so PostgreSQL gets no say in what a word is: every word is analysed here by
:func:`duiding.search.index.text_analyzer` (tantivy's simple tokenizer, words of 40 bytes and more
dropped, lowercase, ASCII folding, the Dutch stemmer), and the terms go into the ``tsvector`` columns as
literals (:func:`vectors`), which is what the ``simple`` configuration would make of them, without
PostgreSQL's parser re-splitting tantivy's terms. Queries are translated with the same analysis
(:mod:`duiding.store.postgres_query`), and snippets are highlighted here too (:func:`snippet`):
``ts_headline`` cannot know the stems. What PostgreSQL still does is its own: the GIN indexes, the
matching of ``tsquery`` against ``tsvector`` and the ranking (``ts_rank_cd``).

Words are split in Python as tantivy splits them, into runs of letters and digits (:func:`words`), and
each word is analysed once per process (:func:`term`, an LRU cache): news text repeats its words, so
stemming costs an ingest little. Python and tantivy agree on which characters are letters and digits
except for some marks and symbols (combining vowel signs of other scripts, circled letters): a text with
any character outside a safe set (:data:`_UNSAFE`) is split by tantivy's tokenizer itself instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache

import tantivy

from duiding.search.index import _article_start, _build, _pieces, text_analyzer

_WORD = re.compile(r"[^\W_]+")
#: A character on which Python's ``str.isalnum`` and tantivy's tokenizer (Rust's ``char::is_alphanumeric``)
#: might disagree: anything but word characters, whitespace, ASCII and common punctuation and symbols.
#: (Every character Python counts as a letter or digit tantivy does too; the reverse fails only on
#: characters this matches: checked over all of Unicode with tantivy-py 0.27 and Python 3.11.)
_UNSAFE = re.compile(r"[^\w\s\x00-\x7f\u00a0-\u00bf\u00d7\u00f7\u2000-\u206f\u20a0-\u20cf]")

MAX_POSITION = 16383  # PostgreSQL's limit on positions in a tsvector
MAX_POSITIONS = 256  # and on positions per lexeme
VALUE_GAP = 1  # empty positions between two values of one field (tantivy's POSITION_GAP)
# tsvector bytes for each part of ``search``/``exact`` (the whole may not pass 1 MB): see vectors()
TITLE_BUDGET, TEXT_BUDGET, QUOTE_BUDGET = 100_000, 600_000, 250_000
#: Words whose analysis a process keeps (a few tens of MB).
TERM_CACHE = 1 << 17


@cache
def _stemmed() -> tantivy.TextAnalyzer:
    return text_analyzer()


@cache
def _unstemmed() -> tantivy.TextAnalyzer:
    return text_analyzer(stem=False)


@cache
def _splitter() -> tantivy.TextAnalyzer:
    """tantivy's simple tokenizer alone: the words, their positions and offsets."""
    return _build(tantivy.Tokenizer.simple())


#: One word as tantivy indexes it: ``(unstemmed, stem, unstemmed lexeme, stem lexeme)``, the lexemes
#: quoted for a tsvector literal (:func:`lexeme`).
Term = tuple[str, str, str, str]


@lru_cache(maxsize=TERM_CACHE)
def term(word: str) -> Term | None:
    """The terms tantivy indexes one word as (:data:`Term`); None when it drops the word (too long)."""
    exact = _unstemmed().analyze(word)
    if not exact:
        return None
    stems = _stemmed().analyze(word)
    stem = stems[0] if stems else exact[0]
    return exact[0], stem, lexeme(exact[0]), lexeme(stem)


def _spans(text: str) -> Iterable[tuple[int, int, int, str]]:
    """``(position, start, end, word)`` for every word of ``text`` (str offsets), as tantivy splits it."""
    if _UNSAFE.search(text) is None:
        for position, m in enumerate(_WORD.finditer(text)):
            yield position, m.start(), m.end(), m.group()
        return
    for t in _splitter().pre_tokenize(text).tokens:
        yield t.position, t.char_offset_from, t.char_offset_to, text[t.char_offset_from : t.char_offset_to]


def words(text: str) -> list[str]:
    """The words of ``text`` as the embedded index's tokenizer splits it: runs of letters and digits.

    PostgreSQL's own parser would read ``Noord-Oekraïne`` or ``nos.nl`` as one token (and its parts).
    """
    if _UNSAFE.search(text) is None:
        return _WORD.findall(text)
    return [word for _, _, _, word in _spans(text)]


def _analysed(text: str) -> Iterable[tuple[int, Term | None]]:
    """Each word's position and terms (None: dropped)."""
    if _UNSAFE.search(text) is None:
        return enumerate(map(term, _WORD.findall(text)))
    return ((position, term(word)) for position, _, _, word in _spans(text))


def terms(text: str) -> list[tuple[int, str, str]]:
    """``(position, unstemmed, stemmed)`` of each word tantivy indexes, positions counted from 0 with the
    dropped words' positions left empty, as tantivy counts them."""
    return [(position, t[0], t[1]) for position, t in _analysed(text) if t is not None]


def stems(text: str) -> list[str]:
    """The stemmed terms of ``text`` (what ``text_analyzer().analyze(text)`` gives)."""
    return [t[1] for _, t in _analysed(text) if t is not None]


def lexeme(word: str, weights: str = "", prefix: bool = False) -> str:
    """One quoted lexeme for a tsvector or tsquery literal (quotes and backslashes escaped)."""
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    flags = ("*" if prefix else "") + weights
    return f"{quoted}:{flags}" if flags else quoted


def vectors(title: str, text: str, quotes: Sequence[str]) -> tuple[str, str, list[str]]:
    """An article's ``search`` (stemmed) and ``exact`` (unstemmed) tsvector literals, and its distinct
    unstemmed words (for the ``words`` vocabulary).

    Weights: title ``A``, text ``B``, quotes ``C``. Positions in ``search`` follow tantivy's, for phrases:
    counted from each field's start (one field after the other, so that no phrase runs from one into the
    next: their weights differ), a dropped word leaving its position empty, and one empty position between
    two quotes, as between two values of tantivy's multi-valued ``quote`` field. ``exact`` serves wildcards
    only, which match word by word: it keeps each word's first position in each field, for its weight (and
    so ranks a wildcard's hits by field, not by how often the word occurs: tantivy scores them alike).

    A tsvector holds at most 1 MB: a word costs about its bytes plus 8 (entry and position), and each field
    keeps the words that fit its budget (:data:`TEXT_BUDGET`: some 40,000 words, far beyond a news
    article); a giant record is indexed from its start instead of failing its batch. (PostgreSQL merges a
    lexeme listed once per field into one, keeps its first :data:`MAX_POSITIONS` positions and caps them at
    :data:`MAX_POSITION`.)
    """
    search: list[str] = []
    exact: list[str] = []
    vocabulary: dict[str, None] = {}
    last = 0  # the last position used so far: the next field's positions follow it
    for weight, values, budget in (
        ("A", (title,), TITLE_BUDGET),
        ("B", (text,), TEXT_BUDGET),
        ("C", quotes, QUOTE_BUDGET),
    ):
        by_term, last = _field(values, last, budget)
        if not by_term:
            continue
        by_stem: dict[str, list[int]] = {}
        for t, positions in by_term.items():
            exact.append(f"{t[2]}:{min(positions)}{weight}")
            vocabulary[t[0]] = None
            found = by_stem.get(t[3])
            if found is None:
                by_stem[t[3]] = positions
            else:
                found += positions
        join = (weight + ",").join  # 'lexeme':1A,5A: each position with the field's weight
        for lex, positions in by_stem.items():
            if len(positions) > MAX_POSITIONS:
                positions = sorted(positions)[:MAX_POSITIONS]
            search.append(f"{lex}:{join(map(str, positions))}{weight}")
    return " ".join(search), " ".join(exact), list(vocabulary)


def _field(values: Sequence[str], last: int, budget: int) -> tuple[dict[Term, list[int]], int]:
    """The positions of each term of a field's values (after position ``last``), and the last one used."""
    by_term: dict[Term, list[int]] = {}
    offset = last
    base = 0  # where the next value starts, in tantivy's positions of the field (from 0)
    # A word costs at most 4.5 times its bytes (one letter and a separator: 9), 18 times its characters.
    if 18 * sum(len(value) for value in values) > budget:
        return _bounded_field(values, last, budget)
    for value in values:
        found = words(value)
        by_word: dict[str, list[int]] = defaultdict(list)
        for position, word in enumerate(found, offset + base + 1):
            by_word[word].append(position)
        end = base
        for i in range(len(found) - 1, -1, -1):  # after the last word kept
            if term(found[i]) is not None:
                end = base + i + 1
                last = min(offset + end, MAX_POSITION)
                break
        for word, positions in by_word.items():
            t = term(word)
            if t is not None:
                known = by_term.get(t)
                if known is None:
                    by_term[t] = positions
                else:  # another spelling of the word: "De" and "de"
                    known += positions
        base = end + VALUE_GAP
    return by_term, last


def _bounded_field(values: Sequence[str], last: int, budget: int) -> tuple[dict[Term, list[int]], int]:
    """:func:`_field` word by word, until the words have cost ``budget`` bytes."""
    by_term: dict[Term, list[int]] = defaultdict(list)
    offset = last
    base = 0
    for value in values:
        end = base
        for position, t in _analysed(value):
            if t is None:
                continue
            budget -= len(t[0].encode("utf-8")) + 8
            if budget < 0:
                return by_term, last
            by_term[t].append(offset + base + position + 1)
            end = base + position + 1
            last = min(offset + end, MAX_POSITION)
        base = end + VALUE_GAP
    return by_term, last


# --- snippets --------------------------------------------------------------------------------------------


class _Span:
    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end


class _Snippet:
    """What :func:`duiding.search.index._pieces` reads of a tantivy snippet (UTF-8 byte offsets)."""

    def __init__(self, span: _Span, text: str) -> None:
        self.span, self.text = span, text

    def fragment_range(self) -> _Span:
        return self.span

    def fragment(self) -> str:
        return self.text


def snippet(text: str, highlight: set[str], max_chars: int = 200) -> list[tuple[str, bool]]:
    """The best passage of ``text`` as ``(fragment, highlighted?)`` pieces, chosen as the embedded index
    chooses it: the words whose stem is one of ``highlight`` are marked, the text is cut into windows of
    at most ``max_chars * 3 / 4`` bytes, word by word; the window with the most marked words wins (the
    first of equals), with some context before it. Without any marked word, the text's start."""
    if not highlight:
        return _article_start(text, max_chars)
    limit = max(1, max_chars * 3 // 4)
    # The words tantivy's snippets count (the dropped ones are not), with UTF-8 byte offsets.
    windows: list[tuple[int, int, list[tuple[int, int]]]] = []
    window_start, window_stop = 0, 0
    hits: list[tuple[int, int]] = []
    byte_at, char_at = 0, 0
    for _, start_char, end_char, word in _spans(text):
        analysed = term(word)
        if analysed is None:
            continue
        piece = text[char_at:start_char]
        byte_at += len(piece) if piece.isascii() else len(piece.encode("utf-8"))
        start = byte_at
        byte_at += len(word) if word.isascii() else len(word.encode("utf-8"))
        char_at = end_char
        stop = byte_at
        # The embedded index's windows: a new one starts at the word that would make the current one
        # too long.
        if stop - window_start > limit:
            if hits:
                windows.append((window_start, window_stop, hits))
            window_start, hits = start, []
        window_stop = stop
        if analysed[1] in highlight:
            hits.append((start, stop))
    if hits:
        windows.append((window_start, window_stop, hits))
    if not windows:
        return _article_start(text, max_chars)
    best = windows[0]
    for window in windows[1:]:
        if len(window[2]) > len(best[2]):
            best = window
    start, stop, marked = best
    fragment = text.encode("utf-8")[start:stop].decode("utf-8", errors="ignore")
    ranges = [_Span(a - start, b - start) for a, b in marked]
    return _pieces(text, _Snippet(_Span(start, stop), fragment), ranges, max_chars)  # type: ignore[arg-type]
