"""Small text utilities shared by training and serving (no heavy imports)."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)


def word_offsets(text: str) -> list[tuple[int, int]]:
    """Split raw text into words (letters/digits, keeping inner hyphens and apostrophes) and punctuation."""
    return [(m.start(), m.end()) for m in _WORD.finditer(text)]


def mark_relation(text: str, e1: tuple[int, int], e2: tuple[int, int]) -> str:
    """Surround two argument spans with punctuation markers: ``@ drug A @ ... # drug B #``.

    Markers made of ordinary vocabulary tokens need no new embeddings (Zhou & Chen 2021, "typed
    entity markers (punct)").
    """
    inserts = [(e1[0], "@ "), (e1[1], " @"), (e2[0], "# "), (e2[1], " #")]
    out = text
    for pos, mark in sorted(inserts, key=lambda x: x[0], reverse=True):
        out = out[:pos] + mark + out[pos:]
    return out
