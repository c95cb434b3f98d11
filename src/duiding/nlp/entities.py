"""Named entities in articles: the shipped NER model, run over text, normalised and linked.

The model lives inside the package (``duiding/nlp/models/ner``; its card is
``duiding/nlp/models/MODEL_CARD.md``), so a fresh install needs nothing else. Mentions carry
character offsets into ``Article.text``.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path

from spacy.lang.nl.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span

from duiding.model import Article, EntityMention
from duiding.nlp import ModelMissing, countries, load
from duiding.nlp.normalize import link_entities, normalize_article

LABELS = ("PER", "ORG", "LOC", "MISC")
#: The spaCy component that applies :func:`document_rules`; :func:`load_model` appends it after ``ner``.
DOCUMENT_RULES = "duiding_document_rules"


def model_path() -> Path:
    """Where the shipped NER model is; ``$DUIDING_NER_MODEL`` points elsewhere (e.g. a fresh training)."""
    override = os.environ.get("DUIDING_NER_MODEL")
    if override:
        return Path(override)
    return Path(str(resources.files("duiding") / "nlp" / "models" / "ner"))


@functools.cache
def load_model(path: str | None = None) -> Language:
    """The NER pipeline (tokenizer, sentence splitter, NER), loaded once per process."""
    where = Path(path) if path else model_path()
    if not (where / "config.cfg").is_file():
        raise ModelMissing(
            f"no NER model at {where}: train one with `python -m duiding.nlp.train ner` "
            "and copy its model-best there (see duiding/nlp/models/MODEL_CARD.md)"
        )
    nlp = load(where)
    if DOCUMENT_RULES not in nlp.pipe_names and "ner" in nlp.pipe_names:
        nlp.add_pipe(DOCUMENT_RULES, after="ner")
    return nlp


# Dutch and other name particles: a person's name never ends in one ("Tony van der Togt van").
PARTICLES = frozenset(
    {"van", "de", "der", "den", "ten", "ter", "te", "het", "'t", "von", "di", "da", "du", "le"}
)
_LAST_WORD = re.compile(r"\s+(\S+)$")
_POSSESSIVE = re.compile(r"['’]s$")
_POSSESSIVE_S = re.compile(r"(?:['’]s|['’]|s)$")
_OF_COUNTRY = re.compile(r"\s+(?:van|uit)\s+(.+)$")


# --- document-level rules (CoNLL-2002 conventions, on the model's token spans) --------------------------

EntSpan = tuple[int, int, str]  # (start token, end token, label)
_PREPOSITIONS = frozenset({"van", "uit"})
_NOT_SURNAMES = PARTICLES | STOP_WORDS


def _cap(word: str) -> bool:
    return word[:1].isupper()


def _split_person_of(words: Sequence[str], ents: list[EntSpan]) -> list[EntSpan]:
    """``[Olivier Hertoghe van Petercam]/PER`` → ``[Olivier Hertoghe]/PER van [Petercam]/ORG``.

    Only when at least two capitalised words stand before ``van``/``uit``: ``Jan van Eyck`` and
    ``Karel van Mander`` are names, ``Olivier Hertoghe van Petercam`` is a name and where he works.
    (In CoNLL-2002 ``ned.train``, 21 of 22 such PER spans are two names.) What follows is a country
    (LOC) or, as in most of those 21, an organisation.
    """
    out: list[EntSpan] = []
    for start, end, label in ents:
        if label == "PER":
            for j in range(start + 2, end - 1):
                two_names = sum(_cap(w) for w in words[start:j]) >= 2
                if words[j] in _PREPOSITIONS and _cap(words[j + 1]) and two_names:
                    rest = " ".join(words[j + 1 : end])
                    out.append((start, j, "PER"))
                    out.append((j + 1, end, "LOC" if _is_country(rest) else "ORG"))
                    break
            else:
                out.append((start, end, label))
        else:
            out.append((start, end, label))
    return out


def _majority_label(words: Sequence[str], ents: list[EntSpan]) -> list[EntSpan]:
    """A name that the model labels more often one way than another in a document gets that label
    everywhere in it (``Chávez`` twice PER and once LOC → PER); ties keep the model's label."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for start, end, label in ents:
        votes[" ".join(words[start:end])][label] += 1
    out = []
    for start, end, label in ents:
        counts = votes[" ".join(words[start:end])]
        best, n = counts.most_common(1)[0]
        out.append((start, end, best if n > counts[label] else label))
    return out


