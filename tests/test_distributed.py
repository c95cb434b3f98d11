"""Ingest with the NLP on a real Dask cluster (``duiding ingest --workers N`` / ``--cluster ADDRESS``).

Every test compares with the serial ingest of the same input: the same articles with the same ids,
duplicate clusters, entities and quotes, the same summary and the same rejects report. The cluster is a
real ``LocalCluster`` of two worker processes (one thread each), shared by the module; one test kills a
worker with SIGKILL while partitions are on it. The corpus is DpgMedia2019 news from ../shared (reserved
ids left out) or, without ../shared, articles recombined from the bundled sample's paragraphs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
import psutil
import pytest
from click.testing import CliRunner
from distributed import Client, LocalCluster

from corpus import write_jsonl_corpus
from duiding.cli import main
from duiding.ingest.distributed import ALLOWED_FAILURES, DaskEnricher, check_address, ingest_distributed
from duiding.ingest.pipeline import IngestOptions, IngestSummary, ingest
from duiding.nlp.vectors import dpgmedia_records
from duiding.store import open_archive

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DPG = SHARED / "data" / "dpgmedia2019-nl-news" / "dpgMedia2019-articles-byarticle-all.jsonl"
BATCH = 20  # articles a partition: several partitions out on each worker at once


def _write_corpus(path: Path, n: int, sample_txt: Path) -> Path:
    """``n`` news records, then the awkward cases: a repeat, a changed copy, the original again (stored
    in three different partitions), invalid JSON, a record without a title."""
    if DPG.is_file():
        records = []
        for r in dpgmedia_records(SHARED / "data"):
            records.append(r)
            if len(records) == n:
                break
    else:
        print(f"../shared not found at {SHARED}: using articles made from the bundled sample")
        tmp = write_jsonl_corpus(path.with_suffix(".base"), sample_txt, n)
        records = [json.loads(line) for line in tmp.read_text(encoding="utf-8").splitlines()]
    first = next(r for r in records if r["title"].strip() and r["text"].strip())
    changed = {**first, "text": first["text"] + "\n\nDat zei minister Karel de Vries dinsdag in Den Haag."}
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines[len(lines) // 3 : len(lines) // 3] = [json.dumps(first, ensure_ascii=False)]
    lines[len(lines) // 2 : len(lines) // 2] = [json.dumps(changed, ensure_ascii=False)]
    lines += ['{"id": 1, "title": "kapot', json.dumps({**first, "id": 2, "title": ""}, ensure_ascii=False)]
    lines.append(json.dumps(first, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _dump(db: Path) -> list[dict[str, Any]]:
    archive = open_archive(db)
    try:
        return [a.model_dump(mode="json") for a in archive.iter_articles()]
    finally:
        archive.close()


def _rejects(summary: IngestSummary) -> list[str]:
    assert summary.rejects_path is not None
    return summary.rejects_path.read_text(encoding="utf-8").splitlines()


def _serial(src: Path, db: Path, rejects: Path) -> IngestSummary:
    archive = open_archive(db)
    try:
        return ingest(archive, [src], rejects, IngestOptions(batch_size=BATCH))
    finally:
        archive.close()


def _counts(summary: IngestSummary | dict[str, Any]) -> dict[str, Any]:
    d = summary.to_dict() if isinstance(summary, IngestSummary) else summary
    return {k: d[k] for k in ("added", "updated", "unchanged", "rejected", "recovered", "stored")}


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A real local cluster: two worker processes under nannies (a killed one is started again)."""
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
    client = Client(cluster, set_as_default=False)
    pids = set(client.run(os.getpid).values())
    try:
        yield client
    finally:
        pids |= set(client.run(os.getpid).values())
        client.close()
        cluster.close()
    deadline = time.monotonic() + 10
    while any(psutil.pid_exists(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if psutil.pid_exists(p)], "worker processes left running"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, sample_txt: Path) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("corpus") / "news.jsonl", 160, sample_txt)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, sample_txt: Path) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("small") / "small.jsonl", 24, sample_txt)


@pytest.fixture(scope="module")
def serial_small(tmp_path_factory: pytest.TempPathFactory, small: Path) -> tuple[IngestSummary, Path]:
    where = tmp_path_factory.mktemp("serial-small")
    return _serial(small, where / "db", where / "rejects.jsonl"), where / "db"


