"""Turn what a user typed into drug, condition and allergy ids, and say how each was matched.

    r = Resolver(get_db())
    r.drug("Advil 200 mg prn")        # [Resolution(id='ibuprofen', method='brand', matched='advil', ...)]
    r.condition("stage 4 CKD")        # [Resolution(id='ckd', method='partial', ...)]
    r.allergy("allergic to penicillin")

Matching order for every kind: exact (case-, accent- and punctuation-insensitive) on the whole entry; then
the longest known names found inside the entry, by the one phrase matcher (``medassist.matcher``), so
dose, route and frequency words around a name do not matter ("atorvastatin 20mg daily"); then fuzzy matching (rapidfuzz) of the entry with dose, route and
frequency words removed, accepted only above a threshold and only when one candidate clearly wins.
An entry that names two different drugs ("paracetamol + ibuprofen") resolves to both.  An entry that
cannot be matched returns an empty list: the caller must report it as unknown, never drop it.

The names come from ``DrugDB.terms`` (the one index of names); the words around them (dose, route,
frequency, salts, allergy words) from ``knowledge/data/drugs/entry_words.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rapidfuzz import fuzz, process

from medassist.doc import EntryKind as Kind
from medassist.doc import Resolution, ResolutionTarget
from medassist.drugs.data import DrugDB, EntryWords, Term, get_entry_words, normalise
from medassist.matcher import PhraseMatch, PhraseMatcher, Token

FUZZY_THRESHOLD = 86.0
"""Minimum rapidfuzz ``ratio`` (0-100) for a fuzzy match."""
FUZZY_MARGIN = 3.0
"""A fuzzy match is rejected when a different target scores within this many points of the best."""
FUZZY_MIN_LENGTH = 4
MAX_SPAN_TOKENS = 8
"""Names of more tokens are not looked for inside a longer entry (only as the whole entry)."""

_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")


def key(text: str) -> str:
    """The comparison form of a name: :func:`normalise`, punctuation to spaces, single spaces."""
    text = normalise(text).replace("'", "")
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def key_tokens(text: str) -> list[Token]:
    """The words of a text already in :func:`key` form (offsets into it)."""
    return [Token(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


Row = tuple[ResolutionTarget, str, str, str]
"""(target, id, method, shown name)"""


class _Index:
    """The names of one kind of thing: key -> rows for exact lookup, and the same keys in a phrase matcher
    for the names inside a longer entry."""

    def __init__(self, noise: frozenset[str]) -> None:
        self.entries: dict[str, list[Row]] = {}
        self.noise = noise
        self.matcher: PhraseMatcher[str] = PhraseMatcher(key_tokens)

    def add(self, name: str, target: ResolutionTarget, ident: str, method: str, shown: str) -> None:
        k = key(name)
        if not k:
            return
        row = (target, ident, method, shown)
        bucket = self.entries.get(k)
        if bucket is None:
            self.entries[k] = bucket = []
            words = k.split()
            # a lone dose/route/frequency word or a single letter is never a name found inside an entry
            if len(words) <= MAX_SPAN_TOKENS and not (len(words) == 1 and (k in self.noise or len(k) < 2)):
                self.matcher.add(words, k)
        if all((r[0], r[1]) != (target, ident) for r in bucket):
            bucket.append(row)

    def get(self, k: str) -> list[Row]:
        return self.entries.get(k, [])

    def within(self, text: str) -> list[PhraseMatch[str]]:
        """The names inside the entry, longest first wherever they stand, without overlaps, in entry order
        (values: their keys)."""
        return self.matcher.match_longest_first(key(text))


_METHOD_RANK = {
    "generic_name": 0,
    "name": 0,
    "other_name": 1,
    "synonym": 1,
    "brand": 2,
    "class_name": 3,
    "misspelling": 4,
}


# The resolution method of each form of a name (DrugDB.terms); forms not listed are not used here.
_METHODS: dict[str, dict[str, str]] = {
    "drug": {"id": "generic_name", "name": "generic_name", "other_name": "other_name", "brand": "brand",
             "misspelling": "misspelling"},
    "condition": {"id": "name", "name": "name", "synonym": "synonym"},
    "allergy_group": {"id": "name", "name": "name", "synonym": "synonym"},
    "class": {"id": "class_name", "name": "class_name", "name_before_parenthesis": "class_name",
              "noun": "class_name"},
}


class Resolver:
    """Resolves free-text drug, condition and allergy entries against a :class:`DrugDB`."""

    def __init__(self, db: DrugDB, words: EntryWords | None = None) -> None:
        self.db = db
        self.words = words if words is not None else get_entry_words()
        self._drugs = self._index(db.terms("drug"))
        self._conditions = self._index(db.terms("condition"))
        self._allergies = self._index(db.terms("allergy_group"))
        self._classes = self._index(db.terms("class"))

    def _index(self, terms: list[Term]) -> _Index:
        index = _Index(self.words.noise)
        for t in terms:
            method = _METHODS[t.target].get(t.form)
            if method is None:
                continue
            index.add(t.text, t.target, t.id, method, t.display)
            if t.target == "class" and t.form == "id":
                index.add(t.text + "s", t.target, t.id, method, t.display)  # "statins"
        return index

    # --------------------------------------------------------------------------------------- public API

    def drug(self, text: str) -> list[Resolution]:
        """Drug ids named by one entry (normally one; two for "paracetamol + ibuprofen"; none if unknown)."""
        return self._resolve(text, "drug", self._drugs)

    def condition(self, text: str) -> list[Resolution]:
        return self._resolve(text, "condition", self._conditions)

    def allergy(self, text: str) -> list[Resolution]:
        """An allergy group, else a drug, else a drug class named by the entry."""
        stripped = self._strip_allergy_words(text)
        for candidate in dict.fromkeys([text, stripped]):
            found = self._exact(candidate, "allergy", self._allergies, original=text)
            if found:
                return found
        found = self._resolve(stripped, "allergy", self._allergies, fuzzy=False, original=text)
        if found:
            return found
        found = self._resolve(stripped, "allergy", self._drugs, fuzzy=False, original=text)
        if found:
            return found
        found = self._resolve(stripped, "allergy", self._classes, fuzzy=False, original=text)
        if found:
            return found
        for index in (self._allergies, self._drugs):
            found = self._fuzzy(stripped, "allergy", index, original=text)
            if found:
                return found
        return []

    def suggestions(self, text: str, kind: Kind, limit: int = 3) -> list[str]:
        """Close names for an unknown entry (shown to the user, never used silently)."""
        index = {"drug": self._drugs, "condition": self._conditions, "allergy": self._allergies}[kind]
        q = key(self._strip_noise(text)) or key(text)
        if not q:
            return []
        out: list[str] = []
        for name, _score, _ in process.extract(q, list(index.entries), scorer=fuzz.WRatio, limit=limit * 3):
            shown = index.entries[name][0][3]
            if shown not in out:
                out.append(shown)
            if len(out) == limit:
                break
        return out

    # ------------------------------------------------------------------------------------------ helpers

    def _resolve(
        self, text: str, kind: Kind, index: _Index, *, fuzzy: bool = True, original: str | None = None
    ) -> list[Resolution]:
        original = text if original is None else original
        found = self._exact(text, kind, index, original=original)
        if found:
            return found
        found = self._partial(text, kind, index, original=original)
        if found:
            return found
        if fuzzy:
            return self._fuzzy(text, kind, index, original=original)
        return []

    def _make(
        self, original: str, kind: Kind, row: Row, matched: str, **kw: Any
    ) -> Resolution:
        target, ident, method, shown = row
        return Resolution(
            input=original,
            kind=kind,
            id=ident,
            name=shown,
            method=kw.pop("method", method),
            matched=matched,
            target=target,
            **kw,  # type: ignore[arg-type]
        )

    def _best_row(self, rows: list[Row]) -> Row:
        return min(rows, key=lambda r: _METHOD_RANK.get(r[2], 9))

    def _exact(self, text: str, kind: Kind, index: _Index, *, original: str) -> list[Resolution]:
        k = key(text)
        rows = index.get(k)
        if not rows:
            return []
        return [self._make(original, kind, self._best_row(rows), k)]

    def _partial(self, text: str, kind: Kind, index: _Index, *, original: str) -> list[Resolution]:
        found = index.within(text)
        # A lone salt word right after another name ("atorvastatin calcium") is part of that name.
        kept = [
            m.value
            for n, m in enumerate(found)
            if not (m.first == m.last and m.value in self.words.salts and n > 0 and found[n - 1].last + 1 == m.first)
        ]
        out: list[Resolution] = []
        seen: set[str] = set()
        for k in kept:
            row = self._best_row(index.get(k))
            if row[1] in seen:
                continue
            seen.add(row[1])
            out.append(self._make(original, kind, row, k, within=True))
        return out

    def _fuzzy(self, text: str, kind: Kind, index: _Index, *, original: str) -> list[Resolution]:
        q = key(self._strip_noise(text))
        if len(q.replace(" ", "")) < FUZZY_MIN_LENGTH:
            return []
        results = process.extract(q, list(index.entries), scorer=fuzz.ratio, limit=10)
        if not results or results[0][1] < FUZZY_THRESHOLD:
            return []
        best_name, best_score, _ = results[0]
        best_row = self._best_row(index.get(best_name))
        for name, score, _ in results[1:]:
            other = self._best_row(index.get(name))
            if (other[0], other[1]) != (best_row[0], best_row[1]) and score >= best_score - FUZZY_MARGIN:
                return []  # ambiguous: two different targets are about equally close
        return [self._make(original, kind, best_row, best_name, method="fuzzy", score=float(best_score))]

    def _strip_noise(self, text: str) -> str:
        """Drop dose, form, route, frequency and salt words: "Advil 200 mg prn" -> "advil"."""
        w = self.words
        tokens = [t for t in key(text).split() if t not in w.noise and not w.noise_token.match(t)]
        if len(tokens) > 1:
            tokens = [t for t in tokens if t not in w.salts] or tokens
        return " ".join(tokens)

    def _strip_allergy_words(self, text: str) -> str:
        """ "allergic to penicillin (rash)" -> "penicillin"."""
        out = self.words.allergy.sub(" ", key(text))
        return _SPACE.sub(" ", out).strip() or key(text)


def split_entries(values: Iterable[str] | None) -> list[str]:
    """Split comma- or semicolon-separated command-line values into single entries, dropping blanks."""
    out: list[str] = []
    for v in values or ():
        out += [p.strip() for p in re.split(r"[,;\n]", v) if p.strip()]
    return out
