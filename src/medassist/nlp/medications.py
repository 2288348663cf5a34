"""Medication attributes (component ``medications``): dose, unit, route, frequency, duration, as-needed.

For every ``drug`` entity the text right after it -- up to the end of the line or sentence, the next drug
or ``window`` characters -- is read for the usual signature elements, and the results go into
``ent.attributes``::

    metoprolol 25 mg po bid x 7 days
      -> {"dose": "25", "unit": "mg", "route": "oral", "route_text": "po", "frequency": "twice a day",
          "frequency_text": "bid", "duration": "7 days", "dosage_text": "25 mg po bid x 7 days"}
    albuterol 2 puffs q4h prn wheeze
      -> {"dose": "2", "unit": "puff", "frequency": "every 4 hours", "as_needed": true, "as_needed_for": "wheeze"}

Also kept: ``strength`` when written as "metoprolol tartrate 25mg tablet" (same as dose here), ``form``
(tablet, capsule, inhaler...), and ``allergy: true`` for drugs mentioned in the Allergies section.  The words
of a signature are the vocabularies ``dose_units``, ``routes`` and ``frequencies`` (medassist.knowledge.terms).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Any

from medassist.doc import Entity, Note
from medassist.knowledge.terms import terms

_NUM = r"\d+(?:\.\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?|one|two|three|four|half|1/2"
_QH = re.compile(r"\bq\.?\s?(\d+)(?:\s*-\s*(\d+))?\s*(h|hr|hrs|hours?|min|mins|minutes?)\b\.?", re.I)
_EVERY = re.compile(
    r"\bevery\s+(\d+)(?:\s*(?:-|to)\s*(\d+))?\s*(hours?|hrs?|h|minutes?|mins?|days?|weeks?)\b", re.I
)
_DURATION = re.compile(
    r"(?:\bx\s*|\u00d7\s*|\bfor\s+(?:a\s+total\s+of\s+)?|\btimes\s+)(\d+|one|two|three|four|five|six|seven|ten|fourteen)"
    r"\s*(days?|d|weeks?|wks?|wk|months?|mos?|doses?)\b",
    re.I,
)
_PRN = re.compile(
    r"\b(?:prn|p\.r\.n\.|as\s+needed|when\s+needed|if\s+needed)\b(?:\s+(?:for\s+)?((?!for\b)[a-z][a-z /-]{2,30}?))?"
    r"(?=$|[,.;)\n]|\s+(?:and|or|x|for\s+\d|q\d|every|daily|bid|tid|qid)\b)",
    re.I,
)
_FORMS = re.compile(
    r"\b(tablets?|tabs?|capsules?|caps?|inhaler|nebuli[sz]er|patch|cream|ointment|solution|suspension|syrup|injection|drops|spray|suppository|elixir|er|xr|sr|dr|xl|cr|ec|ir|odt)\b",
    re.I,
)


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class _Vocabulary:
    """The signature words (vocabularies dose_units, routes, frequencies) and their patterns."""

    units: dict[str, str]
    routes: dict[str, str]
    frequencies: dict[str, str]
    dose: re.Pattern[str]
    route: re.Pattern[str]
    freq: re.Pattern[str]


@functools.lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    units = terms("dose_units").mapping()
    routes = terms("routes").mapping()
    frequencies = terms("frequencies").mapping()
    return _Vocabulary(
        units, routes, frequencies,
        re.compile(rf"(?<![\w.])({_NUM})\s*({_alt(list(units))})(?![\w])", re.I),
        re.compile(rf"(?<![\w./-])({_alt(list(routes))})(?![\w-])", re.I),
        re.compile(rf"(?<![\w./-])({_alt(list(frequencies))})(?![\w])", re.I),
    )


_STOP = re.compile(r"[\n;]|\.\s+[A-Z]|\.\s*$")


def parse_signature(sig: str) -> dict[str, Any]:
    """Dose, unit, route, frequency, duration and as-needed from the text after a drug name."""
    out: dict[str, Any] = {}
    v = _vocabulary()
    m = v.dose.search(sig)
    if m:
        out["dose"] = re.sub(r"\s+", "", m.group(1)).replace("to", "-")
        out["unit"] = v.units[m.group(2).lower()]
    for m in v.route.finditer(sig):
        token = m.group(1).lower()
        if token in ("in", "od", "os", "ou") and out.get("unit") not in ("drop", "spray"):
            continue  # "in" and eye abbreviations only count with drops/sprays
        out["route"] = v.routes[re.sub(r"\s+", " ", token)]
        out["route_text"] = m.group(1)
        break
    m = _QH.search(sig)
    if m:
        unit = "hours" if m.group(3).lower().startswith("h") else "minutes"
        span = f"{m.group(1)}-{m.group(2)}" if m.group(2) else m.group(1)
        out["frequency"] = f"every {span} {unit if span != '1' else unit[:-1]}"
        out["frequency_text"] = m.group(0).strip()
    else:
        m = _EVERY.search(sig)
        if m:
            out["frequency"] = m.group(0).lower()
            out["frequency_text"] = m.group(0)
        else:
            for m in v.freq.finditer(sig):
                token = re.sub(r"\s+", " ", m.group(1).lower())
                if token == "od" and out.get("route") == "ophthalmic":
                    continue
                out["frequency"] = v.frequencies[token]
                out["frequency_text"] = m.group(1)
                break
    m = _DURATION.search(sig)
    if m:
        unit = m.group(2).lower()
        unit = {"d": "days", "wk": "weeks", "wks": "weeks", "mo": "months", "mos": "months"}.get(unit, unit)
        if m.group(1) in ("1", "one"):
            unit = unit.rstrip("s")
        elif not unit.endswith("s"):
            unit += "s"
        out["duration"] = f"{m.group(1)} {unit}"
    m = _PRN.search(sig)
    if m:
        out["as_needed"] = True
        if m.group(1):
            out["as_needed_for"] = m.group(1).strip()
    m = _FORMS.search(sig)
    if m:
        out["form"] = m.group(1).lower()
    return out


class MedicationParser:
    reads: tuple[str, ...] = ("entities",)
    writes: tuple[str, ...] = ("entities",)

    def __init__(self, window: int = 80) -> None:
        self.window = window

    def __call__(self, note: Note) -> Note:
        text = note.text
        drugs = sorted((e for e in note.entities if e.label == "drug"), key=lambda e: e.start)
        starts = [d.start for d in drugs]
        sec_starts = [s.start for s in note.sections]
        for ent in drugs:
            limit = min(len(text), ent.end + self.window)
            k = bisect.bisect_right(starts, ent.end)
            if k < len(drugs):
                limit = min(limit, drugs[k].start)
            sig = text[ent.end : limit]
            stop = _STOP.search(sig)
            if stop:
                sig = sig[: stop.start()]
            attrs = parse_signature(sig)
            if attrs:
                ent.attributes.update(attrs)
                ent.attributes["dosage_text"] = " ".join(sig.strip(" ,:-").split())
            ent.attributes.setdefault("drug", ent.attributes.get("canonical") or ent.text)
            if _in_allergies(note, ent, sec_starts):
                ent.attributes["allergy"] = True
        return note


def _in_allergies(note: Note, ent: Entity, sec_starts: list[int]) -> bool:
    if ent.section:
        return ent.section == "allergies"
    i = bisect.bisect_right(sec_starts, ent.start) - 1
    return i >= 0 and note.sections[i].name == "allergies" and ent.start < note.sections[i].end


def make_medications(window: int = 80) -> MedicationParser:
    """Factory for the ``medications`` component (settings documented in configs/pipeline.yaml)."""
    return MedicationParser(window=window)
