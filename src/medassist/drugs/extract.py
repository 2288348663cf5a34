"""Reading interaction statements in text with the relation model trained on DDI-2013.

Drug mentions are found with the curated names (generic, other names, brands) and class names
("NSAIDs", "anticoagulants"); every pair of mentions in a sentence is a candidate, marked
(``@ drug1 @ ... # drug2 #``) and classified as mechanism, effect, advise, int or none.

    extractor = InteractionExtractor.load()          # the shipped model, or a model directory
    for rel in extractor.extract(text): ...
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from medassist.errors import ConfigError, ErrorCode

MODEL_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "ddi-relation"


@dataclass
class Mention:
    start: int
    end: int
    text: str
    kind: str  # drug | class
    id: str


@dataclass
class Relation:
    doc: str
    sentence: str
    sentence_start: int
    drug1: dict[str, Any]
    drug2: dict[str, Any]
    type: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class MentionFinder:
    """Longest, case-insensitive, word-bounded matches of drug and class names."""

    def __init__(self, db) -> None:  # noqa: ANN001
        names: dict[str, tuple[str, str]] = {}
        for d in db.drugs.values():
            for n in [d.name, *d.other_names, *d.brands.us, *d.brands.uk]:
                if len(n) >= 3:
                    names.setdefault(n.lower(), ("drug", d.id))
        for c in db.classes.values():
            # "Statins (HMG-CoA reductase inhibitors)" -> "statins", "hmg-coa reductase inhibitors";
            # the label "an NSAID" -> "nsaid", "nsaids"
            forms = [c.name, *re.findall(r"\(([^)]+)\)", c.name), re.sub(r"\s*\([^)]*\)", "", c.name),
                     re.sub(r"^(?:an?|the)\s+", "", c.label)]
            for form in forms:
                n = form.strip().lower()
                if len(n) >= 3:
                    names.setdefault(n, ("class", c.id))
                    names.setdefault(n + "s", ("class", c.id))
        self.names = names
        alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.I)

    def find(self, text: str) -> list[Mention]:
        out = []
        for m in self.pattern.finditer(text):
            kind, ident = self.names[m.group().lower()]
            out.append(Mention(m.start(), m.end(), m.group(), kind, ident))
        return out


class InteractionExtractor:
    def __init__(self, model, db=None, *, threshold: float = 0.5) -> None:  # noqa: ANN001
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
            out.append(Relation(doc, sentence, s,
                                {"text": a.text, "kind": a.kind, "id": a.id, "start": s + a.start, "end": s + a.end},
                                {"text": b.text, "kind": b.kind, "id": b.id, "start": s + b.start, "end": s + b.end},
                                label, score))
        return out
