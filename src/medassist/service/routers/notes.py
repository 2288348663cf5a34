"""Clinical notes: analysis (entities, assertions, codes, FHIR R4 Bundle) and de-identification."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status

from medassist.nlp.output import deid_record, note_to_json
from medassist.service import stored
from medassist.service.db import NoteRecord
from medassist.service.deps import ClinicianUser, Context, DbSession, Nlp, ResourcesDep, audit, deadline_of
from medassist.service.routers.consultations import record_id
from medassist.service.schemas import DeidIn, DeidOut, NoteIn, NoteOut, Problem, SummaryIn, SummaryOut

router = APIRouter(prefix="/v1/notes", tags=["notes"])


def analyse(nlp: Any, res: ResourcesDep, text: str, deadline: float | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The note's analysis (``medassist analyze --format json`` without the text) and its FHIR R4 Bundle."""
    from medassist.nlp.fhir import build_bundle

    note = res.run_nlp(lambda: nlp(text), deadline)
    return note_to_json(note, include_text=False), build_bundle(note)


# NoteOut documents the analysis; the body is medassist.nlp.output's JSON (as stored), validated against the
# schema: exclude_unset adds no null for a key the JSON does not have (an attribute that does not apply)
@router.post("", response_model=NoteOut, response_model_exclude_unset=True, status_code=status.HTTP_201_CREATED)
def analyse_note(request: Request, body: NoteIn, user: ClinicianUser, ctx: Context, nlp: Nlp, res: ResourcesDep,
                 db: DbSession) -> dict[str, Any]:
    """Find problems, findings, drugs, tests and procedures with their assertion and codes; FHIR Bundle too."""
    analysis, bundle = analyse(nlp, res, body.text, deadline_of(request))
    if not body.store:
        audit(db, request, user, "analyse", "note")
        db.commit()
        return {"id": None, "created_at": None, "analysis": analysis, "fhir": bundle}
    rec = NoteRecord(owner_id=user.id, text_enc=ctx.cipher.encrypt(body.text),
                     analysis_enc=ctx.cipher.encrypt_json({"analysis": analysis, "fhir": bundle}),
                     entity_count=len(analysis["entities"]), phi_count=len(analysis["phi"]))
    db.add(rec)
    db.flush()
    audit(db, request, user, "create", "note", rec.id)
    db.commit()
    return {"id": rec.id, "created_at": rec.created_at, "analysis": analysis, "fhir": bundle}


@router.post("/deid", response_model=DeidOut)
def deidentify(request: Request, body: DeidIn, user: ClinicianUser, res: ResourcesDep, db: DbSession) -> dict[str, Any]:
    """Replace identifiers (names, dates, MRNs, phones, addresses...) by their type, or mask them."""
    note = res.deidentify(body.text, deadline_of(request), replace=body.replace)
    audit(db, request, user, "deidentify", "note")
    db.commit()
    record = deid_record(note)
    return {"text": record["text"], "phi": record["phi"]}


def _summarizer(request: Request, nlp: Any, ctx: Any) -> Any:
    """The app's summarizer, built on first use: extractive unless the settings name a generation backend; a
    backend that cannot be loaded leaves the extractive summary, with the reason in every answer's fallback."""
    cached = getattr(request.app.state, "summarizer", None)
    if cached is not None and cached[0] is nlp:
        return cached[1], cached[2]
    from medassist.errors import MedAssistError
    from medassist.generate.backends import GenerationConfig, fallback_reason, load_backend
    from medassist.generate.summary import Summarizer

    fallback = None
    backend = cfg = None
    try:
        cfg = GenerationConfig.from_env(backend=ctx.settings.llm_backend)
        backend = load_backend(cfg)
    except MedAssistError as exc:
        fallback = fallback_reason(exc)
    summarizer = Summarizer(nlp, backend, cfg, deidentify=None)
    request.app.state.summarizer = (nlp, summarizer, fallback)
    return summarizer, fallback


@router.post("/summary", response_model=SummaryOut)
def summarize_note(request: Request, body: SummaryIn, user: ClinicianUser, ctx: Context, nlp: Nlp,
                   res: ResourcesDep, db: DbSession) -> dict[str, Any]:
    """A problem-oriented summary: problems with status, medications with changes, allergies, results, plan.
    Extractive unless the server is configured with a generation backend; generated sentences are checked
    against the note and replaced by extractive ones when they are not supported. Nothing is stored."""
    summarizer, fallback = _summarizer(request, nlp, ctx)
    summary = res.run_nlp(lambda: summarizer(body.text, fallback=fallback), deadline_of(request))
    audit(db, request, user, "summarize", "note")
    db.commit()
    return summary.to_dict()  # type: ignore[no-any-return]


def _load(db: DbSession, request: Request, user: Any, note_id: str) -> NoteRecord:
    nid = record_id(note_id)
    rec = db.get(NoteRecord, nid) if nid else None
    if rec is None or (rec.owner_id != user.id and user.role != "admin"):
        audit(db, request, user, "read", "note", nid, outcome="denied")
        db.commit()
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no note with this id is visible to you")
    return rec


@router.get("/{note_id}", response_model=NoteOut, response_model_exclude_unset=True,
            responses={404: {"model": Problem}})
def read_note(request: Request, note_id: str, user: ClinicianUser, ctx: Context, db: DbSession) -> dict[str, Any]:
    """A stored note's analysis and FHIR Bundle (its author and admins)."""
    rec = _load(db, request, user, note_id)
    data = ctx.cipher.decrypt_json(rec.analysis_enc)
    analysis = stored.note_analysis(data["analysis"], ctx.cipher.decrypt(rec.text_enc))
    audit(db, request, user, "read", "note", rec.id)
    db.commit()
    return {"id": rec.id, "created_at": rec.created_at, "analysis": analysis, "fhir": data["fhir"]}


@router.get("/{note_id}/fhir", responses={404: {"model": Problem}})
def read_note_fhir(request: Request, note_id: str, user: ClinicianUser, ctx: Context, db: DbSession) -> dict[str, Any]:
    """The stored note as a FHIR R4 Bundle only."""
    rec = _load(db, request, user, note_id)
    data = ctx.cipher.decrypt_json(rec.analysis_enc)
    audit(db, request, user, "read", "note", rec.id)
    db.commit()
    return data["fhir"]  # type: ignore[no-any-return]
