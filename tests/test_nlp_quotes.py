"""The quote extractor on real text: the bundled NOS sample, DpgMedia2019 articles, and each construction.

The DpgMedia2019 dev set (``tests/data/quotes/dpg-dev.gold.jsonl``: ids, offsets, speakers — never the
text, which may not be redistributed) is read against the corpus in ``../shared``; those tests skip
when it is absent.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from duiding.ingest.archive_text import parse_archive_text
from duiding.nlp import quotes
from duiding.nlp.entities import load_model

DATA = Path(__file__).parent / "data" / "quotes"


@pytest.fixture(scope="module")
def nlp():
    return load_model()


def run(nlp, text: str) -> list:
    doc = nlp(text)
    return quotes.extract(doc, quotes.doc_mentions(doc))


def one(found: list, text: str, fragment: str):
    """The quote whose span contains ``fragment``."""
    hits = [q for q in found if fragment in q.text]
    assert hits, f"no quote contains {fragment!r}; found {[q.text for q in found]}"
    return hits[0]


# --- the bundled sample ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(nlp, sample_txt):
    text = parse_archive_text(sample_txt.read_text(encoding="utf-8"))["text"]
    return text, run(nlp, text)


def test_offsets_are_into_the_text_as_given(sample):
    text, found = sample
    assert found
    for q in found:
        assert q.text == text[q.start : q.end]
        assert q.to_spec().keys() >= {"start", "end", "text", "type", "speaker", "speaker_aliases", "cue"}


def test_attribution_after_the_quote_with_role(sample):
    text, found = sample
    q = one(found, text, "Zo is het land vanaf het begin betrokken geweest")
    assert (q.type, q.speaker, q.role) == ("direct", "Franka Hummels", "journalist en Belarus-kenner")
    assert q.cue == "zegt" and "Hummels" in q.speaker_aliases
    assert text[q.start - 1] == '"' and text[q.end] == '"'  # the marks are outside the span


def test_surname_resolved_to_the_full_name_and_organisation(sample):
    text, found = sample
    q = one(found, text, "Loekasjenko heeft daarmee alle bruggen")
    assert (q.speaker, q.role, q.organisation) == (
        "Tony van der Togt",
        "Rusland-deskundige",
        "Instituut Clingendael",
    )
    q = one(found, text, "Redelijk onzinnig")  # "…", noemt Van der Togt die uitspraken.
    assert (q.type, q.speaker, q.cue) == ("direct", "Tony van der Togt", "noemt")


def test_interrupted_quote_gives_two_records(sample):
    text, found = sample
    first = one(found, text, "Redelijk onzinnig")
    second = one(found, text, "De Oekraïners hebben wel iets anders aan hun hoofd")
    assert first is not second and first.end < second.start
    assert second.speaker == "Tony van der Togt"


def test_colon_led_paragraph(sample):
    text, found = sample
    q = one(found, text, "Loekasjenko kon zijn bevolking niet meer in toom houden")
    assert (q.type, q.speaker, q.cue) == ("direct", "Franka Hummels", ":")
    assert q.text.endswith("moet hij dat uitvoeren.")  # several sentences in one pair of marks: one record


def test_continuation_belongs_to_the_last_speaker(sample):
    text, found = sample
    # 'De Belarussische politicoloog Franak Viacorka nuanceert dat beeld. "Sommige militairen …"'
    q = one(found, text, "Sommige militairen steunen Europa")
    assert (q.speaker, q.role) == ("Franak Viacorka", "Belarussische politicoloog")
    # two sentences after 'Hoe dan ook verwacht Van der Togt …'
    assert one(found, text, "Via mobilisatie wil Rusland").speaker == "Tony van der Togt"


def test_indirect_with_dat_clause_and_inverted_subject(sample):
    text, found = sample
    q = one(found, text, "de twee landen zelfs werken aan gezamenlijke troepenopbouw")
    assert (q.type, q.speaker, q.cue) == ("indirect", "Aleksandr Loekasjenko", "zei")
    assert q.text == "de twee landen zelfs werken aan gezamenlijke troepenopbouw"  # no cue, no full stop
    q = one(found, text, "zo'n offensief er voorlopig niet in zit")  # Maar experts denken dat …
    assert (q.type, q.speaker) == ("indirect", "experts")


def test_sentence_final_attribution_is_indirect(sample):
    text, found = sample
    q = one(found, text, "Beide mannen streven naar een soort terugkeer")
    assert (q.type, q.speaker) == ("indirect", "Franka Hummels")
    assert q.text.endswith("in het Kremlin belanden")


def test_mixed_quote_ends_before_its_closing_mark(sample):
    text, found = sample
    q = one(found, text, "aanvallen op het Belarus voorbereidt")
    assert q.type == "mixed" and q.text == 'Kiev "aanvallen op het Belarus voorbereidt'
    assert q.speaker == "De Belarussische regering"
    # a quoted word after "sprak over" is that source's direct quote
    assert one(found, text, "provocaties").speaker == "De Belarussische regering"


def test_attribution_inside_the_sentence_spans_the_sentence(sample):
    text, found = sample
    q = one(found, text, "meent Hummels")
    assert q.type == "mixed" and q.text.startswith("Het enige dat Poetin")


# --- the scorer's figures on the sample and on the dev set ------------------------------------------------


def _scorer(shared: Path):
    spec = importlib.util.spec_from_file_location("score_quotes", shared / "spec" / "score_quotes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _predict(nlp, articles: dict[str, str]) -> dict[str, list[dict]]:
    texts = list(articles.values())
    out = {}
    for art_id, (_, found) in zip(articles, quotes.extract_texts(texts, nlp), strict=True):
        out[art_id] = [q.to_spec() for q in found]
    return out


def test_sample_meets_the_done_when_figures(nlp, shared_dir):
    scorer = _scorer(shared_dir)
    article = json.loads((shared_dir / "samples" / "nos-2448020.jsonl").read_text(encoding="utf-8"))
    gold = scorer.load(shared_dir / "samples" / "nos-2448020.quotes.gold.jsonl")
    result = scorer.score(gold, _predict(nlp, {article["id"]: article["text"]}))
    assert result["lenient"]["f1"] >= 0.95
    assert result["lenient"]["speaker_resolved"] >= 0.95


def dev_articles(shared: Path) -> dict[str, str]:
    path = shared / "data" / "dpgmedia2019-nl-news" / "dpgMedia2019-articles-byarticle-all.jsonl"
    wanted = {json.loads(line)["id"] for line in (DATA / "dpg-dev.gold.jsonl").open(encoding="utf-8")}
    reserved = set((shared / "spec" / "reserved-ids.txt").read_text().split())
    assert not wanted & reserved, "the dev set must not contain held-out articles"
    texts = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if str(record["id"]) in wanted:
                texts[str(record["id"])] = record["text"]
    return texts


def test_dev_set_meets_the_done_when_figures(nlp, shared_dir):
    scorer = _scorer(shared_dir)
    articles = dev_articles(shared_dir)
    gold = scorer.load(DATA / "dpg-dev.gold.jsonl")
    assert len(gold) >= 30 and set(gold) == set(articles)
    result = scorer.score(gold, _predict(nlp, articles))
    assert result["lenient"]["f1"] >= 0.85
    assert result["lenient"]["speaker_match"] >= 0.85


# --- each construction, in real DpgMedia2019 sentences ----------------------------------------------------


@pytest.fixture(scope="module")
def dpg(shared_dir):
    return dev_articles(shared_dir)


def _in_article(nlp, dpg, art_id: str):
    text = dpg[art_id]
    return text, run(nlp, text)


def test_low_comma_quotes_of_the_regional_papers(nlp, dpg):
    # AD style: ,,Het gaat erom …'', zegt VVD-Kamerlid Dilan Yesilgöz. ,,Daar wordt hard aan gewerkt. …''
    text, found = _in_article(nlp, dpg, "10673134")
    q = one(found, text, "Het gaat erom dat de Groningers nu goed worden geholpen")
    assert (q.type, q.speaker, q.role, q.organisation) == ("direct", "Dilan Yesilgöz", "VVD-Kamerlid", "VVD")
    assert text[q.start - 2 : q.start] == ",," and text[q.end] in "'\""  # closed by '' or (a typo) "
    nxt = one(found, text, "Daar wordt hard aan gewerkt")
    assert nxt.speaker == "Dilan Yesilgöz" and nxt.type == "direct"


def test_single_quotes_with_apostrophes_inside(nlp, dpg):
    text, found = _in_article(nlp, dpg, "10749320")
    # 'Het is allemaal nieuw voor mij', concludeert Johan Dessing, FvD-fractievoorzitter in Noord-Holland, …
    q = one(found, text, "Het is allemaal nieuw voor mij")
    assert (q.type, q.speaker, q.cue) == ("direct", "Johan Dessing", "concludeert")
    # VVD-voorman Cees Loggen verwerpt het plan …: 'Daar zijn … collega's, geen vrienden.'
    q = one(found, text, "We zijn collega's, geen vrienden.")
    assert q.speaker == "Cees Loggen" and q.text.startswith("Daar zijn betere manieren voor.")


def test_volgens_and_aldus(nlp, dpg):
    text, found = _in_article(nlp, dpg, "10750338")
    # "…", aldus Morch-Binnema aan de telefoon vanuit Maputo.
    q = one(found, text, "Er zijn nu nog locaties waar 12 meter water staat")
    assert q.speaker == "Edith Morch-Binnema" and q.cue == "aldus"


def test_te_clause_after_a_cue(nlp, dpg):
    text, found = _in_article(nlp, dpg, "10648856")
    # Oppositieleider Corbyn gaf al aan een alternatief brexitplan te komen.
    q = one(found, text, "een alternatief brexitplan te komen")
    assert (q.type, q.cue) == ("indirect", "gaf aan") and "Corbyn" in q.speaker
    assert q.text == "een alternatief brexitplan te komen"


def test_content_before_dat_zegt(nlp, dpg):
    # "De boete van 25.000 euro … Dat zegt de gemeente Amersfoort": the sentence before is the content
    text, found = _in_article(nlp, dpg, "10766846")
    q = one(found, text, "De boete van 25.000 euro voor wie de plannen verklapt")
    assert (q.type, q.speaker) == ("indirect", "de gemeente Amersfoort")


def test_polls_are_not_sources(nlp, dpg):
    # "De VVD krijgt volgens de poll namelijk de laatste van acht restzetels": a poll result
    _text, found = _in_article(nlp, dpg, "10730806")
    assert not [q for q in found if "poll" in (q.speaker or "").lower()]
    assert not [q for q in found if "volgens de poll" in q.text]


def test_reported_questions_are_not_quotes_but_quoted_questions_are(nlp, dpg):
    # a question in quotation marks reproduces what a source said:
    # "Staat GroenLinks ook in Gelderland op winst?", vraagt NOS-presentatrice Dionne Stax …
    text, found = _in_article(nlp, dpg, "10730068")
    q = one(found, text, "Staat GroenLinks ook in Gelderland op winst?")
    assert (q.type, q.speaker) == ("direct", "Dionne Stax")
    # a reported question ("vroeg hoe …", "vraagt of …") is not reported speech
    text = (
        "De Kamer vroeg hoe het zover had kunnen komen. "
        "Minister Hugo de Jonge vraagt of de regels strenger moeten."
    )
    assert run(nlp, text) == []


# --- mark styles and apostrophes, one sentence each -------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "inner"),
    [
        ("„We hebben gewonnen”, zegt Jesse Klaver.", "We hebben gewonnen"),
        ("“We hebben gewonnen”, zegt Jesse Klaver.", "We hebben gewonnen"),
        ("«We hebben gewonnen», zegt Jesse Klaver.", "We hebben gewonnen"),
        ("‘We hebben gewonnen’, zegt Jesse Klaver.", "We hebben gewonnen"),
        ("'We hebben gewonnen', zegt Jesse Klaver.", "We hebben gewonnen"),
        ('"We hebben gewonnen", zegt Jesse Klaver.', "We hebben gewonnen"),
        (",,We hebben gewonnen'', zegt Jesse Klaver.", "We hebben gewonnen"),
        # apostrophes inside a single-quoted quote are not its end
        ("'Zo'n uitslag, met al die auto's en 's avonds feest, is mooi', zegt Jesse Klaver.",
         "Zo'n uitslag, met al die auto's en 's avonds feest, is mooi"),
    ],
)  # fmt: skip
def test_every_quotation_mark_style(nlp, sentence, inner):
    found = run(nlp, "De GroenLinks-leider was tevreden. " + sentence)
    q = one(found, sentence, inner)
    assert q.text == inner and q.type == "direct"
    assert q.speaker == "Jesse Klaver"


def test_attribution_before_the_quote(nlp):
    text = 'Minister Hugo de Jonge zei gisteren: "We gaan de regels versoepelen."'
    q = one(run(nlp, text), text, "We gaan de regels versoepelen.")
    assert (q.type, q.speaker, q.cue) == ("direct", "Hugo de Jonge", "zei")


def test_pronoun_resolved_to_the_person(nlp):
    text = (
        "Burgemeester Femke Halsema van Amsterdam sprak de raad toe. "
        '"De stad moet veiliger worden", zei ze. "Daar werken we hard aan."'
    )
    found = run(nlp, text)
    assert one(found, text, "De stad moet veiliger worden").speaker == "Femke Halsema"
    assert one(found, text, "Daar werken we hard aan").speaker == "Femke Halsema"


def test_spokesperson_speaks_for_the_body(nlp):
    text = "De verdachte is vrijgelaten. Hij wordt niet langer verdacht, zegt een woordvoerder van het OM."
    q = one(run(nlp, text), text, "Hij wordt niet langer verdacht")
    assert (q.type, q.speaker) == ("indirect", "het OM")
    assert "een woordvoerder van het OM" in q.speaker_aliases


def test_scare_quotes_and_titles_are_not_quotes(nlp):
    text = (
        "De zogenoemde 'deal' van het kabinet kwam er niet. "
        "Het boek 'De avonden' van Gerard Reve is een klassieker. "
        "De minister bezocht de 'wijk van de toekomst' in Utrecht."
    )
    assert run(nlp, text) == []


def test_quote_over_paragraphs_and_continuation_paragraph(nlp):
    text = (
        'Kamerlid Pieter Omtzigt is kritisch. "De toeslagenaffaire is nog lang niet voorbij.\n'
        '"Duizenden ouders wachten nog op hun geld."\n'
        '"Het kabinet moet nu doorpakken."'
    )
    found = run(nlp, text)
    assert [q.speaker for q in found] == ["Pieter Omtzigt"] * 3
    assert found[0].text == "De toeslagenaffaire is nog lang niet voorbij."


@pytest.mark.parametrize(
    ("text", "speaker", "role", "organisation"),
    [
        (
            'Het kabinet stuurt geen extra troepen. "Daar is geen draagvlak voor", '
            "zegt minister van Buitenlandse Zaken Wopke Hoekstra.",
            "Wopke Hoekstra", "minister van Buitenlandse Zaken", "Buitenlandse Zaken",
        ),
        (
            'De motie werd verworpen. "Dit is een gemiste kans", zegt Kamerlid Ruben Brekelmans (VVD).',
            "Ruben Brekelmans", "Kamerlid", "VVD",
        ),
        (
            "Hoogleraar Jan Jansen van de Universiteit Utrecht waarschuwt dat de zeespiegel sneller stijgt.",
            "Jan Jansen", "Hoogleraar", "Universiteit Utrecht",
        ),
    ],
)  # fmt: skip
def test_role_and_organisation_as_the_article_gives_them(nlp, text, speaker, role, organisation):
    (q,) = run(nlp, text)
    assert (q.speaker, q.role, q.organisation) == (speaker, role, organisation)


def test_an_organisation_as_speaker(nlp):
    text = "Het RIVM meldt dat het aantal besmettingen daalt."
    (q,) = run(nlp, text)
    assert (q.type, q.speaker, q.text) == ("indirect", "Het RIVM", "het aantal besmettingen daalt")


def test_quoted_fragment_after_a_verdict_is_the_subjects_words(nlp, dpg):
    # "De senatoren vonden de initiatiefwet 'niet praktisch genoeg' omdat …"
    text, found = _in_article(nlp, dpg, "10676591")
    q = one(found, text, "niet praktisch genoeg")
    assert (q.type, q.text) == ("direct", "niet praktisch genoeg")
    # but a nickname between a first name and a surname is not a quote: "Abderrahim 'Appie' Belhadj"
    text, found = _in_article(nlp, dpg, "10679687")
    assert not [q for q in found if q.text == "Appie"]


def test_a_possessive_name_is_not_the_speaker(nlp):
    text = 'Het Kremlin reageerde snel. "Er komt geen mobilisatie", zei Poetins woordvoerder Dmitri Peskov.'
    (q,) = run(nlp, text)
    assert (q.speaker, q.role) == ("Dmitri Peskov", "woordvoerder")
    (q,) = run(nlp, "Volgens Poetins woordvoerder Dmitri Peskov is er geen sprake van een mobilisatie.")
    assert (q.type, q.speaker) == ("indirect", "Dmitri Peskov")
