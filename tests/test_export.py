"""``duiding export`` and duiding.analysis.export: every format read back and compared with the store,
and memory that does not grow with the number of rows."""

from __future__ import annotations

import csv
import json
import random
import tracemalloc
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from corpus import sample_article
from duiding.analysis import COLUMNS, FORMATS, WHAT, export
from duiding.analysis.export import LIST_SEPARATOR
from duiding.cli import main
from duiding.search.query import parse_query
from duiding.store import open_archive

INTEGER = {"start", "end", "mentions", "entities", "quotes"}


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def sample_db(new_db, sample_txt) -> str:
    db = new_db()
    assert invoke("ingest", sample_txt, "--db", db).exit_code == 0
    return db


def read_back(path: Path, fmt: str, what: str) -> list[dict]:
    """The rows of an export file, typed as the export wrote them (CSV: numbers, lists, None restored)."""
    if fmt == "jsonl":
        return [json.loads(line) for line in path.open(encoding="utf-8")]
    if fmt == "parquet":
        table = pq.read_table(path)
        assert table.schema.names == list(COLUMNS[what])
        return table.to_pylist()
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == list(COLUMNS[what])
        rows = []
        for raw in reader:
            row: dict = {}
            for k, v in raw.items():
                if k in INTEGER:
                    row[k] = int(v)
                elif k == "aliases":
                    row[k] = v.split(LIST_SEPARATOR) if v else []
                else:
                    row[k] = v if v != "" else None
            rows.append(row)
        return rows


def expected_rows(archive, what: str, query: str | None = None) -> list[dict]:
    """What an export must hold, from the store's articles (``Archive.iter_articles``) and entities."""
    arts = list(archive.iter_articles())
    if query:
        ids = {h.article.id for h in archive.search(parse_query(query), limit=100_000).hits}
        arts = [a for a in arts if a.id in ids]
    if what == "articles":
        return [
            {
                "id": a.id,
                "url": a.url,
                "outlet": a.outlet,
                "published": a.published.isoformat() if a.published else None,
                "category": a.category,
                "program": a.program,
                "title": a.title,
                "text": a.text,
                "mentions": len(a.entities),
                "entities": len({m.entity_id for m in a.entities if m.entity_id}),
                "quotes": len(a.quotes),
            }
            for a in arts
        ]
    if what == "quotes":
        return [
            {
                "article_id": a.id,
                "published": a.published.isoformat() if a.published else None,
                "outlet": a.outlet,
                "start": q.start,
                "end": q.end,
                "text": a.text[q.start : q.end],
                "type": q.type,
                "speaker": q.speaker,
                "aliases": q.speaker_aliases,
                "cue": q.cue,
                "role": q.role,
                "organisation": q.organisation,
                "speaker_entity_id": q.speaker_entity_id,
            }
            for a in arts
            for q in a.quotes
        ]
    mentions = Counter(m.entity_id for a in arts for m in a.entities if m.entity_id)
    records = {e.id: e for e in archive.entities()}
    return [
        {
            "entity_id": i,
            "label": records[i].label,
            "canonical": records[i].canonical,
            "aliases": records[i].aliases,
            "mentions": n,
        }
        for i, n in mentions.items()
    ]


def by_key(rows: list[dict], what: str) -> dict:
    keys = {"articles": ("id",), "quotes": ("article_id", "start", "end"), "entities": ("entity_id",)}[what]
    return {tuple(r[k] for k in keys): r for r in rows}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("what", WHAT)
def test_sample_export_round_trips(sample_db, tmp_path, what, fmt):
    path = tmp_path / f"out.{fmt}"
    result = invoke("export", "Belarus", "--what", what, "-o", path, "--db", sample_db)
    assert result.exit_code == 0, result.output
    rows = read_back(path, fmt, what)
    archive = open_archive(sample_db)
    try:
        expected = expected_rows(archive, what)
    finally:
        archive.close()
    assert len(rows) == len(expected) > 0
    assert by_key(rows, what) == by_key(expected, what)
    if what == "entities":  # most mentioned first
        assert [r["mentions"] for r in rows] == sorted((r["mentions"] for r in rows), reverse=True)
    if what == "quotes":
        assert any(r["speaker"] == "Franka Hummels" and r["aliases"] == ["Hummels"] for r in rows)
    assert not list(tmp_path.glob(".*.part"))


