"""The personal health plan: risks, prevention due, medication review and goals for a patient record."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status

from medassist.service.deps import CurrentUser, DbSession, audit
from medassist.service.schemas import HealthPlanIn

router = APIRouter(prefix="/v1/health", tags=["health plan"])
log = logging.getLogger("medassist.service")
MAX_RECORD_BYTES = 200_000


@router.post("/plan")
def health_plan(request: Request, body: HealthPlanIn, user: CurrentUser, db: DbSession) -> dict[str, Any]:
    """A plan from a patient record (MedAssist JSON or a FHIR R4 Bundle): what needs a clinician soon first, then
    risk scores, screening and vaccinations due, the medication review and goals, each with its source."""
    from medassist.errors import InputError
    from medassist.health.plan import load_record, make_plan

    if len(json.dumps(body.record, default=str)) > MAX_RECORD_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"The record is larger than {MAX_RECORD_BYTES:,} bytes; send one patient's record.")
    try:
        record, answers = load_record(body.record)
        plan = make_plan(record, answers=answers)
    except InputError as exc:  # catalogued messages name fields and codes, never the record's text
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        log.warning("health plan: record not usable (%s)", type(exc).__name__)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "The record could not be read. Check it against the MedAssist record format "
                            "(examples/health/patient.json) or send a FHIR R4 Bundle.") from None
    audit(db, request, user, "plan", "health")
    db.commit()
    return plan.to_fhir() if body.format == "fhir" else plan.to_dict()
