"""The clinicians' review queue: approve a consultation's result, or amend it with the corrected diagnosis."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy import select

from medassist.service import consult
from medassist.service.db import ConsultationRecord
from medassist.service.deps import ClinicianUser, Context, DbSession, ResourcesDep, audit
from medassist.service.schemas import Problem, QueueItem, ReviewIn, ReviewOut

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


@router.get("", response_model=list[QueueItem])
def review_queue(request: Request, user: ClinicianUser, ctx: Context, res: ResourcesDep, db: DbSession,
                 status_filter: Annotated[Literal["pending", "approved", "amended", "all"], Query(alias="status")] = "pending",
                 limit: int = 100) -> list[dict[str, Any]]:
    """Finished consultations to review: red flags first, then the most urgent triage, then the oldest."""
    query = select(ConsultationRecord).where(ConsultationRecord.status == "complete")
    if status_filter != "all":
        query = query.where(ConsultationRecord.review_status == status_filter)
    rows = list(db.scalars(query.order_by(ConsultationRecord.created_at).limit(min(max(limit, 1), 500))))
    rows.sort(key=lambda r: (not r.red_flag, consult.TRIAGE_ORDER.get(r.triage_level or "", 9)))
    out = []
    for rec in rows:
        state = ctx.cipher.decrypt_json(rec.state_enc)
        out.append({**consult.summary(rec, res.kb), "age": state.get("age"), "sex": state.get("sex")})
    audit(db, request, user, "list", "review_queue")
    db.commit()
    return out


@router.post("/{consultation_id}", response_model=ReviewOut, status_code=status.HTTP_201_CREATED,
             responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}})
def review_consultation(request: Request, consultation_id: str, body: ReviewIn, user: ClinicianUser, ctx: Context,
                        res: ResourcesDep, db: DbSession) -> dict[str, Any]:
    """Approve the result, or amend it with a corrected diagnosis (a knowledge-base condition id) and a comment."""
    rec = db.get(ConsultationRecord, consultation_id[:64])
    if rec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such consultation")
    if rec.status != "complete":
        raise HTTPException(status.HTTP_409_CONFLICT, "the patient has not finished this consultation yet")
    if body.decision == "amend" and body.condition not in res.kb.conditions:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "unknown condition id; pick one from GET /v1/knowledge/conditions")
    item = consult.review(db, res, ctx.cipher, rec, user, body.decision, body.condition, body.comment)
    audit(db, request, user, body.decision, "consultation", rec.id)
    db.commit()
    ctx.metrics.reviews.labels(body.decision).inc()
    return consult.review_out(item, ctx.cipher, res.kb)


@router.get("/{consultation_id}", response_model=list[ReviewOut], responses={404: {"model": Problem}})
def reviews_of_consultation(request: Request, consultation_id: str, user: ClinicianUser, ctx: Context,
                            res: ResourcesDep, db: DbSession) -> list[dict[str, Any]]:
    """Every review of one consultation, oldest first."""
    if db.get(ConsultationRecord, consultation_id[:64]) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such consultation")
    out = consult.reviews_of(db, ctx.cipher, res.kb, consultation_id)
    audit(db, request, user, "read", "review", consultation_id[:64])
    db.commit()
    return out
