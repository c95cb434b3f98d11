"""duiding's NER model against Debian's Frog on the same CoNLL-2002 file, through the same scorer.

    python benchmarks/ner_compare.py [--gold ../shared/data/conll2002-nl/ned.testb] [--out benchmarks/out]

Both see the gold tokens (one sentence per line for Frog, with its tokenizer skipped), and both are
scored by :func:`duiding.nlp.evaluate.score_spans` (exact span and label, micro-averaged). Frog's labels
are mapped to the four CoNLL ones: PER, LOC, ORG as they are, PRO (products) and EVE (events) and
MISC to MISC. Frog runs with only its tagger and NER (``--skip=tmacpl``), and its time includes its
start-up (loading its models takes a few seconds), measured as wall time of the ``frog`` command.
Install Frog with ``apt-get install frog``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from duiding.nlp.conll import iob_to_spans, read_conll2002
from duiding.nlp.entities import load_model
from duiding.nlp.evaluate import evaluate_ner, score_spans

ROOT = Path(__file__).resolve().parents[1]
_IOB = re.compile(r"^(O|[BI]-[A-Z]+)$")
FROG_LABELS = {"PER": "PER", "LOC": "LOC", "ORG": "ORG", "PRO": "MISC", "EVE": "MISC", "MISC": "MISC"}


def frog_scores(gold: Path) -> dict:
    sentences = [s for doc in read_conll2002(gold) for s in doc.sentences]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.txt", Path(tmp) / "out.tsv"
        src.write_text("\n".join(" ".join(s.words) for s in sentences) + "\n", encoding="utf-8")
        started = time.perf_counter()
        subprocess.run(
            ["frog", "-t", str(src), "-n", "--skip=tmacpl", "-o", str(dst)],
            check=True,
            capture_output=True,
        )
        seconds = time.perf_counter() - started
        predicted_sentences: list[list[str]] = [[]]
        for line in dst.read_text(encoding="utf-8").splitlines():
            cols = line.split("\t")
            if len(cols) < 7:
                if predicted_sentences[-1]:
                    predicted_sentences.append([])
                continue
            # The NER column: the first IOB tag after the POS tag (skipped modules leave empty columns).
            tag = next(c for c in cols[5:] if _IOB.match(c))
            if tag != "O":
                prefix, _, label = tag.partition("-")
                tag = f"{prefix}-{FROG_LABELS.get(label, 'MISC')}"
            predicted_sentences[-1].append(tag)
    predicted_sentences = [s for s in predicted_sentences if s]
    if len(predicted_sentences) != len(sentences):
        raise SystemExit(f"frog returned {len(predicted_sentences)} sentences for {len(sentences)}")
    gold_spans, pred_spans = [], []
    for k, (sentence, tags) in enumerate(zip(sentences, predicted_sentences, strict=True)):
        if len(tags) != len(sentence.words):
            raise SystemExit(f"sentence {k}: frog returned {len(tags)} tokens for {len(sentence.words)}")
        gold_spans += [(k, s, e, label) for s, e, label in iob_to_spans(sentence.tags)]
        pred_spans += [(k, s, e, label) for s, e, label in iob_to_spans(tags)]
    words = sum(len(s.words) for s in sentences)
    result = score_spans(gold_spans, pred_spans)
    result.update(words=words, seconds=seconds, words_per_second=words / seconds)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--gold", type=Path, default=ROOT.parent / "shared" / "data" / "conll2002-nl" / "ned.testb"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args()
    results = {"gold": args.gold.name, "duiding": evaluate_ner(args.gold, load_model())}
    if shutil.which("frog"):
        results["frog"] = frog_scores(args.gold)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ner-compare.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
