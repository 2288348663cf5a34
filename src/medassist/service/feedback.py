"""Clinicians' corrections as training data in the fine-tuning engine's classification format.

Each amended consultation gives one example: the patient's text and the corrected knowledge-base
condition id as the label (the latest amendment wins).  The text is de-identified AT EXPORT TIME by the
note pipeline's de-identifier with its default detection settings (``Deidentifier(replace="tag")``), never
by whatever de-identification the server's note pipeline was configured with when the amendment was
made: training files follow the project's default de-identification (rules, or the hybrid model +
rules once that is the default) automatically.  CSV cells are escaped against formula injection.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select

from medassist.service.db import AuditEvent, ConsultationRecord, LabelledExample, Review, session_scope
from medassist.service.deps import ServiceContext

log = logging.getLogger("medassist.service")

# a spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


_DEID: dict[Any, Any] = {}


def default_deidentifier() -> Any:
    """The pipeline's de-identifier with its default detection settings (built once per process)."""
    from medassist.nlp.deid import Deidentifier

    if Deidentifier not in _DEID:  # keyed by the class: a new default is picked up, never a stale one
        _DEID.clear()
        _DEID[Deidentifier] = Deidentifier(replace="tag")
    return _DEID[Deidentifier]


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote in front."""
    return "'" + value if value.startswith(FORMULA_START) else value


def export(ctx: ServiceContext, out: Path, *, include_approved: bool = False) -> int:
    from medassist.doc import Note

    deid = default_deidentifier()
    sources: dict[str, tuple[str, str]] = {}  # consultation id -> (text to de-identify, label)
    unreadable = 0
    with session_scope(ctx.sessions) as db:
        amended = db.execute(select(LabelledExample, ConsultationRecord)
                             .join(ConsultationRecord, LabelledExample.consultation_id == ConsultationRecord.id)
                             .order_by(LabelledExample.id))
        for ex, rec in amended:
            try:
                text = ctx.cipher.decrypt_json(rec.state_enc)["text"]
            except ValueError:
                try:
                    text = ctx.cipher.decrypt(ex.text_enc)  # de-identified when amended; de-identified again below
                except ValueError:
                    unreadable += 1
                    continue
            sources[ex.consultation_id] = (text, ex.label)
        if include_approved:
            approved = db.execute(select(Review, ConsultationRecord)
                                  .join(ConsultationRecord, Review.consultation_id == ConsultationRecord.id)
                                  .where(ConsultationRecord.review_status == "approved", Review.decision == "approve")
                                  .order_by(Review.id))
            for review, rec in approved:
                if rec.id in sources or not review.condition_id:
                    continue
                try:
                    sources[rec.id] = (ctx.cipher.decrypt_json(rec.state_enc)["text"], review.condition_id)
                except ValueError:
                    unreadable += 1
        db.add(AuditEvent(actor_id=None, actor_role="cli", action="export", resource_type="labelled_examples",
                          resource_id=None, outcome="ok"))
    if unreadable:
        log.warning("records skipped: they cannot be decrypted with this key",
                    extra={"event": "export_unreadable", "count": unreadable})
    rows = [(deid(Note(text=text)).deid_text or "", label) for text, label in sources.values()]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "label"])
            for text, label in rows:
                writer.writerow([csv_cell(" ".join(text.split())), csv_cell(label)])  # one line per example
    else:
        with out.open("w", encoding="utf-8") as fh:
            for text, label in rows:
                fh.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")
    return len(rows)
