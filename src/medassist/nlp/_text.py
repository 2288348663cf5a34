"""Small text helpers shared by the components: tokens with offsets, data-file paths, bisect lookups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"

# A token is a run of letters, a number (with an optional decimal part) or one other visible character.
TOKEN_RE = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?|[^\sA-Za-z\d]")


def tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, lowercased text) for every token of ``text``."""
    return [(m.start(), m.end(), m.group().lower()) for m in TOKEN_RE.finditer(text)]


def term_tokens(term: str) -> tuple[str, ...]:
    """The token tuple a lexicon term matches (same tokenizer as the text side)."""
    return tuple(m.group().lower() for m in TOKEN_RE.finditer(term))


def iter_data_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, tab-separated fields) of a data file, skipping blank lines and # comments."""
    with path.open(encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            yield lineno, [f.strip() for f in line.split("\t")]


def sentence_ranges(text: str, sentences: list[tuple[int, int]] | None) -> list[tuple[int, int]]:
    """The note's sentences, or one range covering the text if no sentencizer ran."""
    if sentences:
        return sentences
    from medassist.nlp.sentences import split_sentences

    return split_sentences(text)
