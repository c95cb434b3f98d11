"""Named entities in articles: the shipped NER model, run over text, normalised and linked.

The model lives inside the package (``duiding/nlp/models/ner``; its card is
``duiding/nlp/models/MODEL_CARD.md``), so a fresh install needs nothing else. Mentions carry
character offsets into ``Article.text``.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path

from spacy.language import Language

from duiding.model import Article, EntityMention
from duiding.nlp import ModelMissing, countries, load
from duiding.nlp.normalize import link_entities, normalize_article

LABELS = ("PER", "ORG", "LOC", "MISC")


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
    return load(where)


# Dutch and other name particles: a person's name never ends in one ("Tony van der Togt van").
PARTICLES = frozenset(
    {"van", "de", "der", "den", "ten", "ter", "te", "het", "'t", "von", "di", "da", "du", "le"}
)
_LAST_WORD = re.compile(r"\s+(\S+)$")
_POSSESSIVE = re.compile(r"['’]s$")
_OF_COUNTRY = re.compile(r"\s+(?:van|uit)\s+(.+)$")


def refine(text: str, mentions: Sequence[EntityMention]) -> list[EntityMention]:
    """Fix what the model gets wrong against the entity conventions (spec/entities.md), by rule:

    * a possessive ``'s`` is not part of a name (``Loekasjenko's`` → ``Loekasjenko``, and PER when the
      article names that person elsewhere);
    * a person's name does not end in a particle (``Tony van der Togt van`` → ``Tony van der Togt``)
      nor in the country they are from (``Zelensky van Oekraïne`` → ``Zelensky``);
    * a country's name is a place, whatever the model thought (``Belarus`` as PER → LOC).
    """
    persons = {m.text for m in mentions if m.label == "PER"}
    refined: list[EntityMention] = []
    for m in mentions:
        start, end, label = m.start, m.end, m.label
        possessive = _POSSESSIVE.search(text[start:end])
        if possessive and possessive.start() > 1:
            end = start + possessive.start()
            if text[start:end] in persons:
                label = "PER"
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
