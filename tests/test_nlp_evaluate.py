"""The exact-span NER scorer (duiding.nlp.evaluate) on hand-made cases with known answers."""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("spacy", reason="spaCy is not installed (duiding.nlp needs it)")

import spacy

from duiding.nlp.evaluate import evaluate_ner, score_spans

GOLD = [(0, 0, 2, "PER"), (0, 5, 6, "LOC"), (1, 3, 4, "ORG"), (1, 7, 9, "MISC")]


def test_perfect():
    s = score_spans(GOLD, GOLD)
    assert (s["precision"], s["recall"], s["f1"]) == (1.0, 1.0, 1.0)
    assert s["per_label"]["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}


def test_partial_credit_is_no_credit():
    pred = [
        (0, 0, 2, "PER"),  # right
        (0, 5, 7, "LOC"),  # boundary too long: a false positive and a false negative
        (1, 3, 4, "PER"),  # wrong label: likewise
    ]
    s = score_spans(GOLD, pred)
    assert s["precision"] == pytest.approx(1 / 3)
    assert s["recall"] == pytest.approx(1 / 4)
    assert s["f1"] == pytest.approx(2 * (1 / 3) * (1 / 4) / (1 / 3 + 1 / 4))
    per = s["per_label"]
    assert per["PER"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert per["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per["MISC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_known_micro_figures():
    # 4 gold, 3 predicted, 2 right: P = 2/3, R = 1/2, F1 = 4/7
    pred = [(0, 0, 2, "PER"), (1, 7, 9, "MISC"), (1, 0, 1, "LOC")]
    s = score_spans(GOLD, pred)
    assert (s["precision"], s["recall"]) == (pytest.approx(2 / 3), pytest.approx(1 / 2))
    assert s["f1"] == pytest.approx(4 / 7)
    assert s["per_label"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_same_offsets_in_another_document_do_not_match():
    s = score_spans([(0, 0, 2, "PER")], [(1, 0, 2, "PER")])
    assert s["f1"] == 0.0


def test_no_predictions_and_no_gold():
    s = score_spans(GOLD, [])
    assert (s["precision"], s["recall"], s["f1"]) == (0.0, 0.0, 0.0)
    assert s["per_label"]["PER"]["support"] == 1
    s = score_spans([], [(0, 0, 1, "PER")])
    assert (s["precision"], s["recall"], s["f1"]) == (0.0, 0.0, 0.0)
    assert s["per_label"]["PER"]["support"] == 0


GOLD_FILE = """-DOCSTART- -DOCSTART- O
Jan N B-PER
Peeters N I-PER
woont V O
in Prep O
Gent N B-LOC
. Punc O

Peeters N B-PER
werkt V O
bij Prep O
Agfa N B-ORG
. Punc O

-DOCSTART- -DOCSTART- O
In Prep O
Gent N B-ORG
. Punc O
"""


def test_evaluate_ner_runs_the_pipeline_on_gold_tokens(tmp_path):
    gold = tmp_path / "gold.conll"
    gold.write_text(GOLD_FILE, encoding="utf-8")
    nlp = spacy.blank("nl")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PER", "pattern": [{"ORTH": "Peeters"}]},  # finds 2, the first one too short
            {"label": "LOC", "pattern": "Gent"},  # right in doc 1, wrong label in doc 2
        ]
    )
    # gold: PER(Jan Peeters), LOC, PER, ORG | ORG = 5; predicted: PER, LOC, PER, LOC = 4; right: LOC, PER = 2
    r = evaluate_ner(gold, nlp)
    assert r["words"] == 14
    assert r["precision"] == pytest.approx(2 / 4)
    assert r["recall"] == pytest.approx(2 / 5)
    assert r["f1"] == pytest.approx(2 * 0.5 * 0.4 / 0.9)
    assert r["per_label"]["PER"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert r["per_label"]["LOC"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 1,
    }
    assert r["per_label"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert r["words_per_second"] > 0 and math.isfinite(r["words_per_second"])


def test_main_scores_with_and_without_the_document_rules(tmp_path, capsys):
    from duiding.nlp.entities import model_path
    from duiding.nlp.evaluate import main

    if not (model_path() / "config.cfg").is_file():
        pytest.skip("no shipped NER model")
    gold = tmp_path / "gold.conll"
    gold.write_text(GOLD_FILE, encoding="utf-8")
    for flags in ([], ["--raw"]):
        assert main([str(model_path()), str(gold), *flags]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["words"] == 14 and 0 <= result["f1"] <= 1
