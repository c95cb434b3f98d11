"""The training recipe end to end on a tiny corpus (seconds), and loading its result in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("spacy", reason="spaCy is not installed (duiding.nlp needs it)")

from duiding.nlp.train import DEFAULT_CONFIG, convert_corpora, main, train_ner

SENTENCES = [
    [("Jan", "B-PER"), ("Peeters", "I-PER"), ("woont", "O"), ("in", "O"), ("Gent", "B-LOC"), (".", "O")],
    [
        ("Hij", "O"),
        ("werkt", "O"),
        ("bij", "O"),
        ("Agfa", "B-ORG"),
        ("in", "O"),
        ("Mortsel", "B-LOC"),
        (".", "O"),
    ],
    [
        ("Het", "O"),
        ("Belgisch", "B-MISC"),
        ("Staatsblad", "I-MISC"),
        ("meldt", "O"),
        ("het", "O"),
        (".", "O"),
    ],
]


def write_conll(path, n_docs: int) -> None:
    lines = []
    for _ in range(n_docs):
        lines.append("-DOCSTART- -DOCSTART- O")
        for sentence in SENTENCES:
            lines.extend(f"{w} X {t}" for w, t in sentence)
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def data_dir(tmp_path):
    base = tmp_path / "data" / "conll2002-nl"
    base.mkdir(parents=True)
    write_conll(base / "ned.train", 8)
    write_conll(base / "ned.testa", 2)
    return tmp_path / "data"


def test_convert_is_cached(data_dir, tmp_path, capsys):
    train_dir, dev = convert_corpora(data_dir, tmp_path / "cache", [])
    assert dev.is_file() and [p.name for p in train_dir.glob("*.spacy")] == ["conll2002-train.spacy"]
    convert_corpora(data_dir, tmp_path / "cache", [])
    assert "reusing" in capsys.readouterr().out
    with pytest.raises(FileNotFoundError):
        convert_corpora(data_dir, tmp_path / "cache2", ["wikiann"])


@pytest.mark.slow
def test_train_tiny_and_load_in_a_fresh_process(data_dir, tmp_path):
    out = tmp_path / "ner"
    best = train_ner(out, config=DEFAULT_CONFIG, data_dir=data_dir, max_steps=4, eval_frequency=2)
    assert (best / "config.cfg").is_file()
    scores = json.loads((out / "testa-scores.json").read_text())
    assert set(scores) >= {"precision", "recall", "f1", "per_label", "words_per_second", "words"}
    code = (
        "import duiding.nlp, spacy, sys\n"
        f"nlp = spacy.load({str(best)!r})\n"
        "assert nlp.pipe_names == ['duiding_sentencizer', 'tok2vec', 'ner'], nlp.pipe_names\n"
        "doc = nlp('Zo’n 1.000 mensen, zei dr. J. Jansen. Daarna sprak Poetin.')\n"
        "assert [t.text for t in doc][:3] == ['Zo’n', '1.000', 'mensen']\n"
        "assert len(list(doc.sents)) == 2\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_cli_rejects_unknown_extra(capsys):
    with pytest.raises(SystemExit):
        main(["ner", "--extra", "bogus"])
    assert "unknown --extra corpus" in capsys.readouterr().err


def test_gold_copies_upweight_ned_train(data_dir, tmp_path):
    train_dir, _ = convert_corpora(data_dir, tmp_path / "cache", [], gold_copies=3)
    names = sorted(p.name for p in train_dir.glob("*.spacy"))
    assert names == ["conll2002-train-2.spacy", "conll2002-train-3.spacy", "conll2002-train.spacy"]
    # a different number of copies is a different corpus: rewritten, not reused
    train_dir, _ = convert_corpora(data_dir, tmp_path / "cache", [], gold_copies=1)
    assert [p.name for p in train_dir.glob("*.spacy")] == ["conll2002-train.spacy"]
    with pytest.raises(ValueError):
        convert_corpora(data_dir, tmp_path / "cache", [], gold_copies=0)


def test_silver_docs_label_dpgmedia_with_a_model(data_dir):
    from spacy.vocab import Vocab

    from duiding.nlp.entities import model_path
    from duiding.nlp.train import silver_docs

    if not (model_path() / "config.cfg").is_file():
        pytest.skip("no shipped NER model")
    dpg = data_dir / "dpgmedia2019-nl-news"
    dpg.mkdir()
    articles = [
        {"id": 1, "title": "t", "text": "Premier Mark Rutte sprak in Den Haag met de Franse president."},
        {"id": 2, "title": "t", "text": "Volgens Rutte moet Nederland meer doen."},
    ]
    (dpg / "dpgMedia2019-articles-byarticle-all.jsonl").write_text(
        "\n".join(json.dumps(a) for a in articles) + "\n", encoding="utf-8"
    )
    docs = silver_docs(model_path(), data_dir, Vocab())
    assert len(docs) == 2
    ents = {(e.text, e.label_) for d in docs for e in d.ents}
    assert ("Mark Rutte", "PER") in ents and ("Franse", "MISC") in ents
    assert all(d.has_annotation("SENT_START") for d in docs)


def test_final_fit_trains_on_testa_too(data_dir, tmp_path):
    train_dir, _ = convert_corpora(data_dir, tmp_path / "cache", [], gold_copies=2, final=True)
    names = sorted(p.name for p in train_dir.glob("*.spacy"))
    assert names == [
        "conll2002-testa-1.spacy",
        "conll2002-testa-2.spacy",
        "conll2002-train-2.spacy",
        "conll2002-train.spacy",
    ]
    # selection runs and the final fit do not share a cached corpus
    train_dir, _ = convert_corpora(data_dir, tmp_path / "cache", [], gold_copies=2)
    assert not list(train_dir.glob("conll2002-testa-*.spacy"))


@pytest.mark.slow
def test_final_fit_keeps_the_last_model_and_scores_nothing(data_dir, tmp_path):
    out = tmp_path / "final"
    model = train_ner(out, config=DEFAULT_CONFIG, data_dir=data_dir, final_steps=4)
    assert model == out / "model-last" and (model / "config.cfg").is_file()
    assert not (out / "testa-scores.json").exists()  # it has seen testa: a score there means nothing
    cfg = (model / "config.cfg").read_text()
    assert "max_steps = 4" in cfg and "patience = 0" in cfg
