"""The one document type: a note with character-offset annotations.

Plain dataclasses, independent of any wire format (``service`` has its own schemas).  Offsets are
always into ``note.text`` (the original text), end exclusive.  Variable names: ``note`` for a Note,
``ent`` for an Entity, ``kb`` for a KnowledgeBase, ``nlp`` for a Pipeline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ASSERTION_FLAGS = ("negated", "possible", "historical", "hypothetical", "family")


@dataclass
class Span:
    """A labelled character range of ``note.text``."""

    start: int
    end: int
    label: str
    text: str = ""
    score: float = 1.0
    source: str = ""

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass
class Concept:
    """A normalised code for an entity: a knowledge-base id, an ICD-10-CM code, a drug id."""

    system: str  # "medassist-kb" | "icd10cm" | "medassist-drug" | "rxnorm"
    code: str
    display: str = ""
    score: float = 1.0


@dataclass
class Entity(Span):
    """A clinical entity with its assertion status, codes and attributes.

    ``label`` is one of: problem (disease/diagnosis), finding (symptom/sign), drug, test, procedure,
    anatomy, allergy.  Assertion flags follow ConText: negated, possible, historical, hypothetical,
    and family (the experiencer is someone other than the patient).
    """

    negated: bool = False
    possible: bool = False
    historical: bool = False
    hypothetical: bool = False
    family: bool = False
    section: str | None = None
    concepts: list[Concept] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    assertion_cues: list[str] = field(default_factory=list)

    @property
    def assertion(self) -> str:
        """One summary value: the first flag that is set, else ``present``."""
        for flag in ASSERTION_FLAGS:
            if getattr(self, flag):
                return flag
        return "present"


@dataclass
class Section:
    name: str  # canonical name, e.g. "history_of_present_illness"
    start: int  # start of the section (its heading, if any)
    end: int
    heading: str = ""  # the heading text as written
    body_start: int = 0  # first character after the heading


@dataclass
class Note:
    """A clinical text and everything the pipeline finds in it."""

    text: str
    id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    phi: list[Span] = field(default_factory=list)
    deid_text: str | None = None
    sections: list[Section] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def section_at(self, offset: int) -> Section | None:
        for sec in self.sections:
            if sec.start <= offset < sec.end:
                return sec
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------- typed results
# What the reasoning over a note returns: the assisted-diagnosis Assessment (with its Finding, Triage,
# RedFlag, Candidate, Evidence and Question parts) and, in medassist.drugs, the drug-safety Alert.  The
# wire schemas of the service are these types; ``to_dict()`` is the one JSON shape for the CLI, the API,
# the web pages and the benchmarks.

TRIAGE_LEVELS: tuple[str, ...] = ("emergency_ambulance", "emergency", "consultation_24h", "consultation", "self_care")
"""The one definition of the triage levels, most urgent first (the knowledge base, the engine, the service,
the CLI and the web page all read it from here)."""
EMERGENCY_LEVELS: frozenset[str] = frozenset({"emergency_ambulance", "emergency"})


def _plain(obj: Any) -> Any:
    """A dataclass tree as JSON-ready data, dropping no field (None stays None)."""
    return asdict(obj)


@dataclass
class FindingSpan:
    """Where in the patient's text a finding was read (offsets into the text they wrote)."""

    start: int
    end: int
    text: str


@dataclass
class Finding:
    """A finding about the patient: read from their words (``text``, ``embedding``), given as an answer
    (``answer``) or implied by a more specific one (``implied``); present or absent."""

    id: str
    name: str
    present: bool
    source: str
    span: FindingSpan | None = None
    score: float | None = None  # the similarity of an embedding match


@dataclass
class Evidence:
    """One piece of evidence for or against a condition, as a likelihood ratio against the base rate; a
    typical finding not yet known has ``present`` None and a note."""

    finding: str
    name: str
    present: bool | None
    likelihood_ratio: float | None
    note: str | None = None


@dataclass
class Candidate:
    """One condition of the differential, with its probability and the evidence for and against it."""

    condition: str
    name: str
    icd10: str
    probability: float
    evidence_for: list[Evidence]
    evidence_against: list[Evidence]
    triage: str
    specialty: str
    next_steps: list[str]
    sources: list[dict[str, str]]


@dataclass
class Differential:
    """The ranked conditions and the probability that what the patient has is outside the knowledge base."""

    candidates: list[Candidate] = field(default_factory=list)
    not_covered_probability: float | None = None


@dataclass
class RedFlag:
    """An emergency rule that fired on the patient's findings."""

    id: str
    name: str
    level: str
    message: str
    findings: list[str]


@dataclass
class Triage:
    """How urgently to seek care; ``reasons`` says why (red flags first)."""

    level: str | None
    label: str
    advice: str
    group: str | None
    reasons: list[str]

    @property
    def emergency(self) -> bool:
        return self.level in EMERGENCY_LEVELS


@dataclass
class Question:
    """The next question of the interview and why it is asked."""

    finding: str
    question: str
    name: str
    expected_information_gain: float
    reason: str


@dataclass
class Assessment:
    """The assisted-diagnosis result of one consultation.  An emergency comes first and ends the interview,
    for every caller: ``emergency`` is true, ``interview_done`` is true and ``next_question`` is None."""

    triage: Triage | None
    red_flags: list[RedFlag]
    findings: list[Finding]
    differential: Differential
    next_question: Question | None
    interview_done: bool
    stop_reason: str | None
    emergency: bool
    message: str
    disclaimer: str
    age: float | None = None
    sex: str | None = None
    duration: str | None = None
    onset: str | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    knowledge_base_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: the differential as a list, its "not covered" probability beside it."""
        data = _plain(self)
        diff = data.pop("differential")
        data["differential"] = diff["candidates"]
        data["not_covered_probability"] = diff["not_covered_probability"]
        return data
