"""Consultation records: start, answer, finish and review, shared by the HTTP routes and the demo seeder.

The interview state (``Consultation.to_state()``, which holds the patient's text) and the latest result
(which quotes it) are stored encrypted; the clear columns hold only what the review queue sorts on.
A red flag stops the interview: the patient is told to get urgent help, not asked more questions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from medassist.diagnosis.engine import Consultation, DiagnosisEngine
from medassist.doc import TRIAGE_LEVELS, Assessment
from medassist.service.db import ConsultationRecord, LabelledExample, Review, User, utcnow
from medassist.service.resources import Resources
from medassist.service.security import TextCipher

TRIAGE_ORDER = {level: i for i, level in enumerate(TRIAGE_LEVELS)}
SEE_CLINICIAN = ("This is not a diagnosis. Please discuss it with a doctor, nurse or pharmacist, who can examine you; "
                 "get urgent help if you feel very unwell or get worse.")


def _finish_result(assessment: Assessment) -> tuple[dict[str, Any], bool]:
    """The engine's assessment as stored and sent, with the advice to see a clinician; and whether the
    interview is over (the engine ends it on an emergency, for every caller)."""
    result = assessment.to_dict()
    result["see_clinician"] = SEE_CLINICIAN
    return result, assessment.interview_done


def _apply(rec: ConsultationRecord, consultation: Consultation, result: dict[str, Any], cipher: TextCipher,
           finished: bool) -> None:
    rec.state_enc = cipher.encrypt_json(consultation.to_state())
    rec.result_enc = cipher.encrypt_json(result)
    rec.triage_level = (result.get("triage") or {}).get("level")
    rec.red_flag = bool(result.get("red_flags"))
    diff = result.get("differential") or []
    rec.top_condition = diff[0]["condition"] if diff else None
    rec.top_probability = diff[0]["probability"] if diff else None
    rec.questions_answered = len(consultation.answers)
    if finished and rec.status != "complete":
        rec.status = "complete"
        rec.review_status = "pending"
    rec.updated_at = utcnow()


def start(db: Session, res: Resources, cipher: TextCipher, user: User, text: str, age: float | None,
          sex: str | None, deadline: float | None = None) -> tuple[ConsultationRecord, dict[str, Any]]:
    engine: DiagnosisEngine = res.engine

    def work() -> tuple[Consultation, Assessment]:
        consultation = engine.start(text, age, sex)
        return consultation, engine.assess(consultation)

    consultation, assessment = res.run_engine(work, deadline)
    result, finished = _finish_result(assessment)
    if not result.get("findings"):
        finished = False  # nothing understood yet: the patient may describe again, nothing to review
    rec = ConsultationRecord(patient_id=user.id, status="interview", review_status="none")
    _apply(rec, consultation, result, cipher, finished)
    db.add(rec)
    db.flush()
    return rec, result


def answer(db: Session, res: Resources, cipher: TextCipher, rec: ConsultationRecord, finding: str,
           reply: str, deadline: float | None = None) -> dict[str, Any]:
    consultation = Consultation.from_state(cipher.decrypt_json(rec.state_enc))

    def work() -> Assessment:
        res.engine.answer(consultation, finding, reply)
        return res.engine.assess(consultation)  # type: ignore[no-any-return]

    result, finished = _finish_result(res.run_engine(work, deadline))
    _apply(rec, consultation, result, cipher, finished)
    return result


def finish(rec: ConsultationRecord) -> None:
    if rec.status != "complete":
        rec.status = "complete"
        rec.review_status = "pending"
        rec.updated_at = utcnow()


def latest_review_id(db: Session, consultation_id: str) -> int | None:
    from sqlalchemy import func

    return db.scalar(select(func.max(Review.id)).where(Review.consultation_id == consultation_id))


def review(db: Session, res: Resources, cipher: TextCipher, rec: ConsultationRecord, clinician: User, decision: str,
           condition: str | None, comment: str | None, supersedes: int | None = None,
           deadline: float | None = None) -> Review:
    """Record a clinician's approval or amendment as a new row (never an overwrite: ``supersedes`` names the
    review it replaces); an amendment is kept as a de-identified labelled example."""
    from medassist.service.feedback import default_deidentifier

    item = Review(consultation_id=rec.id, clinician_id=clinician.id, decision=decision,
                  condition_id=condition if decision == "amend" else rec.top_condition,
                  comment_enc=cipher.encrypt(comment) if comment else None, supersedes_id=supersedes)
    db.add(item)
    db.flush()
    rec.review_status = "amended" if decision == "amend" else "approved"
    rec.updated_at = utcnow()
    if decision == "amend" and condition:
        from medassist.doc import Note

        text = cipher.decrypt_json(rec.state_enc)["text"]
        deid = default_deidentifier()
        note = res.run_nlp(lambda: deid(Note(text=text)), deadline)
        db.add(LabelledExample(consultation_id=rec.id, review_id=item.id, label=condition,
                               text_enc=cipher.encrypt(note.deid_text or "")))
    return item


def reviews_of(db: Session, cipher: TextCipher, kb: Any, consultation_id: str) -> list[dict[str, Any]]:
    rows = db.scalars(select(Review).where(Review.consultation_id == consultation_id).order_by(Review.id))
    return [review_out(r, cipher, kb) for r in rows]


def review_out(r: Review, cipher: TextCipher, kb: Any) -> dict[str, Any]:
    cond = kb.conditions.get(r.condition_id) if r.condition_id else None
    return {"id": r.id, "consultation_id": r.consultation_id, "decision": r.decision, "condition": r.condition_id,
            "condition_name": cond.name if cond else None,
            "comment": cipher.decrypt(r.comment_enc) if r.comment_enc else None, "clinician_id": r.clinician_id,
            "created_at": r.created_at, "supersedes": r.supersedes_id}


def triage_words(kb: Any, level: str | None) -> tuple[str | None, str | None]:
    """A triage level's label and group, from the knowledge base's triage.yaml (the level itself as the label
    when the knowledge base has no triage table)."""
    info = kb.triage.get(level) if level else None
    return (info.label, info.group) if info else (level, None)


def summary(rec: ConsultationRecord, kb: Any) -> dict[str, Any]:
    cond = kb.conditions.get(rec.top_condition) if rec.top_condition else None
    label, group = triage_words(kb, rec.triage_level)
    return {"id": rec.id, "created_at": rec.created_at, "updated_at": rec.updated_at, "status": rec.status,
            "triage_level": rec.triage_level, "triage_label": label, "triage_group": group, "red_flag": rec.red_flag,
            "top_condition": rec.top_condition, "top_condition_name": cond.name if cond else None,
            "top_probability": rec.top_probability, "questions_answered": rec.questions_answered,
            "review_status": rec.review_status}
