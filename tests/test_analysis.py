"""Analysis over a query (duiding.analysis.aggregate and the profiles), checked against the articles.

Every test that stores articles runs against both backends (``new_db``: the embedded one and PostgreSQL).

Every figure the SQL computes is recomputed here the slow, obvious way from the stored articles
(``Archive.iter_articles``) and compared: on the bundled sample, on a small archive of annotated copies
of it with known dates, outlets and categories, and on a few hundred DpgMedia2019 articles run through
the real NLP (skipped when ../shared is absent).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import combinations
from pathlib import Path

import pytest
from click.testing import CliRunner

from duiding.analysis import BY, Bucket, NotFoundError, aggregate, entity_profile, gender_of, speaker_profile
from duiding.cli import main
from duiding.model import Article
from duiding.search.query import QuerySyntaxError, parse_query
from duiding.store import open_archive

DPG_ARTICLES = 200


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def sample_db(new_db, sample_txt) -> str:
    db = new_db()
    result = invoke("ingest", sample_txt, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def sample(sample_db):
    archive = open_archive(sample_db)
    yield archive
    archive.close()


# -- the reference: the same figures from the articles, in plain Python ------------------------------


def ascii_lower(name: str) -> str:
    """SQLite's lower(): A-Z only."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in name)


def speaker_key(q) -> str:
    return q.speaker_entity_id or ascii_lower(q.speaker)


def label_of(entity_id: str) -> str:
    return entity_id.split("-", 1)[0].upper()


def ref_entities(arts: list[Article], label: str | None = None) -> Counter[str]:
    return Counter(
        m.entity_id
        for a in arts
        for m in a.entities
        if m.entity_id and (label is None or label_of(m.entity_id) == label)
    )


def ref_speakers(arts: list[Article]) -> Counter[str]:
    return Counter(speaker_key(q) for a in arts for q in a.quotes if q.speaker)


def ref_pairs(arts: list[Article]) -> Counter[tuple[str, str]]:
    pairs: Counter[tuple[str, str]] = Counter()
    for a in arts:
        pairs.update(combinations(sorted({m.entity_id for m in a.entities if m.entity_id}), 2))
    return pairs


def ref_quotes_mentioning(arts: list[Article], entity_id: str) -> int:
    return sum(
        1
        for a in arts
        for q in a.quotes
        if any(m.entity_id == entity_id and q.start <= m.start and m.end <= q.end for m in a.entities)
    )


def ref_field(arts: list[Article], field: str) -> Counter[str]:
    return Counter(
        ascii_lower(getattr(q, field)) for a in arts for q in a.quotes if (getattr(q, field) or "").strip()
    )


def assert_top(buckets: list[Bucket], expected: Counter, limit: int, key=lambda b: b.key) -> None:
    """The buckets are the ``limit`` largest of ``expected`` (ties in any order), counts exact, most first."""
    counts = [b.count for b in buckets]
    assert counts == sorted(counts, reverse=True)
    assert len(buckets) == min(limit, len(expected))
    for b in buckets:
        assert expected[key(b)] == b.count, b
    taken = {key(b) for b in buckets}
    left = [n for k, n in expected.items() if k not in taken]
    if buckets and left:
        assert max(left) <= buckets[-1].count


# -- the sample article ---------------------------------------------------------------------------------


def test_sample_speakers_put_franka_hummels_first(sample):
    buckets = aggregate(sample, "Belarus", "speaker")
    top = buckets[0]
    assert top.label == "Franka Hummels"
    assert top.extra["gender"] == "female"
    assert top.extra["roles"] == ["journalist en Belarus-kenner"]
    assert "Hummels" in top.extra["aliases"]
    (article,) = list(sample.iter_articles())
    assert_top(buckets, ref_speakers([article]), 20)
    togt = next(b for b in buckets if b.label == "Tony van der Togt")
    assert togt.extra["organisations"] == ["Instituut Clingendael"]
    assert togt.extra["gender"] == "male"


