"""Output shapes for a processed note: JSON (offsets into the original text), FHIR R4 Bundle, rich table."""

from __future__ import annotations

from typing import Any

from medassist.doc import Note


def note_to_json(note: Note, include_text: bool = True) -> dict[str, Any]:
    """``note.to_dict()`` with the sentence list left out (it is long and rarely wanted)."""
    data = note.to_dict()
    data.pop("sentences", None)
    if not include_text:
        data.pop("text", None)
    return data


def deid_record(note: Note) -> dict[str, Any]:
    """One line of ``medassist deid --format json``: id, de-identified text, PHI spans (offsets into the input)."""
    return {
        "id": note.id,
        "text": note.deid_text,
        "phi": [{"start": s.start, "end": s.end, "type": s.label, "text": s.text, "confidence": s.score,
                 "found_by": s.source} for s in note.phi],
    }


def render_table(note: Note) -> Any:
    """A rich Table of the note's entities (text, label, assertion, section, codes, medication details)."""
    from rich.table import Table

    table = Table(
        title=f"{note.id or 'note'}: {len(note.entities)} entities, {len(note.phi)} identifiers",
        show_lines=False,
    )
    for col in ("text", "label", "assertion", "section", "codes", "details"):
        table.add_column(col, overflow="fold")
    for ent in note.entities:
        details = ""
        if ent.label == "drug":
            a = ent.attributes
            parts = [
                a.get("dose", ""),
                a.get("unit", ""),
                a.get("route", ""),
                a.get("frequency", ""),
                a.get("duration", ""),
            ]
            details = " ".join(str(p) for p in parts if p)
            if a.get("as_needed"):
                details += " as needed" + (f" for {a['as_needed_for']}" if a.get("as_needed_for") else "")
            if a.get("allergy"):
                details = ("allergy " + details).strip()
        elif ent.attributes.get("relative"):
            details = f"relative: {ent.attributes['relative']}"
        codes = ", ".join(f"{c.system}:{c.code}" for c in ent.concepts[:3])
        table.add_row(ent.text, ent.label, ent.assertion, ent.section or "", codes, details)
    return table
