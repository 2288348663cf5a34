"""Wire schemas of the HTTP API (kept apart from the storage tables and from ``medassist.doc``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from medassist.diagnosis.engine import DiagnosisConfig
from medassist.service.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    email_problem,
    normalise_email,
    password_problem,
)

Role = Literal["patient", "clinician", "admin"]
Answer = Literal["yes", "no", "dont_know"]
ReviewStatus = Literal["none", "pending", "approved", "amended"]
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]{1,64}@([A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{2,63}$"
MAX_INT = 2**31 - 1
# the diagnosis engine's own limit: the schema says what the engine accepts
CONSULTATION_MAX_CHARS: int = DiagnosisConfig.model_fields["max_chars"].default


def _control(value: str) -> bool:
    return any((ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127 for c in value)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, v: Any, info: ValidationInfo) -> Any:
        # a NUL byte reaches PostgreSQL as an error (500) and no text here needs control characters
        values = v if isinstance(v, list) else [v]
        if any(isinstance(x, str) and _control(x) for x in values):
            raise ValueError(f"{info.field_name} contains control characters (such as a NUL byte); send plain text")
        return v


class ValidationItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    detail: str | list[ValidationItem]
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


def _email(v: str) -> str:
    problem = email_problem(v.strip())
    if problem:
        raise ValueError(f"the email address is not valid: {problem}")
    return normalise_email(v)


def _password(v: str | None, email: str | None = None) -> str | None:
    if v is None:
        return v
    problem = password_problem(v, email)
    if problem:
        raise ValueError(f"the password is not accepted: {problem}. Use at least {MIN_LENGTH} characters that "
                         "are not a common or breached password, e.g. a few unrelated words")
    return v


class UserCreate(_In):
    email: str = Field(max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN})
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)
    role: Role = "patient"

    @field_validator("email")
    @classmethod
    def _valid_email(cls, v: str) -> str:
        return _email(v)

    @model_validator(mode="after")
    def _policy(self) -> UserCreate:
        _password(self.password, self.email)
        return self


class UserUpdate(_In):
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(None, min_length=MIN_LENGTH, max_length=MAX_LENGTH)

    @field_validator("password")
    @classmethod
    def _policy(cls, v: str | None) -> str | None:
        return _password(v)


class PasswordChange(_In):
    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)

    @field_validator("new_password")
    @classmethod
    def _policy(cls, v: str) -> str:
        return _password(v)  # type: ignore[return-value]


class ConsultationCreate(_In):
    text: str = Field(max_length=CONSULTATION_MAX_CHARS, description="the patient's own description of what is wrong")
    age: float | None = Field(None, description="age in years (0-120)", allow_inf_nan=False)
    sex: str | None = Field(None, max_length=16, description="f or m")


class AnswerIn(_In):
    finding: str = Field(min_length=1, max_length=80, description="the finding id of the question answered")
    answer: Answer


class ReviewIn(_In):
    decision: Literal["approve", "amend"]
    condition: str | None = Field(None, max_length=80, description="the corrected diagnosis: a knowledge-base condition id")
    comment: str | None = Field(None, max_length=2000)
    supersedes: int | None = Field(None, ge=1, le=MAX_INT, description="the id of the latest review of this "
                                   "consultation, which this one replaces (required once it has a review)")

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
    supersedes: int | None = None


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
