"""Train duiding's Dutch NER pipeline with spaCy.

    python -m duiding.nlp.train ner [--output DIR] [--max-steps N] [--extra europeana,wikiann]

1. converts CoNLL-2002 ``ned.train`` (and any ``--extra`` corpora) to ``DIR/corpus/train/*.spacy``
   and ``ned.testa`` to ``DIR/corpus/dev.spacy`` (kept between runs while the inputs are unchanged);
2. trains ``configs/ner.cfg`` with ``spacy.cli.train.train`` into ``DIR/model-best`` and
   ``DIR/model-last`` (spaCy picks model-best on testa's entity F1);
3. scores model-best on ``ned.testa`` with :func:`duiding.nlp.evaluate.evaluate_ner` and prints it,
   as the product runs it (with the document-level rules of :mod:`duiding.nlp.entities`) and raw.

``--final STEPS`` is the last step, after every choice was made on testa: the chosen recipe trained
again with ``ned.testa`` added to the gold (as many copies as ``ned.train``), for exactly STEPS steps
(the best step of the chosen run), with no early stopping; the result is ``DIR/model-last``, and
testa scores of it mean nothing (it has seen testa), so none are printed.

``ned.testb`` is never touched here: it is for the final figure only.
Load the result with ``duiding.nlp.load(DIR / "model-best")`` (or ``import duiding.nlp`` before
``spacy.load``), since the pipeline names duiding's tokenizer and sentence splitter.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from spacy.vocab import Vocab

import duiding.nlp  # noqa: F401  (registers duiding.dutch_tokenizer.v1 and duiding_sentencizer)
from duiding.nlp import conll
from duiding.nlp.tokenizer import build_tokenizer

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CONFIG = REPO_ROOT / "configs" / "ner.cfg"
EXTRAS = ("europeana", "wikiann", "wikineural")
CACHE_VERSION = 1
TRAIN_SENTENCES_PER_DOC = 10


def default_data_dir() -> Path:
    """``$DUIDING_DATA``, else the ``shared/data`` folder next to the repository."""
    env = os.environ.get("DUIDING_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def _sources(data_dir: Path, extras: list[str]) -> dict[str, Path]:
    src = {
        "conll2002-train": data_dir / "conll2002-nl" / "ned.train",
        "dev": data_dir / "conll2002-nl" / "ned.testa",
    }
    if "europeana" in extras:
        src["europeana"] = data_dir / "europeana-newspapers-ner-nl" / "enp_NL.kb.bio"
    if "wikiann" in extras:
        src["wikiann-train"] = data_dir / "wikiann-nl" / "train.conllu"
    if "wikineural" in extras:
        # Only val and test are staged (train is missing); both are silver, so both can train.
        src["wikineural-val"] = data_dir / "wikineural-nl" / "val.conllu"
        src["wikineural-test"] = data_dir / "wikineural-nl" / "test.conllu"
    missing = [str(p) for p in src.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError("training data not found: " + ", ".join(missing))
    return src


def silver_docs(model: Path, data_dir: Path, vocab: Vocab) -> list:
    """DpgMedia2019 articles (reserved ids left out) labelled by a trained model, for self-training.

    The model runs as the product runs it (:func:`duiding.nlp.entities.load_model`: with the
    document-level rules), so the silver labels carry what the rules know about the whole article.
    """
    from spacy.tokens import Doc

    from duiding.nlp.entities import LABELS, load_model
    from duiding.nlp.vectors import dpgmedia_records

    nlp = load_model(str(model))
    texts = (r["text"] for r in dpgmedia_records(data_dir))
    docs = []
    for doc in nlp.pipe(texts, batch_size=32):
        words = [t.text for t in doc]
        if not any(w.strip() for w in words):
            continue
        ents = [(e.start, e.end, e.label_) for e in doc.ents if e.label_ in LABELS]
        docs.append(
            Doc(
                vocab,
                words=words,
                spaces=[bool(t.whitespace_) for t in doc],
                sent_starts=[bool(t.is_sent_start) for t in doc],
                ents=conll.spans_to_iob(len(words), ents),
            )
        )
    return docs


def convert_corpora(
    data_dir: Path,
    cache_dir: Path,
    extras: list[str],
    *,
    gold_copies: int = 1,
    silver_model: Path | None = None,
    final: bool = False,
) -> tuple[Path, Path]:
    """Write the ``.spacy`` files; returns ``(train_dir, dev_file)``. Reuses them when up to date.

    ``gold_copies`` > 1 writes ``ned.train`` that many times, so that an epoch sees the gold CoNLL
    sentences that many times for each silver (``--extra``) sentence. ``silver_model`` adds the
    DpgMedia2019 articles labelled by that model (:func:`silver_docs`). ``final`` adds ``ned.testa``
    to the training gold too (``gold_copies`` times), for the final fit after model selection.
    """
    if gold_copies < 1:
        raise ValueError("gold_copies must be at least 1")
    sources = _sources(data_dir, extras)
    stamp = {
        "version": CACHE_VERSION,
        "train_sentences_per_doc": TRAIN_SENTENCES_PER_DOC,
        "gold_copies": gold_copies,
        "silver_model": _model_stamp(silver_model) if silver_model else None,
        "final": final,
        "sources": {k: [str(p), p.stat().st_mtime_ns, p.stat().st_size] for k, p in sources.items()},
    }
    stamp_path = cache_dir / "stamp.json"
    train_dir, dev_file = cache_dir / "train", cache_dir / "dev.spacy"
    if stamp_path.is_file() and json.loads(stamp_path.read_text()) == stamp:
        print(f"corpus: reusing {cache_dir}")
        return train_dir, dev_file
    train_dir.mkdir(parents=True, exist_ok=True)
    for old in train_dir.glob("*.spacy"):
        old.unlink()
    vocab = Vocab()
    stats = {}

    def write(name: str, docs: list, path: Path) -> None:
        conll.write_docbin(docs, path)
        stats[name] = {"docs": len(docs), "words": sum(len(d) for d in docs)}

    gold_docs = conll.to_docs(
        vocab,
        conll.read_conll2002(sources["conll2002-train"]),
        sentences_per_doc=TRAIN_SENTENCES_PER_DOC,
    )
    write("conll2002-train", gold_docs, train_dir / "conll2002-train.spacy")
    for copy in range(2, gold_copies + 1):
        write(f"conll2002-train-{copy}", gold_docs, train_dir / f"conll2002-train-{copy}.spacy")
    write("dev", conll.to_docs(vocab, conll.read_conll2002(sources["dev"])), dev_file)
    if final:
        dev_docs = conll.to_docs(
            vocab, conll.read_conll2002(sources["dev"]), sentences_per_doc=TRAIN_SENTENCES_PER_DOC
        )
        for copy in range(1, gold_copies + 1):
            write(f"conll2002-testa-{copy}", dev_docs, train_dir / f"conll2002-testa-{copy}.spacy")
    if "europeana" in sources:
        docs = conll.read_europeana(sources["europeana"], tokenizer=build_tokenizer(Vocab()))
        write("europeana", conll.to_docs(vocab, docs, missing_misc=True), train_dir / "europeana.spacy")
    if "wikiann-train" in sources:
        docs = conll.read_wikiann(sources["wikiann-train"], sentences_per_doc=TRAIN_SENTENCES_PER_DOC)
        write("wikiann-train", conll.to_docs(vocab, docs, missing_misc=True), train_dir / "wikiann.spacy")
    for part in ("val", "test"):
        if f"wikineural-{part}" in sources:
            # Same layout as WikiANN, but with all four labels: MISC is annotated, not missing.
            docs = conll.read_wikiann(
                sources[f"wikineural-{part}"], sentences_per_doc=TRAIN_SENTENCES_PER_DOC
            )
            write(f"wikineural-{part}", conll.to_docs(vocab, docs), train_dir / f"wikineural-{part}.spacy")
    if silver_model:
        write(
            "dpgmedia-silver", silver_docs(silver_model, data_dir, vocab), train_dir / "dpgmedia-silver.spacy"
        )
    stamp_path.write_text(json.dumps(stamp, indent=1))
    for name, s in stats.items():
        print(f"corpus: {name}: {s['docs']} docs, {s['words']} words")
    return train_dir, dev_file


def _model_stamp(model: Path) -> list:
    weights = Path(model) / "ner" / "model"
    return [str(Path(model).resolve()), weights.stat().st_mtime_ns if weights.exists() else None]


def _parse_value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def train_ner(
    output: Path,
    *,
    config: Path = DEFAULT_CONFIG,
    data_dir: Path | None = None,
    extras: list[str] | None = None,
    max_steps: int | None = None,
    eval_frequency: int | None = None,
    overrides: dict[str, object] | None = None,
    evaluate: bool = True,
    gold_copies: int = 1,
    silver_model: Path | None = None,
    final_steps: int | None = None,
) -> Path:
    """Convert, train and (optionally) score on testa; returns the ``model-best`` directory, or with
    ``final_steps`` (train on testa too, for that many steps) the ``model-last`` one."""
    from spacy.cli.train import train as spacy_train

    data_dir = data_dir or default_data_dir()
    extras = extras or []
    output = Path(output)
    train_dir, dev_file = convert_corpora(
        data_dir,
        output / "corpus",
        extras,
        gold_copies=gold_copies,
        silver_model=silver_model,
        final=final_steps is not None,
    )
    ov: dict[str, object] = {"paths.train": str(train_dir), "paths.dev": str(dev_file)}
    if final_steps is not None:
        # No selection left to make: a fixed number of steps, no early stopping, keep the last model.
        max_steps, evaluate = final_steps, False
        ov["training.patience"] = 0
    if max_steps is not None:
        ov["training.max_steps"] = max_steps
        if eval_frequency is None:
            eval_frequency = max(1, min(500, max_steps // 2))
    if eval_frequency is not None:
        ov["training.eval_frequency"] = eval_frequency
    ov.update(overrides or {})
    start = time.perf_counter()
    spacy_train(config, output, overrides=ov)
    seconds = time.perf_counter() - start
    best = output / ("model-last" if final_steps is not None else "model-best")
    print(f"\ntraining took {seconds:.1f} s; model: {best}")
    if evaluate:
        from duiding.nlp import load
        from duiding.nlp.entities import load_model
        from duiding.nlp.evaluate import evaluate_ner

        testa = data_dir / "conll2002-nl" / "ned.testa"
        raw = evaluate_ner(testa, load(best))
        result = evaluate_ner(testa, load_model(str(best)))
        result["raw_model"] = {k: raw[k] for k in ("precision", "recall", "f1", "per_label")}
        (output / "testa-scores.json").write_text(json.dumps(result, indent=2))
        per = ", ".join(f"{k} {v['f1']:.3f}" for k, v in result["per_label"].items())
        print(
            f"testa: P {result['precision']:.3f} R {result['recall']:.3f} F1 {result['f1']:.3f} "
            f"({per}); {result['words_per_second']:.0f} words/s; model alone F1 {raw['f1']:.3f}"
        )
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m duiding.nlp.train", description=__doc__.split("\n")[0])
    ap.add_argument("task", choices=["ner"])
    ap.add_argument("--output", type=Path, default=Path("training/ner"), help="default: training/ner")
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    ap.add_argument("--data", type=Path, default=None, help="the shared/data folder")
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--eval-frequency", type=int, default=None)
    ap.add_argument("--extra", default="", help=f"comma-separated extra training corpora: {','.join(EXTRAS)}")
    ap.add_argument(
        "--gold-copies",
        type=int,
        default=1,
        metavar="N",
        help="train on N copies of ned.train (upweights the gold CoNLL data against silver --extra data)",
    )
    ap.add_argument(
        "--silver-model",
        type=Path,
        default=None,
        metavar="DIR",
        help="self-training: add the DpgMedia2019 articles (reserved ids left out) labelled by this model",
    )
    ap.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config override, repeatable"
    )
    ap.add_argument(
        "--vectors",
        type=Path,
        nargs="?",
        const=Path("training/vectors"),
        default=None,
        metavar="DIR",
        help="use static floret vectors trained here (python -m duiding.nlp.vectors), training them into "
        "DIR first when DIR/model is missing (default DIR: training/vectors)",
    )
    ap.add_argument("--no-eval", action="store_true", help="skip scoring model-best on testa")
    ap.add_argument(
        "--final",
        type=int,
        default=None,
        metavar="STEPS",
        help="the final fit, after model selection: add ned.testa to the training gold and train for "
        "exactly STEPS steps (the chosen run's best step); the result is DIR/model-last",
    )
    args = ap.parse_args(argv)
    extras = [e.strip() for e in args.extra.split(",") if e.strip()]
    unknown = sorted(set(extras) - set(EXTRAS))
    if unknown:
        ap.error(f"unknown --extra corpus: {', '.join(unknown)} (known: {', '.join(EXTRAS)})")
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--set expects KEY=VALUE, got {item!r}")
        overrides[key] = _parse_value(value)
    if args.gold_copies < 1:
        ap.error("--gold-copies must be at least 1")
    if not args.config.is_file():
        ap.error(f"config not found: {args.config}")
    if args.vectors is not None:
        from duiding.nlp import vectors

        pipeline = args.vectors / "model"
        if not (pipeline / "config.cfg").is_file():
            vectors.train(args.data or default_data_dir(), args.vectors)
        overrides.setdefault("initialize.vectors", str(pipeline))
        overrides.setdefault("components.tok2vec.model.embed.include_static_vectors", True)
    train_ner(
        args.output,
        config=args.config,
        data_dir=args.data,
        extras=extras,
        max_steps=args.max_steps,
        eval_frequency=args.eval_frequency,
        overrides=overrides,
        evaluate=not args.no_eval,
        gold_copies=args.gold_copies,
        final_steps=args.final,
        silver_model=args.silver_model,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
