"""Reading NER corpora into spaCy Docs (duiding.nlp.conll)."""

from __future__ import annotations

from collections import Counter

import pytest

pytest.importorskip("spacy", reason="spaCy is not installed (duiding.nlp needs it)")

from spacy.tokens import Doc
from spacy.vocab import Vocab

from duiding.nlp import build_tokenizer, conll

CONLL = """-DOCSTART- -DOCSTART- O
De Art O
tekst N O
van Prep O
Floralux N B-ORG
. Punc O

Jan N B-PER
Peeters N I-PER
woont V O
in Prep O
Gent N B-LOC
. Punc O

-DOCSTART- -DOCSTART- O
Het Art O
Belgisch Adj B-MISC
Staatsblad N I-MISC
. Punc O
"""


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        (["B-PER", "I-PER", "O", "B-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),
        (["I-PER", "I-PER", "O", "I-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),  # IOB1 / I- after O
        (["B-PER", "B-PER", "I-PER"], [(0, 1, "PER"), (1, 3, "PER")]),
        (["B-PER", "I-ORG", "I-ORG"], [(0, 1, "PER"), (1, 3, "ORG")]),
        (["O", "O"], []),
        (["O", "B-MISC", "I-MISC"], [(1, 3, "MISC")]),
    ],
)
def test_iob_to_spans(tags, spans):
    assert conll.iob_to_spans(tags) == spans


def test_spans_to_iob_roundtrip():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "O"]
    assert conll.spans_to_iob(len(tags), conll.iob_to_spans(tags)) == tags


def test_read_conll2002_and_make_docs(tmp_path):
    path = tmp_path / "mini.conll"
    path.write_text(CONLL, encoding="utf-8")
    documents = conll.read_conll2002(path)
    assert [len(d.sentences) for d in documents] == [2, 1]
    docs = conll.conll_to_docs(path)
    assert len(docs) == 2
    doc = docs[0]
    assert [s.text for s in doc.sents] == ["De tekst van Floralux .", "Jan Peeters woont in Gent ."]
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Floralux", "ORG"),
        ("Jan Peeters", "PER"),
        ("Gent", "LOC"),
    ]
    assert [(e.text, e.label_) for e in docs[1].ents] == [("Belgisch Staatsblad", "MISC")]
    # one doc per sentence
    assert len(conll.conll_to_docs(path, sentences_per_doc=1)) == 3


def test_docbin_roundtrip(tmp_path):
    path = tmp_path / "mini.conll"
    path.write_text(CONLL, encoding="utf-8")
    docs = conll.conll_to_docs(path)
    out = conll.write_docbin(docs, tmp_path / "out" / "mini.spacy")
    again = conll.read_docbin(out)
    assert [d.text for d in again] == [d.text for d in docs]
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in again] == [
        [(e.start, e.end, e.label_) for e in d.ents] for d in docs
    ]
    assert [[s.start for s in d.sents] for d in again] == [[s.start for s in d.sents] for d in docs]


def test_missing_misc_marks_capitalised_outside_tokens_missing():
    doc = conll.to_doc(
        Vocab(),
        conll.Document(
            [conll.Sentence(["De", "Russische", "president", "Poetin", "."], ["O", "O", "O", "B-PER", "O"])]
        ),
        missing_misc=True,
    )
    assert [t.ent_iob_ for t in doc] == ["O", "", "O", "B", "O"]  # "" = missing


def test_retokenize_splits_attached_punctuation_off_entities():
    words = ["te", "Rotterdam,", "Alex.", "Dumas", "en", "(Gent)"]
    tags = ["O", "B-LOC", "B-PER", "I-PER", "O", "B-LOC"]
    new_words, new_tags = conll.retokenize(words, tags, build_tokenizer(Vocab()))
    assert new_words == ["te", "Rotterdam", ",", "Alex", ".", "Dumas", "en", "(", "Gent", ")"]
    assert conll.iob_to_spans(new_tags) == [(1, 2, "LOC"), (3, 6, "PER"), (8, 9, "LOC")]


def entity_counts(documents: list[conll.Document]) -> Counter:
    return Counter(lab for d in documents for s in d.sentences for *_, lab in conll.iob_to_spans(s.tags))


# --- the real corpora (skipped without ../shared) -------------------------------------------


def test_conll2002_sizes(shared_dir):
    base = shared_dir / "data" / "conll2002-nl"
    expected = {  # from PROVENANCE.md
        "ned.train": (287, 15806, 202644, {"PER": 4716, "LOC": 3208, "ORG": 2082, "MISC": 3338}),
        "ned.testa": (74, 2895, 37687, {"PER": 703, "LOC": 479, "ORG": 686, "MISC": 748}),
    }
    for name, (n_docs, n_sents, n_words, ents) in expected.items():
        documents = conll.read_conll2002(base / name)
        assert len(documents) == n_docs
        assert sum(len(d.sentences) for d in documents) == n_sents
        assert sum(d.n_words for d in documents) == n_words
        labels = Counter(
            lab for d in documents for s in d.sentences for *_, lab in conll.iob_to_spans(s.tags)
        )
        assert labels == ents


def test_conll2002_docs(shared_dir):
    docs = conll.conll_to_docs(shared_dir / "data" / "conll2002-nl" / "ned.testa", sentences_per_doc=10)
    assert all(isinstance(d, Doc) for d in docs)
    assert sum(len(d) for d in docs) == 37687
    assert sum(len(list(d.sents)) for d in docs) == 2895
    assert sum(len(d.ents) for d in docs) == 703 + 479 + 686 + 748


def test_europeana(shared_dir):
    path = shared_dir / "data" / "europeana-newspapers-ner-nl" / "enp_NL.kb.bio"
    documents = conll.read_europeana(path, tokenizer=build_tokenizer(Vocab()))
    labels = entity_counts(documents)
    assert set(labels) == {"PER", "LOC", "ORG"}
    assert 4000 < labels["LOC"] < 4300 and 2200 < labels["PER"] < 2500 and 500 < labels["ORG"] < 700
    assert sum(len(d.sentences) for d in documents) > 5000  # guessed sentence breaks
    words = [w for d in documents for s in d.sentences for w in s.words]
    assert "Rotterdam," not in words and "Rotterdam" in words


def test_wikiann(shared_dir):
    documents = conll.read_wikiann(shared_dir / "data" / "wikiann-nl" / "val.conllu", sentences_per_doc=10)
    assert sum(len(d.sentences) for d in documents) == 10000
    assert sum(d.n_words for d in documents) == 84146
    labels = entity_counts(documents)
    assert labels == {"PER": 4754, "LOC": 4835, "ORG": 3943}