def test_gender_from_first_names():
    assert gender_of("Franka Hummels") == "female"
    assert gender_of("Tony van der Togt") == "male"
    assert gender_of("Aleksandr Loekasjenko", "PER") == "male"  # not in the Dutch list: the international one
    assert gender_of("Franak Viacorka") == "unknown"  # a first name no list knows stays unknown
    assert gender_of("Hummels") == "unknown"  # a surname alone
    assert gender_of("M. Rutte") == "unknown"  # initials
    assert gender_of("experts") == "unknown"
    assert gender_of("De Belarussische regering") == "unknown"
    assert gender_of("Instituut Clingendael", "ORG") == "unknown"
    assert gender_of(None) == "unknown"


def test_sample_gender_counts_speakers_and_quotes(sample):
    buckets = {b.key: b for b in aggregate(sample, None, "gender")}
    assert set(buckets) == {"female", "male", "unknown"}
    (article,) = list(sample.iter_articles())
    speakers = ref_speakers([article])
    assert sum(b.count for b in buckets.values()) == len(speakers)
    assert sum(b.extra["quotes"] for b in buckets.values()) == sum(speakers.values())
    hummels = speakers[next(q.speaker_entity_id for q in article.quotes if q.speaker == "Franka Hummels")]
    assert buckets["female"].count == 1 and buckets["female"].extra["quotes"] == hummels
    assert buckets["unknown"].count >= 2  # experts, De Belarussische regering, Franak Viacorka
    assert abs(sum(b.extra["share"] for b in buckets.values()) - 1) < 1e-3


def test_sample_every_by(sample):
    (article,) = list(sample.iter_articles())
    for by in BY:
        buckets = aggregate(sample, "Belarus", by, limit=5)
        assert buckets, by
        assert all(isinstance(b, Bucket) for b in buckets)
        json.dumps([b.model_dump() for b in buckets])  # JSON-ready for the API
        if by in ("month", "week", "day"):
            assert [b.count for b in buckets] == [1]
        elif by in ("outlet", "category"):
            assert [(b.label, b.count) for b in buckets] == [("NOS" if by == "outlet" else "Buitenland", 1)]
    # the entity buckets against the mentions
    assert_top(aggregate(sample, None, "entity", limit=5), ref_entities([article]), 5)
    for by, label in (("person", "PER"), ("org", "ORG"), ("location", "LOC")):
        assert_top(aggregate(sample, None, by, limit=50), ref_entities([article], label), 50)
    assert_top(aggregate(sample, None, "entity", label="person", limit=3), ref_entities([article], "PER"), 3)


def test_sample_quotes_by_and_mentioning_an_entity(sample):
    (article,) = list(sample.iter_articles())
    buckets = {b.label: b for b in aggregate(sample, None, "entity", limit=None)}
    poetin, hummels = buckets["Vladimir Poetin"], buckets["Franka Hummels"]
    assert poetin.extra["quotes_by"] == 0
    assert poetin.extra["quotes_mentioning"] == ref_quotes_mentioning([article], poetin.key) > 0
    assert hummels.extra["quotes_by"] == sum(1 for q in article.quotes if q.speaker_entity_id == hummels.key)
    # Belarus: its adjectives (Belarussische, MISC mentions linked to the country) count for it
    assert buckets["Belarus"].count == ref_entities([article])[buckets["Belarus"].key]
    assert buckets["Belarus"].extra["entity_label"] == "LOC"


def test_sample_roles_organisations_and_cooccurrence(sample):
    (article,) = list(sample.iter_articles())
    roles = aggregate(sample, None, "role")
    assert_top(roles, ref_field([article], "role"), 20)
    assert roles[0].label == "journalist en Belarus-kenner" and roles[0].extra["speakers"] == 1
    orgs = aggregate(sample, None, "organisation")
    assert [(b.label, b.count) for b in orgs] == [("Instituut Clingendael", 7)]
    pairs = aggregate(sample, None, "cooccurrence", limit=None)
    assert {b.key: b.count for b in pairs} == {f"{a}|{b}": n for (a, b), n in ref_pairs([article]).items()}
    partners = aggregate(sample, None, "cooccurrence", entity="Poetin", label="PER")
    assert {b.label for b in partners} == {
        "Aleksandr Loekasjenko",
        "Franka Hummels",
        "Tony van der Togt",
        "Franak Viacorka",
    }
    assert all(b.extra["with"].startswith("per-") for b in partners)


