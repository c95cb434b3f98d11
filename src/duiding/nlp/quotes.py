"""Who says what: Dutch direct, indirect and mixed quotes with their speaker, role and organisation.

Rules over the tokens, sentences and normalised entities of duiding's NLP pipeline (``spec/quotes.md``
is the definition). Written here because no quote extractor for Dutch exists to build on, and no Dutch
dependency parser can be downloaded; the rules need only the tokenizer, the sentence splitter and NER,
so extraction costs little on top of the entity pipeline.

The steps, per article:

1. quotation marks are paired into quoted stretches (all mark styles; an apostrophe inside a word is
   never a mark, since the tokenizer keeps ``auto's`` and ``zo'n`` whole);
2. each stretch is attributed: a cue after it (``"…", zegt Hummels``), before it (``Hummels: "…"``,
   ``zei hij: "…"``), a following ``Dat zegt X.``, or else the source of the preceding sentences
   (continuation); short fragments inside a sentence are kept only as parts of reported speech or after
   ``noemt``/``sprak van``, so scare quotes and titles drop out;
3. reported speech without marks: a cue verb with a ``dat``-clause, ``volgens X``/``aldus X``, a
   sentence-final ``…, zegt X.``, attribution inside the sentence, ``X: …``; a quoted fragment inside
   such content makes it ``mixed``;
4. speakers are resolved to the fullest name the article gives (the entity normaliser's canonical name),
   pronouns to the nearest fitting person, spokespeople to the body they speak for; roles and
   organisations come from the words around the name anywhere in the article.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from duiding.model import Article, EntityMention, Quote
from duiding.nlp import countries, cues

OPENERS: dict[str, tuple[str, ...]] = {
    '"': ('"',),
    "“": ("”",),
    "„": ("”", "“", '"'),
    ",,": ("''", "”", '"'),  # ,,…'' in AD and the regional papers
    "«": ("»",),
    "‘": ("’", "'"),
    "'": ("'", "’"),
    "‹": ("›",),
    "‚": ("’", "‘"),
}
STRAIGHT = {'"', "'"}
QUOTE_MARKS = frozenset(['"', "“", "”", "„", "«", "»", "‘", "’", "'", "‹", "›", "‚", ",,", "''"])
END_PUNCT = frozenset(".!?")
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(slots=True)
class Tok:
    i: int
    text: str
    start: int
    end: int
    sent: int
    lower: str = ""
    ws_before: bool = True
    newline_before: bool = False
    mention: int | None = None  # index into the article's mentions

    @property
    def is_word(self) -> bool:
        return bool(_WORD.match(self.text))


@dataclass(slots=True)
class Source:
    """Who a quote is attributed to, as found in the text."""

    speaker: str | None
    aliases: list[str] = field(default_factory=list)
    role: str | None = None
    organisation: str | None = None
    entity: EntityMention | None = None
    person_key: str | None = None  # canonical name of a person source
    start: int = -1  # char offset of the phrase naming the source
    pronoun: tuple[str, int, bool] | None = None  # (word, offset, object form): resolved again last


@dataclass(slots=True)
class Quoted:
    """A stretch between paired quotation marks: tokens ``open``..``close`` (the marks)."""

    open: int
    close: int
    start: int
    end: int


@dataclass(slots=True)
class Found:
    start: int
    end: int
    type: str
    source: Source | None
    cue: str | None
    sent: int = 0
    pending: bool = False  # its source is the one of the sentences before it (resolved last)


# --- tokens and sentences -------------------------------------------------------------------------------


def _tokens(doc, mentions: Sequence[EntityMention]) -> tuple[list[Tok], list[tuple[int, int]]]:
    text = doc.text
    toks: list[Tok] = []
    sents: list[tuple[int, int]] = []
    starts = {m.start: n for n, m in enumerate(mentions)}
    ends = sorted((m.start, m.end, n) for n, m in enumerate(mentions))
    for s_no, sent in enumerate(doc.sents):
        first = len(toks)
        for t in sent:
            if t.is_space:
                continue
            gap = text[toks[-1].end : t.idx] if toks else text[: t.idx]
            toks.append(
                Tok(
                    i=len(toks),
                    text=t.text,
                    start=t.idx,
                    end=t.idx + len(t.text),
                    sent=s_no,
                    lower=t.text.lower(),
                    ws_before=bool(gap) or not toks,
                    newline_before="\n" in gap or not toks,
                )
            )
        sents.append((first, len(toks)))
    # which mention each token belongs to
    j = 0
    for tok in toks:
        while j < len(ends) and ends[j][1] <= tok.start:
            j += 1
        if j < len(ends) and ends[j][0] <= tok.start < ends[j][1]:
            tok.mention = ends[j][2]
        elif tok.start in starts:
            tok.mention = starts[tok.start]
    return toks, sents


# --- quotation marks ---------------------------------------------------------------------------------------


def _can_open(toks: list[Tok], k: int) -> bool:
    t = toks[k]
    if t.text not in OPENERS:
        return False
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    if nxt is None or nxt.ws_before or (nxt.text in QUOTE_MARKS and nxt.text not in OPENERS):
        return False
    if nxt.text in (",", ".", ";", ":", ")", "!", "?"):
        return False  # '", riep ze': a closing mark whose opening one was missed, not an opening one
    if t.text in STRAIGHT or t.text == "’":
        prev = toks[k - 1] if k else None
        return prev is None or t.ws_before or prev.text in "([-–—/:"
    return True


def _can_close(toks: list[Tok], k: int, opener: str) -> bool:
    t = toks[k]
    if t.text not in OPENERS[opener]:
        return False
    if t.ws_before:  # a closing mark hugs the word before it
        return False
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    return nxt is None or nxt.ws_before or not nxt.is_word


def find_quoted(toks: list[Tok]) -> list[Quoted]:
    """Pair quotation marks into stretches; a stretch never crosses a paragraph break."""
    out: list[Quoted] = []
    k = 0
    n = len(toks)
    while k < n:
        if not _can_open(toks, k):
            k += 1
            continue
        opener = toks[k].text
        m = k + 1
        close = None
        reopened = False
        while m < n:
            if toks[m].newline_before:
                break
            if _can_close(toks, m, opener):
                close = m
                break
            if toks[m].text == opener and _can_open(toks, m):
                reopened = True  # the same mark opens again: this quote was never closed
                break
            m += 1
        if reopened:
            # end it after its last full stop before the new opening mark (or right before that mark)
            last = next((j for j in range(m - 1, k, -1) if toks[j].text in END_PUNCT), m - 1)
            if last > k:
                out.append(Quoted(k, last + 1, toks[k].end, toks[last].end))
            k = m
            continue
        if close is None:
            # unclosed: a quote that runs to the end of its paragraph (the next one reopens it), if short
            last = m - 1
            if (
                last > k
                and toks[last].text in END_PUNCT | QUOTE_MARKS
                and toks[last].sent - toks[k].sent <= 6
            ):
                end_tok = last if toks[last].text in QUOTE_MARKS else last + 1
                out.append(Quoted(k, end_tok, toks[k].end, toks[end_tok - 1].end))
                k = m
                continue
            k += 1
            continue
        if close > k + 1:
            out.append(Quoted(k, close, toks[k].end, toks[close].start))
        k = close + 1
    return out


# --- sources -----------------------------------------------------------------------------------------------


class _Article:
    """What the rules need to know about one article."""

    def __init__(self, doc, mentions: Sequence[EntityMention]):
        self.text: str = doc.text
        self.mentions = [_as_person(m) for m in mentions]
        self.toks, self.sents = _tokens(doc, self.mentions)
        self.quoted = find_quoted(self.toks)
        self.in_quote = [False] * len(self.toks)
        for q in self.quoted:
            for k in range(q.open, min(q.close + 1, len(self.toks))):
                self.in_quote[k] = True
        # person canonical -> surface forms, in order
        self.person_forms: dict[str, list[str]] = {}
        for m in self.mentions:
            if m.label == "PER":
                key = m.canonical or m.text
                forms = self.person_forms.setdefault(key, [])
                surface = _strip_genitive(m.text)
                if surface not in forms:
                    forms.append(surface)
        self.roles: dict[str, tuple[str | None, str | None]] = {}
        self.full_names: dict[str, str | None] = {}
        self.tok_starts = [t.start for t in self.toks]
        self._collect_roles()
        self.speakers: list[tuple[int, Source]] = []  # (char offset, source) of the quotes found so far

    # roles and organisations around each person's name, anywhere in the article
    def _collect_roles(self) -> None:
        toks = self.toks
        k = 0
        while k < len(toks):
            t = toks[k]
            if t.mention is None or self.mentions[t.mention].label != "PER":
                k += 1
                continue
            m = self.mentions[t.mention]
            end = k
            while end + 1 < len(toks) and toks[end + 1].mention == t.mention:
                end += 1
            key = m.canonical or m.text
            role = _role_before(self, k)
            org = _org_after(self, end)
            appos = None
            if role is None:
                appos, org2 = _apposition(self, end)
                org = org or org2
            if role is None and appos:
                role = appos
            if role and org is None:
                org = _org_in_role(role)
            old_role, old_org = self.roles.get(key, (None, None))
            self.roles[key] = (old_role or role, old_org or org)
            k = end + 1

    def mention_at(self, k: int) -> EntityMention | None:
        t = self.toks[k]
        return self.mentions[t.mention] if t.mention is not None else None

    def span_of_mention(self, k: int) -> int:
        """The last token index of the mention that token k starts."""
        t = self.toks[k]
        end = k
        while end + 1 < len(self.toks) and self.toks[end + 1].mention == t.mention:
            end += 1
        return end


def _as_person(m: EntityMention) -> EntityMention:
    """A name NER labelled MISC or ORG that is plainly a person's (``Ingrid Bal``: a known first name and a
    capitalised surname) is treated as a person when looking for speakers."""
    if m.label == "PER" or m.label == "LOC":
        return m
    words = m.text.split()
    if (
        2 <= len(words) <= 4
        and all(w[:1].isupper() or w in _PARTICLES for w in words)
        and not any(c.isdigit() for c in m.text)
        and _first_name_gender(words[0]) is not None
        and words[-1][:1].isupper()
    ):
        return m.model_copy(update={"label": "PER", "canonical": m.canonical or m.text})
    return m


_GENITIVE = re.compile(r"(?:['’]s|['’])$")


def _strip_genitive(name: str) -> str:
    return _GENITIVE.sub("", name) if len(name) > 3 else name


_ROLE_STOP = cues.PHRASE_ENDERS | {"en"} - {"van", "bij"}


def _role_word(art: _Article, k: int) -> bool:
    t = art.toks[k]
    if not t.is_word:
        return False
    m = art.mention_at(k)
    if m is not None:
        if m.label == "MISC" and _possessive_name(art, k):
            return False  # "Poetins woordvoerder Dmitri Peskov": whose spokesman, not part of the role
        return m.label == "MISC" or (m.label == "ORG" and "-" in t.text)
    if t.lower in cues.CLAUSE_CUES or t.lower in cues.SEPARABLE_FORMS or t.lower in cues.FINITE:
        return False
    if t.lower in cues.PHRASE_ENDERS or t.lower in cues.DETERMINERS or t.lower in cues.PRONOUNS:
        return False
    return t.text[:1].islower() or "-" in t.text


def _possessive_name(art: _Article, k: int) -> bool:
    """A name's -s possessive the NER labelled MISC (``Poetins``), not an adjective of a country
    (``Nederlands minister``, ``Amerikaans president``)."""
    word = art.toks[k].text
    return countries.country_of_adjective(word) is None and _genitive(art, k)


def _of_body(art: _Article, j: int) -> bool:
    """Is token j inside a name that follows ``van``/``voor`` (``van Buitenlandse Zaken``)?"""
    m = art.mention_at(j)
    i = j
    while i > 0 and art.mention_at(i - 1) is m:
        i -= 1
    return i > 0 and art.toks[i - 1].lower in ("van", "voor")


def _role_before(art: _Article, k: int) -> str | None:
    """``journalist en Belarus-kenner`` in ``zegt journalist en Belarus-kenner Franka Hummels``."""
    toks = art.toks
    j = k - 1
    words: list[int] = []
    while j >= 0 and toks[j].sent == toks[k].sent and len(words) < 10:
        m = art.mention_at(j)
        if (
            _role_word(art, j)
            or (toks[j].lower == "en" and words)
            # "minister van Buitenlandse Zaken Wopke Hoekstra": a body inside the role
            or (m is not None and m.label in ("ORG", "LOC", "MISC") and j > 0 and _of_body(art, j))
            or (toks[j].lower in ("van", "voor") and words)
        ):
            words.append(j)
            j -= 1
            continue
        break
    # the role opens with a role word, not with "en", "van" or a name
    while words and (toks[words[-1]].lower in ("en", "van", "voor") or not _role_word(art, words[-1])):
        j = words.pop()
    if len(words) > 6:
        return None
    if not words:
        # "Minister Hoekstra", "Kamerlid Omtzigt" at the start of a sentence
        if (
            j == k - 1
            and j >= 0
            and toks[j].sent == toks[k].sent
            and toks[j].is_word
            and art.mention_at(j) is None
        ):
            first = art.sents[toks[k].sent][0]
            low = toks[j].lower
            closed = cues.CLAUSE_OPENERS | cues.MARKERS | cues.DETERMINERS | cues.PHRASE_ENDERS | cues.FINITE
            if j == first and low not in closed:
                return toks[j].text
        return None
    # what comes before the role must open a noun phrase: a determiner, a cue, the sentence start, a comma
    before = toks[j] if j >= 0 and toks[j].sent == toks[k].sent else None
    genitive = before is not None and j >= 0 and art.mention_at(j) is not None and _genitive(art, j)
    if (
        before is not None
        and not genitive
        and not (
            before.lower in cues.DETERMINERS
            or before.lower in cues.CLAUSE_CUES
            or before.lower in cues.AFTER_QUOTE
            or before.lower in cues.SEPARABLE_FORMS
            or before.lower in cues.MARKERS
            or before.lower in cues.FINITE
            or before.text in ",:;(–—"
            or before.text in QUOTE_MARKS
        )
    ):
        return None
    words.reverse()
    role = art.text[toks[words[0]].start : toks[words[-1]].end]
    return role


def _org_after(art: _Article, end: int) -> str | None:
    """``van Instituut Clingendael`` / ``(VVD)`` right after a person's name."""
    toks = art.toks
    j = end + 1
    if j < len(toks) and toks[j].text == "(" and j + 2 < len(toks) and toks[j + 2].text == ")":
        m = art.mention_at(j + 1)
        party = toks[j + 1].text
        if (m is not None and m.label == "ORG") or sum(c.isupper() for c in party) >= 2:
            return m.canonical if m is not None and m.canonical else party  # "(VVD)", "(GroenLinks)"
    if j < len(toks) and toks[j].lower in ("van", "bij", "namens") and toks[j].sent == toks[end].sent:
        j += 1
        if j < len(toks) and toks[j].lower in ("de", "het"):
            j += 1
        m = art.mention_at(j) if j < len(toks) else None
        if m is not None and (m.label == "ORG" or (m.label == "LOC" and " " in m.text)):
            return m.text  # "van Instituut Clingendael", "van de Universiteit Utrecht"
    return None