def test_export_of_a_query_that_finds_nothing_has_a_header_only(sample_db, tmp_path):
    for fmt in FORMATS:
        path = tmp_path / f"none.{fmt}"
        assert invoke("export", "voetbal", "--what", "quotes", "-o", path, "--db", sample_db).exit_code == 0
        assert read_back(path, fmt, "quotes") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["(Belarus AND", "-o", "x.csv"], "error: query error"),
        (["--what", "speakers", "-o", "x.csv"], "error: unknown --what 'speakers'"),
        (["--format", "xlsx", "-o", "x.xlsx"], "error: unknown --format 'xlsx'"),
        (["-o", "x.txt"], "error: cannot tell the format"),
        (["-o", "no/such/dir/x.csv"], "error: no/such/dir: no such directory"),
    ],
)
def test_export_bad_input_is_a_clear_error(sample_db, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export", *args, "--db", str(sample_db)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith(message)
    assert not list(tmp_path.glob("x.*"))


@pytest.mark.slow
def test_dpgmedia_quotes_and_entities_round_trip(tmp_path, shared_dir, db):
    from duiding.nlp.vectors import dpgmedia_records

    corpus = tmp_path / "dpg.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        n = 0
        for record in dpgmedia_records(shared_dir / "data"):
            if record["title"].strip() and record["text"].strip():
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
                if n == 120:
                    break
    assert invoke("ingest", corpus, "--db", db).exit_code == 0
    archive = open_archive(db)
    try:
        for query in (None, "minister OR kabinet"):
            for what in ("quotes", "entities", "articles"):
                expected = by_key(expected_rows(archive, what, query), what)
                assert expected
                for fmt in FORMATS:
                    path = tmp_path / f"{what}.{fmt}"
                    n = export(archive, query, what, fmt, path)
                    rows = read_back(path, fmt, what)
                    assert n == len(rows) == len(expected)
                    assert by_key(rows, what) == expected, (query, what, fmt)
    finally:
        archive.close()


def write_shuffled_corpus(path: Path, sample_txt: Path, n: int) -> Path:
    """``n`` articles of the sample's words, each shuffled its own way (so no two are near-duplicates),
    in paragraphs, with their own URL, date and category (Buitenland, Binnenland, Politiek in turn)."""
    words = sample_article(sample_txt).text.split()
    start = datetime.fromisoformat("2022-01-01T08:00:00+01:00")
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            shuffled = random.Random(i).sample(words, len(words))
            body = "\n".join(" ".join(shuffled[k : k + 60]) for k in range(0, len(shuffled), 60))
            record = {
                "title": " ".join(shuffled[:8]) + f" ({i})",
                "text": body,
                "published": (start + timedelta(hours=7 * i)).isoformat(),
                "url": f"https://nos.nl/artikel/{100000 + i}-test",
                "category": ["Buitenland", "Binnenland", "Politiek"][i % 3],
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def test_export_streams_in_bounded_memory(tmp_path, sample_txt, db):
    """3,000 articles (about 15 MB of text) exported in every format: the Python heap's peak stays a
    fraction of the text (a loose sanity bound, not a benchmark: see benchmarks/analysis.py)."""
    corpus = write_shuffled_corpus(tmp_path / "big.jsonl", sample_txt, 3_000)
    result = invoke("ingest", corpus, "--db", db, "--no-nlp", "--json")
    assert json.loads(result.stdout)["added"] == 3_000
    archive = open_archive(db)
    try:
        text_chars = sum(len(a.text) for a in archive.iter_articles())
        assert text_chars > 12_000_000
        for query in (None, "category:Buitenland OR category:Politiek"):
            for fmt in FORMATS:
                path = tmp_path / f"articles.{fmt}"
                tracemalloc.start()
                try:
                    n = export(archive, query, "articles", fmt, path)
                    peak = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
                assert n == (3_000 if query is None else 2_000)
                assert peak < text_chars * 0.4, (fmt, peak, text_chars)
                if fmt == "jsonl":
                    with path.open(encoding="utf-8") as fh:
                        assert sum(1 for _ in fh) == n
                path.unlink()
    finally:
        archive.close()
