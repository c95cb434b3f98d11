"""Countries in Dutch: one canonical name each, the other names they go by, their adjectives and demonyms.

The canonical names are CLDR's Dutch territory names (through Babel), so ``Belarus``, ``Verenigde
Staten``, ``Oekraïne``. Other Dutch names (``Wit-Rusland``, ``VS``, ``Amerika``) and the English CLDR
names (``Ukraine``) resolve to them. Adjectives and demonyms (``Belarussische``, ``Russen``,
``Amerikaanse``) are derived by rule from the Dutch names, with a small table for the irregular ones,
and matched in their inflected forms.

Lookups fold case and accents (``Oekraiense`` finds Ukraine) and treat hyphens as spaces.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

from babel import Locale

__all__ = [
    "adjective_forms",
    "canonical_names",
    "country_canonical",
    "country_code",
    "country_of_adjective",
    "fold",
    "is_country_name",
]

#: CLDR two-letter territories that are not countries or places (unions, the UN, pseudo-locales).
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})

#: Dutch names CLDR does not give: older or informal names and the usual abbreviations in Dutch news.
#: (Babel has one name per territory; these are the others a Dutch text uses for the same country.)
VARIANTS: dict[str, tuple[str, ...]] = {
    "BY": ("Wit-Rusland",),
    "US": ("VS", "Amerika", "Verenigde Staten van Amerika", "USA"),
    "GB": ("VK", "Groot-Brittannië", "Brittannië", "UK"),
    "MK": ("Macedonië",),
    "CZ": ("Tsjechische Republiek",),
    "CD": ("DR Congo", "DRC", "Democratische Republiek Congo"),
    "AE": ("VAE",),
    "PS": ("Palestina",),
    "SZ": ("Swaziland",),
    "VA": ("Vaticaan",),
    "KG": ("Kirgizstan",),
    "TR": ("Türkiye",),
}

#: English CLDR names left out: in a Dutch text they name something else (``Georgia``: the US state;
#: the country is Georgië).
ENGLISH_SKIP = frozenset({"Georgia"})

#: Adjectives and demonyms (singular) the rules in :func:`_derived` get wrong, for the countries Dutch
#: news writes about most. Dutch country adjectives are irregular (Rusland → Russisch, Duitsland →
#: Duits, Spanje → Spaans/Spanjaard) and no library lists them: CLDR/Babel and pycountry have names,
#: not adjectives or demonyms. An entry here replaces the rules for that country. Inflected forms
#: (-e, plurals) are generated, except where the third field lists them (irregular plurals).
IRREGULAR: dict[str, tuple[str, str] | tuple[str, str, str]] = {
    "BY": ("Belarussisch Wit-Russisch", "Belarus Wit-Rus"),
    "RU": ("Russisch", "Rus Russin"),
    "UA": ("Oekraïens", "Oekraïner"),
    "DE": ("Duits", "Duitser"),
    "FR": ("Frans", "Fransman Française", "Fransen Fransmannen"),
    "GB": ("Brits", "Brit"),
    "ES": ("Spaans", "Spanjaard"),
    "CN": ("Chinees", "Chinees"),
    "JP": ("Japans", "Japanner"),
    "IN": ("Indiaas", "Indiër"),  # not Indiaan(s): that is Native American
    "PL": ("Pools", "Pool"),
    "SE": ("Zweeds", "Zweed"),
    "NO": ("Noors", "Noor"),
    "DK": ("Deens", "Deen"),
    "FI": ("Fins", "Fin"),
    "IE": ("Iers", "Ier"),
    "GR": ("Grieks", "Griek"),
    "CH": ("Zwitsers", "Zwitser"),
    "AT": ("Oostenrijks", "Oostenrijker"),
    "EE": ("Ests", "Est"),
    "LV": ("Lets", "Let"),
    "LT": ("Litouws", "Litouwer"),
    "HU": ("Hongaars", "Hongaar"),
    "RO": ("Roemeens", "Roemeen"),
    "BG": ("Bulgaars", "Bulgaar"),
    "SK": ("Slowaaks", "Slowaak"),
    "SI": ("Sloveens", "Sloveen"),
    "HR": ("Kroatisch", "Kroaat"),
    "BA": ("Bosnisch", "Bosniër"),
    "XK": ("Kosovaars", "Kosovaar"),
    "PT": ("Portugees", "Portugees"),
    "CY": ("Cypriotisch", "Cyprioot"),
    "LU": ("Luxemburgs", "Luxemburger"),
    "IL": ("Israëlisch", "Israëliër"),
    "PS": ("Palestijns", "Palestijn"),
    "IR": ("Iraans", "Iraniër"),
    "IQ": ("Iraaks", "Irakees"),
    "AF": ("Afghaans", "Afghaan"),
    "PK": ("Pakistaans", "Pakistaan"),
    "SA": ("Saoedisch Saoedi-Arabisch", "Saoediër Saoedi"),
    "YE": ("Jemenitisch", "Jemeniet"),
    "LB": ("Libanees", "Libanees"),
    "EG": ("Egyptisch", "Egyptenaar"),
    "QA": ("Qatarees", "Qatarees"),
    "SD": ("Soedanees", "Soedanees"),
    "AZ": ("Azerbeidzjaans", "Azerbeidzjaan"),
    "KZ": ("Kazachs", "Kazach"),
    "TW": ("Taiwanees", "Taiwanees"),
    "VN": ("Vietnamees", "Vietnamees"),
    "TH": ("Thais", "Thai"),
    "PH": ("Filipijns", "Filipijn"),
    "CA": ("Canadees", "Canadees"),
    "SR": ("Surinaams", "Surinamer"),
    "VE": ("Venezolaans", "Venezolaan"),
    "AR": ("Argentijns", "Argentijn"),
    "CL": ("Chileens", "Chileen"),
    "PE": ("Peruaans", "Peruaan"),
    "HT": ("Haïtiaans", "Haïtiaan"),
    "DO": ("Dominicaans", "Dominicaan"),  # Dominicaans is the Republic's, not Dominica's
    "ME": ("Montenegrijns", "Montenegrijn"),
    "AM": ("Armeens", "Armeniër"),
}

_VOWELS = "aeiouy"
_CONSONANT = "bcdfghjklmnpqrstvwxz"


def fold(text: str) -> str:
    """The lookup form of a name: case and accents folded, dots dropped, hyphens as spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace(".", "").replace("-", " ").casefold()
    return " ".join(text.split())