def _apposition(art: _Article, end: int) -> tuple[str | None, str | None]:
    """``Oriol Junqueras, voormalig vicepresident van Catalonië,``: the role after the name."""
    toks = art.toks
    j = end + 1
    if j >= len(toks) or toks[j].text != "," or j + 1 >= len(toks):
        return None, None
    first = j + 1
    if not toks[first].is_word or not toks[first].text[:1].islower():
        return None, None
    if toks[first].lower in cues.DETERMINERS | {"die", "wie", "waar", "dat", "zegt", "zei"} - {"de", "het"}:
        return None, None
    k = first
    org = None
    while k < len(toks) and k - first < 10 and toks[k].sent == toks[end].sent:
        t = toks[k]
        if t.text in ",.;:)" or t.text in QUOTE_MARKS:
            break
        if t.lower in cues.CLAUSE_CUES or t.lower in cues.FINITE or t.lower in ("die", "dat", "wie", "om"):
            return None, None
        m = art.mention_at(k)
        if m is not None and m.label == "ORG":
            org = m.text
        k += 1
    if k >= len(toks) or toks[k].text not in ",.;)" or k == first:
        return None, None
    role = art.text[toks[first].start : toks[k - 1].end]
    if role.lower().startswith(("de ", "het ")):
        role = role.split(" ", 1)[1]
    return role, org


_ORG_IN_ROLE = re.compile(r"\b(?:van|bij)\s+(?:de\s+|het\s+)?([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)")


def _org_in_role(role: str) -> str | None:
    m = _ORG_IN_ROLE.search(role)
    if m:
        return m.group(1)
    dash = re.match(r"([A-Z][A-Za-z]*[A-Z][A-Za-z]*)-\w", role)  # VVD-Kamerlid, CDA-parlementariër
    return dash.group(1) if dash else None


def _gender(name: str) -> str | None:
    first = name.split()[0] if " " in name else None
    if not first:
        return None
    return _first_name_gender(first)


@functools.cache
def _detector():
    import gender_guesser.detector as gd

    return gd.Detector(case_sensitive=False)


def _first_name_gender(first: str) -> str | None:
    try:
        g = _detector().get_gender(first, "the_netherlands")
    except Exception:
        return None
    if g in ("male", "mostly_male"):
        return "m"
    if g in ("female", "mostly_female"):
        return "f"
    return None


