"""Telephone and fax numbers."""

from __future__ import annotations

from medassist.nlp.deid.recognizers.base import Context
from medassist.nlp.deid.types import Hit


class PhoneRecognizer:
    labels = ("PHONE", "FAX")

    def __init__(self, ctx: Context) -> None:
        self.phone = ctx.p.get("phone")
        self.short = ctx.p.get("phone_cued_short")
        self.fax_cue = ctx.p.get("fax_cue")

    def find(self, text: str, hits: list[Hit]) -> None:
        for m in self.phone.finditer(text):
            label = "FAX" if self.fax_cue.search(text[max(0, m.start() - 16) : m.start()]) else "PHONE"
            hits.append(Hit(m.start(), m.end(), label))
        for m in self.short.finditer(text):
            head = text[m.start() : m.start(1)].lower()
            hits.append(Hit(m.start(1), m.end(1), "FAX" if "fax" in head else "PHONE"))
