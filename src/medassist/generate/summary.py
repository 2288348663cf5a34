"""Problem-oriented summaries of a clinical note, from the note pipeline's analysis.

:func:`note_facts` turns an analysed :class:`~medassist.doc.Note` into facts: problems with their status
(present, negated, possible, historical, family...), medications with what the note says happens to them
(started, stopped, increased, decreased, continued) and their dose, allergies with the reaction, key results
and the plan.  :func:`summarize` writes them as the **extractive** summary (the default: nothing but the
note's own words and the pipeline's labels), or, with a generation backend, asks the model for short prose
**from those facts only** (the prompt is the facts, never the raw note), checks every sentence it writes
against the note (:mod:`medassist.generate.grounding`) and puts the extractive sentences of the facts in the
place of each rejected one.  When the backend is missing or fails, the extractive summary is returned and
``fallback`` says why.

A remote backend (``openai``) receives de-identified facts: the identifiers the pipeline found in the note
are replaced in the prompt, and the prompt itself goes through the de-identifier (hybrid: rules and the
shipped PHI tagger) before it leaves, unless the config sets ``allow_raw_text``.
"""

from __future__ import annotations

import bisect
import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from medassist.doc import Entity, Note
from medassist.errors import MedAssistError
from medassist.generate.backends import Backend, Generation, GenerationConfig, Message, fallback_reason
from medassist.generate.grounding import Grounder, NoteIndex, SentenceCheck, split_sentences

PLAN_SECTIONS = ("plan", "assessment_and_plan")
RESULT_SECTIONS = ("results",)
_RESULT_WORDS = re.compile(r"\b(?:negative|positive|normal|abnormal|elevated|raised|high|low|unremarkable|"
                           r"within normal limits|wnl|showed|shows|revealed|reveals|\d)", re.I)
_NO_ALLERGIES = re.compile(r"\b(?:nkda|nka|no\s+known\s+(?:drug\s+)?allerg\w*|no\s+(?:drug\s+)?allergies)\b", re.I)
_STATUS_WORDS = {
    "present": "", "negated": "not present", "possible": "possible", "historical": "history of",
    "hypothetical": "if it occurs", "family": "family history",
}
SYSTEM_PROMPT = (
    "You summarise clinical notes for clinicians. Write 3 to 6 short sentences in plain prose. "
    "Use only the facts given: do not add any drug, problem, dose, date or number that is not in them. "
    "A finding marked 'not present' must stay not present. Do not give advice."
)


@dataclass
class Fact:
    """One thing the note says, with the extractive sentence that states it and where it was read."""

    kind: str  # problem | negative | medication | allergy | result | plan
    name: str  # the note's own words for it
    sentence: str  # the extractive sentence
    status: str | None = None  # problem: present, negated, ...; medication: started, stopped, ...
    details: dict[str, Any] = field(default_factory=dict)
    spans: list[tuple[int, int]] = field(default_factory=list)  # offsets into note.text

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "sentence": self.sentence, "status": self.status,
                "details": self.details, "spans": [list(s) for s in self.spans]}


