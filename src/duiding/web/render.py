"""HTML pieces the templates cannot make simply: an article's text with its quotes and entity mentions
marked up, snippets with their matches, links, Dutch numbers and dates.

Everything from the archive is escaped here (:func:`markupsafe.escape`) before it is wrapped in tags;
the templates escape everything else (Jinja autoescape).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote, urlencode

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup, escape

from duiding.model import Article, EntityMention, Quote

LOCALE = "nl_NL"
#: Speaker colours (CSS classes sp-0 … sp-9); an article's speakers take them in order of appearance.
PALETTE_SIZE = 10

LABEL_NAMES = {"PER": "persoon", "ORG": "organisatie", "LOC": "locatie", "MISC": "overig"}
TYPE_NAMES = {"direct": "direct citaat", "indirect": "indirect citaat", "mixed": "gemengd citaat"}
GENDER_NAMES = {"female": "vrouw", "male": "man", "unknown": "onbekend"}
#: The search field that finds an entity of each label.
LABEL_FIELDS = {"PER": "person", "ORG": "org", "LOC": "location"}


# -- links ----------------------------------------------------------------------------------------------


def _path(value: str) -> str:
    return quote(value, safe="")


def article_url(article_id: str, anchor: int | None = None) -> str:
    return f"/articles/{_path(article_id)}" + (f"#q-{anchor}" if anchor is not None else "")


def entity_url(entity_id: str, q: str | None = None) -> str:
    return f"/entities/{_path(entity_id)}" + (f"?{urlencode({'q': q})}" if q else "")


def speaker_key(quote: Quote) -> str | None:
    """The key the analysis gives the quote's source: its entity id, else its name lower-cased."""
    if quote.speaker_entity_id:
        return quote.speaker_entity_id
    return quote.speaker.lower() if quote.speaker else None


def speaker_url(key: str, q: str | None = None) -> str:
    return f"/speakers/{_path(key)}" + (f"?{urlencode({'q': q})}" if q else "")


def search_url(q: str | None = None, **params: object) -> str:
    values = {"q": q, **params}
    return "/search?" + urlencode({k: v for k, v in values.items() if v not in (None, "")})


def sources_url(q: str | None = None) -> str:
    return "/sources" + (f"?{urlencode({'q': q})}" if q else "")


def phrase(value: str) -> str:
    """``value`` as a query phrase: ``"…"`` with its quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def refine(q: str | None, clause: str) -> str:
    """The query ``q`` (None, blank or ``*``: everything) narrowed by ``clause``."""
    if q is None or q.strip() in ("", "*"):
        return clause
    q = q.strip()
    return f"{q} AND {clause}" if len(q.split()) == 1 else f"({q}) AND {clause}"


def entity_query(label: str, canonical: str) -> str:
    field_name = LABEL_FIELDS.get(label)
    return f"{field_name}:{phrase(canonical)}" if field_name else phrase(canonical)


# -- numbers and dates ----------------------------------------------------------------------------------


def num(value: int | float | None) -> str:
    return "" if value is None else format_decimal(value, locale=LOCALE)


def pct(value: float | None) -> str:
    return "" if value is None else format_percent(value, format="#,##0.0%", locale=LOCALE)


def _when(value: str | datetime | date | None) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def day(value: str | datetime | date | None) -> str:
    """``12 okt. 2022``, in the article's own date."""
    when = _when(value)
    return format_date(when, "d MMM y", locale=LOCALE) if when else ""


def moment(value: str | datetime | None) -> str:
    """``12 oktober 2022 07:00``: the article's own time (its own UTC offset)."""
    when = _when(value)
    if not isinstance(when, datetime):
        return day(value)
    return format_datetime(when, "d MMMM y HH:mm", tzinfo=when.tzinfo, locale=LOCALE)


def month_label(key: str) -> str:
    """``2022-10`` → ``okt. 2022``; other keys as they are."""
    try:
        return format_date(date.fromisoformat(key + "-01"), "MMM y", locale=LOCALE)
    except ValueError:
        return key


# -- snippets and articles ------------------------------------------------------------------------------


def snippet(fragments: Sequence[tuple[str, bool]]) -> Markup:
    return Markup("").join(Markup("<mark>{}</mark>").format(t) if hit else escape(t) for t, hit in fragments)


@dataclass
class SpeakerInArticle:
    key: str
    name: str
    colour: int
    quotes: int = 0
    roles: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return speaker_url(self.key)


