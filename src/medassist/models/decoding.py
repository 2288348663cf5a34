"""The one NER decoder: per-word label scores -> IOB2 tags -> entities, for training and serving alike.

``medassist.training`` (dev selection, ``fit_decoding``, ``evaluate``) and ``medassist.models.predict``
(``TokenClassifier.decode``, ``predict_spans``; the pipeline's ``ner`` component) both call
:func:`decode_sentences`, so what a model scores at training time is what it returns in service.
Decoding, in order:

1. **'O' bias**: a bonus added to the 'O' log-probability (column 0) of every word, fitted on dev
   after training (it trades recall for precision); ``0`` leaves the scores as they are.
2. **Constrained Viterbi** over IOB2 per sentence: ``I-X`` may only follow ``B-X`` or ``I-X`` and no
   sentence starts inside an entity, so the tags are always well formed.
3. **Document-level label consistency** (optional, ``{"threshold": t, "window": n}``, fitted on dev):
   a sentence-level tagger decides every mention on its own, so the same chemical can be found in one
   sentence of an abstract and missed in the next ("glyceryl trinitrate (GTN)" tagged, the later bare
   "GTN" not).  Over a whole document (or, for corpora without document markers, a window of ``n``
   consecutive sentences):

   - every predicted entity casts a vote for its exact, case-sensitive word sequence and type;
   - an abbreviation defined in parentheses right after a predicted entity ("long form ( SF )", the
     short form starting with the long form's first letter and holding a capital) votes for that type;
   - each untagged occurrence of a voted form is tagged with the form's majority type when the form's
     votes are at least ``threshold`` of its occurrences in the document.

   It only adds entities in words tagged ``O``; it never removes or retypes what the model found;
   ``None`` (or a ``None`` threshold) turns it off.
4. **Spans**: :func:`tags_to_word_spans` reads IOB2 tags into word ranges (lenient on a stray ``I-``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np


def allowed_transitions(labels: Sequence[str]) -> np.ndarray:
    """IOB2 constraints: I-X may only follow B-X or I-X."""
    n = len(labels)
    ok = np.ones((n, n), dtype=bool)
    for j, to in enumerate(labels):
        if to.startswith("I-"):
            typ = to[2:]
            for i, frm in enumerate(labels):
                ok[i, j] = frm in (f"B-{typ}", f"I-{typ}")
    return ok


def viterbi(logp: np.ndarray, labels: Sequence[str], allowed: np.ndarray | None = None) -> list[int]:
    """Most probable IOB2-valid label sequence under per-word log-probabilities."""
    n, k = logp.shape
    if n == 0:
        return []
    allowed = allowed_transitions(labels) if allowed is None else allowed
    trans = np.where(allowed, 0.0, -1e9)
    start_ok = np.array([0.0 if not lab.startswith("I-") else -1e9 for lab in labels])
    score = logp[0] + start_ok
    back = np.zeros((n, k), dtype=np.int64)
    for t in range(1, n):
        cand = score[:, None] + trans
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + logp[t]
    path = [int(score.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def tags_to_word_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """IOB2 tags -> (first_word, last_word_exclusive, label); lenient on stray I- tags."""
    spans: list[tuple[int, int, str]] = []
    start, label = None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, lab = tag.partition("-")
        if tag == "O" or prefix == "B" or (prefix == "I" and lab != label):
            if start is not None:
                spans.append((start, i, label))  # type: ignore[arg-type]
                start, label = None, None
            if tag != "O":
                start, label = i, lab
    return spans


MAX_FORM_WORDS = 12


def _abbreviation_votes(words: Sequence[str], tags: Sequence[str], spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    ends = {b: (a, label) for a, b, label in spans}
    out = []
    for i in range(1, len(words) - 2):
        if words[i] != "(" or words[i + 2] != ")" or tags[i + 1] != "O" or i not in ends:
            continue
        short = words[i + 1]
        first, label = ends[i]
        if 2 <= len(short) <= 10 and any(ch.isupper() for ch in short) and short[0].lower() == words[first][:1].lower():
            out.append((short, label))
    return out


def propagate(sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], threshold: float) -> list[list[str]]:
    """Tags for one document (a list of sentences), with consistent mentions added; inputs are unchanged."""
    out = [list(t) for t in tags]
    votes: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for words, sent_tags in zip(sentences, tags, strict=True):
        spans = tags_to_word_spans(sent_tags)
        for a, b, label in spans:
            if b - a <= MAX_FORM_WORDS:
                votes[tuple(words[a:b])][label] += 1
        for short, label in _abbreviation_votes(words, sent_tags, spans):
            votes[(short,)][label] += 1
    if not votes:
        return out
    by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for form in votes:
        by_first[form[0]].append(form)
    occurrences: Counter = Counter()
    hits: list[tuple[int, int, tuple[str, ...]]] = []
    for s, words in enumerate(sentences):
        for i, w in enumerate(words):
            for form in by_first.get(w, ()):
                if tuple(words[i : i + len(form)]) == form:
                    occurrences[form] += 1
                    hits.append((s, i, form))
    hits.sort(key=lambda h: -len(h[2]))  # longer forms first: "heparin sodium" before "heparin"
    for s, i, form in hits:
        label, n = votes[form].most_common(1)[0]
        if n < threshold * occurrences[form]:
            continue
        j = i + len(form)
        row = out[s]
        if any(t != "O" for t in row[i:j]) or (j < len(row) and row[j].startswith("I-")):
            continue
        row[i] = f"B-{label}"
        for k in range(i + 1, j):
            row[k] = f"I-{label}"
    return out


def document_groups(keys: Sequence[str | None], window: int) -> list[range]:
    """Consecutive sentence indices that form one document.

    Consecutive sentences with the same document key (``-DOCSTART-`` in CoNLL, one JSONL line or
    BRAT file, one input text) form one document; a run of sentences without a key (a CoNLL corpus
    without document markers) is cut into windows of ``window`` sentences (0 = the whole run).
    """
    groups: list[range] = []
    start, n = 0, len(keys)
    for i in range(1, n + 1):
        if i < n and keys[i] == keys[start]:
            continue
        if keys[start] is None and window > 0:
            groups.extend(range(a, min(i, a + window)) for a in range(start, i, window))
        else:
            groups.append(range(start, i))
        start = i
    return groups


def with_o_bias(logp: np.ndarray, o_bias: float) -> np.ndarray:
    """``logp`` with ``o_bias`` added to the 'O' column (column 0); the input is not modified."""
    if not o_bias or not len(logp):
        return logp
    out = logp.copy()
    out[:, 0] += o_bias
    return out


def decode_sentences(word_logps: Sequence[np.ndarray], sentences: Sequence[Sequence[tuple[int, int]]],
                     words: Sequence[Sequence[str]], keys: Sequence[str | None], labels: Sequence[str], *,
                     o_bias: float = 0.0, consistency: dict[str, Any] | None = None,
                     allowed: np.ndarray | None = None) -> list[list[str]]:
    """IOB2 tags per sentence, for texts given as per-word log-probabilities.

    Per text ``i``: ``word_logps[i]`` (n_words x n_labels), ``sentences[i]`` its sentences as word
    ranges ``[a, b)``, ``words[i]`` its words and ``keys[i]`` its document key (texts with the same key
    in a row form one document for the consistency pass, see :func:`document_groups`).  Returns the
    tags of every sentence of every text, in order.
    """
    tags, sent_words, sent_keys = viterbi_sentences(word_logps, sentences, words, keys, labels, o_bias, allowed)
    return make_consistent(tags, sent_words, sent_keys, consistency)


def viterbi_sentences(word_logps: Sequence[np.ndarray], sentences: Sequence[Sequence[tuple[int, int]]],
                      words: Sequence[Sequence[str]], keys: Sequence[str | None], labels: Sequence[str],
                      o_bias: float = 0.0, allowed: np.ndarray | None = None
                      ) -> tuple[list[list[str]], list[list[str]], list[str | None]]:
    """Steps 1-2 (see the module docstring): per sentence the Viterbi tags, its words and its document key."""
    allowed = allowed_transitions(labels) if allowed is None else allowed
    out: list[list[str]] = []
    out_words: list[list[str]] = []
    out_keys: list[str | None] = []
    for lp, sents, tokens, key in zip(word_logps, sentences, words, keys, strict=True):
        for a, b in sents:
            out.append([labels[j] for j in viterbi(with_o_bias(lp[a:b], o_bias), labels, allowed)])
            out_words.append(list(tokens[a:b]))
            out_keys.append(key)
    return out, out_words, out_keys


def make_consistent(tags: list[list[str]], words: list[list[str]], keys: list[str | None],
                    consistency: dict[str, Any] | None) -> list[list[str]]:
    """Step 3 (see the module docstring) over the documents that ``keys`` and the window define."""
    if not consistency or consistency.get("threshold") is None:
        return tags
    out = list(tags)
    for g in document_groups(keys, int(consistency.get("window", 0))):
        out[g.start:g.stop] = propagate(words[g.start:g.stop], tags[g.start:g.stop], float(consistency["threshold"]))
    return out