def test_bad_arguments_raise_clear_errors(sample):
    with pytest.raises(ValueError, match="unknown by 'speakers'"):
        aggregate(sample, None, "speakers")
    with pytest.raises(QuerySyntaxError):
        aggregate(sample, "(Belarus AND", "speaker")
    with pytest.raises(ValueError, match="label"):
        aggregate(sample, None, "outlet", label="PER")
    with pytest.raises(ValueError, match="counts PER"):
        aggregate(sample, None, "person", label="LOC")
    with pytest.raises(ValueError, match="unknown entity label"):
        aggregate(sample, None, "entity", label="people")
    with pytest.raises(ValueError, match="limit"):
        aggregate(sample, None, "entity", limit=0)
    with pytest.raises(NotFoundError):
        aggregate(sample, None, "cooccurrence", entity="Nobody Known")
    with pytest.raises(NotFoundError):
        entity_profile(sample, "Nobody Known")
    with pytest.raises(NotFoundError):
        speaker_profile(sample, "Nobody Known")


def test_a_query_that_finds_nothing_counts_nothing(sample):
    for by in BY:
        buckets = aggregate(sample, "voetbal", by)
        if by == "gender":
            assert [b.count for b in buckets] == [0, 0, 0]
        else:
            assert buckets == [], by


def test_entity_profile(sample):
    (article,) = list(sample.iter_articles())
    profile = entity_profile(sample, "Putin")  # another spelling of an alias: Vladimir Poetin
    json.dumps(profile)
    entity = profile["entity"]
    assert entity["canonical"] == "Vladimir Poetin" and entity["label"] == "PER"
    assert profile["mentions"] == ref_entities([article])[entity["id"]]
    assert [(b["key"], b["count"]) for b in profile["per_month"]] == [("2022-10", profile["mentions"])]
    assert profile["quotes_by_total"] == 0 and profile["quotes_by"] == []
    assert profile["quotes_mentioning_total"] == ref_quotes_mentioning([article], entity["id"])
    for q in profile["quotes_mentioning"]:
        assert q["text"] == article.text[q["start"] : q["end"]]
        assert "Poetin" in q["text"]
    assert profile["cooccurring"][0]["count"] == 1
    assert profile == entity_profile(sample, entity["id"])
    assert entity_profile(sample, entity["id"], "voetbal")["mentions"] == 0


def test_speaker_profile(sample):
    (article,) = list(sample.iter_articles())
    profile = speaker_profile(sample, "Hummels")
    json.dumps(profile)
    speaker = profile["speaker"]
    assert speaker["name"] == "Franka Hummels" and speaker["gender"] == "female"
    assert set(speaker["names"]) == {"Franka Hummels", "Hummels"}
    mine = [q for q in article.quotes if q.speaker_entity_id == speaker["entity_id"]]
    assert profile["quotes_total"] == len(mine) == len(profile["quotes"])
    assert [(q["start"], q["end"]) for q in profile["quotes"]] == [(q.start, q.end) for q in mine]
    assert [r["role"] for r in profile["roles"]] == ["journalist en Belarus-kenner"]
    assert profile["roles"][0]["first"].startswith("2022-10-12")
    assert [(b["key"], b["count"]) for b in profile["per_month"]] == [("2022-10", len(mine))]
    # what she talks about: the entities mentioned inside her quotes
    inside = Counter()
    for q in mine:
        inside.update({m.entity_id for m in article.entities if q.start <= m.start and m.end <= q.end})
    assert {b["key"]: b["count"] for b in profile["entities"]} == {k: n for k, n in inside.most_common(20)}
    assert profile["entities"][0]["label"] == "Belarus"
    assert speaker_profile(sample, speaker["entity_id"])["quotes_total"] == len(mine)
    assert speaker_profile(sample, "experts")["speaker"]["gender"] == "unknown"


# -- annotated copies of the sample: dates, outlets, categories ------------------------------------------

