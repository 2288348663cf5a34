"""The audit log, for admins: who read or changed which record (ids and actions, no patient text)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from medassist.service.db import AuditEvent
from medassist.service.deps import AdminUser, DbSession
from medassist.service.schemas import AuditOut

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", response_model=list[AuditOut])
def audit_log(admin: AdminUser, db: DbSession,
              resource_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_./{}:-]+$")] = None,
              actor_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
              limit: Annotated[int, Query(ge=1, le=2000)] = 200) -> list[AuditEvent]:
    """Newest events first, optionally for one record or one account."""
    query = select(AuditEvent)
    if resource_id:
        query = query.where(AuditEvent.resource_id == resource_id)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    return list(db.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