_NAME_THEN_BODY = re.compile(r"^(\S+(?: \S+)+?) (?:van|bij) (?:de |het )?([A-Z]\S*(?: [A-Z]\S*)+)$")


def _person_source(art: _Article, m: EntityMention, start: int) -> Source:
    key = m.canonical or m.text
    forms = art.person_forms.get(key, [])
    role, org = art.roles.get(key, (None, None))
    name = key
    body = _NAME_THEN_BODY.match(key)
    if body and sum(w[:1].isupper() for w in body.group(1).split()) >= 2:
        # "Jaap Korteweg van de Vegetarische Slager": the name, and the body they speak for
        name, org = body.group(1), org or body.group(2)
    elif " " in key and _is_title(key.split()[0]):
        # "Kamerlid Ruben Brekelmans": NER took the title into the name
        title, name = key.split(" ", 1)
        role = role or title
        if org is None:
            org = _org_in_role(title)
        if " " not in name and _first_name_gender(name) is not None:
            # "Kamerlid Michiel van Nispen" tagged as "Kamerlid Michiel": the surname follows in the text
            rest = _NAME_REST.match(art.text, m.end)
            if rest:
                name += rest.group(0)
    elif " " not in key:
        if key not in art.full_names:
            art.full_names[key] = _full_name(art, key)
        name = art.full_names[key] or key
    aliases = [f for f in forms if f != name]
    surname = _surname(name)
    if surname and surname != name and surname not in aliases:
        aliases.append(surname)
    return Source(name, aliases, role, org, m, name, start)


_NAME_REST = re.compile(r"(?: (?:van der|van den|van de|van|de|den|der|ter|ten|te))? [A-Z][\w'-]+")


def _is_title(word: str) -> bool:
    low = word.lower()
    return any(low == t or low.endswith("-" + t) or (len(t) > 6 and low.endswith(t)) for t in cues.TITLES)


def _full_name(art: _Article, surname: str) -> str | None:
    """``Anja Hazenkamp`` for a bare ``Hazenkamp`` when the text gives a first name before it (one the
    first-name table knows) that NER missed."""
    pattern = re.compile(
        r"\b([A-Z][^\W\d_]+) (?:(?:van|de|der|den|ter|ten|van der|van den|van de) )?"
        + re.escape(surname)
        + r"\b"
    )
    for match in pattern.finditer(art.text):
        if _first_name_gender(match.group(1)) is not None:
            return match.group(0)
    return None


_PARTICLES = {"van", "de", "der", "den", "ter", "ten", "te", "het", "'t", "von", "di", "da", "du", "le", "la"}


def _surname(name: str) -> str | None:
    words = name.split()
    if len(words) < 2:
        return None
    k = len(words) - 1
    while k > 1 and words[k - 1].lower() in _PARTICLES:
        k -= 1
    surname = " ".join(words[k:])
    return surname[:1].upper() + surname[1:]


def _noun_source(art: _Article, a: int, b: int) -> Source | None:
    """A source named by description: tokens a..b-1 (``experts``, ``een woordvoerder van het OM``)."""
    toks = art.toks
    while a < b and toks[a].lower in cues.CLAUSE_OPENERS:
        a += 1
    if a >= b:
        return None
    words = [t.lower for t in toks[a:b]]
    if not any(toks[k].is_word for k in range(a, b)):
        return None
    if any(_not_a_source_word(w) for w in words) or toks[a].text[:1].isdigit():
        return None
    if words[0] in ("er", "het", "dat", "dit", "wat", "die", "men") and b - a == 1:
        return Source("men", [], None, None, None, None, toks[a].start) if words[0] == "men" else None
    if words[0] in cues.NOT_A_SOURCE_START or any(w in ("hem", "hen", "mij", "me", "jou") for w in words):
        return None  # "je kijkt", "hem", "die hem": a pronoun that is not a subject, or a verb
    if words[-1] in cues.TIME_NOUNS:
        return None  # "de laatste dagen", "vorige week": when, not who
    if (
        b - a == 1
        and toks[a].text[:1].islower()
        and (
            words[0].endswith(cues.ADJECTIVE_ENDINGS)
            or words[0] in cues.PHRASE_ENDERS
            or _is_verbish(words[0])
        )
    ):
        return None  # "kort", "populair-wetenschappelijk": not a noun
    text = art.text[toks[a].start : toks[b - 1].end]
    aliases: list[str] = []
    org_mention = next(
        (art.mention_at(k) for k in range(a, b) if (mm := art.mention_at(k)) and mm.label == "ORG"), None
    )
    head = next((k for k in range(a, b) if toks[k].lower in cues.SPOKES), None)
    if head is not None:
        # "een woordvoerder van het OM": the body, with the description as an alias
        j = head + 1
        if j < b and toks[j].lower in ("van", "namens", "bij") and j + 1 < b:
            body = art.text[toks[j + 1].start : toks[b - 1].end]
            return Source(body, [text], None, None, org_mention, None, toks[a].start)
        if org_mention is not None:
            return Source(org_mention.text, [text], None, None, org_mention, None, toks[a].start)
    if toks[a].lower in ("de", "deze", "die") and b - a > 1 and org_mention is None:
        person = _described_person(art, a, b)
        if person is not None:
            person.aliases = [*person.aliases, text]
            return person
    if toks[a].lower in ("de", "het", "een") and b - a > 1:
        aliases.append(art.text[toks[a + 1].start : toks[b - 1].end])
    return Source(text, aliases, None, None, org_mention, None, toks[a].start)


def _described_person(art: _Article, a: int, b: int) -> Source | None:
    """``de advocaat`` → the person the article introduced as ``topadvocaat Sander Janssen``."""
    toks = art.toks
    end = next((k for k in range(a + 1, b) if toks[k].lower in ("van", "bij", "uit")), b)
    head = toks[end - 1].lower
    if len(head) < 4 or not head.isalpha():
        return None
    best: EntityMention | None = None
    for m in art.mentions:
        if m.label != "PER" or m.start >= toks[a].start:
            continue
        role = (art.roles.get(m.canonical or m.text) or (None, None))[0]
        if role and any(w.lower().endswith(head) for w in re.split(r"[\s-]+", role)):
            best = m
    return _person_source(art, best, toks[a].start) if best is not None else None


def _phrase_end(art: _Article, a: int, limit: int) -> int:
    """Where a source's noun phrase starting at token a ends (exclusive), at most at ``limit``.

    A phrase is determiners and modifiers up to a head (a name, or a common noun: a lower-case word
    not ending in an adjective's -e), then only attachments: ``van``/``bij``/``namens`` + a phrase,
    ``en`` + another phrase, a name after a role (``woordvoerder Jan Jansen``), ``(VVD)``.
    """
    toks = art.toks
    if a < limit and (
        toks[a].lower in cues.PHRASE_ENDERS - cues.DETERMINERS
        or toks[a].lower in cues.NOT_SUBJECT - cues.DETERMINERS
    ):
        return a
    k = a
    head = False
    while k < limit and k - a < 14:
        t = toks[k]
        if (not t.is_word and t.text not in ("-", "&")) or t.text in QUOTE_MARKS:
            if t.text == "(" and k + 2 < limit and toks[k + 2].text == ")":  # (VVD)
                k += 3
                continue
            break
        low = t.lower
        m = art.mention_at(k)
        named = (m is not None and not (m.label == "MISC" and low.endswith("e"))) or (
            m is None and t.text[:1].isupper() and k > a
        )
        if k > a and art.mention_at(k) is None:
            if low in ("van", "bij", "namens", "uit"):
                nxt = toks[k + 1] if k + 1 < limit else None
                nxt2 = toks[k + 2] if k + 2 < limit else None
                role_of = (  # "officier van justitie Lars Stempher"
                    nxt is not None
                    and nxt2 is not None
                    and nxt.text[:1].islower()
                    and art.mention_at(k + 2) is not None
                )
                if nxt is None or not (
                    nxt.lower in ("de", "het", "een") or nxt.text[:1].isupper() or role_of
                ):
                    break
                head = False
                k += 1
                continue
            if low == "en":
                nxt = toks[k + 1] if k + 1 < limit else None
                if (
                    nxt is None
                    or nxt.lower in cues.PHRASE_ENDERS - cues.DETERMINERS
                    or nxt.lower in cues.FINITE
                ):
                    break
                head = False
                k += 1
                continue
            if (
                low in cues.PHRASE_ENDERS
                and t.text[:1].islower()
                and not (
                    low in ("de", "het", "een") and toks[k - 1].lower in ("van", "bij", "en", "uit", "namens")
                )
            ):
                break
            if (
                low in cues.CLAUSE_CUES
                or low in cues.FINITE
                or low in cues.SEPARABLE_FORMS
                or low in cues.NAMING
            ):
                break
            if head and not named and not (t.text.isdigit() and toks[k - 1].is_word):
                break
        if named and low.endswith("e") and m is None:
            named = False  # a capitalised adjective: "de Amsterdamse advocaat"
        if named and m is not None and t.start == m.start and _genitive(art, k):
            named = False  # "Poetins woordvoerder": a possessive, the head comes after it
        if named or (
            t.text[:1].islower()
            and not low.endswith("e")
            and low not in cues.DETERMINERS
            and low not in cues.MODIFIERS
            and not t.text.isdigit()
        ):
            head = True
        k += 1
    return k