def _clean_cldr(name: str) -> tuple[str, list[str]]:
    """CLDR's ``Myanmar (Birma)`` → ``Myanmar`` + variant ``Birma``; ``Macau SAR van China`` → ``Macau``."""
    variants = re.findall(r"\(([^)]*)\)", name)
    name = re.sub(r"\s*\([^)]*\)", "", name)
    name = re.sub(r"\s+SAR van China$", "", name)
    return name.strip(), [v.strip() for v in variants if v.strip()]


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    """(code → canonical Dutch name, folded name → code, code → Dutch names to derive adjectives from)."""
    nl = Locale("nl").territories
    en = Locale("en").territories
    canonical: dict[str, str] = {}
    by_name: dict[str, str] = {}
    dutch: dict[str, list[str]] = defaultdict(list)
    codes = sorted(c for c in nl if len(c) == 2 and c.isalpha() and c.isupper() and c not in NOT_COUNTRIES)
    for code in codes:
        name, extra = _clean_cldr(nl[code])
        canonical[code] = name
        for n in (name, *extra, *VARIANTS.get(code, ())):
            by_name.setdefault(fold(n), code)
            if not _is_abbreviation(n):
                dutch[code].append(n)
    # English names come last: a Dutch name always wins a clash.
    for code in codes:
        if code in en:
            name, extra = _clean_cldr(en[code])
            for n in (name, *extra):
                if n not in ENGLISH_SKIP:
                    by_name.setdefault(fold(n), code)
    return canonical, by_name, dict(dutch)


def _is_abbreviation(name: str) -> bool:
    return name.replace(".", "").isupper()


def canonical_names() -> dict[str, str]:
    """Every country (and territory) code with its canonical Dutch name."""
    return dict(_tables()[0])


def country_canonical(code: str) -> str:
    """The canonical Dutch name of a country code (``BY`` → ``Belarus``)."""
    return _tables()[0][code]


@functools.cache
def _canonical_set() -> frozenset[str]:
    return frozenset(_tables()[0].values())


def is_country_name(name: str) -> bool:
    """Whether ``name`` is exactly the canonical Dutch name of a country."""
    return name in _canonical_set()


