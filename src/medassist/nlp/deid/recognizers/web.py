"""E-mail addresses, URLs and IP addresses."""

from __future__ import annotations

from medassist.nlp.deid.recognizers.base import Context
from medassist.nlp.deid.types import Hit


class WebRecognizer:
    labels = ("EMAIL", "URL", "IP")

    def __init__(self, ctx: Context) -> None:
        self.email = ctx.p.get("email")
        self.url = ctx.p.get("url")
        self.ips = (ctx.p.get("ipv4"), ctx.p.get("ipv6"))

    def find(self, text: str, hits: list[Hit]) -> None:
        for m in self.email.finditer(text):
            hits.append(Hit(m.start(), m.end(), "EMAIL"))
        for m in self.url.finditer(text):
            s, e = m.start(), m.end()
            while e > s and text[e - 1] in ".,;:":
                e -= 1
            if "@" in text[max(0, s - 1) : s]:
                continue  # the host of an e-mail address
            hits.append(Hit(s, e, "URL"))
        for pat in self.ips:
            for m in pat.finditer(text):
                hits.append(Hit(m.start(), m.end(), "IP"))