def _source_at(art: _Article, a: int, limit: int, before: int) -> tuple[Source | None, int]:
    """The source named from token a on (after a cue): a person, a pronoun, an organisation, a description.

    Returns the source and the token index after its phrase.
    """
    toks = art.toks
    if a >= limit:
        return None, a
    t = toks[a]
    if t.lower in cues.SUBJECT_PRONOUNS:
        return _pronoun(art, t.lower, before), a + 1
    end = _phrase_end(art, a, limit)
    if end == a:
        return None, a
    src = _persons_in(art, a, end)
    if src is not None:
        return src, end
    src = _noun_source(art, a, end)
    return src, end


def _genitive(art: _Article, k: int) -> bool:
    """Is the name at token k a possessive (``Poetins woordvoerder``, ``Loekasjenko's lot``)?"""
    m = art.mention_at(k)
    if m is None:
        return False
    end = art.span_of_mention(k)
    nxt = art.toks[end + 1] if end + 1 < len(art.toks) else None
    canonical = m.canonical or m.text
    if nxt is None or not nxt.is_word or not nxt.text[:1].islower():
        return False
    if m.text.endswith(("'s", "’s")) or (m.text.endswith("s") and not canonical.endswith("s")):
        return True
    # "Poetins woordvoerder Dmitri Peskov": an -s name, a role noun, then another name
    after = art.mention_at(end + 2) if end + 2 < len(art.toks) else None
    return m.text.endswith("s") and (nxt.lower in cues.SPOKES or _is_title(nxt.lower)) and after is not None


def _persons_in(art: _Article, a: int, end: int) -> Source | None:
    """The person a phrase names; ``X en Y`` when it names two joined by ``en``. A possessive is not
    the person (``Poetins woordvoerder Dmitri Peskov`` is Peskov)."""
    people: list[tuple[int, EntityMention]] = []
    for k in range(a, end):
        m = art.mention_at(k)
        if m is not None and m.label == "PER" and (not people or people[-1][1] is not m):
            if art.toks[k].start == m.start and _genitive(art, k):
                continue
            people.append((k, m))
    if not people:
        return None
    first = _person_source(art, people[0][1], art.toks[a].start)
    if len(people) == 2 and any(art.toks[j].lower == "en" for j in range(people[0][0], people[1][0])):
        second = people[1][1]
        names = f"{first.speaker} en {second.canonical or second.text}"
        return Source(
            names, [first.speaker or "", second.canonical or second.text], None, None, None, None, first.start
        )
    return first


def _pronoun(art: _Article, word: str, before: int, obj: bool = False) -> Source:
    """``hij``/``zij``/``ze`` as a source: resolved now as far as the quotes found so far allow, and
    again once all are found (:meth:`_Extractor.run`). ``obj``: an object form (``volgens hem``)."""
    found = _resolve_pronoun(art, word, before, obj)
    if found is None:
        return Source(None, [], pronoun=(word, before, obj), start=before)
    return dataclasses.replace(found, pronoun=(word, before, obj))


def _resolve_pronoun(art: _Article, word: str, before: int, obj: bool = False) -> Source | None:
    """Resolve ``hij``/``zij``/``ze`` to the nearest fitting person before char offset ``before``."""
    want = cues.PRONOUNS.get(word)
    # a person who is the subject of this sentence, before the pronoun: "Joop Hox vindt …, zegt hij"
    # (never for an object form: in "Fred Ros mocht volgens hem …", hem is not Fred Ros),
    # or of the sentence before: "Cor Molenaar spreekt van … Hij benadrukt …"
    subject = (None if obj else _previous_subject(art, before, same=True)) or _previous_subject(art, before)
    if subject is not None:
        g = _gender(subject.canonical or subject.text)
        if not (want and g and g != want):
            return _person_source(art, subject, subject.start)
    # the person quoted last, if recent: "zegt hij" mostly continues with the same speaker
    for start, source in reversed(art.speakers):
        if start >= before:
            continue
        if before - start > 600 or not source.person_key:
            break
        g = _gender(source.person_key)
        if want and g and g != want:
            break
        return source
    best: tuple[int, EntityMention] | None = None
    for n, m in enumerate(art.mentions):
        if m.label != "PER" or m.start >= before:
            continue
        key = m.canonical or m.text
        g = _gender(key)
        if want and g and g != want:
            continue
        if _inside_quote(art, m.start):
            continue
        best = (n, m)
    if best is None:
        if word in cues.PLURAL_PRONOUNS:
            return None
        return None
    return _person_source(art, best[1], best[1].start)


def _previous_subject(art: _Article, pos: int, same: bool = False) -> EntityMention | None:
    """The person opening the sentence before the one at ``pos`` (``same``: the one at ``pos``, before
    it), as its subject and not inside a quote."""
    k = bisect.bisect_right(art.tok_starts, pos) - 1
    if k < 0:
        return None
    s = art.toks[k].sent - (0 if same else 1)
    if s < 0:
        return None
    a, b = art.sents[s]
    if art.in_quote[a]:
        return None
    for j in range(a, min(b, a + 4, k if same else b)):
        m = art.mention_at(j)
        if m is not None and m.label == "PER":
            nxt = art.span_of_mention(j) + 1
            # the name must be followed by its verb (lower case), not be part of a longer phrase
            if nxt < b and art.toks[nxt].is_word and art.toks[nxt].text[:1].islower():
                return m
            return None
        if not art.toks[j].is_word or art.toks[j].lower in cues.NOT_SUBJECT:
            return None
    return None


def _inside_quote(art: _Article, pos: int) -> bool:
    return any(q.start <= pos < q.end for q in art.quoted)


# --- cue helpers ------------------------------------------------------------------------------------------


def _not_a_source_word(word: str) -> bool:
    """Polls, rules and systems do not speak: ``volgens de peiling``, ``volgens een puntensysteem``."""
    return word in cues.POLL_WORDS or any(len(w) > 4 and word.endswith(w) for w in cues.POLL_WORDS)


def _continues(t: Tok) -> bool:
    """Does the sentence go on after a medial attribution (``, zegt Jansen, is dat …``)?"""
    low = t.lower
    return low in cues.FINITE or low in cues.CONTINUERS or (t.text[:1].islower() and _is_verbish(low))


def _is_cue(word: str) -> bool:
    return word in cues.CLAUSE_CUES or word in cues.AFTER_QUOTE or word in cues.SEPARABLE_FORMS


def _is_verbish(word: str) -> bool:
    """Could this lower-case word be a finite verb (``somberde``, ``grapt``)? Not a known adjective."""
    return (
        bool(re.fullmatch(r"[a-zë]+(?:t|de|te|den|ten)", word))
        and word not in cues.PHRASE_ENDERS
        and word not in cues.NOT_VERBS
    )


def _after_attribution(art: _Article, k: int, sent_end: int) -> tuple[Source | None, str | None, int] | None:
    """``, zegt Hummels`` / ``, aldus de minister`` / ``, laat de politie weten`` from token k on.

    Returns (source, cue, index after the phrase) or None.
    """
    toks = art.toks
    if k < sent_end and toks[k].text == ",":
        k += 1
    if k < sent_end and toks[k].lower == "zo" and k + 1 < sent_end:
        k += 1
    if k >= sent_end:
        return None
    verb = toks[k]
    low = verb.lower
    if low == "volgens" or low == "aldus":
        src, end = _source_at(art, k + 1, sent_end, verb.start)
        return (src, low, end) if src else None
    if not verb.is_word or (verb.text[:1].isupper() and k != art.sents[verb.sent][0]):
        return None
    known = _is_cue(low) or low in cues.NAMING
    if not known and (not _is_verbish(low) or low in cues.FINITE):
        return None
    j = k + 1
    while j < sent_end and toks[j].lower in ("ook", "nog", "dan", "toen", "later", "nu", "al", "eerder"):
        j += 1  # "vond ook de Joongang Daily"
    if low in ("heeft", "hebben", "had", "hadden") and toks[k - 1].lower == "zo":
        # "…, zo heeft Kamerlid Omtzigt uitgevogeld."
        src, end = _source_at(art, j, sent_end, verb.start)
        if src is not None and end < sent_end and toks[end].is_word and toks[end].lower.startswith("ge"):
            return src, toks[end].lower, end + 1
        return None
    src, end = _source_at(art, j, sent_end, verb.start)
    if src is None:
        return None
    if not known and src.entity is None and src.person_key is None:
        return None
    cue = low
    if low in cues.SEPARABLE_FORMS and end < sent_end and toks[end].lower in cues.SEPARABLE_FORMS[low]:
        cue = f"{low} {toks[end].lower}"
        end += 1
    return src, cue, end