def country_code(name: str) -> str | None:
    """The country a place name stands for (``Wit-Rusland`` → ``BY``; genitive ``Ruslands`` → ``RU``)."""
    _, by_name, _ = _tables()
    key = fold(name)
    if key in by_name:
        return by_name[key]
    stripped = re.sub(r"(?:'s|')$", "", key)
    if stripped != key:
        return by_name.get(stripped)
    if key.endswith("s") and len(key) > 3:
        return by_name.get(key[:-1])
    return None


# --- adjectives and demonyms -------------------------------------------------------------------------


def _derived(name: str) -> tuple[list[str], list[str]]:
    """Adjectives and demonyms of a regular Dutch country name, by its ending."""
    if name.endswith("land"):  # Nederland → Nederlands, Nederlander
        stem = name[:-4]
        return [stem + "lands"], [stem + "lander"]
    if name.endswith("ië"):  # België → Belgisch, Belg; Italië → Italiaans; Australië → Australiër
        stem = name[:-2]
        return [stem + "isch", stem + "iaans"], [stem, stem + "iër", stem + "iaan"]
    if name.endswith("ije"):  # Turkije → Turks, Turk; Algerije → Algerijns, Algerijn
        stem = name[:-3]
        return [stem + "s", stem + "ijns"], [stem, stem + "ijn"]
    if name.endswith("a"):  # Amerika → Amerikaans, Amerikaan; Kenia, Cuba, Zuid-Afrika
        return [name + "ans"], [name + "an"]
    if name.endswith("o"):  # Marokko → Marokkaans, Marokkaan; Mexico
        return [name[:-1] + "aans"], [name[:-1] + "aan"]
    return [], []


def _adjective_inflections(adj: str) -> list[str]:
    """``Russisch`` → ``Russische``; ``Chinees`` → ``Chinese``."""
    m = re.search(r"(aa|ee|oo|uu)([bcdfghklmnprstvz])$", adj)
    with_e = adj[: m.start()] + m.group(1)[0] + m.group(2) + "e" if m else adj + "e"
    return [adj, with_e]


def _plural(dem: str) -> str:
    """Dutch plural of a demonym: Nederlander(s), Amerikaan → Amerikanen, Rus → Russen, Belg → Belgen."""
    if dem.endswith("man"):
        return dem[:-3] + "en"
    if dem.endswith(("er", "ër")) and len(dem) > 3:
        return dem + "s"
    if dem[-1] in _VOWELS:
        return dem + "s"
    m = re.search(r"(aa|ee|oo|uu)([bcdfghklmnprstvz])$", dem)
    if m:
        cons = {"s": "z", "f": "v"}.get(m.group(2), m.group(2))
        return dem[: m.start()] + m.group(1)[0] + cons + "en"
    low = dem.lower()
    if (
        len(low) >= 3
        and low[-1] in _CONSONANT
        and low[-2] in _VOWELS
        and low[-3] not in _VOWELS
        and low[-1] not in "wxy"
    ):
        return dem + dem[-1] + "en"  # short vowel: Rus → Russen, Brit → Britten
    return dem + "en"


def adjective_forms(
    adjectives: Sequence[str], demonyms: Sequence[str], plurals: Sequence[str] = ()
) -> list[str]:
    """Every inflected form of a country's adjectives and demonyms."""
    forms: list[str] = []
    for adj in adjectives:
        forms += _adjective_inflections(adj)
    for dem in demonyms:
        forms += [dem, _plural(dem)]
    forms.extend(plurals)
    return forms


@functools.cache
def _adjective_table() -> dict[str, str]:
    """folded adjective/demonym form → country code."""
    _, by_name, dutch = _tables()
    table: dict[str, str] = dict(by_name)  # a country name used as MISC still names the country
    for code, entry in IRREGULAR.items():
        adjs, dems, *rest = entry
        for form in adjective_forms(adjs.split(), dems.split(), rest[0].split() if rest else []):
            table.setdefault(fold(form), code)
    candidates: dict[str, set[str]] = defaultdict(set)
    for code, names in dutch.items():
        if code in IRREGULAR:
            continue
        for name in names:
            adjs, dems = _derived(name)
            for form in adjective_forms(adjs, dems):
                candidates[fold(form)].add(code)
    for form, codes in candidates.items():
        if len(codes) == 1 and form not in table:  # drop forms that two countries would share
            table[form] = next(iter(codes))
    return table


def country_of_adjective(word: str) -> str | None:
    """The country an adjective or demonym refers to (``Belarussische`` → ``BY``, ``Russen`` → ``RU``)."""
    return _adjective_table().get(fold(word))
