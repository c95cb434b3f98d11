"""The domain model every stage of duiding passes along.

An :class:`Article` is what ingest produces, the store keeps, search finds and the NLP stages annotate.
Annotations (:class:`EntityMention`, :class:`Quote`) are spans with character offsets into
``Article.text`` (Python ``str`` indices, end exclusive), so every figure traces back to its words.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from duiding import urls

EntityLabel = Literal["PER", "ORG", "LOC", "MISC"]
QuoteType = Literal["direct", "indirect", "mixed"]
ENTITY_LABELS = ("PER", "ORG", "LOC", "MISC")


class Span(BaseModel):
    """A stretch of ``Article.text``: ``text == article.text[start:end]``."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} is before its start {self.start}")
        if len(self.text) != self.end - self.start:
            raise ValueError(
                f"span text has {len(self.text)} characters but offsets {self.start}:{self.end} "
                f"cover {self.end - self.start}"
            )
        return self


class EntityMention(Span):
    """One occurrence of a name in an article."""

    label: EntityLabel
    entity_id: str | None = None
    canonical: str | None = None


class Entity(BaseModel):
    """A canonical entity across the archive: one person, organisation, place or other name."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: EntityLabel
    canonical: str
    aliases: list[str] = Field(default_factory=list)
    mention_count: int = Field(default=0, ge=0)

    @classmethod
    def from_mentions(cls, entity_id: str, counts: Iterable[tuple[str, str, str, int]]) -> Entity:
        """The record of one entity from ``(label, canonical, surface, count)`` over its mentions.

        The canonical name is the spelling most mentions were normalised to (ties: the longest); the
        label is the one the id was made with (``loc-…``: a country's adjectives are MISC mentions of the
        LOC entity), else that of most mentions; aliases are every other spelling seen.
        """
        by_canonical: Counter[str] = Counter()
        by_label: Counter[str] = Counter()
        spellings: set[str] = set()
        for label, canonical, surface, n in counts:
            by_canonical[canonical] += n
            by_label[label] += n
            spellings.update((canonical, surface))
        canonical = max(by_canonical, key=lambda c: (by_canonical[c], len(c), c))
        prefix = entity_id.split("-", 1)[0].upper()
        label = prefix if prefix in ENTITY_LABELS else by_label.most_common(1)[0][0]
        return cls(
            id=entity_id,
            label=label,
            canonical=canonical,
            aliases=sorted(spellings - {canonical}),
            mention_count=sum(by_canonical.values()),
        )


class Quote(Span):
    """A statement the article attributes to a source (see ``spec/quotes.md``)."""

    type: QuoteType
    speaker: str | None = None
    speaker_aliases: list[str] = Field(default_factory=list)
    cue: str | None = None
    role: str | None = None
    organisation: str | None = None
    speaker_entity_id: str | None = None

    def to_spec(self) -> dict[str, object]:
        """The record exactly as ``spec/quotes.md`` lays it out."""
        return self.model_dump(exclude={"speaker_entity_id"})


def content_hash(title: str, text: str) -> str:
    """Hash of what an article says: its title and body, whitespace-normalised."""
    norm = " ".join(title.split()) + "\n" + " ".join(text.split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


class Article(BaseModel):
    """One news article, as stored. ``published`` is always timezone-aware."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = ""
    title: str
    text: str
    published: datetime | None = None
    url: str | None = None
    canonical_url: str | None = None
    outlet: str | None = None
    source_id: str | None = None
    program: str | None = None
    category: str | None = None
    language: str | None = None
    author: str | None = None  # the byline, as the page gives it (``Sanne Verbeek; Joost Hiemstra``)
    # The near-duplicate cluster (:mod:`duiding.ingest.dedup`) the store put the article in: the id of
    # the cluster's first article (its own id when it has no copies). Set by the store, never read in.
    cluster_id: str | None = None
    content_hash: str = ""
    source_file: str | None = None
    source_line: int | None = Field(default=None, ge=1)
    entities: list[EntityMention] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)

    @field_validator("title")
    @classmethod
    def _title_present(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("missing title")
        return v

    @field_validator("text")
    @classmethod
    def _text_present(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("missing body text")
        return v

    @field_validator("published")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and (v.tzinfo is None or v.utcoffset() is None):
            raise ValueError("published must be timezone-aware")
        return v

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        if not urls.is_http_url(v):
            raise ValueError(f"not an http(s) URL: {v!r}")
        return v

    @model_validator(mode="after")
    def _derived_and_spans(self) -> Article:
        # Fill what follows from the other fields, so every producer of an Article gets the same.
        # (object.__setattr__ avoids re-running validation on assignment.)
        if self.url and not self.canonical_url:
            object.__setattr__(self, "canonical_url", urls.canonicalize(self.url))
        if self.url and not self.outlet:
            object.__setattr__(self, "outlet", urls.outlet_from_url(self.url))
        if self.url and not self.source_id:
            object.__setattr__(self, "source_id", urls.source_id_from_url(self.url))
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self.title, self.text))
        if not self.id.strip():
            object.__setattr__(self, "id", default_article_id(self.outlet, self.source_id, self.content_hash))
        for kind, spans in (("entity mention", self.entities), ("quote", self.quotes)):
            for span in spans:
                if span.end > len(self.text):
                    raise ValueError(
                        f"{kind} {span.start}:{span.end} runs past the end of the text ({len(self.text)})"
                    )
                if self.text[span.start : span.end] != span.text:
                    raise ValueError(f"{kind} {span.start}:{span.end} text does not match the article text")
        return self

    @property
    def identity(self) -> str:
        """What makes two records the same article: canonical URL, else the source's id, else content."""
        if self.canonical_url:
            return "url:" + self.canonical_url
        if self.source_id:
            return f"src:{(self.outlet or '').lower()}:{self.source_id}"
        return "hash:" + self.content_hash

    def fingerprint(self) -> str:
        """Hash of every stored field that is not provenance: changes when the article changed."""
        parts = [
            self.title,
            self.text,
            self.published.isoformat() if self.published else "",
            self.url or "",
            self.outlet or "",
            self.program or "",
            self.category or "",
            self.language or "",
        ]
        if self.author:  # only when present, so articles without one keep the fingerprints they had
            parts.append(self.author)
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def default_article_id(outlet: str | None, source_id: str | None, content_hash_: str) -> str:
    """The public id: ``nos-2448020`` when the source has an id, else a short content hash."""
    if source_id:
        return f"{urls.slug(outlet)}-{source_id}" if outlet else source_id
    return "h" + content_hash_[:16]
