"""Word-level token classification over subtoken windows.

A text is split into words (character offsets), words into subtokens, and the subtoken sequence into
overlapping windows of at most ``max_length`` (special tokens included) that never cut a word unless
a single word is longer than a window.  Each word is labelled on its first subtoken; at prediction
time each word takes its scores from the window in which it sits farthest from an edge, so long
texts get the same context on every word as short ones.  Decoding the scores into tags and
entities is :mod:`medassist.models.decoding`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

IGNORE = -100


@dataclass
class EncodedDoc:
    sub_ids: list[int]  # subtoken ids, no special tokens
    first_sub: list[int]  # per word: index of its first subtoken, or -1 if it produced none
    sub_word: list[int]  # per subtoken: its word index


@dataclass
class Window:
    doc: int
    start: int  # subtoken range [start, end) of the document
    end: int
    input_ids: list[int]
    word_at: list[int]  # per position in input_ids: the word whose FIRST subtoken sits there, else -1


def encode_docs(tokenizer, docs_words: Sequence[Sequence[str]]) -> list[EncodedDoc]:
    """Tokenize lists of words with a fast tokenizer (no special tokens, no truncation)."""
    out: list[EncodedDoc] = []
    batch = 256
    for i in range(0, len(docs_words), batch):
        chunk = [list(w) if len(w) else [""] for w in docs_words[i : i + batch]]
        enc = tokenizer(chunk, is_split_into_words=True, add_special_tokens=False, truncation=False)
        for j in range(len(chunk)):
            ids = enc["input_ids"][j]
            word_ids = enc.word_ids(j)
            n_words = len(docs_words[i + j])
            first = [-1] * n_words
            sub_word = []
            for pos, w in enumerate(word_ids):
                w = -1 if w is None else w
                sub_word.append(w)
                if 0 <= w < n_words and first[w] == -1:
                    first[w] = pos
            out.append(EncodedDoc(list(ids), first, sub_word))
    return out


def make_windows(enc: EncodedDoc, doc_index: int, *, max_length: int, stride: int, cls_id: int, sep_id: int) -> list[Window]:
    """Split one encoded document into overlapping windows aligned on word starts."""
    n = len(enc.sub_ids)
    room = max_length - 2
    word_starts = sorted({p for p in enc.first_sub if p >= 0})
    is_start = np.zeros(n + 1, dtype=bool)
    is_start[word_starts] = True
    is_start[n] = True
    first_set = {p: w for w, p in enumerate(enc.first_sub) if p >= 0}

    def snap_back(pos: int, floor: int) -> int:
        """Largest word start <= pos and > floor (so a window never cuts a word), else pos."""
        p = pos
        while p > floor and not is_start[p]:
            p -= 1
        return p if p > floor else pos

    windows: list[Window] = []
    start = 0
    while True:
        end = min(n, start + room)
        if end < n:
            end = snap_back(end, start)
        ids = [cls_id, *enc.sub_ids[start:end], sep_id]
        word_at = [-1] + [first_set.get(p, -1) for p in range(start, end)] + [-1]
        windows.append(Window(doc_index, start, end, ids, word_at))
        if end >= n:
            break
        nxt = snap_back(max(end - stride, start + 1), start)
        start = nxt if nxt > start else end
    return windows


def window_labels(win: Window, word_label_ids: Sequence[int]) -> list[int]:
    return [IGNORE if w < 0 else word_label_ids[w] for w in win.word_at]


def gather_word_scores(windows: Sequence[Window], logits: Sequence[np.ndarray], n_words: Sequence[int], num_labels: int) -> list[np.ndarray]:
    """Per document, a (n_words, num_labels) array of log-probabilities from the most central window.

    Words that produced no subtoken get a uniform row (decoding then follows their neighbours).
    """
    out = [np.full((n, num_labels), -np.log(num_labels), dtype=np.float32) for n in n_words]
    best = [np.full(n, -1.0) for n in n_words]
    for win, lg in zip(windows, logits, strict=True):
        lg = np.asarray(lg, dtype=np.float32)[: len(win.word_at)]
        logp = lg - _logsumexp(lg)
        last = len(win.word_at) - 1
        for pos, w in enumerate(win.word_at):
            if w < 0:
                continue
            centrality = min(pos, last - pos)
            if centrality > best[win.doc][w]:
                best[win.doc][w] = centrality
                out[win.doc][w] = logp[pos]
    return out


def _logsumexp(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=-1, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=-1, keepdims=True))
