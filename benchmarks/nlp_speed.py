"""Throughput of the entity pipeline (tokenizer, sentences, NER, refinement, normalisation) on news.

    python benchmarks/nlp_speed.py [--batch-sizes 32,128] [--processes 1,2]

Runs :func:`duiding.nlp.entities.extract` over the DpgMedia2019 articles (reserved ids and empty
records left out) for each batch size and process count, after a warm-up, and reports articles/s and
words/s (words = whitespace-separated tokens of the text).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from duiding.nlp.entities import extract, load_model
from duiding.nlp.vectors import dpgmedia_records

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def texts() -> list[str]:
    return [r["text"] for r in dpgmedia_records(SHARED / "data") if r["title"].strip() and r["text"].strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch-sizes", default="32,128")
    ap.add_argument("--processes", default="1,2")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args()
    corpus = texts()
    words = sum(len(t.split()) for t in corpus)
    nlp = load_model()
    list(extract(corpus[:20], nlp))  # warm-up
    rows = []
    for n_process in (int(x) for x in args.processes.split(",")):
        for batch_size in (int(x) for x in args.batch_sizes.split(",")):
            start = time.perf_counter()
            mentions = sum(len(m) for m in extract(corpus, nlp, batch_size=batch_size, n_process=n_process))
            seconds = time.perf_counter() - start
            row = {
                "n_process": n_process,
                "batch_size": batch_size,
                "articles": len(corpus),
                "words": words,
                "mentions": mentions,
                "seconds": round(seconds, 1),
                "articles_per_second": round(len(corpus) / seconds, 1),
                "words_per_second": round(words / seconds),
            }
            print(json.dumps(row))
            rows.append(row)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "nlp-speed.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