@dataclass
class Summary:
    """A summary: its sentences, the facts behind them, and how each generated sentence fared."""

    id: str | None
    backend: str  # what wrote the text: extractive | llama_cpp | openai
    model: str | None
    facts: list[Fact]
    sentences: list[str]
    checks: list[SentenceCheck] = field(default_factory=list)
    fallback: str | None = None  # why the extractive summary was used although a backend was asked for
    deidentified_prompt: bool | None = None  # remote backends: was the prompt de-identified before it left
    seconds: float = 0.0
    generation: dict[str, Any] | None = None  # token counts and speed of the model call

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    def to_dict(self) -> dict[str, Any]:
        sections: dict[str, list[str]] = {}
        for fact in self.facts:
            sections.setdefault(fact.kind, []).append(fact.sentence)
        return {
            "id": self.id, "backend": self.backend, "model": self.model, "fallback": self.fallback,
            "summary": self.text, "sentences": self.sentences,
            "grounding": [c.to_dict() for c in self.checks],
            "rejected": sum(not c.kept for c in self.checks),
            "sections": sections, "facts": [f.to_dict() for f in self.facts],
            "deidentified_prompt": self.deidentified_prompt, "seconds": round(self.seconds, 3),
            "generation": self.generation,
            "disclaimer": "Written from the note by MedAssist for a clinician; check it against the note.",
        }

    def render_text(self) -> str:
        """The summary for a terminal: headed lists (extractive) or the prose with its checks."""
        lines = [f"Summary of {self.id or 'the note'} ({self.backend}{': ' + self.model if self.model else ''})"]
        if self.fallback:
            lines.append(f"Note: {self.fallback}")
        if self.backend == "extractive":
            titles = {"problem": "Problems", "negative": "Not present", "medication": "Medications",
                      "allergy": "Allergies", "result": "Key results", "plan": "Plan"}
            for kind, title in titles.items():
                items = [f.sentence for f in self.facts if f.kind == kind]
                if items:
                    lines.append(f"{title}:")
                    lines.extend(f"  - {s}" for s in items)
            if not self.facts:
                lines.append("Nothing to summarise: no problems, medications, allergies, results or plan found.")
        else:
            lines.append(self.text)
            rejected = [c for c in self.checks if not c.kept]
            lines.append(f"Grounding: {len(self.checks) - len(rejected)} sentence(s) kept, {len(rejected)} rejected")
            for c in rejected:
                lines.append(f"  rejected: {c.text!r}: {'; '.join(c.reasons)}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ facts
@functools.lru_cache(maxsize=1)
def _changes() -> tuple[dict[str, str], re.Pattern[str], re.Pattern[str]]:
    from medassist.knowledge.terms import terms

    mapping = {" ".join(k.lower().split()): v for k, v in terms("medication_changes").mapping().items()}
    alt = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(mapping, key=len, reverse=True))
    before = re.compile(rf"(?<![\w/'])({alt})(?![\w/'])", re.I)
    # right after the drug, no comma between: in "stop lisinopril, start amlodipine" the "start" is amlodipine's
    after = re.compile(rf"^\s*(?:(?:was|is|has been|been|to be|will be)\s+)?({alt})(?![\w/'])", re.I)
    return mapping, before, after


def _name(ent: Entity) -> str:
    text = " ".join(ent.text.split())
    return text if text.isupper() and len(text) <= 6 else text.lower()


def _sentence_of(note: Note, offset: int) -> tuple[int, int]:
    if note.sentences:
        starts = [s for s, _ in note.sentences]
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and offset < note.sentences[i][1]:
            return note.sentences[i]
    line_start = note.text.rfind("\n", 0, offset) + 1
    line_end = note.text.find("\n", offset)
    return line_start, len(note.text) if line_end < 0 else line_end


def _change(note: Note, ent: Entity) -> str | None:
    mapping, before, after = _changes()
    start, end = _sentence_of(note, ent.start)
    left = note.text[max(start, ent.start - 40): ent.start]
    right = note.text[ent.end: min(end, ent.end + 30)]
    m = after.search(right)
    if m is None:  # the nearest cue before the drug, at most 25 characters of words away
        near = [c for c in before.finditer(left) if re.fullmatch(r"[\s\w-]{0,25}", left[c.end():])]
        m = near[-1] if near else None
    return mapping[" ".join(m.group(1).lower().split())] if m else None


def _dose_text(ent: Entity) -> str:
    a = ent.attributes
    parts = [f"{a['dose']} {a.get('unit', '')}".strip() if a.get("dose") else "", a.get("route", ""),
             a.get("frequency", ""), "as needed" if a.get("as_needed") else ""]
    return " ".join(p for p in parts if p)


