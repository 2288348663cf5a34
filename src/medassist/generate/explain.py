"""Plain-language explanation of a consultation result (an :class:`~medassist.doc.Assessment`) for the patient.

The explanation is built from the structured result, in three parts:

``safety``      the clinical safety text, copied **verbatim** from the result: in an emergency the red-flag
                messages, the triage advice and the emergency message; otherwise the triage label and advice.
                No model ever sees it or writes it, and it always comes first.
``body``        what the patient told us, the possibilities to discuss with a clinician and why, the next
                question: extractive sentences by default.  With a generation backend the model rewrites the
                *facts* (never the safety text) in plain words and every sentence it writes is checked: a
                condition not in the differential, a finding not in the result or with its polarity flipped, a
                medicine, a number that is not in the facts, or anything about urgency, diagnosis or treatment
                (that is the safety text's job) rejects the sentence, and the extractive body stands instead.
                In an emergency no model is asked at all.
``advice``      the top condition's next steps, verbatim from the knowledge base (not in an emergency: the
                emergency advice is all that matters then), and the ``disclaimer``, verbatim.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medassist.errors import MedAssistError
from medassist.generate.backends import Backend, GenerationConfig, Message, fallback_reason
from medassist.generate.grounding import (
    Grounder,
    SentenceCheck,
    _form,
    _norm,
    _number,
    entity_keys,
    split_sentences,
)

if TYPE_CHECKING:
    from medassist.drugs.data import TermTarget

# a model may not speak about urgency, diagnosis or treatment: the verbatim safety text does
_SAFETY_WORDS = re.compile(
    r"\b(?:emergenc\w*|ambulance|urgent\w*|911|999|112|a&e|hospital|serious\w*|dangerous|danger|safe\w*|"
    r"no need|(?:do not|don't|dont) need|nothing to worry|not worry|worr\w*|reassur\w*|fine|harmless|"
    r"diagnos\w*|cure\w*|prescri\w*|antibiotic\w*|medicine\w*|medication\w*|tablet\w*|dose\w*|mg|treat\w*|"
    r"certain(?:ly)?|definitely|sure)\b",
    re.I,
)
SYSTEM_PROMPT = (
    "You explain a symptom checker's result to a patient in plain, kind words. Write 2 to 4 short sentences. "
    "Use only the facts given; do not name any other condition or symptom. Do not talk about urgency, "
    "treatment, medicines or diagnosis, and do not add numbers."
)


def plain_name(name: str) -> str:
    """ "Fever (raised temperature, 38 C or above)" -> "fever"; acronyms keep their case."""
    base = re.sub(r"\s*\([^)]*\)", "", name).strip() or name
    return base if base.isupper() else base[0].lower() + base[1:]


@dataclass
class Explanation:
    safety: list[str]
    body: list[str]
    advice: list[str]
    disclaimer: str
    emergency: bool
    backend: str = "extractive"
    model: str | None = None
    checks: list[SentenceCheck] = field(default_factory=list)
    fallback: str | None = None
    seconds: float = 0.0

    @property
    def text(self) -> str:
        parts = [*self.safety, *self.body, *self.advice, self.disclaimer]
        return "\n".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        return {"emergency": self.emergency, "safety": self.safety, "body": self.body, "advice": self.advice,
                "disclaimer": self.disclaimer, "text": self.text, "backend": self.backend, "model": self.model,
                "fallback": self.fallback, "grounding": [c.to_dict() for c in self.checks],
                "rejected": sum(not c.kept for c in self.checks), "seconds": round(self.seconds, 3)}


def _as_dict(result: Any) -> dict[str, Any]:
    if isinstance(result, dict):
        return result
    data: dict[str, Any] = result.to_dict()
    return data


def safety_text(result: Any) -> list[str]:
    """The result's own safety sentences, verbatim, most urgent first."""
    data = _as_dict(result)
    triage = data.get("triage") or {}
    out: list[str] = []
    if data.get("emergency"):
        out.extend(f["message"] for f in data.get("red_flags") or [] if f.get("message"))
        for text in (triage.get("label"), triage.get("advice"), data.get("message")):
            if text and text not in out:
                out.append(text)
    else:
        out.extend(t for t in (triage.get("label"), triage.get("advice")) if t)
    return out


