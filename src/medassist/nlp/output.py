"""Output shapes for a processed note: JSON (offsets into the original text), FHIR R4 Bundle, rich table.

The JSON here is the one shape of a note for every caller: ``medassist analyze --format json``,
``medassist deid --format json`` and the HTTP API (``/v1/notes``, ``/v1/notes/deid``) all write it with
these functions, and the service's wire schemas (``medassist.service.schemas``) document it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from medassist.doc import Entity, Note, Span

PHI_FIELDS: dict[str, str] = {
    "start": "start", "end": "end", "label": "type", "text": "text", "score": "confidence", "source": "found_by",
}
"""``Span`` field -> its name in the JSON of an identifier span (``note.phi``), for the CLI and the API alike."""


def phi_json(span: Span) -> dict[str, Any]:
    """One identifier span: start, end, type, text, confidence and found_by (offsets into the input)."""
    return {out: getattr(span, name) for name, out in PHI_FIELDS.items()}


def entity_json(ent: Entity) -> dict[str, Any]:
    """One entity: its fields and the one-word summary of its flags, ``assertion`` (present, negated, ...)."""
    return {**asdict(ent), "assertion": ent.assertion}


def note_to_json(note: Note, include_text: bool = True) -> dict[str, Any]:
    """``note.to_dict()`` with the sentence list left out (it is long and rarely wanted), identifier spans
    as :func:`phi_json` writes them and entities as :func:`entity_json` writes them."""
    data = note.to_dict()
    data.pop("sentences", None)
    if not include_text:
        data.pop("text", None)
    data["phi"] = [phi_json(s) for s in note.phi]
    data["entities"] = [entity_json(e) for e in note.entities]
    return data


def deid_record(note: Note) -> dict[str, Any]:
    """One line of ``medassist deid --format json``: id, de-identified text, PHI spans (offsets into the input)."""
    return {"id": note.id, "text": note.deid_text, "phi": [phi_json(s) for s in note.phi]}


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
