"""Tokenizer and sentence splitter for Dutch news text, as spaCy components registered by name.

``make_nlp()`` returns ``spacy.blank("nl")`` with

* the tokenizer ``duiding.dutch_tokenizer.v1`` (registered in ``spacy.registry.tokenizers``, so a
  training config can name it under ``[nlp.tokenizer]``), and
* the sentence splitter component ``duiding_sentencizer`` (registered with ``@Language.factory``).

What differs from spaCy's stock Dutch tokenizer, and why:

* Abbreviations. spaCy's Dutch exception list (copied from pragmatic_segmenter) is mostly legal
  jargon and, with its automatic UPPER-case and Capitalised variants, swallows the full stop of
  ordinary sentence ends: ``de VS.``, ``voor u.``, ``in de hand.``, ``dat.`` all stay one token there.
  We keep its dotted multi-part abbreviations (``o.a.``, ``m.b.t.``, ``a.s.`` …, which never collide
  with a word), drop the single-dot ones and add a curated news list (titles, months, ``ca.``,
  ``nr.`` …) in lower case and Capitalised form only.
* Apostrophes. A typographic ``’`` inside a word is an apostrophe (``zo’n``, ``auto’s``,
  ``Loekasjenko’s``) and is no longer split off as a quote; ``'s``/``'t``/``'n`` (straight or curly)
  are single tokens, and so are ``'s-Hertogenbosch`` and year clippings like ``'81``.
* Quotation marks ``" “ ” „ ‘ ’ ' « »`` around words, and free-standing dashes, are split off as
  punctuation (inherited); hyphenated compounds (``Rusland-deskundige``) and numbers (``0,25``,
  ``1.000``, ``12.30``) stay whole (inherited).

Token offsets (``token.idx``) are exact character offsets into the input, as always with spaCy's
tokenizer machinery: special cases never change the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy
import spacy
from spacy.attrs import SENT_START
from spacy.lang.char_classes import (
    ALPHA,
    ALPHA_LOWER,
    ALPHA_UPPER,
    LIST_ELLIPSES,
    LIST_ICONS,
)
from spacy.lang.nl import Dutch
from spacy.lang.nl.punctuation import TOKENIZER_PREFIXES, TOKENIZER_SUFFIXES
from spacy.lang.nl.tokenizer_exceptions import TOKENIZER_EXCEPTIONS as _NL_EXCEPTIONS
from spacy.language import Language
from spacy.symbols import ORTH
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex
from spacy.vocab import Vocab

TOKENIZER_NAME = "duiding.dutch_tokenizer.v1"
SENTENCIZER_NAME = "duiding_sentencizer"

# --- abbreviations --------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Titles and name parts: always followed by (part of) a name, so never a sentence end.
TITLE_ABBREVIATIONS = _words(
    """dr. mr. prof. ir. ing. drs. dhr. mevr. mw. mej. ds. st. fa. gebr. mgr. kol. gen. lt. kapt.
    sgt. burg. wed."""
)
#: Abbreviations that may end a sentence: a boundary follows when the next word is Capitalised.
FINAL_ABBREVIATIONS = _words(
    """enz. etc. e.d. e.a. e.v. c.s. o.i.d. jl. j.l. a.s. jr. sr. jan. feb. febr. mrt. apr. jun.
    jul. aug. sep. sept. okt. nov. dec."""
)
#: Abbreviations that (practically) never end a sentence in news text.
INNER_ABBREVIATIONS = _words(
    """o.a. bijv. bv. m.b.t. i.p.v. d.w.z. ca. nr. nrs. blz. pag. resp. incl. excl. evt. vgl. zgn.
    z.g. ong. min. max. mln. mld. mrd. t.o.v. i.v.m. n.a.v. m.a.w. m.i. o.m. m.u.v. t.a.v. z.s.m.
    a.u.b. s.v.p. vs. fr. tel. gem. art. afd. red. cf. ibid. z.t. t.z.t."""
)
#: Words whose Capitalised form is a common name, so only the lower-case form is an abbreviation.
_LOWER_ONLY = _words("max. art. gem. red. tel. min. burg. wed. gen.")

NEWS_ABBREVIATIONS = TITLE_ABBREVIATIONS | FINAL_ABBREVIATIONS | INNER_ABBREVIATIONS

#: Elisions that are words of their own (``'s avonds``, ``'t``, ``zo'n`` has its own rule below).
ELISIONS = ("'s", "'t", "'n", "'m", "'k", "'ns", "'r")

_APOSTROPHES = ("'", "’")  # straight and typographic (U+2019)


def _variants(abbr: str) -> list[str]:
    out = [abbr]
    if abbr not in _LOWER_ONLY:
        out.append(abbr[:1].upper() + abbr[1:])
    return out


def tokenizer_exceptions() -> dict[str, list[dict[int, str]]]:
    """The special cases: spaCy's generic ones, dotted Dutch abbreviations, and our news list."""
    exc: dict[str, list[dict[int, str]]] = {}
    for orth, analysis in _NL_EXCEPTIONS.items():
        if not orth.endswith("."):
            exc[orth] = analysis  # emoticons, 'n, 's, 't …
        elif "." in orth[:-1] and not orth.isupper():
            exc[orth] = analysis  # multi-part abbreviations: o.a., m.b.t., a.s. (not O.A.)
        # single-dot ones (u. vol. hand. VS. …) are dropped: they eat sentence-final full stops
    for abbr in sorted(NEWS_ABBREVIATIONS):
        for orth in _variants(abbr):
            exc[orth] = [{ORTH: orth}]
    for elision in ELISIONS:
        for apo in _APOSTROPHES:
            orth = apo + elision[1:]
            exc[orth] = [{ORTH: orth}]
    return exc


