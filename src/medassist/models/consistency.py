"""Document-level label consistency for entity tagging.

A sentence-level tagger decides every mention on its own, so the same chemical can be found in one
sentence of an abstract and missed in the next ("glyceryl trinitrate (GTN)" tagged, the later bare
"GTN" not).  After decoding, this pass looks at a whole document (or, for corpora without document
markers, a window of consecutive sentences):

- every predicted entity casts a vote for its exact, case-sensitive word sequence and type;
- an abbreviation defined in parentheses right after a predicted entity ("long form ( SF )", the
  short form starting with the long form's first letter and holding a capital) votes for that type;
- each untagged occurrence of a voted form is tagged with the form's majority type when the form's
  votes are at least ``threshold`` of its occurrences in the document.

It only adds entities in words tagged ``O``; it never removes or retypes what the model found.  The
threshold is fitted on dev after training (``training.calibrate``), and ``None`` turns the pass off.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from medassist.models.windows import tags_to_word_spans

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
