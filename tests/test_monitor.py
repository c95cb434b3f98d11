"""Live ingestion and monitoring against a news site on 127.0.0.1 (tests/newsserver.py).

Pages, feeds, failures, duplicates, languages, watches and webhooks. Nothing contacts another host;
the NLP is off except where it is the point (there a stand-in annotator records what it was given).
The tests that keep an archive run against both backends (``db``: a data directory, or PostgreSQL).
"""

from __future__ import annotations

import itertools
import json
import socket
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from click.testing import CliRunner

from duiding import monitor
from duiding.cli import main
from duiding.ingest import dedup
from duiding.ingest.feeds import PollOptions, backoff, parse_feed, poll
from duiding.ingest.fetch import Fetcher, FetchError, FetchOptions, RobotsDisallowed
from duiding.ingest.html import article_from_html, decode_html
from duiding.ingest.pipeline import IngestOptions, ingest, ingest_records
from duiding.model import Article
from duiding.search.query import parse_query
from duiding.store import is_server_url, open_archive
from newsserver import (
    ATOM,
    CHROME,
    DEAD,
    ENGLISH,
    FEED,
    FIXTURES,
    REPUBLISHED,
    SECOND,
    STORY,
    NewsServer,
)

FAST = FetchOptions(host_delay=0.0, timeout=2.0)
NO_NLP = IngestOptions(nlp=False)


@pytest.fixture
def site():
    server = NewsServer().news_site().start()
    yield server
    server.stop()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: object):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def fixture_page(name: str, base: str = "https://www.nieuwsdag.example") -> bytes:
    return (FIXTURES / name).read_text(encoding="utf-8").replace("{{BASE}}", base).encode("utf-8")


def no_chrome(text: str) -> list[str]:
    return [phrase for phrase in CHROME if phrase.lower() in text.lower()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- HTML pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "title", "published", "author", "section", "outlet", "first", "last"),
    [
        (
            "story.html",
            "Waterschap verhoogt dijk bij Kruiningen sneller dan gepland",
            "2024-03-05T08:12:00+01:00",
            "Sanne Verbeek",
            "Binnenland",
            "Nieuwsdag",
            "Het waterschap Scheldestromen rondt",
            "op lange termijn kan ontlasten.",
        ),
        (
            "republished.html",
            "Dijk bij Kruiningen een jaar eerder klaar",
            "2024-03-05T10:31:00+01:00",
            None,
            "Regio",
            "Zeeuwse Courant",
            "Het waterschap Scheldestromen rondt",
            "de golfslag verder kan dempen.",
        ),
        (
            "second.html",
            "Groningse bibliotheek gaat ook op zondag open",
            "2024-03-06T14:05:00+01:00",
            "Joost Hiemstra",
            "Cultuur",
            "Stadsblad",
            "De centrale bibliotheek in het Forum",
            "met een tekort aan studieplekken kampt.",
        ),
    ],
)
def test_page_extraction_keeps_the_article_and_drops_the_chrome(
    fixture, title, published, author, section, outlet, first, last
):
    url = "https://www.nieuwsdag.example/x/" + fixture
    article = article_from_html(fixture_page(fixture), url, url)
    assert isinstance(article, Article), article
    assert article.title == title
    assert article.published.isoformat() == published
    assert (article.author, article.category, article.outlet) == (author, section, outlet)
    assert article.text.startswith(first) and article.text.endswith(last)
    assert article.text.count("\n") >= 5  # paragraphs stay lines
    assert no_chrome(article.text) == []
    assert title not in article.text  # the headline is not repeated as the first line


