"""The tantivy full-text index: a rebuildable secondary index over the SQLite store.

Documents are keyed by the store's integer ``seq`` and hold no article text (only ``seq`` is
stored); the caller maps hits back to articles and passes text in for snippets. The schema version
lives in ``duiding-index.json`` inside the index directory; when it differs from
:data:`SCHEMA_VERSION`, the index is recreated empty and :attr:`SearchIndex.needs_rebuild` is set.

Translation from a :class:`~duiding.search.query.ParsedQuery` to tantivy queries is done here by
walking the luqum tree (not with tantivy's own query parser), so every backend reads the same syntax.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import tantivy
from luqum.tree import (
    AndOperation,
    BaseGroup,
    Boost,
    Item,
    Not,
    OpenRange,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    Proximity,
    Range,
    SearchField,
    Word,
)

from duiding.model import Article
from duiding.nlp import speakers
from duiding.nlp.normalize import name_search_text
from duiding.search.query import (
    DEFAULT_FIELDS,
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

__all__ = ["SCHEMA_VERSION", "SearchIndex", "local_day", "text_analyzer"]

#: Bump when fields or analyzers change: existing indexes are then recreated and rebuilt.
SCHEMA_VERSION = 4  # 2: person, org, location; 3: speaker, quote; 4: cluster (for --collapse)
VERSION_FILE = "duiding-index.json"

WRITER_HEAP = 128_000_000
TITLE_BOOST = 2.0
MAX_WILDCARD_EXPANSIONS = 50  # wildcard terms looked up to highlight in snippets

# Analyzer names, registered on every open (tantivy does not persist tokenizers).
NL = "duiding_nl"  # simple → remove_long(40) → lowercase → ascii_fold → Dutch stemmer
NL_EXACT = "duiding_nl_exact"  # the same without stemming: wildcards match whole words
KEYWORD = "duiding_keyword"  # the whole value, lowercased and ascii-folded
URL = "duiding_url"  # the URL's words, lowercased
NAME = "duiding_name"  # entity and speaker names, already normalised to their search words in Python

# Unfielded terms search these fields; a title hit counts double.
DEFAULT_BOOSTS = [(name, TITLE_BOOST if name == "title" else 1.0) for name in DEFAULT_FIELDS]
KEYWORD_FIELDS = tuple(name for name, kind in FIELDS.items() if kind == "keyword")
EXACT = {"title": "title_exact", "text": "text_exact", "quote": "quote_exact"}


def _build(tokenizer: tantivy.Tokenizer, *filters: tantivy.Filter) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tokenizer)
    for f in filters:
        builder = builder.filter(f)
    return builder.build()


def text_analyzer(stem: bool = True) -> tantivy.TextAnalyzer:
    """The analyzer of the text fields (:data:`NL`): tantivy's simple tokenizer (runs of letters and
    digits), words of 40 bytes and more dropped (their positions left empty), lowercase, ASCII folding and
    tantivy's Dutch Snowball stemmer (rust-stemmers); without ``stem`` the unstemmed one of the
    ``*_exact`` fields (:data:`NL_EXACT`). The PostgreSQL backend analyses words with these very analyzers
    (:mod:`duiding.store.postgres_text`), so both backends index and search the same terms."""
    filters = [tantivy.Filter.remove_long(40), tantivy.Filter.lowercase(), tantivy.Filter.ascii_fold()]
    if stem:
        filters.append(tantivy.Filter.stemmer("dutch"))
    return _build(tantivy.Tokenizer.simple(), *filters)


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    lower, fold = tantivy.Filter.lowercase, tantivy.Filter.ascii_fold
    return {
        NL: text_analyzer(),
        NL_EXACT: text_analyzer(stem=False),
        KEYWORD: _build(tantivy.Tokenizer.raw(), lower(), fold()),
        URL: _build(tantivy.Tokenizer.simple(), lower()),
        NAME: _build(tantivy.Tokenizer.whitespace()),
    }


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("seq", stored=True, indexed=True, fast=True)
    sb.add_text_field("title", tokenizer_name=NL)
    sb.add_text_field("text", tokenizer_name=NL)
    sb.add_text_field("quote", tokenizer_name=NL)
    sb.add_text_field("title_exact", tokenizer_name=NL_EXACT, index_option="freq")
    sb.add_text_field("text_exact", tokenizer_name=NL_EXACT, index_option="freq")
    sb.add_text_field("quote_exact", tokenizer_name=NL_EXACT, index_option="freq")
    for name in KEYWORD_FIELDS:
        sb.add_text_field(name, tokenizer_name=KEYWORD, index_option="freq")
    sb.add_text_field("url", tokenizer_name=URL)
    for name in ENTITY_FIELDS:
        sb.add_text_field(name, tokenizer_name=NAME)
    sb.add_text_field("speaker", tokenizer_name=NAME)
    sb.add_date_field("published", indexed=True, fast=True)
    sb.add_integer_field("day", indexed=True, fast=True)
    sb.add_integer_field("cluster", indexed=False, fast=True)  # cluster_key(): one hit per cluster
    return sb.build()


def _entity_values(article: Article) -> dict[str, list[str]]:
    """The search text of each entity field: every distinct canonical name, normalised.

    A country's adjectives (``Belarussische``: MISC, linked to the country) count for ``location``.
    """
    fields = {label: field for field, label in ENTITY_FIELDS.items()}
    values: dict[str, dict[str, None]] = {}
    for m in article.entities:
        label = "LOC" if m.label == "MISC" and (m.entity_id or "").startswith("loc-") else m.label
        field = fields.get(label)
        if field:
            key = name_search_text(label, m.canonical or m.text)
            if key:
                values.setdefault(field, {})[key] = None
    return {field: list(keys) for field, keys in values.items()}


def _speaker_values(article: Article) -> list[str]:
    """The search text of ``speaker``: each quoted source's names as words, and its entity id."""
    return list(dict.fromkeys(term for q in article.quotes for term in speakers.quote_terms(q)))


