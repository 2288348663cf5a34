"""A personal health plan: what needs a clinician soon, the person's risks, what prevention is due, the
medication review and the goals, each with its evidence and source, and what the record lacks.

    from medassist.health.plan import load_record, make_plan
    record, answers = load_record("patient.json")      # MedAssist JSON or a FHIR R4 Bundle
    plan = make_plan(record, answers=answers)
    plan.to_dict(); plan.to_text(); plan.to_fhir()      # the FHIR form is a Bundle with a CarePlan and Goals

Facts the plan does not have are named as missing, never guessed.  One convention: a condition that is not
on the record's problem list counts as absent (the problem list is the record's statement of the person's
conditions); everything else (smoking, pack-years, a lab value, a questionnaire answer) is missing until
the record states it.  The safety messages come first and are never reworded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medassist.errors import ErrorCode, HealthInputError
from medassist.health import prevention, review, scores
from medassist.health.record import PatientRecord

DISCLAIMER = (
    "MedAssist informs; it does not diagnose or replace your clinician. This plan is built only from the record "
    "it was given, using the published scores and recommendations it names. Discuss it with your clinician "
    "before you change anything."
)
ASCVD_KEYS = ("coronary_heart_disease", "stroke_tia", "peripheral_arterial_disease")
DIABETES_KEYS = ("diabetes", "diabetes_type1", "diabetes_type2")
ANSWER_KEYS = ("phq9", "gad7", "findrisc")
# the blood-creatinine level (mg/dL) HAS-BLED counts as abnormal renal function: 200 umol/L (Pisters et al. 2010)
HAS_BLED_CREATININE_MG_DL = 200 / 88.4


def load_record(source: Mapping[str, Any] | str | Path, *, as_of: dt.date | str | None = None
                ) -> tuple[PatientRecord, dict[str, Any]]:
    """A record from a MedAssist JSON object or a FHIR R4 Bundle (a file path or the parsed object), and the
    questionnaire answers it carries (``"answers": {"phq9": [...], "gad7": [...], "findrisc": {...}}``)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise HealthInputError(ErrorCode.E851, path=str(path)) from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HealthInputError(ErrorCode.E852, path=str(path), detail=str(exc).splitlines()[0][:120]) from exc
    else:
        obj = source
    if not isinstance(obj, Mapping):
        raise HealthInputError(ErrorCode.E853, got=type(obj).__name__)
    obj = dict(obj)
    answers = obj.pop("answers", None) or {}
    if (not isinstance(answers, Mapping) or set(answers) - set(ANSWER_KEYS)
            or any(not isinstance(answers[k], list) for k in ("phq9", "gad7") if answers.get(k) is not None)
            or not isinstance(answers.get("findrisc") or {}, Mapping)):
        raise HealthInputError(ErrorCode.E854, keys=", ".join(ANSWER_KEYS))
    fhir = obj.get("resourceType") == "Bundle"
    try:
        if fhir:
            record = PatientRecord.from_fhir(obj, as_of=as_of)
        else:
            if as_of is not None:
                obj["as_of"] = as_of.isoformat() if isinstance(as_of, dt.date) else as_of
            record = PatientRecord.from_json(obj)
    except (TypeError, AttributeError, ValueError, KeyError, OverflowError) as exc:
        if isinstance(exc, HealthInputError):
            raise
        # a value of the wrong JSON type deep inside: say so without echoing the record
        raise HealthInputError(ErrorCode.E855, what="FHIR Bundle" if fhir else "patient record",
                               kind=type(exc).__name__) from None
    return record, dict(answers)


