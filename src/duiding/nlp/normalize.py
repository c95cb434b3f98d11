"""Entity normalisation: one name per entity within an article, one id per entity across the archive.

Independent of the NER model: everything here works on :class:`~duiding.model.EntityMention` spans.

1. :func:`normalize_article` fills ``canonical`` within one article. PER: the fullest form of the
   person's name in the article (``Poetin``, ``Poetins``, ``Loekasjenko's``, the misspelt ``Loeksjenko``
   → ``Vladimir Poetin`` / ``Aleksandr Loekasjenko``; ``Van der Togt`` → ``Tony van der Togt``). LOC:
   a country's canonical Dutch name (``Wit-Rusland`` → ``Belarus``, ``VS`` → ``Verenigde Staten``),
   else the surface form. MISC: a country adjective or demonym names its country (``Belarussische`` →
   ``Belarus``), else the surface form. ORG: the surface form, or the fullest form in the article of
   which it is a suffix or the acronym (``Clingendael`` → ``Instituut Clingendael``).
2. :func:`entity_key` / :func:`entity_id` / :func:`link_entities`: a transliteration-aware key, so the
   Dutch and international spellings of a name meet (``Poetin``/``Putin``, ``Loekasjenko``/
   ``Lukashenko``, ``Chroesjtsjov``/``Khrushchev``), and a stable short id made from it.
   :func:`name_search_text` is the same normalisation as search words (``person:Putin`` finds Poetin).
3. :class:`EntityRegistry`: entities across articles, with mention counts and aliases.

What the key merges, on purpose and as a price (see :func:`translit`): transliteration variants
(tsj/ch, sj/sh, zj/zh, oe/u, j/y, final -i/-y/-ij/-iy/-yy, Dutch ch and English kh, ks/x, -ander/-andr);
a person's key is the first given name plus the surname, so middle names and initials do not count
(``George W. Bush`` and ``George H.W. Bush`` meet) and ``M. Rutte`` does not meet ``Mark Rutte``.
Doubled letters are kept: ``Jansen``/``Janssen``, ``Bakker``/``Baker``, ``De Wit``/``De Witt`` stay
apart, as do ``De Jong``/``De Jonge`` and ``Mark``/``Jan Rutte``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from duiding.model import Entity, EntityMention
from duiding.nlp import countries

__all__ = [
    "EntityRegistry",
    "PersonName",
    "entity_id",
    "entity_key",
    "link_entities",
    "name_search_text",
    "normalize_article",
    "parse_person",
    "translit",
]

# --- text folding ------------------------------------------------------------------------------------

# Letters NFKD does not take apart.
_SPECIAL = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "’": "'"}
)


def _fold(text: str) -> str:
    """Lower case, accents off (``Oekraïne`` → ``oekraine``), curly apostrophes straightened."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    return "".join(c for c in text if not unicodedata.combining(c))


def _ws(text: str) -> str:
    return " ".join(text.split())


# --- person names ------------------------------------------------------------------------------------

#: Name particles (tussenvoegsels) that may stand between given names and the surname.
PARTICLES = frozenset(
    {
        "van", "der", "den", "de", "ten", "ter", "te", "'t", "in", "het", "op", "uit", "von", "vom", "zu",
        "zum", "di", "da", "du", "le", "la", "del", "della", "dos", "das", "do", "bin", "ibn", "al", "el",
    }
)  # fmt: skip
#: The ones that may also start a name (``Van der Togt``, ``De Jonge``, ``In 't Veld``, ``Von der Leyen``);
#: ``Al``, ``Ben``, ``Do`` are first names too often to count as a particle there.
LEADING_PARTICLES = frozenset(
    {"van", "der", "den", "de", "ten", "ter", "te", "'t", "in", "op", "uit", "von", "vom", "zu", "le", "la",
     "du", "di", "da", "del", "della"}
)  # fmt: skip

_TITLES = re.compile(r"^(?:(?:dr|prof|mr|ir|drs|ing|dhr|mevr|mw)\.\s*)+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?<=\w)['’`´]s?$")
_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]?|[a-z]")


