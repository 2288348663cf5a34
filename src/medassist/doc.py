"""The one document type: a note with character-offset annotations.

Plain dataclasses, independent of any wire format (``service`` has its own schemas).  Offsets are
always into ``note.text`` (the original text), end exclusive.  Variable names: ``note`` for a Note,
``ent`` for an Entity, ``kb`` for a KnowledgeBase, ``nlp`` for a Pipeline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any, Literal, get_args

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
# RedFlag, Candidate, Evidence and Question parts) and the drug-safety Alert of medassist.drugs.  The
# wire schemas of the service mirror these types; ``to_dict()`` is the one JSON shape for the CLI, the API,
# the web pages and the benchmarks. The drug-safety results (Alert, CheckResult, ...) follow below.

TRIAGE_LEVELS: tuple[str, ...] = ("emergency_ambulance", "emergency", "consultation_24h", "consultation", "self_care")
"""The one definition of the triage levels, most urgent first (the knowledge base, the engine, the service,
the CLI and the web page all read it from here)."""
EMERGENCY_LEVELS: frozenset[str] = frozenset({"emergency_ambulance", "emergency"})


def _plain(obj: Any) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------------------------- drug safety
# What medassist.drugs returns: the CheckResult of a medication list (its Alerts, the Resolution of every
# entry and the entries it did not recognise) and the drug-drug Relations read from text.  ``to_dict()`` is
# the JSON of `medassist meds check --json`, of the service's medication check and of `medassist meds extract`.

AlertSeverity = Literal["contraindicated", "major", "moderate", "minor"]
ALERT_SEVERITIES: tuple[str, ...] = get_args(AlertSeverity)
"""The one definition of the drug-safety severities, most severe first (the drug tables, the checker and the
CLI read them from here)."""
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(ALERT_SEVERITIES)}
AlertKind = Literal["interaction", "contraindication", "allergy", "duplicate_therapy"]
EntryKind = Literal["drug", "condition", "allergy"]
"""What a user's entry was given as."""
ResolutionTarget = Literal["drug", "condition", "allergy_group", "class"]
"""What an entry was matched to (an allergy may name a drug, an allergy group or a drug class)."""

DRUG_CHECK_DISCLAIMER = (
    "This check supports, and does not replace, a pharmacist's or prescriber's review. It covers only the "
    "interactions, contraindications and allergy cross-reactions in MedAssist's curated tables."
)
DRUG_CHECK_NOTHING_FOUND = (
    "No interactions found in MedAssist's table; this does not prove the combination is safe."
)
RESOLUTION_METHODS: dict[str, str] = {
    "generic_name": "generic name",
    "other_name": "other generic name",
    "brand": "brand name",
    "misspelling": "known misspelling",
    "synonym": "synonym",
    "name": "name",
    "class_name": "drug class name",
    "fuzzy": "fuzzy match",
}
"""How an entry can be matched, as shown to users ("partial" matching is ``within``, not a method)."""


def _json_of(obj: Any, names: tuple[str, ...], **values: Any) -> dict[str, Any]:
    """The JSON object of a result: these fields and properties in this order (``values`` given instead of
    an attribute where the JSON differs from it), nested results as their own JSON."""
    return {n: _json_value(values[n] if n in values else getattr(obj, n)) for n in names}


def _json_value(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


@dataclass(frozen=True)
class Resolution:
    """How one user entry was matched to one id."""

    input: str
    kind: EntryKind
    id: str
    name: str
    method: str
    matched: str
    score: float = 100.0
    target: ResolutionTarget = "drug"
    within: bool = False
    """True when the name was found inside a longer entry (dose, route or other words around it)."""

    @property
    def how(self) -> str:
        """A short phrase such as "brand name 'advil'" or "fuzzy match 'ibuprofn' (score 94)"."""
        text = RESOLUTION_METHODS.get(self.method, self.method)
        if self.method == "fuzzy":
            return f"{text} to {self.matched!r} (score {self.score:.0f})"
        if self.within:
            return f"{text} {self.matched!r} found in the entry"
        return f"{text} {self.matched!r}"

    def to_dict(self) -> dict[str, Any]:
        keys = ("input", "kind", "target", "id", "name", "method", "matched", "score", "within", "how")
        return _json_of(self, keys, score=round(self.score, 1))


@dataclass(frozen=True)
class Involved:
    """One drug taking part in an alert, and how it matched the rule."""

    input: str
    drug: str
    name: str
    agent: str
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AlertCondition:
    """The patient's condition a contraindication alert is about (``input``: the entry it was read from)."""

    id: str
    name: str
    icd10: str
    input: str


@dataclass(frozen=True)
class AlertAllergy:
    """The recorded allergy an allergy alert is about, and what the entry was matched to."""

    input: str
    matched: str
    target: ResolutionTarget
    id: str


@dataclass
class Alert:
    """One drug-safety alert: an interaction, a contraindication, an allergy or a duplicate therapy."""

    kind: AlertKind
    severity: AlertSeverity
    title: str
    involved: list[Involved]
    effect: str
    management: str
    mechanism: str | None = None
    topic: str | None = None
    condition: AlertCondition | None = None
    allergy: AlertAllergy | None = None
    rule: str | None = None
    sources: list[dict[str, str]] = field(default_factory=list)

    @property
    def drugs(self) -> list[str]:
        return [i.drug for i in self.involved]

    @property
    def why(self) -> str:
        """How the drugs matched the rule, e.g. "ibuprofen is an NSAID; warfarin"."""
        return "; ".join(dict.fromkeys(i.explanation for i in self.involved))

    def sort_key(self) -> tuple[int, str, str]:
        return (SEVERITY_RANK[self.severity], self.title.lower(), self.kind)

    def to_dict(self) -> dict[str, Any]:
        return _json_of(self, ("kind", "severity", "title", "topic", "drugs", "involved", "why", "mechanism",
                               "effect", "management", "condition", "allergy", "rule", "sources"))


@dataclass(frozen=True)
class Unknown:
    """An entry that matched nothing: never dropped, reported with close names to choose from."""

    input: str
    kind: EntryKind
    suggestions: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckResult:
    """The drug-safety check of a medication list, most severe alert first."""

    alerts: list[Alert]
    resolved: list[Resolution]
    unknown: list[Unknown]
    disclaimer: str = DRUG_CHECK_DISCLAIMER

    @property
    def note(self) -> str:
        if self.alerts:
            n = len(self.alerts)
            return f"{n} alert{'s' if n != 1 else ''} found; review each with the patient's full history."
        return DRUG_CHECK_NOTHING_FOUND

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ALERT_SEVERITIES}
        for a in self.alerts:
            out[a.severity] += 1
        return out

    def by_kind(self, kind: str) -> list[Alert]:
        return [a for a in self.alerts if a.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return _json_of(self, ("alerts", "counts", "resolved", "unknown", "note", "disclaimer"),
                        counts=self.counts())


@dataclass(frozen=True)
class DrugMention:
    """A drug or drug class named in a text (offsets into that text, end exclusive)."""

    text: str
    kind: Literal["drug", "class"]
    id: str
    start: int
    end: int


@dataclass
class Relation:
    """An interaction statement read from a sentence: two mentions (offsets into the document) and the type
    the relation model gave it (mechanism, effect, advise or int) with its probability."""

    doc: str
    sentence: str
    sentence_start: int
    drug1: DrugMention
    drug2: DrugMention
    type: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
