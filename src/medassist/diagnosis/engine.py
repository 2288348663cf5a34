"""Assisted diagnosis end to end: text -> findings -> differential, triage, evidence, next question.

    engine = DiagnosisEngine.load()                      # knowledge base, intake, optional neural model
    result = engine.consult("I've had a sore throat and fever for 2 days", age=24, sex="f")
    consultation = engine.start(text, age, sex)          # an interview, one answer at a time
    engine.answer(consultation, "cough", "no")
    result = engine.assess(consultation)

Results are typed (``medassist.doc.Assessment``; ``.to_dict()`` is the JSON shape).  MedAssist assists; it does not diagnose: every result carries
its evidence, its uncertainty and the advice to see a clinician, and a red flag overrides everything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from medassist.diagnosis.interview import InterviewSettings, next_question, should_stop
from medassist.diagnosis.reasoner import Case, Observation, Reasoner, ReasonerSettings
from medassist.diagnosis.triage import TriageSettings, triage
from medassist.doc import Assessment, Candidate, Differential, Finding, FindingSpan
from medassist.errors import ConfigError, ErrorCode, InputError
from medassist.knowledge.kb import KnowledgeBase

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "diagnosis.yaml"
NEURAL_MODEL = Path(__file__).resolve().parents[1] / "artifacts" / "diagnosis-narrative"
DISCLAIMER = ("MedAssist is not a doctor and does not diagnose. This is information to discuss with a clinician, "
              "who should assess you. If you feel very unwell or get worse, seek urgent care.")
ANSWERS = {"yes": True, "y": True, "no": False, "n": False, "dont_know": None, "don't know": None, "unknown": None,
           "dk": None, "?": None}


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnsembleConfig(_Cfg):
    enabled: bool = True
    neural_weight: float = Field(0.5, ge=0, description="exponent of the neural probabilities in the product")
    model: str | None = Field(None, description="model directory (default: the shipped artifact, if present)")


class DiagnosisConfig(_Cfg):
    reasoner: dict[str, Any] = Field(default_factory=dict)
    triage: dict[str, Any] = Field(default_factory=dict)
    interview: dict[str, Any] = Field(default_factory=dict)
    intake: dict[str, Any] = Field(default_factory=dict)
    ensemble: EnsembleConfig = Field(default_factory=EnsembleConfig)
    top_n: int = 10
    min_probability: float = 0.01
    max_chars: int = 5000
    uncertain_top: float = 0.35
    uncertain_other: float = 0.4


def load_diagnosis_config(path: str | Path | None = None) -> DiagnosisConfig:
    """Read and validate the engine settings; an unknown key is an error that names it."""
    from pydantic import ValidationError

    from medassist.diagnosis.intake import IntakeSettings

    path = Path(path) if path else CONFIG
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:  # a missing or unreadable settings file is an error, never silent defaults
        raise ConfigError(ErrorCode.E206, path=path, detail=type(exc).__name__) from None
    except yaml.YAMLError as exc:
        raise ConfigError(ErrorCode.E206, path=path, detail=f"not YAML: {type(exc).__name__}") from None
    try:
        cfg = DiagnosisConfig.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        raise ConfigError(ErrorCode.E203, key=".".join(map(str, err["loc"])), detail=f"{err['msg']} in {path}") from None
    for section, cls in (("reasoner", ReasonerSettings), ("triage", TriageSettings), ("interview", InterviewSettings),
                         ("intake", IntakeSettings)):
        known = set(cls.__dataclass_fields__)
        for key in getattr(cfg, section):
            if key not in known:
                raise ConfigError(ErrorCode.E202, key=f"{section}.{key}", where=f" in {path}",
                                  suggestion=", ".join(sorted(known)))
    return cfg


@dataclass
class Consultation:
    """One patient's consultation: what they wrote, what was found, and the interview so far."""

    text: str
    case: Case
    intake_warnings: list[str] = field(default_factory=list)
    ignored: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    age_source: str | None = None
    sex_source: str | None = None
    neural: dict[str, float] | None = None

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state (for storage between interview turns)."""
        c = self.case
        return {
            "text": self.text, "age": c.age, "sex": c.sex, "duration": c.duration, "onset": c.onset,
            "asked": sorted(c.asked), "answers": self.answers, "warnings": self.intake_warnings,
            "ignored": self.ignored, "age_source": self.age_source, "sex_source": self.sex_source,
            "observations": [o.__dict__ for o in c.observations.values()], "neural": self.neural,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Consultation:
        case = Case(age=state.get("age"), sex=state.get("sex"), duration=state.get("duration"),
                    onset=state.get("onset"), asked=set(state.get("asked", [])))
        for o in state.get("observations", []):
            case.add(Observation(**o))
        return cls(state["text"], case, state.get("warnings", []), state.get("ignored", []), state.get("answers", []),
                   state.get("age_source"), state.get("sex_source"), state.get("neural"))


def normalise_sex(sex: str | None) -> str | None:
    if sex is None or sex == "":
        return None
    s = str(sex).strip().lower()
    if s in ("f", "female", "woman", "w"):
        return "female"
    if s in ("m", "male", "man"):
        return "male"
    raise InputError(ErrorCode.E404, sex=sex)


def check_age(age: float | None) -> float | None:
    if age is None:
        return None
    try:
        value = float(age)
    except (TypeError, ValueError):
        raise InputError(ErrorCode.E403, age=age) from None
    if not (0 <= value <= 120) or math.isnan(value):
        raise InputError(ErrorCode.E403, age=age)
    return value


class DiagnosisEngine:
    def __init__(self, kb: KnowledgeBase, config: DiagnosisConfig | None = None, *, intake=None, neural=None) -> None:  # noqa: ANN001
        self.kb = kb
        self.config = config or DiagnosisConfig()
        self.reasoner = Reasoner(kb, ReasonerSettings(**self.config.reasoner))
        self.triage_settings = TriageSettings(**self.config.triage)
        self.interview_settings = InterviewSettings(**self.config.interview)
        self._intake = intake
        self.neural = neural
        self._neural_index: np.ndarray | None = None
        if neural is not None:
            self._align_neural()

    @classmethod
    def load(cls, *, kb_path: str | Path | None = None, config: str | Path | None = None, neural: bool | str | None = None,
             use_embeddings: bool | None = None) -> DiagnosisEngine:
        """The engine on the shipped knowledge base, loading each model once."""
        cfg = load_diagnosis_config(config)
        kb = KnowledgeBase.load(kb_path)
        model = None
        want = cfg.ensemble.enabled if neural is None else bool(neural)
        if want:
            path = Path(neural) if isinstance(neural, str) else Path(cfg.ensemble.model) if cfg.ensemble.model else NEURAL_MODEL
            if (path / "medassist.json").exists():
                from medassist.models import load_model

                model = load_model(path)
        intake_cfg = dict(cfg.intake)
        if use_embeddings is not None:
            intake_cfg["use_embeddings"] = use_embeddings
        from medassist.diagnosis.intake import Intake, IntakeSettings

        return cls(kb, cfg, intake=Intake(kb, IntakeSettings(**intake_cfg)), neural=model)

    @property
    def intake(self):  # noqa: ANN201
        if self._intake is None:
            from medassist.diagnosis.intake import Intake, IntakeSettings

            self._intake = Intake(self.kb, IntakeSettings(**self.config.intake))
        return self._intake

    @property
    def intake_pipeline(self):  # noqa: ANN201
        """The intake pipeline (configs/pipeline-intake.yaml) on this engine's intake."""
        return self.intake.pipeline

    def read(self, text: str, age: float | None = None):  # noqa: ANN201
        """What the patient's text says (an IntakeResult), read by the intake pipeline; ``age``: one the
        caller knows, for age-specific cut-offs of measured values."""
        from medassist.diagnosis.intake import intake_note, intake_result

        return intake_result(self.intake_pipeline(intake_note(text[: self.intake.settings.max_chars], age)))

    def _align_neural(self) -> None:
        labels = list(self.neural.labels)
        pos = {lab: i for i, lab in enumerate(labels)}
        self._neural_index = np.array([pos.get(c, -1) for c in self.reasoner.condition_ids])

    # ------------------------------------------------------------------ consultation flow
    def start(self, text: str, age: float | None = None, sex: str | None = None) -> Consultation:
        if text is None:
            text = ""
        if len(text) > self.config.max_chars:
            raise InputError(ErrorCode.E402, length=len(text), limit=self.config.max_chars)
        age = check_age(age)
        sex = normalise_sex(sex)
        res = self.read(text, age) if text.strip() else None
        case = Case()
        consultation = Consultation(text, case)
        if res is not None:
            for obs in res.observations:
                case.add(obs)
            case.duration = res.duration.value if res.duration else None  # type: ignore[assignment]
            case.onset = res.onset.value if res.onset else None  # type: ignore[assignment]
            consultation.intake_warnings = res.warnings
            consultation.ignored = res.ignored
        case.age, consultation.age_source = (age, "given") if age is not None else (
            (float(res.age.value), "text") if res and res.age else (None, None))  # type: ignore[arg-type]
        if age is not None and res and res.age and age == int(age) and int(float(res.age.value)) == int(age) \
                and float(res.age.value) != age:  # type: ignore[arg-type]
            # an age in whole years ("0") and the text's finer one ("my 11 month old"): the finer one decides
            # the infant rules ("fever under 3 months" is not for an 11-month-old recorded as age 0)
            case.age, consultation.age_source = float(res.age.value), "text"  # type: ignore[arg-type]
        case.sex, consultation.sex_source = (sex, "given") if sex is not None else (
            (str(res.sex.value), "text") if res and res.sex else (None, None))
        if self.neural is not None and case.observations:
            probs = self.neural.predict_proba([text])[0]
            consultation.neural = {lab: float(p) for lab, p in zip(self.neural.labels, probs, strict=True) if p >= 1e-4}
        return consultation

    def answer(self, consultation: Consultation, finding: str, answer: str | bool | None) -> None:
        if finding not in self.kb.findings:
            raise InputError(ErrorCode.E303, finding=finding)
        if isinstance(answer, str):
            key = answer.strip().lower().replace("’", "'")
            if key not in ANSWERS:
                raise InputError(ErrorCode.E406, answer=answer)
            value = ANSWERS[key]
        else:
            value = answer
        consultation.case.asked.add(finding)
        consultation.answers.append({"finding": finding, "answer": {True: "yes", False: "no", None: "dont_know"}[value]})
        if value is not None:
            consultation.case.add(Observation(finding, bool(value), "answer"))

    def posterior(self, consultation: Consultation) -> np.ndarray:
        case = self.reasoner.expand(consultation.case)
        post = self.reasoner.posterior(case, expanded=True)
        if consultation.neural and self._neural_index is not None and self.config.ensemble.neural_weight > 0:
            w = self.config.ensemble.neural_weight
            pn = np.array([consultation.neural.get(c, 1e-4) for c in self.reasoner.condition_ids])
            pn = np.clip(pn, 1e-4, 1.0)
            unknown = self._neural_index < 0  # conditions the neural model was not trained on: no opinion,
            if unknown.any() and (~unknown).any():  # so their factor is the reasoner-weighted mean of the others'
                known = post[:-1][~unknown]
                pn[unknown] = float((known * pn[~unknown]).sum() / max(known.sum(), 1e-12))
            covered = post[:-1] * pn**w
            if covered.sum() > 0:
                post = np.append(covered / covered.sum() * (1 - post[-1]), post[-1])
        return post

    def assess(self, consultation: Consultation) -> Assessment:
        """The assessment of a consultation so far.  Safety lives here, for every caller (Python, CLI, HTTP,
        batch): an emergency level, from a red flag or from the probability of emergency conditions,
        comes first in the message, ends the interview and leaves no next question."""
        case = self.reasoner.expand(consultation.case)
        kb = self.kb
        findings = [
            Finding(o.id, kb.findings[o.id].name, o.present, o.source,
                    FindingSpan(o.start, o.end or o.start, o.text or "") if o.start is not None else None,
                    o.score if o.source == "embedding" else None)
            for o in sorted(consultation.case.observations.values(), key=lambda o: (o.start is None, o.start or 0, o.id))
        ]
        post = self.posterior(consultation)
        tri, red_flags = triage(self.reasoner, case, post, self.triage_settings)
        result = Assessment(
            triage=tri, red_flags=red_flags, findings=findings, differential=Differential(), next_question=None,
            interview_done=False, stop_reason=None, emergency=tri.emergency, message="", disclaimer=DISCLAIMER,
            age=case.age, sex=case.sex, duration=case.duration, onset=case.onset, answers=consultation.answers,
            ignored=consultation.ignored, warnings=list(consultation.intake_warnings), knowledge_base_version=kb.version,
        )
        if not case.observations:
            result.interview_done = True
            result.stop_reason = "no symptoms found"
            result.message = ("I could not find symptoms in this text. Please describe what you feel in a sentence or two "
                              "(for example: 'sore throat and fever for 2 days').")
            return result
        order = np.argsort(-post[:-1])
        diff: list[Candidate] = []
        covered_mass = max(1e-9, 1.0 - float(post[-1]))
        for i in order[: self.config.top_n]:
            p = float(post[i])
            # the cut-off is on the share among covered conditions, so the list does not shrink when the
            # not-covered mass (reported beside it) rises
            if p / covered_mass < self.config.min_probability and diff:
                break
            cid = self.reasoner.condition_ids[i]
            cond = kb.conditions[cid]
            pro, con = self.reasoner.evidence(case, cid)
            diff.append(Candidate(cid, cond.name, cond.icd10, round(p, 4), pro, con, cond.triage, cond.specialty,
                                  list(cond.next_steps), [s.model_dump(exclude_none=True) for s in cond.sources]))
        result.differential = Differential(diff, round(float(post[-1]), 4))
        top = diff[0].probability if diff else 0.0
        if result.emergency:
            result.interview_done = True
            result.stop_reason = "emergency: get help now"
            result.message = (("Emergency warning signs: " + "; ".join(r.name for r in red_flags) + ". ") if red_flags else
                              "What you describe may be an emergency. ") + "Follow the urgent advice above first."
            return result
        q = next_question(self.reasoner, case, post, self.interview_settings)
        result.next_question = q
        result.interview_done = q is None
        result.stop_reason = should_stop(post, case, self.interview_settings) or (None if q else "no informative question left")
        if red_flags:  # a warning sign below the emergency levels (none today; kept for rules that add one)
            result.message = "Warning signs found: follow the urgent advice above first."
        elif post[-1] >= self.config.uncertain_other:
            result.message = ("What you describe may not be covered by what I know; I am uncertain. "
                              "Please see a clinician.")
        elif top < self.config.uncertain_top:
            result.message = ("Several conditions fit what you describe and I am not confident about any of them. "
                              "Answering the questions helps; a clinician should assess you.")
        else:
            result.message = "These are possibilities to discuss with a clinician, not a diagnosis."
        return result

    def consult(self, text: str, age: float | None = None, sex: str | None = None) -> Assessment:
        return self.assess(self.start(text, age, sex))