@dataclass
class HealthPlan:
    as_of: dt.date
    person: dict[str, Any]
    safety: list[dict[str, Any]]
    risks: list[scores.ScoreResult]
    prevention: list[prevention.PreventionItem]
    medication_review: review.MedicationReview
    goals: list[review.Goal]
    missing: dict[str, list[str]]
    unrecognised: list[str]
    disclaimer: str = DISCLAIMER
    notes: list[str] = field(default_factory=list)

    # -------------------------------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "safety": self.safety,  # first: what needs a clinician soon
            "person": self.person,
            "risks": [r.to_dict() for r in self.risks],
            "prevention": [p.to_dict() for p in self.prevention],
            "prevention_summary": prevention.summary(self.prevention),
            "medication_review": self.medication_review.to_dict(),
            "goals": [g.to_dict() for g in self.goals],
            "missing": self.missing,
            "unrecognised_conditions": self.unrecognised,
            "notes": self.notes,
            "disclaimer": self.disclaimer,
        }

    # -------------------------------------------------------------------------------------------- text
    def to_text(self) -> str:
        lines: list[str] = []
        if self.safety:
            lines.append("NEEDS A CLINICIAN SOON")
            lines += [f"  ! {s['message']}" for s in self.safety]
            lines.append("")
        p = self.person
        lines.append(f"Health plan for {p.get('age', '?')}-year-old {p.get('sex') or 'person'}, as of {self.as_of}")
        lines.append("")
        lines.append("Risks")
        for r in self.risks:
            if r.applicable:
                cat = f" ({r.category})" if r.category else ""
                lines.append(f"  - {r.name}: {r.value}{(' ' + r.unit) if r.unit else ''}{cat}. {r.interpretation or ''}".rstrip())
            else:
                lines.append(f"  - {r.name}: not calculated: {r.reason}")
        lines.append("")
        lines.append("Prevention")
        order = {"overdue": 0, "due": 1, "needs_information": 2, "up_to_date": 3, "not_applicable": 4}
        for item in sorted(self.prevention, key=lambda i: (order.get(i.status, 9), i.name)):
            if item.status == "not_applicable":
                continue
            lines.append(f"  - [{item.status.replace('_', ' ')}] {item.name}: {item.reason}")
        lines.append("")
        lines.append("Medicines")
        mr = self.medication_review
        if not mr.checked:
            lines.append(f"  {mr.reason}")
        else:
            lines.append(f"  {mr.note}")
            for a in mr.alerts:
                lines.append(f"  - [{a['severity']}] {a['title']}")
            for u in mr.unknown:
                lines.append(f"  - not recognised, not checked: {u.get('input', '')}")
        lines.append("")
        lines.append("Goals")
        for g in self.goals:
            lines.append(f"  - [{g.status.replace('_', ' ')}] {g.reason}")
        if not self.goals:
            lines.append("  none of the sourced targets applies to this record")
        if any(self.missing.values()):
            lines.append("")
            lines.append("What the record does not say (add it for a fuller plan)")
            for part, names in self.missing.items():
                if names:
                    lines.append(f"  - {part}: {', '.join(names)}")
        if self.unrecognised:
            lines.append("")
            lines.append(f"Conditions not recognised (kept, not used): {', '.join(self.unrecognised)}")
        lines.append("")
        lines.append(self.disclaimer)
        return "\n".join(lines)

    # -------------------------------------------------------------------------------------------- FHIR
    def to_fhir(self) -> dict[str, Any]:
        """A FHIR R4 Bundle (collection): one CarePlan whose activities are the due prevention items and the
        medication alerts, one Goal per target, and one RiskAssessment per calculated score."""
        patient_ref = {"reference": "Patient/p1"}
        entries: list[dict[str, Any]] = []
        goal_refs = []
        for i, g in enumerate(self.goals, 1):
            gid = f"goal-{i}"
            goal_refs.append({"reference": f"Goal/{gid}"})
            achievement = {"met": "achieved", "not_met": "not-achieved", "no_value": "no-progress"}[g.status]
            target: dict[str, Any] = {"measure": {"text": g.name}, "detailString": g.target}
            code = _LOINC.get(g.measure)
            if code:
                target["measure"]["coding"] = [{"system": "http://loinc.org", "code": code[0], "display": code[1]}]
            entries.append({"resource": {
                "resourceType": "Goal", "id": gid, "lifecycleStatus": "active", "subject": patient_ref,
                "achievementStatus": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/goal-achievement", "code": achievement}],
                    "text": g.reason},
                "description": {"text": f"{g.name}: {g.target}"}, "target": [target],
                "note": [{"text": f"Source: {g.source.get('title', '')}"}],
            }})
        activities = []
        for item in self.prevention:
            if item.status in ("due", "overdue", "needs_information"):
                detail: dict[str, Any] = {"status": "not-started", "description": f"{item.name}: {item.reason}"}
                if item.due_date:
                    detail["scheduledString"] = f"due {item.due_date.isoformat()}"
                activities.append({"detail": detail})
        for a in self.medication_review.alerts:
            activities.append({"detail": {"status": "not-started",
                                          "description": f"Medication review [{a['severity']}]: {a['title']}"}})
        for i, r in enumerate(self.risks, 1):
            if not r.applicable:
                continue
            prediction: dict[str, Any] = {"outcome": {"text": r.name}}
            if r.unit == "%" and isinstance(r.value, (int, float)):
                prediction["probabilityDecimal"] = round(float(r.value) / 100, 4)
            prediction["qualitativeRisk"] = {"text": f"{r.value} {r.unit} {r.category or ''}".strip()}
            entries.append({"resource": {
                "resourceType": "RiskAssessment", "id": f"risk-{i}", "status": "final", "subject": patient_ref,
                "method": {"text": r.name}, "prediction": [prediction],
                "note": [{"text": f"Source: {r.source.get('title', '')}"}],
            }})
        careplan = {
            "resourceType": "CarePlan", "id": "plan-1", "status": "active", "intent": "plan",
            "subject": patient_ref, "created": self.as_of.isoformat(),
            "title": "MedAssist health plan",
            "description": " ".join(s["message"] for s in self.safety) or "Prevention, medicines and goals.",
            "goal": goal_refs, "activity": activities,
            "note": [{"text": self.disclaimer}],
        }
        entries.insert(0, {"resource": careplan})
        return {"resourceType": "Bundle", "type": "collection", "entry": entries}


