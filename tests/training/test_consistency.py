"""Document-level label consistency: what it adds, what it must leave alone, and how documents are cut."""

from __future__ import annotations

import numpy as np

from medassist.models.decoding import document_groups, propagate
from medassist.training.corpus import read_spans
from medassist.training.recipes import decode_docs, fit_decoding, gold_tags
from tests.conftest import write_conll


def _s(text: str) -> list[str]:
    return text.split()


def test_abbreviation_defined_after_an_entity_is_tagged_everywhere():
    sents = [_s("Glyceryl trinitrate ( GTN ) was given ."), _s("Headache followed GTN in four patients .")]
    tags = [["B-Chemical", "I-Chemical", "O", "O", "O", "O", "O", "O"], ["B-Disease", "O", "O", "O", "O", "O", "O"]]
    out = propagate(sents, tags, threshold=0.3)
    assert out[0][3] == "B-Chemical"  # the definition itself
    assert out[1][2] == "B-Chemical"  # and the later bare mention
    assert out[1][0] == "B-Disease" and tags[0][3] == "O"  # the rest kept; the input is not modified


def test_only_a_short_form_right_after_an_entity_counts_as_its_abbreviation():
    sents = [_s("Cisplatin ( CDDP ) and lidocaine ( n = 12 ) were given .")]
    tags = [["B-Chemical", "O", "O", "O", "O", "B-Chemical", "O", "O", "O", "O", "O", "O", "O", "O"]]
    out = propagate(sents, tags, threshold=0.3)
    assert out[0][2] == "B-Chemical"  # CDDP: a capital, and the long form's first letter
    assert out[0][7] == "O"  # "n" after lidocaine: not followed by ")", no capital


def test_mentions_follow_the_document_majority_and_the_threshold():
    sents = [_s("lead poisoning was seen ."), _s("lead exposure was low ."), _s("this may lead to anaemia .")]
    tags = [["B-Chemical", "O", "O", "O", "O"], ["O"] * 5, ["O", "O", "O", "O", "B-Disease", "O"]]
    # 1 vote for 3 occurrences of "lead": added at threshold 0.3, not at 0.5
    low = propagate(sents, tags, threshold=0.3)
    high = propagate(sents, tags, threshold=0.5)
    assert low[1][0] == "B-Chemical" and low[2][2] == "B-Chemical"
    assert high == tags


def test_propagation_never_retypes_or_splits_what_the_model_found():
    sents = [_s("heparin sodium was given ."), _s("heparin sodium and heparin .")]
    tags = [["B-Chemical", "I-Chemical", "O", "O", "O"], ["B-Disease", "I-Disease", "O", "O", "O"]]
    out = propagate(sents, tags, threshold=0.0)
    assert out[1][:2] == ["B-Disease", "I-Disease"]  # overlapping a prediction: untouched
    assert out[1][3] == "O"  # "heparin" alone never got a vote


def test_document_groups_use_keys_and_cut_unmarked_runs_into_windows():
    assert document_groups(["a", "a", "b", "b", "b"], 2) == [range(0, 2), range(2, 5)]
    assert document_groups([None] * 5, 2) == [range(0, 2), range(2, 4), range(4, 5)]
    assert document_groups([None] * 5, 0) == [range(0, 5)]
    assert document_groups(["#0", None, None, "#3"], 10) == [range(0, 1), range(1, 3), range(3, 4)]
    assert document_groups([], 3) == []


def _logps_from_tags(tags: list[str], labels: list[str]) -> np.ndarray:
    lp = np.full((len(tags), len(labels)), np.log(0.01), dtype=np.float32)
    for i, t in enumerate(tags):
        lp[i, labels.index(t)] = np.log(0.96)
    return lp


def test_decode_docs_applies_consistency_within_a_window_and_fit_finds_it(tmp_path):
    labels = ["O", "B-Chemical", "I-Chemical"]
    sents = [("Glyceryl trinitrate ( GTN ) helps .", [("Glyceryl trinitrate", "Chemical"), ("GTN", "Chemical")]),
             ("GTN causes headache .", [("GTN", "Chemical")]),
             ("Other text about GTN here .", [("GTN", "Chemical")])]
    docs = read_spans(write_conll(tmp_path / "c.tsv", sents), "conll")
    assert all(d.sentence for d in docs)
    # the "model" finds the long form only
    pred = [["B-Chemical", "I-Chemical", "O", "O", "O", "O", "O"], ["O"] * 4, ["O"] * 6]
    lps = [_logps_from_tags(t, labels) for t in pred]
    assert decode_docs(lps, docs, labels) == pred
    on = decode_docs(lps, docs, labels, consistency={"threshold": 0.3, "window": 20})
    assert on == gold_tags(docs)
    # a window of one sentence keeps documents apart: only the definition is added
    one = decode_docs(lps, docs, labels, consistency={"threshold": 0.3, "window": 1})
    assert one[0][3] == "B-Chemical" and one[1] == ["O"] * 4
    o_bias, threshold, f1 = fit_decoding(lps, docs, labels, 20)
    assert threshold is not None and f1 == 1.0
    assert fit_decoding(lps, docs, labels, 20, thresholds=(None,))[1:] == (None, 0.4)  # off: the long form only (P 1, R 1/4)