def cluster_key(article: Article) -> int:
    """The article's duplicate cluster as a signed 64-bit number (its own id when it has none yet)."""
    name = article.cluster_id or article.id
    return int.from_bytes(
        hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little", signed=True
    )


def local_day(published: datetime) -> int:
    """``YYYYMMDD`` of the article's calendar date in its own UTC offset (what date-only queries match)."""
    return _day_number(published.date())


def _day_number(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _keyword_value(value: str) -> str:
    return " ".join(value.split())


# Rust regex metacharacters; everything else in a (folded) literal stands for itself.
_REGEX_META = re.compile(r"([\\.+*?()|\[\]{}^$#&\-~])")


def _regex_escape(text: str) -> str:
    return _REGEX_META.sub(r"\\\1", text)


class IndexLockedError(RuntimeError):
    """Another process holds the index writer."""


class _Translator:
    """Turns a validated luqum tree into a tantivy query (None where a part matches no words)."""

    def __init__(self, schema: tantivy.Schema, analyzers: dict[str, tantivy.TextAnalyzer]) -> None:
        self.schema = schema
        self.an = analyzers

    # -- structure ---------------------------------------------------------------------------

    def query(self, tree: Item) -> tantivy.Query:
        q = self.node(tree, None)
        return q if q is not None else tantivy.Query.empty_query()

    def node(self, node: Item, field: str | None) -> tantivy.Query | None:
        if isinstance(node, SearchField):
            return self.node(node.expr, node.name)
        if isinstance(node, BaseGroup):
            return self.node(node.expr, field)
        if isinstance(node, AndOperation | OrOperation):
            return self.boolean(node, field)
        if isinstance(node, Not | Prohibit):
            inner = self.node(node.a, field)
            if inner is None:
                return None
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, inner)]
            )
        if isinstance(node, Plus):
            return self.node(node.a, field)
        if isinstance(node, Boost):
            inner = self.node(node.expr, field)
            return None if inner is None else tantivy.Query.boost_query(inner, float(node.force))
        if field is not None and FIELDS[field] == "date":
            return self.dates(date_range(node))
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

    def boolean(self, node: AndOperation | OrOperation, field: str | None) -> tantivy.Query | None:
        positive = tantivy.Occur.Must if isinstance(node, AndOperation) else tantivy.Occur.Should
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for child in node.children:
            if isinstance(child, Plus):
                occur, q = tantivy.Occur.Must, self.node(child.a, field)
            elif isinstance(child, Not | Prohibit) and positive == tantivy.Occur.Must:
                occur, q = tantivy.Occur.MustNot, self.node(child.a, field)
            else:
                # Inside OR a negation is its own alternative ("all but x"), as the logic reads.
                occur, q = positive, self.node(child, field)
            if q is not None:
                clauses.append((occur, q))
        if not clauses:
            return None
        if all(occur == tantivy.Occur.MustNot for occur, _ in clauses):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        if len(clauses) == 1 and clauses[0][0] != tantivy.Occur.MustNot:
            return clauses[0][1]
        return tantivy.Query.boolean_query(clauses)

    # -- leaves ------------------------------------------------------------------------------

    def _either(
        self, per_field: list[tuple[str, float]], make: Callable[[str], tantivy.Query | None]
    ) -> tantivy.Query | None:
        """OR of ``make(field)`` over fields, each boosted; used for unfielded terms."""
        subs: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for name, boost in per_field:
            q = make(name)
            if q is None:
                continue
            subs.append((tantivy.Occur.Should, q if boost == 1.0 else tantivy.Query.boost_query(q, boost)))
        if not subs:
            return None
        return subs[0][1] if len(subs) == 1 else tantivy.Query.boolean_query(subs)

    def words(self, text: str, field: str | None, slop: int) -> tantivy.Query | None:
        """A term or phrase, analysed like the field it searches."""
        if field is None:
            return self._either(DEFAULT_BOOSTS, lambda f: self.words(text, f, slop))
        kind = FIELDS[field]
        if kind == "keyword":
            tokens = self.an[KEYWORD].analyze(_keyword_value(text))
            return tantivy.Query.term_query(self.schema, field, tokens[0]) if tokens else None
        if kind == "speaker":
            return self.speaker(text, field, slop)
        if kind == "entity":
            text = name_search_text(ENTITY_FIELDS[field], text)
        analyzer = self.an[NL if kind == "text" else NAME if kind == "entity" else URL]
        # Keep the analyzer's positions, so a dropped (over-long) word leaves its gap in a phrase.
        tokens = analyzer.pre_tokenize(text).tokens
        if not tokens:
            return None
        if len(tokens) == 1:
            return tantivy.Query.term_query(self.schema, field, tokens[0].text)
        first = tokens[0].position
        words: list[str | tuple[int, str]] = [(t.position - first, t.text) for t in tokens]
        return tantivy.Query.phrase_query(self.schema, field, words, slop=slop)

    def speaker(self, name: str, field: str, slop: int) -> tantivy.Query | None:
        """Any of the name's search forms as a run of words of a source's name, or its entity ids."""
        subs: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for form in speakers.forms(name):
            words = form.split()
            if len(words) == 1:
                q = tantivy.Query.term_query(self.schema, field, words[0])
            else:
                q = tantivy.Query.phrase_query(self.schema, field, words, slop=slop)
            subs.append((tantivy.Occur.Should, q))
        for eid in speakers.entity_ids(name):
            subs.append((tantivy.Occur.Should, tantivy.Query.term_query(self.schema, field, eid)))
        if not subs:
            return None
        return subs[0][1] if len(subs) == 1 else tantivy.Query.boolean_query(subs)

    def match_all(self, field: str | None) -> tantivy.Query:
        if field is None:
            return tantivy.Query.all_query()
        # Every document with a value in the field (title and text always have one).
        return tantivy.Query.regex_query(self.schema, EXACT.get(field, field), ".*")

    def wildcard_regexes(self, parts: tuple[str | Wild, ...], field: str) -> list[tuple[str, str]]:
        """``(literal prefix, regex)`` over the field's indexed words, one per word the pattern spans.

        Text and URL fields are split into words, so ``Noord-Oek*`` becomes ``noord`` and ``oek.*``;
        keyword fields hold the whole value, so the pattern stays one regex. Literals are folded the
        way the field was indexed (lowercase, and ascii-folded except for URLs).
        """
        kind = FIELDS[field]
        pieces: list[list[str | Wild]] = [[]]
        for part in parts:
            if isinstance(part, Wild):
                pieces[-1].append(part)
                continue
            folded = part.lower() if kind == "url" else "".join(self.an[KEYWORD].analyze(part))
            if kind == "keyword":
                pieces[-1].append(folded)
                continue
            # A word boundary in the literal starts the next word's pattern.
            for i, chunk in enumerate(re.split(r"[\W_]", folded)):
                if i > 0:
                    pieces.append([])
                if chunk:
                    pieces[-1].append(chunk)
        out: list[tuple[str, str]] = []
        wild_only: list[tuple[str, str]] = []
        for piece in pieces:
            if not piece:
                continue
            prefix = ""
            for p in piece:
                if isinstance(p, Wild):
                    break
                prefix += p
            regex = "".join(
                (".*" if p is Wild.ANY else ".") if isinstance(p, Wild) else _regex_escape(p) for p in piece
            )
            # Pieces that are only wildcards match any word: dropped unless nothing else is left.
            (out if any(isinstance(p, str) for p in piece) else wild_only).append((prefix, regex))
        return out or wild_only[:1]

    def wildcard(self, parts: tuple[str | Wild, ...], field: str | None) -> tantivy.Query | None:
        """Wildcards run as regex queries on the unstemmed ``*_exact`` fields (or the keyword/url field)."""
        if field is None:
            return self._either(DEFAULT_BOOSTS, lambda f: self.wildcard(parts, f))
        target = EXACT.get(field, field)
        regexes = [rx for _, rx in self.wildcard_regexes(parts, field)]
        subs = [tantivy.Query.regex_query(self.schema, target, rx) for rx in regexes]
        if not subs:
            return None
        if len(subs) == 1:
            return subs[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in subs])

    def dates(self, rng: DateRange) -> tantivy.Query:
        """Day bounds on ``day`` (local calendar date), instant bounds on ``published`` (UTC)."""
        subs: list[tantivy.Query] = []
        if rng.min_day is not None or rng.max_day is not None:
            subs.append(
                tantivy.Query.range_query(
                    self.schema,
                    "day",
                    tantivy.FieldType.Integer,
                    _day_number(rng.min_day) if rng.min_day else None,
                    _day_number(rng.max_day) if rng.max_day else None,
                )
            )
        if rng.since is not None or rng.before is not None:
            subs.append(
                tantivy.Query.range_query(
                    self.schema,
                    "published",
                    tantivy.FieldType.Date,
                    rng.since,
                    rng.before,
                    include_lower=True,
                    include_upper=rng.before is None,  # tantivy wants open ends marked inclusive
                )
            )
        if not subs:  # published:* : any article with a date
            subs.append(tantivy.Query.range_query(self.schema, "day", tantivy.FieldType.Integer, 0, None))
        if len(subs) == 1:
            return subs[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in subs])


