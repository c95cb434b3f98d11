"""The ``duiding`` command end to end, on the sample article and the DpgMedia2019 corpus."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from duiding.cli import main

URL = "https://nos.nl/nieuwsuur/artikel/2448020-belarussen-willen-geen-oorlog-maar-hun-leider-doet-wat-poetin-wil"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def sample_db(tmp_path, runner, sample_txt):
    db = tmp_path / "data"
    first = invoke(runner, "ingest", sample_txt, "--db", db, "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["added"] == 1
    return db


def test_help_reads_well(runner):
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    for command in ("ingest", "search", "show", "reindex"):
        assert command in result.output


def test_ingest_twice_then_show_by_url(runner, sample_db, sample_txt):
    again = invoke(runner, "ingest", sample_txt, "--db", sample_db, "--json")
    assert json.loads(again.stdout) | {"seconds": 0} == {
        "added": 0,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,
        "recovered": 0,
        "rejects_report": None,
        "seconds": 0,
        "stored": True,
    }
    shown = invoke(runner, "show", URL, "--db", sample_db, "--json")
    assert shown.exit_code == 0, shown.output
    article = json.loads(shown.stdout)
    assert article["id"] == "nos-2448020"
    assert article["title"] == "Belarussen willen geen oorlog, maar hun leider doet wat Poetin wil"
    assert article["published"] == "2022-10-12T07:00:02+02:00"
    assert (article["program"], article["category"], article["outlet"]) == ("Nieuwsuur", "Buitenland", "NOS")
    assert article["text"].startswith("Er zijn nog genoeg landen")
    assert article["text"].endswith('versterkt zijn positie niet."')
    assert "\n" in article["text"] and "Deel artikel" not in article["text"]
    # the same article by its id and by a URL with tracking parameters
    by_id = json.loads(invoke(runner, "show", "nos-2448020", "--db", sample_db, "--json").stdout)
    by_tracked = json.loads(invoke(runner, "show", URL + "?utm_source=x", "--db", sample_db, "--json").stdout)
    assert by_id == by_tracked == article


def test_show_unknown_article(runner, sample_db):
    result = runner.invoke(main, ["show", "nos-1", "--db", str(sample_db)])
    assert result.exit_code == 1
    assert "no article" in result.stderr


def test_search_json_shape(runner, sample_db):
    result = invoke(runner, "search", "Poetins", "--db", sample_db, "--json")
    data = json.loads(result.stdout)
    assert data["total"] == 1
    (hit,) = data["results"]
    assert set(hit) == {"id", "url", "title", "published", "score", "snippet"}
    assert hit["id"] == "nos-2448020" and hit["url"] == URL and hit["score"] > 0
    assert "<b>Poetin" in hit["snippet"]


@pytest.mark.parametrize(
    "query",
    [
        "Loekasjenko",
        '"Instituut Clingendael"',
        "Hummels AND (Clingendael OR Kremlin) NOT voetbal",
        "category:Buitenland",
        "outlet:NOS",
        "url:nieuwsuur",
        "title:Belarussen",
        "published:[2022-10-01 TO 2022-10-31]",
        "Loekasj*",
    ],
)
def test_search_finds_the_sample(runner, sample_db, query):
    result = invoke(runner, "search", query, "--db", sample_db, "--json")
    assert json.loads(result.stdout)["total"] == 1, query


@pytest.mark.parametrize(
    "query",
    [
        "Clingendael AND NOT Hummels",
        "category:Binnenland",
        "published:[2022-11-01 TO *]",
        '"Clingendael Instituut"',
    ],
)
def test_search_excludes_the_sample(runner, sample_db, query):
    result = invoke(runner, "search", query, "--db", sample_db, "--json")
    assert json.loads(result.stdout)["total"] == 0, query


def test_malformed_query_is_one_line_not_a_traceback(runner, sample_db):
    result = runner.invoke(main, ["search", "(Poetin AND", "--db", str(sample_db)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith("error:")


def test_reindex_rebuilds_from_the_database(runner, sample_db):
    result = invoke(runner, "reindex", "--db", sample_db)
    assert result.exit_code == 0 and "indexed 1 article " in result.stdout
    assert (
        json.loads(invoke(runner, "search", "Clingendael", "--db", sample_db, "--json").stdout)["total"] == 1
    )


def test_dpgmedia_corpus_ingests_whole(runner, tmp_path, shared_dir):
    corpus = shared_dir / "data" / "dpgmedia2019-nl-news" / "dpgMedia2019-articles-byarticle-all.jsonl"
    lines = sum(1 for _ in corpus.open(encoding="utf-8"))
    db = tmp_path / "dpg"
    result = invoke(runner, "ingest", corpus, "--db", db, "--json", "--no-nlp")
    summary = json.loads(result.stdout)
    assert summary["added"] + summary["rejected"] == lines
    # the corpus has records with an empty body or title: those, and only those, are rejected
    records = [json.loads(line) for line in corpus.open(encoding="utf-8")]
    empty = sum(1 for r in records if not r["title"].strip() or not r["text"].strip())
    assert summary["rejected"] == empty
    found = json.loads(invoke(runner, "search", "brexit", "--db", db, "--json", "--limit", "3").stdout)
    assert found["total"] > 10
    info = json.loads(invoke(runner, "info", "--db", db, "--json").stdout)
    assert info["articles"] == summary["added"] and info["pending_index"] == 0
