"""URLs of news articles: canonical form, outlet and the source's own article id."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import courlan

# Hosts whose outlet name is not simply their domain. Domain → the name the outlet uses itself.
KNOWN_OUTLETS: dict[str, str] = {
    "nos.nl": "NOS",
    "nu.nl": "NU.nl",
    "volkskrant.nl": "de Volkskrant",
    "trouw.nl": "Trouw",
    "ad.nl": "AD",
    "parool.nl": "Het Parool",
    "nrc.nl": "NRC",
    "telegraaf.nl": "De Telegraaf",
    "fd.nl": "Het Financieele Dagblad",
    "rtlnieuws.nl": "RTL Nieuws",
    "omroepbrabant.nl": "Omroep Brabant",
    "gelderlander.nl": "De Gelderlander",
    "tubantia.nl": "Tubantia",
    "bndestem.nl": "BN DeStem",
    "bd.nl": "Brabants Dagblad",
    "pzc.nl": "PZC",
    "ed.nl": "Eindhovens Dagblad",
    "destentor.nl": "De Stentor",
    "nieuwsuur.nl": "Nieuwsuur",
    "hln.be": "HLN",
    "standaard.be": "De Standaard",
    "demorgen.be": "De Morgen",
    "vrt.be": "VRT",
}

_ID_PATTERNS = (
    re.compile(r"/(?:artikel|article|nieuws|news)/(\d{4,})(?:[-/.]|$)"),  # nos.nl/artikel/2448020-…
    re.compile(r"~[a-z]?(\w{6,})/?$"),  # volkskrant.nl/…~b1a2c3d4/
    re.compile(r"/(\d{5,})(?:[-/.]|$)"),  # any long number as a path segment
)


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def canonicalize(url: str) -> str:
    """Canonical URL: lower-case scheme and host, no fragment, no tracking parameters (utm_* …)."""
    try:
        return courlan.normalize_url(url.strip(), strict=True)
    except ValueError:
        return url.strip()


def host(url: str) -> str:
    h = (urlsplit(url).hostname or "").lower()
    return h[4:] if h.startswith("www.") else h


def outlet_from_url(url: str) -> str | None:
    h = host(url)
    if not h:
        return None
    for domain, name in KNOWN_OUTLETS.items():
        if h == domain or h.endswith("." + domain):
            return name
    return h


def source_id_from_url(url: str) -> str | None:
    path = urlsplit(url).path
    for pattern in _ID_PATTERNS:
        m = pattern.search(path)
        if m:
            return m.group(1)
    return None


def slug(text: str | None) -> str:
    """`de Volkskrant` → `de-volkskrant`, `NU.nl` → `nu-nl`."""
    if not text:
        return ""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
