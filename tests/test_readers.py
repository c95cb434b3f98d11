"""The readers: text layout, JSONL, CSV, folders and archives, rejects, byte accounting and streaming.

Every input is real text: the NOS sample article, recombined, and the DpgMedia2019 corpus from ../shared.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tarfile
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from duiding.ingest.errors import Reject
from duiding.ingest.readers import (
    FORMATS,
    parse_datetime,
    parse_mapping,
    read_articles,
    total_bytes,
)
from duiding.model import Article

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SAMPLE_URL = "https://nos.nl/nieuwsuur/artikel/2448020-belarussen-willen-geen-oorlog-maar-hun-leider-doet-wat-poetin-wil"
COLON_LINE = "En er zijn zelfs Belarussische bataljons die meevechten aan de Oekraïense kant:"


def read(*paths: Path | str, **kwargs) -> tuple[list[Article], list[Reject]]:
    articles: list[Article] = []
    rejects: list[Reject] = []
    for record in read_articles(list(paths), **kwargs):
        (articles if isinstance(record, Article) else rejects).append(record)
    return articles, rejects


def only_article(*paths: Path | str, **kwargs) -> Article:
    articles, rejects = read(*paths, **kwargs)
    assert rejects == []
    (article,) = articles
    return article


def only_reject(*paths: Path | str, **kwargs) -> Reject:
    articles, rejects = read(*paths, **kwargs)
    assert articles == []
    (reject,) = rejects
    return reject


class Sample:
    """The sample file cut into its parts, to write variants of it."""

    def __init__(self, path: Path) -> None:
        self.lines = path.read_text(encoding="utf-8").split("\n")
        self.header = self.lines[:4]  # title, timestamp, URL, blank
        assert self.lines[-3:] == ["Nieuwsuur", "Buitenland", "Deel artikel:"]
        self.body = self.lines[4:-3]

    def write(self, path: Path, body: list[str], tail: list[str], header: list[str] | None = None) -> Path:
        path.write_text("\n".join([*(header or self.header), *body, *tail]), encoding="utf-8")
        return path


@pytest.fixture(scope="session")
def sample(sample_txt: Path) -> Sample:
    return Sample(sample_txt)


@pytest.fixture(scope="session")
def paragraphs(sample_txt: Path) -> list[str]:
    return only_article(sample_txt).text.split("\n")


# --- the archive text layout --------------------------------------------------------------------------


def test_sample_fields(sample_txt):
    a = only_article(sample_txt)
    assert a.title == "Belarussen willen geen oorlog, maar hun leider doet wat Poetin wil"
    assert a.published == datetime(2022, 10, 12, 7, 0, 2, tzinfo=timezone(timedelta(hours=2)))
    assert a.published.utcoffset() == timedelta(hours=2)
    assert (a.program, a.category) == ("Nieuwsuur", "Buitenland")
    assert a.url == SAMPLE_URL
    assert (a.outlet, a.source_id, a.id) == ("NOS", "2448020", "nos-2448020")
    assert a.text.startswith("Er zijn nog genoeg landen")
    assert a.text.endswith('versterkt zijn positie niet."')
    assert "Deel artikel" not in a.text and "Nieuwsuur\n" not in a.text
    assert COLON_LINE + "\n" in a.text  # a colon that introduced an embedded tweet stays in the body
    assert (a.source_file, a.source_line) == (str(sample_txt), 1)
    # one path may be given as it is
    assert [r.id for r in read_articles(sample_txt)] == ["nos-2448020"]
    assert total_bytes(sample_txt) == sample_txt.stat().st_size


def test_sample_text_equals_the_parsed_form_char_for_char(shared_dir, sample_txt):
    parsed = json.loads((shared_dir / "samples" / "nos-2448020.article.json").read_text(encoding="utf-8"))
    for path in (sample_txt, shared_dir / "samples" / "nos-2448020.txt"):
        a = only_article(path)
        assert a.text == parsed["text"]  # the gold quote offsets point into this text
        assert (a.id, a.title, a.url, a.program, a.category) == (
            parsed["id"],
            parsed["title"],
            parsed["url"],
            parsed["program"],
            parsed["category"],
        )
        assert a.published == datetime.fromisoformat(parsed["published"])
    # the same article as a JSONL line is the same article
    from_jsonl = only_article(shared_dir / "samples" / "nos-2448020.jsonl")
    assert from_jsonl.fingerprint() == only_article(sample_txt).fingerprint()
    assert from_jsonl.id == "nos-2448020"


def test_colon_ending_last_body_line_stays(tmp_path, sample):
    cut = sample.body.index(COLON_LINE) + 1
    for tail in (["Nieuwsuur", "Buitenland", "Deel artikel:"], ["Deel artikel:"], []):
        a = only_article(sample.write(tmp_path / "cut.txt", sample.body[:cut], tail))
        assert a.text.endswith("\n" + COLON_LINE)
        assert a.category == ("Buitenland" if tail[:1] == ["Nieuwsuur"] else None)


def test_one_label_is_the_programme_if_it_is_one_else_the_category(tmp_path, sample):
    a = only_article(sample.write(tmp_path / "p.txt", sample.body, ["NOS Journaal", "Deel artikel:"]))
    assert (a.program, a.category) == ("NOS Journaal", None)
    a = only_article(sample.write(tmp_path / "c.txt", sample.body, ["Politiek", "Deel artikel:"]))
    assert (a.program, a.category) == (None, "Politiek")
    assert a.text == "\n".join(sample.body)


def test_widget_residue_is_dropped_and_prose_is_not_a_label(tmp_path, sample):
    tail = ["Nieuwsuur", "Buitenland", "Delen:", "Deel dit artikel", "Lees ook:"]
    a = only_article(sample.write(tmp_path / "r.txt", sample.body, tail))
    assert (a.program, a.category) == ("Nieuwsuur", "Buitenland")
    assert a.text == "\n".join(sample.body)
    # no labels at all: the last paragraph ends a sentence and stays
    a = only_article(sample.write(tmp_path / "n.txt", sample.body, []))
    assert (a.program, a.category) == (None, None)
    assert a.text == "\n".join(sample.body)


def test_blank_lines_crlf_bom_and_timestamp_forms(tmp_path, sample, sample_txt):
    expected = only_article(sample_txt).text
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"\xef\xbb\xbf" + sample_txt.read_bytes().replace(b"\n", b"\r\n"))
    assert only_article(crlf).text == expected
    spaced = sample.write(
        tmp_path / "spaced.txt", [p + "\n" for p in sample.body], ["Nieuwsuur", "Buitenland"]
    )
    assert only_article(spaced).text == expected
    title, _, url, blank = sample.header
    for stamp, offset in (
        ("2022-10-12T07:00:02+02:00", 2),
        ("2022-10-12T05:00:02Z", 0),
        ("2022-10-12T07:00:02", 2),  # naive: Europe/Amsterdam, summer time
        ("2022-01-12 07:00:02", 1),  # naive in winter
    ):
        a = only_article(sample.write(tmp_path / "t.txt", sample.body, [], [title, stamp, url, blank]))
        assert a.published.utcoffset() == timedelta(hours=offset)
        assert a.published.astimezone(UTC).minute == 0
    a = only_article(
        sample.write(tmp_path / "t.txt", sample.body, [], [title, "2022-10-12T07:00:02", url, blank]),
        default_tz="UTC",
    )
    assert a.published.utcoffset() == timedelta(0)


def test_cp1252_encoding(tmp_path, sample_txt):
    path = tmp_path / "oud.txt"
    path.write_bytes(sample_txt.read_text(encoding="utf-8").encode("cp1252"))
    reject = only_reject(path)
    # the ï of Oekraïne in the first paragraph, on line 5
    assert (reject.line, reject.problem) == (5, "not utf-8 text: cannot decode byte 0xef")
    assert only_article(path, encoding="cp1252").text == only_article(sample_txt).text


# --- folders and archives ---------------------------------------------------------------------------


def _jsonl_line(paragraphs: list[str], i: int) -> str:
    return json.dumps(
        {
            "id": str(900 + i),
            "title": paragraphs[i][:70],
            "text": "\n".join(paragraphs[i : i + 3]),
            "published": f"2022-10-{10 + i:02d}T09:00:00+02:00",
            "url": f"https://nos.nl/artikel/{2448100 + i}-test",
        },
        ensure_ascii=False,
    )


def test_folder_walked_sorted_hidden_skipped(tmp_path, sample_txt, paragraphs):
    root = tmp_path / "archief"
    (root / "b" / "sub").mkdir(parents=True)
    (root / "a").mkdir()
    (root / ".git").mkdir()
    (root / "b" / "sub" / "nos-2448020.txt").write_bytes(sample_txt.read_bytes())
    (root / "a" / "more.jsonl").write_text(_jsonl_line(paragraphs, 1) + "\n", encoding="utf-8")
    (root / "a" / ".hidden.txt").write_text("niet lezen", encoding="utf-8")
    (root / ".git" / "x.txt").write_text("niet lezen", encoding="utf-8")
    articles, rejects = read(root)
    assert rejects == []
    assert [a.source_file for a in articles] == [
        str(root / "a" / "more.jsonl"),
        str(root / "b" / "sub" / "nos-2448020.txt"),
    ]
    assert [a.id for a in articles] == ["nos-2448101", "nos-2448020"]


def _archive_members(sample_txt: Path, paragraphs: list[str]) -> dict[str, bytes]:
    return {
        "archief/nos-2448020.txt": sample_txt.read_bytes(),
        "archief/export.jsonl": (
            _jsonl_line(paragraphs, 1) + "\n" + _jsonl_line(paragraphs, 2) + "\n"
        ).encode(),
        "__MACOSX/archief/._nos-2448020.txt": b"\x00\x05\x16\x07 resource fork",
        "archief/.DS_Store": b"\x00\x00\x00\x01Bud1",
    }


def _expect_members(articles: list[Article], rejects: list[Reject], archive: Path) -> None:
    assert rejects == []
    assert [(a.source_file, a.source_line, a.id) for a in articles] == [
        (f"{archive}!archief/nos-2448020.txt", 1, "nos-2448020"),
        (f"{archive}!archief/export.jsonl", 1, "nos-2448101"),
        (f"{archive}!archief/export.jsonl", 2, "nos-2448102"),
    ]


def test_zip_members(tmp_path, sample_txt, paragraphs):
    path = tmp_path / "archief.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archief/", "")
        for name, data in _archive_members(sample_txt, paragraphs).items():
            zf.writestr(name, data)
    _expect_members(*read(path), path)


@pytest.mark.parametrize("suffix,mode", [(".tar.gz", "w:gz"), (".tgz", "w:gz"), (".tar", "w")])
def test_tar_members(tmp_path, sample_txt, paragraphs, suffix, mode):
    path = tmp_path / f"archief{suffix}"
    with tarfile.open(path, mode) as tf:
        for name, data in _archive_members(sample_txt, paragraphs).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    _expect_members(*read(path), path)


def test_gzipped_jsonl_and_csv(tmp_path, paragraphs):
    jsonl = tmp_path / "export.jsonl.gz"
    with gzip.open(jsonl, "wt", encoding="utf-8") as fh:
        fh.write(_jsonl_line(paragraphs, 3) + "\n")
    table = tmp_path / "export.csv.gz"
    with gzip.open(table, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["title", "content"])
        writer.writerow(["Belarus", paragraphs[4]])
    articles, rejects = read(jsonl, table)
    assert rejects == []
    assert [(a.source_file, a.source_line) for a in articles] == [(str(jsonl), 1), (str(table), 2)]
    assert articles[0].id == "nos-2448103"
    assert (articles[1].title, articles[1].text) == ("Belarus", paragraphs[4])


# --- JSON Lines and CSV -------------------------------------------------------------------------------


def test_dpgmedia_jsonl_reads_whole(shared_dir):
    corpus = shared_dir / "data" / "dpgmedia2019-nl-news" / "dpgMedia2019-articles-byarticle-all.jsonl"
    # what each line should become, worked out independently (nothing of a record is shown)
    expected_ids: dict[int, str] = {}
    expected_rejects: list[tuple[int, str]] = []
    with corpus.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            record = json.loads(line)
            problems = [
                p
                for p, empty in (("missing title", record["title"]), ("missing body text", record["text"]))
                if not empty.strip()
            ]
            if problems:
                expected_rejects.append((lineno, "; ".join(problems)))
            else:
                expected_ids[lineno] = str(record["id"])
    articles, rejects = read(corpus)
    assert len(articles) + len(rejects) == len(expected_ids) + len(expected_rejects) == 1438
    assert sum("missing body text" in p for _, p in expected_rejects) == 40
    assert sum("missing title" in p for _, p in expected_rejects) == 19
    assert [(r.line, r.problem) for r in rejects] == expected_rejects
    assert all(r.source == str(corpus) for r in rejects)
    assert {a.source_line: a.id for a in articles} == expected_ids
    # (line numbers only in the failure message: no record of this corpus is ever shown)
    odd = [
        a.source_line
        for a in articles
        if not (
            a.source_id == a.id
            and a.outlet is None
            and a.url is None
            and a.published is not None
            and a.published.tzinfo == AMSTERDAM
            and (a.published.hour, a.published.minute) == (0, 0)  # a date: midnight in Amsterdam
        )
    ]
    assert odd == []


def _nos_csv(path: Path, paragraphs: list[str]) -> Path:
    """The NOS dump layout: datetime,title,content,category,url, content with commas, quotes, newlines."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["datetime", "title", "content", "category", "url"])
        writer.writerow(
            [
                "2010-01-01 00:09:00",
                "Loekasjenko doet wat Poetin wil",
                "\n".join(paragraphs[:3]),
                "Buitenland",
                "https://nos.nl/artikel/130001-loekasjenko",
            ]
        )
        writer.writerow(
            [
                "2010-07-01 12:30:00",
                "Hummels over Belarus",
                paragraphs[6],
                "Buitenland",
                "https://nos.nl/artikel/130002",
            ]
        )
    return path


