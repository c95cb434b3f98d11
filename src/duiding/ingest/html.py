"""News pages (HTML) to Articles: trafilatura for the text and metadata, htmldate for dates.

The page's chrome — menus, cookie banners, share widgets, related-article lists, newsletter boxes,
footers — never reaches ``text``: trafilatura keeps the main content only, elements whose class or id
says they are chrome are pruned before it looks, and the lines such widgets leave inside an article
body (``Lees ook: …``, ``Deel dit artikel``) are dropped after. Paragraphs are kept as lines.

Dates: the page's own timestamp (``article:published_time``, JSON-LD ``datePublished``, ``<time
datetime>``) keeps its time and offset; else the date a feed gave the item; else the day htmldate finds.
The outlet is the known name for the URL's host, else the site's own name (``og:site_name``), else the
host. Decoding: the charset of the HTTP header, else of the page's ``<meta>``, else UTF-8; bytes that
do not decode are reported, never guessed at.
"""

from __future__ import annotations

import codecs
import json
import re
import warnings
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from duiding import urls
from duiding.ingest.errors import Reject, describe_validation_error
from duiding.model import Article

DEFAULT_TZ = ZoneInfo("Europe/Amsterdam")
MIN_TEXT_CHARS = 150  # less than this is not an article (an index page, a soft 404)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)

# Elements that are page chrome by their class or id (prefix match on class tokens, e.g. share-bar).
_CHROME = (
    "share",
    "social",
    "related",
    "read-also",
    "lees-ook",
    "leesook",
    "newsletter",
    "nieuwsbrief",
    "cookie",
    "consent",
    "advert",
    "paywall",
    "most-read",
    "meest-gelezen",
    "breadcrumb",
    "byline",  # the author comes from the page's metadata
)
_CONTAINER = "//*[not(self::html or self::body or self::main or self::article)]"
PRUNE_XPATH = [
    _CONTAINER
    + "["
    + " or ".join(f"contains(concat(' ', @class), ' {c}') or starts-with(@id, '{c}')" for c in _CHROME)
    + "]",
    _CONTAINER + "[" + " or ".join(f"contains(@class, '__{c}')" for c in _CHROME) + "]",  # article__share
    _CONTAINER
    + "["
    + " or ".join(f"contains(@data-component, '{c}')" for c in ("related", "cookie", "share"))
    + "]",
    "//nav",
    "//footer",
]

# Lines share and related-article widgets leave inside a body: "Lees ook: …", "Deel dit artikel".
_RESIDUE_LINE = re.compile(
    r"^(?:(?:lees|bekijk|kijk|luister|zie)\s+(?:ook|meer|hier|verder|terug)"
    r"|ook\s+interessant|meer\s+over\s+dit\s+onderwerp|gerelateerde?\s+artikel(?:en)?|gerelateerd"
    r"|deel\s+(?:dit\s+)?artikel|delen\s+via|advertentie)\b\s*(?::|$)",
    re.IGNORECASE,
)
_MAX_RESIDUE_CHARS = 200


class PageError(ValueError):
    """A page that yields no article; the message says why."""


def charset_of(content_type: str | None, head: bytes) -> str | None:
    """The declared encoding: HTTP Content-Type first, then a ``<meta>`` in the first 4 KB."""
    for found in (
        _HEADER_CHARSET.search(content_type or ""),
        _META_CHARSET.search(head[:4096]),
    ):
        if found:
            name = found.group(1)
            name = name.decode("ascii", "replace") if isinstance(name, bytes) else name
            try:
                return codecs.lookup(name).name
            except LookupError:
                continue
    return None


def decode_html(data: bytes, content_type: str | None = None, default: str = "utf-8") -> str:
    """The page as text in its declared encoding, else ``default``; PageError if the bytes do not decode."""
    declared = charset_of(content_type, data)
    encoding = declared or codecs.lookup(default).name
    if encoding == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        why = f"declared {declared}" if declared else "no charset declared"
        name = "UTF-8" if encoding == "utf-8" else encoding
        raise PageError(
            f"not {name} text ({why}): cannot decode byte 0x{data[e.start]:02x} at offset {e.start}"
        ) from None


def _parse_dt(value: object, tz: tzinfo) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip()
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)


def _jsonld_values(tree: Any, key: str) -> list[object]:
    found: list[object] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if key in node:
                found.append(node[key])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            walk(json.loads(script.text or ""))
        except ValueError:
            continue
    return found