_LOINC = {
    "systolic_bp": ("8480-6", "Systolic blood pressure"),
    "diastolic_bp": ("8462-4", "Diastolic blood pressure"),
    "hba1c": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
    "ldl": ("13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation"),
    "bmi": ("39156-5", "Body mass index (BMI) [Ratio]"),
}


# ------------------------------------------------------------------------------------------------ plan
def _flag(keys: frozenset[str], *wanted: str) -> bool:
    return any(k in keys for k in wanted)


def _egfr(record: PatientRecord) -> scores.ScoreResult:
    return scores.egfr_ckd_epi_2021(creatinine=record.value("creatinine"), age=record.age, sex=record.sex,
                                    acr=record.value("urine_acr"))


def _risks(record: PatientRecord, meds: review.MedicationReview, answers: Mapping[str, Any],
           egfr: scores.ScoreResult) -> list[scores.ScoreResult]:
    keys = record.condition_keys
    age, sex = record.age, record.sex
    smoker = None if record.smoking is None else record.smoking == "current"
    antihypertensive = meds.takes_class("antihypertensive") if meds.checked else False
    diabetes = _flag(keys, *DIABETES_KEYS)
    out = []
    weight, height = record.value("weight_kg"), record.value("height_cm")
    out.append(scores.bmi(weight_kg=weight, height_cm=height, age=age))
    out.append(scores.pce_ascvd(
        age=age, sex=sex, race=record.race, total_cholesterol=record.value("total_cholesterol"),
        hdl=record.value("hdl"), sbp=record.value("systolic_bp"), bp_treated=antihypertensive, smoker=smoker,
        diabetes=diabetes, known_ascvd=_flag(keys, *ASCVD_KEYS)))
    out.append(egfr)
    if "atrial_fibrillation" in keys:
        out.append(scores.cha2ds2_vasc(
            congestive_heart_failure="heart_failure" in keys, hypertension="hypertension" in keys, age=age,
            diabetes=diabetes, stroke_tia_thromboembolism="stroke_tia" in keys,
            vascular_disease=_flag(keys, "coronary_heart_disease", "peripheral_arterial_disease"), sex=sex))
        sbp, creat = record.value("systolic_bp"), record.value("creatinine")
        on_vka = meds.takes_class("vitamin_k_antagonist") if meds.checked else False
        out.append(scores.has_bled(
            hypertension_uncontrolled=None if sbp is None else sbp > 160,
            abnormal_renal_function=True if "end_stage_kidney_disease" in keys else (
                None if creat is None else creat >= HAS_BLED_CREATININE_MG_DL),
            abnormal_liver_function="liver_disease" in keys, stroke="stroke_tia" in keys, bleeding=None,
            labile_inr=None if on_vka else False, age=age,
            drugs=(meds.takes_class("antiplatelet") or meds.takes_class("nsaid")) if meds.checked else False,
            alcohol=True if "alcohol_use_disorder" in keys else None))
    if not diabetes:
        fr = dict(answers.get("findrisc") or {})
        family = None
        fam = {item for item in record.family_history if item.startswith("diabetes")}
        if fam:
            family = "first_degree" if any(i.endswith("first_degree") for i in fam) else "second_degree"
        elif "family_history" in fr:
            family = fr.pop("family_history")
        out.append(scores.findrisc(
            age=age, sex=sex, bmi=record.bmi, waist_cm=record.value("waist_cm"),
            physically_active=fr.get("physically_active"), vegetables_fruit_daily=fr.get("vegetables_fruit_daily"),
            antihypertensive_medication=True if antihypertensive else fr.get("antihypertensive_medication",
                                                                             False if meds.checked else None),
            high_glucose_history=True if "prediabetes" in keys else fr.get("high_glucose_history"),
            family_history=family))
    if answers.get("phq9") is not None:
        out.append(scores.phq9(answers["phq9"]))
    if answers.get("gad7") is not None:
        out.append(scores.gad7(answers["gad7"]))
    return out