def _before_attribution(art: _Article, first: int, k: int) -> tuple[Source | None, str | None] | None:
    """``Hummels: "…"``, ``Hummels zei: "…"``, ``zegt hij: "…"``: tokens first..k-1 end with a colon."""
    toks = art.toks
    if k - 1 < first or toks[k - 1].text != ":":
        return None
    a, b = first, k - 1
    while a < b and toks[a].lower in cues.CLAUSE_OPENERS:
        a += 1
    if a >= b:
        return None
    # a cue verb in the clause
    verb = next((j for j in range(a, b) if _is_cue(toks[j].lower) or toks[j].lower in cues.NAMING), None)
    if verb is not None:
        if verb > a:
            src, _ = _source_at(art, a, verb, toks[a].start)
            if src is None and toks[verb - 1].lower in cues.SUBJECT_PRONOUNS:
                src = _pronoun(art, toks[verb - 1].lower, toks[verb - 1].start)  # "Zeker als hij zegt: …"
            if src is None:
                src, _ = _source_at(art, verb + 1, b, toks[verb].start)
        else:
            src, _ = _source_at(art, verb + 1, b, toks[verb].start)
        return (src, toks[verb].lower) if src else None
    # "Hummels:" / "Minister Hoekstra:" — a name alone
    if b - a <= 6:
        src, end = _source_at(art, a, b, toks[a].start)
        if src is not None and end == b and (src.entity is not None or src.person_key):
            return src, ":"
        known = _person_by_name(art, art.text[toks[a].start : toks[b - 1].end])
        if known is not None:
            return known, ":"
    return None


def _person_by_name(art: _Article, name: str) -> Source | None:
    """A person the article names in full, found by their surname (``Hazenkamp`` → Anja Hazenkamp)."""
    for m in art.mentions:
        key = m.canonical or m.text
        if m.label == "PER" and (key == name or _surname(key) == name or key.endswith(" " + name)):
            return _person_source(art, m, m.start)
    return None


# --- the extractor ----------------------------------------------------------------------------------------