_DATE_META = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//meta[@name='pubdate' or @name='publishdate' or @name='publish-date' or @name='date']/@content",
    "//meta[@name='DC.date.issued' or @name='dcterms.issued' or @name='dcterms.created']/@content",
)


def precise_date(tree: Any, tz: tzinfo = DEFAULT_TZ) -> datetime | None:
    """The page's own publication timestamp, with its time (and offset, else ``tz``), if it gives one."""
    candidates: list[object] = []
    for xpath in _DATE_META:
        candidates += tree.xpath(xpath)
    candidates += _jsonld_values(tree, "datePublished")
    candidates += tree.xpath("//article//time/@datetime") + tree.xpath("//time/@datetime")
    for value in candidates:
        dt = _parse_dt(value, tz)
        if dt is not None and ("T" in str(value) or " " in str(value).strip()):
            return dt
    return None


def _extractors() -> tuple[Any, Any, Any]:
    """trafilatura, htmldate's find_date and trafilatura's HTML loader, imported when first needed."""
    with warnings.catch_warnings():
        # trafilatura probes for urllib3's SOCKS support, which duiding does not use
        warnings.filterwarnings("ignore", message="SOCKS support in urllib3")
        import trafilatura
        from htmldate import find_date
        from trafilatura.utils import load_html
    return trafilatura, find_date, load_html


def _clean_text(text: str, title: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    folded_title = " ".join(title.split()).casefold()
    if lines and lines[0].casefold() == folded_title:
        lines = lines[1:]  # the headline, when the content container holds it
    return "\n".join(
        line for line in lines if not (len(line) <= _MAX_RESIDUE_CHARS and _RESIDUE_LINE.match(line))
    )


def _outlet(url: str | None, sitename: str | None) -> str | None:
    if url:
        known = urls.outlet_from_url(url)
        if known and known != urls.host(url):
            return known
    return (sitename or "").strip() or (urls.host(url) if url else None)


def extract_article(
    html: str,
    url: str | None = None,
    *,
    source: str | None = None,
    title_hint: str | None = None,
    published_hint: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> Article:
    """The article on a news page. ``url``: where it was fetched (else the page's canonical link).

    ``title_hint`` and ``published_hint`` (from a feed item) fill in what the page lacks. Raises
    PageError (no article found) or ValueError (what the model refused), each a readable line.
    """
    trafilatura, find_date, load_html = _extractors()

    tree = load_html(html)
    if tree is None:
        raise PageError("not an HTML page")
    doc = trafilatura.bare_extraction(
        load_html(html),
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        prune_xpath=PRUNE_XPATH,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None or not (doc.text or "").strip():
        raise PageError("no article text found on the page")
    title = (doc.title or title_hint or "").strip()
    text = _clean_text(doc.text, title)
    if len(text) < MIN_TEXT_CHARS:
        raise PageError(f"no article text found on the page (only {len(text)} characters)")
    page_url = url
    if page_url is None and doc.url and urls.is_http_url(doc.url):
        page_url = doc.url
    published = precise_date(tree, tz) or published_hint
    if published is None:
        day = find_date(tree, extensive_search=False, original_date=True)
        published = _parse_dt(day, tz) if day else None
    category = (doc.categories[0] if doc.categories else None) or _first_str(
        _jsonld_values(tree, "articleSection")
    )
    try:
        return Article(
            title=title,
            text=text,
            published=published,
            url=page_url,
            outlet=_outlet(page_url, doc.sitename),
            category=category,
            author=(doc.author or "").strip() or None,
            source_file=source,
        )
    except ValidationError as e:
        raise ValueError(describe_validation_error(e)) from None


def _first_str(values: list[object]) -> str | None:
    for v in values:
        if isinstance(v, str) and v.strip():
            return v.strip()
        if isinstance(v, list) and v and isinstance(v[0], str):
            return v[0].strip() or None
    return None


def article_from_html(
    data: bytes,
    source: str,
    url: str | None = None,
    content_type: str | None = None,
    *,
    title_hint: str | None = None,
    published_hint: datetime | None = None,
    default_encoding: str = "utf-8",
) -> Article | Reject:
    """The article on a page given as bytes, or a Reject naming ``source`` and the problem.

    ``default_encoding``: for a page that declares no charset (in ``content_type`` or a ``<meta>``).
    """
    try:
        html = decode_html(data, content_type, default_encoding)
        return extract_article(html, url, source=source, title_hint=title_hint, published_hint=published_hint)
    except ValueError as e:  # PageError, or the model's refusal
        return Reject(source, None, str(e))