def _problem_sentence(name: str, status: str, ent: Entity) -> str:
    if status == "present":
        return f"{name[0].upper()}{name[1:]}."
    if status == "family":
        relative = ent.attributes.get("relative")
        return f"Family history of {name}" + (f" ({relative})." if relative else ".")
    if status == "historical":
        return f"History of {name}."
    if status == "possible":
        return f"Possible {name}."
    return f"{name[0].upper()}{name[1:]} ({_STATUS_WORDS.get(status, status)})."


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


def note_facts(note: Note) -> list[Fact]:
    """The summary's facts from an analysed note (the pipeline's entities, sections, assertions, signatures)."""
    facts: list[Fact] = []
    problems: dict[tuple[str, str], Fact] = {}
    negatives: list[Entity] = []
    meds: dict[str, Fact] = {}
    allergies: dict[str, Fact] = {}
    results: list[Fact] = []
    allergy_reactions = [e for e in note.entities if e.section == "allergies" and e.label in ("finding", "problem")]
    for ent in sorted(note.entities, key=lambda e: e.start):
        canonical = str(ent.attributes.get("canonical") or ent.text).lower()
        if ent.label == "drug" and ent.attributes.get("allergy") or ent.label == "allergy":
            if canonical not in allergies:
                reactions = [_name(r) for r in allergy_reactions
                             if _sentence_of(note, r.start) == _sentence_of(note, ent.start)]
                name = _name(ent)
                sentence = f"Allergy: {name}" + (f" ({', '.join(reactions)})." if reactions else ".")
                allergies[canonical] = Fact("allergy", name, sentence, "allergy",
                                            {"reactions": reactions}, [(ent.start, ent.end)])
            continue
        if ent.label in ("problem", "finding"):
            if ent.section == "allergies":
                continue  # a reaction, said with its allergy
            status = ent.assertion
            if ent.hypothetical or status == "negated" and ent.family:
                continue  # a risk talked about ("risks include DVT") or a relative's negative: not the patient's
            if status == "negated":
                if all(canonical != str(n.attributes.get("canonical") or n.text).lower() for n in negatives):
                    negatives.append(ent)
                continue
            key = (canonical, status)
            if key in problems:
                problems[key].spans.append((ent.start, ent.end))
            else:
                name = _name(ent)
                details = {"canonical": ent.attributes.get("canonical"), "codes": [
                    f"{c.system}:{c.code}" for c in ent.concepts]}
                if ent.attributes.get("relative"):
                    details["relative"] = ent.attributes["relative"]
                problems[key] = Fact("problem", name, _problem_sentence(name, status, ent), status, details,
                                     [(ent.start, ent.end)])
        elif ent.label == "drug":
            if ent.section in RESULT_SECTIONS and not ent.attributes.get("dose"):
                continue  # "potassium 4.1" among the labs is a result, not a medication
            change = _change(note, ent)
            dose = _dose_text(ent)
            fact = meds.get(canonical)
            if fact is None:
                fact = meds[canonical] = Fact("medication", _name(ent), "", None, {"doses": []}, [])
            fact.spans.append((ent.start, ent.end))
            if dose and dose not in fact.details["doses"]:
                fact.details["doses"].append(dose)
            if change:
                fact.status = change
                fact.details["change_dose"] = dose or None
        elif ent.label == "test":
            start, end = _sentence_of(note, ent.start)
            clause = re.split(r"[;\n]|,\s+(?=[A-Za-z])", note.text[ent.start:end], maxsplit=1)[0]
            clause = _clip(clause.rstrip(" .,:"), 120)
            is_result = ent.section in RESULT_SECTIONS or _RESULT_WORDS.search(clause[len(ent.text):])
            if is_result and len(clause) > len(ent.text) and all(clause.lower() != r.name.lower() for r in results):
                results.append(Fact("result", clause, f"{clause[0].upper()}{clause[1:]}.",
                                    ent.assertion, {}, [(ent.start, ent.start + len(clause))]))
    for fact in meds.values():
        fact.sentence = _medication_sentence(fact)
    facts.extend(problems.values())
    if negatives:
        names = list(dict.fromkeys(_name(e) for e in negatives))
        # "No x, no y." rather than "Not present: x, y.": every name keeps its own negation cue, so the sentence
        # reads as negated to the same assertion rules (and to the grounding check) however long the list
        sentence = "No " + ", no ".join(names) + "."
        facts.append(Fact("negative", ", ".join(names), sentence, "negated",
                          {"names": names}, [(e.start, e.end) for e in negatives]))
    facts.extend(meds.values())
    if allergies:
        facts.extend(allergies.values())
    else:
        for sec in note.sections:
            if sec.name == "allergies" and _NO_ALLERGIES.search(note.text[sec.start:sec.end]):
                facts.append(Fact("allergy", "no known allergies", "No known allergies.", "none", {},
                                  [(sec.start, sec.end)]))
                break
    facts.extend(results[:12])
    facts.extend(_plan(note))
    return facts


