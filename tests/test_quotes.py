"""Quotes end to end: ``duiding quotes`` on files and the archive, ``eval quotes``, ``speaker:``, ``quote:``.

The extractor itself (``duiding.nlp.quotes``) has its own tests; these check what the product does with
it, on the bundled NOS sample and on real Dutch sentences.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus import sample_article
from duiding import cli
from duiding.cli import main
from duiding.model import Article, EntityMention, Quote
from duiding.nlp import quote_eval, speakers
from duiding.nlp.normalize import entity_id, entity_key
from duiding.search.query import parse_query
from duiding.store import open_archive
from duiding.store.sqlite import MIGRATIONS, SqliteStore

POETIN_ID = "example-nl-poetin-1"  # the id ingest gives it: outlet and source id from its URL
SPEC_FIELDS = {"start", "end", "text", "type", "speaker", "speaker_aliases", "cue", "role", "organisation"}

# Real news sentences in which Vladimir Poetin is quoted (in the sample he is only spoken about).
POETIN_TEXT = (
    "De Russische president Vladimir Poetin heeft dinsdag gezegd dat Rusland de gesprekken met Oekraïne "
    'wil hervatten. "We zijn altijd bereid geweest om te praten", zei Poetin tijdens een persconferentie '
    "in Moskou."
)


def run(*args: object, input: str | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def ok(*args: object, input: str | None = None):
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def sample(sample_txt) -> Article:
    return sample_article(sample_txt)


@pytest.fixture(scope="module")
def sample_jsonl(tmp_path_factory, sample) -> Path:
    path = tmp_path_factory.mktemp("in") / "sample.jsonl"
    record = {"id": sample.id, "title": sample.title, "text": sample.text}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def quotes_db(tmp_path_factory, sample_txt, new_db) -> str:
    """The bundled sample and the Poetin article, ingested with the NLP (each backend: ``new_db``)."""
    db = new_db()
    ok("ingest", sample_txt, "--db", db)
    poetin = tmp_path_factory.mktemp("poetin") / "poetin.jsonl"
    record = {
        "id": "poetin-1",
        "title": "Poetin wil praten",
        "text": POETIN_TEXT,
        "published": "2022-11-01T10:00:00+01:00",
        "url": "https://example.nl/nieuws/poetin-1",
    }
    poetin.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    ok("ingest", poetin, "--db", db)
    return db


def listed(db: Path, *args: object) -> dict:
    return json.loads(ok("quotes", "--db", db, "--json", "--limit", 1000, *args).stdout)


# -- duiding quotes IN.jsonl --------------------------------------------------------------------------


def test_quotes_of_a_file_in_the_spec_format(sample_jsonl, sample, tmp_path):
    out = tmp_path / "out.jsonl"
    result = ok("quotes", sample_jsonl, "-o", out)
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert set(record) == {"id", "quotes"} and record["id"] == "nos-2448020"
    quotes = record["quotes"]
    assert len(quotes) >= 15
    for q in quotes:
        assert set(q) == SPEC_FIELDS, q
        assert sample.text[q["start"] : q["end"]] == q["text"]
        assert q["type"] in ("direct", "indirect", "mixed")
    # the spec's own example: Hummels is resolved to her full name, with her role
    hummels = [q for q in quotes if q["speaker"] == "Franka Hummels"]
    assert hummels and all("Hummels" in q["speaker_aliases"] for q in hummels)
    assert any(q["role"] == "journalist en Belarus-kenner" for q in hummels)
    togt = [q for q in quotes if q["speaker"] == "Tony van der Togt"]
    assert any(q["text"] == "Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand" for q in togt)
    assert any(q["organisation"] == "Instituut Clingendael" for q in togt)
    # the same as the extractor's own output, record for record
    from duiding.nlp.quotes import extract_texts

    ((_, expected),) = list(extract_texts([sample.text]))
    assert quotes == [q.to_spec() for q in expected]
    assert "1 article, " in result.stderr and str(out) in result.stderr


def test_quotes_from_stdin_reports_bad_lines_and_goes_on(sample):
    lines = [
        json.dumps({"id": "a", "text": POETIN_TEXT}, ensure_ascii=False),
        "{not json",
        "",
        json.dumps({"id": "b", "title": "zonder tekst"}),
        json.dumps({"id": 7, "title": sample.title, "text": sample.text}, ensure_ascii=False),
    ]
    result = run("quotes", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in out] == ["a", 7]  # ids as given, the bad lines left out, order kept
    assert any(q["speaker"] == "Vladimir Poetin" for q in out[0]["quotes"])
    for record, text in zip(out, (POETIN_TEXT, sample.text), strict=True):
        assert all(text[q["start"] : q["end"]] == q["text"] for q in record["quotes"])
    assert "<stdin>:2: not a JSON object" in result.stderr
    assert "<stdin>:4: expected an object with a string 'text'" in result.stderr
    assert "2 unreadable line(s) in <stdin>" in result.stderr


def test_quotes_of_a_file_with_bad_lines_names_file_and_line(tmp_path, sample_jsonl):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(sample_jsonl.read_bytes() + b"\xff\xfe not utf-8\n" + sample_jsonl.read_bytes())
    out = tmp_path / "out.jsonl"
    result = run("quotes", bad, "-o", out)
    assert result.exit_code == 1
    assert f"{bad}:2: not a JSON object" in result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_quotes_progress_appears_when_it_runs_long(sample_jsonl, monkeypatch):
    quick = run("quotes", sample_jsonl)
    assert quick.exit_code == 0 and "articles" not in quick.stderr
    monkeypatch.setattr(cli, "PROGRESS_DELAY", 0.0)
    slow = run("quotes", sample_jsonl)
    assert slow.exit_code == 0
    assert "quotes" in slow.stderr and "1 articles" in slow.stderr
    assert slow.stdout == quick.stdout


def test_quotes_listing_options_need_the_archive(sample_jsonl):
    result = run("quotes", sample_jsonl, "--speaker", "Hummels")
    assert result.exit_code == 2 and "--speaker" in result.stderr and "Traceback" not in result.output


# -- ingest stores quotes; duiding quotes --db; duiding show ------------------------------------------


def test_ingest_stores_quotes_with_their_speaker_entity(quotes_db, sample):
    shown = json.loads(ok("show", "nos-2448020", "--db", quotes_db, "--json").stdout)
    quotes = shown["quotes"]
    assert len(quotes) >= 15
    assert all(shown["text"][q["start"] : q["end"]] == q["text"] for q in quotes)
    entities = {e["canonical"]: e["entity_id"] for e in shown["entities"] if e["label"] == "PER"}
    for q in quotes:
        if q["speaker"] in ("Franka Hummels", "Tony van der Togt"):
            assert q["speaker_entity_id"] == entities[q["speaker"]], q
    text = ok("show", "nos-2448020", "--db", quotes_db).stdout
    assert f"quotes  {len(quotes)}" in text
    assert f"quotes ({len(quotes)})" in text
    assert "Franka Hummels (journalist en Belarus-kenner)" in text.split(f"quotes ({len(quotes)})")[-1]
    assert "“Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand”" in text


def test_reingest_keeps_quotes(quotes_db, sample_txt):
    before = listed(quotes_db)
    again = json.loads(ok("ingest", sample_txt, "--db", quotes_db, "--json").stdout)
    assert again["unchanged"] == 1
    assert listed(quotes_db) == before


def test_list_quotes_of_the_archive(quotes_db):
    everything = listed(quotes_db)
    assert everything["total"] == len(everything["quotes"]) >= 17
    first = everything["quotes"][0]
    assert set(first) == {"article_id", "title", "published", "url", "speaker_entity_id"} | SPEC_FIELDS
    # newest article first (the Poetin article is of November), then in text order
    ids = [q["article_id"] for q in everything["quotes"]]
    assert ids[0] == POETIN_ID and ids[-1] == "nos-2448020"
    sample_starts = [q["start"] for q in everything["quotes"] if q["article_id"] == "nos-2448020"]
    assert sample_starts == sorted(sample_starts)
    page = listed(quotes_db, "--offset", 2, "--limit", 3)
    assert page["quotes"] == everything["quotes"][2:5] and page["total"] == everything["total"]


@pytest.mark.parametrize(
    "name",
    [
        "Poetin",
        "Putin",
        "Vladimir Poetin",
        "vladimir putin",
        "VLADIMIR POETIN",
        "Vladimir Vladimirovitsj Poetin",
    ],
)
def test_list_quotes_by_speaker_finds_the_person_in_any_spelling(quotes_db, name):
    found = listed(quotes_db, "--speaker", name)
    assert found["total"] >= 1
    assert {q["speaker"] for q in found["quotes"]} == {"Vladimir Poetin"}
    assert {q["article_id"] for q in found["quotes"]} == {POETIN_ID}


@pytest.mark.parametrize(
    ("name", "speaker"),
    [
        ("Hummels", "Franka Hummels"),
        ("franka hummels", "Franka Hummels"),
        ("Van der Togt", "Tony van der Togt"),
        ("Togt", "Tony van der Togt"),
        ("Lukashenko", "Aleksandr Loekasjenko"),
    ],
)
def test_list_quotes_by_speaker(quotes_db, name, speaker):
    found = listed(quotes_db, "--speaker", name)
    everything = listed(quotes_db)
    assert found["total"] >= 1
    assert found["quotes"] == [q for q in everything["quotes"] if q["speaker"] == speaker]


def test_list_quotes_by_speaker_and_query(quotes_db):
    assert listed(quotes_db, "--speaker", "Mark Rutte")["total"] == 0
    assert listed(quotes_db, "--speaker", "Franka")["total"] >= 1
    in_sample = listed(quotes_db, "--query", "quote:bruggen")
    assert {q["article_id"] for q in in_sample["quotes"]} == {"nos-2448020"}
    assert in_sample["total"] == sum(
        1 for q in listed(quotes_db)["quotes"] if q["article_id"] == "nos-2448020"
    )
    both = listed(quotes_db, "--speaker", "Hummels", "--query", "published:2022-10 AND Belarus")
    assert both["total"] >= 1 and {q["speaker"] for q in both["quotes"]} == {"Franka Hummels"}
    assert listed(quotes_db, "--speaker", "Hummels", "--query", "published:2022-11")["total"] == 0
    assert listed(quotes_db, "--query", "Rutte")["total"] == 0
    bad = run("quotes", "--db", quotes_db, "--query", "(Poetin AND")
    assert bad.exit_code == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.output


def test_list_quotes_as_text(quotes_db):
    text = ok("quotes", "--db", quotes_db, "--speaker", "Van der Togt", "--limit", 2).stdout
    assert "quotes (showing 1–2)" in text.splitlines()[0]
    assert "nos-2448020" in text
    assert "Tony van der Togt (Rusland-deskundige, Instituut Clingendael)" in text
    assert "“Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand”" in text


def test_empty_archive_says_why_it_has_no_quotes(db, sample_txt):
    ok("ingest", sample_txt, "--db", db, "--no-nlp")
    result = ok("quotes", "--db", db)
    assert result.stdout.startswith("0 quotes") and "--no-nlp" in result.stderr


# -- search: speaker: and quote: ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('speaker:"Tony van der Togt"', {"nos-2448020"}),
        ("speaker:Hummels", {"nos-2448020"}),
        ('speaker:"Mark Rutte"', set()),
        ("speaker:Lukashenko", {"nos-2448020"}),  # the international spelling of Loekasjenko
        ('speaker:"Van der Togt"', {"nos-2448020"}),
        ("speaker:Poetin", {POETIN_ID}),  # spoken about in the sample, quoted only in poetin-1
        ("speaker:Putin", {POETIN_ID}),
        ('speaker:"vladimir putin"', {POETIN_ID}),
        ("person:Poetin AND NOT speaker:Poetin", {"nos-2448020"}),
        ("speaker:*", {"nos-2448020", POETIN_ID}),
        ("quote:bruggen", {"nos-2448020"}),
        ("quote:brug", {"nos-2448020"}),  # stemmed like text
        ("quote:Loekasjenko", {"nos-2448020"}),
        ("quote:Clingendael", set()),
        ("quote:Clingend*", set()),
        ("Clingendael", {"nos-2448020"}),
        ('quote:"altijd bereid"', {POETIN_ID}),
        ("quote:Moskou", set()),  # after the quote, not in it
    ],
)
def test_search_by_speaker_and_quote(quotes_db, query, expected):
    # The same on both backends: PostgreSQL's vectors hold tantivy's stems (quote:brug finds "bruggen").
    found = json.loads(ok("search", query, "--db", quotes_db, "--json", "--limit", 50).stdout)
    assert {r["id"] for r in found["results"]} == expected, query


def test_clingendael_is_outside_the_quotes(quotes_db, sample):
    shown = json.loads(ok("show", "nos-2448020", "--db", quotes_db, "--json").stdout)
    assert "Clingendael" in sample.text
    assert all("Clingendael" not in q["text"] for q in shown["quotes"])
    assert any("bruggen" in q["text"] for q in shown["quotes"])


def test_quote_search_highlights_in_the_snippet(quotes_db):
    found = json.loads(ok("search", "quote:bruggen", "--db", quotes_db, "--json").stdout)
    assert "<b>bruggen</b>" in found["results"][0]["snippet"]


def test_reindex_keeps_annotation_fields(quotes_db):
    queries = ('speaker:"Tony van der Togt"', "quote:bruggen", "person:Putin", "location:Belarus")
    assert "indexed 2 articles" in ok("reindex", "--db", quotes_db).stdout
    for q in queries:
        assert json.loads(ok("search", q, "--db", quotes_db, "--json").stdout)["total"] >= 1, q


def test_index_of_an_older_schema_is_rebuilt(quotes_db, tmp_path, embedded):
    import shutil

    db = tmp_path / "copy"
    shutil.copytree(quotes_db, db)
    (db / "index" / "duiding-index.json").write_text('{"schema_version": 2}\n')
    info = json.loads(ok("info", "--db", db, "--json").stdout)
    assert info["pending_index"] == info["articles"] == 2
    stale = run("search", "speaker:Hummels", "--db", db)
    assert "run duiding reindex" in stale.stderr
    ok("reindex", "--db", db)
    assert json.loads(ok("search", "speaker:Hummels", "--db", db, "--json").stdout)["total"] == 1


# -- the store: speakers without NLP, migrations ------------------------------------------------------


def _handmade_article() -> Article:
    """The Poetin sentences, annotated by hand: what the store and index do does not need the model."""
    text = POETIN_TEXT
    start = text.index("We zijn")
    end = text.index('", zei')
    poetin = entity_id("PER", entity_key("PER", "Vladimir Poetin"))
    mentions = [
        EntityMention(
            start=text.index(s, i),
            end=text.index(s, i) + len(s),
            text=s,
            label="PER",
            canonical="Vladimir Poetin",
        )
        for s, i in (("Vladimir Poetin", 0), ("Poetin", end))
    ]
    quote = Quote(
        start=start,
        end=end,
        text=text[start:end],
        type="direct",
        speaker="Vladimir Poetin",
        speaker_aliases=["Poetin"],
        cue="zei",
        role="Russische president",
        speaker_entity_id=poetin,
    )
    return Article(
        id="poetin-2",
        title="Poetin wil praten",
        text=text,
        url="https://example.nl/nieuws/poetin-2",
        entities=[m.model_copy(update={"entity_id": poetin}) for m in mentions],
        quotes=[quote],
    )


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("Poetin", 1),
        ("poetin", 1),
        ("Putin", 1),
        ("Vladimir Putin", 1),
        ("Vladimir V. Poetin", 1),  # the same entity key: middle names do not count
        ("Dmitri Poetin", 0),
        ("Peskov", 0),
        ("Russische president", 0),
    ],
)
def test_store_finds_quotes_by_speaker(db, name, found):
    archive = open_archive(db)
    try:
        archive.upsert([_handmade_article()])
        result = archive.quotes(speaker=name)
        assert result.total == found == len(result.hits)
        if found:
            (hit,) = result.hits
            assert hit.article_id == "poetin-2" and hit.url == "https://example.nl/nieuws/poetin-2"
            assert hit.quote.text == "We zijn altijd bereid geweest om te praten"
        query = archive.quotes(speaker=name, query=parse_query("speaker:" + json.dumps(name)))
        assert query.total == found
        assert archive.quotes(speaker=name, query=parse_query("Rutte")).total == 0
    finally:
        archive.close()


def test_store_finds_quotes_by_an_alias_of_the_speakers_entity(db):
    article = _handmade_article()
    # "Poetins" is a spelling the archive's entity record knows (a mention), not the quote's alias
    text = article.text + " Poetins plan."
    at = text.rindex("Poetins")
    extra = EntityMention(
        start=at,
        end=at + 7,
        text="Poetins",
        label="PER",
        canonical="Vladimir Poetin",
        entity_id=article.quotes[0].speaker_entity_id,
    )
    article = Article(
        id=article.id,
        title=article.title,
        text=text,
        url=article.url,
        entities=[*article.entities, extra],
        quotes=article.quotes,
    )
    archive = open_archive(db)
    try:
        archive.upsert([article])
        assert "Poetins" in archive.entities()[0].aliases
        assert speakers.forms("Poetins") == ["putins", "poetins"]  # no spelling of the quote's names
        assert archive.quotes(speaker="Poetins").total == 1
        assert archive.quotes(speaker="poetins").total == 1
    finally:
        archive.close()


def test_new_annotations_of_an_unchanged_article_are_indexed(db):
    article = _handmade_article()
    bare = Article(id=article.id, title=article.title, text=article.text, url=article.url)
    archive = open_archive(db)
    try:
        archive.upsert([bare])
        assert archive.search(parse_query("speaker:Poetin")).total == 0
        archive.upsert([article])  # the same article, now with its quotes
        assert archive.search(parse_query("speaker:Poetin")).total == 1
        assert archive.search(parse_query("quote:bereid")).total == 1
        assert archive.pending_index() == 0
    finally:
        archive.close()


def test_migration_to_version_2_keeps_quotes_and_makes_them_findable(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0].split(";"):  # type: ignore[union-attr]
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    article = _handmade_article()
    conn.execute(
        "INSERT INTO articles (id, identity, title, text, content_hash, fingerprint, ingested_at, "
        "updated_at) VALUES ('old-1', 'url:x', ?, ?, 'h', 'f', 'now', 'now')",
        (article.title, article.text),
    )
    q = article.quotes[0]
    conn.execute(
        "INSERT INTO quotes VALUES (1, ?, ?, 'direct', ?, ?, 'zei', NULL, NULL, ?)",
        (q.start, q.end, q.speaker, json.dumps(q.speaker_aliases), q.speaker_entity_id),
    )
    conn.close()

    store = SqliteStore(path)
    try:
        assert store.schema_version == len(MIGRATIONS) >= 2  # later migrations run too
        assert store.count() == 1
        (hit,) = store.quotes(speaker="Putin").hits
        assert hit.article_id == "old-1" and hit.quote == q.model_copy(update={"role": None})
        assert store.get("old-1").quotes[0].speaker == "Vladimir Poetin"
    finally:
        store.close()


# -- eval quotes and its scorer -----------------------------------------------------------------------


def _shared_scorer(shared_dir: Path):
    path = shared_dir / "spec" / "score_quotes.py"
    if not path.is_file():
        pytest.skip(f"{path} not found: the reference scorer is needed to compare with")
    spec = importlib.util.spec_from_file_location("score_quotes", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return path, module


def test_eval_quotes_matches_the_reference_scorer(shared_dir, tmp_path):
    scorer, _ = _shared_scorer(shared_dir)
    gold = shared_dir / "samples" / "nos-2448020.quotes.gold.jsonl"
    articles = shared_dir / "samples" / "nos-2448020.jsonl"
    pred = tmp_path / "pred.jsonl"
    result = ok("eval", "quotes", gold, articles, "--json", "-o", pred)
    ours = json.loads(result.stdout)
    assert ours.pop("articles_per_second") > 0
    reference = subprocess.run(
        [sys.executable, str(scorer), str(gold), str(pred), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ours == json.loads(reference.stdout)
    assert ours == quote_eval.score(quote_eval.load(gold), quote_eval.load(pred))
    assert ours["gold"] == 24 and ours["lenient"]["f1"] >= 0.8 and ours["lenient"]["speaker_match"] >= 0.8
    # text output: the same figures
    shown = ok("eval", "quotes", gold, articles).stdout
    assert f"{ours['strict']['precision']:.4f}" in shown and "articles/s" in shown


def test_quote_scorer_pairs_like_the_reference_on_awkward_cases(shared_dir):
    _, reference = _shared_scorer(shared_dir)
    rng = random.Random(20221012)
    names = ["Franka Hummels", "Hummels", "hummels ", "Tony van der Togt", None]
    for _ in range(200):
        gold: dict[str, list[dict]] = {}
        pred: dict[str, list[dict]] = {}
        for art in range(rng.randint(1, 4)):
            for target in (gold, pred):
                spans = []
                for _ in range(rng.randint(0, 6)):
                    # short spans on a short stretch: many overlaps, and many equal ones (ties)
                    start = rng.randint(0, 30)
                    spans.append(
                        {
                            "start": start,
                            "end": start + rng.choice([0, 5, 10, 10, 20]),
                            "type": rng.choice(["direct", "indirect", "mixed"]),
                            "speaker": rng.choice(names),
                            "speaker_aliases": rng.sample(names[:4], rng.randint(0, 2)),
                        }
                    )
                if spans or rng.random() < 0.5:
                    target[f"a{art}"] = spans
        assert quote_eval.score(gold, pred) == reference.score(gold, pred)


def test_quote_scorer_figures():
    gold = {
        "a": [
            {
                "start": 0,
                "end": 10,
                "type": "direct",
                "speaker": "Franka Hummels",
                "speaker_aliases": ["Hummels"],
            },
            {
                "start": 20,
                "end": 30,
                "type": "indirect",
                "speaker": "Tony van der Togt",
                "speaker_aliases": [],
            },
        ],
        "b": [{"start": 0, "end": 10, "type": "direct", "speaker": None, "speaker_aliases": []}],
    }
    pred = {
        "a": [
            {"start": 0, "end": 10, "type": "direct", "speaker": "hummels"},  # alias: match, not resolved
            {"start": 24, "end": 30, "type": "direct", "speaker": "Tony van der Togt"},  # overlap 0.6
            {"start": 50, "end": 60, "type": "direct", "speaker": None},  # no gold quote
        ],
        "c": [{"start": 0, "end": 10, "type": "direct", "speaker": None}],  # not in gold: ignored
    }
    result = quote_eval.score(gold, pred)
    assert (result["articles"], result["gold"], result["predicted"]) == (2, 3, 3)
    lenient, strict = result["lenient"], result["strict"]
    assert lenient["matched"] == 2 and lenient["precision"] == lenient["recall"] == round(2 / 3, 4)
    assert (
        lenient["speaker_match"] == 1.0
        and lenient["speaker_resolved"] == 0.5
        and lenient["type_match"] == 0.5
    )
    assert lenient["attributed_recall"] == round(2 / 3, 4)
    assert strict["matched"] == 1 and strict["f1"] == round(1 / 3, 4)
    assert quote_eval.overlap({"start": 0, "end": 10}, {"start": 5, "end": 15}) == 5 / 15


def test_quote_files_with_bad_lines_are_named(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "a", "quotes": []}\n{"id": "b", "quotes": [{"start": "x"}]}\n')
    with pytest.raises(quote_eval.QuoteFileError, match=r"gold.jsonl:2: 'quotes' must be"):
        quote_eval.load(path)
    result = run("eval", "quotes", path, path)
    assert result.exit_code == 2 and "gold.jsonl:2:" in result.stderr


def test_demo_lists_quotes(tmp_path):
    result = ok("demo", "--db", tmp_path / "demo")
    assert "duiding quotes --speaker 'Van der Togt'" in result.stdout
    assert "Tony van der Togt (Rusland-deskundige, Instituut Clingendael)" in result.stdout
