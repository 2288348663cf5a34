"""The audit log, for admins: who read or changed which record (ids and actions, no patient text)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from medassist.service.db import AuditEvent
from medassist.service.deps import AdminUser, DbSession
from medassist.service.schemas import AuditOut

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", response_model=list[AuditOut])
def audit_log(admin: AdminUser, db: DbSession, resource_id: str | None = None, actor_id: int | None = None,
              limit: int = 200) -> list[AuditEvent]:
    """Newest events first, optionally for one record or one account."""
    query = select(AuditEvent)
    if resource_id:
        query = query.where(AuditEvent.resource_id == resource_id[:64])
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    return list(db.scalars(query.order_by(AuditEvent.id.desc()).limit(min(max(limit, 1), 2000))))
