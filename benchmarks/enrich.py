"""Enrichment throughput: ``duiding ingest`` with the NLP, serial and on a local Dask cluster.

    python benchmarks/enrich.py [--n 2000] [--modes serial,1,2] [--batch-size 100]

The corpus is N articles built from the usable DpgMedia2019 articles (reserved ids and records with an
empty title or body left out), as ``benchmarks/run.py`` builds them: article i takes source article
i mod M, its sentences rotated by i // M, with its own id and date. Each mode ingests it with the NLP into
a fresh data directory, as a child process (``duiding ingest CORPUS --json``, plus ``--workers K`` for a
mode K), and reports:

- ``articles_per_second``: end to end, wall clock, the cluster's start and stop included;
- ``ingest_articles_per_second``: over the ingest's own seconds (the summary's), without those.

The ``--workers 2`` / ``--workers 1`` ratios of both say how the enrichment scales on this machine (its
cores bound it: with two cores, the client's reading and storing share them with the workers). The
results go to ``benchmarks/results/enrich-DATE.json``.
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

from run import DPG, build_corpus

ROOT = Path(__file__).resolve().parents[1]


def ingest(corpus: Path, db: Path, workers: int | None, batch_size: int) -> dict[str, object]:
    shutil.rmtree(db, ignore_errors=True)
    cmd = [sys.executable, "-m", "duiding.cli", "ingest", str(corpus), "--db", str(db), "--json"]
    cmd += ["--batch-size", str(batch_size)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    summary = json.loads(done.stdout)
    articles = summary["added"] + summary["updated"] + summary["unchanged"]
    return {
        "mode": "serial" if workers is None else f"--workers {workers}",
        "articles": articles,
        "rejected": summary["rejected"],
        "wall_seconds": round(wall, 2),
        "ingest_seconds": summary["seconds"],
        "articles_per_second": round(articles / wall, 1),
        "ingest_articles_per_second": round(articles / summary["seconds"], 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="articles in the corpus")
    ap.add_argument("--modes", default="serial,1,2", help="comma-separated: serial and/or worker counts")
    ap.add_argument("--batch-size", type=int, default=100, help="articles a batch (a partition on Dask)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    if not DPG.exists():
        raise SystemExit(f"{DPG} not found: the benchmarks need ../shared")
    rows = []
    with tempfile.TemporaryDirectory(prefix="duiding-enrich-") as tmp:
        corpus = build_corpus(args.n, Path(tmp) / f"corpus-{args.n}.jsonl")
        for mode in args.modes.split(","):
            workers = None if mode == "serial" else int(mode)
            row = ingest(corpus, Path(tmp) / f"db-{mode}", workers, args.batch_size)
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
    by_mode = {r["mode"]: r for r in rows}
    scaling = None
    if "--workers 1" in by_mode and "--workers 2" in by_mode:
        one, two = by_mode["--workers 1"], by_mode["--workers 2"]
        scaling = {
            "end_to_end": round(two["articles_per_second"] / one["articles_per_second"], 2),
            "ingest": round(two["ingest_articles_per_second"] / one["ingest_articles_per_second"], 2),
        }
    now = datetime.now(UTC)
    results = {
        "date": now.isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "articles": args.n,
        "batch_size": args.batch_size,
        "runs": rows,
        "scaling_2_vs_1_workers": scaling,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"enrich-{now:%Y-%m-%d}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"→ {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