def test_a_worker_killed_mid_run_loses_nothing_and_doubles_nothing(tmp_path, client, corpus):
    serial = _serial(corpus, tmp_path / "serial", tmp_path / "serial-rejects.jsonl")
    pids: dict[str, int] = client.run(os.getpid)
    killed: list[tuple[int, list[str]]] = []

    def kill_one(done: int, in_flight: int) -> None:
        # Once the first partition is stored, with the next ones out: SIGKILL a worker that has one.
        if done == 1 and not killed:
            busy = {w: keys for w, keys in client.processing().items() if keys}
            assert busy, f"no partition on any worker ({in_flight} out)"
            worker, keys = next(iter(busy.items()))
            os.kill(pids[worker], signal.SIGKILL)
            killed.append((pids[worker], [str(k) for k in keys]))

    archive = open_archive(tmp_path / "dask")
    try:
        summary = ingest_distributed(
            archive,
            [corpus],
            tmp_path / "dask-rejects.jsonl",
            IngestOptions(batch_size=BATCH),
            client=client,
            on_partition=kill_one,
        )
    finally:
        archive.close()

    assert killed and all(k.startswith("duiding-nlp-") for k in killed[0][1])
    assert not psutil.pid_exists(killed[0][0]) or psutil.Process(killed[0][0]).status() == "zombie"
    assert _counts(summary) == _counts(serial)
    # The repeat is unchanged; the changed copy, and the original after it, are updates.
    assert (summary.updated, summary.unchanged) == (2, 1) and summary.rejected >= 2
    assert _rejects(summary) == _rejects(serial)
    expected, got = _dump(tmp_path / "serial"), _dump(tmp_path / "dask")
    assert [a["id"] for a in got] == [a["id"] for a in expected]
    assert len({a["id"] for a in got}) == len(got) == serial.added
    assert sum(len(a["entities"]) for a in got) == sum(len(a["entities"]) for a in expected) > 0
    assert sum(len(a["quotes"]) for a in got) == sum(len(a["quotes"]) for a in expected) > 0
    assert got == expected  # every field, cluster, mention and quote
    # The NLP ran on the workers (the nanny has started a fresh one in place of the killed one).
    client.wait_for_workers(2, timeout=60)
    loaded = client.run(
        lambda: __import__("duiding.nlp.entities").nlp.entities.load_model.cache_info().currsize
    )
    assert sum(loaded.values()) >= 1


def test_an_article_after_its_changed_copy_still_goes_through_the_nlp(tmp_path, client, small):
    """Stored X, then the input X', X. ``changed`` compares with the store, so it says X is unchanged
    whenever X' is not stored yet: X' earlier in the same batch (serial), or in a partition still out
    (read ahead on the cluster). X' is stored first all the same, so X must go through the NLP."""
    records = [json.loads(line) for line in small.read_text(encoding="utf-8").splitlines()[:4]]
    x = next(r for r in records if r["title"].strip() and r["text"].strip())
    x2 = {**x, "text": x["text"] + "\n\nDat zei premier Mark Rutte woensdag in Den Haag."}
    first, second = tmp_path / "x.jsonl", tmp_path / "x2-x.jsonl"
    first.write_text(json.dumps(x, ensure_ascii=False) + "\n", encoding="utf-8")
    second.write_text(json.dumps(x2, ensure_ascii=False) + "\n" + json.dumps(x) + "\n", encoding="utf-8")

    def run(name: str, batch_size: int, enrich: DaskEnricher | None) -> list[IngestSummary]:
        archive = open_archive(tmp_path / name)
        try:
            opts = IngestOptions(batch_size=batch_size)
            return [ingest(archive, [s], tmp_path / "r.jsonl", opts, enrich=enrich) for s in (first, second)]
        finally:
            archive.close()

    reference = run("one-at-a-time", 1, None)
    assert (reference[1].updated, reference[1].added) == (2, 0)
    enricher = DaskEnricher(client, in_flight=8)
    for name, batch_size, enrich in [("one-batch", 10, None), ("dask", 1, enricher)]:
        summaries = run(name, batch_size, enrich)
        assert [_counts(s) for s in summaries] == [_counts(s) for s in reference], name
        (stored,) = _dump(tmp_path / name)
        assert stored == _dump(tmp_path / "one-at-a-time")[0], name
        assert stored["text"] == x["text"] and stored["entities"] and stored["quotes"], name
    assert enricher.submitted == 3  # X; then X' and X, both out at once


