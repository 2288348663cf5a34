"""The grounding check: is every sentence a model wrote supported by the note it summarises?

A generated sentence is read with the same note pipeline as the note itself (sentences, sections, entities,
assertion, normalisation, medication signatures; de-identification is skipped, the sentence is not a note)
and compared with the note's own analysis.  A sentence is **rejected** when it

- names a drug, problem, finding, test or procedure the note does not mention (matched on the words, the
  canonical name or a code, so "diabetes" matches "type 2 diabetes" when both normalise to the same code);
- states a finding with another polarity or experiencer than the note: negated in the note but said to be
  present (or the reverse), the family's but said to be the patient's (or the reverse), uncertain in the
  note but said as certain;
- gives a drug a dose the note does not give it, or a number or date that is nowhere in the note;
- names as a medication a drug that is in the note only as an allergy.

Each sentence gets a :class:`SentenceCheck`: kept or rejected, with every reason.  Reasons name the terms
involved (they come from generated text about the note; they are shown to the clinician who asked, and never
logged).  The check cannot see what its lexicons do not know: a drug name no vocabulary lists is not
recognised as a drug (``unknown words`` are reported, not rejected).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from medassist.doc import Entity, Note

CHECKED_LABELS = ("drug", "problem", "finding", "test", "procedure")
_CLINICAL = ("problem", "finding")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)(?![\d])")
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DATE = re.compile(rf"\b(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+(?:{_MONTHS})\.?"
                   rf"(?:\s+\d{{4}})?|\d{{1,4}}[/-]\d{{1,2}}[/-]\d{{1,4}})\b", re.I)
_ALLERGY_WORDS = re.compile(r"\ballerg|\bintoleran|\breaction", re.I)


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


def _number(text: str) -> str:
    value = text.replace(",", ".")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def entity_keys(ent: Entity) -> set[str]:
    """What an entity may be matched on: its words, its canonical name and its codes."""
    keys = {_norm(ent.text)}
    canonical = ent.attributes.get("canonical")
    if isinstance(canonical, str):
        keys.add(_norm(canonical))
    for concept in ent.concepts:
        keys.add(f"{concept.system}:{concept.code}")
    return keys


def _dose(ent: Entity) -> tuple[str, str] | None:
    dose, unit = ent.attributes.get("dose"), ent.attributes.get("unit")
    if dose is None:
        return None
    return _number(str(dose)), str(unit or "")


def _stance(ent: Entity) -> tuple[bool, bool, bool]:
    """(negated, someone else's, uncertain) of a mention."""
    return ent.negated, ent.family, ent.possible or ent.hypothetical


@dataclass
class SentenceCheck:
    """One generated sentence and what the check found."""

    text: str
    kept: bool
    reasons: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # the clinical terms the sentence names
    replaced_by: list[str] = field(default_factory=list)  # extractive sentences put in its place

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "status": "kept" if self.kept else "rejected", "reasons": self.reasons,
                "terms": self.terms, "replaced_by": self.replaced_by}


class NoteIndex:
    """What a note mentions, for quick look-ups: entity keys with their stances, drug doses, numbers, dates."""

    def __init__(self, note: Note) -> None:
        self.note = note
        self.text = _norm(note.text)
        self.by_key: dict[str, list[Entity]] = {}
        for ent in note.entities:
            if ent.label in CHECKED_LABELS:
                for key in entity_keys(ent):
                    self.by_key.setdefault(key, []).append(ent)
        # every digit run of the note, also inside shorthand ("q6h" has the 6 of "every 6 hours")
        self.numbers = {_number(n) for n in re.findall(r"\d+(?:[.,]\d+)?", note.text)}

    def mentions(self, ent: Entity) -> list[Entity]:
        seen: dict[int, Entity] = {}
        for key in entity_keys(ent):
            for other in self.by_key.get(key, ()):
                seen[id(other)] = other
        return list(seen.values())


class Grounder:
    """Checks generated sentences against a note's analysis, with the pipeline the note was analysed with."""

    def __init__(self, nlp: Any) -> None:
        self.components = [(name, comp) for name, comp in nlp.components if name != "deid"]

    def analyse(self, text: str) -> Note:
        """A generated text through the note pipeline, without de-identification."""
        note = Note(text=text)
        for _, comp in self.components:
            note = comp(note)
        return note

    def check(self, sentences: Iterable[str], note: Note | NoteIndex) -> list[SentenceCheck]:
        """Each sentence checked; a sentence that repeats an earlier one, or a last one cut off without its
        full stop (the model ran out of tokens), is rejected without reading it."""
        index = note if isinstance(note, NoteIndex) else NoteIndex(note)
        items = list(sentences)
        return [SentenceCheck(s, kept=False, reasons=[reason]) if (reason := _form(s, i, items)) else
                self.check_sentence(s, index) for i, s in enumerate(items)]

    def check_sentence(self, sentence: str, index: NoteIndex) -> SentenceCheck:
        analysed = self.analyse(sentence)
        reasons: list[str] = []
        terms: list[str] = []
        for ent in analysed.entities:
            if ent.label not in CHECKED_LABELS:
                continue
            terms.append(ent.text)
            found = index.mentions(ent)
            if ent.label in _CLINICAL:
                found = [o for o in found if o.label in _CLINICAL]
            elif ent.label == "drug":
                found = [o for o in found if o.label == "drug"]
            if not found:
                what = {"finding": "problem", "drug": "drug"}.get(ent.label, ent.label)
                reasons.append(f"{what} not in the note: {ent.text}")
                continue
            if ent.label in _CLINICAL:
                reasons.extend(_stance_reasons(ent, found))
            elif ent.label == "drug":
                reasons.extend(_drug_reasons(ent, found, sentence))
        reasons.extend(_dose_attribution(sentence, analysed, index))
        for m in _NUMBER.finditer(sentence):
            if _number(m.group(1)) not in index.numbers:
                reasons.append(f"number not in the note: {m.group(1)}")
        for m in _DATE.finditer(sentence):
            if _norm(m.group(0)) not in index.text:
                reasons.append(f"date not in the note: {m.group(0)}")
        return SentenceCheck(sentence, kept=not reasons, reasons=_unique(reasons), terms=terms)