def _facts(data: dict[str, Any], top: int = 3) -> dict[str, Any]:
    present = [plain_name(f["name"]) for f in data.get("findings") or [] if f.get("present")]
    absent = [plain_name(f["name"]) for f in data.get("findings") or [] if not f.get("present")]
    candidates = []
    for cand in (data.get("differential") or [])[:top]:
        why = [plain_name(e["name"]) for e in cand.get("evidence_for") or [] if e.get("present")]
        candidates.append({"name": plain_name(cand["name"]), "percent": round(100 * cand["probability"]),
                           "why": why})
    question = (data.get("next_question") or {}).get("question")
    return {"present": present, "absent": absent, "candidates": candidates, "question": question}


def extractive_body(data: dict[str, Any]) -> list[str]:
    facts = _facts(data)
    out = []
    if facts["present"]:
        out.append("You told us about: " + ", ".join(facts["present"]) + ".")
    if facts["absent"]:
        out.append("You said you do not have: " + ", ".join(facts["absent"]) + ".")
    if not data.get("emergency"):
        if facts["candidates"]:
            names = "; ".join(f"{c['name']} (about {c['percent']} in 100)" for c in facts["candidates"])
            out.append(f"Possible causes to discuss with a clinician, with MedAssist's rough estimate: {names}.")
            for cand in facts["candidates"][:2]:
                if cand["why"]:
                    out.append(f"What points to {cand['name']}: " + ", ".join(cand["why"]) + ".")
        else:
            out.append("MedAssist could not match what you told us to the conditions it knows.")
        if facts["question"]:
            out.append(f"A question that would help: {facts['question']}")
    return out


def facts_prompt(data: dict[str, Any]) -> str:
    facts = _facts(data)
    lines = ["Facts from the symptom checker:"]
    if facts["present"]:
        lines.append("- The patient has: " + ", ".join(facts["present"]))
    if facts["absent"]:
        lines.append("- The patient does not have: " + ", ".join(facts["absent"]))
    for cand in facts["candidates"]:
        why = f" (because of {', '.join(cand['why'])})" if cand["why"] else ""
        lines.append(f"- Possible cause: {cand['name']}{why}")
    return "\n".join(lines) + "\n\nExplain this to the patient."


class Explainer:
    """Explanations with one pipeline (for the grounding check) and, optionally, one generation backend."""

    def __init__(self, nlp: Any | None, backend: Backend | None = None, config: GenerationConfig | None = None) -> None:
        # the pipeline reads the model's sentences for the grounding check: without a backend none is needed
        if backend is not None and nlp is None:
            raise ValueError("a generation backend needs the note pipeline for the grounding check: pass nlp")
        self.grounder = Grounder(nlp) if nlp is not None else None
        self.backend = backend
        self.config = config or GenerationConfig()

    def __call__(self, result: Any, *, use_backend: bool = True) -> Explanation:
        start = time.perf_counter()
        data = _as_dict(result)
        data_advice: list[str] = []
        if not data.get("emergency") and data.get("differential"):
            data_advice = list(data["differential"][0].get("next_steps") or [])
        exp = Explanation(safety_text(data), extractive_body(data), data_advice, str(data.get("disclaimer") or ""),
                          bool(data.get("emergency")))
        if use_backend and self.backend is not None:
            if exp.emergency:
                exp.fallback = "emergency: no model is asked; the emergency advice is shown exactly as written"
            else:
                try:
                    self._generate(data, exp)
                except MedAssistError as exc:
                    exp.fallback = fallback_reason(exc, "explanation")
        exp.seconds = time.perf_counter() - start
        return exp

    def _generate(self, data: dict[str, Any], exp: Explanation) -> None:
        assert self.backend is not None
        prompt = facts_prompt(data)  # no identifiers: finding and condition names only
        messages: list[Message] = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}]
        gen = self.backend.generate(messages, max_tokens=min(self.config.max_tokens, 160),
                                    temperature=self.config.temperature)
        items = split_sentences(gen.text)
        checks = [SentenceCheck(s, kept=False, reasons=[reason]) if (reason := _form(s, i, items))
                  else self.check_sentence(s, data, prompt) for i, s in enumerate(items)]
        exp.checks, exp.backend, exp.model = checks, self.backend.name, gen.model
        kept = [c.text for c in checks if c.kept]
        if kept:
            exp.body = kept + [s for s in exp.body if s.startswith("A question that would help")]
        else:
            exp.fallback = "no generated sentence passed the grounding check: the extractive explanation is shown"

    def check_sentence(self, sentence: str, data: dict[str, Any], prompt: str) -> SentenceCheck:
        reasons: list[str] = []
        terms: list[str] = []
        for m in _SAFETY_WORDS.finditer(sentence):
            reasons.append(f"speaks about urgency, diagnosis or treatment ({m.group(0)}): only the verbatim "
                           "safety text may")
        conditions: set[str] = set()
        for cand in data.get("differential") or []:
            conditions |= {_norm(cand["name"]), _norm(plain_name(cand["name"])), f"icd10cm:{cand.get('icd10')}",
                           f"medassist-kb:{cand.get('condition')}"}
        findings: dict[str, bool] = {}
        for f in data.get("findings") or []:
            for key in (_norm(f["name"]), _norm(plain_name(f["name"])), f"medassist-kb:{f['id']}"):
                findings[key] = bool(f.get("present"))
        assert self.grounder is not None  # set whenever a backend is (__init__)
        for ent in self.grounder.analyse(sentence).entities:
            if ent.label not in ("problem", "finding", "drug"):
                continue
            terms.append(ent.text)
            keys = entity_keys(ent)
            if ent.label == "drug":
                reasons.append(f"names a medicine: {ent.text}")
            elif keys & set(findings):
                present = next(findings[k] for k in keys if k in findings)
                if present == ent.negated:
                    reasons.append(f"{'present' if present else 'absent'} in the result, stated as "
                                   f"{'absent' if ent.negated else 'present'}: {ent.text}")
            elif not keys & conditions:
                reasons.append(f"not in the result: {ent.text}")
        numbers = {_number(n) for n in re.findall(r"\d+(?:\.\d+)?", prompt)}
        for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", sentence):
            if _number(n) not in numbers:
                reasons.append(f"number not in the result: {n}")
        return SentenceCheck(sentence, kept=not reasons, reasons=list(dict.fromkeys(reasons)), terms=terms)


