"""Patient consultations: start from free text, answer the next question, finish, read, list."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy import select

from medassist.service import consult, stored
from medassist.service.db import ConsultationRecord, User
from medassist.service.deps import Context, CurrentUser, DbSession, ResourcesDep, audit, deadline_of
from medassist.service.schemas import (
    AnswerIn,
    ConsultationCreate,
    ConsultationOut,
    ConsultationSummary,
    Problem,
)

router = APIRouter(prefix="/v1/consultations", tags=["consultations"])
NOT_FOUND = "no consultation with this id is visible to you"
RECORD_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_OFFSET = 1_000_000


def record_id(value: str) -> str | None:
    """The id if it has the shape of one (32 hex digits), else None: odd ids never reach the database."""
    return value if RECORD_ID.match(value) else None


def load_for(db: DbSession, request: Request, user: User, consultation_id: str, *, write: bool = False) -> ConsultationRecord:
    """The record if ``user`` may see it (its patient; clinicians and admins may read, not answer); else 404."""
    cid = record_id(consultation_id)
    rec = db.get(ConsultationRecord, cid) if cid else None
    allowed = rec is not None and (rec.patient_id == user.id or (not write and user.role in ("clinician", "admin")))
    if not allowed:
        audit(db, request, user, "update" if write else "read", "consultation", cid, outcome="denied")
        db.commit()
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    assert rec is not None
    return rec


def _explainer(request: Request, ctx: Context, res: ResourcesDep) -> tuple[Any, str | None]:
    """The app's explainer, built on first use: extractive unless the settings name a generation backend (which
    needs the note pipeline for its grounding check); a backend that cannot be used leaves the extractive
    explanation, with the reason in every answer's ``fallback``."""
    cached = getattr(request.app.state, "explainer", None)
    if cached is not None and cached[0] is res.nlp:
        return cached[1], cached[2]
    from medassist.errors import MedAssistError
    from medassist.generate.backends import GenerationConfig, fallback_reason, load_backend
    from medassist.generate.explain import Explainer

    explainer, fallback = Explainer(None), None
    try:
        cfg = GenerationConfig.from_env(backend=ctx.settings.llm_backend)
        backend = load_backend(cfg)
    except MedAssistError as exc:
        fallback = fallback_reason(exc, "explanation")
    else:
        if backend is not None and res.nlp is None:
            fallback = "the note pipeline is not loaded on this server: the extractive explanation is shown"
        elif backend is not None:
            explainer = Explainer(res.nlp, backend, cfg)
    request.app.state.explainer = (res.nlp, explainer, fallback)
    return explainer, fallback


def explain(request: Request, ctx: Context, res: ResourcesDep, result: dict[str, Any]) -> dict[str, Any]:
    """The result in plain words (the safety text first and verbatim; no model is asked in an emergency)."""
    explainer, fallback = _explainer(request, ctx, res)
    if explainer.backend is None or result.get("emergency"):
        exp = explainer(result)
    else:  # the model's sentences are read by the note pipeline: on its worker, within the request's deadline
        exp = res.run_nlp(lambda: explainer(result), deadline_of(request))
    if fallback and exp.fallback is None:
        exp.fallback = fallback
    data: dict[str, Any] = exp.to_dict()
    return data


def full(request: Request, rec: ConsultationRecord, ctx: Context, res: ResourcesDep, db: DbSession,
         result: dict[str, Any] | None = None) -> dict[str, Any]:
    state = ctx.cipher.decrypt_json(rec.state_enc)
    result = result if result is not None else stored.consultation_result(ctx.cipher.decrypt_json(rec.result_enc))
    return {**consult.summary(rec, res.kb), "text": state["text"], "result": result,
            "finished": rec.status == "complete", "reviews": consult.reviews_of(db, ctx.cipher, res.kb, rec.id),
            "explanation": explain(request, ctx, res, result)}


# ConsultationOut documents the result; the body is the result as the engine wrote (and the database holds) it,
# validated against the schema: exclude_unset adds no null for a key the JSON does not have
@router.post("", response_model=ConsultationOut, response_model_exclude_unset=True,
             status_code=status.HTTP_201_CREATED, responses={422: {"model": Problem}})
def start_consultation(request: Request, body: ConsultationCreate, user: CurrentUser, ctx: Context, res: ResourcesDep,
                       db: DbSession) -> dict[str, Any]:
    """Start a consultation from a description in the patient's own words (with age and sex)."""
    rec, result = consult.start(db, res, ctx.cipher, user, body.text, body.age, body.sex, deadline_of(request))
    audit(db, request, user, "create", "consultation", rec.id)
    db.commit()
    ctx.metrics.consultations.inc()
    if rec.red_flag:
        ctx.metrics.red_flags.inc()
    return {**consult.summary(rec, res.kb), "text": body.text, "result": result, "finished": rec.status == "complete",
            "reviews": [], "explanation": explain(request, ctx, res, result)}


@router.get("", response_model=list[ConsultationSummary])
def list_consultations(request: Request, user: CurrentUser, res: ResourcesDep, db: DbSession,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> list[dict[str, Any]]:
    """The caller's own consultations, newest first."""
    rows = db.scalars(select(ConsultationRecord).where(ConsultationRecord.patient_id == user.id)
                      .order_by(ConsultationRecord.created_at.desc(), ConsultationRecord.id)
                      .limit(limit).offset(offset))
    out = [consult.summary(r, res.kb) for r in rows]
    audit(db, request, user, "list", "consultation")
    db.commit()
    return out


@router.get("/{consultation_id}", response_model=ConsultationOut, response_model_exclude_unset=True,
            responses={404: {"model": Problem}})
def read_consultation(request: Request, consultation_id: str, user: CurrentUser, ctx: Context, res: ResourcesDep,
                      db: DbSession) -> dict[str, Any]:
    """One consultation with its text, latest result and clinician reviews (its patient, clinicians, admins)."""
    rec = load_for(db, request, user, consultation_id)
    out = full(request, rec, ctx, res, db)
    audit(db, request, user, "read", "consultation", rec.id)
    db.commit()
    return out


@router.post("/{consultation_id}/answers", response_model=ConsultationOut, response_model_exclude_unset=True,
             responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}})
def answer_question(request: Request, consultation_id: str, body: AnswerIn, user: CurrentUser, ctx: Context,
                    res: ResourcesDep, db: DbSession) -> dict[str, Any]:
    """Answer a question (yes, no or dont_know) and get the updated result and the next question."""
    rec = load_for(db, request, user, consultation_id, write=True)
    if rec.status == "complete":
        raise HTTPException(status.HTTP_409_CONFLICT, "this consultation is finished; start a new one")
    result = consult.answer(db, res, ctx.cipher, rec, body.finding, body.answer, deadline_of(request))
    audit(db, request, user, "update", "consultation", rec.id)
    db.commit()  # a concurrent change raises StaleDataError -> 409 (app.py)
    if rec.red_flag:
        ctx.metrics.red_flags.inc()
    return full(request, rec, ctx, res, db, result)


@router.post("/{consultation_id}/finish", response_model=ConsultationOut, response_model_exclude_unset=True,
             responses={404: {"model": Problem}})
def finish_consultation(request: Request, consultation_id: str, user: CurrentUser, ctx: Context, res: ResourcesDep,
                        db: DbSession) -> dict[str, Any]:
    """Stop the interview now and send the consultation to the clinicians' review queue."""
    rec = load_for(db, request, user, consultation_id, write=True)
    consult.finish(rec)
    audit(db, request, user, "update", "consultation", rec.id)
    db.commit()
    return full(request, rec, ctx, res, db)
