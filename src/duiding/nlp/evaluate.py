"""Score a NER pipeline against CoNLL-2002 gold: exact-span micro P/R/F1, per label, and speed.

``python -m duiding.nlp.evaluate MODEL_DIR GOLD_FILE`` prints the result as JSON.

Model selection uses ``ned.testa`` only; ``ned.testb`` is for the final figure, once.

Why our own scorer (rather than ``spacy.scorer.Scorer``): the numbers must follow the CoNLL-2002
shared task conventions, as ``conlleval`` computes them, whatever spaCy version is installed:

* an entity counts as found only when both boundaries *and* the label match exactly;
* gold chunks are read from IOB with conlleval's rule (an ``I-X`` that does not continue an ``X``
  chunk opens a new one; see :func:`duiding.nlp.conll.iob_to_spans`);
* micro-averaging over all entities: P = tp / predicted, R = tp / gold, F1 = 2PR / (P + R), and each is
  0 when its denominator is 0 (conlleval's choice; a model that predicts nothing scores P = 0);
* a predicted label outside the gold label set is simply a false positive, and is listed per label.

The model runs on the gold tokens (``Doc(words=...)``), so tokenisation differences do not enter
the score. It runs on one whole article at a time (CoNLL ``-DOCSTART-``), as ``duiding ingest`` does,
so the document-level rules that :func:`duiding.nlp.entities.load_model` adds after the NER model
(``duiding_document_rules``) are part of what is scored; ``--raw`` scores the trained model alone.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from duiding.nlp.conll import iob_to_spans, read_conll2002

SpanKey = tuple[int, int, int, str]  # (doc index, start token, end token, label)


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score_spans(gold: Iterable[SpanKey], predicted: Iterable[SpanKey]) -> dict:
    """Exact-match micro P/R/F1 over ``(doc, start, end, label)`` spans, overall and per label."""
    gold_set, pred_set = set(gold), set(predicted)
    correct = gold_set & pred_set
    n_gold = Counter(s[3] for s in gold_set)
    n_pred = Counter(s[3] for s in pred_set)
    n_tp = Counter(s[3] for s in correct)
    p, r, f = _prf(len(correct), len(pred_set), len(gold_set))
    per_label = {}
    for label in sorted(set(n_gold) | set(n_pred)):
        lp, lr, lf = _prf(n_tp[label], n_pred[label], n_gold[label])
        per_label[label] = {"precision": lp, "recall": lr, "f1": lf, "support": n_gold[label]}
    return {"precision": p, "recall": r, "f1": f, "per_label": per_label}


def doc_spans(docs: Iterable[Doc]) -> list[SpanKey]:
    """The predicted entities of ``docs`` as ``(doc index, start, end, label)``."""
    return [(k, e.start, e.end, e.label_) for k, doc in enumerate(docs) for e in doc.ents]


def evaluate_ner(
    gold_path: str | Path,
    nlp: Language,
    *,
    batch_size: int = 64,
    n_process: int = 1,
) -> dict:
    """Run ``nlp`` over the gold tokens of a CoNLL-2002 file (one ``Doc`` per article) and score it.

    Returns ``{"precision", "recall", "f1", "per_label": {label: {"precision", "recall", "f1",
    "support"}}, "words_per_second", "words", "seconds"}``. The timing covers ``nlp.pipe`` over all
    articles (every pipeline component, not the tokenizer, since the words are given), after one
    warm-up article.
    """
    documents = read_conll2002(gold_path)
    gold: list[SpanKey] = []
    inputs: list[Doc] = []
    for k, document in enumerate(documents):
        words = [w for s in document.sentences for w in s.words]
        tags = [t for s in document.sentences for t in s.tags]
        gold.extend((k, s, e, label) for s, e, label in iob_to_spans(tags))
        inputs.append(Doc(nlp.vocab, words=words))
    n_words = sum(len(d) for d in inputs)
    if inputs:  # warm-up (lazy allocations), not timed
        nlp(Doc(nlp.vocab, words=[t.text for t in inputs[0]]))
    start = time.perf_counter()
    predicted = list(nlp.pipe(inputs, batch_size=batch_size, n_process=n_process))
    seconds = time.perf_counter() - start
    result = score_spans(gold, doc_spans(predicted))
    result["words"] = n_words
    result["seconds"] = seconds
    result["words_per_second"] = n_words / seconds if seconds > 0 else float("inf")
    return result


def main(argv: list[str] | None = None) -> int:
    import duiding.nlp  # noqa: F401  (registers the components the saved pipeline names)
    from duiding.nlp import load
    from duiding.nlp.entities import load_model

    ap = argparse.ArgumentParser(prog="python -m duiding.nlp.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("model", help="a spaCy pipeline directory (e.g. .../model-best)")
    ap.add_argument("gold", help="a CoNLL-2002 file (use ned.testa while tuning)")
    ap.add_argument("--n-process", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--raw", action="store_true", help="the trained model without the document-level rules")
    args = ap.parse_args(argv)
    nlp = load(args.model) if args.raw else load_model(args.model)
    result = evaluate_ner(args.gold, nlp, batch_size=args.batch_size, n_process=args.n_process)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
