"""The medication review and the treatment goals of a health plan.

* :func:`medication_review` runs the drug checker (``medassist.drugs``: interactions, contraindications,
  allergies, duplicates) over the record's medicines, with the record's conditions **and** what its
  measured values say: an eGFR below 30 adds severe renal impairment, 30-44 CKD stage 3b, 45-59 CKD, a
  potassium above 5.5 hyperkalaemia, a pregnancy pregnancy, so a contraindication against kidney function
  is found even when the problem list does not name it.  It also says which drug classes the person takes
  (a blood-pressure-lowering drug decides the ``bp_treated`` input of the pooled cohort equations).
* :func:`goals` evaluates the sourced targets of ``knowledge/data/health/targets.yaml`` (blood pressure,
  HbA1c, LDL, BMI) against the record's latest values: met, not met, or no value recorded.
* :func:`safety_alerts` returns the measured values that need a clinician soon (``alerts`` in the same file),
  shown before anything else in the plan.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from medassist.errors import ErrorCode, KnowledgeBaseError

TARGETS_PATH = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "health" / "targets.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _When(_Model):
    conditions: list[str] = []
    min_age: int | None = None
    max_age: int | None = None
    unless: list[str] = []


class _Target(_Model):
    id: str
    name: str
    measure: str
    when: _When
    below: float | None = None
    at_most: float | None = None
    at_least: float | None = None
    unit: str
    source: str
    note: str | None = None


class _Alert(_Model):
    id: str
    measure: str
    above: float | None = None
    at_least: float | None = None
    below: float | None = None
    message: str
    source: str


class _Renal(_Model):
    below: float
    condition: str


class _File(_Model):
    sources: dict[str, dict[str, str]]
    targets: list[_Target]
    alerts: list[_Alert] = []
    renal_conditions: list[_Renal] = []
    potassium_above: float | None = None


@functools.cache
def _load(path: Path = TARGETS_PATH) -> _File:
    try:
        data = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail=str(exc).splitlines()[0]) from exc
    for item in [*data.targets, *data.alerts]:
        if item.source not in data.sources:
            raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail=f"{item.id}: unknown source {item.source!r}")
    return data


def source_of(key: str) -> dict[str, str]:
    return dict(_load().sources[key])


# ------------------------------------------------------------------------------------------ medication review
@dataclass
class MedicationReview:
    """The drug check of the record's medicines, and the conditions it was checked against."""

    checked: bool
    reason: str | None
    alerts: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    checked_against: list[str] = field(default_factory=list)
    derived_conditions: list[str] = field(default_factory=list)
    drug_classes: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""

    def takes_class(self, class_id: str) -> bool:
        return any(class_id in classes for classes in self.drug_classes.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def derived_conditions(record: Any, egfr: float | None = None) -> list[str]:
    """Conditions the record's measured values establish, in the drug tables' own words (``egfr``: one
    calculated from the creatinine, used when the record holds no reported eGFR)."""
    data = _load()
    out: list[str] = []
    if record.value("egfr") is not None:
        egfr = record.value("egfr")
    if egfr is not None:
        for rule in sorted(data.renal_conditions, key=lambda r: r.below):
            if egfr < rule.below:
                out.append(rule.condition)
                break
    potassium = record.value("potassium")
    if potassium is not None and data.potassium_above is not None and potassium > data.potassium_above:
        out.append("hyperkalaemia")
    if record.is_pregnant:
        out.append("pregnancy")
    return out


def medication_review(record: Any, egfr: float | None = None) -> MedicationReview:
    from medassist.drugs import check
    from medassist.drugs.data import get_db

    derived = derived_conditions(record, egfr)
    if not record.medications:
        return MedicationReview(False, "No medicines are listed in the record, so none were checked.",
                                derived_conditions=derived)
    against = list(dict.fromkeys([*record.conditions, *derived]))
    result = check(record.medications, conditions=against, allergies=record.allergies)
    db = get_db()
    classes: dict[str, list[str]] = {}
    for res in result.resolved:
        if res.target == "drug" and res.id in db.drugs:
            classes[res.input] = sorted(db.drug_classes(res.id))
    return MedicationReview(
        True, None, [a.to_dict() for a in result.alerts], [u.to_dict() for u in result.unknown], against, derived,
        classes, result.note,
    )


# ------------------------------------------------------------------------------------------------ goals
GoalStatus = Literal["met", "not_met", "no_value"]


@dataclass
class Goal:
    id: str
    name: str
    measure: str
    target: str
    status: GoalStatus
    value: float | None
    measured_on: str | None
    reason: str
    note: str | None
    source: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _target_text(t: _Target) -> str:
    if t.below is not None:
        return f"below {t.below:g} {t.unit}"
    if t.at_most is not None:
        return f"{t.at_most:g} {t.unit} or less"
    return f"at least {t.at_least:g} {t.unit}"


def _meets(t: _Target, value: float) -> bool:
    if t.below is not None:
        return value < t.below
    if t.at_most is not None:
        return value <= t.at_most
    return t.at_least is not None and value >= t.at_least


def _applies(when: _When, record: Any) -> bool:
    keys = record.condition_keys
    age = record.age
    if age is None:
        return False
    if when.min_age is not None and age < when.min_age or when.max_age is not None and age > when.max_age:
        return False
    if any(k in keys for k in when.unless) or (record.is_pregnant and "pregnancy" in when.unless):
        return False
    return not when.conditions or any(k in keys for k in when.conditions)


def _measured_on(record: Any, measure: str) -> str | None:
    held = record.vitals.get(measure) or record.labs.get(measure)
    return held.date.isoformat() if held is not None and held.date is not None else None


def goals(record: Any) -> list[Goal]:
    out: list[Goal] = []
    seen: set[str] = set()
    for t in _load().targets:
        if t.measure in seen or not _applies(t.when, record):
            continue  # the first target that applies to a measure wins (the file lists the specific ones first)
        seen.add(t.measure)
        value = record.value(t.measure)
        goal = _target_text(t)
        if value is None:
            status: GoalStatus = "no_value"
            reason = f"No {t.name.lower()} is recorded; the goal is {goal}."
        elif _meets(t, value):
            status, reason = "met", f"{t.name}: {value:g} {t.unit}, within the goal of {goal}."
        else:
            status, reason = "not_met", f"{t.name}: {value:g} {t.unit}; the goal is {goal}."
        out.append(Goal(t.id, t.name, t.measure, goal, status, value, _measured_on(record, t.measure), reason, t.note,
                        source_of(t.source)))
    return out


# ----------------------------------------------------------------------------------------------- alerts
@dataclass
class SafetyAlert:
    id: str
    message: str
    measure: str
    value: float
    source: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def safety_alerts(record: Any, egfr: float | None = None) -> list[SafetyAlert]:
    out: list[SafetyAlert] = []
    for a in _load().alerts:
        value = record.value(a.measure)
        if value is None and a.measure == "egfr":
            value = egfr
        if value is None:
            continue
        hit = ((a.above is not None and value > a.above) or (a.at_least is not None and value >= a.at_least)
               or (a.below is not None and value < a.below))
        if hit:
            out.append(SafetyAlert(a.id, a.message, a.measure, value, source_of(a.source)))
    return out
