"""Small text helpers shared by the components: tokens with offsets, sentence ranges."""

from __future__ import annotations

import re

# A token is a run of letters, a number (with an optional decimal part) or one other visible character.
TOKEN_RE = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?|[^\sA-Za-z\d]")


def tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, lowercased text) for every token of ``text``."""
    return [(m.start(), m.end(), m.group().lower()) for m in TOKEN_RE.finditer(text)]


def term_tokens(term: str) -> tuple[str, ...]:
    """The token tuple a lexicon term matches (same tokenizer as the text side)."""
    return tuple(m.group().lower() for m in TOKEN_RE.finditer(term))


def sentence_ranges(text: str, sentences: list[tuple[int, int]] | None) -> list[tuple[int, int]]:
    """The note's sentences, or one range covering the text if no sentencizer ran."""
    if sentences:
        return sentences
    from medassist.nlp.sentences import split_sentences

    return split_sentences(text)
