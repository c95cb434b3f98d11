"""Static word vectors trained here, on the unlabeled Dutch text in ``../shared/data``.

No Dutch vectors can be downloaded, so the NER model's static vectors come from floret (fastText with
hashed subwords, spaCy's compact vector format) trained on every Dutch text we may learn from:

* DpgMedia2019 articles (2019 Dutch news; the ids in ``spec/reserved-ids.txt`` are left out),
* CoNLL-2002 ``ned.train`` and ``ned.testa`` words (never ``ned.testb``, the test set),
* WikiANN and WikiNEuRal sentences, UD Dutch (Alpino, LassySmall) sentences,
* Europeana historical newspaper text and the OpenBoek novels.

    python -m duiding.nlp.vectors [--data ../shared/data] [--output training/vectors]

writes ``OUTPUT/text.txt`` (one tokenised, lower-cased sentence per line), ``OUTPUT/vectors.floret``
and ``OUTPUT/model`` (a spaCy pipeline holding only the vectors, for ``[initialize] vectors``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"

# floret settings: subword hashing keeps OOV names close to their in-vocabulary spellings.
DIM = 100
BUCKET = 50_000  # hash table rows: 50k x 100 floats = 20 MB in training, stored compact by spaCy
MINN, MAXN = 3, 5
EPOCHS = 10
HASH_COUNT = 2


def _conllu_sentences(path: Path) -> Iterator[list[str]]:
    words: list[str] = []
    for line in path.open(encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if words:
                yield words
                words = []
        elif not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 2 and parts[0].isdigit():  # not multiword ranges (1-2) or empty nodes (1.1)
                words.append(parts[1])
    if words:
        yield words


def _conll2002_sentences(path: Path) -> Iterator[list[str]]:
    words: list[str] = []
    for line in path.open(encoding="utf-8"):
        parts = line.split()
        if not parts or parts[0] == "-DOCSTART-":
            if words:
                yield words
                words = []
        else:
            words.append(parts[0])
    if words:
        yield words


def dpgmedia_records(data: Path) -> Iterator[dict]:
    """The DpgMedia2019 articles we may learn from: every record whose id is not held out.

    The held-out ids (``spec/reserved-ids.txt`` beside ``data``) are for independent evaluation only;
    everything that reads this corpus for training or benchmarks goes through here.
    """
    spec = data.parent / "spec" / "reserved-ids.txt"
    reserved = {x for x in spec.read_text().split() if x.isdigit()} if spec.exists() else set()
    dpg = data / "dpgmedia2019-nl-news" / "dpgMedia2019-articles-byarticle-all.jsonl"
    with dpg.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if str(record["id"]) not in reserved:
                yield record


def sentences(data: Path) -> Iterator[list[str]]:
    """Every unlabeled sentence we may train vectors on, as words."""
    from spacy.vocab import Vocab

    from duiding.nlp.tokenizer import build_tokenizer

    tokenizer = build_tokenizer(Vocab())
    for record in dpgmedia_records(data):
        for text in (record["title"], record["text"]):
            if text.strip():
                yield [t.text for t in tokenizer(text) if not t.is_space]
    for name in ("ned.train", "ned.testa"):  # never ned.testb
        yield from _conll2002_sentences(data / "conll2002-nl" / name)
    for path in sorted((data / "wikiann-nl").glob("*.conllu")) + sorted(
        (data / "wikineural-nl").glob("*.conllu")
    ):
        for words in _conllu_sentences(path):
            yield words
    for path in sorted(data.glob("ud-dutch-*/**/*.conllu")):
        yield from _conllu_sentences(path)
    europeana = data / "europeana-newspapers-ner-nl" / "enp_NL.kb.bio"
    words: list[str] = []
    for line in europeana.open(encoding="utf-8", errors="replace"):
        parts = line.split()
        if parts:
            words.append(parts[0])
        if len(words) >= 40 or (not parts and words):
            yield words
            words = []
    for path in sorted((data / "openboek-quotes-coref-nl" / "tokenized").glob("*.tok")):
        for line in path.open(encoding="utf-8"):
            _, _, text = line.partition("|")
            if text.strip():
                yield text.split()


def write_text(data: Path, path: Path) -> int:
    """The training text for the vectors: one lower-cased sentence per line. Returns the word count."""
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for words in sentences(data):
            if words:
                out.write(" ".join(w.lower() for w in words) + "\n")
                n += len(words)
    return n


def train(data: Path, output: Path) -> Path:
    """Train floret vectors and convert them to a spaCy vectors pipeline; returns its directory."""
    import floret

    output.mkdir(parents=True, exist_ok=True)
    text = output / "text.txt"
    words = write_text(data, text)
    print(f"vectors: {words:,} words of training text in {text}")
    model = floret.train_unsupervised(
        str(text),
        model="cbow",
        mode="floret",
        hashCount=HASH_COUNT,
        bucket=BUCKET,
        minn=MINN,
        maxn=MAXN,
        dim=DIM,
        epoch=EPOCHS,
        minCount=3,
        thread=2,
    )
    vectors = output / "vectors.floret"
    model.save_floret_vectors(str(vectors))
    pipeline = output / "model"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "init",
            "vectors",
            "nl",
            str(vectors),
            str(pipeline),
            "--mode",
            "floret",
            "--attr",
            "LOWER",
        ],
        check=True,
    )
    return pipeline


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m duiding.nlp.vectors", description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared/data folder")
    ap.add_argument("--output", type=Path, default=Path("training/vectors"))
    args = ap.parse_args(argv)
    print(f"vectors pipeline: {train(args.data, args.output)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