def test_ingest_a_saved_html_page(tmp_path, runner, db):
    page = tmp_path / "pagina.html"
    page.write_bytes(fixture_page("story.html"))
    result = invoke(runner, "ingest", page, "--db", db, "--no-nlp", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 1
    # the canonical link gives the URL (and so the identity), with tracking parameters it would lose
    shown = invoke(
        runner, "show", "https://www.nieuwsdag.example/nieuws/binnenland/2024/dijk-kruiningen-sneller?utm_source=x",
        "--db", db, "--json",
    )  # fmt: skip
    article = json.loads(shown.stdout)
    assert article["author"] == "Sanne Verbeek" and article["language"] == "nl"
    assert article["cluster_id"] == article["id"]
    assert no_chrome(article["text"]) == []


def test_page_encodings_declared_or_reported(tmp_path):
    latin = fixture_page("second.html").decode("utf-8").replace('charset="UTF-8"', 'charset="iso-8859-1"')
    latin = latin.replace("op zondag open", "op zondag open (café)")
    article = article_from_html(latin.encode("iso-8859-1"), "latin.html")
    assert isinstance(article, Article) and "café" in article.title
    undeclared = latin.replace('<meta charset="iso-8859-1">', "").encode("cp1252")
    reject = article_from_html(undeclared, "ongedeclareerd.html")
    assert not isinstance(reject, Article)
    assert str(reject).startswith(
        "ongedeclareerd.html: not UTF-8 text (no charset declared): cannot decode byte 0xe9"
    )
    # the HTTP header's charset wins over the page's
    assert "café" in decode_html(latin.encode("iso-8859-1"), "text/html; charset=ISO-8859-1")


def test_page_without_an_article_is_reported():
    reject = article_from_html(
        b"<html><body><nav><a href='/'>Home</a></nav><p>Kort.</p></body></html>", "leeg"
    )
    assert not isinstance(reject, Article)
    assert "no article text" in reject.problem


# -- fetching -------------------------------------------------------------------------------------


def test_fetch_failures_are_named(site):
    site.add("/traag", "<html></html>", delay=1.5)
    site.add("/druppel", "x" * 400, trickle=0.01)
    site.redirect("/lus-a", "/lus-b")
    site.redirect("/lus-b", "/lus-a")
    site.redirect("/verhuisd", SECOND, status=301)
    site.add("/prive/geheim", "<html>geheim</html>")
    with Fetcher(FetchOptions(host_delay=0, timeout=0.5, user_agent="duiding-test/1.0")) as fetcher:
        with pytest.raises(FetchError, match=r"^HTTP 404 Not Found$") as e:
            fetcher.get(site.url(DEAD))
        assert e.value.permanent
        with pytest.raises(FetchError, match=r"^timed out after 0\.5 s$") as e:
            fetcher.get(site.url("/traag"))
        assert not e.value.permanent
        with pytest.raises(FetchError, match=r"timed out after 0\.5 s \(still reading\)"):
            fetcher.get(site.url("/druppel"))
        with pytest.raises(FetchError, match=r"^redirect loop: .*/lus-a → .*/lus-b → .*/lus-a$"):
            fetcher.get(site.url("/lus-a"))
        with pytest.raises(RobotsDisallowed, match=r"disallowed by robots\.txt"):
            fetcher.get(site.url("/prive/geheim"))
        with pytest.raises(FetchError, match="connection refused"):
            fetcher.get(f"http://127.0.0.1:{free_port()}/")
        moved = fetcher.get(site.url("/verhuisd"))
        assert moved.url == site.url(SECOND) and moved.status == 200
    assert site.requests("/prive/geheim") == []  # robots.txt is asked first, and obeyed
    assert len(site.requests("/robots.txt")) == 1  # once per site per run
    assert {r.headers["User-Agent"] for r in site.log} == {"duiding-test/1.0"}


def test_rate_limit_per_host(site):
    with Fetcher(FetchOptions(host_delay=0.2, timeout=2)) as fetcher:
        for _ in range(3):
            fetcher.get(site.url(SECOND))
    times = [r.at for r in site.requests(SECOND)]
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(times))


def test_unreachable_robots_txt_keeps_the_site_out(site):
    site.add("/robots.txt", "kapot", status=503)
    with Fetcher(FAST) as fetcher, pytest.raises(FetchError, match=r"robots.txt answered HTTP 503"):
        fetcher.get(site.url(SECOND))
    assert site.requests(SECOND) == []


# -- feeds ----------------------------------------------------------------------------------------


