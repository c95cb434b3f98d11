"""Analysis and export speed on a synthetic annotated archive (see benchmarks/README.md).

Builds an archive of N articles from the bundled sample article *with its entities and quotes* (the
NLP runs once, on the sample): article i is the sample under its own URL, date (spread over 2019-2023),
outlet and category, and its entities and speakers are renamed into one of 500 groups (``Vladimir
Poetin 17``), so the archive has about 500 × 20 distinct entities and the co-occurrence and speaker
tables are not trivially small. Then times ``aggregate`` for every ``by`` over the whole archive and
over a query matching about half of it, and each export, reporting seconds and the peak Python heap
(tracemalloc) of each step.

    .venv/bin/python benchmarks/analysis.py --articles 50000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from duiding.analysis import BY, aggregate, export  # noqa: E402
from duiding.model import Article  # noqa: E402
from duiding.store import open_archive  # noqa: E402

GROUPS = 500
OUTLETS = ["NOS", "Volkskrant", "Trouw", "NRC", "AD"]
CATEGORIES = ["Buitenland", "Binnenland", "Politiek", "Economie"]


def annotated_sample() -> Article:
    from corpus import sample_article
    from duiding.nlp.entities import load_model
    from duiding.nlp.quotes import annotate

    sample = sample_article(ROOT / "src" / "duiding" / "samples" / "nos-2448020.txt")
    annotate([sample], load_model())
    return sample


def renamed(base: Article, i: int, start: datetime) -> Article:
    g = i % GROUPS

    def rid(entity_id: str | None) -> str | None:
        if entity_id is None:
            return None
        prefix = entity_id.split("-", 1)[0]
        return f"{prefix}-{hashlib.sha1(f'{entity_id}{g}'.encode()).hexdigest()[:12]}"

    entities = [
        m.model_copy(update={"entity_id": rid(m.entity_id), "canonical": f"{m.canonical} {g}"})
        for m in base.entities
    ]
    quotes = [q.model_copy(update={"speaker_entity_id": rid(q.speaker_entity_id)}) for q in base.quotes]
    return Article(
        title=f"{base.title} ({i})",
        text=base.text,
        published=start + timedelta(hours=i * 43_800 // max(N, 1)),
        url=f"https://example.nl/artikel/{i}",
        outlet=OUTLETS[i % len(OUTLETS)],
        category=CATEGORIES[i % len(CATEGORIES)],
        entities=entities,
        quotes=quotes,
    )


N = 0


def main() -> None:
    global N
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--db", type=Path, help="Keep the archive here (default: a temporary folder).")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args()
    N = args.articles
    tmp = Path(tempfile.mkdtemp(prefix="duiding-analysis-"))
    db = args.db or tmp / "db"
    results: dict[str, object] = {"articles": N}
    archive = open_archive(db)
    try:
        if archive.count() != N:
            base = annotated_sample()
            start = datetime.fromisoformat("2019-01-01T08:00:00+01:00")
            t = time.perf_counter()
            batch: list[Article] = []
            for i in range(N):
                batch.append(renamed(base, i, start))
                if len(batch) == 1000:
                    archive.upsert(batch)
                    batch.clear()
            if batch:
                archive.upsert(batch)
            results["build_seconds"] = round(time.perf_counter() - t, 1)
        if archive.pending_index():
            print(f"note: {archive.pending_index():,} articles not in the index: query figures are off")
        with archive.scope() as everything:
            results["quotes"], results["entities"] = everything.quote_count(), everything.entity_total()
        timings: dict[str, dict[str, float]] = {}
        for label, query in (("all", None), ("half", "Politiek OR Economie OR category:Buitenland")):
            for by in BY:
                tracemalloc.start()
                t = time.perf_counter()
                buckets = aggregate(archive, query, by, limit=20)
                seconds = time.perf_counter() - t
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                timings[f"{label}:{by}"] = {
                    "seconds": round(seconds, 3),
                    "peak_mb": round(peak / 1e6, 1),
                    "buckets": len(buckets),
                }
                print(f"{label:>4} {by:<13} {seconds:7.3f} s  peak {peak / 1e6:6.1f} MB", flush=True)
        for what in ("articles", "quotes", "entities"):
            for fmt in ("csv", "jsonl", "parquet"):
                path = tmp / f"export.{what}.{fmt}"
                tracemalloc.start()
                t = time.perf_counter()
                rows = export(archive, None, what, fmt, path)
                seconds = time.perf_counter() - t
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                timings[f"export:{what}:{fmt}"] = {
                    "seconds": round(seconds, 3),
                    "peak_mb": round(peak / 1e6, 1),
                    "rows": rows,
                    "rows_per_second": round(rows / seconds),
                    "file_mb": round(path.stat().st_size / 1e6, 1),
                }
                print(
                    f"export {what:<8} {fmt:<7} {rows:>9,} rows {seconds:7.2f} s "
                    f"{rows / seconds:>9,.0f} rows/s  peak {peak / 1e6:6.1f} MB",
                    flush=True,
                )
                path.unlink()
        results["timings"] = timings
    finally:
        archive.close()
        if not args.db:
            shutil.rmtree(tmp, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"analysis-{N}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"→ {out}")


if __name__ == "__main__":
    main()
