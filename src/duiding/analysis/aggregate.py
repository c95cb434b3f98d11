"""Counts over the articles a query finds: by time, outlet, category, entity, speaker, role, organisation,
gender and entity co-occurrence; and the profile of one entity or one quoted source.

Every function takes an :class:`~duiding.store.base.Archive` and a query in the search syntax (``None``
or blank: the whole archive). The query runs through the search index, its matching articles are
streamed into the backend, and the figures are computed there (:mod:`duiding.store.scope`), so the
articles' texts never pass through memory. The CLI (``duiding stats``), the HTTP API and the web UI all
call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from duiding.analysis.gender import GENDERS, gender_of
from duiding.model import ENTITY_LABELS
from duiding.search.query import ParsedQuery, parse_query
from duiding.store.base import Archive
from duiding.store.scope import EntityCount, NamedCount, Scope

__all__ = [
    "BY",
    "ENTITY_BY",
    "TIME_BY",
    "Bucket",
    "NotFoundError",
    "aggregate",
    "entity_profile",
    "speaker_profile",
]

#: What :func:`aggregate` can count by.
BY: tuple[str, ...] = (
    "month",
    "week",
    "day",
    "outlet",
    "category",
    "entity",
    "person",
    "org",
    "location",
    "speaker",
    "role",
    "organisation",
    "gender",
    "cooccurrence",
)
#: The time buckets: chronological, with the empty ones between the first and the last.
TIME_BY: tuple[str, ...] = ("day", "week", "month")
#: ``by`` values that are entities of one label.
ENTITY_BY: dict[str, str] = {"person": "PER", "org": "ORG", "location": "LOC"}

_LABEL_NAMES = {
    "per": "PER",
    "person": "PER",
    "org": "ORG",
    "organisation": "ORG",
    "organization": "ORG",
    "loc": "LOC",
    "location": "LOC",
    "misc": "MISC",
}


class Bucket(BaseModel):
    """One row of an aggregate: what is counted (``key``: stable id; ``label``: to show), how often, and
    whatever else describes it (``extra``, per ``by``; see :func:`aggregate`)."""

    model_config = ConfigDict(extra="forbid")

    key: str
    label: str
    count: int
    extra: dict[str, Any] = Field(default_factory=dict)


class NotFoundError(LookupError):
    """The entity or speaker a profile asks for is not in the archive (or not in the query's articles)."""


# -- arguments ------------------------------------------------------------------------------------------


def scope_query(query: str | ParsedQuery | None) -> ParsedQuery | None:
    """The query parsed (raises :class:`~duiding.search.query.QuerySyntaxError`); None for everything."""
    if query is None or isinstance(query, ParsedQuery):
        return query
    if not query.strip():
        return None
    return parse_query(query)


def entity_label(label: str | None) -> str | None:
    """``PER``, ``ORG``, ``LOC`` or ``MISC`` from any of their spellings (``person``, ``org``, ``loc``…)."""
    if label is None or not label.strip():
        return None
    value = label.strip()
    if value.upper() in ENTITY_LABELS:
        return value.upper()
    if value.lower() in _LABEL_NAMES:
        return _LABEL_NAMES[value.lower()]
    raise ValueError(f"unknown entity label {label!r}: expected one of person, org, location, misc")


def _check(by: str, limit: int | None, label: str | None, entity: str | None) -> str | None:
    if by not in BY:
        raise ValueError(f"unknown by {by!r}: expected one of {', '.join(BY)}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive whole number, not {limit!r}")
    wanted = entity_label(label)
    if wanted is not None:
        if by in ENTITY_BY and wanted != ENTITY_BY[by]:
            raise ValueError(f"by {by!r} counts {ENTITY_BY[by]} entities; it cannot take label {label!r}")
        if by not in ("entity", "cooccurrence", *ENTITY_BY):
            raise ValueError(f"label applies to by entity and cooccurrence, not to {by!r}")
    if entity is not None and by != "cooccurrence":
        raise ValueError(f"entity applies to by cooccurrence, not to {by!r}")
    return ENTITY_BY.get(by, wanted)


# -- time -------------------------------------------------------------------------------------------------


def _period(day: date, by: str) -> tuple[str, date, date]:
    """The key, first and last day of the ``by`` period (day, ISO week, month) that holds ``day``."""
    if by == "day":
        return day.isoformat(), day, day
    if by == "week":
        start = day - timedelta(days=day.weekday())
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}", start, start + timedelta(days=6)
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return f"{day.year}-{day.month:02d}", start, following - timedelta(days=1)


