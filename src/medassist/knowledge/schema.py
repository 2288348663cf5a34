"""Typed schema of the medical knowledge base (pydantic models over the YAML files in ``data/``).

The files are the source of truth; these models only say what a valid entry looks like.  The format is
described for curators in ``data/README.md``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from medassist.doc import EMERGENCY_LEVELS as _EMERGENCY_LEVELS
from medassist.doc import TRIAGE_LEVELS as _TRIAGE_LEVELS

TRIAGE_LEVELS = _TRIAGE_LEVELS  # the one definition lives in medassist.doc


def _triage_level(v: str) -> str:
    if v not in TRIAGE_LEVELS:
        raise ValueError(f"triage level {v!r} is not one of {list(TRIAGE_LEVELS)}")
    return v


def _emergency_level(v: str) -> str:
    if v not in _EMERGENCY_LEVELS:
        raise ValueError(f"a red flag's level must be one of {sorted(_EMERGENCY_LEVELS)}, not {v!r}")
    return v


TriageLevel = Annotated[str, AfterValidator(_triage_level)]
TriageGroup = Literal["emergency", "non_emergency", "self_care"]  # symptom-checker studies' three levels
EmergencyLevel = Annotated[str, AfterValidator(_emergency_level)]

AGE_BANDS: tuple[str, ...] = ("0-1", "2-11", "12-17", "18-39", "40-64", "65+")
DURATIONS: tuple[str, ...] = ("hours", "days", "weeks", "months")
ONSETS: tuple[str, ...] = ("sudden", "gradual")
SEVERITIES: tuple[str, ...] = ("mild", "moderate", "severe")
FINDING_KINDS: tuple[str, ...] = ("symptom", "sign", "risk_factor", "exposure", "history")
AREAS: tuple[str, ...] = (
    "primary_care",
    "emergency_medicine",
    "infectious_disease",
    "tropical_disease",
    "paediatrics",
    "womens_health",
    "dermatology",
    "mental_health",
    "cardiology",
    "respiratory",
    "gastroenterology",
    "neurology",
    "urology",
    "musculoskeletal",
    "endocrine",
    "ent",
    "ophthalmology",
    "haematology",
    "renal",
    "rheumatology",
    "oncology",
    "toxicology",
    "mens_health",
    "oral_health",
    "vascular",
)

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A public source an entry was written from (guideline, textbook chapter, CDC/NHS/WHO page)."""

    title: str = Field(min_length=3)
    url: str | None = None
    publisher: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("https://", "http://")):
            raise ValueError("url must start with https:// or http://")
        return v


class Finding(_Strict):
    """A symptom, sign, risk factor, exposure or item of history a patient can report."""

    id: str
    name: str
    kind: Literal["symptom", "sign", "risk_factor", "exposure", "history"]
    lay: list[str] = Field(min_length=2, description="everyday phrasings a patient would use")
    question: str = Field(min_length=8, description="the question to ask a patient, answerable yes/no")
    base_rate: float = Field(gt=0, lt=1, description="P(present) among people consulting for any reason")
    clinical: list[str] = Field(default_factory=list, description="clinical synonyms and abbreviations")
    sources: list[Source] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r} must be snake_case ascii (a-z, 0-9, _)")
        return v


class FindingLink(_Strict):
    """A finding's probability under one condition, with the modifiers that matter."""

    id: str
    p: float = Field(gt=0, lt=1, description="P(finding present | condition)")
    onset: Literal["sudden", "gradual"] | None = None
    severity: Literal["mild", "moderate", "severe"] | None = None
    site: str | None = None
    character: str | None = None
    note: str | None = None


class Prevalence(_Strict):
    """Prior: annual new presentations per 100,000 people, with relative multipliers by age band and sex."""

    per_100k: float = Field(gt=0, le=100_000)
    age: dict[str, float]
    sex: dict[Literal["female", "male"], float]

    @field_validator("age")
    @classmethod
    def _age(cls, v: dict[str, float]) -> dict[str, float]:
        missing = [b for b in AGE_BANDS if b not in v]
        extra = [b for b in v if b not in AGE_BANDS]
        if missing or extra:
            raise ValueError(f"age bands must be exactly {list(AGE_BANDS)} (missing {missing}, unknown {extra})")
        if any(x < 0 for x in v.values()) or not any(x > 0 for x in v.values()):
            raise ValueError("age multipliers must be >= 0 and at least one > 0")
        return v

    @field_validator("sex")
    @classmethod
    def _sex(cls, v: dict[str, float]) -> dict[str, float]:
        if set(v) != {"female", "male"}:
            raise ValueError("sex must give both female and male multipliers")
        if any(x < 0 for x in v.values()) or not any(x > 0 for x in v.values()):
            raise ValueError("sex multipliers must be >= 0 and at least one > 0")
        return v


class Condition(_Strict):
    id: str
    name: str
    lay_name: str | None = None
    aliases: list[str] = Field(
        default_factory=list,
        description="other names it answers to: synonyms, the subtypes it covers, US/UK spellings, abbreviations",
    )
    icd10: str
    area: str
    specialty: str = Field(description="the specialty or service to see")
    triage: TriageLevel
    prevalence: Prevalence
    onset: list[Literal["sudden", "gradual"]] = Field(default_factory=list)
    duration: list[Literal["hours", "days", "weeks", "months"]] = Field(default_factory=list)
    findings: list[FindingLink] = Field(min_length=3)
    risk_factors: list[FindingLink] = Field(default_factory=list)
    red_flags: list[str] = Field(default_factory=list, description="finding ids that are alarming with this condition")
    next_steps: list[str] = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)
    description: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r} must be snake_case ascii (a-z, 0-9, _)")
        return v

    @field_validator("area")
    @classmethod
    def _area(cls, v: str) -> str:
        if v not in AREAS:
            raise ValueError(f"area {v!r} is not one of {list(AREAS)}")
        return v

    @model_validator(mode="after")
    def _unique_links(self) -> Condition:
        ids = [f.id for f in self.findings] + [r.id for r in self.risk_factors]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"finding ids listed twice: {dup}")
        return self

    @property
    def links(self) -> list[FindingLink]:
        return [*self.findings, *self.risk_factors]


class RedFlagRule(_Strict):
    """An emergency sign: fires when all of ``all`` and at least one of ``any`` (if given) are present."""

    id: str
    name: str
    all: list[str] = Field(default_factory=list)
    any: list[str] = Field(default_factory=list)
    age_min: float | None = None
    age_max: float | None = None
    level: EmergencyLevel
    message: str
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _nonempty(self) -> RedFlagRule:
        if not self.all and not self.any:
            raise ValueError("a red-flag rule needs at least one finding in 'all' or 'any'")
        return self


class TriageInfo(_Strict):
    id: TriageLevel
    label: str
    advice: str
    group: TriageGroup