def make_plan(record: PatientRecord, *, answers: Mapping[str, Any] | None = None) -> HealthPlan:
    answers = dict(answers or {})
    egfr = _egfr(record)
    egfr_value = float(egfr.value) if egfr.applicable and egfr.value is not None else None
    meds = review.medication_review(record, egfr_value)
    risks = _risks(record, meds, answers, egfr)
    ascvd = next((r.value for r in risks if r.score_id == "pce_ascvd" and r.applicable), None)
    items = prevention.due_items(record, ascvd_10y=ascvd)
    safety: list[dict[str, Any]] = []
    cautions: list[str] = []
    catalogue = scores.load_scores()
    for r in risks:  # a score's safety flag (PHQ-9 question 9) first, word for word; other flags are cautions
        safety_ids = {f.id for f in catalogue.specs[r.score_id].flags}
        for fid, msg in zip(r.flag_ids, r.flags, strict=True):
            if fid in safety_ids:
                safety.append({"id": fid, "message": msg, "source": r.source})
            else:
                cautions.append(msg)
    safety += [a.to_dict() for a in review.safety_alerts(record, egfr_value)]
    missing = {
        "risks": sorted({m for r in risks for m in r.missing}),
        "prevention": sorted({m for i in items for m in i.missing}),
    }
    person = {"age": record.age, "sex": record.sex, "conditions": sorted(record.condition_keys),
              "medications": list(record.medications), "allergies": list(record.allergies)}
    notes = list(dict.fromkeys(cautions))
    if not record.medications:
        notes.append("No medicines are listed: the pooled cohort equations were given 'not treated for blood pressure'.")
    return HealthPlan(record.as_of, person, safety, risks, items, meds, review.goals(record), missing,
                      record.unrecognised, notes=notes)