# ------------------------------------------------------------------------------------------- drug alerts
# what each severity means, as the drug tables define it (knowledge/data/drugs/README.md)
SEVERITY_MEANING = {
    "contraindicated": "do not use",
    "major": "avoid unless there is no alternative, or with specialist input",
    "moderate": "caution: the dose may need adjusting, or closer monitoring",
    "minor": "be aware",
}
_KIND_WORDS = {"interaction": "interaction", "contraindication": "contraindication", "allergy": "allergy alert",
               "duplicate_therapy": "duplicate therapy"}
# words that rate how serious something is: a model may use only those the alert's own facts use
_SEVERITY_WORDS = re.compile(
    r"\b(?:contraindicat\w*|major|moderate\w*|minor|severe\w*|severity|mild\w*|serious\w*|dangerous|danger|"
    r"safe\w*|harmless|fatal\w*|deadly|life[- ]threatening|emergenc\w*|urgent\w*|rare\w*|unlikely|common\w*|"
    r"nothing to worry|not worry|worr\w*|small|low|high\w*|little)\b", re.I)
# what to do is the alert's management text, verbatim: a model may not say it
_ADVICE_WORDS = re.compile(
    r"\b(?:stop\w*|avoid\w*|start\w*|switch\w*|instead|dose\w*|mg|should|must|need to|have to|do not take|"
    r"don't take|dont take|can take|ok(?:ay)? to|fine to|ask|call|see your|talk to|monitor\w*|check\w*|test\w*)\b",
    re.I)
DRUG_SYSTEM_PROMPT = (
    "You explain a drug-safety alert to a patient in plain, kind words. Write 1 to 3 short sentences about what "
    "may happen and why. Use only the facts given; do not name any other medicine or condition. Do not say what "
    "to do, do not say how serious it is in other words, and do not add numbers."
)


@dataclass
class AlertExplanation:
    """One alert in plain words: the headline (severity verbatim), what may happen, what to do (verbatim)."""

    severity: str
    kind: str
    title: str
    drugs: list[str]
    headline: str
    effect: list[str]
    management: str
    backend: str = "extractive"
    checks: list[SentenceCheck] = field(default_factory=list)
    fallback: str | None = None

    @property
    def lines(self) -> list[str]:
        return [self.headline, *self.effect, f"What to do: {self.management}"]

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "kind": self.kind, "title": self.title, "drugs": self.drugs,
                "headline": self.headline, "effect": self.effect, "management": self.management,
                "text": "\n".join(self.lines), "backend": self.backend, "fallback": self.fallback,
                "grounding": [c.to_dict() for c in self.checks], "rejected": sum(not c.kept for c in self.checks)}


