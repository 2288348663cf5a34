"""The clinicians' review queue: approve a consultation's result, or amend it with the corrected diagnosis."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import case, func, select

from medassist.service import consult
from medassist.service.db import ConsultationRecord
from medassist.service.deps import ClinicianUser, Context, DbSession, ResourcesDep, audit, deadline_of
from medassist.service.routers.consultations import record_id
from medassist.service.schemas import Problem, QueueItem, ReviewIn, ReviewOut

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])
log = logging.getLogger("medassist.service")
# the triage order, as SQL: the database sorts the whole queue before a page is cut from it
TRIAGE_RANK = case(consult.TRIAGE_ORDER, value=ConsultationRecord.triage_level, else_=9)


@router.get("", response_model=list[QueueItem])
def review_queue(request: Request, response: Response, user: ClinicianUser, ctx: Context, res: ResourcesDep,
                 db: DbSession,
                 status_filter: Annotated[Literal["pending", "approved", "amended", "all"], Query(alias="status")] = "pending",
                 limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[dict[str, Any]]:
    """Finished consultations to review: red flags first, then the most urgent triage, then the oldest.

    The order is the query's own, so a page never leaves out a red flag that a later page would hold.
    ``X-Total-Count`` gives the number of consultations in the queue; page with ``offset`` and ``limit``.
    """
    where = [ConsultationRecord.status == "complete"]
    if status_filter != "all":
        where.append(ConsultationRecord.review_status == status_filter)
    query = (select(ConsultationRecord).where(*where)
             .order_by(ConsultationRecord.red_flag.desc(), TRIAGE_RANK, ConsultationRecord.created_at,
                       ConsultationRecord.id)
             .limit(limit).offset(offset))
    rows = list(db.scalars(query))
    response.headers["X-Total-Count"] = str(db.scalar(select(func.count()).select_from(ConsultationRecord).where(*where)))
    out = []
    unreadable = 0
    for rec in rows:
        try:
            state = ctx.cipher.decrypt_json(rec.state_enc)
        except ValueError:  # one damaged record must not hide the rest of the queue
            unreadable += 1
            state = {}
        out.append({**consult.summary(rec, res.kb), "age": state.get("age"), "sex": state.get("sex")})
    if unreadable:
        log.error("queue holds records that cannot be decrypted", extra={"event": "undecryptable_record",
                                                                        "count": unreadable})
    audit(db, request, user, "list", "review_queue")
    db.commit()
    return out


@router.post("/{consultation_id}", response_model=ReviewOut, status_code=status.HTTP_201_CREATED,
             responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}})
def review_consultation(request: Request, consultation_id: str, body: ReviewIn, user: ClinicianUser, ctx: Context,
                        res: ResourcesDep, db: DbSession) -> dict[str, Any]:
    """Approve the result, or amend it with a corrected diagnosis (a knowledge-base condition id) and a comment."""
    cid = record_id(consultation_id)
    rec = db.get(ConsultationRecord, cid) if cid else None
    if rec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such consultation")
    if rec.patient_id == user.id:  # separation of duties: nobody reviews their own consultation
        audit(db, request, user, body.decision, "consultation", rec.id, outcome="denied")
        db.commit()
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you cannot review your own consultation; "
                                                       "another clinician has to")
    if rec.status != "complete":
        raise HTTPException(status.HTTP_409_CONFLICT, "the patient has not finished this consultation yet")
    if body.decision == "amend" and body.condition not in res.kb.conditions:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "unknown condition id; pick one from GET /v1/knowledge/conditions")
    latest = consult.latest_review_id(db, rec.id)
    if body.supersedes != latest:
        detail = (f"this consultation was reviewed meanwhile (latest review {latest}); read its reviews and "
                  f"send supersedes={latest} to add yours after it") if latest is not None else \
            "this consultation has no review yet; leave supersedes out"
        raise HTTPException(status.HTTP_409_CONFLICT, detail)
    item = consult.review(db, res, ctx.cipher, rec, user, body.decision, body.condition, body.comment,
                          supersedes=latest, deadline=deadline_of(request))
    audit(db, request, user, body.decision, "consultation", rec.id)
    db.commit()
    ctx.metrics.reviews.labels(body.decision).inc()
    return consult.review_out(item, ctx.cipher, res.kb)


@router.get("/{consultation_id}", response_model=list[ReviewOut], responses={404: {"model": Problem}})
def reviews_of_consultation(request: Request, consultation_id: str, user: ClinicianUser, ctx: Context,
                            res: ResourcesDep, db: DbSession) -> list[dict[str, Any]]:
    """Every review of one consultation, oldest first."""
    cid = record_id(consultation_id)
    if cid is None or db.get(ConsultationRecord, cid) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such consultation")
    out = consult.reviews_of(db, ctx.cipher, res.kb, cid)
    audit(db, request, user, "read", "review", cid)
    db.commit()
    return out