def test_cli_cluster_address_runs_on_that_scheduler(tmp_path, client, small, serial_small):
    address = client.scheduler.address
    cmd = [sys.executable, "-m", "duiding.cli", "ingest", str(small), "--db", str(tmp_path / "db")]
    done = subprocess.run(
        [*cmd, "--cluster", address, "--batch-size", str(BATCH), "--json"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert _counts(json.loads(done.stdout)) == _counts(serial_small[0])
    assert _dump(tmp_path / "db") == _dump(serial_small[1])
    assert "distributed." not in done.stderr  # Dask's own logs are kept out without --verbose
    assert len(client.run(os.getpid)) == 2  # the cluster is still there for others


def test_cli_workers_2_end_to_end(tmp_path, small, serial_small):
    cmd = [sys.executable, "-m", "duiding.cli", "ingest", str(small), "--db", str(tmp_path / "db")]
    done = subprocess.run([*cmd, "--workers", "2", "--batch-size", "5"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    s = serial_small[0]
    assert (
        f"added {s.added} · updated {s.updated} · unchanged {s.unchanged} · rejected {s.rejected}"
        in done.stdout
    )
    assert "partitions" in done.stderr and "Traceback" not in done.stderr
    assert "distributed." not in done.stderr
    assert _dump(tmp_path / "db") == _dump(serial_small[1])
    # Again: nothing new (only the changed copy and the original after it update), nothing twice.
    again = subprocess.run([*cmd, "--workers", "2", "--json"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 2, s.read - 2)
    assert _dump(tmp_path / "db") == _dump(serial_small[1])


def test_a_bad_cluster_address_is_a_clear_error(tmp_path, small):
    runner = CliRunner()
    base = ["ingest", str(small), "--db", str(tmp_path / "db")]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    result = runner.invoke(main, [*base, "--cluster", f"tcp://127.0.0.1:{port}", "--connect-timeout", "1"])
    assert result.exit_code == 1
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.output
    for args, problem in [
        (["--cluster", "nonsense"], "not a Dask scheduler address: 'nonsense'"),
        (["--cluster", "http://host:8786"], "not a Dask scheduler address"),
        (["--cluster", "tcp://host:8786", "--workers", "2"], "--workers and --cluster exclude each other"),
        (["--workers", "2", "--no-nlp"], "--no-nlp leaves none to run"),
        (["--workers", "-1"], "-1 is not in the range"),
    ]:
        result = runner.invoke(main, [*base, *args])
        assert result.exit_code == 2, (args, result.output)
        assert problem in result.stderr, (args, result.stderr)
    assert not (tmp_path / "db" / "rejects").exists()  # nothing was read
    assert check_address("scheduler:8786") == "tcp://scheduler:8786"


@pytest.mark.skipif(not DPG.is_file(), reason=f"DpgMedia2019 not found at {DPG} (../shared absent)")
def test_dpgmedia_with_workers_2_into_postgresql_is_found_by_search(tmp_path, pg_server):
    """The whole DpgMedia2019 corpus (reserved ids left out), with the NLP on a local cluster of two
    workers, into a real PostgreSQL database: every readable record stored once, with its entities and
    quotes, and each article found by a search for words of its title."""
    from duiding.search.query import parse_query

    records = list(dpgmedia_records(SHARED / "data"))
    src = tmp_path / "dpgmedia.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    url = pg_server.new_database("dpg")
    cmd = [sys.executable, "-m", "duiding.cli", "ingest", str(src), "--db", url, "--workers", "2", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["added"] + summary["rejected"] == len(records)
    assert summary["added"] > 0.9 * len(records) and summary["updated"] == 0

    archive = open_archive(url)
    try:
        stored = list(archive.iter_articles())
        assert len(stored) == archive.count() == summary["added"]
        assert len({a.id for a in stored}) == len(stored)  # nothing twice
        assert sum(len(a.entities) for a in stored) > 10 * len(stored)
        assert sum(len(a.quotes) for a in stored) > len(stored)
        words = re.compile(r"[^\W\d_]{4,}")
        checked = 0
        for article in stored[:: max(1, len(stored) // 25)]:
            title_words = words.findall(article.title)
            if len(title_words) < 3:
                continue
            phrase = " ".join(title_words[:3])
            # A phrase only where the title has those three words in a row; otherwise all three words.
            q = f'"{phrase}"' if phrase in article.title else " AND ".join(title_words[:3])
            results = archive.search(parse_query(q), limit=100)
            assert article.id in {h.article.id for h in results.hits}, (q, results.total)
            checked += 1
        assert checked >= 15
        # Stemmed: the plural finds the singular's articles too, and both backends' queries apply.
        singular = archive.search(parse_query("minister"), limit=1).total
        plural = archive.search(parse_query("ministers"), limit=1).total
        assert singular == plural > 0
    finally:
        archive.close()
    # Again: every record is already there, nothing is added or doubled.
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["added"] == 0
    archive = open_archive(url)
    try:
        assert archive.count() == summary["added"]
    finally:
        archive.close()