@dataclass(frozen=True)
class PersonName:
    """A person's name split into given names and surname (particles + the last word)."""

    given: tuple[str, ...]
    surname: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.given + self.surname)

    @property
    def is_full(self) -> bool:
        return bool(self.given)

    @property
    def core(self) -> str:
        """The last word of the surname, folded: what a surname-only mention is matched on."""
        return _fold(self.surname[-1])

    @property
    def particles(self) -> tuple[str, ...]:
        return tuple(_fold(t) for t in self.surname[:-1])

    @property
    def aliases(self) -> frozenset[str]:
        """The core and, for a double-barrelled surname, each of its parts (``Yeşilgöz-Zegerius``)."""
        parts = {p for p in self.core.split("-") if len(p) > 1 and p not in PARTICLES}
        return frozenset({self.core} | parts)

    def without_s(self) -> PersonName:
        return PersonName(self.given, (*self.surname[:-1], self.surname[-1][:-1]))


def parse_person(text: str) -> PersonName | None:
    """Split a person's name; titles (``dr.``, ``prof.``), roles (``president``) and ``'s`` are dropped.

    A name of one word, or of particles and one word (``Van der Togt``), is a surname only.
    """
    tokens = _TITLES.sub("", _ws(text)).split()
    # roles and titles the span may still hold are lower case; names (and leading particles) are not
    while len(tokens) > 1 and tokens[0][:1].islower() and _fold(tokens[0]) not in PARTICLES:
        tokens.pop(0)
    if not tokens:
        return None
    last = _POSSESSIVE.sub("", tokens[-1])
    if last:
        tokens[-1] = last
    i = len(tokens) - 1
    while i > 0 and _fold(tokens[i - 1]) in (LEADING_PARTICLES if i == 1 else PARTICLES):
        i -= 1
    return PersonName(tuple(tokens[:i]), tuple(tokens[i:]))


def _is_initial(token: str) -> bool:
    return _INITIALS.fullmatch(_fold(token)) is not None