def time_buckets(
    rows: Sequence[tuple[str, int] | tuple[str, int, int]], by: str, second: str | None = None
) -> list[Bucket]:
    """Buckets per period from ``(YYYY-MM-DD, count[, second count])`` rows: chronological, from the first
    period with a count to the last, empty periods between them included (count 0).

    ``extra`` holds the period's ``start`` and ``end`` day, and the second count under ``second``.
    """
    if by not in TIME_BY:
        raise ValueError(f"not a time bucket: {by!r}")
    counts: dict[str, list[int]] = {}
    spans: dict[str, tuple[date, date]] = {}
    for row in rows:
        try:
            day = date.fromisoformat(row[0])
        except (TypeError, ValueError):
            continue  # not a date (cannot happen for stored articles): leave it out
        key, start, end = _period(day, by)
        spans[key] = (start, end)
        total = counts.setdefault(key, [0, 0])
        total[0] += row[1]
        if len(row) > 2:
            total[1] += row[2]  # type: ignore[misc]
    if not counts:
        return []
    first = min(start for start, _ in spans.values())
    last = max(start for start, _ in spans.values())
    buckets = []
    cursor = first
    while cursor <= last:
        key, start, end = _period(cursor, by)
        n, m = counts.get(key, (0, 0))
        extra: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat()}
        if second:
            extra[second] = m
        buckets.append(Bucket(key=key, label=key, count=n, extra=extra))
        cursor = end + timedelta(days=1)
    return buckets


# -- the aggregates ---------------------------------------------------------------------------------------


def _ranked(buckets: list[Bucket]) -> list[Bucket]:
    return sorted(buckets, key=lambda b: (-b.count, b.label.casefold(), b.key))


def _by_field(scope: Scope, field: str, limit: int | None) -> list[Bucket]:
    rows = scope.field_counts(field)
    total = sum(n for _, n in rows) or 1
    buckets = [
        Bucket(key=v or "", label=v or "(none)", count=n, extra={"share": round(n / total, 4)})
        for v, n in rows
    ]
    return _ranked(buckets)[:limit]


def _entity_bucket(e: EntityCount, quotes: tuple[int, int] | None = None) -> Bucket:
    extra: dict[str, Any] = {"entity_label": e.label, "articles": e.articles, "aliases": e.aliases}
    if quotes is not None:
        extra["quotes_by"], extra["quotes_mentioning"] = quotes
    return Bucket(key=e.id, label=e.canonical, count=e.mentions, extra=extra)


def _by_entity(scope: Scope, limit: int | None, label: str | None) -> list[Bucket]:
    found = scope.entity_counts(label=label, limit=limit)
    quotes = scope.entity_quote_counts([e.id for e in found])
    return [_entity_bucket(e, quotes.get(e.id, (0, 0))) for e in found]


def _names(values: list[NamedCount]) -> list[str]:
    """Distinct values, most used first, case variants folded into the commonest spelling."""
    seen: dict[str, str] = {}
    for v in values:
        seen.setdefault(" ".join(v.value.casefold().split()), v.value)
    return list(seen.values())