class _Extractor:
    def __init__(self, doc, mentions: Sequence[EntityMention]):
        self.art = _Article(doc, mentions)
        self.found: list[Found] = []
        self.claimed: set[int] = set()  # quoted stretches used

    # every quote attributed to a source so far, by sentence
    def last_source(self, sent: int, pos: int) -> tuple[Source | None, str | None]:
        """Who an unattributed quote at ``pos`` continues: walking back (up to 4 sentences), the source
        of the nearest sentence with a quote, or a person the sentence has as its subject."""
        for s in range(sent, max(-1, sent - 5), -1):
            here = [f for f in self.found if f.sent == s and f.start < pos and not f.pending]
            if here:
                f = max(here, key=lambda f: f.start)
                return f.source, f.cue
            if s < sent:
                subject = self._subject_person(s)
                if subject is not None:
                    return subject, None
        earlier = [f for f in self.found if f.start < pos and not f.pending and f.source is not None]
        if earlier:
            f = max(earlier, key=lambda f: f.start)
            if sent - f.sent <= 8:
                return f.source, f.cue
        return None, None

    def _subject_person(self, s: int) -> Source | None:
        """A person named at the head of sentence s as its subject: followed by its verb (``Franak
        Viacorka nuanceert …``) or inverted right after the verb (``… verwacht Van der Togt …``)."""
        art, toks = self.art, self.art.toks
        a, b = art.sents[s]
        for k in range(a, min(b, a + 8)):
            if art.in_quote[k]:
                return None
            if toks[k].lower in ("hij", "zij") and k > a and toks[k - 1].is_word:
                src = _pronoun(art, toks[k].lower, toks[k].start)  # "… keert hij terug"
                return src if src.speaker else None
            m = art.mention_at(k)
            if m is not None and m.label == "PER":
                end = art.span_of_mention(k)
                before = toks[k - 1] if k > a else None
                after = toks[end + 1] if end + 1 < b else None
                j = k - 1  # over a role: "Dus klinkt softwareontwikkelaar Cory Zue (36) opgetogen"
                while j > a and (
                    toks[j].lower in cues.DETERMINERS
                    or (_role_word(art, j) and not _is_verbish(toks[j].lower) and not _is_cue(toks[j].lower))
                ):
                    j -= 1
                verb = toks[j] if j >= a and j < k else None
                inverted = verb is not None and (
                    _is_cue(verb.lower) or verb.lower in cues.FINITE or _is_verbish(verb.lower)
                )
                followed = (
                    after is not None
                    and after.is_word
                    and after.text[:1].islower()
                    and after.lower not in cues.NOT_SUBJECT | {"en", "van", "uit", "die", "dat"}
                )
                # "Fred van Engelen, vader van een van de meisjes, is …": a name opening the sentence
                opening = (
                    after is not None
                    and after.text in ",("
                    and all(toks[j].lower in cues.DETERMINERS or _role_word(art, j) for j in range(a, k))
                )
                if before is not None and before.lower in cues.NOT_SUBJECT | {"van", "met", "aan", "door"}:
                    return None
                return _person_source(art, m, m.start) if inverted or followed or opening else None
            if toks[k].lower in ("hij", "zij") and k <= a + 2:
                return _pronoun(art, toks[k].lower, toks[k].start)
        return None

    def add(self, start: int, end: int, typ: str, source: Source | None, cue: str | None, sent: int) -> Found:
        text = self.art.text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        f = Found(start, end, typ, source, cue, sent)
        self.found.append(f)
        if source is not None:
            self.art.speakers.append((start, source))
            self.art.speakers.sort(key=lambda x: x[0])
        return f

    def run(self) -> list[Found]:
        self.direct()
        self.indirect()
        # sources that depend on what came before, resolved in reading order
        self.art.speakers = []
        for f in sorted(self.found, key=lambda f: f.start):
            if f.pending:
                f.source, f.cue = self.last_source(f.sent, f.start)
                f.pending = False
            elif f.source is not None and f.source.pronoun is not None:
                word, at, obj = f.source.pronoun
                f.source = _resolve_pronoun(self.art, word, at, obj) or f.source
            if f.source is not None and f.source.speaker:
                self.art.speakers.append((f.start, f.source))
        return self.resolve()

    # direct quotes and quoted fragments
    def direct(self) -> None:
        art, toks = self.art, self.art.toks
        for n, q in enumerate(art.quoted):
            o, c = q.open, q.close
            s_first = art.sents[toks[o].sent][0]
            close_sent = toks[min(c, len(toks) - 1)].sent
            s_end = art.sents[close_sent][1]
            # the sentence may continue after the closing mark
            inner_words = sum(1 for t in toks[o + 1 : c] if t.is_word)
            ends_in_punct = c - 1 > o and toks[c - 1].text in ".!?,:;…"
            left_first = s_first
            # quoted sentences that start after a previous quote in the same sentence start after it
            for p in art.quoted[:n]:
                if p.close >= left_first and p.close < o:
                    left_first = p.close + 1
            left = [t for t in toks[left_first:o]]
            left_words = [t for t in left if t.is_word]
            after = _after_attribution(art, c + 1, s_end) if c + 1 < len(toks) else None
            before = _before_attribution(art, left_first, o)
            speechlike = inner_words >= 4 or ends_in_punct
            if self._title(o):
                continue
            if left and left[-1].text == ":" and before is None and inner_words >= 1:
                # "Rutte deed er laconiek over: '…'": the person the clause names, else who spoke last
                src = _persons_in(art, left_first, o - 1)
                if src is None and left_words and left_words[0].lower in ("hij", "zij", "ze"):
                    src = _pronoun(art, left_words[0].lower, left_words[0].start)
                if src is None and (inner_words < 8 or not self._recent(toks[o].sent)):
                    continue  # a sign, a headline, a name: "de bedrijfsnaam in beeld: '…'"
                f = self.add(q.start, q.end, "direct", src, ":", toks[o].sent)
                f.pending = src is None
                self.claimed.add(n)
                continue
            if not left_words or (left and left[-1].text == ":" and before is not None):
                # a quote that opens its sentence, or one led by "X:" / "X zei:"
                if before is not None:
                    src, cue = before
                elif after is not None:
                    src, cue = after[0], after[1]
                elif speechlike:
                    fwd = self._following_attribution(close_sent)
                    if fwd is not None:
                        src, cue = fwd
                    else:
                        f = self.add(q.start, q.end, "direct", None, None, toks[o].sent)
                        f.pending = True
                        self.claimed.add(n)
                        continue
                else:
                    continue
                if inner_words == 0:
                    continue
                self.add(q.start, q.end, "direct", src, cue, toks[o].sent)
                self.claimed.add(n)
                continue
            # a fragment inside a sentence: "noemt X 'Y'", "sprak van 'Y'", or reported speech with a cue
            if after is not None and inner_words >= 2 and left_words[-1].lower in ("maar", "en", "want"):
                self.add(q.start, q.end, "direct", after[0], after[1], toks[o].sent)
                self.claimed.add(n)
                continue
            naming = next((t for t in reversed(left) if t.lower in cues.NAMING), None)
            if naming is not None and not self._in_clause_cue(left):
                src = self._subject(left_first, naming.i)
                if src is None:
                    src = _source_at(art, naming.i + 1, o, naming.start)[0]
                if src is not None:
                    self.add(q.start, q.end, "direct", src, naming.lower, toks[o].sent)
                    self.claimed.add(n)
                    continue
            # "De senatoren vonden de wet 'niet praktisch genoeg'", "Özütok is 'een beetje flabbergasted'",
            # "… de 'agent' van Kim had genoemd": the words of the clause's named subject
            verb = next(
                (t for t in left if t.lower in cues.STANCE_FORMS or t.lower in cues.FRAGMENT_VERBS), None
            )
            right = toks[c + 1 : s_end]
            if verb is None:
                verb = next((t for t in right if t.lower in cues.NAMING), None)
            name_like = toks[o + 1].text[:1].isupper() and inner_words <= 3  # 'Appie', 'Nobelprijs …'
            passive = any(t.lower in ("wordt", "werd", "worden", "werden") for t in right)
            if (
                verb is not None
                and after is None
                and not name_like
                and not passive
                and not self._in_clause_cue(left)
            ):
                src = self._subject(left_first, verb.i if verb.i < o else o)
                named = src is not None and (src.entity is not None or src.person_key)
                if src is not None and (named or verb.lower in cues.STANCE_FORMS):
                    self.add(q.start, q.end, "direct", src, verb.lower, toks[o].sent)
                    self.claimed.add(n)
                    continue
            if speechlike and inner_words >= 6 and after is None and not self._in_clause_cue(left):
                # a whole quoted sentence after an introduction without a colon: "Hij zei toen 'Ik …'"
                cue_tok = next((t for t in reversed(left) if _is_cue(t.lower)), None)
                if cue_tok is not None:
                    src = (
                        self._subject(left_first, cue_tok.i)
                        or _source_at(art, cue_tok.i + 1, o, cue_tok.start)[0]
                    )
                    self.add(q.start, q.end, "direct", src, cue_tok.lower, toks[o].sent)
                    self.claimed.add(n)

    def _recent(self, sent: int) -> bool:
        """Was a quote attributed in this sentence or the two before it?"""
        return any(sent - 2 <= f.sent <= sent and f.source is not None for f in self.found)

    def _title(self, o: int) -> bool:
        toks = self.art.toks
        return any(toks[j].lower in cues.TITLE_CUES for j in range(max(0, o - 2), o))

    def _in_clause_cue(self, left: list[Tok]) -> bool:
        words = [t.lower for t in left]
        for i, w in enumerate(words):
            if (
                w in cues.CLAUSE_CUES or w in cues.SEPARABLE_FORMS or w in cues.SEPARABLE_PARTICIPLES
            ) and "dat" in words[i + 1 :]:
                return True
            if w in cues.MARKERS:
                return True
        return False

    def _following_attribution(self, sent: int) -> tuple[Source | None, str | None] | None:
        """``'…' Dat zegt X.``: the next sentence names the source."""
        art, toks = self.art, self.art.toks
        if sent + 1 >= len(art.sents):
            return None
        a, b = art.sents[sent + 1]
        if b - a < 3 or toks[a].lower not in ("dat", "dit"):
            return None
        k = a + 1
        verb = toks[k]
        if verb.lower in ("heeft", "hebben", "had", "hadden"):
            # "Dat heeft de NCTV bekendgemaakt."
            src, end = _source_at(art, k + 1, b, verb.start)
            if (
                src is not None
                and end < b
                and (toks[end].lower in cues.CLAUSE_CUES or toks[end].lower in cues.SEPARABLE_PARTICIPLES)
            ):
                return src, toks[end].lower
            return None
        if not (_is_cue(verb.lower) or verb.lower in ("schrijft", "schreef", "meldt", "meldde")):
            return None
        src, _ = _source_at(art, k + 1, b, verb.start)
        return (src, verb.lower) if src is not None else None

    def _subject(self, first: int, verb: int) -> Source | None:
        """The subject before a verb: the clause's first noun phrase (``De Belarussische regering``)."""
        art, toks = self.art, self.art.toks
        a = first
        while a < verb and (toks[a].lower in cues.CLAUSE_OPENERS or not toks[a].is_word):
            a += 1
        if a >= verb:
            return None
        # a person named before the verb
        if not any(art.in_quote[k] for k in range(a, verb)):
            src = _persons_in(art, a, _phrase_end(art, a, verb))
            if src is not None:
                return src
        t = toks[a]
        if t.lower in cues.SUBJECT_PRONOUNS:
            return _pronoun(art, t.lower, t.start)
        if t.lower in ("die", "deze") and a + 1 == verb:
            # "… die over de gaswinning ging: Henk Kamp. Die hield vol dat …": the last person named
            last = [
                m
                for m in art.mentions
                if m.label == "PER" and m.start < t.start and not _inside_quote(art, m.start)
            ]
            return _person_source(art, last[-1], last[-1].start) if last else None
        if t.lower in ("ik", "men"):
            return Source(t.lower, [], None, None, None, None, t.start) if t.lower == "men" else None
        end = _phrase_end(art, a, verb)
        if end == a:
            return None
        # a fronted adverbial ("Maandag", "In een verklaring") is not a subject
        if (
            t.lower in cues.PHRASE_ENDERS - {"de", "het", "een"}
            or t.lower in cues.FINITE
            or t.lower in cues.NOT_SUBJECT
        ):
            return None
        if _is_cue(t.lower) or t.lower in cues.NAMING:
            return None
        if end + 2 < verb and toks[end].text == ",":
            m = art.mention_at(end + 1)
            if m is not None and m.label == "PER":
                close = art.span_of_mention(end + 1) + 1
                if close < len(toks) and toks[close].text == ",":
                    return _person_source(art, m, toks[a].start)
        if end < verb and toks[end].text != "," and not (toks[end].is_word and toks[end].text[:1].islower()):
            # the phrase must reach the verb ("Experts denken", "De regering sprak … en zei")
            return None
        return _noun_source(art, a, end)

    # reported speech without marks
    def indirect(self) -> None:
        art, toks = self.art, self.art.toks
        for s, (a, b) in enumerate(art.sents):
            if b - a < 3:
                continue
            if self._covered(toks[a].start, toks[b - 1].end, 0.6):
                continue
            self._sentence(s, a, b)

    def _covered(self, start: int, end: int, share: float) -> bool:
        n = end - start
        if n <= 0:
            return True
        inside = sum(max(0, min(end, f.end) - max(start, f.start)) for f in self.found)
        return inside / n >= share

    def _content_end(self, a: int, b: int) -> int:
        """Char offset where a sentence's content ends: before the final full stop (and a closing mark)."""
        toks = self.art.toks
        k = b - 1
        while k >= a and (toks[k].text in END_PUNCT or toks[k].text in ("…", ")")):
            k -= 1
        if k >= a and toks[k].text in QUOTE_MARKS:
            return toks[k].start
        return toks[k].end if k >= a else toks[a].start

    def _sentence(self, s: int, a: int, b: int) -> None:
        art, toks = self.art, self.art.toks
        words = [t.lower for t in toks[a:b]]
        # 1. sentence-final attribution: "…, zegt X." / "…, aldus X." / "…, volgens X."
        for k in range(b - 2, a, -1):
            if toks[k].text != "," or art.in_quote[k]:
                continue
            att = _after_attribution(art, k, b)
            if att is None:
                continue
            src, cue, end = att
            before = [t for t in toks[a:k] if t.is_word and not art.in_quote[t.i]]
            if len(before) < 2 and toks[k - 1].text in QUOTE_MARKS:
                continue  # "'…', zegt X": a direct quote, attributed in the direct pass
            if end + 2 < b and toks[end].text == "," and toks[end + 1].lower in ("van", "bij", "namens"):
                # an apposition: "zegt woordvoerder Toon van Dijk, van het NVWA, net zoals …"
                nxt = next((j for j in range(end + 1, b) if toks[j].text == ","), None)
                if nxt is not None:
                    end = nxt
            rest = [t for t in toks[end:b] if t.is_word]
            if (
                rest
                and toks[end].text == ","
                and end + 1 < b
                and (_continues(toks[end + 1]) or toks[end + 1].lower in ("net", "zoals"))
            ):
                # medial: "De reden, zegt Jansen, is dat …": the whole sentence, cue included
                self._record(toks[a].start, self._content_end(a, b), src, cue, s, a, b)
                return
            if rest and toks[end].text != ",":
                # "…, vertelde Ross de rechter." / "…, aldus X aan de telefoon." — no clause may follow
                words = [t.lower for t in rest]
                head = cue.split()[0]
                if (
                    not (_is_cue(head) or head in cues.MARKERS)
                    or len(words) > 8
                    or any(w in cues.FINITE or w in ("dat", "die", "omdat") for w in words)
                ):
                    continue
            if src is None or (
                src.entity is None
                and src.person_key is None
                and cue not in ("aldus", "volgens")
                and not _is_cue(cue.split()[0])
            ):
                continue
            if cue.split()[0] in cues.NAMING or cue in cues.QUESTION:
                continue
            end_char = toks[k - 1].start if toks[k - 1].text in QUOTE_MARKS else toks[k].start
            self._record(toks[a].start, end_char, src, cue, s, a, k)
            return
        # 2. "Volgens X …" at the start
        first = a
        while first < b and (toks[first].lower in cues.CLAUSE_OPENERS or toks[first].text in QUOTE_MARKS):
            first += 1
        if first < b and toks[first].lower == "volgens":
            src, end = self._volgens(first + 1, b)
            if src is not None:
                if end < b and toks[end].text == ",":
                    end += 1
                if end < b:
                    self._record(toks[end].start, self._content_end(a, b), src, "volgens", s, end, b)
                return
        # 3. "volgens X" inside the sentence: the whole sentence; "X heeft naar eigen zeggen …" too
        for k in range(a, b - 2):
            if [t.lower for t in toks[k : k + 3]] == ["naar", "eigen", "zeggen"] and not art.in_quote[k]:
                src = self._subject(a, k) or self._subject_person(s)
                if src is None:
                    m = next((art.mention_at(j) for j in range(a, k) if art.mention_at(j) is not None), None)
                    if m is not None and m.label in ("PER", "ORG"):
                        src = (
                            _person_source(art, m, m.start)
                            if m.label == "PER"
                            else Source(m.text, [], entity=m)
                        )
                if src is not None:
                    self._record(toks[a].start, self._content_end(a, b), src, "naar eigen zeggen", s, a, b)
                    return
        for k in range(first + 1, b - 1):
            if toks[k].lower == "volgens" and not art.in_quote[k]:
                src, end = self._volgens(k + 1, b)
                if src is not None:
                    self._record(toks[a].start, self._content_end(a, b), src, "volgens", s, a, b)
                    return
        # 4. cue verbs with a dat-clause: "erkent dat …, maar stelt dat …" gives two records
        clauses: list[tuple[int, int, str | None, Source]] = []
        for k in range(a, b):
            if art.in_quote[k] or (clauses and k <= clauses[-1][1]):
                continue
            clause = self._clause_after(k, b)
            if clause is None:
                continue
            dat, cue = clause
            if toks[k].lower in cues.STANCE_FORMS and toks[a].lower in cues.SPECULATION:
                continue  # "Vermoedelijk dacht Joël S. dat …": the writer's guess, not a statement
            src = self._cue_subject(a, k, dat, b)
            if src is not None:
                clauses.append((k, dat, cue or toks[k].lower, src))
        for n, (_verb, dat, cue, src) in enumerate(clauses):
            stop = b
            if n + 1 < len(clauses):
                stop = clauses[n + 1][0]
                while stop > dat + 1 and (
                    toks[stop - 1].lower in ("maar", "en", "ook") or toks[stop - 1].text == ","
                ):
                    stop -= 1
            end = self._content_end(dat + 1, stop) if stop == b else toks[stop - 1].end
            self._record(toks[dat + 1].start, end, src, cue, s, dat + 1, stop)
        if clauses:
            return
        # 4b. "X heeft het gezegd: <content>" — a cue before a colon, the content after it
        for k in range(a + 2, b - 2):
            if toks[k].text == ":" and not art.in_quote[k] and toks[k + 1].text not in QUOTE_MARKS:
                # only with the cue right before the colon: "… tegen zijn partijgenoten gezegd: …"
                last = toks[k - 1].lower
                speech = last in cues.SPEECH_FORMS or last in cues.SEPARABLE_PARTICIPLES
                verb = k - 1 if speech else None
                if verb is not None and toks[verb].lower not in cues.QUESTION:
                    src = self._subject(a, verb) or _source_at(art, verb + 1, k, toks[verb].start)[0]
                    if src is not None:
                        self._record(
                            toks[k + 1].start, self._content_end(k + 1, b), src, toks[verb].lower, s, k + 1, b
                        )
                        return
                break
        # 5. "X: …" (a name and a colon open the sentence)
        for k in range(a + 1, min(b - 2, a + 7)):
            if toks[k].text == ":" and not art.in_quote[k]:
                if toks[k + 1].text in QUOTE_MARKS:
                    break
                src, end = _source_at(art, a, k, toks[a].start)
                if (
                    src is not None
                    and end == k
                    and src.entity is not None
                    and src.entity.label in ("PER", "ORG")
                ):
                    self._record(toks[k + 1].start, self._content_end(k + 1, b), src, ":", s, k + 1, b)
                break
        # 6. "… Dat zegt X." — this sentence is the content of the next one's cue
        if not any(w in ("?",) for w in words[-2:]):
            fwd = self._following_attribution(s)
            if fwd is not None and fwd[0] is not None and not art.in_quote[a]:
                self._record(toks[a].start, self._content_end(a, b), fwd[0], fwd[1], s, a, b)

    def _volgens(self, a: int, b: int) -> tuple[Source | None, int]:
        art, toks = self.art, self.art.toks
        if a >= b:
            return None, a
        t = toks[a]
        if t.lower in ("mij", "me", "ons", "jou", "u"):
            return None, a  # "volgens mij": the writer's own view
        if t.lower in cues.PRONOUNS or t.lower in ("hen", "hun"):
            word = {"hem": "hij", "haar": "zij", "hen": "zij", "hun": "zij"}.get(t.lower, t.lower)
            return _pronoun(art, word, t.start, obj=True), a + 1
        end = _phrase_end(art, a, b)
        if end == a or end - a >= 10:
            return None, a
        phrase = art.text[toks[a].start : toks[end - 1].end].lower()
        around = phrase.split() + [t.lower for t in toks[end : min(b, end + 2)]]
        if phrase in cues.NOT_SOURCES or any(_not_a_source_word(w) for w in around):
            return None, a
        person = _persons_in(art, a, end)
        if person is not None:
            return person, end
        return _noun_source(art, a, end), end

    def _clause_after(self, k: int, b: int) -> tuple[int, str | None] | None:
        """If token k is a cue verb whose content clause follows, the index of its ``dat``/``te``."""
        toks = self.art.toks
        low = toks[k].lower
        if low in cues.SEPARABLE_FORMS:
            # "geeft aan dat", "liet X weten dat", "kondigde aan dat"
            for j in range(k + 1, min(b - 1, k + 8)):
                if toks[j].lower in cues.SEPARABLE_FORMS[low]:
                    nxt = j + 1
                    if nxt < b and toks[nxt].text == ",":
                        nxt += 1
                    if nxt < b and toks[nxt].lower == "dat":
                        return nxt, f"{low} {toks[j].lower}"
                if toks[j].text in ",.;:" or toks[j].lower == "dat":
                    break
            if low not in cues.CLAUSE_CUES:
                return self._te_clause(k, b)
        if low in cues.SEPARABLE_PARTICIPLES:
            if k + 1 < b and toks[k + 1].lower == "dat":
                return k + 1, low
            return self._te_clause(k, b)
        if low not in cues.CLAUSE_CUES:
            return None
        if (
            low.startswith("ge")
            and cues.CLAUSE_CUES.get(low)
            and low not in ("geloof", "gelooft", "geloven", "geloofde", "geloofden")
        ):
            # participle: only in a perfect with a source, never a passive ("wordt gevreesd dat")
            prev = [t.lower for t in toks[max(0, k - 8) : k]]
            if any(w in ("wordt", "werd", "worden", "werden") for w in prev):
                return None
        dat = self._dat_clause(k, b, low)
        if dat is not None:
            return dat
        return self._te_clause(k, b)

    def _dat_clause(self, k: int, b: int, low: str) -> tuple[int, str | None] | None:
        toks = self.art.toks
        for j in range(k + 1, min(b - 1, k + 9)):
            w = toks[j].lower
            if w == "dat" or (w == "hoe" and cues.CLAUSE_CUES.get(low) in cues.HOW_CUES):
                return j, None
            if w == "," and j + 1 < b and toks[j + 1].lower == "dat":
                return j + 1, None
            if (
                toks[j].text in ",.;:?"
                or toks[j].text in QUOTE_MARKS
                or w in ("of", "om", "omdat", "hoe", "wat", "waarom", "wie")
            ):
                return None
            if w in cues.CLAUSE_CUES or w in cues.FINITE:
                return None
        return None

    def _te_clause(self, k: int, b: int) -> tuple[int, str | None] | None:
        """``zei tevreden te zijn``, ``gaf aan een plan te komen``: content ending in ``te`` + verbs.

        Returns the index of the token before the content (the verb, its inverted subject, a particle
        or ``om``).
        """
        art, toks = self.art, self.art.toks
        low = toks[k].lower
        if not (
            low in cues.SPEECH_FORMS
            or low in cues.STANCE_FORMS
            or low in cues.SEPARABLE_FORMS
            or low in cues.SEPARABLE_PARTICIPLES
        ):
            return None
        if low in cues.QUESTION:
            return None
        last = b - 1
        while last > k and not toks[last].is_word:
            last -= 1
        te = next((j for j in range(k + 2, min(last, k + 14)) if toks[j].lower == "te"), None)
        if te is None or not toks[te + 1].is_word or toks[te + 1].text[:1].isupper():
            return None
        # "te" + verbs to the end, or before a clause of their own ("te hebben waar het topstuk is")
        tail = [t for t in toks[te + 1 : last + 1]]
        if tail and not all(t.is_word for t in tail[: min(len(tail), 2)]):
            return None
        if any(
            (toks[j].lower in cues.FINITE and toks[j].lower != "zijn")
            or toks[j].text in ",;:"
            or art.in_quote[j]
            for j in range(k + 1, te)
        ):
            return None  # ("zijn" there is mostly the possessive: "zegt toe zijn best te doen")
        start = k  # content starts after this token
        nxt = toks[k + 1]
        if nxt.lower in cues.PRONOUNS or (
            art.mention_at(k + 1) is not None and art.mention_at(k + 1).label == "PER"
        ):
            start = k if nxt.lower in cues.PRONOUNS else art.span_of_mention(k + 1)
            if nxt.lower in cues.PRONOUNS:
                start = k + 1
        cue = None
        for j in range(start + 1, te):
            if low in cues.SEPARABLE_FORMS and toks[j].lower in cues.SEPARABLE_FORMS[low]:
                start, cue = j, f"{low} {toks[j].lower}"
            elif toks[j].lower == "om":
                start = j
        if low in cues.SEPARABLE_FORMS and low not in cues.CLAUSE_CUES and cue is None:
            return None
        if te - start < 1:
            return None
        return start, cue

    def _antecedent(self, a: int, rel: int) -> Source | None:
        """The phrase a relative pronoun at token ``rel`` refers to: the person or noun phrase before it."""
        art, toks = self.art, self.art.toks
        j = rel - 1
        if j >= a and toks[j].text == ",":
            j -= 1
        if j < a:
            return None
        m = art.mention_at(j)
        if m is not None and m.label == "PER":
            return _person_source(art, m, m.start)
        start = j
        while (
            start - 1 >= a
            and toks[start - 1].is_word
            and toks[start - 1].lower not in cues.PHRASE_ENDERS | {"van", "is", "was", "zijn", "waren"}
            and rel - start < 5
        ):
            start -= 1
        return _noun_source(art, start, j + 1)

    def _cue_subject(self, a: int, k: int, dat: int, b: int) -> Source | None:
        """The source of cue verb k. Dutch puts the finite verb second: when the clause opens with its
        subject (``Baudet verwijt GroenLinks dat``) what follows the verb is an object; when it opens
        with something else (``Maandag zei Loekasjenko dat``) the subject follows the verb."""
        art, toks = self.art, self.art.toks
        clause_start = a
        for j in range(k - 1, a - 1, -1):
            if toks[j].text in ",;:" and not art.in_quote[j]:
                clause_start = j + 1
                break
        if clause_start < k and toks[clause_start].lower in ("en", "maar") and clause_start + 1 == k:
            clause_start = a
        if k - 2 >= clause_start and toks[k - 1].lower in ("die", "dat") and not art.in_quote[k - 1]:
            # a relative clause: "… twee mannen die vertellen …", "… Peter R. de Vries, die eerder toegaf …"
            rel = self._antecedent(clause_start, k - 1)
            if rel is not None:
                return rel
        before = self._subject(clause_start, k)
        if before is not None and (before.entity is not None or before.person_key or before.pronoun):
            return before
        # inverted: tokens between the verb and "dat" (for a te-clause, up to and including ``dat``,
        # the last token before the content: "zegt hij er alle vertrouwen in te hebben")
        limit = dat if toks[dat].lower in ("dat", "hoe") else dat + 1
        if k + 1 < limit:
            src, _end = _source_at(art, k + 1, limit, toks[k].start)
            if src is not None and (
                src.entity is not None or src.person_key or toks[k + 1].lower in cues.PRONOUNS
            ):
                return src
            if (src is not None and toks[k + 1].lower in ("de", "het", "een")) or (
                src is not None and toks[k + 1].text[:1].isupper()
            ):
                return before or src
            if src is not None and k > a and before is None and self._subject(a, k) is None:
                return src
        src = before
        if src is None and clause_start != a:
            # "Hij betreurt het, zegt hij, …" or a coordinated verb: the sentence's subject
            src = (
                self._subject(a, k)
                if toks[k - 1].lower in ("en", "maar") or toks[k - 1].text == ","
                else None
            )
        if src is None:
            # "Zelf denkt hij dat", "ook hij"
            for j in range(clause_start, k):
                if toks[j].lower in cues.SUBJECT_PRONOUNS:
                    return _pronoun(art, toks[j].lower, toks[j].start)
        return src

    def _record(
        self, start: int, end: int, src: Source | None, cue: str | None, s: int, a: int, b: int
    ) -> None:
        """Add reported speech; quoted stretches inside make it mixed (and are no records of their own)."""
        art = self.art
        if end - start < 3:
            return
        inner = [(n, q) for n, q in enumerate(art.quoted) if q.start >= start - 1 and q.end <= end + 1]
        typ = "indirect"
        if inner:
            covered = sum(q.end - q.start for _, q in inner)
            # the whole content is quoted and already a direct quote: that one stands
            if covered >= 0.9 * (end - start) and any(
                f.start == q.start and f.end == q.end for _, q in inner for f in self.found
            ):
                return
            typ = "mixed"
            for n, _q in inner:
                self.claimed.add(n)
            # drop direct records of those fragments
            self.found = [
                f for f in self.found if not any(f.start == q.start and f.end == q.end for _, q in inner)
            ]
        if any(f.start < end and start < f.end for f in self.found):
            return  # it overlaps a quote already found: that one stands
        self.add(start, end, typ, src, cue, s)

    def resolve(self) -> list[Found]:
        self.found.sort(key=lambda f: f.start)
        out: list[Found] = []
        for f in self.found:
            if out and f.start < out[-1].end:
                continue
            out.append(f)
        return out