def _given_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same first given name, or an initial of it; second given names (if both have one) must agree."""
    fa, fb = _fold(a[0]).rstrip("."), _fold(b[0]).rstrip(".")
    if _is_initial(a[0]) or _is_initial(b[0]):
        if fa[:1] != fb[:1]:
            return False
    elif fa != fb:
        return False
    if len(a) > 1 and len(b) > 1:
        return _fold(a[1])[:1] == _fold(b[1])[:1]
    return True


def _same_surname(p: PersonName, q: PersonName) -> bool:
    return p.core == q.core and (not p.particles or not q.particles or p.particles == q.particles)


def _osa_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment: adjacent swaps count one)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


#: Surname-only spellings this close to a name in the article are taken for a misspelling of it.
FUZZY_MIN_LETTERS = 6
FUZZY_MAX_DISTANCE = 1


def _close(a: str, b: str) -> bool:
    return (
        a != b
        and min(len(a), len(b)) >= FUZZY_MIN_LETTERS
        and abs(len(a) - len(b)) <= FUZZY_MAX_DISTANCE
        and _osa_distance(a, b) <= FUZZY_MAX_DISTANCE
    )


@dataclass
class _Person:
    """One person of an article: the mentions (index, start, name) that name them."""

    members: list[tuple[int, int, PersonName]] = field(default_factory=list)

    @property
    def full(self) -> list[tuple[int, PersonName]]:
        return [(start, name) for _, start, name in self.members if name.is_full]

    @property
    def aliases(self) -> set[str]:
        return {a for _, _, name in self.members for a in name.aliases}

    @property
    def particle_sets(self) -> set[tuple[str, ...]]:
        return {name.particles for _, _, name in self.members}

    def accepts_surname(self, name: PersonName, close: bool = False) -> bool:
        if name.particles and name.particles not in self.particle_sets:
            return False
        if close:
            return any(_close(name.core, a) for a in self.aliases)
        return name.core in self.aliases

    def canonical(self) -> str:
        full = self.full
        if full:  # the fullest form: most words, then longest
            return max((name.text for _, name in full), key=lambda t: (len(t.split()), len(t)))
        counts = Counter(name.text for _, _, name in self.members)
        first = {}
        for _, start, name in sorted(self.members, key=lambda m: m[1], reverse=True):
            first[name.text] = start
        return max(counts, key=lambda t: (counts[t], len(t), -first[t]))


def _nearest(people: list[_Person], start: int) -> _Person:
    """The person whose full name was mentioned last before ``start`` (else first after it)."""

    def rank(person: _Person) -> tuple[int, int]:
        before = [s for s, _ in person.full if s < start]
        if before:
            return (1, max(before))
        after = [s for s, _ in person.full] or [m[1] for m in person.members]
        return (0, -min(after))

    return max(people, key=rank)


def _strip_genitive_s(names: list[tuple[int, int, PersonName]]) -> list[tuple[int, int, PersonName]]:
    """``Poetins`` → ``Poetin`` when ``Poetin`` is a name in the article and ``Poetins`` is not one."""
    full_cores = Counter(a for _, _, n in names if n.is_full for a in n.aliases)
    all_cores = {n.core for _, _, n in names}
    out = []
    for idx, start, name in names:
        core = name.core
        if core.endswith("s") and len(core) > 3:
            base = core[:-1]
            if name.is_full:
                strip = full_cores[base] > 0
            else:
                strip = full_cores[core] == 0 and (full_cores[base] > 0 or base in all_cores)
            if strip:
                name = name.without_s()
        out.append((idx, start, name))
    return out


def _person_canonicals(mentions: Sequence[tuple[int, EntityMention]]) -> dict[int, str]:
    """Cluster one article's PER mentions into people; each mention's canonical is its person's name."""
    names: list[tuple[int, int, PersonName]] = []
    canonical: dict[int, str] = {}
    for idx, m in mentions:
        name = parse_person(m.text)
        if name is None:
            canonical[idx] = _ws(m.text)
        else:
            names.append((idx, m.start, name))
    names = _strip_genitive_s(sorted(names, key=lambda n: n[1]))

    # full names first: the same surname and compatible given names are one person
    people: list[_Person] = []
    for item in names:
        name = item[2]
        if not name.is_full:
            continue
        same = [
            p
            for p in people
            if any(_same_surname(name, q) and _given_compatible(name.given, q.given) for _, q in p.full)
        ]
        if same:
            _nearest(same, item[1]).members.append(item)
        else:
            people.append(_Person([item]))
    full_people = list(people)

    # surname-only mentions: an exact surname, else a unique first name, else their own person
    bare_people: dict[tuple[tuple[str, ...], str], _Person] = {}
    for item in names:
        idx, start, name = item
        if name.is_full:
            continue
        exact = [p for p in full_people if p.accepts_surname(name)]
        if exact:
            _nearest(exact, start).members.append(item)
            continue
        if not name.particles:
            by_given = [p for p in full_people if any(_fold(q.given[0]) == name.core for _, q in p.full)]
            if len(by_given) == 1:
                by_given[0].members.append(item)
                continue
        key = (name.particles, name.core)
        if key not in bare_people:
            bare_people[key] = _Person()
            people.append(bare_people[key])
        bare_people[key].members.append(item)

    # a surname-only spelling that matched nothing exactly: a misspelling of the one close name that is
    # mentioned more often (never two full names: those only meet exactly, above)
    for person in sorted(bare_people.values(), key=lambda p: (len(p.members), p.members[0][1])):
        name = person.members[0][2]
        close = [p for p in people if p is not person and p.accepts_surname(name, close=True)]
        if len(close) == 1 and len(person.members) < len(close[0].members):
            close[0].members.extend(person.members)
            person.members.clear()
            people.remove(person)

    for person in people:
        text = person.canonical()
        for idx, _, _ in person.members:
            canonical[idx] = text
    return canonical


