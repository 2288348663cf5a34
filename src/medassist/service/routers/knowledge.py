"""The knowledge base's conditions (the choices a clinician can amend a result to)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from medassist.service.deps import ClinicianUser, ResourcesDep
from medassist.service.schemas import ConditionOut

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])


@router.get("/conditions", response_model=list[ConditionOut])
def conditions(user: ClinicianUser, res: ResourcesDep, q: Annotated[str | None, Query(max_length=80)] = None) -> list[dict[str, Any]]:
    """Conditions by name, optionally filtered by a case-insensitive substring of the name, id or ICD-10 code."""
    needle = (q or "").strip().lower()[:80]
    out = []
    for cid, cond in res.kb.conditions.items():
        if needle and needle not in cond.name.lower() and needle not in cid and needle not in (cond.icd10 or "").lower():
            continue
        out.append({"id": cid, "name": cond.name, "icd10": cond.icd10, "specialty": getattr(cond, "specialty", None)})
    return sorted(out, key=lambda c: c["name"].lower())