def _medication_sentence(fact: Fact) -> str:
    doses: list[str] = fact.details["doses"]
    name = fact.name
    change, change_dose = fact.status, fact.details.get("change_dose")
    if change in ("increased", "decreased", "changed") and change_dose:
        earlier = [d for d in doses if d != change_dose]
        text = f"{name} {earlier[0]}, {change} to {change_dose}" if earlier else f"{name} {change} to {change_dose}"
    else:
        text = f"{name} {doses[0]}" if doses else name
        if change:
            text += f", {change}"
    return f"{text[0].upper()}{text[1:]}."


def _plan(note: Note) -> list[Fact]:
    out: list[Fact] = []
    for sec in note.sections:
        if sec.name not in PLAN_SECTIONS:
            continue
        body = sec.body_start or sec.start
        for start, end in note.sentences or [(body, sec.end)]:
            start, end = max(start, body), min(end, sec.end)  # a sentence may begin on the heading's line
            if start >= end:
                continue
            text = re.sub(r"^\s*(?:\d+[.)]|[-*\u2022])\s*", "", note.text[start:end]).strip()
            text = _clip(text)
            if len(text) >= 3 and len(out) < 8:
                if not text.endswith((".", "!", "?")):
                    text += "."
                out.append(Fact("plan", text, text, None, {}, [(start, end)]))
    return out


# ------------------------------------------------------------------------------------------- summaries
def facts_prompt(facts: list[Fact], max_chars: int = 5000) -> str:
    """The user message: the facts as lines (the model never sees the note itself), at most ``max_chars`` of
    them (problems, medications and allergies come first, so a long plan is what is cut)."""
    labels = {"problem": "Problem", "negative": "Not present", "medication": "Medication", "allergy": "Allergy",
              "result": "Result", "plan": "Plan"}
    lines = []
    for fact in facts:
        if fact.kind == "problem":
            status = _STATUS_WORDS.get(fact.status or "present", fact.status or "")
            lines.append(f"- Problem: {fact.name}" + (f" ({status})" if status else ""))
        elif fact.kind == "plan":
            lines.append(f"- Plan: {fact.sentence}")
        else:
            lines.append(f"- {labels[fact.kind]}: {fact.sentence.rstrip('.').removeprefix('Allergy: ')}"
                         if fact.kind != "negative" else f"- Not present: {fact.name}")
    kept, size = [], 0
    for line in lines:
        size += len(line) + 1
        if size > max_chars:
            kept.append("- (more facts left out)")
            break
        kept.append(line)
    return "Facts from a clinical note:\n" + "\n".join(kept) + "\n\nWrite the summary."


def _strip_identifiers(note: Note, prompt: str) -> str:
    """Replace every identifier the pipeline found in the note by its type, wherever it appears."""
    for span in sorted(note.phi, key=lambda s: -len(s.text)):
        if span.text and len(span.text.strip()) > 1:
            prompt = re.sub(re.escape(span.text), f"[{span.label}]", prompt, flags=re.I)
    return prompt