def _by_speaker(scope: Scope, limit: int | None) -> list[Bucket]:
    found = list(scope.speakers(limit=limit))
    details = scope.speaker_details([s.key for s in found])
    buckets = []
    for s in found:
        d = details[s.key]
        buckets.append(
            Bucket(
                key=s.key,
                label=s.name,
                count=s.quotes,
                extra={
                    "entity_id": s.entity_id,
                    "articles": s.articles,
                    "aliases": [n for n in _names(d.names) if n != s.name],
                    "roles": _names(d.roles),
                    "organisations": _names(d.organisations),
                    "gender": gender_of(s.name, s.entity_label),
                },
            )
        )
    return buckets


def _by_quote_field(scope: Scope, field: str, limit: int | None) -> list[Bucket]:
    return [
        Bucket(
            key=" ".join(v.value.casefold().split()),
            label=v.value,
            count=v.count,
            extra={"speakers": v.speakers},
        )
        for v in scope.quote_field_counts(field, limit=limit)
    ]


def _by_gender(scope: Scope) -> list[Bucket]:
    speakers = dict.fromkeys(GENDERS, 0)
    quotes = dict.fromkeys(GENDERS, 0)
    for s in scope.speakers():
        g = gender_of(s.name, s.entity_label)
        speakers[g] += 1
        quotes[g] += s.quotes
    total_speakers = sum(speakers.values())
    total_quotes = sum(quotes.values())
    buckets = [
        Bucket(
            key=g,
            label=g,
            count=speakers[g],
            extra={
                "quotes": quotes[g],
                "share": round(speakers[g] / total_speakers, 4) if total_speakers else 0.0,
                "quote_share": round(quotes[g] / total_quotes, 4) if total_quotes else 0.0,
            },
        )
        for g in GENDERS
    ]
    return sorted(buckets, key=lambda b: (-b.count, GENDERS.index(b.key)))


def _resolve_entity(scope: Scope, ref: str) -> str:
    found = scope.find_entities(ref)
    if not found:
        raise NotFoundError(f"no entity {ref!r} in the archive")
    return found[0]


def _by_cooccurrence(scope: Scope, limit: int | None, label: str | None, entity: str | None) -> list[Bucket]:
    if entity is not None:
        entity_id = _resolve_entity(scope, entity)
        pairs = scope.cooccurrence(entity_id=entity_id, label=label, limit=limit)
        records = {e.id: e for e in scope.entity_counts(ids=[b for _, b, _ in pairs])}
        buckets = []
        for _, other, n in pairs:
            e = records.get(other)
            bucket = _entity_bucket(e) if e else Bucket(key=other, label=other, count=0)
            buckets.append(
                bucket.model_copy(update={"count": n, "extra": {**bucket.extra, "with": entity_id}})
            )
        return _ranked(buckets)
    pairs = scope.cooccurrence(label=label, limit=limit)
    ids = list(dict.fromkeys(i for a, b, _ in pairs for i in (a, b)))
    records = {e.id: e for e in scope.entity_counts(ids=ids)}

    def describe(i: str) -> dict[str, Any]:
        e = records.get(i)
        return {"id": i, "entity_label": e.label if e else None, "canonical": e.canonical if e else i}

    buckets = []
    for a, b, n in pairs:
        ea, eb = describe(a), describe(b)
        buckets.append(
            Bucket(
                key=f"{a}|{b}",
                label=f"{ea['canonical']} – {eb['canonical']}",
                count=n,
                extra={"entities": [ea, eb]},
            )
        )
    return buckets


