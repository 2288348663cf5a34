"""The one JSON shape of a processed note (CLI and API alike): identifier spans, entities, the note."""

from __future__ import annotations

from dataclasses import fields

from medassist.doc import Entity, Note, Span
from medassist.nlp.output import PHI_FIELDS, deid_record, entity_json, note_to_json, phi_json, render_table
from medassist.pipeline import Pipeline


def test_identifier_spans_have_one_set_of_names(fast_nlp: Pipeline, note_text: str) -> None:
    assert set(PHI_FIELDS) == {f.name for f in fields(Span)}  # every field of a span is written
    note = fast_nlp(note_text)
    assert note.phi
    span = note.phi[0]
    assert phi_json(span) == {"start": span.start, "end": span.end, "type": span.label, "text": span.text,
                              "confidence": span.score, "found_by": span.source}
    # the analysis and the de-identification record write the same spans
    assert note_to_json(note)["phi"] == deid_record(note)["phi"] == [phi_json(s) for s in note.phi]


def test_entities_carry_their_fields_and_the_assertion(fast_nlp: Pipeline, note_text: str) -> None:
    note = fast_nlp(note_text)
    fever = next(e for e in note.entities if e.text.lower() == "fever" and e.negated)
    data = entity_json(fever)
    assert set(data) == {f.name for f in fields(Entity)} | {"assertion"}
    assert data["assertion"] == "negated" and data["negated"] is True
    assert data["concepts"] == [{"system": c.system, "code": c.code, "display": c.display, "score": c.score}
                                for c in fever.concepts]


def test_note_json_is_the_note_without_its_sentences(fast_nlp: Pipeline, note_text: str) -> None:
    note = fast_nlp(Note(text=note_text, id="a"))
    data = note_to_json(note)
    assert set(data) == {f.name for f in fields(Note)} - {"sentences"}
    assert data["id"] == "a" and data["text"] == note_text
    assert data["entities"] == [entity_json(e) for e in note.entities]
    assert "text" not in note_to_json(note, include_text=False)


def test_deid_record_and_table(fast_nlp: Pipeline, note_text: str) -> None:
    note = fast_nlp(Note(text=note_text, id="a"))
    rec = deid_record(note)
    assert rec["id"] == "a" and rec["text"] == note.deid_text and "John Smith" not in rec["text"]
    assert render_table(note).row_count == len(note.entities)