def _surnames(words: Sequence[str], sent_starts: Sequence[bool], ents: list[EntSpan]) -> list[EntSpan]:
    """The surname of a person named in full is that person elsewhere in the document: relabelled to
    PER where the model gave it another label, and added where the model missed it (a capitalised word
    on its own, not next to another capitalised word nor after a particle, not a stop word)."""
    surnames: set[str] = set()
    for start, end, label in ents:
        last = words[end - 1]
        if label == "PER" and end - start >= 2 and _cap(last) and last.lower() not in _NOT_SURNAMES:
            surnames.add(last)
    if not surnames:
        return ents
    out = [
        (start, end, "PER" if end - start == 1 and words[start] in surnames else label)
        for start, end, label in ents
    ]
    covered = {i for start, end, _ in ents for i in range(start, end)}
    for i, word in enumerate(words):
        if word not in surnames or i in covered:
            continue
        if i > 0 and (words[i - 1].lower() in PARTICLES or (_cap(words[i - 1]) and not sent_starts[i - 1])):
            continue
        if i + 1 < len(words) and _cap(words[i + 1]) and not sent_starts[i + 1]:
            continue
        out.append((i, i + 1, "PER"))
    return sorted(out)


def _possessives(words: Sequence[str], ents: list[EntSpan]) -> list[EntSpan]:
    """A person's name with a possessive ``s`` (``Baraks``, ``Arafat's``) is MISC in CoNLL-2002 (74 of
    75 times in ``ned.train``) when the document names the person."""
    persons = {" ".join(words[s:e]) for s, e, label in ents if label == "PER"}
    persons |= {words[e - 1] for s, e, label in ents if label == "PER"}
    out = []
    for start, end, label in ents:
        text = " ".join(words[start:end])
        if _POSSESSIVE_S.search(text) and _POSSESSIVE_S.sub("", text) in persons:
            label = "MISC"
        out.append((start, end, label))
    return out


def _is_country(text: str) -> bool:
    """A country's name, not its genitive (``Ruslands``)."""
    if not countries.country_code(text):
        return False
    return not (
        text.endswith("s")
        and countries.country_code(_POSSESSIVE_S.sub("", text))
        and not countries.is_country_name(text)
    )


def _countries(words: Sequence[str], ents: list[EntSpan]) -> list[EntSpan]:
    """A country's name is LOC (538 of 538 in ``ned.train``); a country's adjective or demonym on its
    own (``Franse``, ``Duitsers``) is MISC (788 of 817), added where the model missed it. Short
    demonyms (``Rus``, ``Ier``: LOC in CoNLL-2002) and ``Frans`` (a first name as often) are left alone."""
    out = []
    for start, end, label in ents:
        text = " ".join(words[start:end])
        if _is_country(text):
            label = "LOC"
        elif end - start == 1 and _is_adjective(text):
            label = "MISC"
        out.append((start, end, label))
    covered = {i for start, end, _ in ents for i in range(start, end)}
    for i, word in enumerate(words):
        if i not in covered and _is_adjective(word):
            out.append((i, i + 1, "MISC"))
    return sorted(out)


def _is_adjective(word: str) -> bool:
    return (
        _cap(word)
        and len(word) > 3
        and word != "Frans"
        and countries.country_of_adjective(word) is not None
        and not countries.country_code(word)
    )


_COMPOUND = re.compile(r"^(?:[A-Z][A-Z0-9]+|[A-Z][a-zà-ÿ]+)-[a-zà-ÿ]{3,}")


def _is_compound(word: str) -> bool:
    return bool(_COMPOUND.match(word)) and word.partition("-")[0].lower() not in STOP_WORDS


def _compounds(words: Sequence[str], ents: list[EntSpan]) -> list[EntSpan]:
    """A name joined to a common noun by a hyphen (``VRT-journalist``, ``Likoed-leider``) is MISC as a
    whole: relabelled when the model found it on its own, added where it missed it. In ``ned.train``
    329 of the 412 capitalised words of this shape are MISC (``Wellington-renbaan``-like places and
    ``KBC-groep``-like organisations are most of the rest)."""
    out = [
        (start, end, "MISC" if end - start == 1 and _is_compound(words[start]) else label)
        for start, end, label in ents
    ]
    covered = {i for start, end, _ in ents for i in range(start, end)}
    out.extend((i, i + 1, "MISC") for i, w in enumerate(words) if i not in covered and _is_compound(w))
    return sorted(out)