def test_nos_csv_layout(tmp_path, paragraphs):
    path = _nos_csv(tmp_path / "nos.csv", paragraphs)
    articles, rejects = read(path)
    assert rejects == []
    first, second = articles
    assert (first.id, first.outlet, first.category) == ("nos-130001", "NOS", "Buitenland")
    assert first.source_line == 2
    assert first.text == "\n".join(paragraphs[:3])
    assert first.published == datetime(2010, 1, 1, 0, 9, tzinfo=AMSTERDAM)
    assert first.published.utcoffset() == timedelta(hours=1)
    assert second.source_line == 5  # the first record spans lines 2 to 4
    assert second.published.utcoffset() == timedelta(hours=2)
    assert '"' in second.text and second.text == paragraphs[6]


def test_mapping_override(tmp_path, paragraphs):
    path = tmp_path / "eigen.csv"
    path.write_text(
        "kopregel;artikeltekst;moment;adres;text\n"
        f"Poetin en Belarus;{paragraphs[2]};1665550802;https://nos.nl/artikel/2448020;niet de tekst\n",
        encoding="utf-8",
    )
    mapping = parse_mapping("title=kopregel, text=artikeltekst,published=moment ,url=ADRES")
    a = only_article(path, mapping=mapping)
    assert (a.title, a.text, a.id) == ("Poetin en Belarus", paragraphs[2], "nos-2448020")
    # from epoch seconds
    assert a.published == datetime(2022, 10, 12, 7, 0, 2, tzinfo=timezone(timedelta(hours=2)))
    # a column mapped to one field is not also read as another by its name
    path.write_text("text;content\nEen kop over Belarus;" + paragraphs[1] + "\n", encoding="utf-8")
    a = only_article(path, mapping={"title": "text"})
    assert (a.title, a.text) == ("Een kop over Belarus", paragraphs[1])


