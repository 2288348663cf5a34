"""Windows over long texts: every word labelled once, no window over the limit, offsets round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from medassist.models.decoding import allowed_transitions, tags_to_word_spans, viterbi
from medassist.models.windows import encode_docs, gather_word_scores, make_windows, window_labels
from medassist.text import word_offsets

LONG = " ".join(
    f"Patient {i} received cyclophosphamide-related therapy and developed haemorrhagic cystitis, then recovered."
    for i in range(120)
)


@pytest.mark.parametrize("max_length,stride", [(32, 8), (64, 16), (128, 0)])
def test_windows_cover_every_word_and_respect_the_limit(minilm_tokenizer, max_length, stride):
    tok = minilm_tokenizer
    offs = word_offsets(LONG)
    words = [LONG[a:b] for a, b in offs]
    enc = encode_docs(tok, [words])[0]
    assert len(enc.sub_ids) > 10 * max_length  # far longer than one window
    wins = make_windows(enc, 0, max_length=max_length, stride=stride, cls_id=tok.cls_token_id, sep_id=tok.sep_token_id)
    seen = set()
    for w in wins:
        assert len(w.input_ids) <= max_length
        assert w.input_ids[0] == tok.cls_token_id and w.input_ids[-1] == tok.sep_token_id
        # a window never starts inside a word
        assert enc.sub_word[w.start] != enc.sub_word[w.start - 1] if w.start > 0 else True
        seen.update(x for x in w.word_at if x >= 0)
    assert seen == set(range(len(words)))
    assert wins[-1].end == len(enc.sub_ids)


def test_gather_takes_the_most_central_window_and_decodes_offsets(minilm_tokenizer):
    tok = minilm_tokenizer
    labels = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
    offs = word_offsets(LONG)
    words = [LONG[a:b] for a, b in offs]
    gold = []
    for w in words:
        gold.append("B-Chemical" if w.startswith("cyclophosphamide") else "B-Disease" if w == "haemorrhagic" else "I-Disease" if w == "cystitis" else "O")
    enc = encode_docs(tok, [words])[0]
    wins = make_windows(enc, 0, max_length=48, stride=12, cls_id=tok.cls_token_id, sep_id=tok.sep_token_id)
    # fake logits: a model that is right, so decoded spans must match the gold character offsets
    logits = []
    for w in wins:
        lg = np.zeros((len(w.input_ids) + 3, len(labels)), dtype=np.float32)  # + padding rows, as the Trainer pads
        for pos, wi in enumerate(w.word_at):
            if wi >= 0:
                lg[pos, labels.index(gold[wi])] = 8.0
        logits.append(lg)
    (lp,) = gather_word_scores(wins, logits, [len(words)], len(labels))
    tags = [labels[j] for j in viterbi(lp, labels)]
    assert tags == gold
    spans = [(offs[a][0], offs[b - 1][1], lab) for a, b, lab in tags_to_word_spans(tags)]
    surfaces = {LONG[s:e] for s, e, _ in spans}
    assert surfaces == {"cyclophosphamide-related", "haemorrhagic cystitis"}
    assert len(spans) == 240


def test_window_labels_only_on_first_subtokens(minilm_tokenizer):
    tok = minilm_tokenizer
    words = ["Cyclophosphamide", "causes", "cystitis"]
    enc = encode_docs(tok, [words])[0]
    (win,) = make_windows(enc, 0, max_length=64, stride=8, cls_id=tok.cls_token_id, sep_id=tok.sep_token_id)
    labs = window_labels(win, [1, 0, 3])
    assert [x for x in labs if x != -100] == [1, 0, 3]
    assert len(labs) == len(win.input_ids) and labs[0] == -100


def test_viterbi_never_emits_i_after_o():
    labels = ["O", "B-X", "I-X"]
    lp = np.log(np.array([[0.9, 0.05, 0.05], [0.1, 0.1, 0.8], [0.2, 0.1, 0.7]]))
    tags = [labels[j] for j in viterbi(lp, labels)]
    for prev, cur in zip(["O", *tags], tags, strict=False):
        assert not (cur == "I-X" and prev == "O")
    assert allowed_transitions(labels)[0, 2] == np.False_


def test_empty_and_odd_words(minilm_tokenizer):
    enc = encode_docs(minilm_tokenizer, [["\u200b", "ok"], []])
    assert enc[0].first_sub[0] == -1 or enc[0].first_sub[0] >= 0
    assert enc[1].first_sub == []
