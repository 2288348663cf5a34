"""Turn what a user typed into drug, condition and allergy ids, and say how each was matched.

    r = Resolver(get_db())
    r.drug("Advil 200 mg prn")        # [Resolution(id='ibuprofen', method='brand', matched='advil', ...)]
    r.condition("stage 4 CKD")        # [Resolution(id='ckd', method='partial', ...)]
    r.allergy("allergic to penicillin")

Matching order for every kind: exact (case-, accent- and punctuation-insensitive) on the whole entry; then
the longest known names found inside the entry (so dose, route and frequency words around a name do not
matter: "atorvastatin 20mg daily"); then fuzzy matching (rapidfuzz) of the entry with dose, route and
frequency words removed, accepted only above a threshold and only when one candidate clearly wins.
An entry that names two different drugs ("paracetamol + ibuprofen") resolves to both.  An entry that
cannot be matched returns an empty list: the caller must report it as unknown, never drop it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from rapidfuzz import fuzz, process

from medassist.drugs.data import DrugDB, normalise

Kind = Literal["drug", "condition", "allergy"]

FUZZY_THRESHOLD = 86.0
"""Minimum rapidfuzz ``ratio`` (0-100) for a fuzzy match."""
FUZZY_MARGIN = 3.0
"""A fuzzy match is rejected when a different target scores within this many points of the best."""
FUZZY_MIN_LENGTH = 4
MAX_SPAN_TOKENS = 8

# Method names, in the order they are tried.  "partial" = a known name found inside a longer entry.
METHOD_TEXT = {
    "generic_name": "generic name",
    "other_name": "other generic name",
    "brand": "brand name",
    "misspelling": "known misspelling",
    "synonym": "synonym",
    "name": "name",
    "class_name": "drug class name",
    "fuzzy": "fuzzy match",
}

_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")

# Words and patterns that describe dose, form, route or frequency rather than the drug itself.
_NOISE_WORDS = frozenset(
    {
        "mg",
        "mcg",
        "ug",
        "microgram",
        "micrograms",
        "g",
        "gram",
        "grams",
        "gm",
        "kg",
        "ml",
        "l",
        "unit",
        "units",
        "iu",
        "mmol",
        "meq",
        "percent",
        "mgs",
        "mls",
        "tab",
        "tabs",
        "tablet",
        "tablets",
        "cap",
        "caps",
        "capsule",
        "capsules",
        "pill",
        "pills",
        "dose",
        "doses",
        "puff",
        "puffs",
        "spray",
        "sprays",
        "drop",
        "drops",
        "patch",
        "patches",
        "inhaler",
        "inhalers",
        "injection",
        "injections",
        "inj",
        "syrup",
        "suspension",
        "solution",
        "liquid",
        "cream",
        "gel",
        "ointment",
        "sachet",
        "sachets",
        "suppository",
        "suppositories",
        "lozenge",
        "lozenges",
        "vial",
        "ampoule",
        "pen",
        "pens",
        "disp",
        "dispersible",
        "er",
        "xr",
        "sr",
        "xl",
        "la",
        "mr",
        "cr",
        "dr",
        "ec",
        "ir",
        "odt",
        "soluble",
        "chewable",
        "modified",
        "release",
        "prolonged",
        "extended",
        "delayed",
        "immediate",
        "po",
        "oral",
        "orally",
        "iv",
        "im",
        "sc",
        "sq",
        "subcut",
        "subcutaneous",
        "sl",
        "sublingual",
        "buccal",
        "topical",
        "top",
        "pr",
        "rectal",
        "pv",
        "vaginal",
        "inh",
        "inhaled",
        "neb",
        "nebulised",
        "nebulized",
        "nasal",
        "intranasal",
        "transdermal",
        "td",
        "ophthalmic",
        "ocular",
        "eye",
        "od",
        "om",
        "on",
        "bd",
        "bid",
        "tds",
        "tid",
        "qds",
        "qid",
        "qd",
        "qod",
        "qh",
        "qhs",
        "hs",
        "prn",
        "stat",
        "mane",
        "nocte",
        "daily",
        "weekly",
        "monthly",
        "nightly",
        "once",
        "twice",
        "thrice",
        "times",
        "x",
        "every",
        "each",
        "per",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "hour",
        "hours",
        "hr",
        "hrs",
        "h",
        "night",
        "morning",
        "evening",
        "bedtime",
        "noon",
        "as",
        "needed",
        "required",
        "when",
        "take",
        "taking",
        "takes",
        "use",
        "using",
        "used",
        "apply",
        "one",
        "two",
        "three",
        "four",
        "half",
        "and",
        "with",
        "of",
        "a",
        "an",
        "the",
        "to",
        "at",
        "in",
        "for",
    }
)
_NOISE_TOKEN = re.compile(
    r"^(?:\d+(?:[.,]\d+)?(?:mg|mcg|ug|g|gm|ml|l|iu|u|units?|mmol|%|x|hr|hrs|h|d|wk|mo)?"
    r"|x\d+|q\d+h|q\d+|\d+x|\d+(?:[.,]\d+)?-\d+(?:[.,]\d+)?)$"
)
_SALT_WORDS = frozenset(
    {
        "hydrochloride",
        "hcl",
        "hydrobromide",
        "sodium",
        "potassium",
        "calcium",
        "magnesium",
        "besylate",
        "besilate",
        "maleate",
        "mesylate",
        "mesilate",
        "succinate",
        "tartrate",
        "fumarate",
        "citrate",
        "sulfate",
        "sulphate",
        "phosphate",
        "acetate",
        "hyclate",
        "monohydrate",
        "bromide",
        "chloride",
        "dihydrate",
        "trihydrate",
        "disodium",
        "dipropionate",
        "propionate",
        "furoate",
        "valerate",
    }
)


def key(text: str) -> str:
    """The comparison form of a name: :func:`normalise`, punctuation to spaces, single spaces."""
    text = normalise(text).replace("'", "")
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Resolution:
    """How one user entry was matched to one id."""

    input: str
    kind: Kind
    id: str
    name: str
    method: str
    matched: str
    score: float = 100.0
    target: Literal["drug", "condition", "allergy_group", "class"] = "drug"
    within: bool = False
    """True when the name was found inside a longer entry (dose, route or other words around it)."""

    @property
    def how(self) -> str:
        """A short phrase such as "brand name 'advil'" or "fuzzy match 'ibuprofn' (score 94)"."""
        text = METHOD_TEXT.get(self.method, self.method)
        if self.method == "fuzzy":
            return f"{text} to {self.matched!r} (score {self.score:.0f})"
        if self.within:
            return f"{text} {self.matched!r} found in the entry"
        return f"{text} {self.matched!r}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "kind": self.kind,
            "target": self.target,
            "id": self.id,
            "name": self.name,
            "method": self.method,
            "matched": self.matched,
            "score": round(self.score, 1),
            "within": self.within,
            "how": self.how,
        }


@dataclass
class _Index:
    """Name -> (target, id, method, shown name) for one kind of thing."""

    entries: dict[str, list[tuple[str, str, str, str]]] = field(default_factory=dict)

    def add(self, name: str, target: str, ident: str, method: str, shown: str) -> None:
        k = key(name)
        if not k:
            return
        row = (target, ident, method, shown)
        bucket = self.entries.setdefault(k, [])
        if all((r[0], r[1]) != (target, ident) for r in bucket):
            bucket.append(row)

    def get(self, k: str) -> list[tuple[str, str, str, str]]:
        return self.entries.get(k, [])


_METHOD_RANK = {
    "generic_name": 0,
    "name": 0,
    "other_name": 1,
    "synonym": 1,
    "brand": 2,
    "class_name": 3,
    "misspelling": 4,
}


class Resolver:
    """Resolves free-text drug, condition and allergy entries against a :class:`DrugDB`."""

    def __init__(self, db: DrugDB) -> None:
        self.db = db
        self._drugs = _Index()
        for d in db.drugs.values():
            self._drugs.add(d.id, "drug", d.id, "generic_name", d.name)
            self._drugs.add(d.name, "drug", d.id, "generic_name", d.name)
            for n in d.other_names:
                self._drugs.add(n, "drug", d.id, "other_name", d.name)
            for n in [*d.brands.us, *d.brands.uk]:
                self._drugs.add(n, "drug", d.id, "brand", d.name)
            for n in d.misspellings:
                self._drugs.add(n, "drug", d.id, "misspelling", d.name)
        self._conditions = _Index()
        for c in db.conditions.values():
            self._conditions.add(c.id, "condition", c.id, "name", c.name)
            self._conditions.add(c.name, "condition", c.id, "name", c.name)
            for n in c.synonyms:
                self._conditions.add(n, "condition", c.id, "synonym", c.name)
        self._allergies = _Index()
        for g in db.allergy_groups.values():
            self._allergies.add(g.id, "allergy_group", g.id, "name", g.name)
            self._allergies.add(g.name, "allergy_group", g.id, "name", g.name)
            for n in g.synonyms:
                self._allergies.add(n, "allergy_group", g.id, "synonym", g.name)
        self._classes = _Index()
        for c in db.classes.values():
            short = c.name.split("(")[0]
            for n in (c.id, c.id + "s", c.name, short, c.label.split(" ", 1)[-1]):
                self._classes.add(n, "class", c.id, "class_name", c.name)

    # --------------------------------------------------------------------------------------- public API

    def drug(self, text: str) -> list[Resolution]:
        """Drug ids named by one entry (normally one; two for "paracetamol + ibuprofen"; none if unknown)."""
        return self._resolve(text, "drug", self._drugs)

    def condition(self, text: str) -> list[Resolution]:
        return self._resolve(text, "condition", self._conditions)

    def allergy(self, text: str) -> list[Resolution]:
        """An allergy group, else a drug, else a drug class named by the entry."""
        stripped = _strip_allergy_words(text)
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
        q = key(_strip_noise(text)) or key(text)
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
        self, original: str, kind: Kind, row: tuple[str, str, str, str], matched: str, **kw: Any
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

    def _best_row(self, rows: list[tuple[str, str, str, str]]) -> tuple[str, str, str, str]:
        return min(rows, key=lambda r: _METHOD_RANK.get(r[2], 9))

    def _exact(self, text: str, kind: Kind, index: _Index, *, original: str) -> list[Resolution]:
        k = key(text)
        rows = index.get(k)
        if not rows:
            return []
        return [self._make(original, kind, self._best_row(rows), k)]

    def _partial(self, text: str, kind: Kind, index: _Index, *, original: str) -> list[Resolution]:
        tokens = key(text).split()
        spans: list[tuple[int, int, str]] = []
        for i in range(len(tokens)):
            for j in range(min(len(tokens), i + MAX_SPAN_TOKENS), i, -1):
                k = " ".join(tokens[i:j])
                if index.get(k) and not (j - i == 1 and (k in _NOISE_WORDS or len(k) < 2)):
                    spans.append((i, j, k))
        if not spans:
            return []
        # Longest spans first (by tokens, then characters), then leftmost; keep non-overlapping ones.
        spans.sort(key=lambda s: (-(s[1] - s[0]), -len(s[2]), s[0]))
        chosen: list[tuple[int, int, str]] = []
        for s in spans:
            if all(s[1] <= c[0] or s[0] >= c[1] for c in chosen):
                chosen.append(s)
        chosen.sort()
        # A lone salt word right after another name ("atorvastatin calcium") is part of that name.
        kept = [
            s
            for n, s in enumerate(chosen)
            if not (s[1] - s[0] == 1 and s[2] in _SALT_WORDS and n > 0 and chosen[n - 1][1] == s[0])
        ]
        out: list[Resolution] = []
        seen: set[str] = set()
        for _i, _j, k in kept:
            row = self._best_row(index.get(k))
            if row[1] in seen:
                continue
            seen.add(row[1])
            out.append(self._make(original, kind, row, k, within=True))
        return out

    def _fuzzy(self, text: str, kind: Kind, index: _Index, *, original: str) -> list[Resolution]:
        q = key(_strip_noise(text))
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


def _strip_noise(text: str) -> str:
    """Drop dose, form, route, frequency and salt words: "Advil 200 mg prn" -> "advil"."""
    tokens = [t for t in key(text).split() if t not in _NOISE_WORDS and not _NOISE_TOKEN.match(t)]
    if len(tokens) > 1:
        tokens = [t for t in tokens if t not in _SALT_WORDS] or tokens
    return " ".join(tokens)


_ALLERGY_WORDS = re.compile(
    r"\b(?:allergic|allergy|allergies|allergy to|intolerance|intolerant|sensitivity|sensitive|"
    r"hypersensitivity|"
    r"reaction|reactions|anaphylaxis|rash|history of|hx of|known|to)\b",
    re.IGNORECASE,
)


def _strip_allergy_words(text: str) -> str:
    """ "allergic to penicillin (rash)" -> "penicillin"."""
    out = _ALLERGY_WORDS.sub(" ", key(text))
    return _SPACE.sub(" ", out).strip() or key(text)


def split_entries(values: Iterable[str] | None) -> list[str]:
    """Split comma- or semicolon-separated command-line values into single entries, dropping blanks."""
    out: list[str] = []
    for v in values or ():
        out += [p.strip() for p in re.split(r"[,;\n]", v) if p.strip()]
    return out