# --- affix rules ----------------------------------------------------------------------------

# A leading apostrophe is not a quote when it starts 's-Hertogenbosch / 't-Zandt or a year ('81).
_APOSTROPHE_PREFIX = rf"(?![st]-[{ALPHA}])(?![0-9]{{2}}(?![0-9]))"
_QUOTES_NOT_APOSTROPHE = r'"”“„‚«»「」『』（）〔〕【】《》〈〉⟦⟧,'


def _prefixes() -> list[str]:
    out = []
    for piece in TOKENIZER_PREFIXES:
        if piece in ("\\'", "'", "’", "‘"):
            out.append(re.escape(piece.replace("\\", "")) + _APOSTROPHE_PREFIX)
        else:
            out.append(piece)
    return out


def _infixes() -> list[str]:
    # spaCy's Dutch infixes, but a typographic apostrophe between letters stays inside the word.
    return [
        *LIST_ELLIPSES,
        *LIST_ICONS,
        rf"(?<=[{ALPHA_LOWER}])\.(?=[{ALPHA_UPPER}])",
        rf"(?<=[{ALPHA}])[,!?](?=[{ALPHA}])",
        rf'(?<=[{ALPHA}"])[:<>=](?=[{ALPHA}])',
        rf"(?<=[{ALPHA}]),(?=[{ALPHA}])",
        rf"(?<=[{ALPHA}])([{_QUOTES_NOT_APOSTROPHE}\)\]\(\[])(?=[{ALPHA}])",
        rf"(?<=[{ALPHA}])--(?=[{ALPHA}])",
    ]


def build_tokenizer(vocab: Vocab) -> Tokenizer:
    """A spaCy :class:`Tokenizer` with the Dutch news rules (see the module docstring)."""
    return Tokenizer(
        vocab,
        rules=tokenizer_exceptions(),
        prefix_search=compile_prefix_regex(_prefixes()).search,
        suffix_search=compile_suffix_regex(TOKENIZER_SUFFIXES).search,
        infix_finditer=compile_infix_regex(_infixes()).finditer,
        token_match=Dutch.Defaults.token_match,
        url_match=Dutch.Defaults.url_match,
    )


@spacy.registry.tokenizers(TOKENIZER_NAME)
def create_dutch_tokenizer() -> Callable[[Language], Tokenizer]:
    """Registered tokenizer factory: ``[nlp.tokenizer] @tokenizers = "duiding.dutch_tokenizer.v1"``."""

    def make(nlp: Language) -> Tokenizer:
        return build_tokenizer(nlp.vocab)

    return make


# --- sentence splitter ----------------------------------------------------------------------

_TERMINAL = re.compile(r"^[.!?…]+$")
_INITIALS = re.compile(r"^(?:[^\W\d_]{1,2}\.)+$")  # J.  J.B.  Th.  A.J.P.
_NUMBER_DOT = re.compile(r"^\d+[.,\d]*\.$")  # 17.  (list numbering / ordinals)
_CLOSERS = frozenset(["”", "’", "»", ")", "]", "}", "''"])  # '' closes a ,,quote'' (AD, regional papers)
_AMBIGUOUS_QUOTES = frozenset(['"', "'"])
_OPENERS_OK = frozenset(['"', "'", "“", "„", ",,", "‘", "«", "(", "[", "-", "–", "—", "•", "*"])
_NO_START = frozenset([",", ";", ":", ")", "]", "}", "%", "”", "’", "»", "''"])


def _starts_sentence(text: str, strict: bool) -> bool:
    """Can a sentence begin with this token? ``strict`` (after ``enz.``, ``jan.``): not a number."""
    if text in _NO_START:
        return False
    if text in ("'s", "’s", "'t", "’t"):
        return True  # 's Avonds, 't Is
    first = text[0]
    if first.isalpha():
        return first.isupper()
    if first.isdigit():
        return not strict
    return text in _OPENERS_OK


