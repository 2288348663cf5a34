"""Medication safety check: interactions, contraindications, allergies and duplicate therapy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status

from medassist.service.deps import CurrentUser, DbSession, ResourcesDep, audit
from medassist.service.schemas import MedCheckIn

router = APIRouter(prefix="/v1/medications", tags=["medications"])


@router.post("/check")
def check_medications(request: Request, body: MedCheckIn, user: CurrentUser, res: ResourcesDep,
                      db: DbSession) -> dict[str, Any]:
    """Alerts for a drug list with the patient's conditions and allergies (supports, never replaces, a pharmacist)."""
    from medassist.errors import DrugInputError

    try:
        result = res.drug_check(body.drugs, body.conditions, body.allergies)
    except DrugInputError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    audit(db, request, user, "check", "medications")
    db.commit()
    return result
