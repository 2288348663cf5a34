"""The one phrase matcher: tokens, a trie of phrases, longest match left to right, case rules, plurals,
spelling correction and (optionally) embeddings.

Every component that finds known phrases in text uses it: the clinical lexicon (``nlp/lexicon.py``), the
assertion cues (``nlp/assertion.py``), the patient intake (``diagnosis/intake.py``), the drug resolver
(``drugs/resolve.py``) and the relation extractor's drug mentions (``drugs/extract.py``).  What differs
between them is data, not code: the tokenizer (clinical notes keep every token and ignore hyphens; patients'
words are stemmed and filler words dropped), the case rule of each phrase, and what happens when two sources
claim one phrase (``merge``).

    m = PhraseMatcher(note_tokens)
    m.add("MI", "problem:mi", case=Case.UPPER)
    m.match("hx of MI and mild CHF")         # [PhraseMatch(start=6, end=8, value='problem:mi', ...)]

Nothing here imports torch; ``Fuzzy`` imports rapidfuzz on first use and ``EmbeddingIndex`` the encoder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Generic, TypeVar

V = TypeVar("V")

# ---------------------------------------------------------------------------------------------- tokenizers
# Clinical notes: a run of letters, a number (with an optional decimal part) or one other visible character.
NOTE_TOKEN = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?|[^\sA-Za-z\d]")
# Patients' words: letters and digits, with an inner apostrophe ("don't", "I've").
WORD_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    key: str  # what the trie compares: the lower-cased text, or its stem


Tokenizer = Callable[[str], list[Token]]


def note_tokens(text: str) -> list[Token]:
    """Tokens of a clinical note, lower-cased; hyphens are dropped so "a-fib" matches "a fib"."""
    return [Token(m.start(), m.end(), m.group().lower()) for m in NOTE_TOKEN.finditer(text) if m.group() != "-"]


def all_note_tokens(text: str) -> list[Token]:
    """Every token of a clinical note, lower-cased (hyphens kept)."""
    return [Token(m.start(), m.end(), m.group().lower()) for m in NOTE_TOKEN.finditer(text)]


def stem(word: str) -> str:
    """A light English stemmer for patients' words: "coughing" = "cough", "stopped" = "stop"."""
    w = word.lower().replace("'", "").replace("’", "")
    if len(w) <= 3 or w.isdigit():
        return w
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                return w
            if suffix == "es" and not w.endswith(("sses", "xes", "ches", "shes", "zes")):
                continue
            w = w[: len(w) - len(suffix)] + repl
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":  # stopp -> stop, throbb -> throb
        w = w[:-1]
    return w


def raw_word(word: str) -> str:
    return word.lower().replace("'", "").replace("’", "")


def stem_tokenizer(filler: frozenset[str]) -> Tokenizer:
    """Tokens of patients' words: stemmed, filler words ("my", "really", "the") dropped."""

    def tokenize(text: str) -> list[Token]:
        out = []
        for m in WORD_TOKEN.finditer(text):
            low = m.group().lower().replace("’", "'")
            if low.replace("'", "") in filler:
                continue
            out.append(Token(m.start(), m.end(), stem(low)))
        return out

    return tokenize


# ---------------------------------------------------------------------------------------------- matcher
class Case(IntEnum):
    """When a phrase may match, by the case of the text it covers (checked in this order)."""

    ANY = 0
    CAPITALISED = 1  # the first letter is a capital ("Hgb", "CAD")
    UPPER = 2  # all capitals ("MI", "CP")
    EXACT = 3  # one-word phrase: only that word or its plural, never another word with the same stem


@dataclass
class PhraseMatch(Generic[V]):
    start: int
    end: int
    value: V
    first: int  # index of the first and last token matched
    last: int


_END = "\0"


