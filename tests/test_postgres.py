"""The PostgreSQL backend on a real server (the throwaway one of ``tests/pg.py``; skipped, saying why,
where PostgreSQL is not installed): the same answers as the embedded backend, schema migrations,
several writers at once, clear errors, and the commands and the HTTP API on a server archive.

The store, search and analysis suites run against both backends already (``backend`` in conftest.py);
these are the checks that only make sense with a server.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from corpus import write_jsonl_corpus
from duiding.cli import main
from duiding.model import Article, EntityMention, Quote
from duiding.nlp.normalize import entity_id, entity_key
from duiding.search.query import parse_query
from duiding.store import StoreError, open_archive
from duiding.store.base import FeedItem
from duiding.store.postgres_schema import MIGRATIONS, SCHEMA_VERSION
from pg import PgServer
from test_search import GASPRIJS, KABINET, KYIV, STIKSTOF

with warnings.catch_warnings():  # starlette's notice about its httpx successor, raised on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env=env)


@pytest.fixture
def pg_db(pg_server: PgServer) -> str:
    return pg_server.new_database()


def sql(url: str, query: str, args: tuple[object, ...] = ()) -> list[tuple]:
    """Rows straight from the server, not through duiding."""
    with psycopg.connect(url) as conn:
        cur = conn.execute(query, args)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


# -- the same answers as the embedded backend --------------------------------------------------------------

# Stemmed, phrase, boolean, field, date, wildcard, entity and quote queries on the NOS sample (with its
# entities and quotes, through the NLP) and a dozen articles made of its paragraphs (Jan 2022, three
# categories; near-duplicates of each other). Among the stemmed ones, words PostgreSQL's own Dutch stemmer
# (another Snowball version) reduces otherwise than tantivy's: bruggen (brugg / brug), regering (reger /
# regeer), minister (minister / mini), afgelopen (afgelop / afloop), Belarussen (belaruss / belarus).
QUERIES = [
    "Poetins",
    "journalisten",
    "bruggen",
    "brug",
    "quote:brug",
    "text:brug",
    "regering",
    "regeringen",
    '"de regering"',
    "minister",
    "ministers",
    "afgelopen",
    "afloop",
    "gelopen",
    "Belarussen",
    "title:Belarus",
    "title:(Belarus -Kyiv)",
    "title:belarussen -text:bruggen",
    # a word the analyzer drops (40 bytes and more) leaves its position empty: "president Aleksandr …"
    '"president Aleksandrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr Loekasjenko"',
    '"alle bruggen"~1',
    # tantivy's slop works both ways (a transposition costs 2) and may find a repeated word once
    '"bruggen alle"~2',
    '"Loekasjenko president"~2',
    '"Loekasjenko president"~3',
    '"Poetin Poetin"~1',
    '"Poetin Poetin"',
    "oekraine",
    "OEKRAÏNE",
    "Belarussische",
    '"Instituut Clingendael"',
    '"Clingendael Instituut"',
    '"president Aleksandr Loekasjenko"',
    '"president Loekasjenko"~1',
    '"president Loekasjenko"',
    '"Poetin Loekasjenko"~5',
    '"alle bruggen Westen"~3',
    '"Instituut van der Togt"~4',
    "Noord-Oekraïne",
    "Poetin AND Loekasjenko",
    "Hummels OR Clingendael",
    "Poetin -Clingendael",
    "NOT Kremlin",
    "(Kremlin OR Clingendael) AND NOT Hummels",
    "+Poetin Kremlin",
    "Kremlin OR NOT Hummels",
    "title:Poetin",
    "text:Kremlin",
    "title:(Poetin OR Kremlin)",
    "category:buitenland",
    "category:BINNENLAND",
    "outlet:NOS",
    "outlet:nos",
    "program:Nieuwsuur",
    "url:nieuwsuur",
    'url:"nos.nl"',
    "id:nos-2448020",
    "language:nl",
    "category:*",
    "program:*",
    "published:2022-10-12",
    "published:2022-01",
    "published:[2022-01-01 TO 2022-01-02]",
    "published:{2022-01-02 TO *]",
    "published:<2022-01-02",
    "published:2022-01-01T08:00:00+01:00",
    "published:[2022-01-02T00:00Z TO 2022-01-02T12:00Z]",
    "published:*",
    "Loekasj*",
    "loekasj*",
    "Oekra?ne",
    "*sjenko",
    "Noord-Oek*",
    "category:buiten*",
    "url:nieuws*",
    "*",
    "person:Putin",
    'person:"Vladimir Poetin"',
    "person:Loekasjenko",
    "location:Wit-Rusland",
    "location:Belarus",
    'org:"Instituut Clingendael"',
    "speaker:Hummels",
    'speaker:"Tony van der Togt"',
    "speaker:Lukashenko",
    "speaker:*",
    "quote:bruggen",
    'quote:"alle bruggen"',
    "quote:Clingendael",
    "Poetin published:2022-10",
    "Kremlin^3 OR Clingendael",
]


OTHER_FIELDS = {"title", "text", "published", "url", "program", "category", "language"}


@pytest.fixture(scope="module")
def both(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory, sample_txt: Path) -> dict[str, str]:
    """The sample (with the NLP) and 16 other articles, in an embedded archive and in PostgreSQL."""
    folder = tmp_path_factory.mktemp("corpus")
    corpus = write_jsonl_corpus(folder / "c.jsonl", sample_txt, 12)
    others = folder / "others.jsonl"  # test_search's other Dutch news articles: other words, dates, outlets
    others.write_text(
        "".join(a.model_dump_json(include=OTHER_FIELDS) + "\n" for a in (KABINET, GASPRIJS, KYIV, STIKSTOF)),
        encoding="utf-8",
    )
    locations = {
        "embedded": str(tmp_path_factory.mktemp("both") / "db"),
        "postgres": pg_server.new_database(),
    }
    for db in locations.values():
        assert invoke("ingest", sample_txt, "--db", db).exit_code == 0
        assert invoke("ingest", corpus, others, "--db", db, "--no-nlp").exit_code == 0
    return locations


@pytest.fixture(scope="module")
def archives(both: dict[str, str]) -> Iterator[dict[str, object]]:
    opened = {name: open_archive(db) for name, db in both.items()}
    yield opened
    for archive in opened.values():
        archive.close()  # type: ignore[attr-defined]


def found(archive, q: str, **kw) -> tuple[set[str], int]:
    results = archive.search(parse_query(q), limit=100, **kw)
    return {h.article.id for h in results.hits}, results.total


@pytest.mark.parametrize("q", QUERIES)
def test_the_same_hits_as_the_embedded_backend(archives, q):
    embedded, postgres = archives["embedded"], archives["postgres"]
    ids, total = found(embedded, q)
    assert found(postgres, q) == (ids, total)
    assert total == len(ids)
    # one hit per duplicate cluster: the same clusters found (the best hit of each may differ)
    assert found(postgres, q, collapse=True)[1] == found(embedded, q, collapse=True)[1]
    every = sorted(a.id for a in embedded.iter_articles())
    assert set(postgres.matching(parse_query(q), every)) == ids  # what a watch asks


@pytest.mark.parametrize("q", ["Oekra?ne", "*sjenko", "title:*lar*", "Noord-Oek?aïne", "text:*ge*"])
def test_wildcards_of_too_many_words_scan_instead(archives, monkeypatch, q):
    from duiding.store import postgres_query

    expected = found(archives["postgres"], q)
    monkeypatch.setattr(postgres_query, "MAX_EXPANSIONS", 0)  # every listed wildcard is "too many"
    assert found(archives["postgres"], q) == expected == found(archives["embedded"], q)


def test_the_queries_find_something_and_not_everything(archives):
    embedded = archives["embedded"]
    totals = [found(embedded, q)[1] for q in QUERIES]
    assert sum(1 for t in totals if 0 < t < 17) > len(QUERIES) // 2  # the comparison is not vacuous
    assert found(embedded, "*")[1] == 17


@pytest.mark.parametrize(
    "q",
    [
        "Clingendael",
        "Poetins",
        "Kremlin",
        '"Instituut Clingendael"',
        "Loekasj*",
        "quote:bruggen",
        "quote:brug",
        "regering",
        "afgelopen",
        "Belarussen -Kyiv",
        "Clingendael OR Hummels OR bruggen",
    ],
)
def test_the_same_snippets_as_the_embedded_backend(archives, q):
    def snippet(archive):
        hits = archive.search(parse_query(q), limit=100).hits
        return next(h.snippet for h in hits if h.article.id == "nos-2448020")

    assert snippet(archives["postgres"]) == snippet(archives["embedded"])


def test_ranking_puts_the_title_first(archives):
    postgres = archives["postgres"]
    hits = postgres.search(parse_query("Poetin"), limit=20).hits
    assert hits[0].article.id == "nos-2448020"  # in its title and all through its text
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_words_are_stemmed_as_tantivy_stems_them(archives):
    # PostgreSQL's own Dutch stemmer would keep the double consonant ('brugg'): the vectors hold tantivy's
    # stems instead, so quote:brug finds the sample's "bruggen" on both backends.
    for archive in archives.values():
        assert found(archive, "quote:brug")[0] == {"nos-2448020"}
        assert found(archive, "title:(Belarus -Kyiv)")[0] >= {"nos-2448020"}  # its title: "Belarussen"


@pytest.mark.parametrize(
    "text",
    [
        "De bruggen van Noord-Oekraïne, nos.nl en de co2-uitstoot: 1½ µg, ’s-Hertogenbosch, Ǆemal, İstanbul.",
        "Een woord van meer dan veertig tekens: " + "x" * 45 + " en daarna nog één; " + "é" * 20 + " klaar",
        "Tekens waarover Python en tantivy het oneens zouden zijn: ⓐⓑ café\u0301 क्षत्रिय ٣٤ Ⅻ done",
        "",
    ],
)
def test_words_are_split_and_stemmed_as_tantivy_does_it(text):
    from duiding.search.index import text_analyzer
    from duiding.store.postgres_text import terms

    stemmed = [(t.position, t.text) for t in text_analyzer().pre_tokenize(text).tokens]
    unstemmed = [(t.position, t.text) for t in text_analyzer(stem=False).pre_tokenize(text).tokens]
    found = terms(text)
    assert [(p, stem) for p, _, stem in found] == stemmed
    assert [(p, exact) for p, exact, _ in found] == unstemmed


def test_quotes_are_values_of_their_own_in_phrases(pg_db, tmp_path):
    # tantivy leaves one empty position between two values of a field: "boom cel" spans two quotes only
    # with some slop.
    text = "Hij zei: “aap boom”. Zij zei: “cel dak”."
    quotes = [
        Quote(start=s, end=s + len(q), text=q, type="direct")
        for q in ("aap boom", "cel dak")
        for s in [text.index(q)]
    ]
    article = Article(title="Twee citaten", text=text, url="https://example.nl/citaten", quotes=quotes)
    archives = [open_archive(str(tmp_path / "db")), open_archive(pg_db)]
    try:
        for archive in archives:
            archive.upsert([article.model_copy(deep=True)])
        for q, expected in [
            ('quote:"aap boom"', 1),
            ('quote:"boom cel"', 0),
            ('quote:"boom cel"~1', 1),
            ('quote:"aap cel"~1', 0),
            ('quote:"aap cel"~2', 1),
            ('quote:"zei aap"', 0),  # the quote's field holds the quotes only
            ('"zei aap"', 1),
        ]:
            assert [a.search(parse_query(q)).total for a in archives] == [expected, expected], q
    finally:
        for archive in archives:
            archive.close()


def test_analysis_is_the_same_on_both(both):
    for by in ("speaker", "entity", "month", "category", "cooccurrence", "role", "gender"):
        answers = [
            json.loads(invoke("stats", "--by", by, "--db", db, "--json", "--limit", 50).stdout)["buckets"]
            for db in both.values()
        ]
        assert answers[0] == answers[1], by


# -- schema and migrations -----------------------------------------------------------------------------


def test_schema_migration_is_idempotent_on_reopen(pg_server, sample_txt):
    url = pg_server.url("postgres")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "fresh_schema"')  # not from the migrated template: empty
    db = pg_server.url("fresh_schema")
    assert sql(db, "SELECT to_regclass('schema_version') IS NULL") == [(True,)]
    assert invoke("ingest", sample_txt, "--db", db, "--no-nlp").exit_code == 0
    versions = sql(db, "SELECT version FROM schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    for _ in range(2):  # reopening migrates nothing and loses nothing
        archive = open_archive(db)
        try:
            assert archive.count() == 1 and archive.search(parse_query("Clingendael")).total == 1
        finally:
            archive.close()
    assert sql(db, "SELECT version FROM schema_version ORDER BY version") == versions
    # a database a newer duiding made is refused, not touched
    sql(db, "INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=r"schema version \d+ is newer than this duiding understands"):
        open_archive(db)


def test_a_version_1_database_gets_tantivys_terms(pg_server):
    # Version 1 indexed words with PostgreSQL's own Dutch stemmer ('brugg'); opening the database with
    # this version rewrites every article's vectors with tantivy's terms ('brug') and drops the old
    # text search configurations.
    with psycopg.connect(pg_server.url("postgres"), autocommit=True) as conn:
        conn.execute('CREATE DATABASE "schema_one"')
    db = pg_server.url("schema_one")
    with psycopg.connect(db, autocommit=True) as conn:
        with conn.transaction():
            conn.execute(
                "CREATE TABLE schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL "
                "DEFAULT now())"
            )
            MIGRATIONS[0](conn)
            conn.execute("INSERT INTO schema_version (version) VALUES (1)")

        def vector(config: str) -> str:
            return (
                f"setweight(to_tsvector('{config}', %(title)s), 'A') || "
                f"setweight(to_tsvector('{config}', %(text)s), 'B')"
            )

        conn.execute(
            "INSERT INTO articles (id, identity, title, text, content_hash, fingerprint, cluster_id, "
            f"ingested_at, updated_at, keys, search, exact, tags) VALUES ('oud-1', 'hash:oud', %(title)s, "
            f"%(text)s, 'oud', 'oud', 'oud-1', now(), now(), '{{id=oud-1}}', {vector('duiding_dutch')}, "
            f"{vector('duiding_exact')}, '')",
            {"title": "Alle bruggen dicht", "text": "De regering liet de bruggen in Noord-Oekraïne open."},
        )
        conn.execute(
            "INSERT INTO words (word) SELECT DISTINCT w FROM articles, unnest(tsvector_to_array(exact)) w"
        )
    assert sql(db, "SELECT search @@ 'brug'::tsquery FROM articles") == [(False,)]
    archive = open_archive(db)
    try:
        for q in ("brug", "title:brug", "bruggen", "regering", '"bruggen in Noord-Oekraïne"', "brug?en"):
            assert archive.search(parse_query(q)).total == 1, q
        assert archive.search(parse_query("brugg")).total == 0
        (hit,) = archive.search(parse_query("brug")).hits
        assert [text for text, marked in hit.snippet if marked] == ["bruggen"]
    finally:
        archive.close()
    assert sql(db, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]
    configurations = "SELECT count(*) FROM pg_ts_config WHERE cfgname IN ('duiding_dutch', 'duiding_exact')"
    assert sql(db, configurations) == [(0,)]
    assert ("brugg",) not in sql(db, "SELECT word FROM words")


def test_several_processes_opening_a_new_database_migrate_it_once(pg_server):
    with psycopg.connect(pg_server.url("postgres"), autocommit=True) as conn:
        conn.execute('CREATE DATABASE "raced_schema"')
    db = pg_server.url("raced_schema")
    code = "import sys; from duiding.store import open_archive; a = open_archive(sys.argv[1]); a.close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, db]) for _ in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert sql(db, "SELECT version FROM schema_version") == [(v,) for v in range(1, SCHEMA_VERSION + 1)]


# -- several writers -----------------------------------------------------------------------------------


def test_concurrent_ingest_of_the_same_jsonl_stores_each_article_once(pg_db, tmp_path, sample_txt):
    n = 300
    corpus = write_jsonl_corpus(tmp_path / "c.jsonl", sample_txt, n)
    # the second writer reads the file backwards: the two lock the same rows in opposite orders
    backwards = tmp_path / "backwards.jsonl"
    backwards.write_text(
        "".join(reversed(corpus.read_text(encoding="utf-8").splitlines(True))), encoding="utf-8"
    )
    cmd = [
        sys.executable,
        "-m",
        "duiding.cli",
        "ingest",
        "--db",
        pg_db,
        "--no-nlp",
        "--batch-size",
        "25",
        "--json",
    ]
    procs = [
        subprocess.Popen([*cmd, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for path in (corpus, corpus, backwards)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-2000:] for _, err in outputs]
    summaries = [json.loads(out) for out, _ in outputs]
    assert all(s["added"] + s["unchanged"] == n and s["rejected"] == 0 for s in summaries)
    assert sum(s["added"] for s in summaries) == n  # each article added by exactly one of them
    assert sql(pg_db, "SELECT count(*), count(DISTINCT identity), count(DISTINCT id) FROM articles") == [
        (n, n, n)
    ]
    assert sql(pg_db, "SELECT count(*) FROM articles WHERE cluster_id IS NULL") == [(0,)]
    archive = open_archive(pg_db)
    try:
        assert archive.count() == n and archive.pending_index() == 0
        assert archive.search(parse_query("*")).total == n
        assert archive.search(parse_query("Clingendael")).total == n
    finally:
        archive.close()


def _annotated(i: int) -> Article:
    """An article naming two people: entity mentions as the NLP would give them."""
    text = f"Mark Rutte sprak in Den Haag met Vladimir Poetin over de gasprijs ({i})."
    mentions = []
    for name in ("Mark Rutte", "Vladimir Poetin"):
        start = text.index(name)
        mentions.append(
            EntityMention(
                start=start,
                end=start + len(name),
                text=name,
                label="PER",
                canonical=name,
                entity_id=entity_id("PER", entity_key("PER", name)),
            )
        )
    return Article(title=f"Overleg {i}", text=text, url=f"https://example.nl/overleg/{i}", entities=mentions)


def _upsert_range(url: str, start: int, stop: int) -> None:
    archive = open_archive(url)
    try:
        for i in range(start, stop, 4):
            archive.upsert([_annotated(k) for k in range(i, min(i + 4, stop))])
    finally:
        archive.close()


def test_concurrent_writers_keep_entity_counts_exact(pg_db):
    # four processes store different articles naming the same two people, all at once
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_upsert_range, args=(pg_db, k * 40, (k + 1) * 40)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    counts = sql(
        pg_db,
        "SELECT e.id, e.mention_count, (SELECT count(*) FROM mentions m WHERE m.entity_id = e.id) "
        "FROM entities e ORDER BY e.id",
    )
    assert len(counts) == 2 and all(recorded == actual == 160 for _, recorded, actual in counts)
    archive = open_archive(pg_db)
    try:
        assert [e.mention_count for e in archive.entities()] == [160, 160]
        assert archive.search(parse_query('person:"Mark Rutte"')).total == 160
    finally:
        archive.close()


def test_a_batch_that_deadlocked_is_tried_again(pg_db, monkeypatch):
    from psycopg import errors

    from duiding.store.postgres import PostgresArchive

    real = PostgresArchive._upsert
    calls: list[int] = []

    def deadlocking_once(self, *args):
        calls.append(1)
        if len(calls) == 1:
            raise errors.DeadlockDetected("deadlock detected")
        return real(self, *args)

    monkeypatch.setattr(PostgresArchive, "_upsert", deadlocking_once)
    archive = open_archive(pg_db)
    try:
        assert [o.value for o in archive.upsert([_annotated(1), _annotated(2)])] == ["added", "added"]
        assert len(calls) == 2 and archive.count() == 2
    finally:
        archive.close()


def test_articles_a_stopped_writer_left_unclustered_get_their_clusters(pg_db, sample_txt, tmp_path):
    # a writer killed between storing a batch and clustering it leaves articles without a cluster
    corpus = write_jsonl_corpus(tmp_path / "c.jsonl", sample_txt, 3)  # near-duplicates of each other
    assert invoke("ingest", corpus, "--db", pg_db, "--no-nlp").exit_code == 0
    first = sql(pg_db, "SELECT id, cluster_id FROM articles ORDER BY seq")
    assert len({cluster for _, cluster in first}) == 1
    sql(pg_db, "UPDATE articles SET cluster_id = NULL")
    sql(pg_db, "DELETE FROM lsh_bands")
    archive = open_archive(pg_db)
    try:
        assert archive.pending_index() == 3
        assert archive.search(parse_query("*"), collapse=True).total == 3  # each its own, for now
    finally:
        archive.close()
    again = json.loads(invoke("ingest", corpus, "--db", pg_db, "--no-nlp", "--json").stdout)
    assert (again["unchanged"], again["recovered"]) == (3, 3)
    assert sql(pg_db, "SELECT id, cluster_id FROM articles ORDER BY seq") == first
    assert json.loads(invoke("info", "--db", pg_db, "--json").stdout)["pending_index"] == 0


def test_a_giant_record_is_stored_and_searchable_from_its_start(pg_db):
    # A tsvector holds 1 MB: a record of 3 MB of distinct words is indexed from its start, not refused.
    words = [f"woord{i:07d}" for i in range(250_000)]
    giant = Article(
        title="Een heel lang stuk", text="Aanhef. " + " ".join(words), url="https://example.nl/lang"
    )
    archive = open_archive(pg_db)
    try:
        assert [o.value for o in archive.upsert([giant])] == ["added"]
        assert archive.search(parse_query("woord0000001")).total == 1
        assert archive.search(parse_query("title:lang")).total == 1
        assert archive.get("https://example.nl/lang").text == giant.text  # stored whole
    finally:
        archive.close()


# -- errors a user can act on --------------------------------------------------------------------------


def test_unreachable_server_and_bad_url_are_clear_store_errors(pg_server):
    with pytest.raises(StoreError, match=r"PostgreSQL server duiding@127\.0\.0\.1:1/nope: .*") as info:
        open_archive("postgresql://duiding:geheim@127.0.0.1:1/nope")
    assert "geheim" not in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(StoreError, match=r'database "bestaat_niet" does not exist'):
        open_archive(pg_server.url("bestaat_niet"))
    with pytest.raises(StoreError, match=r"not a valid PostgreSQL URL"):
        open_archive("postgresql://[::1")
    result = CliRunner().invoke(
        main, ["search", "Poetin", "--db", "postgresql://duiding:geheim@127.0.0.1:1/x"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output and "geheim" not in result.output
    assert result.stderr.startswith("error: cannot use the PostgreSQL server duiding@127.0.0.1:1/x")
    assert len(result.stderr.strip().splitlines()) == 1


def test_location_hides_the_password(pg_server):
    url = pg_server.tcp_url("postgres").replace("duiding@", "duiding:geheim@")
    archive = open_archive(url)  # trust authentication: the password is not even needed
    try:
        assert "geheim" not in archive.location and "***" in archive.location
    finally:
        archive.close()


# -- the commands and the HTTP API on a server archive ----------------------------------------------------


def test_cli_search_stats_export_and_more(pg_db, tmp_path, sample_txt):
    added = json.loads(invoke("ingest", sample_txt, "--db", pg_db, "--json").stdout)
    assert added["added"] == 1
    env = {"DUIDING_DB": pg_db}  # the same through the environment
    found = json.loads(invoke("search", "Hummels", "--json", env=env).stdout)
    assert found["total"] == 1 and "<b>Hummels</b>" in found["results"][0]["snippet"]
    assert "1 article matches" in invoke("search", '"Instituut Clingendael"', "--db", pg_db).stdout
    stats = json.loads(invoke("stats", "Belarus", "--by", "speaker", "--db", pg_db, "--json").stdout)
    assert stats["buckets"][0]["label"] == "Franka Hummels" and stats["buckets"][0]["count"] == 12
    assert stats["buckets"][0]["extra"]["gender"] == "female"
    for what in ("articles", "quotes", "entities"):
        out = tmp_path / f"{what}.jsonl"
        assert invoke("export", "Belarus", "--what", what, "-o", out, "--db", pg_db).exit_code == 0
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert rows
    quotes = json.loads(invoke("quotes", "--speaker", "Van der Togt", "--db", pg_db, "--json").stdout)
    assert quotes["total"] >= 1 and {q["speaker"] for q in quotes["quotes"]} == {"Tony van der Togt"}
    entities = json.loads(invoke("entities", "--db", pg_db, "--json", "--top", 3).stdout)
    assert entities and "Poetin" in json.dumps(entities, ensure_ascii=False)
    url = sample_txt.read_text(encoding="utf-8").splitlines()[2]
    shown = json.loads(invoke("show", url + "?utm_source=nieuwsbrief", "--db", pg_db, "--json").stdout)
    assert shown["id"] == "nos-2448020" and shown["cluster_id"] == "nos-2448020" and shown["quotes"]
    info = json.loads(invoke("info", "--db", pg_db, "--json").stdout)
    assert (
        info["articles"] == 1 and info["pending_index"] == 0 and info["location"].startswith("postgresql://")
    )
    assert "indexed 1 article" in invoke("reindex", "--db", pg_db).stdout
    assert json.loads(invoke("search", "speaker:Hummels", "--db", pg_db, "--json").stdout)["total"] == 1


def test_rejects_of_a_server_archive_stay_on_this_machine(pg_db, tmp_path, local_dir):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "title": "", "text": "Geen titel."}\n', encoding="utf-8")
    result = json.loads(invoke("ingest", bad, "--db", pg_db, "--json").stdout)
    assert result["rejected"] == 1
    assert Path(result["rejects_report"]).parent == local_dir / "rejects"


def test_the_api_serves_a_server_archive(pg_db, sample_txt):
    from duiding.api import create_app

    assert invoke("ingest", sample_txt, "--db", pg_db).exit_code == 0
    with TestClient(create_app(pg_db, readers=2), base_url="http://127.0.0.1") as client:
        found = client.get("/api/search", params={"q": "Clingendael"}).json()
        assert found["total"] == 1 and found["hits"][0]["id"] == "nos-2448020"
        speakers = client.get("/api/aggregate", params={"q": "Belarus", "by": "speaker"}).json()
        assert speakers["buckets"][0]["label"] == "Franka Hummels"
        export = client.get("/api/export", params={"q": "Belarus", "what": "quotes", "format": "jsonl"})
        assert export.status_code == 200 and len(export.text.splitlines()) >= 15
        page = client.get("/search", params={"q": "Loekasjenko"})
        assert page.status_code == 200 and "Belarussen willen geen oorlog" in page.text
        posted = client.post(
            "/api/articles?nlp=false",
            json={
                "title": "Nieuw stuk",
                "text": "Een kort bericht over Den Haag.",
                "url": "https://example.nl/1",
            },
        )
        assert posted.status_code == 201, posted.text
        assert client.get("/api/search", params={"q": '"kort bericht"'}).json()["total"] == 1


# -- feeds and watches -----------------------------------------------------------------------------------


def test_watches_and_feeds_are_recorded_once(pg_db, sample_txt):
    from datetime import UTC, datetime

    assert invoke("ingest", sample_txt, "--db", pg_db, "--no-nlp").exit_code == 0
    archive = open_archive(pg_db)
    try:
        archive.add_watch("belarus", "Belarus", webhook="https://example.nl/hook")
        with pytest.raises(StoreError, match="already exists"):
            archive.add_watch("belarus", "Belarus")
        assert archive.matching(parse_query("Belarus"), ["nos-2448020", "nope"]) == ["nos-2448020"]
        assert archive.record_matches("belarus", ["nos-2448020"]) == 1
        assert archive.record_matches("belarus", ["nos-2448020"]) == 0  # once
        (watch,) = archive.watches()
        assert (watch.matches, watch.pending) == (1, 1)
        (due,) = archive.due_deliveries(datetime.now(UTC))
        assert due.article.id == "nos-2448020" and due.delivery == "pending"
        due.delivery, due.attempts = "delivered", 1
        archive.save_delivery(due)
        assert archive.due_deliveries(datetime.now(UTC)) == []
        assert archive.watch_matches("belarus")[0].delivery == "delivered"
        assert archive.remove_watch("belarus") and archive.watches() == []

        archive.add_feed("nos", "https://nos.nl/rss")
        with pytest.raises(StoreError, match="already followed"):
            archive.add_feed("nos2", "https://nos.nl/rss")
        item = FeedItem(
            feed="nos", key="https://nos.nl/a", url="https://nos.nl/a", status="failed", attempts=1
        )
        archive.save_feed_items([item])
        item.status, item.attempts = "stored", 2
        archive.save_feed_items([item])
        assert archive.feed_items("nos", [item.key])[item.key].status == "stored"
        assert archive.feeds()[0].stored == 1
        canonical = "https://nos.nl/nieuwsuur/artikel/2448020-belarussen-willen-geen-oorlog-maar-hun-leider-doet-wat-poetin-wil"
        assert archive.known_urls([canonical, "https://nos.nl/other"]) == {canonical}
    finally:
        archive.close()