@dataclass
class DrugExplanation:
    """A medication check in plain words: each alert most severe first, what was not checked, the disclaimer."""

    alerts: list[AlertExplanation]
    not_checked: list[str]
    note: str
    disclaimer: str
    backend: str = "extractive"
    model: str | None = None
    fallback: str | None = None
    seconds: float = 0.0

    @property
    def text(self) -> str:
        parts = [*self.not_checked]
        for alert in self.alerts:
            parts += alert.lines
        return "\n".join([*parts, self.note, self.disclaimer])

    def to_dict(self) -> dict[str, Any]:
        return {"alerts": [a.to_dict() for a in self.alerts], "not_checked": self.not_checked, "note": self.note,
                "disclaimer": self.disclaimer, "text": self.text, "backend": self.backend, "model": self.model,
                "fallback": self.fallback, "rejected": sum(a.to_dict()["rejected"] for a in self.alerts),
                "seconds": round(self.seconds, 3)}


def _headline(alert: dict[str, Any]) -> str:
    severity = str(alert["severity"])
    meaning = SEVERITY_MEANING.get(severity)
    kind = _KIND_WORDS.get(str(alert["kind"]), str(alert["kind"]))
    rating = f"{severity} ({meaning})" if meaning else severity
    return f"{alert['title']}: {kind}, severity {rating}."


def _effect_sentences(alert: dict[str, Any]) -> list[str]:
    out = []
    if alert.get("why"):
        out.append(f"Why this applies: {alert['why']}.")
    if alert.get("effect"):
        out.append(f"What may happen: {alert['effect']}")
    return out


def _drug_facts(alert: dict[str, Any]) -> str:
    lines = ["Facts of the alert:", "- Medicines: " + ", ".join(alert.get("drugs") or [])]
    if alert.get("condition"):
        lines.append(f"- The patient's condition: {alert['condition']['name']}")
    if alert.get("allergy"):
        lines.append(f"- The patient's recorded allergy: {alert['allergy']['matched']}")
    lines.append(f"- Severity: {alert['severity']}")
    if alert.get("why"):
        lines.append(f"- Why it applies: {alert['why']}")
    if alert.get("mechanism"):
        lines.append(f"- How it happens: {alert['mechanism']}")
    lines.append(f"- What may happen: {alert['effect']}")
    return "\n".join(lines) + "\n\nExplain what may happen to the patient."


class DrugNames:
    """Finds the drugs, drug classes, conditions and allergy groups of the drug tables named in a sentence, with
    the one phrase matcher and the tables' one index of names (``DrugDB.terms``)."""

    def __init__(self, db: Any | None = None) -> None:
        from medassist.drugs.data import get_db
        from medassist.matcher import PhraseMatcher, note_tokens

        self.db = db or get_db()
        self.matcher: PhraseMatcher[frozenset[str]] = PhraseMatcher(note_tokens, merge=lambda a, b: a | b)
        targets: tuple[TermTarget, ...] = ("drug", "class", "condition", "allergy_group")
        for target in targets:
            for term in self.db.terms(target):
                self.matcher.add(term.text, frozenset({f"{target}:{term.id}"}))

    def find(self, sentence: str) -> list[tuple[str, frozenset[str]]]:
        return [(sentence[m.start:m.end], m.value) for m in self.matcher.match(sentence)]

    def allowed(self, alert: dict[str, Any]) -> set[str]:
        """What a sentence about this alert may name: its drugs and every class they belong to, its condition,
        its allergy group."""
        keys: set[str] = set()
        for inv in alert.get("involved") or []:
            keys.add(f"drug:{inv['drug']}")
            keys |= set(self.db.memberships.get(inv["drug"], {}))
            keys.add(str(inv.get("agent")))
        if alert.get("condition"):
            keys.add(f"condition:{alert['condition']['id']}")
        if alert.get("allergy"):
            keys.add(f"{alert['allergy'].get('target') or 'allergy_group'}:{alert['allergy']['id']}")
        return keys


