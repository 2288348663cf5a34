"""Rule-based sentence splitter for clinical text (component ``sentences``).

Clinical notes break sentences with punctuation, but also with line structure: headings on their own
line, bulleted or numbered lists, and one item per line.  The rules, in order:

* after ``.``, ``!`` or ``?`` (and any closing quote or bracket) followed by white space and a capital
  letter, a digit or a bullet -- unless the word before the period is a known abbreviation
  (``Dr.``, ``b.i.d.``, ``e.g.``), a single letter (an initial) or the period is part of a number;
* at a blank line;
* at a line break when the line ends with ``. : ! ?``, when the line is a heading (short, upper case, or
  ending with a colon), or when the next line starts a list item or a heading;
* before an inline upper-case heading such as ``,HISTORY OF PRESENT ILLNESS:`` (transcriptions that lost
  their line breaks).

A wrapped line of prose (no punctuation at its end, next line starting in lower case) is not split.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from medassist.doc import Note
from medassist.knowledge.terms import terms


@functools.lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    """Words after which a period does not end a sentence (vocabulary ``sentence_abbreviations``)."""
    return terms("sentence_abbreviations").words()


_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)")
_LIST_START = re.compile(r"^\s*(?:[-*\u2022\u25cf]|\d{1,2}[.)](?=\s)|[a-z][.)](?=\s))")
_HEADING_LINE = re.compile(r"^\s*(?:[A-Z][A-Z0-9 /&,'()-]{1,60}:?|[A-Za-z][A-Za-z0-9 /&,'()-]{0,60}:)\s*$")
_HEADING_START = re.compile(r"^\s*[A-Z][A-Za-z /&()-]{1,50}:")
_INLINE_HEADING = re.compile(r"(?<=[,.;])\s*(?=[A-Z][A-Z /&()-]{2,50}:)")
_LIST_NUMBER = re.compile(r"[\s,]*\d{1,2}\.$")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.?$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True if the period at ``dot`` ends an abbreviation or an initial rather than a sentence."""
    m = _WORD_BEFORE.search(text, max(0, dot - 12), dot + 1)
    if m is None:
        return dot > 0 and text[dot - 1].isdigit() and dot + 1 < len(text) and text[dot + 1].isdigit()
    word = m.group(1)
    if len(word) == 1:
        return True  # initial (J. Smith) or dotted abbreviation (p.o., b.i.d.)
    return word.lower() in _abbreviations()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) ranges of ``text``, white space trimmed, in order, never overlapping."""
    cuts: set[int] = set()
    n = len(text)
    for m in _END.finditer(text):
        dot = m.start()
        if text[dot] == "." and m.end() - m.start() == 1:
            if _is_abbreviation(text, dot):
                continue
            line_start = text.rfind("\n", 0, dot) + 1
            if _LIST_NUMBER.match(text, line_start, dot + 1):
                continue  # "1. Chest pain": a list number, not a sentence
        k = m.end()
        while k < n and text[k] in " \t":
            k += 1
        if k >= n or text[k] == "\n" or text[k].isupper() or text[k].isdigit() or text[k] in "-*\u2022([":
            cuts.add(m.end())
    # line structure
    pos = 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        end = pos + len(line)
        if i + 1 < len(lines):
            nxt = lines[i + 1]
            stripped = line.rstrip()
            if (
                not stripped.strip()
                or not nxt.strip()
                or stripped.endswith((".", ":", "!", "?", ";"))
                or _HEADING_LINE.match(line)
                or _LIST_START.match(nxt)
                or _HEADING_START.match(nxt)
                or (nxt.lstrip()[:1].isupper() and len(stripped) < 60)
            ):
                cuts.add(end)
        pos = end + 1
    for m in _INLINE_HEADING.finditer(text):
        cuts.add(m.start())
    out: list[tuple[int, int]] = []
    start = 0
    for cut in sorted(cuts) + [n]:
        if cut <= start:
            continue
        s, e = start, cut
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
        start = cut
    return out


class Sentencizer:
    reads: tuple[str, ...] = ("text",)
    writes: tuple[str, ...] = ("sentences",)

    def __call__(self, note: Note) -> Note:
        note.sentences = split_sentences(note.text)
        return note


def make_sentencizer(**settings: Any) -> Sentencizer:
    """Factory for the ``sentences`` component (it has no settings)."""
    if settings:
        from medassist.errors import ConfigError, ErrorCode

        raise ConfigError(
            ErrorCode.E203, key="sentences", detail=f"unknown settings {sorted(settings)}; it takes none"
        )
    return Sentencizer()