class PhraseMatcher(Generic[V]):
    """A token trie of phrases -> values, matched longest first, left to right, without overlaps.

    ``merge(old, new)`` decides what a phrase keeps when it is added twice with the same case rule
    (default: the first value stays); ``case_of(value)``, when given, reads the case rule from the value
    (one entry per phrase, whose rule the merge may change).  ``boundaries`` (clinical notes): a match may not start or end in the
    middle of an alphanumeric run ("DM" is not found in "T2DMX").
    """

    def __init__(self, tokenize: Tokenizer, *, merge: Callable[[V, V], V] | None = None,
                 boundaries: bool = False, case_of: Callable[[V], Case] | None = None) -> None:
        self.tokenize = tokenize
        self.merge = merge
        self.case_of = case_of  # the case rule carried by the value itself (one slot per phrase)
        self.boundaries = boundaries
        self.root: dict[str, Any] = {}
        self.vocab: set[str] = set()
        self.size = 0

    def keys(self, phrase: str) -> tuple[str, ...]:
        return tuple(t.key for t in self.tokenize(phrase))

    def add(self, phrase: str | Sequence[str], value: V, case: Case = Case.ANY, exact: str | None = None) -> bool:
        """Add a phrase (text, or its token keys).  ``case=EXACT`` needs ``exact``, the word itself."""
        keys = self.keys(phrase) if isinstance(phrase, str) else tuple(phrase)
        if not keys:
            return False
        node = self.root
        for k in keys:
            node = node.setdefault(k, {})
            self.vocab.add(k)
        slots: dict[Case, Any] = node.setdefault(_END, {})
        if case is Case.EXACT:
            if exact is None:
                raise ValueError("an EXACT phrase needs its word")
            words = slots.setdefault(Case.EXACT, {})
            for w in (exact, exact + "s", exact + "es"):
                words.setdefault(w, value)
            return True
        if case not in slots:
            slots[case] = value
            self.size += 1
            return True
        if self.merge is not None:
            slots[case] = self.merge(slots[case], value)
        return False

    def get(self, phrase: str, case: Case = Case.ANY) -> V | None:
        node: dict[str, Any] | None = self.root
        for k in self.keys(phrase):
            node = node.get(k) if node is not None else None
        return None if node is None else node.get(_END, {}).get(case)

    def entries(self) -> Iterable[tuple[tuple[str, ...], Case, Any]]:
        """(keys, case, value) of every phrase (EXACT slots give their word -> value map)."""
        stack: list[tuple[tuple[str, ...], dict[str, Any]]] = [((), self.root)]
        while stack:
            path, node = stack.pop()
            for k, v in node.items():
                if k == _END:
                    for case, value in v.items():
                        yield path, case, value
                else:
                    stack.append(((*path, k), v))

    @staticmethod
    def case_ok(surface: str, case: Case) -> bool:
        if case is Case.ANY:
            return True
        if case is Case.UPPER:
            return surface.isupper()
        return surface[:1].isupper()

    def _accepted(self, slots: dict[Case, Any], text: str, toks: list[Token], i: int, j: int,
                  corrected: dict[int, str], accept: Callable[[V], bool] | None) -> tuple[bool, Any]:
        surface = text[toks[i].start : toks[j].end]
        for case in sorted(slots):
            value = slots[case]
            if case is Case.EXACT:
                if i != j:
                    continue
                word = corrected.get(toks[i].start) or raw_word(surface)
                if word not in value:
                    continue
                value = value[word]
            elif not self.case_ok(surface, self.case_of(value) if self.case_of is not None else case):
                continue
            if accept is not None and not accept(value):
                continue
            return True, value
        return False, None

    def _ends(self, text: str, toks: list[Token], i: int, corrected: dict[int, str],
              accept: Callable[[V], bool] | None) -> list[tuple[int, V]]:
        """(last token, value) of every phrase that starts at token ``i``, shortest first."""
        node = self.root.get(toks[i].key)
        if node is None:
            return []
        start = toks[i].start
        if self.boundaries and start > 0 and text[start - 1].isalnum() and toks[i].key[0].isalnum():
            return []
        out: list[tuple[int, V]] = []
        n = len(toks)
        j = i
        while node is not None:
            slots = node.get(_END)
            if slots:
                end = toks[j].end
                if not self.boundaries or end >= len(text) or not (text[end].isalnum() and text[end - 1].isalnum()):
                    ok, value = self._accepted(slots, text, toks, i, j, corrected, accept)
                    if ok:
                        out.append((j, value))
            j += 1
            if j >= n:
                break
            node = node.get(toks[j].key)
        return out

    def match(self, text: str, tokens: list[Token] | None = None, *, corrected: dict[int, str] | None = None,
              accept: Callable[[V], bool] | None = None) -> list[PhraseMatch[V]]:
        """Longest non-overlapping matches, left to right.

        ``tokens``: the text's tokens when the caller already has them (e.g. spelling-corrected);
        ``corrected``: token start -> the vocabulary word a misspelling was corrected to (an EXACT phrase
        accepts it); ``accept``: a filter on values (e.g. by precedence)."""
        toks = self.tokenize(text) if tokens is None else tokens
        corrected = corrected or {}
        out: list[PhraseMatch[V]] = []
        n = len(toks)
        i = 0
        while i < n:
            ends = self._ends(text, toks, i, corrected, accept)
            if not ends:
                i += 1
                continue
            j, value = ends[-1]
            out.append(PhraseMatch(toks[i].start, toks[j].end, value, i, j))
            i = j + 1
        return out

    def match_longest_first(self, text: str, tokens: list[Token] | None = None, *,
                            accept: Callable[[V], bool] | None = None) -> list[PhraseMatch[V]]:
        """Non-overlapping matches chosen longest first anywhere in the text (most tokens, then most
        characters, then leftmost), returned left to right.

        Unlike :meth:`match`, a longer phrase that starts later wins over an overlapping shorter one before
        it: with the names "canesten oral" and "oral contraceptive", "canesten oral contraceptive" gives
        "oral contraceptive" (the drug resolver's choice among the names inside an entry)."""
        toks = self.tokenize(text) if tokens is None else tokens
        found = [PhraseMatch(toks[i].start, toks[j].end, value, i, j)
                 for i in range(len(toks)) for j, value in self._ends(text, toks, i, {}, accept)]
        found.sort(key=lambda m: (m.first - m.last, m.start - m.end, m.first))
        chosen: list[PhraseMatch[V]] = []
        for m in found:
            if all(m.last < c.first or m.first > c.last for c in chosen):
                chosen.append(m)
        return sorted(chosen, key=lambda m: m.first)


# ---------------------------------------------------------------------------------------------- fuzzy
class Fuzzy:
    """Spelling correction of unknown words to the nearest vocabulary word (rapidfuzz ratio)."""

    def __init__(self, vocabulary: Iterable[str], score: float, min_length: int = 5) -> None:
        self.words = sorted(w for w in set(vocabulary) if len(w) >= min_length)
        self.known = set(vocabulary)
        self.score = score
        self.min_length = min_length

    def correct(self, word: str) -> str | None:
        if len(word) < self.min_length or word in self.known or word.isdigit():
            return None
        from rapidfuzz import fuzz, process

        hit = process.extractOne(word, self.words, scorer=fuzz.ratio, score_cutoff=self.score)
        return hit[0] if hit else None

    def correct_tokens(self, toks: list[Token]) -> tuple[list[Token], dict[int, str]]:
        """Tokens with misspelt words replaced by the nearest vocabulary word, and {offset: corrected word}."""
        out, corrected = [], {}
        for t in toks:
            fixed = self.correct(t.key)
            if fixed:
                corrected[t.start] = fixed
                t = Token(t.start, t.end, fixed)
            out.append(t)
        return out, corrected
