"""Live ingestion: page extraction speed and fidelity, and near-duplicate detection precision/recall.

    python benchmarks/monitor.py [--data ../shared/data] [--pages 1000] [--copies 400] [--seed 7]

Both parts are built from the usable DpgMedia2019 articles (those with a title and a body; the reserved
ids left out by ``duiding.nlp.vectors.dpgmedia_records``).

1. **Extraction.** Each article is rendered into the markup of one of three news-site layouts (the test
   fixtures in tests/data/monitor: menus, cookie banner, share buttons, related links, newsletter box,
   footer), its body split into paragraphs of three sentences. ``duiding.ingest.html.article_from_html``
   (decoding, trafilatura, the date, the clean-up) runs on the bytes, one process, no NLP. Reported:
   pages/s, and fidelity: the share of pages whose extracted text is exactly the article's paragraphs
   (nothing lost, nothing of the chrome added), whose title is right, and the share with chrome words in
   the text.
2. **Near-duplicates.** ``--copies`` articles are picked at random and each gets one edited copy at
   another URL, of one of these kinds (in turn):
   - ``light``: another headline, 3% of the words replaced by other words;
   - ``rewrite``: another headline, the first sentence replaced, one other sentence dropped;
   - ``truncated``: the last 30% of the sentences cut (a shorter regional version);
   - ``framed``: a dateline and an intro sentence in front, a closing paragraph added;
   - ``heavy``: 10% of the words replaced, one sentence dropped and the last 20% cut.
   The corpus has stories of its own printed twice or more (by several DPG titles); so that the truth is
   known, the originals are first made distinct: every article sharing 20% of its shingles (Jaccard) or
   half of the shorter text with an earlier one is left out (exact comparison of all pairs); those
   pairs are counted and reported. All remaining articles and the copies are ingested in random order
   (no NLP) into a fresh archive; the clusters it assigns are scored pairwise against the truth (an
   original and its copy belong together, every other pair apart): precision and recall over pairs,
   and recall per kind of edit.
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from duiding.ingest import dedup
from duiding.ingest.html import MIN_TEXT_CHARS, article_from_html
from duiding.ingest.language import detect
from duiding.ingest.pipeline import IngestOptions, ingest_records
from duiding.model import Article
from duiding.nlp.vectors import dpgmedia_records
from duiding.store import open_archive
from duiding.store.clusters import Clusters

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "monitor"
CHROME_WORDS = (
    "cookies",
    "Deel dit artikel",
    "Meer over dit onderwerp",
    "nieuwsbrief",
    "Alle rechten",
    "Lees ook",
)
_SENTENCE = re.compile(r"(?<=[.!?'\"”])\s+(?=[A-Z0-9'\"‘“])")

# Each layout: the fixture, its headline, and the first and last paragraph of its body (replaced).
LAYOUTS = [
    (
        "story.html",
        "Waterschap verhoogt dijk bij Kruiningen sneller dan gepland",
        '<p class="intro">',
        "ontlasten.</p>",
    ),
    ("republished.html", "Dijk bij Kruiningen een jaar eerder klaar", "<p>Het waterschap", "kan dempen.</p>"),
    ("second.html", "Groningse bibliotheek gaat ook op zondag open", "<p>De centrale", "kampt.</p>"),
]


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(" ".join(text.split())) if s]


def paragraphs(text: str, per: int = 3) -> list[str]:
    s = sentences(text)
    return [" ".join(s[i : i + per]) for i in range(0, len(s), per)] or [text]


def templates() -> list[str]:
    out = []
    for name, title, first, last in LAYOUTS:
        page = (FIXTURES / name).read_text(encoding="utf-8").replace("{{BASE}}", "https://www.nieuws.example")
        start = page.index(first)
        end = page.index(last) + len(last)
        page = page[:start] + "{{BODY}}" + page[end:]
        out.append(page.replace(title, "{{TITLE}}"))
    return out


def render(template: str, title: str, paras: list[str]) -> bytes:
    body = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paras)
    return template.replace("{{TITLE}}", html.escape(title, quote=False)).replace("{{BODY}}", body).encode()


def bench_extraction(records: list[dict], n: int) -> dict:
    # A body shorter than MIN_TEXT_CHARS is no article (DpgMedia2019 has photo captions and fragments).
    short = sum(1 for r in records if len(r["text"].strip()) < MIN_TEXT_CHARS)
    records = [r for r in records if len(r["text"].strip()) >= MIN_TEXT_CHARS]
    layouts = templates()
    pages = []
    for i in range(n):
        r = records[i % len(records)]
        paras = paragraphs(r["text"])
        pages.append(
            (render(layouts[i % len(layouts)], r["title"].strip(), paras), r["title"].strip(), paras)
        )
    article_from_html(pages[0][0], "warm-up")  # imports, first use
    exact = titles = chrome = failed = 0
    started = time.perf_counter()
    results = [article_from_html(data, f"page-{i}") for i, (data, _, _) in enumerate(pages)]
    seconds = time.perf_counter() - started
    for result, (_, title, paras) in zip(results, pages, strict=True):
        if not isinstance(result, Article):
            failed += 1
            continue
        exact += result.text == "\n".join(" ".join(p.split()) for p in paras)
        titles += result.title == " ".join(title.split())
        chrome += any(w.lower() in result.text.lower() for w in CHROME_WORDS)
    return {
        "source_articles": len(records),
        "left_out_too_short": short,
        "pages": n,
        "seconds": round(seconds, 2),
        "pages_per_second": round(n / seconds, 1),
        "mean_page_kb": round(statistics.mean(len(p[0]) for p in pages) / 1024, 1),
        "text_exact": round(exact / n, 4),
        "title_exact": round(titles / n, 4),
        "with_chrome_words": chrome,
        "failed": failed,
    }


KINDS = ("light", "rewrite", "truncated", "framed", "heavy")


def _replace_words(text: str, share: float, vocab: list[str], rng: random.Random) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), k=max(1, int(len(words) * share))):
        words[i] = rng.choice(vocab)
    return " ".join(words)


def edit(
    record: dict, kind: str, rng: random.Random, vocab: list[str], donors: list[dict]
) -> tuple[str, str]:
    """An edited copy (title, text) of one article."""
    s = sentences(record["text"])
    title = "Nieuw: " + record["title"].strip()
    other = sentences(rng.choice(donors)["text"])
    if kind == "light":
        text = _replace_words(" ".join(s), 0.03, vocab, rng)
    elif kind == "rewrite":
        if len(s) > 2:
            del s[rng.randrange(1, len(s))]
        text = " ".join([other[0], *s[1:]])
    elif kind == "truncated":
        text = " ".join(s[: max(1, round(len(s) * 0.7))])
        title = record["title"].strip()
    elif kind == "framed":
        text = " ".join(["AMSTERDAM (ANP) -", other[0], *s, *other[-2:]])
    else:  # heavy
        if len(s) > 2:
            del s[rng.randrange(1, len(s))]
        s = s[: max(1, round(len(s) * 0.8))]
        text = _replace_words(" ".join(s), 0.10, vocab, rng)
    return title, text


def corpus_pairs(records: list[dict]) -> list[tuple[float, float, int, int]]:
    """``(jaccard, containment, i, j)`` of every pair of records sharing a shingle (exact, all pairs)."""
    shingles = [dedup.shingles(r["text"]) for r in records]
    postings: dict[int, list[int]] = defaultdict(list)
    pairs = []
    for i, sh in enumerate(shingles):
        common: Counter[int] = Counter()
        for h in sh.tolist():
            common.update(postings[h])
            postings[h].append(i)
        for j, n in common.items():
            union = len(sh) + len(shingles[j]) - n
            pairs.append((n / union, n / min(len(sh), len(shingles[j])), j, i))
    return pairs


def distinct(records: list[dict]) -> tuple[list[dict], dict]:
    """The records minus those too much like an earlier one, and what the corpus's own pairs look like."""
    pairs = corpus_pairs(records)
    dropped = {i for jaccard, containment, _, i in pairs if jaccard >= 0.2 or containment >= 0.5}
    own = [p for p in pairs if p[0] >= dedup.THRESHOLD]
    stats = {
        "left_out": len(dropped),
        "own_pairs_jaccard_ge_threshold": len(own),
        "own_pairs_word_for_word": sum(1 for p in own if p[0] >= 0.95),
        "own_pairs_jaccard_0.2_to_threshold": sum(1 for p in pairs if 0.2 <= p[0] < dedup.THRESHOLD),
    }
    return [r for i, r in enumerate(records) if i not in dropped], stats