# --- places, organisations, other names --------------------------------------------------------------


def _occurs(word: str, text: str) -> bool:
    """Whether ``word`` stands on its own somewhere in ``text`` (not inside a longer word or ``'s``)."""
    return re.search(rf"(?<!\w){re.escape(word)}(?![\w'’])", text) is not None


def _without_genitive(name: str, text: str) -> str:
    """``Amsterdams`` → ``Amsterdam`` only when ``Amsterdam`` itself occurs in the article."""
    m = re.fullmatch(r"(.+?\w)(?:['’]s?|s)", name)
    if m and len(m.group(1)) > 1 and _occurs(m.group(1), text):
        return m.group(1)
    return name


def _loc_canonical(surface: str, text: str) -> str:
    name = _ws(surface)
    code = countries.country_code(name)
    if code:
        return countries.country_canonical(code)
    return _without_genitive(name, text)


def _misc_canonical(surface: str) -> str:
    name = _ws(surface)
    code = countries.country_of_adjective(name)
    return countries.country_canonical(code) if code else name


def _initials(name: str, all_words: bool) -> str:
    words = [w for w in re.split(r"[\s-]+", name) if w]
    if not all_words:
        words = [w for w in words if w[:1].isupper()]
    return "".join(w[0] for w in words).casefold()


def _is_acronym(name: str) -> bool:
    return " " not in name and 2 <= len(name) <= 8 and sum(c.isupper() for c in name) >= 2 and name.isalpha()


def _org_canonicals(mentions: Sequence[tuple[int, EntityMention]], text: str) -> dict[int, str]:
    """ORG: the surface form, or the fullest form in the article it is a suffix or acronym of."""
    forms = {idx: _without_genitive(_ws(m.text), text) for idx, m in mentions}
    distinct = list(dict.fromkeys(forms.values()))
    out = {}
    for idx, form in forms.items():
        words = form.split()
        longer = [
            f
            for f in distinct
            if len(f.split()) > len(words)
            and f.split()[-len(words) :] == words
            and f.split()[0].casefold() != "jong"  # Jong Ajax is not Ajax
        ]
        if not longer and _is_acronym(form):
            short = form.casefold()
            longer = [f for f in distinct if " " in f and short in (_initials(f, True), _initials(f, False))]
        fullest = max(longer, key=len) if longer else form
        # only an unambiguous one: Kamer next to both Tweede Kamer and Eerste Kamer stays Kamer
        out[idx] = fullest if all(f == fullest or fullest.endswith(" " + f) for f in longer) else form
    return out


def normalize_article(text: str, mentions: list[EntityMention]) -> list[EntityMention]:
    """The article's mentions (in the same order, as copies) with ``canonical`` filled.

    ``entity_id`` is left as it is: :func:`link_entities` fills it.
    """
    canonical: dict[int, str] = {}
    canonical.update(_person_canonicals([(i, m) for i, m in enumerate(mentions) if m.label == "PER"]))
    canonical.update(_org_canonicals([(i, m) for i, m in enumerate(mentions) if m.label == "ORG"], text))
    for i, m in enumerate(mentions):
        if m.label == "LOC":
            canonical[i] = _loc_canonical(m.text, text)
        elif m.label == "MISC":
            canonical[i] = _misc_canonical(m.text)
    return [m.model_copy(update={"canonical": canonical.get(i, _ws(m.text))}) for i, m in enumerate(mentions)]


# --- keys across the archive -------------------------------------------------------------------------

_DIGRAPHS = (("tsj", "kh"), ("tch", "kh"), ("ch", "kh"), ("sj", "sh"), ("zj", "zh"), ("oe", "u"))


