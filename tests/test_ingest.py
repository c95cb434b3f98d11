"""Ingest into the store: idempotence, updates, rejects, --strict, and a kill -9 mid-run.

The storage tests run against both backends (``db``: a data directory, or a PostgreSQL database); the
ones about the embedded index catching up with SQLite are the embedded backend's own.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus import sample_article, write_jsonl_corpus
from duiding.ingest.pipeline import IngestOptions, ingest
from duiding.search.query import parse_query
from duiding.store import is_server_url, local_dir, open_archive
from duiding.store.embedded import DATABASE_FILE


def run_ingest(db: str | Path, *paths: Path, rejects: Path | None = None, **opts):
    opts.setdefault("nlp", False)  # these tests are about storage; tests/test_nlp_ingest.py runs the NLP
    archive = open_archive(db)
    try:
        rejects = rejects or local_dir(db) / "rejects" / "r.jsonl"
        return ingest(archive, list(paths), rejects, IngestOptions(**opts))
    finally:
        archive.close()


def test_reingest_adds_nothing(db, sample_txt):
    first = run_ingest(db, sample_txt)
    assert (first.added, first.updated, first.unchanged, first.rejected) == (1, 0, 0, 0)
    second = run_ingest(db, sample_txt)
    assert (second.added, second.updated, second.unchanged, second.rejected) == (0, 0, 1, 0)
    archive = open_archive(db)
    try:
        assert archive.count() == 1
        assert archive.search(parse_query("Loekasjenko")).total == 1
    finally:
        archive.close()


def test_changed_article_is_updated_not_duplicated(db, tmp_path, sample_txt):
    run_ingest(db, sample_txt, rejects=tmp_path / "r.jsonl")
    edited = tmp_path / "edited.txt"
    edited.write_text(
        sample_txt.read_text(encoding="utf-8")
        .replace("Deel artikel:", "Correctie: Loeksjenko is Loekasjenko.\nDeel artikel:")
        .replace("Er zijn nog genoeg landen", "Er zijn nog steeds genoeg landen"),
        encoding="utf-8",
    )
    summary = run_ingest(db, edited)
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 0)
    archive = open_archive(db)
    try:
        assert archive.count() == 1
        stored = archive.get("nos-2448020")
        assert stored is not None and stored.text.startswith("Er zijn nog steeds genoeg landen")
        # the index follows the update: the new wording is found, the old phrase is not
        assert archive.search(parse_query('"nog steeds genoeg landen"')).total == 1
        assert archive.search(parse_query('"zijn nog genoeg landen"')).total == 0
    finally:
        archive.close()


def test_same_article_twice_in_one_batch(db, tmp_path, sample_txt):
    copy = tmp_path / "copy" / "nos-2448020.txt"
    copy.parent.mkdir()
    copy.write_bytes(sample_txt.read_bytes())
    summary = run_ingest(db, sample_txt, copy, rejects=tmp_path / "r.jsonl")
    assert (summary.added, summary.unchanged) == (1, 1)


def test_bad_records_are_reported_and_the_rest_goes_on(db, tmp_path, sample_txt):
    good = sample_article(sample_txt)
    lines = [
        json.dumps({"id": "a1", "title": good.title, "text": good.text, "published": "2022-10-12"}),
        json.dumps({"id": "a2", "title": "", "text": good.text}),
        json.dumps({"id": "a3", "title": "Datum kapot", "text": good.text, "published": "gisteren"}),
        '{"id": "a4", "title": "afgebroken',
        json.dumps({"id": "a5", "title": "Tweede goed", "text": "Een ander verhaal over Den Haag."}),
    ]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = run_ingest(db, src, rejects=tmp_path / "rejects" / "r.jsonl")
    assert (summary.added, summary.rejected) == (2, 3)
    report = [json.loads(line) for line in (tmp_path / "rejects" / "r.jsonl").read_text().splitlines()]
    assert [(r["line"]) for r in report] == [2, 3, 4]
    assert all(r["source"].endswith("mixed.jsonl") for r in report)
    assert "title" in report[0]["problem"]
    assert "gisteren" in report[1]["problem"]


def test_strict_stores_nothing_when_anything_is_bad(db, tmp_path, sample_txt):
    src = tmp_path / "one-bad.jsonl"
    src.write_text(
        json.dumps({"id": "g", "title": "Goed", "text": "Tekst over Rotterdam."})
        + "\n"
        + json.dumps({"id": "b", "title": "Slecht", "text": ""})
        + "\n",
        encoding="utf-8",
    )
    summary = run_ingest(db, src, strict=True, rejects=tmp_path / "r.jsonl")
    assert summary.rejected == 1 and not summary.stored
    archive = open_archive(db)
    try:
        assert archive.count() == 0
    finally:
        archive.close()


def test_index_catches_up_after_a_crash_between_commits(tmp_path, sample_txt):  # the embedded index
    """Rows committed to SQLite but never indexed (the process died in between) are indexed next run."""
    db = tmp_path / "db"
    run_ingest(db, sample_txt)
    with sqlite3.connect(db / DATABASE_FILE) as conn:
        conn.execute("UPDATE articles SET indexed = 0")
    archive = open_archive(db)
    archive.index.delete_all()
    archive.index.commit()
    archive.close()
    summary = run_ingest(db, sample_txt)
    assert summary.recovered == 1 and summary.unchanged == 1
    archive = open_archive(db)
    try:
        assert archive.pending_index() == 0
        assert archive.search(parse_query("Clingendael")).total == 1
    finally:
        archive.close()


def _stored(db: str | Path) -> tuple[int, int, set[str]]:
    """How many articles the store holds, how many distinct identities, and their source ids, read
    straight from its database (SQLite file or PostgreSQL server), not through duiding."""
    if is_server_url(db):
        import psycopg

        with psycopg.connect(str(db)) as conn:
            n, distinct = conn.execute("SELECT count(*), count(DISTINCT identity) FROM articles").fetchone()
            return n, distinct, {r[0] for r in conn.execute("SELECT source_id FROM articles")}
    with sqlite3.connect(Path(db) / DATABASE_FILE) as conn:
        n, distinct = conn.execute("SELECT count(*), count(DISTINCT identity) FROM articles").fetchone()
        return n, distinct, {row[0] for row in conn.execute("SELECT source_id FROM articles")}


def _count(db: str | Path) -> int:
    """Articles stored so far, while an ingest runs (0 before its first batch)."""
    if is_server_url(db):
        import psycopg

        try:
            with psycopg.connect(str(db), connect_timeout=5) as conn:
                row = conn.execute("SELECT count(*) FROM articles").fetchone()
                return int(row[0]) if row else 0
        except psycopg.Error:
            return 0
    try:
        with sqlite3.connect(f"file:{Path(db) / DATABASE_FILE}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_kill_9_mid_ingest_then_rerun_gives_exactly_the_input(db, tmp_path, sample_txt):
    n = 6000
    src = write_jsonl_corpus(tmp_path / "big.jsonl", sample_txt, n)
    cmd = [sys.executable, "-m", "duiding.cli", "ingest", str(src), "--db", str(db), "--batch-size", "100"]
    cmd.append("--no-nlp")  # storage is under test; NLP would only slow the run down
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(db) < 1000 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; make the corpus bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = _count(db)
    assert 0 < killed_at < n

    done = subprocess.run([*cmd, "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)
    assert summary["added"] + summary["unchanged"] == n
    assert summary["added"] == n - killed_at
    assert summary["rejected"] == 0

    count, identities, ids = _stored(db)
    assert (count, identities) == (n, n)
    assert ids == {str(100000 + i) for i in range(n)}
    archive = open_archive(db)
    try:
        assert archive.pending_index() == 0
        assert archive.search(parse_query("*")).total == n
        assert archive.search(parse_query("Clingendael")).total == n
    finally:
        archive.close()


def test_opening_a_new_archive_while_its_first_batch_is_written_keeps_the_index(tmp_path, sample_txt):
    db = tmp_path / "db"
    writer = open_archive(db)
    try:
        writer.index.add(1, sample_article(sample_txt))  # first batch in flight, not committed yet
        reader = open_archive(db)  # e.g. `duiding search` meanwhile
        assert not reader.index.needs_rebuild
        reader.close()
        writer.index.commit()
        assert writer.index.num_docs() == 1
    finally:
        writer.close()
