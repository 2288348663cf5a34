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