def aggregate(
    archive: Archive,
    query: str | ParsedQuery | None,
    by: str,
    *,
    limit: int | None = 20,
    label: str | None = None,
    entity: str | None = None,
) -> list[Bucket]:
    """Count the articles ``query`` finds (None or blank: the whole archive) by ``by`` (one of :data:`BY`).

    Buckets come most first (ties by label), except the time buckets ``day``, ``week`` (ISO weeks,
    ``2022-W41``) and ``month`` (``2022-10``): those are chronological, every period from the first to
    the last article's included, empty ones with count 0, and ``limit`` does not cut them. Dates are the
    article's own calendar date (in its own UTC offset), as ``published:`` queries read them; undated
    articles are in no time bucket. ``limit`` (None: all) caps the other buckets.

    What ``count`` counts, and ``extra``, per ``by``:

    * ``day``/``week``/``month``: articles; ``{start, end}`` (the period's first and last day);
    * ``outlet``/``category``: articles (key ``""``, label ``(none)`` for articles without one);
      ``{share}`` of the articles in scope;
    * ``entity`` (``label`` narrows to PER/ORG/LOC/MISC; ``person``, ``org``, ``location`` are that):
      mentions, key the entity id; ``{entity_label, articles, aliases, quotes_by, quotes_mentioning}``:
      quotes *by* the entity as the speaker and quotes whose text *mentions* it;
    * ``speaker``: quotes, key the speaker's entity id (else the lower-cased name), label its name;
      ``{entity_id, articles, aliases, roles, organisations, gender}``;
    * ``role``/``organisation``: quotes by a source with that role or organisation (case-insensitive,
      key lower-cased); ``{speakers}``: distinct speakers;
    * ``gender``: distinct quoted sources whose first name is female, male or unknown (always these
      three buckets; see :mod:`duiding.analysis.gender`); ``{quotes, share, quote_share}``;
    * ``cooccurrence``: articles mentioning both entities of a pair, key ``id|id``; ``{entities}``;
      with ``entity`` (an id or a name), that entity's partners instead, key the partner's id, with
      the ``entity`` bucket's ``extra`` and ``{with}``. ``label`` narrows the pair members (partners).

    Raises ValueError for an unknown ``by`` or ``label``, a ``limit`` below 1, or a malformed query
    (:class:`~duiding.search.query.QuerySyntaxError`); :class:`NotFoundError` for an unknown ``entity``.
    """
    wanted = _check(by, limit, label, entity)
    parsed = scope_query(query)
    with archive.scope(parsed) as scope:
        if by in TIME_BY:
            return time_buckets(scope.days(), by)
        if by in ("outlet", "category"):
            return _by_field(scope, by, limit)
        if by == "entity" or by in ENTITY_BY:
            return _by_entity(scope, limit, wanted)
        if by == "speaker":
            return _by_speaker(scope, limit)
        if by in ("role", "organisation"):
            return _by_quote_field(scope, by, limit)
        if by == "gender":
            return _by_gender(scope)
        return _by_cooccurrence(scope, limit, wanted, entity)


# -- profiles -----------------------------------------------------------------------------------------


def _dump(buckets: list[Bucket]) -> list[dict[str, Any]]:
    return [b.model_dump() for b in buckets]


def _dated(values: list[NamedCount], name: str) -> list[dict[str, Any]]:
    return [{name: v.value, "quotes": v.count, "first": v.first, "last": v.last} for v in values]


def entity_profile(
    archive: Archive,
    entity_id: str,
    query: str | ParsedQuery | None = None,
    *,
    limit: int | None = 20,
    quotes_limit: int | None = 100,
) -> dict[str, Any]:
    """One entity in the articles ``query`` finds (None: the whole archive), as a JSON-ready dict.

    ``entity_id``: its id, else a name: its canonical name or an alias (case-insensitive), or words of one
    in any spelling ``person:`` folds together (``Putin``); of several, the most mentioned. Returns ``entity``
    (``id, label, canonical, aliases``), ``mentions`` and ``articles`` in scope, ``per_month``
    (:func:`aggregate`-style month buckets, count = mentions, ``extra.articles``), ``quotes_by`` (quotes
    with the entity as the speaker) and ``quotes_mentioning`` (quotes whose text mentions it), each with
    its total (``quotes_by_total``, ``quotes_mentioning_total``) and at most ``quotes_limit`` quotes,
    newest first, and ``cooccurring``: the entities most often in the same articles (``limit``).
    Raises :class:`NotFoundError` when the archive has no such entity.
    """
    parsed = scope_query(query)
    with archive.scope(parsed) as scope:
        found = scope.find_entities(entity_id)
        if not found:
            raise NotFoundError(f"no entity {entity_id!r} in the archive")
        eid = found[0]
        counts = scope.entity_counts(ids=[eid])
        # the entity's record, even when the query's articles do not mention it
        record = counts[0] if counts else scope.entity_record(eid)
        if record is None:  # pragma: no cover - find_entities only returns stored entities
            raise NotFoundError(f"no entity {entity_id!r} in the archive")
        by_total, about_total = scope.entity_quote_counts([eid])[eid]
        partners = _by_cooccurrence(scope, limit, None, eid)
        return {
            "entity": {
                "id": eid,
                "label": record.label,
                "canonical": record.canonical,
                "aliases": record.aliases,
            },
            "query": parsed.text if parsed else None,
            "mentions": record.mentions if counts else 0,
            "articles": record.articles if counts else 0,
            "per_month": _dump(time_buckets(scope.entity_days(eid), "month", second="articles")),
            "quotes_by_total": by_total,
            "quotes_by": list(scope.quotes(keys=[eid], limit=quotes_limit)),
            "quotes_mentioning_total": about_total,
            "quotes_mentioning": list(scope.quotes(mentioning=eid, limit=quotes_limit)),
            "cooccurring": _dump(partners),
        }