@dataclass
class EntityInArticle:
    id: str
    label: str
    canonical: str
    mentions: int = 0
    surfaces: list[str] = field(default_factory=list)


def speakers_of(article: Article) -> dict[str, SpeakerInArticle]:
    """The article's quoted sources by key, in order of their first quote, each with a colour."""
    found: dict[str, SpeakerInArticle] = {}
    for q in sorted(article.quotes, key=lambda q: q.start):
        key = speaker_key(q)
        if key is None or q.speaker is None:
            continue
        s = found.get(key)
        if s is None:
            s = found[key] = SpeakerInArticle(key, q.speaker, len(found) % PALETTE_SIZE)
        s.quotes += 1
        if q.role and q.role not in s.roles:
            s.roles.append(q.role)
        if q.organisation and q.organisation not in s.organisations:
            s.organisations.append(q.organisation)
    return found


def entities_of(article: Article) -> list[EntityInArticle]:
    """The article's entities (mentions with an id), most mentioned first."""
    found: dict[str, EntityInArticle] = {}
    for m in article.entities:
        if not m.entity_id:
            continue
        e = found.get(m.entity_id)
        if e is None:
            e = found[m.entity_id] = EntityInArticle(m.entity_id, m.label, m.canonical or m.text)
        e.mentions += 1
        if m.text not in e.surfaces and m.text != e.canonical:
            e.surfaces.append(m.text)
    return sorted(found.values(), key=lambda e: (-e.mentions, e.canonical.casefold()))


def quote_title(q: Quote) -> str:
    """What hovering a quote shows: speaker, role, organisation, type."""
    who = q.speaker or "onbekende bron"
    about = ", ".join(x for x in (q.role, q.organisation) if x)
    return f"{who}" + (f" — {about}" if about else "") + f" · {TYPE_NAMES.get(q.type, q.type)}"


def _covering(spans: Sequence[EntityMention | Quote], a: int, b: int) -> int | None:
    for i, s in enumerate(spans):
        if s.start <= a and b <= s.end:
            return i
        if s.start > a:
            break
    return None


def article_body(article: Article, speakers: dict[str, SpeakerInArticle]) -> Markup:
    """The text as paragraphs, each quote a ``<span class="quote sp-N">`` (its speaker's colour, a title
    with speaker, role, organisation and type, a link to the speaker's page), each entity mention a link
    to the entity's page. Spans are cut at paragraph breaks, so the tags always nest."""
    text = article.text
    quotes = sorted(article.quotes, key=lambda q: (q.start, -q.end))
    mentions = sorted(article.entities, key=lambda m: (m.start, -m.end))
    bounds = {0, len(text)}
    for s in (*quotes, *mentions):
        bounds.update((s.start, s.end))
    bounds.update(i for i, ch in enumerate(text) if ch == "\n")
    bounds.update(i + 1 for i, ch in enumerate(text) if ch == "\n")
    cuts = sorted(b for b in bounds if 0 <= b <= len(text))

    out: list[str] = ["<p>"]
    open_quote: int | None = None

    def close_quote() -> None:
        nonlocal open_quote
        if open_quote is not None:
            out.append("</span>")
            open_quote = None

    for a, b in itertools.pairwise(cuts):
        piece = text[a:b]
        if piece == "\n":
            close_quote()
            out.append("</p>\n<p>")
            continue
        qi = _covering(quotes, a, b)
        if qi != open_quote:
            close_quote()
            if qi is not None:
                q = quotes[qi]
                key = speaker_key(q)
                s = speakers.get(key) if key else None
                colour = f"sp-{s.colour}" if s else "sp-none"
                attrs = Markup(' class="quote {} {}" id="q-{}" title="{}"').format(
                    colour, q.type, q.start, quote_title(q)
                )
                if s:
                    attrs += Markup(' data-speaker="{}" data-href="{}"').format(s.key, s.url)
                out.append(str(Markup("<span{}>").format(attrs)))
                open_quote = qi
        mi = _covering(mentions, a, b)
        if mi is not None and mentions[mi].entity_id:
            m = mentions[mi]
            out.append(
                str(
                    Markup('<a class="ent ent-{}" href="{}" title="{} ({})">{}</a>').format(
                        m.label.lower(),
                        entity_url(m.entity_id or ""),
                        m.canonical or m.text,
                        LABEL_NAMES.get(m.label, m.label),
                        piece,
                    )
                )
            )
        else:
            out.append(str(escape(piece)))
    close_quote()
    out.append("</p>")
    return Markup("".join(out).replace("<p></p>", ""))