def _form(sentence: str, i: int, items: list[str]) -> str | None:
    if _norm(sentence) in {_norm(x) for x in items[:i]}:
        return "repeats an earlier sentence"
    if i == len(items) - 1 and not sentence.rstrip().endswith((".", "!", "?", ")", '"')):
        return "incomplete sentence (cut off)"
    return None


def _stance_reasons(ent: Entity, found: list[Entity]) -> list[str]:
    negated, other, uncertain = _stance(ent)
    stances = {_stance(o) for o in found}
    # some mention in the note says the same; hedging what the note states is allowed, and certainty does not
    # matter for what is absent
    if any(s[0] == negated and s[1] == other and (negated or uncertain or not s[2]) for s in stances):
        return []
    if all(s[0] != negated for s in stances):
        return [f"negated in the note, stated as present: {ent.text}" if not negated
                else f"present in the note, stated as absent: {ent.text}"]
    if all(s[1] != other for s in stances):
        return [f"someone else's (family) in the note, stated as the patient's: {ent.text}" if not other
                else f"the patient's in the note, stated as someone else's: {ent.text}"]
    return [f"uncertain in the note, stated as certain: {ent.text}"]


def _drug_reasons(ent: Entity, found: list[Entity], sentence: str) -> list[str]:
    out = []
    if all(o.attributes.get("allergy") for o in found) and not _ALLERGY_WORDS.search(sentence):
        out.append(f"an allergy in the note, stated as a medication: {ent.text}")
    dose = _dose(ent)
    if dose is not None:
        doses = {d for d in (_dose(o) for o in found) if d is not None}
        if dose not in doses:
            given = ", ".join(sorted(f"{d} {u}".strip() for d, u in doses)) or "no dose"
            out.append(f"dose not in the note: {ent.text} {dose[0]} {dose[1]} (the note: {given})".replace("  ", " "))
    return out


def _dose_attribution(sentence: str, analysed: Note, index: NoteIndex) -> list[str]:
    """Every dose in the sentence belongs to the nearest drug before it, and the note gives that drug that dose
    ("lisinopril 10 mg, increased to 1000 mg" is wrong when the 1000 mg is metformin's)."""
    from medassist.nlp.medications import parse_signature

    drugs = sorted((e for e in analysed.entities if e.label == "drug"), key=lambda e: e.start)
    out = []
    for k, drug in enumerate(drugs):
        found = [o for o in index.mentions(drug) if o.label == "drug"]
        if not found:
            continue  # already reported as a drug not in the note
        doses = {d for d in (_dose(o) for o in found) if d is not None}
        frequencies = {str(o.attributes["frequency"]) for o in found if o.attributes.get("frequency")}
        end = drugs[k + 1].start if k + 1 < len(drugs) else len(sentence)
        tail = sentence[drug.end:end]
        first = _dose(drug)
        for piece in re.split(r"\b(?:and|then|to|from)\b|[,;]", tail):
            sig = parse_signature(piece)
            if sig.get("dose") is not None:
                dose = (_number(str(sig["dose"])), str(sig.get("unit") or ""))
                if dose not in doses and dose != first:  # the first dose is checked with the drug itself
                    given = ", ".join(sorted(f"{d} {u}".strip() for d, u in doses)) or "no dose"
                    out.append(f"dose not in the note: {drug.text} {dose[0]} {dose[1]} (the note: {given})")
            frequency = sig.get("frequency")
            if frequency and frequencies and frequency not in frequencies:
                out.append(f"frequency not in the note: {drug.text} {frequency} (the note: "
                           f"{', '.join(sorted(frequencies))})")
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def split_sentences(text: str) -> list[str]:
    """Generated prose as sentences: one per line or per full stop; list bullets and numbering removed."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s*", "", line).strip()
        if not line:
            continue
        for part in re.split(r"(?<=[.!?])\s+(?=[A-Z(\[])", line):
            part = part.strip()
            if len(part) > 1:
                out.append(part)
    return out
