"""The Dutch news tokenizer and sentence splitter (duiding.nlp.tokenizer), on real news sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("spacy", reason="spaCy is not installed (duiding.nlp needs it)")

import spacy

from duiding.nlp import SENTENCIZER_NAME, TOKENIZER_NAME, make_nlp, sentence_starts


@pytest.fixture(scope="module")
def nlp():
    return make_nlp()


def toks(nlp, text: str) -> list[str]:
    return [t.text for t in nlp.tokenizer(text)]


def sents(nlp, text: str) -> list[str]:
    return [s.text.strip() for s in nlp(text).sents]


def sample_body(sample_txt: Path) -> str:
    # archive text layout: title, date, url, blank line, then the body
    return sample_txt.read_text(encoding="utf-8").split("\n\n", 1)[1]


# --- tokens ---------------------------------------------------------------------------------


def w(tokens: str) -> list[str]:
    """Expected tokens written space-separated."""
    return tokens.split(" ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # from the NOS sample (nos-2448020)
        (
            "Maar experts denken dat zo'n offensief er voorlopig niet in zit.",
            w("Maar experts denken dat zo'n offensief er voorlopig niet in zit ."),
        ),
        (
            "Loekasjenko's betrokkenheid bij de oorlog kan leiden tot zijn val.",
            w("Loekasjenko's betrokkenheid bij de oorlog kan leiden tot zijn val ."),
        ),
        (
            '"Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand", zegt Rusland-deskundige '
            "Tony van der Togt van Instituut Clingendael.",
            w(
                '" Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand " , zegt '
                "Rusland-deskundige Tony van der Togt van Instituut Clingendael ."
            ),
        ),
        (
            'sprak over Oekraïense "provocaties" en zei dat Kiev "aanvallen op het Belarus voorbereidt".',
            w(
                'sprak over Oekraïense " provocaties " en zei dat Kiev " '
                'aanvallen op het Belarus voorbereidt " .'
            ),
        ),
        (
            "net zoals in allerlei regio's rond Rusland.",
            w("net zoals in allerlei regio's rond Rusland ."),
        ),
        (
            "troepen en materieel naar Noord-Oekraïne te verplaatsen",
            w("troepen en materieel naar Noord-Oekraïne te verplaatsen"),
        ),
        # abbreviations
        (
            "Op 3 jan. sprak dr. Jansen met mr. De Vries, prof. Smit, ir. Bakker en drs. Visser.",
            w("Op 3 jan. sprak dr. Jansen met mr. De Vries , prof. Smit , ir. Bakker en drs. Visser ."),
        ),
        (
            "Het ging o.a. over m.b.t. de regeling, d.w.z. ca. 5 procent i.p.v. bijv. 8 (blz. 4, nr. 2).",
            w(
                "Het ging o.a. over m.b.t. de regeling , d.w.z. ca. 5 procent "
                "i.p.v. bijv. 8 ( blz. 4 , nr. 2 ) ."
            ),
        ),
        (
            "Appels, peren e.d. en kersen enz. Eind feb. of 1 okt. 2022.",
            w("Appels , peren e.d. en kersen enz. Eind feb. of 1 okt. 2022 ."),
        ),
        # a sentence-final full stop is not eaten by an "abbreviation" (spaCy's stock list does that)
        (
            "Dat zei hij tegen u. Het ligt in de hand. De steun van de VS.",
            w("Dat zei hij tegen u . Het ligt in de hand . De steun van de VS ."),
        ),
        # numbers
        (
            "De rente is 0,25 procent, 1.000 euro of 1.250.000,50 euro, om 12.30 uur.",
            w("De rente is 0,25 procent , 1.000 euro of 1.250.000,50 euro , om 12.30 uur ."),
        ),
        # quotation marks of every kind, apostrophes inside words
        (
            "„Ja”, zei hij. ‘Nee’, zei zij. «Oui» en 'ok'.",
            w("„ Ja ” , zei hij . ‘ Nee ’ , zei zij . « Oui » en ' ok ' ."),
        ),
        (
            "’s Avonds zag hij zo’n auto’s en Loekasjenko’s plan in ’s-Hertogenbosch.",
            w("’s Avonds zag hij zo’n auto’s en Loekasjenko’s plan in ’s-Hertogenbosch ."),
        ),
        (
            "'s Morgens en 't is in '81 in 's-Gravenhage gebeurd.",
            w("'s Morgens en 't is in '81 in 's-Gravenhage gebeurd ."),
        ),
        # dashes
        (
            "De oorlog – zegt hij - duurt voort.",
            w("De oorlog – zegt hij - duurt voort ."),
        ),
    ],
)
def test_tokens(nlp, text, expected):
    assert toks(nlp, text) == expected


def test_offsets_are_exact_on_the_sample(nlp, sample_txt):
    text = sample_txt.read_text(encoding="utf-8")
    doc = nlp(text)
    assert doc.text == text
    for token in doc:
        assert text[token.idx : token.idx + len(token.text)] == token.text
    words = {t.text for t in doc}
    assert {"Loekasjenko's", "zo'n", "Rusland-deskundige", "Noord-Oekraïne", "regio's"} <= words


def test_registered_by_name():
    assert spacy.registry.tokenizers.get(TOKENIZER_NAME)
    nlp = spacy.blank("nl", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER_NAME}}})
    assert [t.text for t in nlp("zo’n auto’s")] == ["zo’n", "auto’s"]
    nlp.add_pipe(SENTENCIZER_NAME)
    assert nlp.pipe_names == [SENTENCIZER_NAME]


def test_serialisation_roundtrip(nlp, tmp_path):
    nlp.to_disk(tmp_path / "p")
    again = spacy.load(tmp_path / "p")
    text = "Zo’n 1.000 euro, zei dr. J. Jansen o.a. in ’s-Hertogenbosch. De VS."
    assert toks(again, text) == toks(nlp, text)
    assert sents(again, text) == sents(nlp, text)


# --- sentences ------------------------------------------------------------------------------


def test_sentences_of_a_sample_paragraph(nlp, sample_txt):
    body = sample_body(sample_txt)
    para = next(p for p in body.split("\n") if p.startswith("Hummels: "))
    assert sents(nlp, para) == [
        'Hummels: "Loekasjenko kon zijn bevolking niet meer in toom houden.',
        "Het is bij de gratie van Poetin dat hij kon aanblijven en dat de revolutie mislukte.",
        "De prijs die Loekasjenko daarvoor betaalt: op het moment dat Poetin besluit dat er wat moet "
        'gebeuren, moet hij dat uitvoeren."',
    ]


def test_sentence_ends_inside_quotes_and_starts_with_one(nlp):
    text = (
        '"Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand", zegt Rusland-deskundige '
        'Tony van der Togt van Instituut Clingendael. "Sindsdien kan hij zich alleen met zware repressie '
        'handhaven." Hummels: "Dit is een manier voor Poetin." Daarna zweeg hij.'
    )
    assert sents(nlp, text) == [
        '"Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand", zegt Rusland-deskundige '
        "Tony van der Togt van Instituut Clingendael.",
        '"Sindsdien kan hij zich alleen met zware repressie handhaven."',
        'Hummels: "Dit is een manier voor Poetin."',
        "Daarna zweeg hij.",
    ]


def test_no_split_after_abbreviations_and_initials(nlp):
    text = (
        "Volgens prof. Smit en dr. J. Jansen sprak mr. A.J. de Vries o.a. met Poetin. "
        "Ook bijv. Rusland en ca. Duizend anderen waren er. Zo is het."
    )
    assert sents(nlp, text) == [
        "Volgens prof. Smit en dr. J. Jansen sprak mr. A.J. de Vries o.a. met Poetin.",
        "Ook bijv. Rusland en ca. Duizend anderen waren er.",
        "Zo is het.",
    ]


def test_split_after_final_abbreviation_before_a_capital(nlp):
    assert sents(nlp, "Appels, peren enz. De rest kwam later. Het was op 3 jan. om 12.30 uur.") == [
        "Appels, peren enz.",
        "De rest kwam later.",
        "Het was op 3 jan. om 12.30 uur.",
    ]


def test_question_and_exclamation_inside_speech(nlp):
    text = '"Waarom nu?" vroeg hij. "Nee!", riep zij. Wat nu? Niemand weet het... of toch wel.'
    assert sents(nlp, text) == [
        '"Waarom nu?" vroeg hij.',
        '"Nee!", riep zij.',
        "Wat nu?",
        "Niemand weet het... of toch wel.",
    ]


def test_line_breaks_end_sentences(nlp, sample_txt):
    text = sample_txt.read_text(encoding="utf-8")
    first = [s.text for s in nlp(text).sents][:2]
    assert first[0].strip() == "Belarussen willen geen oorlog, maar hun leider doet wat Poetin wil"
    assert first[1].strip() == "2022-10-12T07:00:02+0200"


def test_sentence_starts_on_gold_tokens_without_whitespace_info():
    words = [
        "Hij",
        "zei",
        ":",
        '"',
        "Nee",
        ".",
        '"',
        "Dan",
        "niet",
        ".",
        '"',
        "Ja",
        "?",
        '"',
        "vroeg",
        "ze",
        ".",
    ]
    starts = sentence_starts(words, [True] * len(words))
    assert [i for i, s in enumerate(starts) if s] == [0, 7, 10]


def test_every_sample_sentence_is_sensible(nlp, sample_txt):
    body = sample_body(sample_txt)
    for s in nlp(body).sents:
        first = s.text.lstrip()[:1]
        assert first.isupper() or first.isdigit() or first in "\"'„“‘«(", s.text


def test_sentencizer_keeps_given_boundaries_unless_told_to_overwrite():
    from spacy.tokens import Doc

    nlp = spacy.blank("nl")
    nlp.add_pipe(SENTENCIZER_NAME, config={"overwrite": False})
    words = ["Hij", "zwijgt", ".", "Zij", "ook", ".", "Toen", "niet", "."]
    preset = [True, False, False, False, True, None, None, None, None]
    doc = nlp(Doc(nlp.vocab, words=words, sent_starts=preset))
    assert [t.is_sent_start for t in doc] == [True, False, False, False, True, False, True, False, False]
    doc = make_nlp()(Doc(nlp.vocab, words=words, sent_starts=preset))  # default: overwrite
    assert [s.start for s in doc.sents] == [0, 3, 6]
