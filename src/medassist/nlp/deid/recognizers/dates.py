"""Dates: every element but the year (full dates, month and day, day alone after a cue, month names,
holidays).  Short numeric dates ("3/14") are told apart from scores and ratios ("4/5 strength", "8/10")."""

from __future__ import annotations

import re

from medassist.nlp.deid.patterns import alt
from medassist.nlp.deid.recognizers.base import Context
from medassist.nlp.deid.types import Hit

_NUMERIC = re.compile(r"\d{1,2}([-/.])\d{1,2}\1\d{2,4}")


class DateRecognizer:
    labels = ("DATE",)

    def __init__(self, ctx: Context) -> None:
        p = ctx.p
        self.full = [p.get(n) for n in ("date_iso", "date_numeric", "date_day_month", "date_month_day", "date_month_year")]
        self.short = p.get("short_date")
        self.cues = p.get("short_date_cues")
        self.not_after = p.get("short_date_not_after")
        self.not_before = p.get("short_date_not_before")
        self.ordinal = p.get("ordinal_day")
        self.month_short_year = p.get("month_short_year")
        self.event_cues = p.get("short_date_event_cues")
        self.month = p.get("month_alone")
        self.holiday = re.compile(rf"\b(?:{alt(ctx.words.get('holidays', []))})\b", re.IGNORECASE)

    def is_short_date(self, text: str, m: re.Match[str]) -> bool:
        before = text[max(0, m.start() - 30) : m.start()]
        after = text[m.end() : m.end() + 30]
        if self.not_after.match(after) or self.not_before.search(before):
            return bool(self.cues.search(before)) and not self.not_after.match(after)
        month, day = int(m.group(1)), int(m.group(2))
        if self.cues.search(before) or self.event_cues.search(before):
            return True
        if day == 10:
            return False  # "8/10" is a pain score far more often than August 10th
        return not (month <= 6 and day <= 6)  # a bare "4/5" or "2/6" is more often a score than a date

    def find(self, text: str, hits: list[Hit]) -> None:
        for pat in self.full:
            for m in pat.finditer(text):
                s, e = m.start(), m.end()
                frag = m.group()
                if _NUMERIC.fullmatch(frag):
                    a, b = (int(x) for x in re.split(r"[-/.]", frag)[:2])
                    if not ((1 <= a <= 12 and 1 <= b <= 31) or (1 <= b <= 12 and 1 <= a <= 31)):
                        continue
                    if frag.count(".") == 2 and len(frag.split(".")[2]) == 2 and a > 12 and b > 12:
                        continue
                while e > s and text[e - 1] in " ,-":
                    e -= 1
                hits.append(Hit(s, e, "DATE"))
        for m in self.short.finditer(text):
            if self.is_short_date(text, m):
                hits.append(Hit(m.start(), m.end(), "DATE", score=0.9))
        for m in self.month_short_year.finditer(text):
            hits.append(Hit(m.start(1), m.end(1), "DATE", score=0.9))
        for m in self.ordinal.finditer(text):
            hits.append(Hit(m.start(1), m.end(1), "DATE", score=0.9))
        for m in self.month.finditer(text):
            if m.group(1) == "May" and not re.match(r"\s*(?:\d|of\b|,|\.|$)", text[m.end(1) : m.end(1) + 4]):
                continue  # "may" the verb
            hits.append(Hit(m.start(1), m.end(1), "DATE", score=0.9))
        for m in self.holiday.finditer(text):
            hits.append(Hit(m.start(), m.end(), "DATE", score=0.8))