def test_mapping_to_an_absent_column_or_no_title_column_rejects_the_file_once(tmp_path, paragraphs):
    path = _nos_csv(tmp_path / "nos.csv", paragraphs)
    reject = only_reject(path, mapping={"text": "body_text"})
    assert reject.line == 1
    assert "text (mapped to 'body_text')" in reject.problem and "datetime, title, content" in reject.problem
    path.write_text("datum,inhoud\n2010-01-01,Tekst\n", encoding="utf-8")
    assert "no column for title" in only_reject(path).problem


def test_parse_mapping():
    assert parse_mapping(None) == {} and parse_mapping("  ") == {}
    assert parse_mapping("text=content,published=datetime") == {"text": "content", "published": "datetime"}
    assert parse_mapping(" text = Body Text ") == {"text": "Body Text"}
    for spec, message in (
        ("text", "expected FIELD=COLUMN"),
        ("text=", "expected FIELD=COLUMN"),
        ("=content", "expected FIELD=COLUMN"),
        ("kop=titel", "unknown field 'kop'"),
        ("text=a,text=b", "mapped twice"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_mapping(spec)


def test_format_by_content_or_forced(tmp_path, sample_txt, paragraphs):
    dump = tmp_path / "export.dat"
    dump.write_text(_jsonl_line(paragraphs, 5) + "\n", encoding="utf-8")
    assert only_article(dump).id == "nos-2448105"
    plain = tmp_path / "nos-2448020"
    plain.write_bytes(sample_txt.read_bytes())
    assert only_article(plain).id == "nos-2448020"
    misnamed = tmp_path / "artikel.csv"
    misnamed.write_bytes(sample_txt.read_bytes())
    assert only_article(misnamed, fmt="text").program == "Nieuwsuur"


def test_bad_arguments_raise_before_reading(tmp_path):
    with pytest.raises(ValueError, match="unknown format"):
        read_articles([tmp_path], fmt="xml")
    with pytest.raises(ValueError, match="unknown encoding"):
        read_articles([tmp_path], encoding="klingon")
    with pytest.raises(ValueError, match="unknown time zone"):
        read_articles([tmp_path], default_tz="Europe/Nergenshuizen")
    with pytest.raises(ValueError, match="unknown field"):
        read_articles([tmp_path], mapping={"kop": "title"})
    assert FORMATS == ("text", "jsonl", "csv", "html")


def test_parse_datetime():
    assert parse_datetime("2019-02-12", AMSTERDAM) == datetime(2019, 2, 12, tzinfo=AMSTERDAM)
    assert parse_datetime("2010-01-01 00:09:00", AMSTERDAM) == datetime(2010, 1, 1, 0, 9, tzinfo=AMSTERDAM)
    instant = datetime(2022, 10, 12, 5, 0, 2, tzinfo=UTC)
    assert parse_datetime("2022-10-12T07:00:02+0200", AMSTERDAM) == instant
    assert parse_datetime(1665550802, AMSTERDAM) == instant
    assert parse_datetime("1665550802", AMSTERDAM) == instant
    assert parse_datetime("", AMSTERDAM) is None and parse_datetime(None, AMSTERDAM) is None
    for bad in ("gisteren", "12-10-2022", True, [2022]):
        with pytest.raises(ValueError, match="unparseable date"):
            parse_datetime(bad, AMSTERDAM)


# --- bad input: a reject each, and the rest goes on --------------------------------------------------


def test_jsonl_bad_lines_are_rejected_one_by_one(tmp_path, paragraphs):
    good = json.loads(_jsonl_line(paragraphs, 0))
    lines = [
        json.dumps(good, ensure_ascii=False).encode(),
        json.dumps({**good, "title": "  "}).encode(),
        json.dumps({**good, "text": ""}).encode(),
        json.dumps({**good, "published": "gisteren"}).encode(),
        b'{"id": "a4", "title": "afgebroken',
        b"[1, 2]",
        b'"alleen tekst"',
        json.dumps({**good, "title": "Kapotte byte"}).encode().replace(b"Kapotte", b"Kapotte \xff"),
        b"",
        json.dumps({**good, "text": {"p": 1}}).encode(),
        json.dumps({**good, "url": "nos.nl/artikel/1"}).encode(),
        json.dumps({**good, "id": 7, "url": None, "text": paragraphs[1:3]}, ensure_ascii=False).encode(),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    articles, rejects = read(path)
    assert [(r.source, r.line) for r in rejects] == [(str(path), n) for n in (2, 3, 4, 5, 6, 7, 8, 10, 11)]
    problems = [r.problem for r in rejects]
    assert problems[:3] == ["missing title", "missing body text", "unparseable date 'gisteren'"]
    assert problems[3] == "invalid JSON: Invalid control character at column 34"  # the line break
    assert problems[4:7] == [
        "not a JSON object but a JSON array",
        "not a JSON object but a JSON string",
        "not utf-8 text: cannot decode byte 0xff",
    ]
    assert problems[7] == "text: expected text, not a JSON object"
    assert problems[8] == "url: not an http(s) URL: 'nos.nl/artikel/1'"
    assert [a.source_line for a in articles] == [1, 12]
    assert (articles[1].id, articles[1].text) == ("7", "\n".join(paragraphs[1:3]))  # paragraphs joined


def test_pretty_printed_json_is_one_reject(tmp_path, paragraphs):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([json.loads(_jsonl_line(paragraphs, 0))], indent=2), encoding="utf-8")
    problem = "pretty-printed JSON, not JSON Lines (one object per line)"
    assert only_reject(path) == Reject(str(path), 1, problem)


def test_text_file_with_a_bad_byte_is_rejected_at_its_line(tmp_path, sample_txt):
    data = sample_txt.read_bytes().split(b"\n")
    data[6] = data[6].replace(b"Loekasjenko", b"Loekasjenk\xf6", 1)
    path = tmp_path / "kapot.txt"
    path.write_bytes(b"\n".join(data))
    articles, rejects = read(path, sample_txt)
    assert rejects == [Reject(str(path), 7, "not utf-8 text: cannot decode byte 0xf6")]
    assert [a.source_file for a in articles] == [str(sample_txt)]


def test_text_file_without_title_or_body(tmp_path, sample):
    title, stamp, url, blank = sample.header
    reject = only_reject(sample.write(tmp_path / "t.txt", sample.body, [], ["", stamp, url, blank]))
    assert (reject.line, reject.problem) == (1, "missing title")
    reject = only_reject(sample.write(tmp_path / "b.txt", [], ["Deel artikel:"]))
    assert reject.problem == "missing body text"
    reject = only_reject(sample.write(tmp_path / "d.txt", sample.body, [], [title, "gisteren", url, blank]))
    assert reject.problem == "unparseable date 'gisteren'"


def test_csv_bad_records(tmp_path, paragraphs):
    path = tmp_path / "nos.csv"
    header = b"datetime,title,content,category,url\n"
    good = (
        f'2010-01-01 00:09:00,Belarus,"{paragraphs[0]}",Buitenland,https://nos.nl/artikel/130001\n'.encode()
    )
    rows = [
        good,
        b"2010-01-01 00:10:00,Kort,Alleen dit\n",  # line 3: truncated
        good.replace(b"Belarus", b"Bela\xffrus"),  # line 4: a bad byte spoils only this record
        good.replace(b"Belarus", b"Minsk", 1).replace(b"130001", b"130002"),  # line 5
        b"gisteren,Datum,Tekst,Binnenland,\n",  # line 6
        b"2010-01-01 00:11:00,Te veel,Tekst,Binnenland,https://nos.nl/artikel/130003,extra\n",  # line 7
        b'2010-01-01 00:12:00,Open,"Een aanhalingsteken dat nooit sluit\nen nog een regel\n',  # line 8
    ]
    path.write_bytes(header + b"".join(rows))
    articles, rejects = read(path)
    assert [a.source_line for a in articles] == [2, 5]
    assert [(r.line, r.problem) for r in rejects] == [
        (3, "truncated row: expected 5 fields, got 3"),
        (4, "not utf-8 text: cannot decode byte 0xff"),
        (6, "unparseable date 'gisteren'"),
        (7, "too many fields: expected 5, got 6"),
        (8, "unterminated quoted field at end of file"),
    ]


def test_bom_and_semicolons_and_tsv(tmp_path, paragraphs):
    semi = tmp_path / "excel.csv"
    semi.write_bytes(b"\xef\xbb\xbfTitel;Tekst\r\nBelarus;" + paragraphs[0].encode() + b"\r\n")
    assert only_article(semi).text == paragraphs[0]
    tsv = tmp_path / "export.tsv"
    tsv.write_text(f"title\ttext\tdate\nBelarus, Rusland\t{paragraphs[1]}\t2019-02-12\n", encoding="utf-8")
    a = only_article(tsv)
    assert (a.title, a.text) == ("Belarus, Rusland", paragraphs[1])
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + _jsonl_line(paragraphs, 0).encode() + b"\r\n")
    assert only_article(bom).id == "nos-2448100"


def test_file_level_rejects(tmp_path, sample_txt):
    empty = tmp_path / "leeg.txt"
    empty.write_bytes(b"")
    blank = tmp_path / "leeg.jsonl"
    blank.write_bytes(b"\n  \n")
    binary = tmp_path / "plaatje.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    missing = tmp_path / "weg.txt"
    not_zip = tmp_path / "kapot.zip"
    not_zip.write_bytes(sample_txt.read_bytes())
    truncated_zip = tmp_path / "half.zip"
    with zipfile.ZipFile(truncated_zip, "w") as zf:
        zf.writestr("nos.txt", sample_txt.read_bytes())
    truncated_zip.write_bytes(truncated_zip.read_bytes()[:200])
    hollow_zip = tmp_path / "hol.zip"
    with zipfile.ZipFile(hollow_zip, "w") as zf:
        zf.writestr("map/", "")
        zf.writestr("map/.verborgen.txt", sample_txt.read_bytes())
    inputs = (empty, blank, binary, missing, not_zip, truncated_zip, hollow_zip)
    articles, rejects = read(*inputs, sample_txt)
    assert len(articles) == 1
    assert [(r.source, r.line) for r in rejects] == [(str(p), None) for p in inputs]
    problems = [r.problem for r in rejects]
    assert problems[:4] == ["empty file", "empty file", "binary file, not text", "no such file or directory"]
    assert problems[4].startswith("corrupt zip archive") and problems[5].startswith("corrupt zip archive")
    assert problems[6] == "no files in archive"


def test_corrupt_archives_keep_what_came_before(tmp_path, sample_txt):
    path = tmp_path / "archief.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for i in range(3):
            data = sample_txt.read_bytes().replace(b"2448020", str(2448200 + i).encode())
            info = tarfile.TarInfo(f"nos-{i}.txt")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    full = path.read_bytes()
    path.write_bytes(full[:-100])  # cut off in the second or third member
    articles, rejects = read(path)
    assert articles[0].source_file == f"{path}!nos-0.txt"
    (reject,) = rejects
    assert reject.source == f"{path}!nos-{len(articles)}.txt"
    assert reject.problem == "corrupt tar archive: unexpected end of data"
    # a zip member spoilt in place is one reject; the members around it are read
    zpath = tmp_path / "archief.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("a.txt", "b.txt", "c.txt"):
            zf.writestr(name, sample_txt.read_bytes())
    with zipfile.ZipFile(zpath) as zf:
        spoil = zf.getinfo("b.txt").header_offset + 60
    data = bytearray(zpath.read_bytes())
    data[spoil : spoil + 8] = b"\x00" * 8
    zpath.write_bytes(bytes(data))
    articles, rejects = read(zpath)
    assert [a.source_file for a in articles] == [f"{zpath}!a.txt", f"{zpath}!c.txt"]
    (reject,) = rejects
    assert reject.source == f"{zpath}!b.txt" and reject.problem.startswith("corrupt zip member: ")


def test_archive_inside_an_archive_is_not_read(tmp_path, sample_txt):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("nos.txt", sample_txt.read_bytes())
    path = tmp_path / "dubbel.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("binnen.zip", inner.getvalue())
    assert only_reject(path) == Reject(f"{path}!binnen.zip", None, "archive inside an archive, not read")


# --- byte accounting and streaming --------------------------------------------------------------------


def test_on_bytes_adds_up_to_total_bytes(tmp_path, sample_txt, paragraphs):
    folder = tmp_path / "map"
    folder.mkdir()
    (folder / "nos.txt").write_bytes(sample_txt.read_bytes())
    (folder / "leeg.txt").write_bytes(b"")
    (folder / "plaatje.txt").write_bytes(b"\x00" * 100)
    (folder / ".verborgen.txt").write_bytes(b"x" * 1000)
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _archive_members(sample_txt, paragraphs).items():
            zf.writestr(name, data)
    tpath = tmp_path / "a.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        tf.add(sample_txt, "nos.txt")
    gpath = tmp_path / "a.jsonl.gz"
    gpath.write_bytes(gzip.compress("\n".join(_jsonl_line(paragraphs, i) for i in range(8)).encode()))
    csv_path = _nos_csv(tmp_path / "nos.csv", paragraphs)
    paths = [folder, zpath, tpath, gpath, csv_path, tmp_path / "weg.jsonl"]
    seen: list[int] = []
    articles, rejects = read(*paths, on_bytes=seen.append)
    assert len(articles) == 1 + 3 + 1 + 8 + 2 and len(rejects) == 3
    assert all(n > 0 for n in seen)
    expected = sum(p.stat().st_size for p in (zpath, tpath, gpath, csv_path, *folder.iterdir())) - 1000
    assert sum(seen) == total_bytes(paths) == expected


def test_reading_streams(tmp_path, paragraphs):
    path = tmp_path / "groot.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(3000):
            fh.write(_jsonl_line(paragraphs, i % 15).replace('"id": "', f'"id": "{i}-', 1) + "\n")
    size = path.stat().st_size
    assert size > 1_000_000
    seen: list[int] = []
    records = read_articles([path], on_bytes=seen.append)
    assert seen == []  # nothing is read before the first record is asked for
    first = next(records)
    assert isinstance(first, Article) and first.source_line == 1
    assert 0 < sum(seen) < size / 100  # the first record came before the rest of the file was read
    assert sum(1 for _ in records) == 2999
    assert sum(seen) == size
