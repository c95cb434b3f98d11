"""HTTP API search latency under concurrent clients (see benchmarks/README.md).

    nice .venv/bin/python benchmarks/api.py [--articles 100000] [--clients 20] [--requests 4000]

Builds the corpus of ``benchmarks/run.py`` (N articles from the usable DpgMedia2019 articles, reserved
ids left out, sentences rotated, own ids and dates), ingests it with ``--no-nlp`` into
``benchmarks/out/api-db-N`` (kept, and reused when it already holds N articles), adds a reader key,
starts ``duiding serve`` on a free loopback port as its own process, and sends ``GET /api/search`` with
the queries of ``benchmarks/run.py`` (10 hits a page, snippets included, the key in the Authorization
header) from ``--clients`` threads, each with its own keep-alive connection, ``--requests`` in all
after one warm-up round. Reports p50/p90/p99/max latency as the client sees it, requests/s and errors
(any answer but 200, or a failed request). The server is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from duiding.api.auth import KeyStore  # noqa: E402
from duiding.store import open_archive  # noqa: E402
from run import DPG, QUERIES, build_corpus  # noqa: E402


def stored(db: Path) -> int:
    if not (db / "duiding.sqlite3").exists():
        return 0
    archive = open_archive(db)
    try:
        return archive.count() if archive.pending_index() == 0 else 0
    finally:
        archive.close()


def ingest(corpus: Path, db: Path) -> float:
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "duiding.cli", "ingest", str(corpus), "--db", str(db), "--no-nlp", "--json"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-c",
        "from duiding.cli import main; main()",
        "serve",
        "--db",
        str(db),
        "--port",
        str(port),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(base: str, key: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not come up")


def load(base: str, key: str, clients: int, total: int) -> dict[str, object]:
    """``total`` searches from ``clients`` threads; latencies in ms and the errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))
    headers = {"Authorization": f"Bearer {key}"}

    def client(n: int) -> None:
        mine: list[float] = []
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            for q in QUERIES:  # warm-up: not counted
                http.get("/api/search", params={"q": q})
            barrier.wait()
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    break
                q = QUERIES[(i + n) % len(QUERIES)]
                t = time.perf_counter()
                try:
                    r = http.get("/api/search", params={"q": q, "size": 10})
                    ok = r.status_code == 200 and "total" in r.json()
                    problem = None if ok else f"{q}: HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    problem = f"{q}: {type(e).__name__}: {e}"
                mine.append((time.perf_counter() - t) * 1000)
                if problem:
                    with lock:
                        errors.append(problem)
        with lock:
            latencies.extend(mine)

    barrier = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "seconds": round(seconds, 1),
        "requests_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p90_ms": round(latencies[int(0.90 * (len(latencies) - 1))], 1),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1),
        "max_ms": round(latencies[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    if not DPG.exists():
        raise SystemExit(f"{DPG} not found: the benchmark needs ../shared")
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / f"api-db-{args.articles}"
    ingest_seconds = None
    if stored(db) != args.articles:
        corpus = build_corpus(args.articles, args.out / f"corpus-{args.articles}.jsonl")
        import shutil

        shutil.rmtree(db, ignore_errors=True)
        ingest_seconds = round(ingest(corpus, db), 1)
        print(f"ingested {args.articles:,} articles in {ingest_seconds} s", file=sys.stderr)
    keys = KeyStore.for_data_dir(db)
    keys.remove("bench")
    key = keys.add("bench", "reader")
    keys.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(db, port)
    try:
        wait_ready(base, key, proc)
        result = load(base, key, args.clients, args.requests)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        keys = KeyStore.for_data_dir(db)
        keys.remove("bench")
        keys.close()
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "articles": stored(db),
        "ingest_seconds": ingest_seconds,
        "queries": len(QUERIES),
        **result,
    }
    (args.out / "api-latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