def translit(word: str) -> str:
    """One word in the common spelling Dutch and English transliterations meet in.

    ``Poetin``/``Putin`` → ``putin``; ``Loekasjenko``/``Lukashenko`` → ``lukashenko``;
    ``Zelensky``/``Zelenskyy``/``Zelenskij`` → ``zelenski``; ``Chroesjtsjov``/``Khrushchev`` →
    ``khrushkhev``. Steps: fold case and accents; x → ks; tsj, tch, ch → kh (the Dutch ch of х and the
    English ch of ч meet the English kh); sj → sh; zj → zh; oe → u; a final -i, -y, -j, -ij, -iy, -yy,
    -yj → i; Dutch ij → ei; j or y after a vowel → i, other j → y; ё after sh/zh/kh: -ov → -ev; a final
    consonant + -er → -r in words of six letters or more (Alexander/Aleksandr). Doubled letters stay
    (Jansen is not Janssen).
    """
    w = re.sub(r"[^a-z]", "", _fold(word))
    if not w:
        return ""
    w = w.replace("x", "ks")
    for old, new in _DIGRAPHS:
        w = w.replace(old, new)
    w = re.sub(r"(?:iy|yy|yi|ij|yj|ii|i|y|j)$", "i", w)
    w = w.replace("ij", "ei")
    w = re.sub(r"(?<=[aeiou])[jy]", "i", w)
    w = w.replace("j", "y")
    w = re.sub(r"(sh|zh|kh)ov(a|s)?$", r"\1ev\2", w)
    if len(w) >= 6:  # not the particle der
        w = re.sub(r"(?<=[bcdfgkpt])er$", "r", w)
    return w


def _words(text: str) -> list[str]:
    return [t for t in (translit(w) for w in re.split(r"[^\w]+", _fold(text))) if t]


def _person_key_parts(name: str) -> tuple[str, tuple[str, ...]]:
    """(first given name, surname words) in :func:`translit` spelling; no given name: ``""``."""
    person = parse_person(name)
    if person is None:
        return "", tuple(_words(name))
    first = _words(person.given[0])[:1] if person.given else []
    return (first[0] if first else ""), tuple(_words(" ".join(person.surname)))


def entity_key(label: str, canonical: str) -> str:
    """The key that one entity's spellings share across the archive: ``PER:vladimir putin``.

    PER: first given name + surname (middle names and titles left out); LOC: a country's canonical name
    first (``VS`` and ``Amerika`` meet); all: words in :func:`translit` spelling.
    """
    if label == "PER":
        first, surname = _person_key_parts(canonical)
        words = [first, *surname] if first else list(surname)
    elif label == "LOC":
        code = countries.country_code(canonical)
        words = _words(countries.country_canonical(code) if code else canonical)
    else:
        words = _words(canonical)
    return f"{label}:{' '.join(words) if words else _ws(_fold(canonical))}"


def entity_id(label: str, key: str) -> str:
    """A short id that is the same on every run and machine: ``per-`` + 12 hex digits of SHA-1(key)."""
    return f"{label.lower()}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def _link(label: str, canonical: str) -> str:
    if label == "MISC" and countries.is_country_name(canonical):
        label = "LOC"  # a country's adjective or demonym counts for the country
    return entity_id(label, entity_key(label, canonical))


def link_entities(mentions: Iterable[EntityMention]) -> list[EntityMention]:
    """The mentions (as copies) with ``entity_id`` filled from label and canonical name.

    A MISC mention normalised to a country (``Belarussische`` → ``Belarus``) gets the country's LOC id.
    A mention without ``canonical`` is keyed on its surface form (and gets that as canonical).
    """
    out = []
    for m in mentions:
        canonical = m.canonical or _ws(m.text)
        out.append(m.model_copy(update={"canonical": canonical, "entity_id": _link(m.label, canonical)}))
    return out


def name_search_text(label: str, text: str) -> str:
    """An entity name as search words: lower case, :func:`translit` spelling, countries canonical.

    Used for what is indexed (canonical names) and for what is asked (``person:Putin`` → ``putin``, which
    is a word of ``vladimir putin``, the indexed form of ``Vladimir Poetin``).
    """
    if label == "PER":
        person = parse_person(text)
        if person is not None:
            text = person.text
    elif label == "LOC":
        code = countries.country_code(text)
        if code:
            text = countries.country_canonical(code)
    return " ".join(_words(text))


