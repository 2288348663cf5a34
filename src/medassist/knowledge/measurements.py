"""Measured values in a patient's or a vignette's words ("a fever of 38.5", "BP 165/95 mm Hg", "sats 89%",
"ALT of 6498") read into knowledge-base findings, with the public cut-offs in
``knowledge/data/measurements.yaml``.

A value that crosses a cut-off makes its finding present; a value on the normal side makes it absent
only where the table says so (a temperature of 37.0 says there is no fever; a normal glucose says
nothing about a low one).  Units are converted to one canonical unit per measurement; a value without
a unit is read in the unit whose usual range it falls in, and a value outside the plausible range is
ignored rather than guessed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from medassist.errors import ErrorCode, KnowledgeBaseError

PATH = Path(__file__).resolve().parent / "data" / "measurements.yaml"
# words allowed between a measurement's name and its value ("blood pressure was (165/95", "ALT of 6498")
_LINK = r"(?:\s*(?:level|levels|count|reading|readings|measured|measuring|was|were|is|are|of|at|to|around|about|" \
        r"only|just|came back|showed|shows|checked|recorded|=|:|\(|-)\s*){0,4}"
_NUM = r"\d{1,6}(?:[.,]\d+)?"


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    finding: str
    above: float | None = None
    at_least: float | None = None
    below: float | None = None
    second: float | None = None  # the diastolic value of a pair: either value crossing counts
    normal_means_absent: bool = False
    source: str

    @model_validator(mode="after")
    def _one_bound(self) -> Rule:
        if self.above is None and self.at_least is None and self.below is None:
            raise ValueError(f"rule for {self.finding!r} needs above, at_least or below")
        if self.above is not None and self.at_least is not None:
            raise ValueError(f"rule for {self.finding!r}: give above or at_least, not both")
        return self

    def crosses(self, value: float, second: float | None) -> bool:
        low = self.above if self.above is not None else self.at_least
        if low is not None:
            hit = value > low if self.above is not None else value >= low
            if self.second is not None and second is not None:
                hit = hit or second >= self.second
            if self.below is not None:  # a band: at_least <= value < below
                hit = hit and value < self.below
            return hit
        assert self.below is not None
        return value < self.below


class Measurement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    names: list[str] = Field(min_length=1)
    units: dict[str, float | Literal["fahrenheit", "ifcc"]] = Field(default_factory=dict)
    guess: list[tuple[float, float, str]] = Field(default_factory=list)
    range: tuple[float, float]
    pair: bool = False
    min_age: float | None = None
    rules: list[Rule] = Field(min_length=1)


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: dict[str, dict[str, str]]
    measurements: list[Measurement]


@dataclass(frozen=True)
class Reading:
    """One measured value and what it says about one finding."""

    finding: str
    present: bool
    start: int
    end: int
    text: str
    measurement: str
    value: float  # in the canonical unit


def _convert(value: float, factor: float | str) -> float:
    if factor == "fahrenheit":
        return (value - 32) * 5 / 9
    if factor == "ifcc":  # HbA1c % (DCCT/NGSP) -> mmol/mol (IFCC master equation)
        return (value - 2.15) * 10.929
    return value * float(factor)


class MeasurementReader:
    def __init__(self, table: Table, findings: set[str] | None = None, *, strict: bool = True) -> None:
        """``findings``: the knowledge base's finding ids.  Strict (the shipped table and knowledge base), a
        rule naming an unknown finding is an error; not strict (a smaller custom knowledge base), such
        rules are left out."""
        problems = []
        for m in table.measurements:
            for r in m.rules:
                if r.source not in table.sources:
                    problems.append(f"{m.id}: rule for {r.finding} names unknown source {r.source!r}")
                if strict and findings is not None and r.finding not in findings:
                    problems.append(f"{m.id}: unknown finding {r.finding!r}")
            for *_, unit in m.guess:
                if unit not in m.units:
                    problems.append(f"{m.id}: guess unit {unit!r} is not one of its units")
        if problems:
            raise KnowledgeBaseError(ErrorCode.E301, path=str(PATH), detail="; ".join(problems))
        if findings is not None and not strict:
            table = table.model_copy(deep=True)
            for m in table.measurements:
                m.rules = [r for r in m.rules if r.finding in findings]
            table.measurements = [m for m in table.measurements if m.rules]
        self.table = table
        self._patterns = []
        for m in table.measurements:
            names = "|".join(re.escape(n) for n in sorted(m.names, key=len, reverse=True))
            units = "|".join(re.escape(u) for u in sorted(m.units, key=len, reverse=True))
            value = rf"(?P<v1>{_NUM})" + (rf"(?:\s*/\s*(?P<v2>{_NUM}))?" if m.pair else "")
            unit = rf"(?:\s*(?P<unit>{units})(?![a-z]))?" if units else ""
            pat = re.compile(rf"(?<![\w/])(?:{names}){_LINK}\s*{value}{unit}(?![\w/])", re.IGNORECASE)
            self._patterns.append((m, pat))

    def read(self, text: str, age: float | None = None) -> list[Reading]:
        return self.read_spans(text, age)[0]

    def read_spans(self, text: str, age: float | None = None) -> tuple[list[Reading], list[tuple[int, int]]]:
        """The readings, and the span of every value read, also of one that crosses no cut-off ("HR 88")."""
        out: list[Reading] = []
        taken: list[tuple[int, int]] = []
        for m, pat in self._patterns:
            if m.min_age is not None and age is not None and age < m.min_age:
                continue
            for hit in pat.finditer(text):
                a, b = hit.span()
                if any(a < e and s < b for s, e in taken):
                    continue
                value = self._value(m, hit.group("v1"), hit.groupdict().get("unit"))
                second = hit.groupdict().get("v2")
                if m.pair and second is None:
                    continue  # "BP 140" alone is not a blood pressure reading
                if value is None or not (m.range[0] <= value <= m.range[1]):
                    continue
                v2 = float(second.replace(",", ".")) if second else None
                taken.append((a, b))
                for rule in m.rules:
                    if rule.crosses(value, v2):
                        out.append(Reading(rule.finding, True, a, b, text[a:b], m.id, round(value, 2)))
                    elif rule.normal_means_absent:
                        out.append(Reading(rule.finding, False, a, b, text[a:b], m.id, round(value, 2)))
        return sorted(out, key=lambda r: (r.start, r.finding)), sorted(taken)

    @staticmethod
    def _value(m: Measurement, raw: str, unit: str | None) -> float | None:
        value = float(raw.replace(",", "."))
        if unit:
            key = next((u for u in m.units if u.lower() == unit.lower()), None)
            return _convert(value, m.units[key]) if key is not None else None
        for lo, hi, u in m.guess:
            if lo <= value <= hi:
                return _convert(value, m.units[u])
        return value if not m.guess else None


@functools.cache
def load_table(path: Path = PATH) -> Table:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Table.model_validate(raw)
    except FileNotFoundError:
        raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail="the file is missing; reinstall MedAssist") from None
    except (yaml.YAMLError, ValidationError, AttributeError) as exc:
        raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail=str(exc).splitlines()[0]) from None
