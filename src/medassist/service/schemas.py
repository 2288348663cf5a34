"""Wire schemas of the HTTP API (kept apart from the storage tables and from ``medassist.doc``).

The results (a consultation's assessment, a note's analysis) are described by schemas that mirror the typed
results of ``medassist.doc`` field for field (``tests/service/test_schemas.py`` keeps them in step); their
JSON is written by the types' own ``to_dict()`` and by ``medassist.nlp.output``, the same functions the CLI
uses, never here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from medassist.diagnosis.engine import DiagnosisConfig
from medassist.doc import TRIAGE_LEVELS
from medassist.knowledge.schema import TriageGroup
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
TriageLevel = Literal[TRIAGE_LEVELS]  # type: ignore[valid-type]  # medassist.doc: the one definition
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
    id: int = Field(description="the review's id")
    consultation_id: str = Field(description="the consultation reviewed")
    decision: Literal["approve", "amend"] = Field(description="approve: the result stands; amend: corrected")
    condition: str | None = Field(description="the condition's knowledge-base id: the corrected one for an "
                                  "amendment, the result's most probable one for an approval")
    condition_name: str | None = Field(description="the condition's name")
    comment: str | None = Field(description="the clinician's comment")
    clinician_id: int = Field(description="the reviewing clinician's account id")
    created_at: dt.datetime = Field(description="when the review was made")
    supersedes: int | None = Field(None, description="the id of the review this one replaces")


class ConsultationSummary(BaseModel):
    id: str = Field(description="the consultation's id")
    created_at: dt.datetime = Field(description="when it was started")
    updated_at: dt.datetime = Field(description="when it last changed")
    status: Literal["interview", "complete"] = Field(description="interview: questions may follow; complete: "
                                                     "finished and in the review queue")
    triage_level: TriageLevel | None = Field(description="the latest result's triage level (result.triage.level), "
                                             "most urgent first: " + ", ".join(TRIAGE_LEVELS))
    triage_label: str | None = Field(description="what the level means, in words for the patient (the knowledge "
                                     "base's triage.yaml)")
    triage_group: TriageGroup | None = Field(description="the level's group: emergency, non_emergency or self_care")
    red_flag: bool = Field(description="a red-flag rule fired: get help now")
    top_condition: str | None = Field(description="the most probable condition's id (result.differential[0].condition)")
    top_condition_name: str | None = Field(description="its name")
    top_probability: float | None = Field(description="its probability (0-1)")
    questions_answered: int = Field(description="how many questions the patient has answered")
    review_status: ReviewStatus = Field(description="none (not finished), pending, approved or amended")


class QueueItem(ConsultationSummary):
    age: float | None = Field(None, description="the patient's age in years")
    sex: str | None = Field(None, description="female or male")


# ---------------------------------------------------------------------------------------------------- results
# medassist.doc's Assessment (with Finding, Triage, RedFlag, Candidate, Evidence, Question) as the JSON of
# Assessment.to_dict(): the differential is the list of candidates, its "not covered" probability beside it.


class FindingSpanOut(BaseModel):
    start: int = Field(description="offset of the first character in the patient's text")
    end: int = Field(description="offset just after the last character (end exclusive)")
    text: str = Field(description="the words as the patient wrote them")


class FindingOut(BaseModel):
    id: str = Field(description="the finding's knowledge-base id (as in Question.finding and AnswerIn.finding)")
    name: str = Field(description="the finding's name")
    present: bool = Field(description="true: the patient has it; false: the patient said they do not")
    source: str = Field(description="how it is known: text (read from the patient's words), embedding (read by "
                        "similarity of meaning), answer (an answer to a question) or implied (by a more specific "
                        "finding)")
    span: FindingSpanOut | None = Field(description="where in the patient's text it was read; null for answers and "
                                        "implied findings")
    score: float | None = Field(None, description="the similarity (0-1) of an embedding match; null otherwise")


class EvidenceOut(BaseModel):
    finding: str = Field(description="the finding's knowledge-base id")
    name: str = Field(description="the finding's name")
    present: bool | None = Field(description="true: present; false: absent; null: typical of the condition but not "
                                 "reported yet")
    likelihood_ratio: float | None = Field(description="how much the finding changes the odds of the condition "
                                           "(above 1 for, below 1 against); null when not reported")
    note: str | None = Field(None, description="why a finding that is not reported counts against (how typical it is)")


class SourceOut(BaseModel):
    title: str = Field(description="the guideline, textbook chapter or public health page the entry was written from")
    url: str | None = Field(None, description="where to read it")
    publisher: str | None = Field(None, description="who published it")


class CandidateOut(BaseModel):
    condition: str = Field(description="the condition's knowledge-base id (as in ReviewIn.condition)")
    name: str = Field(description="the condition's name")
    icd10: str = Field(description="its ICD-10-CM code")
    probability: float = Field(description="the probability of this condition given what is known (0-1); not a "
                               "diagnosis")
    evidence_for: list[EvidenceOut] = Field(description="findings that make it more likely, strongest first")
    evidence_against: list[EvidenceOut] = Field(description="findings that make it less likely, and typical "
                                                "findings not reported")
    triage: TriageLevel = Field(description="the level of care the condition usually needs")
    specialty: str = Field(description="the clinical specialty that treats it")
    next_steps: list[str] = Field(description="what a clinician would usually do next")
    sources: list[SourceOut] = Field(description="the public sources the knowledge-base entry was written from")


class RedFlagOut(BaseModel):
    id: str = Field(description="the red-flag rule's knowledge-base id")
    name: str = Field(description="the warning sign, in words")
    level: TriageLevel = Field(description="the emergency level it calls for")
    message: str = Field(description="what to do now")
    findings: list[str] = Field(description="the ids of the present findings that made the rule fire")


class TriageOut(BaseModel):
    level: TriageLevel | None = Field(description="how urgently to seek care, most urgent first: "
                                      + ", ".join(TRIAGE_LEVELS) + "; null when nothing was understood")
    label: str = Field(description="the level in words (the knowledge base's triage.yaml)")
    advice: str = Field(description="what to do; a red flag's message comes first")
    group: TriageGroup | None = Field(description="the level's group: emergency, non_emergency or self_care")
    reasons: list[str] = Field(description="why this level (red flags first)")


class QuestionOut(BaseModel):
    finding: str = Field(description="the id of the finding asked about: send it back in AnswerIn.finding")
    question: str = Field(description="the question to show the patient")
    name: str = Field(description="the finding's name")
    expected_information_gain: float = Field(description="how much the answer is expected to narrow the "
                                             "differential (bits)")
    reason: str = Field(description="why this question is asked")


class AnswerOut(BaseModel):
    finding: str = Field(description="the id of the finding asked about")
    answer: Answer = Field(description="the patient's answer")


class IgnoredOut(BaseModel):
    finding: str = Field(description="the id of the finding mentioned")
    text: str = Field(description="the words as the patient wrote them")
    start: int = Field(description="offset of the first character in the patient's text")
    end: int = Field(description="offset just after the last character")
    reason: str = Field(description="why it does not count: hypothetical, about someone else or in the past")


class AssessmentOut(BaseModel):
    """A consultation's result (medassist.doc.Assessment): triage first, the evidence for every possibility, the
    uncertainty, and the advice to see a clinician. It is not a diagnosis."""

    triage: TriageOut | None = Field(description="how urgently to seek care")
    red_flags: list[RedFlagOut] = Field(description="emergency rules that fired; any red flag overrides the rest")
    findings: list[FindingOut] = Field(description="what is known about the patient, present or absent")
    differential: list[CandidateOut] = Field(description="possible conditions, most probable first")
    not_covered_probability: float | None = Field(description="the probability (0-1) that what the patient has is "
                                                  "outside the knowledge base; null when nothing was understood")
    next_question: QuestionOut | None = Field(description="the next question of the interview; null when it is over")
    interview_done: bool = Field(description="no more questions: always true on an emergency")
    stop_reason: str | None = Field(description="why the interview is over")
    emergency: bool = Field(description="the triage level is an emergency one: get help now")
    message: str = Field(description="what to tell the patient first")
    disclaimer: str = Field(description="MedAssist does not diagnose")
    see_clinician: str = Field(description="the advice to discuss the result with a clinician (the service's own)")
    age: float | None = Field(description="age in years, as given or read from the text")
    sex: str | None = Field(description="female or male, as given or read from the text")
    duration: str | None = Field(description="how long the symptoms have lasted, read from the text: hours, days, "
                                 "weeks or months")
    onset: str | None = Field(description="how the symptoms began, read from the text: sudden or gradual")
    answers: list[AnswerOut] = Field(description="the questions answered so far, in order")
    ignored: list[IgnoredOut] = Field(description="findings mentioned that do not count for the patient")
    warnings: list[str] = Field(description="what the intake could not read (e.g. an unknown word)")
    knowledge_base_version: str = Field(description="the version (digest) of the knowledge base that gave the result")


class ExplanationCheckOut(BaseModel):
    text: str = Field(description="a sentence the model wrote")
    status: Literal["kept", "rejected"] = Field(description="kept, or rejected by the grounding check")
    reasons: list[str] = Field(description="why it was rejected: a condition, finding, medicine or number not in the "
                                           "result, a finding stated with the other polarity, words about urgency, "
                                           "diagnosis or treatment, a repeated or cut-off sentence")
    terms: list[str] = Field(description="the clinical terms the sentence names")
    replaced_by: list[str] = Field(description="always empty here: a rejected sentence is dropped, and when none is "
                                               "kept the extractive body is shown")


class ExplanationOut(BaseModel):
    """The result explained to the patient in plain words (medassist.generate.explain): the safety text first and
    exactly as the result writes it; in an emergency no model is asked."""

    emergency: bool = Field(description="the result is an emergency: only the verbatim safety text and the facts")
    safety: list[str] = Field(description="the result's own safety text, verbatim, most urgent first: the red-flag "
                                          "messages, the triage label and advice, the emergency message")
    body: list[str] = Field(description="what the patient told us, the possibilities to discuss with a clinician and "
                                        "why, the next question: extractive sentences, or a model's sentences that "
                                        "passed the grounding check")
    advice: list[str] = Field(description="the top condition's next steps, verbatim from the knowledge base; empty in "
                                          "an emergency")
    disclaimer: str = Field(description="the result's disclaimer, verbatim")
    text: str = Field(description="the whole explanation, one part a line, in this order: safety, body, advice, "
                                  "disclaimer")
    backend: Literal["extractive", "llama_cpp", "openai"] = Field(description="what wrote the body")
    model: str | None = Field(description="the model, when a model wrote the body")
    fallback: str | None = Field(description="why the extractive body is shown although a model is configured")
    grounding: list[ExplanationCheckOut] = Field(description="every sentence the model wrote and the check's verdict")
    rejected: int = Field(description="sentences the grounding check rejected")
    seconds: float = Field(description="time to write the explanation")


class ConsultationOut(ConsultationSummary):
    text: str = Field(description="the patient's own description")
    finished: bool = Field(description="the interview is over; the consultation is in the review queue")
    result: AssessmentOut = Field(description="triage, red flags, findings, differential with evidence, next question")
    reviews: list[ReviewOut] = Field(default_factory=list, description="clinician reviews, oldest first")
    explanation: ExplanationOut | None = Field(None, description="the result in plain words for the patient (safety "
                                               "text first and verbatim); extractive unless the server's "
                                               "MEDASSIST_LLM_BACKEND names a generation backend")


class NoteIn(_In):
    text: str = Field(min_length=1, max_length=100_000)
    store: bool = Field(True, description="keep the note (encrypted) so it can be read again by id")


class DeidIn(_In):
    text: str = Field(min_length=1, max_length=100_000)
    replace: Literal["tag", "mask"] = Field("tag", description="what replaces each identifier: tag ([NAME]) or mask "
                                            "(one * per character, white space kept), as `medassist deid --replace`")

    @model_validator(mode="before")
    @classmethod
    def _former_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and "mode" in data:
            raise ValueError("'mode' is now called 'replace' (tag or mask), as in `medassist deid --replace`")
        return data


# ------------------------------------------------------------------------------------------------ note output
# medassist.doc's Note, Span, Entity, Concept and Section as medassist.nlp.output writes them (the JSON of
# `medassist analyze --format json` and `medassist deid --format json`). Fields marked "absent in notes
# stored before ..." are left out of older stored analyses rather than invented.
_OLD = " (absent in notes stored before the analysis carried it)"


class PhiSpanOut(BaseModel):
    start: int = Field(description="offset of the first character of the identifier in the input")
    end: int = Field(description="offset just after its last character (end exclusive)")
    type: str = Field(description="the kind of identifier (HIPAA Safe Harbor): NAME, DATE, PHONE, MRN, ...")
    text: str = Field(description="the identifier as written in the input")
    confidence: float | None = Field(None, description="how sure the detector is (0-1)" + _OLD)
    found_by: str | None = Field(None, description="which detector found it: rules, model or model+rules" + _OLD)


class ConceptOut(BaseModel):
    system: str = Field(description="the code system: medassist-kb (a knowledge-base id), icd10cm, medassist-drug "
                        "or rxnorm")
    code: str = Field(description="the code in that system")
    display: str = Field(description="the code's name")
    score: float = Field(description="how sure the normalisation is (0-1)")


class EntityAttributesOut(BaseModel):
    """What the components add to an entity; each is present only when it applies."""

    canonical: str | None = Field(None, description="the lexicon's preferred name for the text matched")
    drug: str | None = Field(None, description="drugs: the drug's name")
    dose: str | None = Field(None, description="drugs: the dose, e.g. 25 or 1-2")
    unit: str | None = Field(None, description="drugs: the dose unit, e.g. mg, mL, puff, tablet")
    route: str | None = Field(None, description="drugs: the route, e.g. oral, intravenous, inhalation")
    route_text: str | None = Field(None, description="drugs: the route as written, e.g. po")
    frequency: str | None = Field(None, description="drugs: how often, e.g. twice a day, every 4 hours")
    frequency_text: str | None = Field(None, description="drugs: the frequency as written, e.g. bid")
    duration: str | None = Field(None, description="drugs: for how long, e.g. 7 days")
    as_needed: bool | None = Field(None, description="drugs: taken as needed (prn)")
    as_needed_for: str | None = Field(None, description="drugs: what it is taken as needed for")
    form: str | None = Field(None, description="drugs: the form, e.g. tablet, capsule, inhaler")
    dosage_text: str | None = Field(None, description="drugs: the whole dosage text after the drug name")
    allergy: bool | None = Field(None, description="drugs: mentioned as an allergy (in the Allergies section)")
    relative: str | None = Field(None, description="family: the relative the entity is about, e.g. mother")
    normalized_by: str | None = Field(None, description="how the codes were found when not by name: embedding")
    ner_label: str | None = Field(None, description="transformer NER: the model's own label")
    ner_model: str | None = Field(None, description="transformer NER: the model that found it")


class EntityOut(BaseModel):
    start: int = Field(description="offset of the first character in the note's text")
    end: int = Field(description="offset just after the last character (end exclusive)")
    label: str = Field(description="problem, finding, drug, test, procedure, anatomy or allergy")
    text: str = Field(description="the words as written in the note")
    score: float | None = Field(None, description="how sure the recogniser is (0-1)" + _OLD)
    source: str | None = Field(None, description="which component found it: lexicon or ner" + _OLD)
    assertion: str = Field(description="one word for the flags below: the first that is set of negated, possible, "
                           "historical, hypothetical, family; else present")
    negated: bool = Field(description="the note says it is absent")
    possible: bool = Field(description="the note says it is uncertain or suspected")
    historical: bool = Field(description="it is in the patient's past")
    hypothetical: bool = Field(description="it is conditional or in the future (if, should, return if ...)")
    family: bool = Field(description="it is about someone other than the patient (a relative)")
    section: str | None = Field(description="the canonical name of the section it is in, e.g. allergies")
    concepts: list[ConceptOut] = Field(description="its codes, best first")
    attributes: EntityAttributesOut = Field(description="what the components add: medication details, the relative")
    assertion_cues: list[str] | None = Field(None, description="the cue words that set the flags" + _OLD)


class SectionOut(BaseModel):
    name: str = Field(description="the canonical section name, e.g. history_of_present_illness")
    start: int = Field(description="offset where the section starts (its heading, if any)")
    end: int = Field(description="offset just after its last character")
    heading: str | None = Field(None, description="the heading as written" + _OLD)
    body_start: int | None = Field(None, description="offset of the first character after the heading" + _OLD)


class NoteAnalysisOut(BaseModel):
    """The note as `medassist analyze --format json` writes it, without the text (offsets are into it)."""

    entities: list[EntityOut] = Field(description="problems, findings, drugs, tests, procedures, with assertion and codes")
    sections: list[SectionOut] = Field(description="the note's sections, in order")
    phi: list[PhiSpanOut] = Field(description="the identifiers found, in order")
    deid_text: str | None = Field(description="the note with every identifier replaced by its type, e.g. [NAME]")


class DeidOut(BaseModel):
    text: str = Field(description="the input with every identifier replaced (tag or mask)")
    phi: list[PhiSpanOut] = Field(description="the identifiers found (offsets into the input), in order")


class NoteOut(BaseModel):
    id: str | None = Field(description="the stored note's id; null when it was not stored")
    created_at: dt.datetime | None = Field(description="when it was stored; null when it was not")
    analysis: NoteAnalysisOut = Field(description="entities with assertion and codes, sections, identifiers found")
    fhir: dict[str, Any] | None = Field(None, description="FHIR R4 Bundle")


class SummaryIn(_In):
    text: str = Field(min_length=1, max_length=100_000)


class SummaryCheckOut(BaseModel):
    text: str = Field(description="a sentence the model wrote")
    status: Literal["kept", "rejected"] = Field(description="kept, or rejected by the grounding check")
    reasons: list[str] = Field(description="why it was rejected: a drug, problem, dose, frequency, number or date not "
                                           "in the note, a finding whose negation or experiencer was changed, an "
                                           "allergy stated as a medication, a repeated or cut-off sentence")
    terms: list[str] = Field(description="the clinical terms the sentence names")
    replaced_by: list[str] = Field(description="the extractive sentences shown in place of a rejected sentence")


class SummaryFactDetailsOut(BaseModel):
    canonical: str | None = Field(None, description="problem: the canonical name of the term")
    codes: list[str] | None = Field(None, description="problem: its codes, as system:code")
    relative: str | None = Field(None, description="problem of a relative: who (mother, brother, ...)")
    doses: list[str] | None = Field(None, description="medication: each dose and frequency the note gives, in order")
    change_dose: str | None = Field(None, description="medication: the dose written with the change, if any")
    reactions: list[str] | None = Field(None, description="allergy: the reactions written with it")
    names: list[str] | None = Field(None, description="negative: each finding the note says is absent")


class SummaryFactOut(BaseModel):
    kind: Literal["problem", "negative", "medication", "allergy", "result", "plan"] = Field(
        description="problem (with status), negative (findings the note says are absent), medication, allergy, "
                    "result, plan")
    name: str = Field(description="the note's own words for it")
    sentence: str = Field(description="the extractive sentence that states it")
    status: str | None = Field(description="problem: present, possible, historical, hypothetical, family; negative: "
                                           "negated; medication: started, stopped, increased, decreased, changed, "
                                           "continued or null; allergy: allergy or none")
    details: SummaryFactDetailsOut = Field(description="codes, doses, reactions, relative (what applies to the kind)")
    spans: list[list[int]] = Field(description="[start, end) offsets into the note text")


class SummarySectionsOut(BaseModel):
    problem: list[str] = Field(default_factory=list, description="problems with their status")
    negative: list[str] = Field(default_factory=list, description="findings the note says are absent")
    medication: list[str] = Field(default_factory=list, description="medications with dose and change")
    allergy: list[str] = Field(default_factory=list, description="allergies with their reactions")
    result: list[str] = Field(default_factory=list, description="key results")
    plan: list[str] = Field(default_factory=list, description="the plan's sentences")


class SummaryGenerationOut(BaseModel):
    seconds: float = Field(description="time the model took")
    prompt_tokens: int | None = Field(description="tokens of the prompt (the facts), as the backend counts them")
    completion_tokens: int | None = Field(description="tokens the model wrote")
    tokens_per_s: float | None = Field(description="completion tokens per second")
    raw_text: str = Field(description="what the model wrote, before the grounding check")


class SummaryOut(BaseModel):
    id: str | None = Field(None, description="always null here: the summary is not stored")
    backend: Literal["extractive", "llama_cpp", "openai"] = Field(description="what wrote the summary")
    model: str | None = Field(description="the model, for a generated summary")
    fallback: str | None = Field(description="why the extractive summary is shown although a model was configured")
    summary: str = Field(description="the summary as one text")
    sentences: list[str] = Field(description="the summary's sentences: kept generated ones and extractive ones")
    grounding: list[SummaryCheckOut] = Field(description="every generated sentence and the grounding check's verdict")
    rejected: int = Field(description="generated sentences rejected by the grounding check")
    sections: SummarySectionsOut = Field(description="the extractive sentences by kind")
    facts: list[SummaryFactOut] = Field(description="what the summary is built from, read from the note")
    deidentified_prompt: bool | None = Field(description="remote backends: whether the prompt was de-identified")
    seconds: float = Field(description="time to analyse and summarise the note")
    generation: SummaryGenerationOut | None = Field(description="the model call; null for an extractive summary")
    disclaimer: str = Field(description="check the summary against the note")


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


class HealthPlanIn(_In):
    record: dict[str, Any]
    format: Literal["json", "fhir"] = "json"


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