def test_parse_rss_and_atom(site):
    rss = parse_feed(site.fixture("feed.xml"), site.url(FEED))
    assert rss.title == "Nieuwsdag - Binnenland"
    assert [e.url for e in rss.entries] == [site.url(p) for p in (STORY, REPUBLISHED, SECOND, DEAD)]
    assert rss.repeated == 1  # the ?utm_source copy of the story
    assert rss.entries[0].published.isoformat() == "2024-03-05T08:12:00+01:00"
    atom = parse_feed(site.fixture("atom.xml"), site.url(ATOM))
    assert [e.url for e in atom.entries] == [site.url(SECOND), site.url(ENGLISH)]
    assert (
        atom.entries[1].published.isoformat() == "2024-03-05T12:00:00+01:00"
    )  # updated, for want of published
    with pytest.raises(ValueError, match="not an RSS or Atom feed"):
        parse_feed(fixture_page("story.html"), site.url(STORY))


def test_done_end_to_end_through_the_cli(tmp_path, runner, site, db):
    """A feed with a story, the story behind ?utm_source, a lightly edited republication, a second story
    and a dead link, polled once: the acceptance test of the issue."""
    assert invoke(runner, "feeds", "add", site.url(FEED), "--name", "nieuwsdag", "--db", db).exit_code == 0
    assert invoke(runner, "watch", "add", "dijk", "Kruiningen AND dijk", "--db", db).exit_code == 0
    polled = invoke(runner, "feeds", "poll", "--once", "--db", db, "--no-nlp", "--delay", "0", "--json")
    assert polled.exit_code == 0, polled.output
    summary = json.loads(polled.stdout)
    assert (summary["feeds"], summary["failed"], summary["added"], summary["rejected"]) == (1, 0, 3, 1)
    assert f"nieuwsdag: {site.url(DEAD)}: HTTP 404 Not Found" in polled.stderr
    assert summary["watch_matches"] == 2
    assert len(site.requests(STORY)) == 1  # the utm_source copy was never fetched

    def search(*args: str) -> dict:
        result = invoke(runner, "search", *args, "--db", db, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    story = search("Kruiningen")
    assert story["total"] == 2
    assert {h["url"] for h in story["results"]} == {site.url(STORY), site.url(REPUBLISHED)}
    collapsed = search("Kruiningen", "--collapse")
    assert collapsed["total"] == 1 and len(collapsed["results"]) == 1
    assert search("bibliotheek zondag")["total"] == 1
    everything = search("*", "--limit", "50")
    assert everything["total"] == 3
    clusters = set()
    for hit in everything["results"]:
        article = json.loads(invoke(runner, "show", hit["id"], "--db", db, "--json").stdout)
        assert no_chrome(article["text"]) == [], article["url"]
        assert article["language"] == "nl"
        clusters.add(article["cluster_id"])
    assert len(clusters) == 2  # the story and its republication share one

    shown = invoke(runner, "watch", "show", "dijk", "--db", db, "--json")
    matches = json.loads(shown.stdout)["matches"]
    assert {m["article"]["url"] for m in matches} == {site.url(STORY), site.url(REPUBLISHED)}

    again = invoke(runner, "feeds", "poll", "--db", db, "--no-nlp", "--delay", "0", "--json")
    assert json.loads(again.stdout)["unchanged"] == 1  # 304 Not Modified on the ETag
    assert site.requests(FEED)[-1].headers.get("If-None-Match") == '"binnenland-v1"'


def test_broken_feeds_and_pages_never_stop_the_others(tmp_path, site, db):
    site.add("/rss/kapot.xml", "<html><body>Dit is geen feed</body></html>")
    site.add("/rss/fout.xml", "", status=500)
    site.add("/rss/traag.xml", site.fixture("feed.xml"), delay=1.5)
    mixed = site.fixture("atom.xml").decode().replace(ENGLISH, "/lus").replace(SECOND, "/latin")
    site.add("/rss/gemengd.atom", mixed, headers={"Content-Type": "application/atom+xml"})
    site.redirect("/lus", "/lus")
    latin = fixture_page("second.html").decode().replace('<meta charset="UTF-8">', "")
    site.add(
        "/latin", latin.replace("zondag", "zóndag").encode("cp1252"), headers={"Content-Type": "text/html"}
    )
    archive = open_archive(db)
    try:
        for name, path in [
            ("kapot", "/rss/kapot.xml"),
            ("fout", "/rss/fout.xml"),
            ("traag", "/rss/traag.xml"),
            ("gemengd", "/rss/gemengd.atom"),
            ("goed", FEED),
        ]:
            archive.add_feed(name, site.url(path))
        problems = []
        summary = poll(
            archive,
            tmp_path / "rejects.jsonl",
            PollOptions(fetch=FetchOptions(host_delay=0, timeout=0.5)),
            NO_NLP,
            on_reject=lambda r: problems.append(str(r)),
        )
        assert summary.ok and (summary.feeds, summary.failed) == (5, 3)
        assert summary.ingest.added == 3  # the good feed's three articles
        expected = [
            f"kapot: {site.url('/rss/kapot.xml')}: not an RSS or Atom feed",
            f"fout: {site.url('/rss/fout.xml')}: HTTP 500 Internal Server Error",
            f"traag: {site.url('/rss/traag.xml')}: timed out after 0.5 s",
            f"gemengd: {site.url('/latin')}: not UTF-8 text (no charset declared): cannot decode byte 0xf3",
            f"gemengd: {site.url('/lus')}: redirect loop: {site.url('/lus')} → {site.url('/lus')}",
            f"goed: {site.url(DEAD)}: HTTP 404 Not Found",
        ]
        for line in expected:
            assert any(p.startswith(line) for p in problems), (line, problems)
        report = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
        assert len(report) == len(problems) == 6

        # The failed feeds back off: the next poll leaves them alone; the rest refetches nothing.
        state = {f.name: f for f in archive.feeds()}
        assert state["fout"].errors == 1 and state["fout"].next_poll > datetime.now(UTC)
        assert state["goed"].errors == 0 and state["goed"].stored == 3
        requests_before = len(site.log)
        second = poll(archive, tmp_path / "r2.jsonl", PollOptions(fetch=FAST), NO_NLP)
        assert (second.feeds, second.backing_off, second.ingest.added) == (2, 3, 0)
        fetched = [r.path for r in site.log[requests_before:]]
        assert sorted(fetched) == sorted(["/robots.txt", FEED, "/rss/gemengd.atom"])
    finally:
        archive.close()
    assert backoff(1) == timedelta(minutes=5) and backoff(3) == timedelta(minutes=20)
    assert backoff(20) == timedelta(hours=6)


def test_restart_neither_refetches_nor_duplicates(tmp_path, runner, site, db):
    site.routes[FEED].etag = None  # the feed answers in full every time
    site.routes[SECOND].statuses = [503, 200]  # down on the first poll, back on the second
    # An interrupted earlier run stored the story (its item was never recorded as such).
    fetched = invoke(runner, "fetch", site.url(STORY), "--db", db, "--no-nlp", "--delay", "0", "--json")
    assert json.loads(fetched.stdout)["added"] == 1
    invoke(runner, "feeds", "add", site.url(FEED), "--db", db)
    for _ in range(3):  # three separate processes' worth of polls, each opening the archive anew
        result = invoke(runner, "feeds", "poll", "--db", db, "--no-nlp", "--delay", "0", "--json")
        assert result.exit_code == 0, result.output
    info = json.loads(invoke(runner, "info", "--db", db, "--json").stdout)
    assert info["articles"] == 3  # story, republication, second story
    assert len(site.requests(STORY)) == 1  # by `fetch` only
    assert len(site.requests(REPUBLISHED)) == 1
    assert len(site.requests(SECOND)) == 2  # 503, then fetched on the next poll
    assert len(site.requests(DEAD)) == 1  # a 404 is not asked again
    listed = json.loads(invoke(runner, "feeds", "list", "--db", db, "--json").stdout)["feeds"]
    assert [(f["name"], f["stored"], f["errors"]) for f in listed] == [("127.0.0.1", 2, 0)]


def test_feeds_poll_every_runs_again(tmp_path, runner, site, db):
    invoke(runner, "feeds", "add", site.url(ATOM), "--name", "stadsblad", "--db", db)
    result = invoke(
        runner, "feeds", "poll", "--every", "0.2s", "--cycles", "2", "--db", db, "--no-nlp", "--delay", "0"
    )
    assert result.exit_code == 0, result.output
    assert len(site.requests(ATOM)) == 2
    assert (
        "not a duration" in runner.invoke(main, ["feeds", "poll", "--every", "soms", "--db", str(db)]).stderr
    )


# -- language ---------------------------------------------------------------------------------------


def test_other_languages_are_stored_flagged_and_skip_the_dutch_nlp(tmp_path, site, monkeypatch, db):
    seen: list[str] = []
    monkeypatch.setattr(
        "duiding.ingest.pipeline._annotator", lambda: lambda batch: seen.extend(a.title for a in batch)
    )
    archive = open_archive(db)
    try:
        archive.add_feed("stadsblad", site.url(ATOM))
        summary = poll(archive, tmp_path / "r.jsonl", PollOptions(fetch=FAST), IngestOptions(nlp=True))
        assert summary.ingest.added == 2
        english = archive.search(parse_query("language:en")).hits
        assert [h.article.title for h in english] == ["Dutch water board finishes dike a year early"]
        assert archive.search(parse_query("dike")).total == 1  # searchable all the same
        assert seen == ["Groningse bibliotheek gaat ook op zondag open"]  # only the Dutch one
    finally:
        archive.close()


# -- duplicates -------------------------------------------------------------------------------------


def test_near_duplicates_cluster_across_runs_and_every_copy_is_kept(tmp_path, site, db):
    pages = {p: article_from_html(site.fixture(f), site.url(p), site.url(p)) for p, f in [
        (STORY, "story.html"), (REPUBLISHED, "republished.html"), (SECOND, "second.html")
    ]}  # fmt: skip
    # the same text, word for word, at another URL (a wire story as another title prints it)
    verbatim = Article(title="ANP: dijk eerder klaar", text=pages[STORY].text, url=site.url("/wire/kopie"))
    for batch in ([pages[STORY]], [pages[SECOND]], [pages[REPUBLISHED], verbatim]):  # three runs
        archive = open_archive(db)
        try:
            ingest_records(archive, lambda _p, b=batch: iter(b), tmp_path / "r.jsonl", NO_NLP)
        finally:
            archive.close()
    archive = open_archive(db)
    try:
        assert archive.count() == 4
        story = archive.get(site.url(STORY))
        assert story.cluster_id == story.id
        assert archive.get(site.url(REPUBLISHED)).cluster_id == story.id  # near-duplicate (edited)
        assert archive.get(site.url("/wire/kopie")).cluster_id == story.id  # exact (same content hash)
        assert archive.get(site.url(SECOND)).cluster_id not in (None, story.id)
        assert archive.search(parse_query("Kruiningen")).total == 3
        collapsed = archive.search(parse_query("Kruiningen OR bibliotheek"), collapse=True)
        assert collapsed.total == 2 and len(collapsed.hits) == 2
        assert archive.search(parse_query("*"), limit=1, offset=1, collapse=True).total == 2
    finally:
        archive.close()


def test_articles_stored_before_clusters_get_theirs(tmp_path, site):
    db = tmp_path / "db"
    archive = open_archive(db)
    try:
        for p, f in [(STORY, "story.html"), (REPUBLISHED, "republished.html")]:
            archive.upsert([article_from_html(site.fixture(f), site.url(p), site.url(p))])
        # as an archive from before the migration: no clusters, no band keys
        archive.store.conn.execute("UPDATE articles SET cluster_id = NULL")
        archive.store.conn.execute("DELETE FROM lsh_bands")
        assert archive.store.clusters.pending() == 2
        archive.sync_index()
        first, second = (archive.get(site.url(p)) for p in (STORY, REPUBLISHED))
        assert first.cluster_id == second.cluster_id == first.id
        assert archive.search(parse_query("Kruiningen"), collapse=True).total == 1
    finally:
        archive.close()


def test_similarity_of_edited_copies_and_of_other_stories():
    story = article_from_html(fixture_page("story.html"), "a")
    other = article_from_html(fixture_page("second.html"), "b")
    words = story.text.split()
    edited = " ".join(w.upper() if i % 17 == 0 else w for i, w in enumerate(words))  # case does not count
    edited = " ".join("anders" if i % 23 == 0 else w for i, w in enumerate(edited.split()))
    a, b, c = (dedup.signature(t) for t in (story.text, edited, other.text))
    assert dedup.is_near_duplicate(a.shingles, b.shingles)
    assert len(set(a.keys) & set(b.keys)) > 0  # found through the LSH bands
    assert not dedup.is_near_duplicate(a.shingles, c.shingles)
    assert dedup.signature("te kort").keys == []  # too short for LSH: exact matches only


# -- watches ----------------------------------------------------------------------------------------


def _delete_feed_items(db: str, archive) -> None:
    """Forget every feed item, straight in the database (as if the feeds had never been polled)."""
    if is_server_url(db):
        import psycopg

        with psycopg.connect(db) as conn:
            conn.execute("DELETE FROM feed_items")
    else:
        archive.store.conn.execute("DELETE FROM feed_items")


def test_watch_webhook_retries_and_records_once(tmp_path, site, monkeypatch, db):
    monkeypatch.setattr(monitor, "PAUSE_FIRST", 0.05)
    site.add("/hook", "ok", statuses=[503, 200])
    site.add("/weigert", "nee", status=400)
    archive = open_archive(db)
    try:
        monitor.add_watch(archive, "bieb", "bibliotheek", webhook=site.url("/hook"))
        monitor.add_watch(archive, "dijk", "dijk", webhook=site.url("/weigert"))
        monitor.add_watch(archive, "dood", "Kruiningen", webhook=f"http://127.0.0.1:{free_port()}/weg")
        archive.add_feed("nieuwsdag", site.url(FEED))
        summary = poll(archive, tmp_path / "r.jsonl", PollOptions(fetch=FAST), NO_NLP)
        assert summary.ingest.matches == 1 + 2 + 2
        assert summary.ingest.delivered == 1
        refused, delivery = site.posted("/hook")  # the 503, then the same again, delivered
        assert refused == delivery
        assert delivery["watch"] == "bieb" and delivery["query"] == "bibliotheek"
        assert delivery["article"]["url"] == site.url(SECOND)
        assert delivery["article"]["title"] == "Groningse bibliotheek gaat ook op zondag open"
        assert site.requests("/hook", "POST")[0].headers["Content-Type"] == "application/json"
        state = {m.article.url: m for m in archive.watch_matches("dijk")}
        assert {m.delivery for m in state.values()} == {"failed"}  # 400: refused, not retried
        assert len(site.requests("/weigert", "POST")) == 2
        dead = archive.watch_matches("dood")
        assert {m.delivery for m in dead} == {"pending"}  # tried again on a later run
        tried = [m for m in dead if m.attempts]
        assert len(tried) == 1  # the receiver is down: its other match waits without a try
        assert tried[0].error == "connection refused" and tried[0].attempts == monitor.TRIES_PER_RUN
        assert tried[0].next_attempt > datetime.now(UTC)

        # Re-ingesting the same articles records nothing twice and posts nothing again.
        _delete_feed_items(db, archive)
        again = ingest_records(
            archive, lambda _p: iter([archive.get(site.url(SECOND))]), tmp_path / "r2.jsonl", NO_NLP
        )
        assert again.unchanged == 1 and again.matches == 0
        assert len(site.requests("/hook", "POST")) == 2
        assert [w.matches for w in archive.watches()] == [1, 2, 2]
    finally:
        archive.close()


def test_watch_cli_and_atom(tmp_path, runner, site, sample_txt, db):
    assert invoke(runner, "watch", "add", "belarus", "Loekasjenko OR Belarus", "--db", db).exit_code == 0
    bad = runner.invoke(main, ["watch", "add", "fout", "Poetin AND (", "--db", str(db)])
    assert bad.exit_code == 2 and "error" in bad.stderr
    taken = runner.invoke(main, ["watch", "add", "belarus", "x", "--db", str(db)])
    assert taken.exit_code == 2 and "already exists" in taken.stderr
    assert (
        runner.invoke(main, ["watch", "add", "x", "y", "--webhook", "ftp://x", "--db", str(db)]).exit_code
        == 2
    )
    archive = open_archive(db)
    try:
        ingest(archive, [sample_txt], tmp_path / "r.jsonl", NO_NLP)  # files are checked too
        atom = monitor.watch_atom(archive, "belarus")
    finally:
        archive.close()
    parsed = feedparser.parse(atom)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "duiding watch: belarus"
    (entry,) = parsed.entries
    assert entry.title == "Belarussen willen geen oorlog, maar hun leider doet wat Poetin wil"
    assert entry.link.startswith("https://nos.nl/nieuwsuur/artikel/2448020")
    assert entry.published.startswith("2022-10-12T07:00:02")
    listed = json.loads(invoke(runner, "watch", "list", "--db", db, "--json").stdout)["watches"]
    assert [(w["name"], w["matches"]) for w in listed] == [("belarus", 1)]
    shown = invoke(runner, "watch", "show", "belarus", "--db", db)
    assert "Belarussen willen geen oorlog" in shown.stdout
    assert invoke(runner, "watch", "show", "belarus", "--db", db, "--atom").stdout == atom
    assert runner.invoke(main, ["watch", "show", "onbekend", "--db", str(db)]).exit_code == 1


def test_fetch_command_reports_and_goes_on(tmp_path, runner, site, db):
    result = invoke(
        runner, "fetch", site.url(DEAD), "geen-url", site.url(SECOND), site.url(ENGLISH),
        "--db", db, "--no-nlp", "--delay", "0", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["rejected"]) == (2, 2)
    assert f"{site.url(DEAD)}: HTTP 404 Not Found" in result.stderr
    assert "geen-url: not an http(s) URL" in result.stderr
    english = json.loads(invoke(runner, "show", site.url(ENGLISH), "--db", db, "--json").stdout)
    assert english["language"] == "en" and english["outlet"] == "Lowlands Herald"
    assert no_chrome(english["text"]) == []


def test_feeds_add_and_list(tmp_path, runner, site, db):
    assert "following" in invoke(runner, "feeds", "add", site.url(FEED), "--db", db).stdout
    assert "already following" in invoke(runner, "feeds", "add", site.url(FEED), "--db", db).stdout
    other = invoke(runner, "feeds", "add", site.url(ATOM), "--db", db).stdout
    assert "127.0.0.1-2" in other  # named after the host, made unique
    clash = runner.invoke(main, ["feeds", "add", site.url("/x.xml"), "--name", "127.0.0.1", "--db", str(db)])
    assert clash.exit_code == 2 and "already exists" in clash.stderr
    assert runner.invoke(main, ["feeds", "add", "file:///etc/passwd", "--db", str(db)]).exit_code == 2
    listed = invoke(runner, "feeds", "list", "--db", db)
    assert "not polled yet" in listed.stdout
    empty = runner.invoke(main, ["feeds", "poll", "--db", str(tmp_path / "leeg")])
    assert empty.exit_code == 1 and "no feeds" in empty.stderr


def test_poll_fails_only_when_no_feed_could_be_read(tmp_path, runner, site, db):
    invoke(runner, "feeds", "add", site.url("/weg.xml"), "--db", db)
    result = runner.invoke(main, ["feeds", "poll", "--db", str(db), "--no-nlp", "--delay", "0"])
    assert result.exit_code == 1
    assert "HTTP 404 Not Found" in result.stderr


def test_atom_of_an_unknown_watch(tmp_path, db):
    archive = open_archive(db)
    try:
        with pytest.raises(Exception, match="no watch named"):
            monitor.watch_atom(archive, "niets")
    finally:
        archive.close()


def test_a_removed_watch_takes_its_matches_with_it(runner, sample_txt, db):
    assert runner.invoke(main, ["ingest", str(sample_txt), "--db", db, "--no-nlp"]).exit_code == 0
    archive = open_archive(db)
    try:
        archive.add_watch("belarus", "Belarus", webhook="https://example.nl/hook")
        assert archive.record_matches("belarus", ["nos-2448020"]) == 1
        assert archive.remove_watch("belarus") and not archive.remove_watch("belarus")
        # A new watch of the same name starts empty: the old one's matches went with it.
        archive.add_watch("belarus", "Belarus")
        (watch,) = archive.watches()
        assert (watch.matches, watch.pending) == (0, 0)
        assert archive.watch_matches("belarus") == []
    finally:
        archive.close()
