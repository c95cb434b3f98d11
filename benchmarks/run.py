"""Ingest throughput, peak memory and search latency of the embedded store.

    python benchmarks/run.py [--sizes dpg,100000] [--out benchmarks/out]

Corpora:
- ``dpg``: ../shared/data/dpgmedia2019-nl-news/dpgMedia2019-articles-byarticle-all.jsonl as it is
  (1,438 records, of which those with an empty title or body are rejected).
- ``N`` (e.g. 100000): N articles built from the usable DpgMedia2019 articles (reserved ids left out):
  article i takes source article i mod M, rotates its sentences by i // M (modulo its sentence count;
  each text is real Dutch), gets its own id and a date spread over 2019-2023.

Each ingest runs ``duiding ingest`` in a fresh data directory as a child process; its peak RSS comes
from the kernel's rusage for that child. Peak RSS counts the index files tantivy maps into memory while
it merges segments (page cache the kernel can drop), so the peak of the process's anonymous memory
(``RssAnon`` in /proc/PID/status, sampled every 0.1 s) is reported beside it: that is the heap.
Search latency is measured in-process over QUERIES, each run REPEAT times after one warm-up, snippets
included, and reported as p50/p99 over all runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from duiding.nlp.vectors import dpgmedia_records

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DPG = SHARED / "data" / "dpgmedia2019-nl-news" / "dpgMedia2019-articles-byarticle-all.jsonl"

QUERIES = [
    "brexit",
    "kabinet",
    "Rutte",
    "ministers",
    "onderzoekers",
    '"Tweede Kamer"',
    '"minister van Justitie"',
    "klimaat AND energie",
    "Trump OR Poetin",
    "Brexit NOT May",
    "(PvdA OR GroenLinks) AND verkiezingen",
    "title:brexit",
    "text:ziekenhuis",
    "published:[2019-03-01 TO 2019-03-31]",
    "brexit AND published:[2019-03-01 TO 2019-03-15]",
    "onderwijs*",
    "Amster*",
    'politie AND "Den Haag"',
    "voetbal -Ajax",
    "*",
]
REPEAT = 20

console = Console(stderr=True)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def build_corpus(n: int, path: Path) -> Path:
    base = [
        (r["title"], SENTENCE_END.split(r["text"]))
        for r in dpgmedia_records(SHARED / "data")
        if r["title"].strip() and r["text"].strip()
    ]
    start = datetime(2019, 1, 1, 6, 0, tzinfo=UTC)
    span_minutes = 5 * 365 * 24 * 60
    with path.open("w", encoding="utf-8") as out, Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"building {n:,}-article corpus", total=n)
        for i in range(n):
            title, sentences = base[i % len(base)]
            k = (i // len(base)) % max(1, len(sentences))
            text = " ".join(sentences[k:] + sentences[:k])
            published = start + timedelta(minutes=(i * 7919) % span_minutes)
            record = {"id": f"b{i}", "title": title, "text": text, "published": published.isoformat()}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if i % 5000 == 0:
                progress.update(task, completed=i)
    return path


def run_ingest(corpus: Path, db: Path | str) -> dict[str, float]:
    """``duiding ingest CORPUS --db DB --no-nlp`` as a child: its time and peak memory. ``db``: a fresh data
    directory (a Path, emptied first and measured after), or a server URL (a str, left as it is)."""
    if isinstance(db, Path):
        shutil.rmtree(db, ignore_errors=True)
    cmd = [sys.executable, "-m", "duiding.cli", "ingest", str(corpus), "--db", str(db), "--json", "--no-nlp"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    # Peak memory is sampled from /proc rather than taken from wait4's ru_maxrss: Linux seeds a child's
    # ru_maxrss with the RSS of the process it was forked from (this benchmark, with its corpus and
    # earlier runs in memory), so ru_maxrss reported this process's size, not the ingest's. VmHWM is the
    # high-water mark of the child's own address space after exec; RssAnon leaves out mapped files
    # (tantivy's and SQLite's pages, which the kernel can drop).
    peak_hwm_kb = 0
    peak_anon_kb = 0

    def sample() -> None:
        nonlocal peak_hwm_kb, peak_anon_kb
        status_file = Path(f"/proc/{proc.pid}/status")
        while proc.returncode is None:
            try:
                for line in status_file.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_hwm_kb = max(peak_hwm_kb, int(line.split()[1]))
                    elif line.startswith("RssAnon:"):
                        peak_anon_kb = max(peak_anon_kb, int(line.split()[1]))
            except (OSError, ValueError):
                return
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout = proc.stdout.read() if proc.stdout else ""
    _, status, _rusage = os.wait4(proc.pid, 0)
    proc.returncode = status
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"ingest of {corpus} failed with status {status}")
    summary = json.loads(stdout)
    stored = summary["added"] + summary["updated"] + summary["unchanged"]
    result = {
        "articles": stored,
        "rejected": summary["rejected"],
        "seconds": round(seconds, 1),
        "articles_per_second": round(stored / seconds, 1),
        "mb_per_second": round(corpus.stat().st_size / 1e6 / seconds, 2),
        "peak_rss_mb": round(peak_hwm_kb / 1024, 1),
        "peak_anon_mb": round(peak_anon_kb / 1024, 1),
    }
    if isinstance(db, Path):
        result["db_size_mb"] = round(sum(f.stat().st_size for f in db.rglob("*") if f.is_file()) / 1e6, 1)
    return result


def run_search(db: Path | str) -> dict:
    from duiding.search.query import parse_query
    from duiding.store import open_archive

    archive = open_archive(db)
    timings: list[float] = []
    totals = {}
    try:
        for q in QUERIES:
            parsed = parse_query(q)
            totals[q] = archive.search(parsed, limit=10).total  # warm-up
            for _ in range(REPEAT):
                t = time.perf_counter()
                archive.search(parsed, limit=10)
                timings.append((time.perf_counter() - t) * 1000)
    finally:
        archive.close()
    timings.sort()
    return {
        "queries": len(QUERIES),
        "runs": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[int(0.99 * (len(timings) - 1))], 2),
        "max_ms": round(timings[-1], 2),
        "totals": totals,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="dpg,100000", help="comma-separated: dpg and/or article counts")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    if not DPG.exists():
        raise SystemExit(f"{DPG} not found: the benchmarks need ../shared")
    args.out.mkdir(parents=True, exist_ok=True)
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "corpora": {},
    }
    for size in args.sizes.split(","):
        corpus = DPG if size == "dpg" else build_corpus(int(size), args.out / f"corpus-{size}.jsonl")
        db = args.out / f"db-{size}"
        console.print(f"[bold]{size}[/]: ingest {corpus.name} ({corpus.stat().st_size / 1e6:.1f} MB)")
        ingest = run_ingest(corpus, db)
        console.print(ingest)
        search = run_search(db)
        console.print(search)
        results["corpora"][size] = {"ingest": ingest, "search": search}
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
