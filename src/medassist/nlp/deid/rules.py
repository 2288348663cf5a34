"""The rule-based detector: every recognizer in a fixed order (names last: they read what came before)."""

from __future__ import annotations

from medassist.nlp.deid.patterns import Lexicons, Patterns
from medassist.nlp.deid.recognizers import (
    AgeRecognizer,
    Context,
    DateRecognizer,
    IdRecognizer,
    NameRecognizer,
    PhoneRecognizer,
    PlaceRecognizer,
    SsnRecognizer,
    WebRecognizer,
)
from medassist.nlp.deid.types import Hit


class RuleDetector:
    """Finds identifiers with patterns, cues and lexicons.  Stateless; one instance serves many notes."""

    def __init__(self, lex: Lexicons | None = None, patterns: Patterns | None = None,
                 vocabulary: frozenset[str] | None = None) -> None:
        self.ctx = Context(lex, patterns, vocabulary)
        self.lex = self.ctx.lex
        self.places = PlaceRecognizer(self.ctx)
        self.names = NameRecognizer(self.ctx)
        self.recognizers = [WebRecognizer(self.ctx), SsnRecognizer(self.ctx), PhoneRecognizer(self.ctx),
                            DateRecognizer(self.ctx), AgeRecognizer(self.ctx), IdRecognizer(self.ctx),
                            self.places, self.names]

    def find(self, text: str) -> list[Hit]:
        hits: list[Hit] = []
        for rec in self.recognizers:
            rec.find(text, hits)
        self.places.address_tail(text, hits)
        return hits