def sentence_starts(words: list[str], spaces: list[bool]) -> list[bool]:
    """Rule-based sentence boundaries for a tokenised text: ``True`` where a sentence begins.

    A sentence ends at ``. ! ? …`` (with any closing quotes or brackets that follow, so ``."`` stays
    with its sentence) when the next word can begin a sentence (not lower case, not ``, ; :``), and
    at a line break. Abbreviations in :data:`TITLE_ABBREVIATIONS` / :data:`INNER_ABBREVIATIONS` and
    initials (``J.``, ``J.B.``) never end one; :data:`FINAL_ABBREVIATIONS` (``enz.``, ``jan.``) and
    unknown dotted tokens end one only before a Capitalised word. A straight ``"`` after a full stop
    closes the sentence when a quotation is open (quote parity, reset at each line break), else it
    opens the next one.
    """
    n = len(words)
    starts = [False] * n
    if n == 0:
        return starts
    starts[0] = True
    dq_open = False  # inside a "…" quotation (straight double quotes)
    sq_open = False  # inside a '…' quotation (straight single quotes)
    i = 0
    while i < n:
        text = words[i]
        force = False
        strict = False
        if not text.strip():
            if "\n" not in text:
                i += 1
                continue
            force = True
            dq_open = sq_open = False
        elif text == '"':
            dq_open = not dq_open
            i += 1
            continue
        elif text == "'":
            sq_open = not sq_open
            i += 1
            continue
        elif _TERMINAL.match(text):
            pass
        elif len(text) > 1 and text.endswith("."):
            low = text.lower()
            if low in TITLE_ABBREVIATIONS or low in INNER_ABBREVIATIONS or _INITIALS.match(text):
                i += 1
                continue
            strict = True  # enz. / jan. / unknown dotted token / 17.
            if _NUMBER_DOT.match(text) and not (i + 1 < n and words[i + 1][:1].isupper()):
                i += 1
                continue
        else:
            i += 1
            continue
        # The sentence ends at token i; take in what still belongs to it.
        j = i + 1
        while j < n:
            nxt = words[j]
            if not nxt.strip():
                if "\n" in nxt:
                    force = True
                    dq_open = sq_open = False
                j += 1
            elif not force and (nxt in _CLOSERS or _TERMINAL.match(nxt)):
                j += 1
            elif nxt == '"' and dq_open and not force:
                dq_open = False
                j += 1
            elif nxt == "'" and sq_open and not force:
                sq_open = False
                j += 1
            elif (
                nxt in _AMBIGUOUS_QUOTES
                and not force
                and not spaces[j - 1]
                and (j + 1 == n or spaces[j] or not words[j + 1][:1].isalnum())
            ):
                # attached to the full stop and not to the next word: closes an unbalanced quote
                j += 1
            else:
                break
        if j < n and (force or _starts_sentence(words[j], strict)):
            starts[j] = True
        i = j
    return starts


class DutchSentencizer:
    """Pipeline component setting ``token.is_sent_start`` with :func:`sentence_starts`."""

    def __init__(self, name: str = SENTENCIZER_NAME, *, overwrite: bool = True) -> None:
        self.name = name
        self.overwrite = overwrite

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) == 0:
            return doc
        starts = sentence_starts([t.text for t in doc], [bool(t.whitespace_) for t in doc])
        # SENT_START: 1 begins a sentence, -1 does not, 0 unknown. Setting it through an array is
        # some 100x faster than token by token.
        values = numpy.where(numpy.asarray(starts, dtype=bool), 1, -1).astype("int64")
        if not self.overwrite:
            current = doc.to_array([SENT_START]).astype("int64")
            values = numpy.where(current != 0, current, values)
        doc.from_array([SENT_START], values.astype("uint64").reshape(-1, 1))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    # Nothing to save: the rules live in the code. (spaCy calls these when saving/loading.)
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        return None

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> DutchSentencizer:
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return b""

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()) -> DutchSentencizer:
        return self


@Language.factory(
    SENTENCIZER_NAME,
    default_config={"overwrite": True},
    assigns=["token.is_sent_start", "doc.sents"],
)
def make_dutch_sentencizer(nlp: Language, name: str, overwrite: bool) -> DutchSentencizer:
    """Factory for ``nlp.add_pipe("duiding_sentencizer")``."""
    return DutchSentencizer(name, overwrite=overwrite)


def make_nlp(*, sentences: bool = True) -> Language:
    """``spacy.blank("nl")`` with the Dutch news tokenizer and (by default) the sentence splitter."""
    nlp = spacy.blank("nl", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER_NAME}}})
    if sentences:
        nlp.add_pipe(SENTENCIZER_NAME)
    return nlp
