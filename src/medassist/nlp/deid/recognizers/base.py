"""What every recognizer shares: the word lists, the patterns and the word tests built from them."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Protocol

from medassist.nlp.deid.patterns import Lexicons, Patterns, alt, load_lexicons, load_patterns
from medassist.nlp.deid.types import Hit

_I = re.IGNORECASE
MONTHS_FULL = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december")  # fmt: skip
_FUNCTION_WORDS = frozenset({"the", "a", "an", "he", "she", "patient", "pt", "and", "or", "on", "in"})
_TITLE_STOP = frozenset({"the", "a", "an", "and", "or", "on", "in", "of", "is", "was", "to"})

Add = Callable[[Hit], None]


def mixed_case(text: str) -> bool:
    """Is the note written in ordinary mixed case, where a name is capitalised, rather than in upper case or
    in lower case, where case says nothing?  Mixed case: most words are not upper case and most sentences
    start with a capital."""
    words = re.findall(r"[A-Za-z]{2,}", text)
    if len(words) < 4 or sum(w.isupper() for w in words) > 0.6 * len(words):
        return False
    starts = re.findall(r"(?:^|[.!?:]\s+)([A-Za-z])", text)
    return bool(starts) and sum(c.isupper() for c in starts) >= 0.5 * len(starts)


class Recognizer(Protocol):
    """Finds one kind of identifier; appends what it finds to ``hits`` (names read the earlier hits)."""

    labels: tuple[str, ...]

    def find(self, text: str, hits: list[Hit]) -> None: ...


@functools.lru_cache(maxsize=1)
def clinical_vocabulary() -> frozenset[str]:
    """One-word terms of the clinical lexicon ("fever", "Lasix"): a capitalised term is not a name."""
    from medassist.nlp.lexicon import build_lexicon

    return frozenset(term for term, _ in build_lexicon().terms() if " " not in term and term.isalpha())


class Context:
    """Word lists, patterns and the word tests the recognizers use (built once, read-only)."""

    def __init__(self, lex: Lexicons | None = None, patterns: Patterns | None = None,
                 vocabulary: frozenset[str] | None = None) -> None:
        self.lex = lex or load_lexicons()
        self.p = patterns or load_patterns()
        w = self.lex.words
        self.words = w
        self.ambiguous = frozenset(x.lower() for x in w.get("ambiguous_first_names", []))
        self.not_names = frozenset(x.lower() for x in w.get("not_names", []))
        self.eponyms = frozenset(x.lower() for x in w.get("eponyms", []))
        self.not_places = frozenset(x.lower() for x in w.get("not_places", []))
        self.vocab = clinical_vocabulary() if vocabulary is None else vocabulary
        self._eponym_after = re.compile(rf"^(?:'s)?(?:\s*-\s*[A-Z][a-z]+)?\s+(?:{alt(w.get('eponym_nouns', []))})\b", _I)

    # ---------------------------------------------------------------- word tests
    def eponym_follows(self, text: str, end: int) -> bool:
        """ "Murphy sign", "Foley catheter": a name-like word right before an eponym noun is a term."""
        return bool(self._eponym_after.match(text[end : end + 40]))

    def is_name_word(self, word: str) -> bool:
        low = word.lower().rstrip(".")
        return low not in self.not_names and low not in self.eponyms

    def is_cued_name_word(self, word: str) -> bool:
        """After a title or a cue, a word in the name lexicons is a name even if it is also a common word."""
        low = word.lower().rstrip(".")
        if low in MONTHS_FULL or low in _FUNCTION_WORDS:
            return False
        return self.is_name_word(word) or low in self.lex.first_names or low in self.lex.last_names

    @staticmethod
    def is_titled_name_word(word: str) -> bool:
        """Right after "Mr."/"Dr.", any capitalised word but a handful of function words is a name."""
        return word.lower().rstrip(".") not in _TITLE_STOP

    def unknown_word(self, word: str) -> bool:
        """A capitalised word that is neither a known non-name nor clinical vocabulary."""
        low = word.lower()
        return (
            low not in self.not_names
            and low not in self.vocab
            and low not in self.eponyms
            and low not in self.ambiguous
            and low.rstrip("s") not in self.vocab
        )

    def maybe_person(self, word: str) -> bool:
        low = word.lower()
        return low in self.lex.first_names or low in self.lex.last_names