def _positive_leaves(node: Item, field: str | None) -> Iterator[tuple[Item, str | None]]:
    """Terms, phrases and wildcards a hit should contain (not those under NOT/-), with their field."""
    if isinstance(node, Not | Prohibit):
        return
    if isinstance(node, SearchField):
        yield from _positive_leaves(node.expr, node.name)
    elif isinstance(node, Range | OpenRange):
        return
    elif isinstance(node, Proximity):
        yield node.term, field
    elif isinstance(node, Word | Phrase):
        yield node, field
    else:
        for child in node.children:
            yield from _positive_leaves(child, field)


class SearchIndex:
    """A tantivy index in ``path``; opened or created, recreated empty when its schema version is stale."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.needs_rebuild = False
        self._analyzers = _analyzers()
        self._writer: tantivy.IndexWriter | None = None
        self._dirty = False
        self._index = self._open()
        self.schema = self._index.schema
        for name, analyzer in self._analyzers.items():
            self._index.register_tokenizer(name, analyzer)
        self._translator = _Translator(self.schema, self._analyzers)

    # -- opening -----------------------------------------------------------------------------

    @property
    def _version_path(self) -> Path:
        return self.path / VERSION_FILE

    def _stored_version(self) -> int | None:
        try:
            data = json.loads(self._version_path.read_text(encoding="utf-8"))
            return int(data["schema_version"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _open(self) -> tantivy.Index:
        if self._stored_version() == SCHEMA_VERSION and tantivy.Index.exists(str(self.path)):
            try:
                index = tantivy.Index.open(str(self.path))
                return index
            except (ValueError, OSError):
                pass  # unreadable: recreate below
        return self._recreate()

    def _recreate(self) -> tantivy.Index:
        """Remove the old index's files (only tantivy's own) and create an empty index."""
        self._version_path.unlink(missing_ok=True)
        managed = self.path / ".managed.json"
        try:
            names = json.loads(managed.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            names = []
        for name in [*names, "meta.json", ".managed.json"]:
            if isinstance(name, str) and "/" not in name and name not in ("", ".", ".."):
                (self.path / name).unlink(missing_ok=True)
        self.needs_rebuild = True
        index = tantivy.Index(_schema(), path=str(self.path), reuse=False)
        # Written at once, so that another process opening the archive meanwhile (a search during the
        # first ingest) opens this index instead of recreating it under the writer. Which documents it
        # lacks is the caller's to track: the embedded store marks every row unindexed on needs_rebuild.
        tmp = self._version_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION}) + "\n", encoding="utf-8")
        os.replace(tmp, self._version_path)
        return index

    # -- writing -----------------------------------------------------------------------------

    def _w(self) -> tantivy.IndexWriter:
        """The one writer, opened on first use (tantivy allows one per index, across processes)."""
        if self._writer is None:
            try:
                self._writer = self._index.writer(
                    heap_size=WRITER_HEAP, num_threads=min(2, os.cpu_count() or 1)
                )
            except ValueError as e:
                if "lock" in str(e).lower():
                    raise IndexLockedError(
                        f"search index {self.path} is locked by another writer "
                        "(another duiding ingest or reindex is running on this archive)"
                    ) from e
                raise
        return self._writer

    def add(self, seq: int, article: Article) -> None:
        """Index an article under ``seq``, replacing any document already there (after commit)."""
        doc = tantivy.Document()
        doc.add_integer("seq", seq)
        doc.add_text("title", article.title)
        doc.add_text("title_exact", article.title)
        doc.add_text("text", article.text)
        doc.add_text("text_exact", article.text)
        for name in KEYWORD_FIELDS:
            value = getattr(article, name)
            if value and value.strip():
                doc.add_text(name, _keyword_value(value))
        for field, values in _entity_values(article).items():
            for value in values:
                doc.add_text(field, value)
        for value in _speaker_values(article):
            doc.add_text("speaker", value)
        for quote in article.quotes:
            doc.add_text("quote", quote.text)
            doc.add_text("quote_exact", quote.text)
        urls = [u for u in (article.url, article.canonical_url) if u]
        for u in dict.fromkeys(urls):
            doc.add_text("url", u)
        if article.published is not None:
            doc.add_date("published", article.published.astimezone(UTC))
            doc.add_integer("day", local_day(article.published))
        doc.add_integer("cluster", cluster_key(article))
        writer = self._w()
        writer.delete_documents_by_term("seq", seq)
        writer.add_document(doc)
        self._dirty = True

    def delete(self, seq: int) -> None:
        self._w().delete_documents_by_term("seq", seq)
        self._dirty = True

    def delete_all(self) -> None:
        self._w().delete_all_documents()
        self._dirty = True

    def commit(self) -> None:
        """Make changes durable and visible to :meth:`search`."""
        if self._writer is not None and self._dirty:
            self._writer.commit()
            self._dirty = False
        self.reload()

    def reload(self) -> None:
        """Make the latest commit visible now (the reader also follows commits by itself, shortly after)."""
        self._index.reload()

    @property
    def _searcher(self) -> tantivy.Searcher:
        # One reader lives as long as this object and keeps one searcher per commit generation;
        # index.searcher() hands out that current searcher (an Arc clone, ~0.1 µs), so nothing is
        # reopened per query, and commits by other processes (e.g. an ingest run) still show up.
        return self._index.searcher()

    def close(self) -> None:
        """Commit pending changes and release the writer lock."""
        if self._writer is not None:
            if self._dirty:
                self.commit()
            self._writer.wait_merging_threads()  # consumes the writer, releasing its lock
            self._writer = None

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and self._writer is not None and self._dirty:
            self._writer.rollback()
            self._dirty = False
        self.close()

    # -- reading -----------------------------------------------------------------------------

    def num_docs(self) -> int:
        return self._searcher.num_docs

    def to_tantivy(self, query: ParsedQuery) -> tantivy.Query:
        return self._translator.query(query.tree)

    def search(
        self, query: ParsedQuery, limit: int = 10, offset: int = 0, collapse: bool = False
    ) -> tuple[list[tuple[int, float]], int]:
        """Up to ``limit`` hits from ``offset`` as ``(seq, bm25 score)``, best first, and the total count.

        With ``collapse``, only the best hit of each duplicate cluster counts, in hits and total alike.
        """
        if offset < 0:
            raise ValueError("offset must be >= 0")
        q = self.to_tantivy(query)
        if collapse:
            return self._collapsed(q, limit, offset)
        searcher = self._searcher
        result = searcher.search(q, max(limit, 1), count=True, offset=offset)
        total = result.count if result.count is not None else 0
        if limit <= 0 or not result.hits:
            return [], total
        seqs = searcher.fast_field_values("seq", [addr for _, addr in result.hits])
        pairs = zip(result.hits, seqs, strict=True)
        hits = [(int(seq), float(score)) for (score, _), seq in pairs if seq is not None]
        return hits, total

    def _collapsed(self, q: tantivy.Query, limit: int, offset: int) -> tuple[list[tuple[int, float]], int]:
        """Ranked hits, the first of each cluster only; the total is the number of clusters matched."""
        searcher = self._searcher
        if searcher.num_docs == 0:
            return [], 0
        want = offset + max(limit, 0)
        seen: set[object] = set()
        firsts: list[tuple[int, float]] = []
        fetched = 0
        page = max(4 * want, 100)
        while len(firsts) < want:
            result = searcher.search(q, page, count=False, offset=fetched)
            addrs = [addr for _, addr in result.hits]
            seqs = searcher.fast_field_values("seq", addrs)
            clusters = searcher.fast_field_values("cluster", addrs)
            for (score, _), seq, cluster in zip(result.hits, seqs, clusters, strict=True):
                if seq is None:
                    continue
                key = cluster if cluster is not None else ("seq", seq)
                if key not in seen:
                    seen.add(key)
                    firsts.append((int(seq), float(score)))
            fetched += len(result.hits)
            if len(result.hits) < page:
                break
            page *= 2
        # Every cluster among all matches, for the total (fast fields only, no scoring).
        everything = searcher.search(q, searcher.num_docs, count=False, order_by_field="seq")
        addrs = [addr for _, addr in everything.hits]
        keys = searcher.fast_field_values("cluster", addrs)
        total = len(
            {k if k is not None else ("seq", s) for k, (s, _) in zip(keys, everything.hits, strict=True)}
        )
        return firsts[offset:want], total

    def matching_within(self, query: ParsedQuery, seqs: Sequence[int]) -> list[int]:
        """Those of ``seqs`` whose documents ``query`` finds."""
        searcher = self._searcher
        if not seqs or searcher.num_docs == 0:
            return []
        within = tantivy.Query.term_set_query(self.schema, "seq", list(seqs))
        q = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, self.to_tantivy(query)), (tantivy.Occur.Must, within)]
        )
        result = searcher.search(q, len(seqs), count=False)
        found = searcher.fast_field_values("seq", [addr for _, addr in result.hits])
        return [int(seq) for seq in found if seq is not None]

    def matching_seqs(self, query: ParsedQuery) -> list[int]:
        """The ``seq`` of every document ``query`` finds, in no particular order."""
        searcher = self._searcher
        if searcher.num_docs == 0:
            return []
        result = searcher.search(self.to_tantivy(query), searcher.num_docs, count=False)
        seqs = searcher.fast_field_values("seq", [addr for _, addr in result.hits])
        return [int(seq) for seq in seqs if seq is not None]

    def iter_matching_seqs(self, query: ParsedQuery, chunk: int = 20_000) -> Iterator[list[int]]:
        """The ``seq`` of every document ``query`` finds, ascending, ``chunk`` at a time.

        Streams: each page asks for the next ``chunk`` seqs above the last one (ordered on the ``seq`` fast
        field, no scoring), so memory holds one page whatever the number of hits.
        """
        searcher = self._searcher
        if searcher.num_docs == 0:
            return
        base = self.to_tantivy(query)
        last: int | None = None
        while True:
            q = base
            if last is not None:
                after = tantivy.Query.range_query(
                    self.schema, "seq", tantivy.FieldType.Integer, last, None, include_lower=False
                )
                q = tantivy.Query.boolean_query([(tantivy.Occur.Must, base), (tantivy.Occur.Must, after)])
            result = searcher.search(q, chunk, count=False, order_by_field="seq", order=tantivy.Order.Asc)
            page = [int(seq) for seq, _ in result.hits]
            if not page:
                return
            yield page
            if len(page) < chunk:
                return
            last = page[-1]

    # -- snippets ----------------------------------------------------------------------------

    def _highlight_query(self, query: ParsedQuery) -> tantivy.Query | None:
        """Term queries on ``text`` for every word a hit should contain, wildcards expanded from the index."""
        nl = self._analyzers[NL]
        stems: dict[str, None] = {}
        for leaf, field in _positive_leaves(query.tree, None):
            if field is not None and FIELDS[field] != "text":
                continue
            if isinstance(leaf, Word) and not is_match_all(leaf) and (parts := wildcard_parts(leaf)):
                for word in self._expand(parts):
                    stems.update(dict.fromkeys(nl.analyze(word)))
            elif isinstance(leaf, Word | Phrase) and not is_match_all(leaf):
                stems.update(dict.fromkeys(nl.analyze(term_text(leaf))))
        if not stems:
            return None
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "text", s)) for s in stems]
        )

    def _expand(self, parts: tuple[str | Wild, ...]) -> list[str]:
        """Indexed words (``text_exact``) a wildcard matches, for highlighting; needs a literal prefix."""
        words: list[str] = []
        for prefix, rx in self._translator.wildcard_regexes(parts, "text"):
            if not prefix:
                continue
            pattern = re.compile(rx)
            candidates = self._searcher.terms_with_prefix("text_exact", prefix, limit=1000)
            words += [t for t, _ in candidates if pattern.fullmatch(t)][:MAX_WILDCARD_EXPANSIONS]
        return words

    def snippet(self, query: ParsedQuery, text: str, max_chars: int = 200) -> list[tuple[str, bool]]:
        """The best passage of ``text`` for ``query`` as ``(fragment, highlighted?)`` pieces.

        An ellipsis piece ``("…", False)`` marks text left out before or after. When no query word
        occurs in the text, the start of the text is returned unhighlighted.
        """
        hq = self._highlight_query(query)
        if hq is not None:
            generator = tantivy.SnippetGenerator.create(self._searcher, hq, self.schema, "text")
            # tantivy starts the fragment at the first highlighted word; leave room for some
            # context before it (added below).
            generator.set_max_num_chars(max(1, max_chars * 3 // 4))
            doc = tantivy.Document()
            doc.add_text("text", text)
            snip = generator.snippet_from_doc(doc)
            ranges = snip.highlighted()
            if ranges:
                return _pieces(text, snip, ranges, max_chars)
        return _article_start(text, max_chars)


def _pieces(
    text: str, snip: tantivy.Snippet, ranges: Sequence[Any], max_chars: int
) -> list[tuple[str, bool]]:
    """Split a snippet into plain and highlighted pieces, with some leading context and ellipses."""
    # tantivy's offsets count UTF-8 bytes; convert to str indices into ``text``.
    raw = text.encode("utf-8")
    span = snip.fragment_range()
    start = len(raw[: span.start].decode("utf-8", errors="ignore"))
    end = start + len(raw[span.start : span.end].decode("utf-8", errors="ignore"))
    fragment = snip.fragment().encode("utf-8")
    marks: list[tuple[int, int]] = []
    for r in sorted(ranges, key=lambda r: r.start):
        a = start + len(fragment[: r.start].decode("utf-8", errors="ignore"))
        b = start + len(fragment[: r.end].decode("utf-8", errors="ignore"))
        if not marks or a >= marks[-1][1]:
            marks.append((a, b))
    # Context before the fragment: back to a word start, not past the paragraph start.
    room = max(0, max_chars - (end - start))
    lead = max(start - room, text.rfind("\n", 0, start) + 1)
    if lead < start and lead > 0 and not text[lead - 1].isspace():
        space = text.find(" ", lead, start)
        lead = space + 1 if space != -1 else start
    pieces: list[tuple[str, bool]] = []
    at = lead
    for a, b in marks:
        if a > at:
            pieces.append((text[at:a], False))
        pieces.append((text[a:b], True))
        at = b
    if end > at:
        pieces.append((text[at:end], False))
    if text[:lead].strip():
        pieces.insert(0, ("…", False))
    if text[end:].strip():
        pieces.append(("…", False))
    return pieces


def _article_start(text: str, max_chars: int) -> list[tuple[str, bool]]:
    """The first ``max_chars`` of the text, cut at a word boundary."""
    text = text.strip()
    if len(text) <= max_chars:
        return [(text, False)]
    cut = text[:max_chars]
    space = cut.rfind(" ")
    if space > max_chars // 2:
        cut = cut[:space]
    return [(cut.rstrip(), False), ("…", False)]
