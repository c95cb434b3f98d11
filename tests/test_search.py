"""Search: query parsing/validation and the tantivy index, on the real NOS sample and Dutch news text.

The matching, ranking and snippet tests run against both backends (``index``): the embedded tantivy
index, and a PostgreSQL archive holding the same five articles, answering the same queries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from duiding.model import Article
from duiding.search import SCHEMA_VERSION, QuerySyntaxError, SearchIndex, caret, parse_query
from duiding.search.query import FIELDS, DateRange, ParsedQuery, date_range
from duiding.store import Archive, open_archive

SHARED_SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "nos-2448020.article.json"
BUNDLED_SAMPLE = Path(__file__).resolve().parents[1] / "src" / "duiding" / "samples" / "nos-2448020.txt"


def _sample_from_json(path: Path) -> Article:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Article(
        **{k: raw[k] for k in ("title", "text", "url", "program", "category")},
        published=datetime.fromisoformat(raw["published"]),
    )


def _sample_from_bundled_text(path: Path) -> Article:
    """The bundled archive-text copy: title, date, URL, blank line, body, then program/category/trailer."""
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    assert lines[-1].startswith("Deel artikel")
    return Article(
        title=lines[0],
        published=datetime.fromisoformat(lines[1]),
        url=lines[2],
        text="\n".join(lines[4:-3]),
        program=lines[-3],
        category=lines[-2],
    )


def load_sample() -> Article:
    """The NOS sample from ../shared when present, else from the bundled copy (same words)."""
    if SHARED_SAMPLE.is_file():
        return _sample_from_json(SHARED_SAMPLE)
    return _sample_from_bundled_text(BUNDLED_SAMPLE)


def test_shared_sample_matches_bundled_copy(shared_dir: Path) -> None:
    # shared_dir skips with a visible reason when ../shared is absent.
    shared = _sample_from_json(shared_dir / "samples" / "nos-2448020.article.json")
    bundled = _sample_from_bundled_text(BUNDLED_SAMPLE)
    assert (shared.title, shared.text, shared.published, shared.program, shared.category) == (
        bundled.title,
        bundled.text,
        bundled.published,
        bundled.program,
        bundled.category,
    )


# seq → article. 1 is the NOS sample (Nieuwsuur, 2022-10-12 07:00+02:00); the others are written for
# these tests. Which words occur where: Poetin 1,2,4 · Loekasjenko 1,4 · gasprijs 2 (body, once),
# 3 (title only) · Kyiv 4 · energietoeslag 2.
KABINET = Article(
    title="Kabinet trekt extra geld uit voor energietoeslag",
    text=(
        "Huishoudens met een laag inkomen krijgen dit jaar een hogere energietoeslag. Het kabinet trekt "
        "daar honderden miljoenen euro's extra voor uit, maakte minister Schouten van Armoedebeleid "
        "vandaag bekend.\n"
        "Gemeenten keren de toeslag uit. Volgens de Vereniging van Nederlandse Gemeenten lukt dat in de "
        "meeste plaatsen nog voor de winter.\n"
        "De energierekening is het afgelopen jaar snel gestegen. De gasprijs schoot omhoog nadat Rusland "
        'de levering aan Europa beperkte. "Mensen met weinig geld worden het hardst geraakt", zegt '
        "Schouten. Oppositiepartijen vinden dat het kabinet te laat in actie komt en wijzen erop dat "
        "president Poetin energie al maanden als wapen inzet."
    ),
    published=datetime.fromisoformat("2022-10-03T18:15:00+02:00"),
    url="https://nos.nl/artikel/2446912-kabinet-trekt-extra-geld-uit-voor-energietoeslag",
    program="NOS Journaal",
    category="Binnenland",
)
GASPRIJS = Article(
    title="Gasprijs daalt verder door volle voorraden",
    text=(
        "De prijs van aardgas op de Europese markt is opnieuw flink gedaald. Een megawattuur kostte "
        "woensdagochtend nog ongeveer 120 euro, een fractie van de piek in augustus.\n"
        "De opslagen in Europa zijn bijna helemaal gevuld en het weer is voor de tijd van het jaar zacht. "
        "Daardoor is er minder vraag naar aardgas.\n"
        "Handelaren waarschuwen dat de rust tijdelijk kan zijn. Een koude winter kan de prijzen weer "
        "opdrijven, zeggen analisten."
    ),
    published=datetime.fromisoformat("2022-11-02T09:00:00+01:00"),
    url="https://www.nu.nl/economie/6233150/gasprijs-daalt-verder-door-volle-voorraden.html",
    category="Economie",
    language="nl",
)
KYIV = Article(  # 00:30 local time: 11 October in UTC, but on 12 October where it was published
    title="Nieuwe luchtaanvallen op Kyiv, Belarus versterkt grens",
    text=(
        "In de Oekraïense hoofdstad Kyiv zijn vannacht opnieuw explosies gehoord. Volgens het "
        "stadsbestuur werden energiecentrales getroffen door Iraanse drones.\n"
        "Intussen trekt Belarus meer troepen samen bij de grens met Oekraïne. De Belarussische president "
        "Loekasjenko zegt dat het om een defensieve maatregel gaat.\n"
        "Westerse inlichtingendiensten zien geen aanwijzingen voor een nieuwe aanval vanuit het noorden. "
        "Wel houden ze er rekening mee dat Poetin de druk op Kyiv wil opvoeren."
    ),
    published=datetime.fromisoformat("2022-10-12T00:30:00+02:00"),
    url="https://nos.nl/artikel/2447990-nieuwe-luchtaanvallen-op-kyiv-belarus-versterkt-grens",
    program="NOS Journaal",
    category="Buitenland",
)
STIKSTOF = Article(
    title="Tweede Kamer wil snel duidelijkheid over stikstofplannen",
    text=(
        "Een meerderheid van de Tweede Kamer wil dat het kabinet nog voor de kerst met een uitgewerkt "
        "stikstofplan komt. Boeren zitten al maanden in onzekerheid over de toekomst van hun bedrijf.\n"
        '"We kunnen niet blijven wachten", zei een Kamerlid tijdens het debat. Minister Van der Wal '
        "beloofde haast te maken, maar wilde geen datum noemen.\n"
        "Landbouworganisaties reageren teleurgesteld."
    ),
    published=datetime.fromisoformat("2022-10-31T23:30:00+01:00"),
    url="https://www.rtlnieuws.nl/nieuws/politiek/artikel/5343210/tweede-kamer-stikstof-duidelijkheid",
    category="Politiek",
    language="NL",
)


@pytest.fixture(scope="module")
def sample() -> Article:
    return load_sample()


@pytest.fixture(scope="module")
def articles(sample: Article) -> dict[int, Article]:
    return {1: sample, 2: KABINET, 3: GASPRIJS, 4: KYIV, 5: STIKSTOF}


class ArchiveIndex:
    """A PostgreSQL archive seen as these tests see the embedded backend's SearchIndex: hits by article
    number (1-5), snippets of any text."""

    def __init__(self, archive: Archive, numbers: dict[str, int]) -> None:
        self.archive = archive
        self.numbers = numbers

    def search(
        self, query: ParsedQuery, limit: int = 10, offset: int = 0
    ) -> tuple[list[tuple[int, float]], int]:
        found = self.archive.search(query, limit=limit, offset=offset)
        return [(self.numbers[h.article.id], h.score) for h in found.hits], found.total

    def num_docs(self) -> int:
        return self.archive.count()

    def snippet(self, query: ParsedQuery, text: str, max_chars: int = 200) -> list[tuple[str, bool]]:
        return self.archive.snippet(query, text, max_chars)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def index(backend: str, new_db: Callable[[], str], articles: dict[int, Article]) -> Iterator[SearchIndex]:
    """The five articles indexed: the tantivy index itself, or a PostgreSQL archive holding them."""
    if backend == "postgres":
        archive = open_archive(new_db())
        copies = {seq: a.model_copy(deep=True) for seq, a in articles.items()}  # upsert sets id, cluster
        archive.upsert(list(copies.values()))
        yield ArchiveIndex(archive, {a.id: seq for seq, a in copies.items()})  # type: ignore[misc]
        archive.close()
        return
    idx = SearchIndex(new_db())
    for seq, article in articles.items():
        idx.add(seq, article)
    idx.commit()
    yield idx
    idx.close()


def seqs(index: SearchIndex, q: str) -> set[int]:
    hits, total = index.search(parse_query(q), limit=100)
    assert total == len(hits)
    return {seq for seq, _ in hits}


def ranked(index: SearchIndex, q: str) -> list[int]:
    return [seq for seq, _ in index.search(parse_query(q), limit=100)[0]]


# --- matching ------------------------------------------------------------------------------------


def test_all_documents_indexed(index: SearchIndex) -> None:
    assert index.num_docs() == 5
    assert seqs(index, "*") == {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Poetin", {1, 2, 4}),
        ("Poetins", {1, 2, 4}),  # stemmed: Poetins → poetin
        ("Belarussisch", {1, 4}),  # the texts say "Belarussische"
        ("Belarussische", {1, 4}),
        ("oekraïne", {1, 4}),  # case and accents folded
        ("OEKRAINE", {1, 4}),
        ("journalisten", {1}),  # plural finds "journalist"
    ],
)
def test_stemmed_and_folded_terms(index: SearchIndex, q: str, expected: set[int]) -> None:
    assert seqs(index, q) == expected


def test_phrases(index: SearchIndex) -> None:
    assert seqs(index, '"Instituut Clingendael"') == {1}
    assert seqs(index, '"Clingendael Instituut"') == set()
    assert seqs(index, '"Belarussisch leger"') == {1}  # stemmed inside a phrase: "Belarussische leger"
    assert seqs(index, '"president Loekasjenko"') == {4}  # sample: "president Aleksandr Loekasjenko"
    assert seqs(index, '"president Loekasjenko"~1') == {1, 4}
    assert seqs(index, "Noord-Oekraïne") == {1}  # a hyphenated word is a phrase of its parts


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Poetin Loekasjenko", {1, 4}),  # implicit AND
        ("Poetin AND Loekasjenko", {1, 4}),
        ("Loekasjenko OR gasprijs", {1, 2, 3, 4}),
        ("Poetin AND NOT Loekasjenko", {2}),
        ("Poetin -Loekasjenko", {2}),
        ("+Poetin Kyiv", {4}),
        ("NOT Poetin", {3, 5}),
        ("-Poetin", {3, 5}),
        ("(Loekasjenko OR gasprijs) AND NOT Kyiv", {1, 2, 3}),
        ("(Loekasjenko OR gasprijs) (Kyiv OR energietoeslag)", {2, 4}),
        ("stikstof OR NOT Poetin", {3, 5}),
        ("gasprijs OR (Kyiv -Hummels)", {2, 3, 4}),
    ],
)
def test_boolean_operators(index: SearchIndex, q: str, expected: set[int]) -> None:
    assert seqs(index, q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("title:Poetin", {1}),
        ("text:Loekasjenko", {1, 4}),
        ("title:(Kyiv OR Gasprijs)", {3, 4}),
        ("title:(Belarus -Kyiv)", {1}),
        ("category:buitenland", {1, 4}),
        ("category:Buitenland", {1, 4}),
        ("category:BINNENLAND", {2}),
        ("outlet:NOS", {1, 2, 4}),
        ("outlet:nu.nl", {3}),
        ('outlet:"RTL Nieuws"', {5}),
        ("program:nieuwsuur", {1}),
        ('program:"NOS Journaal"', {2, 4}),
        ('program:"nos journaal"', {2, 4}),
        ("url:nieuwsuur", {1}),
        ('url:"nos.nl"', {1, 2, 4}),
        ("url:rtlnieuws", {5}),
        (f'url:"{KABINET.url}"', {2}),
        ("id:nos-2448020", {1}),
        ("id:nu-nl-6233150", {3}),
        ("language:nl", {3, 5}),
        ("category:*", {1, 2, 3, 4, 5}),
        ("program:*", {1, 2, 4}),
        ("Loekasjenko category:Buitenland -program:Nieuwsuur", {4}),
    ],
)
def test_field_queries(index: SearchIndex, q: str, expected: set[int]) -> None:
    # The same on both backends: the PostgreSQL one stems with tantivy's analyzer too (postgres_text), not
    # with PostgreSQL's own Dutch stemmer, which would make the sample's "Belarussen" 'belaruss' and miss
    # title:Belarus.
    assert seqs(index, q) == expected


def test_full_url_as_phrase(index: SearchIndex, sample: Article) -> None:
    assert sample.url is not None and sample.canonical_url is not None
    assert seqs(index, f'url:"{sample.url}"') == {1}
    assert seqs(index, f'url:"{sample.canonical_url}"') == {1}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("published:2022-10-12", {1, 4}),  # 4 is at 00:30+02:00: 11 October in UTC, yet on the 12th
        ("published:2022-10-11", set()),
        ("published:2022-10", {1, 2, 4, 5}),
        ("published:2022", {1, 2, 3, 4, 5}),
        ("published:[2022-10-01 TO 2022-10-12]", {1, 2, 4}),
        ("published:{2022-10-03 TO 2022-10-31}", {1, 4}),  # exclusive ends
        ("published:[2022-10-03 TO 2022-10-31]", {1, 2, 4, 5}),
        ("published:[2022-10-13 TO *]", {3, 5}),
        ("published:[* TO 2022-10-03]", {2}),
        ("published:{2022-10 TO *]", {3}),  # after October
        ("published:[2022-10 TO 2022-10]", {1, 2, 4, 5}),
        ("published:>=2022-11-01", {3}),
        ("published:<2022-10-12", {2}),
        ("published:*", {1, 2, 3, 4, 5}),
        ("published:(2022-10-03 OR 2022-11-02)", {2, 3}),
        # datetimes compare instants: 4 is at 22:30 UTC on the 11th
        ("published:[2022-10-11T22:00:00Z TO 2022-10-11T23:00:00Z]", {4}),
        ("published:[2022-10-12T00:00+02:00 TO 2022-10-12T06:00+02:00]", {4}),
        ("published:2022-10-12T07:00:02+02:00", {1}),
        ("published:2022-10-12T05:00:02Z", {1}),
        ('published:"2022-10-12T00:30:00+02:00"', {4}),
        ("published:{2022-10-12T00:30:00+02:00 TO *}", {1, 3, 5}),
        ("published:[2022-10-12 TO 2022-10-12T06:00:00+02:00]", {4}),  # day lower, instant upper
        ("Poetin published:2022-10", {1, 2, 4}),
    ],
)
def test_date_ranges(index: SearchIndex, q: str, expected: set[int]) -> None:
    assert seqs(index, q) == expected


def test_date_range_is_backend_neutral() -> None:
    tree = parse_query("published:{2022-10 TO 2022-11-15]").tree
    assert date_range(tree.expr) == DateRange(min_day=date(2022, 11, 1), max_day=date(2022, 11, 15))
    tree = parse_query("published:[2022-10-12T07:00+02:00 TO *]").tree
    assert date_range(tree.expr) == DateRange(since=datetime(2022, 10, 12, 5, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Poet*", {1, 2, 4}),
        ("poet*", {1, 2, 4}),
        ("Oekra?ne", {1, 4}),
        ("Kyi?", {4}),
        ("title:Belarus*", {1, 4}),
        ("text:Loekasj*", {1, 4}),
        ("*gasprijs", {2, 3}),
        ("energie*", {2, 4}),  # energietoeslag, energierekening, energie, energiecentrales
        ("Noord-Oek*", {1}),
        ("program:NOS*", {2, 4}),
        ("category:buiten*", {1, 4}),
        ("url:nieuws*", {1, 5}),
        ("Poet* -Kyi*", {1, 2}),
    ],
)
def test_wildcards(index: SearchIndex, q: str, expected: set[int]) -> None:
    assert seqs(index, q) == expected


def test_total_counts_and_paging(index: SearchIndex) -> None:
    q = parse_query("*")
    seen: list[int] = []
    for offset in range(0, 5, 2):
        hits, total = index.search(q, limit=2, offset=offset)
        assert total == 5
        seen += [seq for seq, _ in hits]
    assert sorted(seen) == [1, 2, 3, 4, 5]
    hits, total = index.search(parse_query("Poetin"), limit=1)
    assert len(hits) == 1 and total == 3
    assert index.search(parse_query("Clingendael Instituut Kyiv"), limit=10) == ([], 0)


def test_ranking(index: SearchIndex) -> None:
    # Title-only hit (3) outranks a single body mention (2).
    assert ranked(index, "gasprijs") == [3, 2]
    hits, _ = index.search(parse_query("Poetin"), limit=10)
    assert hits[0][0] == 1  # in the title and all through the text
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    # A boost reorders.
    assert ranked(index, "gasprijs OR energietoeslag^5")[0] == 2
    assert ranked(index, "gasprijs^5 OR energietoeslag")[0] == 3


# --- writing -------------------------------------------------------------------------------------


def test_readd_same_seq_replaces(tmp_path: Path, sample: Article) -> None:
    with SearchIndex(tmp_path / "ix") as idx:
        idx.add(1, sample)
        idx.add(2, KABINET)
        idx.add(1, sample)  # again in the same batch
        idx.commit()
        assert idx.num_docs() == 2
        idx.add(1, sample)  # and in a later one
        idx.commit()
        assert idx.num_docs() == 2
        assert idx.search(parse_query("Clingendael"))[1] == 1
        # Re-adding with new content replaces the old words.
        idx.add(2, KABINET.model_copy(update={"title": "Kabinet trekt extra geld uit"}))
        idx.commit()
        assert seqs(idx, "title:energietoeslag") == set()
        assert seqs(idx, "title:kabinet") == {2}


def test_delete_and_delete_all(tmp_path: Path, articles: dict[int, Article]) -> None:
    idx = SearchIndex(tmp_path / "ix")
    for seq, article in articles.items():
        idx.add(seq, article)
    idx.commit()
    idx.delete(3)
    idx.commit()
    assert idx.num_docs() == 4
    assert seqs(idx, "gasprijs") == {2}
    idx.delete_all()
    idx.commit()
    assert idx.num_docs() == 0
    assert idx.search(parse_query("*")) == ([], 0)
    idx.close()


def test_reopen_keeps_documents_and_close_commits(tmp_path: Path, sample: Article) -> None:
    path = tmp_path / "ix"
    idx = SearchIndex(path)
    assert idx.needs_rebuild  # a new index has to be filled from the store
    idx.add(7, sample)
    idx.close()  # commits what is pending
    idx = SearchIndex(path)
    assert not idx.needs_rebuild
    assert seqs(idx, "Poetins") == {7}
    idx.close()


def test_second_writer_gets_a_clear_error(tmp_path: Path, sample: Article) -> None:
    first, second = SearchIndex(tmp_path / "ix"), SearchIndex(tmp_path / "ix")
    first.add(1, sample)
    with pytest.raises(RuntimeError, match="locked by another writer"):
        second.add(2, KYIV)
    first.close()  # releases the lock
    second.add(2, KYIV)
    second.commit()
    assert second.num_docs() == 2
    second.close()


def test_schema_version_change_recreates_index(tmp_path: Path, sample: Article) -> None:
    path = tmp_path / "ix"
    with SearchIndex(path) as idx:
        idx.add(1, sample)
        idx.commit()
    version_file = path / "duiding-index.json"
    assert json.loads(version_file.read_text())["schema_version"] == SCHEMA_VERSION
    version_file.write_text(json.dumps({"schema_version": SCHEMA_VERSION - 1}))
    idx = SearchIndex(path)
    assert idx.needs_rebuild
    assert idx.num_docs() == 0
    idx.add(1, sample)
    idx.commit()
    idx.close()
    idx = SearchIndex(path)
    assert not idx.needs_rebuild and idx.num_docs() == 1
    idx.close()


# --- snippets ------------------------------------------------------------------------------------


def highlighted(pieces: list[tuple[str, bool]]) -> list[str]:
    return [text for text, hit in pieces if hit]


def test_snippet_highlights_query_words(index: SearchIndex, sample: Article) -> None:
    pieces = index.snippet(parse_query("Clingendael"), sample.text)
    assert highlighted(pieces) == ["Clingendael"]
    body = "".join(text for text, _ in pieces if text != "…")
    assert body in sample.text  # pieces are the article's own words, non-ASCII included
    assert len(body) <= 200

    assert set(highlighted(index.snippet(parse_query("Poetins"), sample.text))) == {"Poetin"}
    # Phrase words are highlighted one by one; a title: word is highlighted in the body too.
    hits = highlighted(index.snippet(parse_query('"Belarussisch leger" title:oorlog'), sample.text))
    assert hits and set(hits) <= {"Belarussische", "leger", "oorlog"}
    # Some context before the first highlight; the whole stays within max_chars.
    pieces = index.snippet(parse_query("Kremlin"), sample.text, max_chars=120)
    assert pieces[0] == ("…", False) and pieces[1][0].endswith("zélf in het ")
    assert len("".join(text for text, _ in pieces if text != "…")) <= 120
    wild = highlighted(index.snippet(parse_query("Loekasj*"), sample.text))
    assert wild and all(w.startswith("Loekasjenko") for w in wild)
    # Words the query excludes are not highlighted.
    assert "Poetin" not in highlighted(index.snippet(parse_query("Clingendael -Poetin"), sample.text))


def test_snippet_falls_back_to_article_start(index: SearchIndex, sample: Article) -> None:
    pieces = index.snippet(parse_query("gasprijs"), sample.text, max_chars=80)
    assert highlighted(pieces) == []
    assert pieces[0][0].startswith("Er zijn nog genoeg landen")
    assert len(pieces[0][0]) <= 80
    assert index.snippet(parse_query("published:2022-10"), "Kort bericht.") == [("Kort bericht.", False)]


# --- malformed queries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "position", "fragment"),
    [
        ("Poetin AND", 10, "unexpected end"),
        ("(Poetin", 0, "unclosed '('"),
        ("Poetin AND Rusland)", 18, "unexpected ')'"),
        ("titel:x", 0, "unknown field 'titel'"),
        ("published:[2022-13-01 TO *]", 11, "bad date '2022-13-01' in published range"),
        ('""', 0, "empty phrase"),
        ("title:", 6, "unexpected end"),
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ('"Instituut Clingendael', 0, "unclosed '\"'"),
        ("Poetin~", 0, "fuzzy"),
        ("/Poe.*/", 0, "regular expressions"),
        ("title:[a TO b]", 6, "ranges only work on published"),
        ("published:gisteren", 10, "bad date 'gisteren'"),
        ("published:2022-10-12T07:00", 10, "needs a UTC offset"),
        ("title:(Poetin text:Kyiv)", 14, "inside field"),
        ("Poetin && Kyiv", 7, "use AND"),
        ("Poetin OR OR Kyiv", 10, "unexpected 'OR'"),
        ("Poetin ,", 7, "nothing to search for"),
        ("Poetin\\", 6, "illegal character"),
    ],
)
def test_malformed_queries(q: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(q)
    err = info.value
    message = str(err)
    assert fragment in message
    assert "\n" not in message and "Traceback" not in message
    assert err.position == position
    shown = caret(q, err).split("\n")
    assert shown[0] == message
    assert shown[2].index("^") - 2 == position  # caret under the offending character


def test_error_message_format() -> None:
    with pytest.raises(QuerySyntaxError, match=r"^query error at 18: unexpected '\)'$"):
        parse_query("Poetin AND Rusland)")
    with pytest.raises(QuerySyntaxError, match=r"^unknown field 'titel' \(fields: title, text, "):
        parse_query("titel:x")


def test_parsed_query_is_explicit() -> None:
    parsed = parse_query("Poetin Loekasjenko title:(Kyiv OR Belarus)")
    assert parsed.text == "Poetin Loekasjenko title:(Kyiv OR Belarus)"
    assert str(parsed) == "Poetin AND Loekasjenko AND title:(Kyiv OR Belarus)"
    assert set(FIELDS) == {"title", "text", "outlet", "category", "program", "id", "language", "url"} | {
        "published",
        "person",
        "org",
        "location",
        "speaker",
        "quote",
    }
