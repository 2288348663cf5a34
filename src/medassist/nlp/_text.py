"""Small text helpers shared by the components: tokens with offsets, data-file paths, bisect lookups."""

from __future__ import annotations

import bisect
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


class SpanIndex:
    """Find which of a sorted list of non-overlapping (start, end) ranges holds an offset, in O(log n)."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self.ranges = sorted(ranges)
        self.starts = [r[0] for r in self.ranges]

    def find(self, offset: int) -> int | None:
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and self.ranges[i][0] <= offset < self.ranges[i][1]:
            return i
        return None


def sentence_ranges(text: str, sentences: list[tuple[int, int]] | None) -> list[tuple[int, int]]:
    """The note's sentences, or one range covering the text if no sentencizer ran."""
    if sentences:
        return sentences
    from medassist.nlp.sentences import split_sentences

    return split_sentences(text)
