"""Surrogates: consistent within a note, one date shift per note keeping intervals, stable per secret."""

from __future__ import annotations

import datetime as dt
import re

from medassist.nlp.deid import deidentify
from medassist.nlp.deid.surrogates import DateShifter

SURROGATE_NOTE = (
    "Patient: John Smith\nAdmitted 03/14/2023. Mr. Smith improved and was discharged 03/20/2023.\n"
    "John will follow up on March 27, 2023. SMITH, JOHN was notified. Call 617-555-0134.\n"
)


def _shift_dates(text: str) -> list[dt.date]:
    out = []
    for m in re.finditer(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", text):
        out.append(dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2))))
    return out


def test_surrogates_consistent_within_a_note() -> None:
    note = deidentify(SURROGATE_NOTE, replace="surrogate", detector="rules", note_id="a1", secret="k1")
    out = note.deid_text
    assert out is not None
    assert "Smith" not in out and "SMITH" not in out and "John" not in out and "617-555-0134" not in out
    first, last = re.match(r"Patient: (\w+) (\w+)", out).groups()  # type: ignore[union-attr]
    assert f"Mr. {last} improved" in out
    assert f"{first} will follow up" in out
    assert f"{last.upper()}, {first.upper()} was notified" in out


def test_date_shift_keeps_intervals_and_is_stable() -> None:
    a = deidentify(SURROGATE_NOTE, replace="surrogate", detector="rules", note_id="a1", secret="k1").deid_text or ""
    b = deidentify(SURROGATE_NOTE, replace="surrogate", detector="rules", note_id="a1", secret="k1").deid_text or ""
    c = deidentify(SURROGATE_NOTE, replace="surrogate", detector="rules", note_id="a1", secret="other").deid_text or ""
    assert a == b  # reruns are stable
    assert a != c  # the secret matters
    d1, d2 = _shift_dates(a)
    assert (d2 - d1).days == 6
    assert d1 != dt.date(2023, 3, 14)
    m = re.search(r"on (\w+ \d+, \d{4})", a)
    assert m is not None
    third = dt.datetime.strptime(m.group(1), "%B %d, %Y").date()
    assert (third - d1).days == 13


def test_date_shifter_formats() -> None:
    sh = DateShifter(10)
    assert sh.shift("03/14/2023") == "03/24/2023"
    assert sh.shift("3/14/23") == "3/24/23"
    assert sh.shift("2023-03-14") == "2023-03-24"
    assert sh.shift("14-Mar-2023") == "24-Mar-2023"
    assert sh.shift("March 14th") == "March 24th"
    assert sh.shift("Mar. 28, 2023") == "Apr. 7, 2023"
    assert sh.shift("December 2022") == "December 2022"
    sh.observe("02/01/2023")
    assert sh.shift("14th") == "24th"  # reference month February 2023: Feb 14 + 10 days
    assert sh.shift("25th") == "7th"  # Feb 25 + 10 days = March 7
