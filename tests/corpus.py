"""Test corpora built from real text: the bundled NOS sample's paragraphs, recombined into many articles."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from duiding.ingest.readers import read_articles
from duiding.model import Article


def sample_article(sample_txt: Path) -> Article:
    (article,) = [a for a in read_articles([sample_txt]) if isinstance(a, Article)]
    return article


def write_jsonl_corpus(path: Path, sample_txt: Path, n: int) -> Path:
    """``n`` distinct articles, each a rotation of the sample's paragraphs, with its own URL and date."""
    base = sample_article(sample_txt)
    paragraphs = base.text.split("\n")
    start = datetime.fromisoformat("2022-01-01T08:00:00+01:00")
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            k = i % len(paragraphs)
            body = "\n".join(paragraphs[k:] + paragraphs[:k])
            record = {
                "id": str(100000 + i),
                "title": f"{paragraphs[k][:60]} ({i})",
                "text": body,
                "published": (start + timedelta(hours=7 * i)).isoformat(),
                "url": f"https://nos.nl/artikel/{100000 + i}-test",
                "category": ["Buitenland", "Binnenland", "Politiek"][i % 3],
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
