"""One NER decoder: the training evaluator and the serving predictor turn the same scores into the same entities."""

from __future__ import annotations

import numpy as np
import pytest

from medassist.models.decoding import decode_sentences, tags_to_word_spans, with_o_bias
from medassist.models.predict import TokenClassifier
from medassist.text import word_offsets
from medassist.training.corpus import SpanDoc
from medassist.training.recipes import decode_docs

LABELS = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
VOCAB = ["GTN", "lead", "glyceryl", "trinitrate", "(", ")", "headache", "caused", "by", "the", "cisplatin", "."]


def _predictor(o_bias: float, consistency: dict | None, scores: list[np.ndarray]) -> TokenClassifier:
    meta = {"task": "token_classification", "labels": LABELS, "o_bias": o_bias, "consistency": consistency}
    clf = TokenClassifier("fake-model", meta, None, None)  # no network: the scores are given
    clf.word_logprobs = lambda docs_words: [scores[i] for i in range(len(docs_words))]  # type: ignore[method-assign]
    return clf


def _case(rng: np.random.Generator) -> tuple[str, np.ndarray]:
    words = list(rng.choice(VOCAB, size=int(rng.integers(1, 30))))
    z = rng.normal(0.0, 2.0, size=(len(words), len(LABELS))).astype(np.float32)
    z[:, 0] += rng.uniform(-1.0, 3.0)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return " ".join(words), logp.astype(np.float32)


def _training_entities(text: str, logp: np.ndarray, o_bias: float, consistency: dict | None) -> list[tuple[int, int, str]]:
    offs = word_offsets(text)
    tags = decode_docs([logp], [SpanDoc(text, offs)], LABELS, o_bias, consistency)[0]
    return [(offs[a][0], offs[b - 1][1], lab) for a, b, lab in tags_to_word_spans(tags)]


@pytest.mark.parametrize(("o_bias", "consistency"), [(0.0, None), (1.5, None), (0.0, {"threshold": 0.0, "window": 20}),
                                                     (4.0, {"threshold": 0.3, "window": 20})])
def test_training_evaluator_and_serving_predictor_give_the_same_entities(o_bias, consistency):
    rng = np.random.default_rng(12)
    cases = [_case(rng) for _ in range(200)]
    changed_by_decoding = 0
    for text, logp in cases:
        expected = _training_entities(text, logp, o_bias, consistency)
        clf = _predictor(o_bias, consistency, [logp])
        spans = clf.predict_spans([text])[0]
        assert [(s["start"], s["end"], s["label"]) for s in spans] == expected, text
        words = [text[a:b] for a, b in word_offsets(text)]
        assert tags_to_word_spans(clf.decode(logp, words)[0]) == tags_to_word_spans(
            decode_docs([logp], [SpanDoc(text, word_offsets(text))], LABELS, o_bias, consistency)[0])
        changed_by_decoding += expected != _training_entities(text, logp, 0.0, None)
    if o_bias or consistency:  # the settings under test did change entities, so the comparison means something
        assert changed_by_decoding > 0


def test_serving_scores_are_the_probabilities_of_the_decoded_tags_under_the_o_bias():
    rng = np.random.default_rng(3)
    text, logp = _case(rng)
    clf = _predictor(2.0, None, [logp])
    tags, probs = clf.decode(logp)
    biased = with_o_bias(logp, 2.0)
    assert probs == pytest.approx([float(np.exp(biased[t, LABELS.index(tag)])) for t, tag in enumerate(tags)])
    assert not np.shares_memory(biased, logp) and with_o_bias(logp, 0.0) is logp


def test_sentences_of_one_text_are_decoded_apart_and_joined_for_consistency():
    words = ["the", "GTN", "dose", "GTN", "again"]
    lp = np.full((5, len(LABELS)), np.log(0.01), dtype=np.float32)
    lp[:, 0] = np.log(0.96)
    lp[2, 1], lp[2, 0] = np.log(0.96), np.log(0.01)  # "dose" opens an entity ...
    lp[3, 2], lp[3, 1], lp[3, 0] = np.log(0.96), np.log(0.02), np.log(0.01)  # ... that the next word continues
    whole = decode_sentences([lp], [[(0, 5)]], [words], [None], LABELS)
    assert whole == [["O", "O", "B-Chemical", "I-Chemical", "O"]]
    # cut into two sentences, no sentence may open inside an entity
    apart = decode_sentences([lp], [[(0, 3), (3, 5)]], [words], [None], LABELS)
    assert apart == [["O", "O", "B-Chemical"], ["B-Chemical", "O"]]
    # the first "GTN" is untagged; consistency over the text (both sentences) adds it
    on = decode_sentences([lp], [[(0, 3), (3, 5)]], [words], [None], LABELS, consistency={"threshold": 0.5, "window": 0})
    assert on == [["O", "B-Chemical", "B-Chemical"], ["B-Chemical", "O"]]
