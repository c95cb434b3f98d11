"""What both SQL backends (:mod:`duiding.store.sqlite`, :mod:`duiding.store.postgres`) share about rows.

Their tables have the same columns; the rows differ only in how the driver hands them over (a
``sqlite3.Row`` or a dict, both read by column name) and in how a JSON list column arrives: as text from
SQLite, already decoded from PostgreSQL's ``jsonb``. A :class:`RowReader` is given that difference and
turns rows into the domain model; the module's functions give the values rows are written with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from duiding.model import Article, Entity, EntityMention, Quote
from duiding.nlp import speakers
from duiding.store.base import QuoteHit

#: The article columns :meth:`RowReader.article` reads.
ARTICLE_COLUMNS = (
    "seq, id, url, canonical_url, outlet, source_id, title, published, program, category, language, "
    "text, content_hash, source_file, source_line, author, cluster_id"
)
# The article columns an Article takes as they are (seq is the store's own; text and published are read).
_AS_STORED = [c.strip() for c in ARTICLE_COLUMNS.split(",") if c.strip() not in {"seq", "text", "published"}]
#: The quote columns :meth:`RowReader.quote` reads (``end`` is a keyword in both dialects: quoted).
QUOTE_COLUMNS = 'start, "end", type, speaker, speaker_aliases, cue, role, organisation, speaker_entity_id'


class Row(Protocol):
    """A row read by column name: ``sqlite3.Row`` or a dict (psycopg's ``dict_row``)."""

    def __getitem__(self, key: str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...


def prefixed(columns: str, alias: str) -> str:
    """A column list such as :data:`ARTICLE_COLUMNS` with each column qualified: ``a.seq, a.id, …``."""
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


def marks(values: Iterable[object]) -> str:
    """``?, ?, ?`` for an ``IN (...)`` list of these values (SQLite's placeholders)."""
    return ", ".join("?" for _ in values)


def fold(name: str) -> str:
    return " ".join(name.casefold().split())


def like_pattern(name: str) -> str:
    """A ``LIKE … ESCAPE '\\'`` pattern for the names that contain ``name`` (its white space folded)."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", " ".join(name.split())) + "%"


def to_json(values: list[str]) -> str:
    """A JSON list column's value, as both backends write it."""
    return json.dumps(values, ensure_ascii=False)


def stored_as(article: Article, article_id: str, cluster_id: str | None) -> None:
    """Tell the caller's Article its stored id and cluster (the search index is built from it)."""
    object.__setattr__(article, "id", article_id)
    object.__setattr__(article, "cluster_id", cluster_id)


def article_values(a: Article, fingerprint: str) -> dict[str, Any]:
    """The columns of an article's row that come from the article itself, by name."""
    return {
        "url": a.url,
        "canonical_url": a.canonical_url,
        "outlet": a.outlet,
        "source_id": a.source_id,
        "title": a.title,
        "published": a.published.isoformat() if a.published else None,
        "published_utc": a.published.astimezone(UTC).isoformat() if a.published else None,
        "program": a.program,
        "category": a.category,
        "language": a.language,
        "text": a.text,
        "content_hash": a.content_hash,
        "fingerprint": fingerprint,
        "source_file": a.source_file,
        "source_line": a.source_line,
        "author": a.author,
    }


def mention_values(seq: int, m: EntityMention) -> tuple[Any, ...]:
    """A ``mentions`` row: article_seq, start, end, label, entity_id, canonical, surface."""
    return (seq, m.start, m.end, m.label, m.entity_id, m.canonical, m.text)


def quote_values(seq: int, q: Quote) -> tuple[Any, ...]:
    """A ``quotes`` row: article_seq, start, end, type, speaker, speaker_aliases, cue, role,
    organisation, speaker_entity_id, speaker_search."""
    return (
        seq,
        q.start,
        q.end,
        q.type,
        q.speaker,
        to_json(q.speaker_aliases),
        q.cue,
        q.role,
        q.organisation,
        q.speaker_entity_id,
        speakers.search_key([q.speaker, *q.speaker_aliases]),
    )


def entities_query(limit: int | None, label: str | None, mark: str) -> tuple[str, list[object]]:
    """The statement listing the archive's entities, most mentioned first, and its parameters (``mark``:
    the backend's placeholder)."""
    sql = "SELECT id, label, canonical, aliases, mention_count FROM entities"
    args: list[object] = []
    if label:
        sql += f" WHERE label = {mark}"
        args.append(label)
    sql += " ORDER BY mention_count DESC, canonical"
    if limit:
        sql += f" LIMIT {mark}"
        args.append(limit)
    return sql, args


def _published(row: Row) -> datetime | None:
    return datetime.fromisoformat(row["published"]) if row["published"] else None


class RowReader:
    """The domain model from a backend's rows; ``decode`` turns a JSON list column's value, as the driver
    returns it, into a list."""

    def __init__(self, decode: Callable[[Any], list[str]]) -> None:
        self.decode = decode

    def quote(self, text: str, row: Row) -> Quote:
        """A Quote from a row with :data:`QUOTE_COLUMNS`, its text cut from the article's."""
        return Quote(
            start=row["start"],
            end=row["end"],
            text=text[row["start"] : row["end"]],
            type=row["type"],
            speaker=row["speaker"],
            speaker_aliases=self.decode(row["speaker_aliases"]),
            cue=row["cue"],
            role=row["role"],
            organisation=row["organisation"],
            speaker_entity_id=row["speaker_entity_id"],
        )

    def article(self, row: Row, mentions: Iterable[Row] = (), quotes: Iterable[Row] = ()) -> Article:
        """An Article from a row with :data:`ARTICLE_COLUMNS` and its mention and quote rows."""
        text = row["text"]
        return Article.model_construct(
            **{c: row[c] for c in _AS_STORED},
            text=text,
            published=_published(row),
            entities=[
                EntityMention(
                    start=m["start"],
                    end=m["end"],
                    text=text[m["start"] : m["end"]],
                    label=m["label"],
                    entity_id=m["entity_id"],
                    canonical=m["canonical"],
                )
                for m in mentions
            ],
            quotes=[self.quote(text, q) for q in quotes],
        )

    def entity(self, row: Row) -> Entity:
        return Entity(
            id=row["id"],
            label=row["label"],
            canonical=row["canonical"],
            aliases=self.decode(row["aliases"]),
            mention_count=row["mention_count"],
        )

    def quote_hit(self, row: Row) -> QuoteHit:
        """A QuoteHit from a row with ``article_id``, ``title``, ``published``, ``url``, ``text`` and
        :data:`QUOTE_COLUMNS`."""
        return QuoteHit(
            article_id=row["article_id"],
            title=row["title"],
            published=_published(row),
            url=row["url"],
            quote=self.quote(row["text"], row),
        )

    def entities_named(self, name: str, candidates: Callable[[str], Iterable[Row]]) -> list[str]:
        """Ids of the entities whose canonical name or an alias is ``name`` (case-insensitive).

        ``candidates`` reads the entity rows (``id, canonical, aliases``) whose canonical name or aliases
        match a :func:`like_pattern`; those that are ``name`` itself, not only contain it, are kept."""
        wanted = fold(name)
        if not wanted:
            return []
        return [
            r["id"]
            for r in candidates(like_pattern(name))
            if wanted == fold(r["canonical"]) or wanted in {fold(a) for a in self.decode(r["aliases"])}
        ]