def speaker_profile(
    archive: Archive,
    name_or_entity_id: str,
    query: str | ParsedQuery | None = None,
    *,
    limit: int | None = 20,
) -> dict[str, Any]:
    """One quoted source in the articles ``query`` finds (None: the whole archive), as a JSON-ready dict.

    ``name_or_entity_id``: the speaker's entity id or key, else a name or alias in any spelling the
    speaker search folds together (``Hummels``, ``Putin``); when several sources match, the most quoted
    one is profiled and the others are listed in ``other_matches``. Returns ``speaker`` (``key, name,
    entity_id, gender, names``), ``quotes_total``, ``articles``, ``quotes`` (all of them, newest first),
    ``roles`` and ``organisations`` (``{role|organisation, quotes, first, last}``, first and last as
    UTC instants), ``per_month`` (month buckets, count = quotes) and ``entities``: what the speaker talks
    about, the entities mentioned inside their quotes (count = quotes mentioning it; ``limit``).
    Raises :class:`NotFoundError` when no quoted source matches.
    """
    parsed = scope_query(query)
    with archive.scope(parsed) as scope:
        found = scope.find_speakers(name_or_entity_id)
        if not found:
            where = " in the articles the query finds" if parsed else " in the archive"
            raise NotFoundError(f"no quoted source {name_or_entity_id!r}{where}")
        s, others = found[0], found[1:]
        details = scope.speaker_details([s.key])[s.key]
        about = scope.quoted_entities([s.key], limit=limit)
        return {
            "speaker": {
                "key": s.key,
                "name": s.name,
                "entity_id": s.entity_id,
                "gender": gender_of(s.name, s.entity_label),
                "names": _names(details.names),
            },
            "query": parsed.text if parsed else None,
            "quotes_total": s.quotes,
            "articles": s.articles,
            "quotes": list(scope.quotes(keys=[s.key])),
            "roles": _dated(details.roles, "role"),
            "organisations": _dated(details.organisations, "organisation"),
            "per_month": _dump(time_buckets(scope.quote_days([s.key]), "month")),
            "entities": [
                Bucket(
                    key=e.id,
                    label=e.canonical,
                    count=e.articles,
                    extra={"entity_label": e.label, "mentions": e.mentions},
                ).model_dump()
                for e in about
            ],
            "other_matches": [{"key": o.key, "name": o.name, "quotes": o.quotes} for o in others],
        }


#: For the CLI and the API: what each ``by`` counts, in words.
COUNTS: dict[str, str] = {
    **dict.fromkeys(TIME_BY, "articles"),
    "outlet": "articles",
    "category": "articles",
    **dict.fromkeys(("entity", *ENTITY_BY), "mentions"),
    "speaker": "quotes",
    "role": "quotes",
    "organisation": "quotes",
    "gender": "speakers",
    "cooccurrence": "articles",
}
