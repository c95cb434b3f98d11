"""Scaling figures, measured side by side in one run and given as ratios (benchmarks/README.md):

    python benchmarks/scale.py [--sizes 100000,1000000] [--enrich 600] [--ner 300] [--skip ...]

1. **enrichment**: ``duiding ingest`` with the NLP of N articles (built as ``run.py`` builds them) with
   ``--workers 1`` and ``--workers 2`` (a local Dask cluster), each into a fresh data directory;
   articles/s and the 2-vs-1 ratio (``enrich.py``'s runner).
2. **NER, duiding vs Frog**: the same M DpgMedia2019 articles (reserved ids left out) as raw text through
   duiding's entity pipeline (tokenizer, sentences, NER, document rules; ``nlp.pipe``, one process) and
   through Debian's Frog (its tokenizer and NER, the other modules skipped: ``--skip=macpl``; wall time
   of the command, model loading included, and without it, by timing a one-sentence run too);
   articles/s, words/s, entities found, and the ratio.
3. **search, embedded vs PostgreSQL**: each corpus ingested (``--no-nlp``) into a fresh embedded data
   directory and into a fresh database on a throwaway PostgreSQL server (``tests/pg.py``: Debian's
   PostgreSQL 15 with its default settings except fsync off, as for a scratch server; a unix socket), then
   ``run.py``'s 20 queries, each 20 times after a warm-up, in-process, top 10 with snippets; p50/p99
   and the PostgreSQL/embedded ratios.
4. **memory**: the peak RSS (and anonymous memory) of each ingest process, the 1M one included; for
   PostgreSQL that is the client, the server's own memory is its configuration's.

Results: ``benchmarks/results/scale-DATE.json``. Needs ``../shared`` and, for part 3, PostgreSQL's
binaries; for part 2, ``frog`` (``apt-get install frog frogdata``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

import enrich
from run import DPG, SHARED, build_corpus, run_ingest, run_search

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
console = Console(stderr=True)


# -- 1. enrichment -----------------------------------------------------------------------------------


def enrichment(n: int, work: Path) -> dict:
    corpus = build_corpus(n, work / f"enrich-{n}.jsonl")
    runs = {}
    for workers in (1, 2):
        console.print(f"[bold]enrichment[/]: {n:,} articles, --workers {workers}")
        runs[workers] = enrich.ingest(corpus, work / f"enrich-db-{workers}", workers, 100)
        console.print(runs[workers])
    return {
        "articles": n,
        "workers_1": runs[1],
        "workers_2": runs[2],
        "ratio_2_vs_1": round(runs[2]["articles_per_second"] / runs[1]["articles_per_second"], 2),
        "ratio_2_vs_1_ingest_only": round(
            runs[2]["ingest_articles_per_second"] / runs[1]["ingest_articles_per_second"], 2
        ),
    }


# -- 2. NER: duiding vs Frog ---------------------------------------------------------------------------


def ner_articles(m: int) -> list[str]:
    from duiding.nlp.vectors import dpgmedia_records

    texts = [r["text"] for r in dpgmedia_records(SHARED / "data") if r["title"].strip() and r["text"].strip()]
    return texts[:m]


def duiding_ner(texts: list[str]) -> dict:
    from duiding.nlp.entities import load_model

    nlp = load_model()
    list(nlp.pipe(texts[:5]))  # warm-up
    started = time.perf_counter()
    entities = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=64))
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "entities": entities}


def _frog(path: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["frog", "-t", str(path), "--skip=macpl", "-o", str(out)], check=True, capture_output=True)
    return time.perf_counter() - started


def frog_ner(texts: list[str], work: Path) -> dict | None:
    if not shutil.which("frog"):
        return None
    src, dst = work / "frog-in.txt", work / "frog-out.tsv"
    # One article a paragraph: Frog splits sentences itself.
    src.write_text("\n\n".join(t.replace("\n", " ") for t in texts) + "\n", encoding="utf-8")
    seconds = _frog(src, dst)
    entities = 0
    for line in dst.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        entities += any(c.startswith("B-") for c in cols[5:])
    one, one_out = work / "frog-one.txt", work / "frog-one.tsv"
    one.write_text("Dit is een zin.\n", encoding="utf-8")
    startup = _frog(one, one_out)
    return {"seconds": round(seconds, 2), "startup_seconds": round(startup, 2), "entities": entities}


def ner_comparison(m: int, work: Path) -> dict:
    texts = ner_articles(m)
    words = sum(len(t.split()) for t in texts)
    console.print(f"[bold]NER[/]: {len(texts)} articles, {words:,} words: duiding")
    ours = duiding_ner(texts)
    result: dict = {"articles": len(texts), "words": words, "duiding": ours}
    ours["articles_per_second"] = round(len(texts) / ours["seconds"], 1)
    ours["words_per_second"] = round(words / ours["seconds"])
    console.print("[bold]NER[/]: Frog")
    frog = frog_ner(texts, work)
    if frog is None:
        result["frog"] = "frog is not installed"
        return result
    frog["articles_per_second"] = round(len(texts) / frog["seconds"], 2)
    frog["words_per_second"] = round(words / frog["seconds"])
    net = frog["seconds"] - frog["startup_seconds"]
    frog["words_per_second_without_startup"] = round(words / net) if net > 0 else None
    result["frog"] = frog
    result["ratio_duiding_vs_frog"] = round(frog["seconds"] / ours["seconds"], 1)
    if net > 0:
        result["ratio_duiding_vs_frog_without_startup"] = round(net / ours["seconds"], 1)
    return result


# -- 3 and 4. ingest and search, embedded vs PostgreSQL ------------------------------------------------


def pg_size(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        (size,) = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return round(size / 1e6, 1)


def drop_database(server, url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        (name,) = conn.execute("SELECT current_database()").fetchone()
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def stores(sizes: list[int], pg_sizes: set[int], work: Path, corpora: Path) -> dict:
    import pg

    server = None
    reason = pg.unavailable()
    if reason is None:
        server = pg.PgServer().start()
    results: dict = {"postgresql": reason or "throwaway server, tests/pg.py"}
    try:
        for n in sizes:
            corpus = corpora / f"corpus-{n}.jsonl"
            if not corpus.exists():
                build_corpus(n, corpus)
            row: dict = {}
            db = work / f"db-{n}"
            shutil.rmtree(db, ignore_errors=True)
            console.print(f"[bold]{n:,}[/]: embedded ingest")
            row["embedded"] = {"ingest": run_ingest(corpus, db)}
            row["embedded"]["size_mb"] = row["embedded"]["ingest"]["db_size_mb"]
            row["embedded"]["search"] = run_search(db)
            console.print(row["embedded"])
            shutil.rmtree(db, ignore_errors=True)
            if server is not None and n in pg_sizes:
                url = server.new_database(f"scale_{n}")
                console.print(f"[bold]{n:,}[/]: PostgreSQL ingest")
                row["postgresql"] = {"ingest": run_ingest(corpus, url)}
                row["postgresql"]["size_mb"] = pg_size(url)
                row["postgresql"]["search"] = run_search(url)
                console.print(row["postgresql"])
                emb, pgs = row["embedded"], row["postgresql"]
                row["ratios_postgresql_vs_embedded"] = {
                    "search_p50": round(pgs["search"]["p50_ms"] / emb["search"]["p50_ms"], 1),
                    "search_p99": round(pgs["search"]["p99_ms"] / emb["search"]["p99_ms"], 1),
                    "ingest_articles_per_second": round(
                        pgs["ingest"]["articles_per_second"] / emb["ingest"]["articles_per_second"], 2
                    ),
                }
                row["same_totals"] = emb["search"]["totals"] == pgs["search"]["totals"]
                drop_database(server, url)
            results[str(n)] = row
    finally:
        if server is not None:
            server.stop()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="corpus sizes for part 3 and 4")
    ap.add_argument("--pg-sizes", default=None, help="of those, the ones PostgreSQL gets too (default: all)")
    ap.add_argument("--enrich", type=int, default=600, help="articles for the enrichment runs")
    ap.add_argument("--ner", type=int, default=300, help="articles for duiding vs Frog")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: enrich,ner,stores")
    ap.add_argument("--corpora", type=Path, default=ROOT / "benchmarks" / "out", help="corpora kept here")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    if not DPG.exists():
        raise SystemExit(f"{DPG} not found: the benchmarks need ../shared")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    now = datetime.now(UTC)
    results: dict = {
        "date": now.isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    args.corpora.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="duiding-scale-", dir=args.corpora) as tmp:
        work = Path(tmp)
        if "enrich" not in skip:
            results["enrichment"] = enrichment(args.enrich, work)
        if "ner" not in skip:
            results["ner"] = ner_comparison(args.ner, work)
        if "stores" not in skip:
            sizes = [int(s) for s in args.sizes.split(",")]
            pg_sizes = {int(s) for s in args.pg_sizes.split(",")} if args.pg_sizes else set(sizes)
            results["stores"] = stores(sizes, pg_sizes, work, args.corpora)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"scale-{now:%Y-%m-%d}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    console.print(f"→ {path}")


if __name__ == "__main__":
    main()