PLAN = [
    # published, outlet, category, group (entities and speakers of a group are distinct entities)
    ("2022-01-03T09:00:00+01:00", "NOS", "Buitenland", 0),
    ("2022-01-09T23:30:00+01:00", "NOS", "Buitenland", 0),
    ("2022-01-10T00:30:00+01:00", "Trouw", "Politiek", 1),
    ("2022-03-31T23:59:00+02:00", "Trouw", None, 1),
    ("2022-04-01T00:10:00+02:00", "AD", "Buitenland", 2),  # still 31 March in UTC: counts for April
    (None, "AD", "Economie", 2),
]


def _regroup(entity_id: str | None, group: int) -> str | None:
    if entity_id is None or group == 0:
        return entity_id
    prefix = entity_id.split("-", 1)[0]
    return f"{prefix}-{hashlib.sha1(f'{entity_id}/{group}'.encode()).hexdigest()[:12]}"


@pytest.fixture(scope="module")
def copies(sample_db, new_db):
    base = open_archive(sample_db)
    try:
        (article,) = list(base.iter_articles())
    finally:
        base.close()
    arts = []
    for i, (published, outlet, category, group) in enumerate(PLAN):
        arts.append(
            Article(
                title=f"{article.title} ({i})",
                text=article.text,
                published=datetime.fromisoformat(published) if published else None,
                url=f"https://example.nl/artikel/{i}",
                outlet=outlet,
                category=category,
                entities=[
                    m.model_copy(update={"entity_id": _regroup(m.entity_id, group)}) for m in article.entities
                ],
                quotes=[
                    q.model_copy(update={"speaker_entity_id": _regroup(q.speaker_entity_id, group)})
                    for q in article.quotes
                ],
            )
        )
    archive = open_archive(new_db())
    archive.upsert(arts)
    yield archive, arts
    archive.close()


def test_time_buckets_are_chronological_with_empty_periods(copies):
    archive, _ = copies
    months = aggregate(archive, None, "month")
    assert [(b.key, b.count) for b in months] == [
        ("2022-01", 3),
        ("2022-02", 0),
        ("2022-03", 1),
        ("2022-04", 1),
    ]
    assert months[1].extra == {"start": "2022-02-01", "end": "2022-02-28"}
    weeks = aggregate(archive, None, "week", limit=3)  # the limit never cuts a time line
    assert weeks[0].key == "2022-W01" and weeks[0].count == 2  # Monday 3 Jan to Sunday 9 Jan
    assert weeks[1].key == "2022-W02" and weeks[1].count == 1
    assert weeks[-1].key == "2022-W13" and weeks[-1].count == 2
    assert len(weeks) == 13 and sum(b.count for b in weeks) == 5
    assert [b.extra["start"] for b in weeks[:2]] == ["2022-01-03", "2022-01-10"]
    days = aggregate(archive, None, "day")
    assert days[0].key == "2022-01-03" and days[-1].key == "2022-04-01"
    assert len(days) == (date(2022, 4, 1) - date(2022, 1, 3)).days + 1
    by_day = {b.key: b.count for b in days}
    assert by_day["2022-03-31"] == 1 and by_day["2022-04-01"] == 1 and by_day["2022-02-14"] == 0
    # the query narrows the time line to its own first and last article
    assert [(b.key, b.count) for b in aggregate(archive, "outlet:Trouw", "month")] == [
        ("2022-01", 1),
        ("2022-02", 0),
        ("2022-03", 1),
    ]


def test_outlets_and_categories(copies):
    archive, _ = copies
    outlets = aggregate(archive, None, "outlet")
    assert [(b.label, b.count) for b in outlets] == [("AD", 2), ("NOS", 2), ("Trouw", 2)]
    assert outlets[0].extra["share"] == round(2 / 6, 4)
    categories = aggregate(archive, None, "category")
    assert [(b.key, b.label, b.count) for b in categories] == [
        ("Buitenland", "Buitenland", 3),
        ("", "(none)", 1),
        ("Economie", "Economie", 1),
        ("Politiek", "Politiek", 1),
    ]
    assert [(b.label, b.count) for b in aggregate(archive, "category:Buitenland", "outlet")] == [
        ("NOS", 2),
        ("AD", 1),
    ]


