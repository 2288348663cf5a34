"""Reading interaction statements in text with the relation model trained on DDI-2013.

Drug mentions are found with the curated names (generic, other names, brands) and class names
("NSAIDs", "anticoagulants"); every pair of mentions in a sentence is a candidate, marked
(``@ drug1 @ ... # drug2 #``) and classified as mechanism, effect, advise, int or none.

    extractor = InteractionExtractor.load()          # the shipped model, or a model directory
    for rel in extractor.extract(text): ...
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from medassist.doc import DrugMention, Relation
from medassist.errors import ConfigError, ErrorCode
from medassist.matcher import PhraseMatcher, Token

if TYPE_CHECKING:  # pragma: no cover
    from medassist.drugs.data import DrugDB

MODEL_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "ddi-relation"

_RUN = re.compile(r"[\w-]+|\s+|[^\w\s-]")
_WORDISH = re.compile(r"[\w-]")


def mention_tokens(text: str) -> list[Token]:
    """Tokens of running text for finding names: runs of word characters and hyphens (lower-cased), runs of
    white space (kept as they are, so "Motrin IB" needs its one space) and single other characters.

    A name is found only as whole runs ("warfarin" is not in "warfarin-induced" nor in "non-warfarin"), and
    a punctuation character says in its key whether a word touches it on the left ("<)") or the right
    (".>"), so "E.E.S." is not found in "E.E.S.x"."""
    out = []
    for m in _RUN.finditer(text):
        start, end = m.span()
        tok = m.group()
        if tok[0].isspace():
            k = tok
        elif _WORDISH.match(tok):
            k = tok.lower()
        else:
            left = "<" if start > 0 and _WORDISH.match(text[start - 1]) else ""
            right = ">" if end < len(text) and _WORDISH.match(text[end]) else ""
            k = f"{left}{tok}{right}"
        out.append(Token(start, end, k))
    return out


_DRUG_FORMS = ("name", "other_name", "brand")
_CLASS_FORMS = ("name", "name_in_parentheses", "name_without_parentheses", "noun")


class MentionFinder:
    """Drug and class names in running text: the longest, case-insensitive, whole-word matches, left to right
    (the one phrase matcher over :func:`mention_tokens`).  Names come from ``DrugDB.terms``: generic, other
    and brand names of drugs; class names, their parts in and out of parentheses and the label's noun
    ("NSAID"), each also with a plural "s"; names shorter than three characters are left out."""

    def __init__(self, db: DrugDB) -> None:
        self.matcher: PhraseMatcher[tuple[Literal["drug", "class"], str]] = PhraseMatcher(mention_tokens)
        for t in db.terms("drug"):
            if t.form in _DRUG_FORMS and len(t.text) >= 3:
                self.matcher.add(t.text, ("drug", t.id))
        for t in db.terms("class"):
            n = t.text.strip()
            if t.form in _CLASS_FORMS and len(n) >= 3:
                self.matcher.add(n, ("class", t.id))
                self.matcher.add(n + "s", ("class", t.id))

    def find(self, text: str) -> list[DrugMention]:
        return [DrugMention(text[m.start : m.end], *m.value, m.start, m.end) for m in self.matcher.match(text)]


class InteractionExtractor:
    def __init__(self, model: Any, db: DrugDB | None = None, *, threshold: float = 0.5) -> None:
        from medassist.drugs.data import get_db

        self.model = model
        self.db = db or get_db()
        self.finder = MentionFinder(self.db)
        self.threshold = threshold
        negative = model.meta.get("negative_label") or "none"
        self.negative = negative

    @classmethod
    def load(cls, path: str | Path | None = None, *, threshold: float = 0.5) -> InteractionExtractor:
        from medassist.models import load_model

        path = Path(path) if path else MODEL_DIR
        if not (path / "medassist.json").exists():
            raise ConfigError(ErrorCode.E204, path=path, missing="medassist.json (train one with: python benchmarks/ddi.py)")
        model = load_model(path)
        if model.task != "relation_classification":
            raise ConfigError(ErrorCode.E209, task=model.task, path=path, action="extract relations",
                              hint="Give a model trained with task relation_classification.")
        return cls(model, threshold=threshold)

    def extract(self, text: str, doc: str = "") -> list[Relation]:
        from medassist.nlp.sentences import split_sentences

        candidates = []
        for s, e in split_sentences(text) or [(0, len(text))]:
            sentence = text[s:e]
            mentions = self.finder.find(sentence)
            for i in range(len(mentions)):
                for j in range(i + 1, len(mentions)):
                    a, b = mentions[i], mentions[j]
                    if a.id == b.id:
                        continue  # the same drug named twice is not an interaction
                    candidates.append((s, sentence, a, b))
        if not candidates:
            return []
        preds = self.model.predict_relations([(sent, (a.start, a.end), (b.start, b.end)) for _, sent, a, b in candidates],
                                             top_k=1)
        out = []
        for (s, sentence, a, b), pred in zip(candidates, preds, strict=True):
            label, score = pred[0]["label"], pred[0]["score"]
            if label == self.negative or score < self.threshold:
                continue
            out.append(Relation(doc, sentence, s, replace(a, start=s + a.start, end=s + a.end),
                                replace(b, start=s + b.start, end=s + b.end), label, score))
        return out
