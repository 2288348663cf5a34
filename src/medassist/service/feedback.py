"""Clinicians' corrections as training data in the fine-tuning engine's classification format.

Each amended consultation gives one example: the patient's text, de-identified when the amendment was
made, and the corrected knowledge-base condition id as the label (the latest amendment wins).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import select

from medassist.service.db import AuditEvent, ConsultationRecord, LabelledExample, Review, session_scope
from medassist.service.deps import ServiceContext


def export(ctx: ServiceContext, out: Path, *, include_approved: bool = False) -> int:
    rows: dict[str, tuple[str, str]] = {}
    with session_scope(ctx.sessions) as db:
        for ex in db.scalars(select(LabelledExample).order_by(LabelledExample.id)):
            rows[ex.consultation_id] = (ctx.cipher.decrypt(ex.text_enc), ex.label)
        if include_approved:
            from medassist.nlp.deid import Deidentifier

            deid = Deidentifier(mode="tag")
            approved = db.execute(select(Review, ConsultationRecord)
                                  .join(ConsultationRecord, Review.consultation_id == ConsultationRecord.id)
                                  .where(ConsultationRecord.review_status == "approved", Review.decision == "approve")
                                  .order_by(Review.id))
            for review, rec in approved:
                if rec.id in rows or not review.condition_id:
                    continue
                from medassist.doc import Note

                text = ctx.cipher.decrypt_json(rec.state_enc)["text"]
                rows[rec.id] = (deid(Note(text=text)).deid_text or "", review.condition_id)
        db.add(AuditEvent(actor_id=None, actor_role="cli", action="export", resource_type="labelled_examples",
                          resource_id=None, outcome="ok"))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "label"])
            for text, label in rows.values():
                writer.writerow([" ".join(text.split()), label])  # one line per example
    else:
        with out.open("w", encoding="utf-8") as fh:
            for text, label in rows.values():
                fh.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")
    return len(rows)
