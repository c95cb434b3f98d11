"""Scoring quotes against gold annotations, as ``spec/quotes.md`` defines it.

The same figures, by the same algorithm, as the protocol's own ``score_quotes.py`` (the test suite runs
both on one prediction file and compares), so ``duiding eval quotes`` needs nothing outside the package:

* predicted and gold quotes of one article are paired greedily by descending overlap (characters in
  both spans over characters in either; ties broken as the reference breaks them), a pair counting
  when its overlap is at least 0.3 (lenient) or 0.8 (strict);
* precision, recall and F1 are micro-averaged over the gold file's articles (an article missing from
  the predictions has none);
* per counted pair: speaker match (the predicted speaker is the gold speaker or one of its aliases,
  case-insensitive, whitespace folded; both null matches), speaker resolved (it is the gold speaker
  itself), type match; attributed recall is speaker matches over all gold quotes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["THRESHOLDS", "QuoteFileError", "fold", "load", "overlap", "pair", "score"]

#: The pairing thresholds: the name of each set of figures and its minimum overlap.
THRESHOLDS: tuple[tuple[str, float], ...] = (("lenient", 0.3), ("strict", 0.8))

QuoteRecord = Mapping[str, Any]


class QuoteFileError(ValueError):
    """A line of a quotes file that cannot be read; the message names ``file:line``."""


def load(path: str | Path) -> dict[str, list[QuoteRecord]]:
    """``{article id: quotes}`` from a JSON Lines file of ``{"id", "quotes": [...]}`` (a later line with
    the same id replaces an earlier one, as in the reference scorer)."""
    out: dict[str, list[QuoteRecord]] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise QuoteFileError(f"{path}:{n}: not JSON: {e}") from None
            if not isinstance(row, dict) or "id" not in row:
                raise QuoteFileError(f"{path}:{n}: expected an object with an 'id'")
            quotes = row.get("quotes") or []
            if not isinstance(quotes, list) or not all(_is_span(q) for q in quotes):
                raise QuoteFileError(
                    f"{path}:{n}: 'quotes' must be a list of objects with integer start and end"
                )
            out[str(row["id"])] = quotes
    return out


def _is_span(q: object) -> bool:
    return (
        isinstance(q, dict)
        and isinstance(q.get("start"), int)
        and isinstance(q.get("end"), int)
        and not isinstance(q.get("start"), bool)
        and not isinstance(q.get("end"), bool)
    )


def overlap(a: QuoteRecord, b: QuoteRecord) -> float:
    """Characters in both spans over characters in either (0 for disjoint spans)."""
    inter = max(0, min(a["end"], b["end"]) - max(a["start"], b["start"]))
    union = max(a["end"], b["end"]) - min(a["start"], b["start"])
    return inter / union if union > 0 else 0.0


def fold(name: object) -> str | None:
    """A speaker name compared case-insensitively with whitespace folded; anything else is None."""
    return " ".join(name.lower().split()) if isinstance(name, str) else None


def pair(
    gold: Sequence[QuoteRecord], pred: Sequence[QuoteRecord], threshold: float
) -> list[tuple[QuoteRecord, QuoteRecord]]:
    """Greedy one-to-one pairs by descending overlap, each at least ``threshold``.

    Equal overlaps go to the later gold quote, then the later prediction (the reference sorts
    ``(overlap, gold index, pred index)`` in reverse).
    """
    candidates = sorted(
        ((overlap(g, p), i, j) for i, g in enumerate(gold) for j, p in enumerate(pred)),
        reverse=True,
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs: list[tuple[QuoteRecord, QuoteRecord]] = []
    for value, i, j in candidates:
        if value < threshold:
            break
        if i in used_gold or j in used_pred:
            continue
        used_gold.add(i)
        used_pred.add(j)
        pairs.append((gold[i], pred[j]))
    return pairs


def _ratio(n: int, d: int) -> float:
    return n / d if d else 0.0


def score(
    gold: Mapping[str, Sequence[QuoteRecord]], pred: Mapping[str, Sequence[QuoteRecord]]
) -> dict[str, Any]:
    """The figures of ``score_quotes.py --json``: ``articles``, ``gold``, ``predicted`` and, for
    ``lenient`` and ``strict``, ``matched``, ``precision``, ``recall``, ``f1``, ``speaker_match``,
    ``speaker_resolved``, ``type_match`` and ``attributed_recall`` (rounded to 4 places).

    Only the gold file's articles count; predictions for other ids are ignored.
    """
    result: dict[str, Any] = {"articles": len(gold), "gold": 0, "predicted": 0}
    for name, threshold in THRESHOLDS:
        tp = n_gold = n_pred = 0
        speaker = resolved = typed = 0
        for article_id, g in gold.items():
            p = pred.get(article_id, [])
            pairs = pair(g, p, threshold)
            tp += len(pairs)
            n_gold += len(g)
            n_pred += len(p)
            for gq, pq in pairs:
                said = fold(pq.get("speaker"))
                names = {fold(gq.get("speaker"))} | {fold(a) for a in gq.get("speaker_aliases") or []}
                speaker += said in names
                resolved += said == fold(gq.get("speaker"))
                typed += pq.get("type") == gq.get("type")
        precision = _ratio(tp, n_pred)
        recall = _ratio(tp, n_gold)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result["gold"], result["predicted"] = n_gold, n_pred
        result[name] = {
            "matched": tp,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "speaker_match": round(speaker / tp, 4) if tp else 0.0,
            "speaker_resolved": round(resolved / tp, 4) if tp else 0.0,
            "type_match": round(typed / tp, 4) if tp else 0.0,
            # quotes found and attributed right, over all gold quotes: the end-to-end figure
            "attributed_recall": round(speaker / n_gold, 4) if n_gold else 0.0,
        }
    return result