def document_rules(
    words: Sequence[str], sent_starts: Sequence[bool], ents: Iterable[EntSpan]
) -> list[EntSpan]:
    """The model's entities of one document, made consistent across it (CoNLL-2002 conventions).

    The NER model sees a few words either side; these rules see the whole article: a person's name
    split from the organisation after it (:func:`_split_person_of`), one label per name in a
    document (:func:`_majority_label`), surnames of persons named in full are persons
    (:func:`_surnames`), possessives of persons are MISC (:func:`_possessives`), countries are LOC and
    their adjectives MISC (:func:`_countries`), a name-hyphen-noun compound is MISC
    (:func:`_compounds`). Each rule was checked against ``ned.train``'s gold and
    kept when it raised the F1 on ``ned.testa`` (see ``models/MODEL_CARD.md``).
    """
    spans = sorted(ents)
    spans = _split_person_of(words, spans)
    spans = _majority_label(words, spans)
    spans = _surnames(words, sent_starts, spans)
    spans = _possessives(words, spans)
    spans = _countries(words, spans)
    spans = _compounds(words, spans)
    return spans


@Language.component(DOCUMENT_RULES)
def apply_document_rules(doc: Doc) -> Doc:
    """spaCy component: :func:`document_rules` over ``doc.ents`` (after ``ner``)."""
    words = [t.text for t in doc]
    sent_starts = [bool(t.is_sent_start) for t in doc]
    ents = [(e.start, e.end, e.label_) for e in doc.ents]
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in document_rules(words, sent_starts, ents)]
    return doc


def refine(text: str, mentions: Sequence[EntityMention]) -> list[EntityMention]:
    """Fix what the model gets wrong against the entity conventions (spec/entities.md), by rule:

    * a possessive ``'s`` is not part of a name (``Loekasjenko's`` → ``Loekasjenko``, and PER when the
      article names that person elsewhere), nor is a possessive ``s`` after a person's name the article
      names (``Poetins``, MISC by the CoNLL-2002 conventions the model follows → ``Poetin``, PER);
    * a person's name does not end in a particle (``Tony van der Togt van`` → ``Tony van der Togt``)
      nor in the country they are from (``Zelensky van Oekraïne`` → ``Zelensky``);
    * a country's name is a place, whatever the model thought (``Belarus`` as PER → LOC).
    """
    persons = {m.text for m in mentions if m.label == "PER"}
    persons |= {m.text.split()[-1] for m in mentions if m.label == "PER" and m.text.split()}
    refined: list[EntityMention] = []
    for m in mentions:
        start, end, label = m.start, m.end, m.label
        possessive = _POSSESSIVE.search(text[start:end])
        if possessive and possessive.start() > 1:
            end = start + possessive.start()
            if text[start:end] in persons:
                label = "PER"
        elif label != "PER" and text[start:end].endswith("s") and text[start : end - 1] in persons:
            end, label = end - 1, "PER"  # "Poetins" (MISC in CoNLL-2002) → "Poetin"
        if label == "PER":
            # "Zelensky van Oekraïne": a country is where the person is from, not their surname.
            country = _OF_COUNTRY.search(text[start:end])
            if country and country.start() > 0 and countries.is_country_name(country.group(1)):
                c_start, c_end = start + country.start(1), start + country.end(1)
                refined.append(EntityMention(start=c_start, end=c_end, text=text[c_start:c_end], label="LOC"))
                end = start + country.start()
            while (last := _LAST_WORD.search(text[start:end])) and last.group(1).lower() in PARTICLES:
                end = start + last.start()
        if label in ("PER", "ORG") and countries.is_country_name(text[start:end]):
            label = "LOC"
        refined.append(EntityMention(start=start, end=end, text=text[start:end], label=label))
    return sorted(refined, key=lambda m: m.start)


def _mentions(doc) -> list[EntityMention]:
    return refine(
        doc.text,
        [
            EntityMention(start=e.start_char, end=e.end_char, text=e.text, label=e.label_)
            for e in doc.ents
            if e.label_ in LABELS and e.text.strip()
        ],
    )


def extract(
    texts: Iterable[str], nlp: Language | None = None, *, batch_size: int = 32, n_process: int = 1
) -> Iterator[list[EntityMention]]:
    """Normalised, linked entity mentions for each text, in order."""
    nlp = nlp or load_model()
    for doc in nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
        yield link_entities(normalize_article(doc.text, _mentions(doc)))


def annotate(articles: Sequence[Article], nlp: Language | None = None, *, n_process: int = 1) -> None:
    """Fill ``entities`` of each article in place."""
    for article, mentions in zip(
        articles, extract((a.text for a in articles), nlp, n_process=n_process), strict=True
    ):
        article.entities = mentions
