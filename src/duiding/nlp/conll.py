"""Read NER corpora (CoNLL-2002, Europeana Newspapers, WikiANN) into spaCy ``Doc``s and ``.spacy`` files.

All three use IOB tags with the labels PER ORG LOC (and MISC in CoNLL-2002). Tags become entity spans
with the conlleval convention (:func:`iob_to_spans`): an ``I-X`` that does not continue an ``X`` chunk
starts a new one, which makes IOB1 input and the odd annotation slip in Europeana readable too.

Docs get ``sent_starts`` from the corpus' sentence breaks, ``spaces=True`` everywhere (the corpora
do not record whitespace) and one ``Doc`` per article (CoNLL ``-DOCSTART-``) or per
``sentences_per_doc`` sentences.

Corpora without MISC (Europeana, WikiANN) can mark their capitalised ``O`` tokens as *missing*
instead of *outside* (``missing_misc=True``), so that training on them does not teach the model that
``Belarussische`` or ``Tour de France`` are not names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, DocBin, Span
from spacy.vocab import Vocab

DOCSTART = "-DOCSTART-"
LABELS = ("PER", "ORG", "LOC", "MISC")


@dataclass
class Sentence:
    words: list[str]
    tags: list[str]


@dataclass
class Document:
    """One article (or chunk of a corpus without articles) as tokenised, tagged sentences."""

    sentences: list[Sentence] = field(default_factory=list)
    id: str = ""

    @property
    def n_words(self) -> int:
        return sum(len(s.words) for s in self.sentences)


# --- IOB -----------------------------------------------------------------------------------


def iob_to_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entity chunks ``(start, end, label)`` (token indices, end exclusive) from IOB1/IOB2 tags.

    conlleval's rules: a chunk starts at ``B-X``, or at ``I-X`` after ``O`` or after a chunk of
    another type; it ends before ``O``, ``B-*`` or ``I-Y`` (Y != X). ``O`` and ``-`` are outside.
    """
    spans: list[tuple[int, int, str]] = []
    start = -1
    label = ""
    for i, tag in enumerate(tags):
        if tag in ("O", "-", ""):
            prefix, typ = "O", ""
        else:
            prefix, _, typ = tag.partition("-")
            if not typ:  # a bare label ("PER") reads as I-PER
                prefix, typ = "I", prefix
            if prefix not in ("B", "I", "E", "S"):
                raise ValueError(f"not an IOB tag: {tag!r}")
        continues = prefix in ("I", "E") and start >= 0 and typ == label
        if start >= 0 and not continues:
            spans.append((start, i, label))
            start = -1
        if prefix != "O" and not continues:
            start, label = i, typ
        if prefix in ("E", "S") and start >= 0:
            spans.append((start, i + 1, label))
            start = -1
    if start >= 0:
        spans.append((start, len(tags), label))
    return spans