# --- the archive's entities --------------------------------------------------------------------------


class EntityRegistry:
    """Entities across articles: pure Python, so the store can persist it however it likes.

    Counts ``(entity id, label, canonical, surface)``. A person only ever named by surname in an article
    (``per:putin``) joins the one full name with that surname in the registry (``Vladimir Poetin``);
    with two (``Mark Rutte``, ``Jan Rutte``) it stays apart. :meth:`resolve` maps ids accordingly.
    """

    def __init__(self) -> None:
        self._counts: dict[str, Counter[tuple[str, str, str]]] = defaultdict(Counter)
        self._merged_cache: dict[str, str] | None = None

    def __len__(self) -> int:
        return len(self._counts)

    def _rows(self, mentions: Iterable[EntityMention]) -> Iterable[tuple[str, tuple[str, str, str]]]:
        for m in mentions:
            if m.entity_id is None or m.canonical is None:
                (m,) = link_entities([m])
            assert m.entity_id is not None and m.canonical is not None
            yield m.entity_id, (m.label, m.canonical, _ws(m.text))

    def add(self, mentions: Iterable[EntityMention]) -> None:
        """Count linked mentions (unlinked ones are linked first)."""
        self._merged_cache = None
        for eid, row in self._rows(mentions):
            self._counts[eid][row] += 1

    def remove(self, mentions: Iterable[EntityMention]) -> None:
        """Uncount mentions added before (e.g. of an article about to be re-annotated)."""
        self._merged_cache = None
        for eid, row in self._rows(mentions):
            counts = self._counts.get(eid)
            if counts and counts[row] > 0:
                counts[row] -= 1
                if counts[row] == 0:
                    del counts[row]
                if not counts:
                    del self._counts[eid]

    def records(self) -> list[tuple[str, str, str, str, int]]:
        """``(entity_id, label, canonical, surface, count)`` rows: all a store needs to keep."""
        return sorted((eid, *row, n) for eid, counts in self._counts.items() for row, n in counts.items())

    @classmethod
    def from_records(cls, records: Iterable[Sequence]) -> EntityRegistry:
        registry = cls()
        for eid, label, canonical, surface, n in records:
            registry._counts[str(eid)][(str(label), str(canonical), str(surface))] += int(n)
        registry._merged_cache = None
        return registry

    def _merged(self) -> dict[str, str]:
        """Surname-only person ids → the one full-name id with that surname."""
        if self._merged_cache is None:
            self._merged_cache = self._compute_merged()
        return self._merged_cache

    def _compute_merged(self) -> dict[str, str]:
        full: dict[tuple[str, ...], list[str]] = defaultdict(list)
        bare: dict[str, tuple[str, ...]] = {}
        for eid, counts in self._counts.items():
            if not eid.startswith("per-"):
                continue
            spellings: Counter[str] = Counter()
            for (_, canonical, _), n in counts.items():
                spellings[canonical] += n
            canonical = spellings.most_common(1)[0][0]
            first, surname = _person_key_parts(canonical)
            if first:
                full[surname].append(eid)
            elif surname:
                bare[eid] = surname
        return {eid: full[s][0] for eid, s in bare.items() if len(full.get(s, ())) == 1}

    def resolve(self, entity_id: str) -> str:
        """The id under which :meth:`entities` lists ``entity_id``."""
        return self._merged().get(entity_id, entity_id)

    def entities(self) -> list[Entity]:
        """Every entity: most mentioned first."""
        merged = self._merged()
        groups: dict[str, Counter[tuple[str, str, str]]] = defaultdict(Counter)
        for eid, counts in self._counts.items():
            groups[merged.get(eid, eid)].update(counts)
        out = [
            Entity.from_mentions(eid, ((*row, n) for row, n in counts.items()))
            for eid, counts in groups.items()
            if counts
        ]
        return sorted(out, key=lambda e: (-e.mention_count, e.canonical, e.id))