@pytest.mark.parametrize(
    "query", [None, "outlet:Trouw", "category:Buitenland OR outlet:Trouw", "Clingendael"]
)
def test_copies_match_the_articles(copies, query):
    archive, arts = copies
    if query:
        found = archive.search(parse_query(query), limit=100)
        ids = {h.article.id for h in found.hits}
        arts = [a for a in arts if a.id in ids]
        assert arts
    assert_top(aggregate(archive, query, "entity", limit=10), ref_entities(arts), 10)
    assert_top(aggregate(archive, query, "location", limit=10), ref_entities(arts, "LOC"), 10)
    speakers = aggregate(archive, query, "speaker", limit=8)
    assert_top(speakers, ref_speakers(arts), 8)
    pairs = aggregate(archive, query, "cooccurrence", limit=15)
    assert_top(pairs, Counter({f"{a}|{b}": n for (a, b), n in ref_pairs(arts).items()}), 15)
    assert_top(aggregate(archive, query, "role", limit=5), ref_field(arts, "role"), 5)
    gender = {b.key: b for b in aggregate(archive, query, "gender")}
    assert sum(b.count for b in gender.values()) == len(ref_speakers(arts))
    groups = {PLAN[int(a.url.rsplit("/", 1)[1])][3] for a in arts}
    assert gender["female"].count == len(groups)  # the Franka Hummels of each group: one woman each


def test_entity_profile_over_time(copies):
    archive, arts = copies
    eid = next(m.entity_id for m in arts[0].entities if m.canonical == "Vladimir Poetin")  # group 0
    profile = entity_profile(archive, eid)
    per_article = ref_entities(arts[:1])[eid]
    assert [(b["key"], b["count"], b["extra"]["articles"]) for b in profile["per_month"]] == [
        ("2022-01", 2 * per_article, 2)
    ]
    assert profile["articles"] == 2 and profile["mentions"] == 2 * per_article
    k = ref_quotes_mentioning(arts[:1], eid)
    assert [q["article_id"] for q in profile["quotes_mentioning"]] == [arts[1].id] * k + [arts[0].id] * k
    narrowed = entity_profile(archive, eid, "published:2022-01-03")
    assert (
        narrowed["articles"] == 1
        and narrowed["quotes_mentioning_total"] == profile["quotes_mentioning_total"] / 2
    )


def test_index_streams_matching_seqs_in_pages(copies, embedded):
    archive, _ = copies
    index = archive.index
    for query in ("*", "Belarus", "outlet:Trouw OR outlet:AD", "voetbal"):
        parsed = parse_query(query)
        pages = list(index.iter_matching_seqs(parsed, chunk=2))
        assert all(0 < len(p) <= 2 for p in pages)
        flat = [s for p in pages for s in p]
        assert flat == sorted(index.matching_seqs(parsed))


def test_migration_adds_the_analysis_indexes(tmp_path, copies, embedded):
    from duiding.store.sqlite import MIGRATIONS

    archive, _ = copies
    db = Path(archive.location) / "duiding.sqlite3"
    wanted = {
        "mentions_entity_article",
        "mentions_article_entity",
        "articles_facets",
        "quotes_speaker_folded",
    }

    def indexes(conn: sqlite3.Connection) -> set[str]:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}

    assert wanted <= indexes(sqlite3.connect(db))
    # version 3 on a version-2 layout: the indexes appear, the one they replace goes
    old = sqlite3.connect(tmp_path / "old.sqlite3")
    for migration in MIGRATIONS[:2]:
        if callable(migration):
            migration(old)
        else:
            old.executescript(migration)
    assert "mentions_entity" in indexes(old) and not wanted & indexes(old)
    old.executescript(MIGRATIONS[2])
    assert wanted <= indexes(old) and "mentions_entity" not in indexes(old)


# -- DpgMedia2019 through the real NLP -------------------------------------------------------------------