def spans_to_iob(n: int, spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags for ``n`` tokens from ``(start, end, label)`` spans."""
    tags = ["O"] * n
    for start, end, label in spans:
        tags[start] = "B-" + label
        for i in range(start + 1, end):
            tags[i] = "I-" + label
    return tags


# --- readers -------------------------------------------------------------------------------


def _lines(path: str | Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            yield line.rstrip("\r\n")


def read_conll2002(path: str | Path) -> list[Document]:
    """CoNLL-2002 ``TOKEN POS TAG`` lines, blank line between sentences, ``-DOCSTART-`` per article."""
    docs: list[Document] = []
    doc = Document(id=f"{Path(path).name}#0")
    words: list[str] = []
    tags: list[str] = []

    def end_sentence() -> None:
        if words:
            doc.sentences.append(Sentence(words.copy(), tags.copy()))
            words.clear()
            tags.clear()

    for lineno, line in enumerate(_lines(path), start=1):
        if not line.strip():
            end_sentence()
            continue
        parts = line.split(" ")
        if parts[0] == DOCSTART:
            end_sentence()
            if doc.sentences:
                docs.append(doc)
            doc = Document(id=f"{Path(path).name}#{len(docs)}")
            continue
        if len(parts) < 2:
            raise ValueError(f"{path}:{lineno}: expected 'TOKEN [POS] TAG', got {line!r}")
        words.append(parts[0])
        tags.append(parts[-1])
    end_sentence()
    if doc.sentences:
        docs.append(doc)
    return docs


def read_wikiann(path: str | Path, *, sentences_per_doc: int = 10) -> list[Document]:
    """WikiANN as distributed by Babelscape: ``index<TAB>token<TAB>tag``, blank line between sentences.

    WikiANN has no documents; consecutive sentences are grouped ``sentences_per_doc`` at a time.
    """
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for lineno, line in enumerate(_lines(path), start=1):
        if not line.strip():
            if words:
                sentences.append(Sentence(words, tags))
                words, tags = [], []
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise ValueError(f"{path}:{lineno}: expected 'index<TAB>token<TAB>tag', got {line!r}")
        words.append(parts[-2] if len(parts) >= 3 else parts[0])
        tags.append(parts[-1])
    if words:
        sentences.append(Sentence(words, tags))
    return _group(sentences, sentences_per_doc, Path(path).name)


_SENTENCE_END = re.compile(r"^[.!?]+['\"”’»]*$|^.*[a-zà-ÿ0-9][.!?]['\"”’»]*$")


def read_europeana(
    path: str | Path,
    *,
    sentences_per_doc: int = 10,
    tokenizer: Tokenizer | None = None,
) -> list[Document]:
    """The Europeana Newspapers ``token TAG`` stream (one token per line, no sentence breaks).

    Sentences are guessed: a break after a token ending in ``. ! ?`` (not an initial such as
    ``J.``) when the next token starts with a capital. Tokens in this OCR corpus often carry their
    punctuation (``Rotterdam,``); with a ``tokenizer`` they are split the way our tokenizer splits
    them, punctuation at an entity's edge going outside the entity.
    """
    words: list[str] = []
    tags: list[str] = []
    for lineno, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) < 2:
            raise ValueError(f"{path}:{lineno}: expected 'TOKEN TAG', got {line!r}")
        words.append(parts[0])
        tags.append(parts[-1])
    tags = spans_to_iob(len(tags), iob_to_spans(tags))  # repair I- after O
    if tokenizer is not None:
        words, tags = retokenize(words, tags, tokenizer)
    sentences: list[Sentence] = []
    start = 0
    for i in range(len(words) - 1):
        w = words[i]
        if (
            _SENTENCE_END.match(w)
            and words[i + 1][:1].isupper()
            and not tags[i + 1].startswith("I-")
            and (i + 1 - start) >= 3
        ):
            sentences.append(Sentence(words[start : i + 1], tags[start : i + 1]))
            start = i + 1
    if start < len(words):
        sentences.append(Sentence(words[start:], tags[start:]))
    return _group(sentences, sentences_per_doc, Path(path).name)


def retokenize(words: list[str], tags: list[str], tokenizer: Tokenizer) -> tuple[list[str], list[str]]:
    """Split each corpus token with ``tokenizer``; punctuation pieces at an entity's edges become ``O``."""
    new_words: list[str] = []
    first_piece: list[int] = []  # index in new_words of each original word's first piece
    for word in words:
        first_piece.append(len(new_words))
        pieces = [t.text for t in tokenizer(word) if t.text.strip()] if word.strip() else []
        new_words.extend(pieces or [word])
    first_piece.append(len(new_words))
    new_tags = ["O"] * len(new_words)
    for start, end, label in iob_to_spans(tags):
        lo, hi = first_piece[start], first_piece[end]
        while lo < hi and not any(c.isalnum() for c in new_words[lo]):
            lo += 1
        while hi > lo and not any(c.isalnum() for c in new_words[hi - 1]):
            hi -= 1
        if lo < hi:
            new_tags[lo:hi] = ["B-" + label] + ["I-" + label] * (hi - lo - 1)
    return new_words, new_tags


def _group(sentences: list[Sentence], size: int, name: str) -> list[Document]:
    size = max(1, size)
    return [
        Document(sentences[i : i + size], id=f"{name}#{i // size}") for i in range(0, len(sentences), size)
    ]


def regroup(docs: Iterable[Document], sentences_per_doc: int | None) -> list[Document]:
    """Split each document into chunks of at most ``sentences_per_doc`` sentences (None: as is)."""
    out: list[Document] = []
    for doc in docs:
        if not sentences_per_doc or len(doc.sentences) <= sentences_per_doc:
            out.append(doc)
            continue
        for k, i in enumerate(range(0, len(doc.sentences), sentences_per_doc)):
            out.append(Document(doc.sentences[i : i + sentences_per_doc], id=f"{doc.id}.{k}"))
    return out


# --- spaCy Docs ----------------------------------------------------------------------------


def to_doc(vocab: Vocab, document: Document, *, missing_misc: bool = False, labels: bool = True) -> Doc:
    """A spaCy ``Doc`` with gold sentence starts and (``labels=True``) gold entities.

    ``missing_misc``: ``O`` tokens that start with a capital, other than a sentence's first token, are
    *missing* rather than *outside* (for corpora that do not annotate MISC).
    """
    words: list[str] = []
    sent_starts: list[bool] = []
    tags: list[str] = []
    for sentence in document.sentences:
        words.extend(sentence.words)
        sent_starts.extend([True] + [False] * (len(sentence.words) - 1))
        tags.extend(sentence.tags)
    doc = Doc(vocab, words=words, sent_starts=sent_starts)
    if not labels:
        return doc
    ents = [Span(doc, s, e, label=lab) for s, e, lab in iob_to_spans(tags)]
    missing: list[Span] = []
    if missing_misc:
        in_ent = [False] * len(words)
        for s, e, _ in iob_to_spans(tags):
            for i in range(s, e):
                in_ent[i] = True
        missing = [
            doc[i : i + 1]
            for i, w in enumerate(words)
            if not in_ent[i] and not sent_starts[i] and w[:1].isupper()
        ]
    doc.set_ents(ents, missing=missing, default="outside")
    return doc


def to_docs(
    vocab: Vocab,
    documents: Iterable[Document],
    *,
    sentences_per_doc: int | None = None,
    missing_misc: bool = False,
    labels: bool = True,
) -> list[Doc]:
    return [
        to_doc(vocab, d, missing_misc=missing_misc, labels=labels)
        for d in regroup(documents, sentences_per_doc)
    ]


def conll_to_docs(
    path: str | Path, vocab: Vocab | None = None, *, sentences_per_doc: int | None = None
) -> list[Doc]:
    """CoNLL-2002 file to gold ``Doc``s: one per article, or per ``sentences_per_doc`` sentences."""
    return to_docs(vocab or Vocab(), read_conll2002(path), sentences_per_doc=sentences_per_doc)


def write_docbin(docs: Iterable[Doc], path: str | Path) -> Path:
    """Save ``docs`` as a spaCy ``.spacy`` file (DocBin) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=False).to_disk(path)
    return path


def read_docbin(path: str | Path, vocab: Vocab | None = None) -> list[Doc]:
    return list(DocBin().from_disk(path).get_docs(vocab or Vocab()))
