"""Wire schemas of the HTTP API (kept apart from the storage tables and from ``medassist.doc``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Role = Literal["patient", "clinician", "admin"]
Answer = Literal["yes", "no", "dont_know"]
ReviewStatus = Literal["none", "pending", "approved", "amended"]
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,185}\.[A-Za-z0-9-]{2,63}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    detail: str
    code: str | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")
    role: Role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: Role
    active: bool
    created_at: dt.datetime


class UserCreate(_In):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    password: str = Field(min_length=10, max_length=256)
    role: Role = "patient"

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.strip().lower()


class UserUpdate(_In):
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=256)


class ConsultationCreate(_In):
    text: str = Field(max_length=20_000, description="the patient's own description of what is wrong")
    age: float | None = Field(None, description="age in years (0-120)")
    sex: str | None = Field(None, max_length=16, description="f or m")


class AnswerIn(_In):
    finding: str = Field(min_length=1, max_length=80, description="the finding id of the question answered")
    answer: Answer


class ReviewIn(_In):
    decision: Literal["approve", "amend"]
    condition: str | None = Field(None, max_length=80, description="the corrected diagnosis: a knowledge-base condition id")
    comment: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _amend_needs_condition(self) -> ReviewIn:
        if self.decision == "amend" and not self.condition:
            raise ValueError("an amendment needs the corrected condition (a knowledge-base condition id)")
        return self


class ReviewOut(BaseModel):
    id: int
    consultation_id: str
    decision: Literal["approve", "amend"]
    condition: str | None
    condition_name: str | None
    comment: str | None
    clinician_id: int
    created_at: dt.datetime


class ConsultationSummary(BaseModel):
    id: str
    created_at: dt.datetime
    updated_at: dt.datetime
    status: Literal["interview", "complete"]
    triage_level: str | None
    red_flag: bool
    top_condition: str | None
    top_condition_name: str | None
    top_probability: float | None
    questions_answered: int
    review_status: ReviewStatus


class QueueItem(ConsultationSummary):
    age: float | None = None
    sex: str | None = None


class ConsultationOut(ConsultationSummary):
    text: str
    finished: bool
    result: dict[str, Any] = Field(description="triage, red flags, findings, differential with evidence, next question")
    reviews: list[ReviewOut] = Field(default_factory=list)


class NoteIn(_In):
    text: str = Field(min_length=1, max_length=100_000)
    store: bool = Field(True, description="keep the note (encrypted) so it can be read again by id")


class DeidIn(_In):
    text: str = Field(min_length=1, max_length=100_000)
    mode: Literal["tag", "mask"] = "tag"


class Identifier(BaseModel):
    start: int
    end: int
    type: str


class DeidOut(BaseModel):
    text: str
    identifiers: list[Identifier]


class NoteOut(BaseModel):
    id: str | None
    created_at: dt.datetime | None
    analysis: dict[str, Any] = Field(description="entities with assertion and codes, sections, identifiers found")
    fhir: dict[str, Any] | None = Field(None, description="FHIR R4 Bundle")


class MedCheckIn(_In):
    drugs: list[str] = Field(min_length=1, max_length=50)
    conditions: list[str] = Field(default_factory=list, max_length=50)
    allergies: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("drugs", "conditions", "allergies")
    @classmethod
    def _short(cls, v: list[str]) -> list[str]:
        if any(len(item) > 200 for item in v):
            raise ValueError("each entry must be at most 200 characters")
        return v


class ConditionOut(BaseModel):
    id: str
    name: str
    icd10: str | None
    specialty: str | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    resource_type: str
    resource_id: str | None
    outcome: str