@pytest.fixture(scope="module")
def dpg(tmp_path_factory, request, new_db):
    shared = request.getfixturevalue("shared_dir")
    from duiding.nlp.vectors import dpgmedia_records

    work = tmp_path_factory.mktemp("analysis-dpg")
    corpus = work / "dpg.jsonl"
    start = datetime.fromisoformat("2019-02-01T08:00:00+01:00")
    with corpus.open("w", encoding="utf-8") as fh:
        n = 0
        for record in dpgmedia_records(shared / "data"):
            if not record["title"].strip() or not record["text"].strip():
                continue
            record["published_at"] = (start + timedelta(hours=31 * n)).isoformat()
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
            if n == DPG_ARTICLES:
                break
    db = new_db()
    result = invoke("ingest", corpus, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    archive = open_archive(db)
    yield archive, list(archive.iter_articles())
    archive.close()


@pytest.mark.slow
@pytest.mark.parametrize("query", [None, "minister OR kabinet OR premier", "Trump"])
def test_dpgmedia_figures_match_the_articles(dpg, query):
    archive, arts = dpg
    if query:
        ids = {h.article.id for h in archive.search(parse_query(query), limit=10_000).hits}
        arts = [a for a in arts if a.id in ids]
    assert len(arts) > 5
    assert sum(b.count for b in aggregate(archive, query, "month")) == len(arts)
    assert_top(aggregate(archive, query, "entity", limit=20), ref_entities(arts), 20)
    assert_top(aggregate(archive, query, "person", limit=20), ref_entities(arts, "PER"), 20)
    assert_top(aggregate(archive, query, "org", limit=10), ref_entities(arts, "ORG"), 10)
    speakers = aggregate(archive, query, "speaker", limit=20)
    assert_top(speakers, ref_speakers(arts), 20)
    assert_top(aggregate(archive, query, "organisation", limit=10), ref_field(arts, "organisation"), 10)
    assert_top(
        aggregate(archive, query, "cooccurrence", limit=10),
        Counter({f"{a}|{b}": n for (a, b), n in ref_pairs(arts).items()}),
        10,
    )
    gender = {b.key: b for b in aggregate(archive, query, "gender")}
    assert sum(b.count for b in gender.values()) == len(ref_speakers(arts))
    assert sum(b.extra["quotes"] for b in gender.values()) == sum(ref_speakers(arts).values())
    assert gender["female"].count + gender["male"].count > 0
    top = aggregate(archive, query, "entity", limit=3)
    for b in top:
        assert b.extra["quotes_mentioning"] == ref_quotes_mentioning(arts, b.key)
        partners = aggregate(archive, query, "cooccurrence", entity=b.key, limit=5)
        expected = Counter()
        for a in arts:
            present = {m.entity_id for m in a.entities if m.entity_id}
            if b.key in present:
                expected.update(present - {b.key})
        assert_top(partners, expected, 5)
    if speakers:
        profile = speaker_profile(archive, speakers[0].key, query)
        assert profile["quotes_total"] == speakers[0].count == len(profile["quotes"])
        assert sum(m["count"] for m in profile["per_month"]) == speakers[0].count


# -- the command ----------------------------------------------------------------------------------------


def test_stats_command_prints_each_by(sample_db):
    for by in BY:
        result = invoke("stats", "Belarus", "--by", by, "--db", sample_db, "--json")
        assert result.exit_code == 0, (by, result.output)
        data = json.loads(result.stdout)
        assert data["by"] == by and data["query"] == "Belarus" and data["buckets"]
        table = invoke("stats", "Belarus", "--by", by, "--db", sample_db)
        assert table.exit_code == 0 and "Belarus" in table.stdout
    speakers = json.loads(invoke("stats", "--by", "speaker", "--db", sample_db, "--json").stdout)
    assert speakers["query"] is None and speakers["buckets"][0]["label"] == "Franka Hummels"
    result = invoke(
        "stats", "--by", "cooccurrence", "--entity", "Poetin", "--label", "PER", "--db", sample_db
    )
    assert result.exit_code == 0 and "Franka Hummels" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["(Belarus AND", "--by", "speaker"], "error: query error"),
        (["Belarus", "--by", "speakers"], "error: unknown --by 'speakers'"),
        (["--by", "outlet", "--label", "PER"], "error: label applies"),
        (["--by", "entity", "--label", "people"], "error: unknown entity label"),
    ],
)
def test_stats_bad_input_is_a_clear_error(sample_db, args, message):
    result = CliRunner().invoke(main, ["stats", *args, "--db", str(sample_db)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith(message)
    if "query" not in message:
        assert len(result.stderr.strip().splitlines()) == 1
