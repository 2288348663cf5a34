"""The wire schemas: they mirror the typed results of medassist.doc field for field, describe the JSON the
CLI and the API write (nothing lost, nothing extra), and the OpenAPI schema documents every field."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from medassist import doc
from medassist.nlp.output import PHI_FIELDS, entity_json, note_to_json
from medassist.service import schemas as S
from medassist.service.consult import _finish_result
from tests.nlp.conftest import NOTE

# wire schema -> (typed result, fields the schema adds, fields the JSON leaves out)
MIRRORS: list[tuple[type[BaseModel], type, set[str], set[str]]] = [
    (S.FindingSpanOut, doc.FindingSpan, set(), set()),
    (S.FindingOut, doc.Finding, set(), set()),
    (S.EvidenceOut, doc.Evidence, set(), set()),
    (S.CandidateOut, doc.Candidate, set(), set()),
    (S.RedFlagOut, doc.RedFlag, set(), set()),
    (S.TriageOut, doc.Triage, set(), set()),
    (S.QuestionOut, doc.Question, set(), set()),
    # to_dict(): the differential as the list of candidates, its "not covered" probability beside it;
    # the service adds its advice to see a clinician
    (S.AssessmentOut, doc.Assessment, {"not_covered_probability", "see_clinician"}, set()),
    (S.ConceptOut, doc.Concept, set(), set()),
    (S.EntityOut, doc.Entity, {"assertion"}, set()),
    (S.SectionOut, doc.Section, set(), set()),
]


@pytest.mark.parametrize(("schema", "result", "added", "left_out"), MIRRORS, ids=[m[0].__name__ for m in MIRRORS])
def test_schemas_mirror_the_typed_results(schema: type[BaseModel], result: type, added: set[str],
                                          left_out: set[str]) -> None:
    assert set(schema.model_fields) == {f.name for f in fields(result)} - left_out | added
    assert all(f.description for f in schema.model_fields.values()), schema.__name__


def test_identifier_and_analysis_schemas_are_the_note_json() -> None:
    assert set(S.PhiSpanOut.model_fields) == set(PHI_FIELDS.values())
    assert set(S.DeidOut.model_fields) == {"text", "phi"}
    # the API's analysis is the CLI's note JSON without the text, and without id and meta (the record's id is
    # NoteOut.id) and errors (no component writes them); a new Note field has to be decided on here
    cli = set(note_to_json(doc.Note(text="x"), include_text=False))
    assert cli - set(S.NoteAnalysisOut.model_fields) == {"id", "meta", "errors"}
    assert set(S.NoteAnalysisOut.model_fields) <= cli


def test_an_assessment_validates_without_loss(small_engine: Any) -> None:
    for text in ("I have a sore throat and a high temperature", "I have a high temperature and a stiff neck",
                 "hello there"):
        consultation = small_engine.start(text, 30, "f")
        if text.startswith("I have a sore"):
            q = small_engine.assess(consultation).next_question
            small_engine.answer(consultation, q.finding, "yes")
        result, _ = _finish_result(small_engine.assess(consultation))
        assert S.AssessmentOut.model_validate(result).model_dump(mode="json", exclude_unset=True) == result


def test_a_note_validates_without_loss(nlp: Any) -> None:
    note = nlp(NOTE)
    assert note.entities and note.phi
    analysis = note_to_json(note, include_text=False)
    out = S.NoteAnalysisOut.model_validate(analysis).model_dump(mode="json", exclude_unset=True)
    assert out == {k: analysis[k] for k in S.NoteAnalysisOut.model_fields}


def test_every_entity_attribute_is_documented(nlp: Any) -> None:
    from medassist.nlp.ner import TransformerNER

    class Tagger:  # a stand-in for a trained NER model
        path = "/models/ner-test"

        def predict_spans(self, texts: list[str]) -> list[list[dict[str, Any]]]:
            return [[{"start": 0, "end": 5, "label": "Disease", "text": texts[0][:5], "score": 0.9}]]

    found = {key for ent in nlp(NOTE).entities for key in ent.attributes}
    found |= {key for ent in TransformerNER([(Tagger(), {"Disease": "problem"})])(doc.Note(text="Colic.")).entities
              for key in ent.attributes}
    found.add("normalized_by")  # written by the normalizer's embedding match (off in the tests' pipeline)
    assert found <= set(S.EntityAttributesOut.model_fields)
    for ent in nlp(NOTE).entities:
        S.EntityOut.model_validate(entity_json(ent))


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _undocumented(spec: dict[str, Any], node: dict[str, Any], where: str, seen: set[str],
                  free: set[str]) -> list[str]:
    """Objects without properties (free dictionaries) and properties without a description, below ``node``."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _undocumented(spec, _resolve(spec, node), name, seen, free)
    problems: list[str] = []
    for sub in (*node.get("anyOf", ()), *node.get("oneOf", ()), *node.get("allOf", ())):
        problems += _undocumented(spec, sub, where, seen, free)
    if "items" in node:
        problems += _undocumented(spec, node["items"], where + "[]", seen, free)
    if node.get("type") == "object" or "properties" in node:
        if not node.get("properties") or node.get("additionalProperties") not in (None, False):
            problems.append(f"{where}: an object with free properties")
        for name, prop in node.get("properties", {}).items():
            if f"{where}.{name}" in free:
                continue
            if not prop.get("description"):
                problems.append(f"{where}.{name}: no description")
            problems += _undocumented(spec, prop, f"{where}.{name}", seen, free)
    return problems


def test_openapi_documents_the_differential_and_the_entities(app: FastAPI) -> None:
    spec = app.openapi()
    comps = spec["components"]["schemas"]
    checked = 0
    for path, ops in spec["paths"].items():
        if not path.startswith(("/v1/consultations", "/v1/notes")) or path.endswith("/fhir"):
            continue  # /fhir answers a FHIR R4 Bundle: HL7's schema, not ours
        for op in ops.values():
            content = op["responses"].get("200", op["responses"].get("201", {})).get("content", {})
            schema = content["application/json"]["schema"]
            assert not (problems := _undocumented(spec, schema, path, set(), free={"NoteOut.fhir"})), problems
            checked += 1
    assert checked == 9
    candidate = comps["AssessmentOut"]["properties"]["differential"]["items"]
    assert set(_resolve(spec, candidate)["properties"]) >= {"condition", "probability", "evidence_for",
                                                             "evidence_against", "triage"}
    entity = _resolve(spec, comps["NoteAnalysisOut"]["properties"]["entities"]["items"])
    assert set(entity["properties"]) >= {"concepts", "assertion", "section", "attributes"}
    attributes = _resolve(spec, entity["properties"]["attributes"])
    assert {"dose", "route", "frequency", "relative"} <= set(attributes["properties"])
    level = comps["TriageOut"]["properties"]["level"]["anyOf"][0]
    assert level["enum"] == list(doc.TRIAGE_LEVELS)