def bench_near_duplicates(records: list[dict], copies: int, seed: int) -> dict:
    records, corpus = distinct(records)
    rng = random.Random(seed)
    vocab = [w for r in records[:200] for w in r["text"].split() if w.isalpha()]
    originals = [
        Article(
            title=r["title"],
            text=r["text"],
            url=f"https://www.krant.example/artikel/{r['id']}",
            language="nl",
        )
        for r in records
    ]
    truth: dict[str, str] = {a.url: a.url for a in originals}  # url → its story (the original's url)
    kind_of: dict[str, str] = {}
    picked = rng.sample(range(len(records)), k=min(copies, len(records)))
    articles = list(originals)
    for n, i in enumerate(picked):
        kind = KINDS[n % len(KINDS)]
        title, text = edit(records[i], kind, rng, vocab, records)
        url = f"https://www.regio.example/{kind}/{records[i]['id']}"
        articles.append(Article(title=title, text=text, url=url, language="nl"))
        truth[url] = originals[i].url
        kind_of[url] = kind
    rng.shuffle(articles)

    # the cost of the signature alone, per article
    started = time.perf_counter()
    for a in articles:
        dedup.signature(a.text)
    signature_ms = (time.perf_counter() - started) / len(articles) * 1000
    detect("warm", "up")
    started = time.perf_counter()
    for a in articles:
        detect(a.title, a.text)
    language_ms = (time.perf_counter() - started) / len(articles) * 1000

    def run(options: IngestOptions) -> tuple[float, dict[str, str | None], int]:
        directory = Path(tempfile.mkdtemp(prefix="duiding-dedup-"))
        try:
            archive = open_archive(directory)
            copies = [a.model_copy() for a in articles]
            started = time.perf_counter()
            summary = ingest_records(archive, lambda _p: iter(copies), directory / "rejects.jsonl", options)
            seconds = time.perf_counter() - started
            clusters = {a.url: a.cluster_id for a in archive.iter_articles()}
            archive.close()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return seconds, clusters, summary.added

    # The baseline: the same ingest without language detection and with clustering stubbed out.
    real_assign = Clusters.assign
    Clusters.assign = lambda self, seq, article_id, text, content_hash: article_id  # type: ignore[method-assign]
    try:
        baseline, _, _ = run(IngestOptions(nlp=False, language=False))
    finally:
        Clusters.assign = real_assign  # type: ignore[method-assign]
    seconds, cluster, added = run(IngestOptions(nlp=False))

    def pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
        return {tuple(sorted(p)) for members in groups.values() for p in itertools.combinations(members, 2)}

    by_truth: dict[str, list[str]] = defaultdict(list)
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for url, story in truth.items():
        by_truth[story].append(url)
        by_cluster[cluster[url]].append(url)
    true_pairs, found = pairs(by_truth), pairs(by_cluster)
    hits = true_pairs & found
    per_kind: Counter[str] = Counter()
    for url, kind in kind_of.items():
        per_kind[kind] += cluster[url] == cluster[truth[url]]
    wrong = found - true_pairs
    copies_wrong = [p for p in wrong if p[0] in kind_of or p[1] in kind_of]
    originals_together = [p for p in wrong if p[0] not in kind_of and p[1] not in kind_of]
    texts = {a.url: a for a in originals}

    def judged(a: str, b: str) -> dict:
        jaccard, containment = dedup.similarity(dedup.shingles(texts[a].text), dedup.shingles(texts[b].text))
        return {
            "titles": [texts[a].title, texts[b].title],
            "jaccard": round(jaccard, 3),
            "containment": round(containment, 3),
        }

    return {
        "corpus": corpus,
        "articles": len(articles),
        "originals": len(originals),
        "copies": len(kind_of),
        "stored": added,
        "ingest_seconds": round(seconds, 2),
        "ingest_articles_per_second": round(len(articles) / seconds, 1),
        "ingest_articles_per_second_without_language_and_clusters": round(len(articles) / baseline, 1),
        "signature_ms_per_article": round(signature_ms, 3),
        "language_ms_per_article": round(language_ms, 3),
        "true_pairs": len(true_pairs),
        "found_pairs": len(found),
        "precision": round(len(hits) / len(found), 4) if found else 1.0,
        "recall": round(len(hits) / len(true_pairs), 4) if true_pairs else 1.0,
        "recall_per_kind": {
            k: round(per_kind[k] / sum(1 for v in kind_of.values() if v == k), 4) for k in KINDS
        },
        "wrong_pairs_with_a_copy": len(copies_wrong),
        "wrong_pairs_by_kind_of_copy": dict(
            Counter(kind_of.get(a) or kind_of.get(b) for a, b in copies_wrong if a in kind_of or b in kind_of)
        ),
        "original_pairs_joined": [judged(a, b) for a, b in sorted(originals_together)],
        "clusters": len(by_cluster),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    if not (args.data / "dpgmedia2019-nl-news").is_dir():
        sys.exit(f"{args.data}: no dpgmedia2019-nl-news corpus here (see --data)")
    records = [r for r in dpgmedia_records(args.data) if r["title"].strip() and r["text"].strip()]
    print(f"{len(records):,} usable DpgMedia2019 articles", file=sys.stderr)
    extraction = bench_extraction(records, args.pages)
    print(json.dumps(extraction, indent=2), file=sys.stderr)
    near = bench_near_duplicates(records, args.copies, args.seed)
    result = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "extraction": extraction,
        "near_duplicates": near,
        "dedup_parameters": {
            "shingle_words": dedup.SHINGLE_WORDS,
            "num_perm": dedup.NUM_PERM,
            "bands": dedup.BANDS,
            "rows": dedup.ROWS,
            "threshold": dedup.THRESHOLD,
            "containment": dedup.CONTAINMENT,
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"monitor-{result['date']}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"→ {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