def extract(doc, mentions: Sequence[EntityMention]) -> list[Quote]:
    """The quotes of one article: ``doc`` is the spaCy doc of its text, ``mentions`` its normalised
    entity mentions (offsets into the same text)."""
    ex = _Extractor(doc, mentions)
    out: list[Quote] = []
    text = doc.text
    for f in ex.run():
        if f.end <= f.start:
            continue
        src = f.source
        speaker = src.speaker if src else None
        aliases = [a for a in (src.aliases if src else []) if a and a != speaker]
        out.append(
            Quote(
                start=f.start,
                end=f.end,
                text=text[f.start : f.end],
                type=f.type,  # type: ignore[arg-type]
                speaker=speaker,
                speaker_aliases=aliases,
                cue=f.cue,
                role=src.role if src else None,
                organisation=src.organisation if src else None,
                speaker_entity_id=src.entity.entity_id if src and src.entity is not None else None,
            )
        )
    return out


def extract_texts(
    texts: Iterable[str], nlp=None, *, batch_size: int = 32
) -> Iterator[tuple[list[EntityMention], list[Quote]]]:
    """Entities and quotes for each text, in order (one pass of the NLP pipeline)."""
    from duiding.nlp import entities

    nlp = nlp or entities.load_model()
    for doc in nlp.pipe(texts, batch_size=batch_size):
        mentions = doc_mentions(doc)
        yield mentions, extract(doc, mentions)


def doc_mentions(doc) -> list[EntityMention]:
    """The normalised, linked entity mentions of a doc run through the NER pipeline."""
    from duiding.nlp.entities import LABELS, refine
    from duiding.nlp.normalize import link_entities, normalize_article

    raw = [
        EntityMention(start=e.start_char, end=e.end_char, text=e.text, label=e.label_)
        for e in doc.ents
        if e.label_ in LABELS and e.text.strip()
    ]
    return link_entities(normalize_article(doc.text, refine(doc.text, raw)))


def annotate(articles: Sequence[Article], nlp=None, *, batch_size: int = 32) -> None:
    """Fill ``entities`` and ``quotes`` of each article in place (one pass of the NLP pipeline)."""
    for article, (mentions, quotes) in zip(
        articles, extract_texts((a.text for a in articles), nlp, batch_size=batch_size), strict=True
    ):
        article.entities = mentions
        article.quotes = quotes