def check_alert_sentence(sentence: str, alert: dict[str, Any], facts: str, names: DrugNames) -> SentenceCheck:
    """Is a generated sentence about a drug alert supported by it?  Rejected when it names a drug, class,
    condition or allergy that is not the alert's, rates the danger with a word the alert's facts do not use,
    says what to do (the alert's management text says that, verbatim), or gives a number that is not in the
    facts."""
    reasons: list[str] = []
    terms: list[str] = []
    allowed = names.allowed(alert)
    said = _norm(facts)
    for text, keys in names.find(sentence):
        terms.append(text)
        # a drug only by identity; a class or condition also when the alert's own words name it ("bleeding")
        in_facts = re.search(rf"\b{re.escape(_norm(text))}\b", said) is not None
        if not keys & allowed and not (in_facts and not all(k.startswith("drug:") for k in keys)):
            reasons.append(f"not in the alert: {text}")
    fact_words = {m.group(0).lower() for m in _SEVERITY_WORDS.finditer(facts)}
    for m in _SEVERITY_WORDS.finditer(sentence):
        if m.group(0).lower() not in fact_words:
            reasons.append(f"rates the danger in its own words ({m.group(0)}): the severity is "
                           f"{alert['severity']}")
    for m in _ADVICE_WORDS.finditer(sentence):
        reasons.append(f"says what to do ({m.group(0)}): only the alert's own management text may")
    numbers = {_number(n) for n in re.findall(r"\d+(?:\.\d+)?", facts)}
    for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", sentence):
        if _number(n) not in numbers:
            reasons.append(f"number not in the alert: {n}")
    return SentenceCheck(sentence, kept=not reasons, reasons=list(dict.fromkeys(reasons)), terms=terms)


def explain_drug_alerts(result: Any, backend: Backend | None = None, config: GenerationConfig | None = None,
                        names: DrugNames | None = None, max_generated: int = 5) -> DrugExplanation:
    """A drug check's result (a :class:`~medassist.doc.CheckResult` or its JSON) in plain words.

    Each alert, most severe first: a headline with the title and the severity word as the alert has it (and
    what that severity means in the drug tables), why it applies and what may happen (the alert's own words),
    and what to do: the alert's management text, **verbatim**.  With a backend, the model rewrites only "what
    may happen" for the ``max_generated`` most severe alerts, one call each; a sentence that names a drug or
    condition not in the alert, rates the danger in other words, says what to do or adds a number is rejected,
    and the alert's own sentences stand when none is kept.  Entries that matched nothing are listed first:
    they were not checked."""
    start = time.perf_counter()
    data = _as_dict(result)
    not_checked = [f"Not recognised, so not checked: {u['input']}" + (
        f" (did you mean: {', '.join(u['suggestions'])}?)" if u.get("suggestions") else "")
        for u in data.get("unknown") or []]
    alerts = [AlertExplanation(str(a["severity"]), str(a["kind"]), str(a["title"]), list(a.get("drugs") or []),
                               _headline(a), _effect_sentences(a), str(a["management"]))
              for a in data.get("alerts") or []]
    out = DrugExplanation(alerts, not_checked, str(data.get("note") or ""), str(data.get("disclaimer") or ""))
    if backend is not None and alerts:
        names = names or DrugNames()
        cfg = config or GenerationConfig()
        for raw, exp in list(zip(data["alerts"], alerts, strict=True))[:max_generated]:
            try:
                _generate_alert(raw, exp, backend, cfg, names)
            except MedAssistError as exc:
                out.fallback = fallback_reason(exc, "explanation")
                break  # the server is down or too slow: do not wait once per alert
        if any(a.backend != "extractive" for a in alerts):
            out.backend, out.model = backend.name, backend.model
        elif out.fallback is None:
            out.fallback = "no generated sentence passed the grounding check: the alerts' own sentences are shown"
    out.seconds = time.perf_counter() - start
    return out


def _generate_alert(raw: dict[str, Any], exp: AlertExplanation, backend: Backend, cfg: GenerationConfig,
                    names: DrugNames) -> None:
    facts = _drug_facts(raw)  # drug, class and condition names from the tables only: no identifiers
    messages: list[Message] = [{"role": "system", "content": DRUG_SYSTEM_PROMPT}, {"role": "user", "content": facts}]
    gen = backend.generate(messages, max_tokens=min(cfg.max_tokens, 120), temperature=cfg.temperature)
    items = split_sentences(gen.text)
    exp.checks = [SentenceCheck(s, kept=False, reasons=[reason]) if (reason := _form(s, i, items))
                  else check_alert_sentence(s, raw, facts, names) for i, s in enumerate(items)]
    kept = [c.text for c in exp.checks if c.kept]
    if kept:
        exp.effect, exp.backend = kept, backend.name
    else:
        exp.fallback = "no generated sentence passed the grounding check: the alert's own sentences are shown"
