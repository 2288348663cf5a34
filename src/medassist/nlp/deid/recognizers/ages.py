"""Ages over 89 (Safe Harbor: ages of 90 and above are identifiers; younger ages are not)."""

from __future__ import annotations

from medassist.nlp.deid.recognizers.base import Context
from medassist.nlp.deid.types import Hit


class AgeRecognizer:
    labels = ("AGE",)

    def __init__(self, ctx: Context) -> None:
        self.patterns = [ctx.p.get(n) for n in ("age_years_old", "age_abbreviated", "age_cued", "age_decade")]

    def find(self, text: str, hits: list[Hit]) -> None:
        for pat in self.patterns:
            for m in pat.finditer(text):
                hits.append(Hit(m.start(1), m.end(1), "AGE"))