class Summarizer:
    """Builds summaries with one note pipeline and, optionally, one generation backend.

    ``deidentify`` turns text into de-identified text (default: the pipeline's ``deid`` component, hybrid);
    it runs on every prompt a remote backend receives unless ``config.allow_raw_text``.
    """

    def __init__(self, nlp: Any, backend: Backend | None = None, config: GenerationConfig | None = None,
                 deidentify: Callable[[str], str] | None = None) -> None:
        self.nlp = nlp
        self.backend = backend
        self.config = config or GenerationConfig()
        self.grounder = Grounder(nlp)
        self._deidentify = deidentify

    def deidentify(self, text: str) -> str:
        """``text`` with identifiers replaced by their type: the pipeline's own de-identifier when it runs in
        hybrid mode with tags, else a hybrid one of its own (rules and the shipped PHI tagger)."""
        if self._deidentify is None:
            deid: Any = self.nlp.get("deid") if "deid" in self.nlp.names else None
            if deid is None or getattr(deid, "detector", None) != "hybrid" or getattr(deid, "replace", None) != "tag":
                from medassist.nlp.deid import Deidentifier

                deid = Deidentifier(replace="tag", detector="hybrid")
            self._deidentify = lambda t: str(deid(Note(text=t)).deid_text)
        return self._deidentify(text)

    def __call__(self, text: str | Note, *, id: str | None = None, use_backend: bool = True,  # noqa: A002
                 fallback: str | None = None) -> Summary:
        start = time.perf_counter()
        note = text if isinstance(text, Note) and text.entities else self.nlp(text, id=id)
        facts = note_facts(note)
        extractive = [f.sentence for f in facts]
        summary = Summary(note.id, "extractive", None, facts, extractive, fallback=fallback)
        if use_backend and self.backend is not None and facts:
            try:
                summary = self._generate(note, facts)
            except MedAssistError as exc:
                summary.fallback = fallback_reason(exc)
        summary.seconds = time.perf_counter() - start
        return summary

    def _generate(self, note: Note, facts: list[Fact]) -> Summary:
        assert self.backend is not None
        prompt = facts_prompt(facts, self.config.max_prompt_chars)
        deidentified = None
        if self.backend.remote:
            deidentified = not self.config.allow_raw_text
            if deidentified:
                prompt = self.deidentify(_strip_identifiers(note, prompt))
        messages: list[Message] = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}]
        gen = self.backend.generate(messages, max_tokens=self.config.max_tokens,
                                    temperature=self.config.temperature)
        checks = self.grounder.check(split_sentences(gen.text), NoteIndex(note))
        sentences = ground_and_replace(checks, facts, self.grounder)
        summary = Summary(note.id, self.backend.name, gen.model, facts, sentences, checks,
                          deidentified_prompt=deidentified, generation=_gen_info(gen))
        if not any(c.kept for c in checks):  # nothing the model wrote stands: the whole extractive summary does
            summary.fallback = ("every generated sentence was rejected by the grounding check: the extractive "
                                "summary is shown instead") if checks else "the model wrote nothing: the extractive summary is shown instead"
            summary.sentences = [f.sentence for f in facts]
        return summary


def _gen_info(gen: Generation) -> dict[str, Any]:
    tps = gen.tokens_per_s
    return {"seconds": round(gen.seconds, 3), "prompt_tokens": gen.prompt_tokens,
            "completion_tokens": gen.completion_tokens, "tokens_per_s": None if tps is None else round(tps, 1),
            "raw_text": gen.text}


def ground_and_replace(checks: list[SentenceCheck], facts: list[Fact], grounder: Grounder) -> list[str]:
    """The kept sentences, with each rejected one replaced by the extractive sentences of the facts it names."""
    out: list[str] = []
    for check in checks:
        if check.kept:
            out.append(check.text)
            continue
        named = {t.lower() for t in check.terms}
        for fact in facts:
            words = {fact.name.lower(), *(n.lower() for n in fact.details.get("names", []))}
            if fact.sentence not in out and any(t in w or w in t for t in named for w in words):
                check.replaced_by.append(fact.sentence)
                out.append(fact.sentence)
    return out
