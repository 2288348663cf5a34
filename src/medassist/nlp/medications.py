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
(tablet, capsule, inhaler...), and ``allergy: true`` for drugs mentioned in the Allergies section.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from medassist.doc import Entity, Note

_NUM = r"\d+(?:\.\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?|one|two|three|four|half|1/2"
UNITS = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "mcg": "mcg", "microgram": "mcg", "micrograms": "mcg",
    "ug": "mcg", "g": "g", "gm": "g", "gram": "g", "grams": "g", "ml": "mL", "cc": "mL", "l": "L", "units": "unit",
    "unit": "unit", "u": "unit", "iu": "IU", "meq": "mEq", "mmol": "mmol", "puff": "puff", "puffs": "puff",
    "tab": "tablet", "tabs": "tablet", "tablet": "tablet", "tablets": "tablet", "cap": "capsule", "caps": "capsule",
    "capsule": "capsule", "capsules": "capsule", "drop": "drop", "drops": "drop", "gtt": "drop", "gtts": "drop",
    "spray": "spray", "sprays": "spray", "patch": "patch", "patches": "patch", "mg/kg": "mg/kg", "%": "%",
    "application": "application", "neb": "nebule", "nebs": "nebule", "vial": "vial", "vials": "vial",
    "teaspoon": "teaspoon", "teaspoons": "teaspoon", "tsp": "teaspoon", "tablespoon": "tablespoon", "tbsp": "tablespoon",
}  # fmt: skip
ROUTES = {
    "po": "oral", "p.o.": "oral", "p.o": "oral", "oral": "oral", "orally": "oral", "by mouth": "oral",
    "iv": "intravenous", "i.v.": "intravenous", "intravenous": "intravenous", "intravenously": "intravenous",
    "ivp": "intravenous", "iv push": "intravenous", "ivpb": "intravenous",
    "im": "intramuscular", "i.m.": "intramuscular", "intramuscular": "intramuscular", "intramuscularly": "intramuscular",
    "sc": "subcutaneous", "sq": "subcutaneous", "subq": "subcutaneous", "sub-q": "subcutaneous", "subcut": "subcutaneous",
    "subcutaneous": "subcutaneous", "subcutaneously": "subcutaneous", "sl": "sublingual", "sublingual": "sublingual",
    "sublingually": "sublingual", "pr": "rectal", "rectal": "rectal", "rectally": "rectal", "per rectum": "rectal",
    "topical": "topical", "topically": "topical", "td": "transdermal", "transdermal": "transdermal",
    "inhaled": "inhalation", "inh": "inhalation", "inhalation": "inhalation", "via nebulizer": "inhalation",
    "nebulized": "inhalation", "neb": "inhalation", "intranasal": "nasal", "nasal": "nasal", "in": "nasal",
    "ophthalmic": "ophthalmic", "ou": "ophthalmic", "os": "ophthalmic", "od": "ophthalmic", "otic": "otic",
    "vaginal": "vaginal", "pv": "vaginal", "ng": "nasogastric", "per ng": "nasogastric", "via g-tube": "gastrostomy",
    "per tube": "enteral", "peg": "gastrostomy",
}  # fmt: skip
FREQUENCIES = {
    "qd": "once a day", "q.d.": "once a day", "daily": "once a day", "once daily": "once a day",
    "once a day": "once a day", "every day": "once a day", "qday": "once a day", "od": "once a day",
    "bid": "twice a day", "b.i.d.": "twice a day", "twice daily": "twice a day", "twice a day": "twice a day",
    "two times a day": "twice a day", "tid": "three times a day", "t.i.d.": "three times a day",
    "three times daily": "three times a day", "three times a day": "three times a day",
    "qid": "four times a day", "q.i.d.": "four times a day", "four times daily": "four times a day",
    "four times a day": "four times a day", "qhs": "at bedtime", "q.h.s.": "at bedtime", "hs": "at bedtime",
    "at bedtime": "at bedtime", "nightly": "at bedtime", "at night": "at night", "qam": "every morning",
    "q.a.m.": "every morning", "every morning": "every morning", "in the morning": "every morning",
    "qpm": "every evening", "every evening": "every evening", "qod": "every other day",
    "every other day": "every other day", "weekly": "once a week", "once weekly": "once a week",
    "once a week": "once a week", "q week": "once a week", "qwk": "once a week", "monthly": "once a month",
    "once a month": "once a month", "stat": "immediately", "once": "once", "with meals": "with meals",
    "ac": "before meals", "pc": "after meals", "tiw": "three times a week", "continuous": "continuous",
}  # fmt: skip
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


_DOSE = re.compile(rf"(?<![\w.])({_NUM})\s*({_alt(list(UNITS))})(?![\w])", re.I)
_ROUTE = re.compile(rf"(?<![\w./-])({_alt(list(ROUTES))})(?![\w-])", re.I)
_FREQ = re.compile(rf"(?<![\w./-])({_alt(list(FREQUENCIES))})(?![\w])", re.I)
_STOP = re.compile(r"[\n;]|\.\s+[A-Z]|\.\s*$")


def parse_signature(sig: str) -> dict[str, Any]:
    """Dose, unit, route, frequency, duration and as-needed from the text after a drug name."""
    out: dict[str, Any] = {}
    m = _DOSE.search(sig)
    if m:
        out["dose"] = re.sub(r"\s+", "", m.group(1)).replace("to", "-")
        out["unit"] = UNITS[m.group(2).lower()]
    for m in _ROUTE.finditer(sig):
        token = m.group(1).lower()
        if token in ("in", "od", "os", "ou") and out.get("unit") not in ("drop", "spray"):
            continue  # "in" and eye abbreviations only count with drops/sprays
        out["route"] = ROUTES[re.sub(r"\s+", " ", token)]
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
            for m in _FREQ.finditer(sig):
                token = re.sub(r"\s+", " ", m.group(1).lower())
                if token == "od" and out.get("route") == "ophthalmic":
                    continue
                out["frequency"] = FREQUENCIES[token]
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
