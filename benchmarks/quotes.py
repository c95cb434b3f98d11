"""Quote extraction: accuracy on the sample and the DpgMedia2019 dev set, and speed on top of NER.

    python benchmarks/quotes.py [--out DIR]

1. Scores the extractor with the spec's scorer (``../shared/spec/score_quotes.py``) on the NOS sample
   (``../shared/samples``), the dev set and the held-back set
   (``tests/data/quotes/dpg-{dev,test}.gold.jsonl``, text read from ``../shared/data``); writes the
   predictions and the articles to ``DIR`` so that ``duiding eval quotes`` can be run on them.
2. Speed over all usable DpgMedia2019 articles (held-out ids left out), one process: the entity
   pipeline alone (tokenizer, sentences, NER, normalisation) and then the same plus quote extraction;
   the difference is what quotes cost, reported as articles/s of extraction on top of the entities.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

from duiding.nlp import quotes
from duiding.nlp.entities import load_model
from duiding.nlp.vectors import dpgmedia_records

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV_GOLD = ROOT / "tests" / "data" / "quotes" / "dpg-dev.gold.jsonl"
TEST_GOLD = ROOT / "tests" / "data" / "quotes" / "dpg-test.gold.jsonl"


def scorer():
    spec = importlib.util.spec_from_file_location("score_quotes", SHARED / "spec" / "score_quotes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def accuracy(nlp, out: Path) -> dict:
    score = scorer()
    results = {}
    sample = json.loads((SHARED / "samples" / "nos-2448020.jsonl").read_text(encoding="utf-8"))
    by_id = {str(r["id"]): r for r in dpgmedia_records(SHARED / "data")}

    def articles(gold: Path) -> list[dict]:
        ids = [json.loads(line)["id"] for line in gold.open(encoding="utf-8")]
        return [{"id": i, "title": by_id[i]["title"], "text": by_id[i]["text"]} for i in ids]

    dev, test = articles(DEV_GOLD), articles(TEST_GOLD)
    write_jsonl(out / "dpg-dev.articles.jsonl", dev)
    write_jsonl(out / "dpg-test.articles.jsonl", test)
    for name, articles_, gold in (
        ("sample", [sample], SHARED / "samples" / "nos-2448020.quotes.gold.jsonl"),
        ("dev", dev, DEV_GOLD),
        ("test", test, TEST_GOLD),
    ):
        found = quotes.extract_texts([a["text"] for a in articles_], nlp)
        pred = [
            {"id": a["id"], "quotes": [q.to_spec() for q in qs]}
            for a, (_, qs) in zip(articles_, found, strict=True)
        ]
        write_jsonl(out / f"{name}.pred.jsonl", pred)
        results[name] = score.score(score.load(gold), {p["id"]: p["quotes"] for p in pred})
        lenient = results[name]["lenient"]
        print(
            f"{name}: {results[name]['gold']} gold, {results[name]['predicted']} predicted; lenient "
            f"P {lenient['precision']:.3f} R {lenient['recall']:.3f} F1 {lenient['f1']:.3f}, speaker match "
            f"{lenient['speaker_match']:.3f}, resolved {lenient['speaker_resolved']:.3f}; "
            f"strict F1 {results[name]['strict']['f1']:.3f}"
        )
    return results


def speed(nlp) -> dict:
    texts = [r["text"] for r in dpgmedia_records(SHARED / "data") if r["title"].strip() and r["text"].strip()]
    words = sum(len(t.split()) for t in texts)
    list(quotes.extract_texts(texts[:20], nlp))  # warm-up

    start = time.perf_counter()
    docs = []
    for doc in nlp.pipe(texts, batch_size=32):
        docs.append((doc, quotes.doc_mentions(doc)))
    entities_s = time.perf_counter() - start

    start = time.perf_counter()
    n_quotes = sum(len(quotes.extract(doc, mentions)) for doc, mentions in docs)
    quotes_s = time.perf_counter() - start

    row = {
        "articles": len(texts),
        "words": words,
        "quotes": n_quotes,
        "entity_pipeline_seconds": round(entities_s, 1),
        "quote_extraction_seconds": round(quotes_s, 2),
        "entity_pipeline_articles_per_second": round(len(texts) / entities_s, 1),
        "quote_extraction_articles_per_second": round(len(texts) / quotes_s, 1),
        "together_articles_per_second": round(len(texts) / (entities_s + quotes_s), 1),
    }
    print(json.dumps(row))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    nlp = load_model()
    result = {"accuracy": accuracy(nlp, args.out), "speed": speed(nlp)}
    (args.out / "quotes.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
