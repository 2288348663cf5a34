"""Numbers that identify: social security, record, plan, account, licence, device and vehicle numbers."""

from __future__ import annotations

import re

from medassist.nlp.deid.patterns import alt
from medassist.nlp.deid.recognizers.base import Context
from medassist.nlp.deid.types import Hit


class SsnRecognizer:
    labels = ("SSN",)

    def __init__(self, ctx: Context) -> None:
        self.ssn = ctx.p.get("ssn")

    def find(self, text: str, hits: list[Hit]) -> None:
        for m in self.ssn.finditer(text):
            hits.append(Hit(m.start(), m.end(), "SSN"))


class IdRecognizer:
    """An identifier after its cue ("MRN: 4471903", "policy no. XK-22"), vehicle numbers, and unexplained
    long numbers or letter-digit codes (``ID``, a lower score)."""

    labels = ("MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE", "DEVICE", "SSN", "VEHICLE", "ID")

    def __init__(self, ctx: Context) -> None:
        self.cued = [(label, ctx.p.get("id_after_cue", CUES=alt(phrases)))
                     for label, phrases in (ctx.words.get("id_cues") or {}).items()]
        self.vin = ctx.p.get("vin")
        self.loose = [ctx.p.get(n) for n in ("mixed_id", "long_number", "dashed_number")]

    def find(self, text: str, hits: list[Hit]) -> None:
        for label, pat in self.cued:
            for m in pat.finditer(text):
                value = m.group(1)
                if label != "SSN" and len(re.sub(r"\D", "", value)) < 3 and len(value) < 5:
                    continue
                hits.append(Hit(m.start(1), m.end(1), label))
        for m in self.vin.finditer(text):
            if re.search(r"\d", m.group()) and re.search(r"[A-Z]", m.group()):
                hits.append(Hit(m.start(), m.end(), "VEHICLE"))
        for pat in self.loose:
            for m in pat.finditer(text):
                hits.append(Hit(m.start(), m.end(), "ID", score=0.8))
