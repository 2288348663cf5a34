"""Rows stored by earlier versions still read: a consultation result and a note analysis in the shapes the
service stored them, read through the API into today's documented shape."""

from __future__ import annotations

import copy
import json
from typing import Any

from medassist.service import stored
from medassist.service.schemas import AssessmentOut, NoteAnalysisOut
from tests.service.conftest import Api

# a result as the service stores it today (Assessment.to_dict() plus see_clinician), from the test knowledge base
TODAY_RESULT: dict[str, Any] = json.loads("""{"triage": {"level": "consultation", "label": "Book an appointment
with a doctor", "advice": "Book an appointment with your doctor in the coming days. Seek help sooner if you get
worse.", "group": "non_emergency", "reasons": []}, "red_flags": [], "findings": [{"id": "sore_throat", "name": "Sore
throat", "present": true, "source": "text", "span": {"start": 9, "end": 20, "text": "sore throat"}, "score": null},
{"id": "fever", "name": "Fever", "present": true, "source": "text", "span": {"start": 27, "end": 43, "text": "high
temperature"}, "score": null}, {"id": "runny_nose", "name": "Runny nose", "present": false, "source": "answer",
"span": null, "score": null}], "next_question": {"finding": "cough", "question": "Do you have cough?", "name":
"Cough", "expected_information_gain": 0.1388, "reason": "best separates the likely conditions"}, "interview_done":
false, "stop_reason": null, "emergency": false, "message": "These are possibilities to discuss with a clinician, not
a diagnosis.", "disclaimer": "MedAssist is not a doctor and does not diagnose.", "age": 24.0, "sex": "female",
"duration": null, "onset": null, "answers": [{"finding": "runny_nose", "answer": "no"}], "ignored": [{"finding":
"rash", "text": "rash", "start": 55, "end": 59, "reason": "hypothetical"}], "warnings": [], "knowledge_base_version":
"c71915e72778", "differential": [{"condition": "strep_throat", "name": "Streptococcal pharyngitis", "icd10": "J02.0",
"probability": 0.7226, "evidence_for": [{"finding": "sore_throat", "name": "Sore throat", "present": true,
"likelihood_ratio": 15.83, "note": null}], "evidence_against": [{"finding": "cough", "name": "Cough", "present":
null, "likelihood_ratio": null, "note": "typical (40% of cases), not reported"}], "triage": "consultation",
"specialty": "General practice", "next_steps": ["See a doctor."], "sources": [{"title": "MedAssist test fixture (not
medical advice)", "url": "https://example.org/fixture"}]}], "not_covered_probability": 0.0189, "see_clinician":
"This is not a diagnosis. Please discuss it with a doctor, nurse or pharmacist, who can examine you."}""".replace("\n", " "))

# a note analysis as the service stored it before it used medassist.nlp.output ("identifiers", "codes")
OLD_NOTE_TEXT = "MEDICATIONS: lisinopril 10 mg daily. John Smith denies chest pain."
OLD_ANALYSIS: dict[str, Any] = json.loads("""{"entities": [{"start": 13, "end": 23, "text": "lisinopril", "label":
"drug", "assertion": "present", "negated": false, "possible": false, "historical": false, "hypothetical": false,
"family": false, "section": "medications", "codes": [{"system": "medassist-drug", "code": "lisinopril", "display":
"lisinopril", "score": 1.0}, {"system": "rxnorm", "code": "29046", "display": "lisinopril", "score": 1.0}],
"attributes": {"canonical": "lisinopril", "dose": "10", "unit": "mg", "frequency": "once a day", "frequency_text":
"daily", "dosage_text": "10 mg daily", "drug": "lisinopril"}}, {"start": 55, "end": 65, "text": "chest pain",
"label": "finding", "assertion": "negated", "negated": true, "possible": false, "historical": false, "hypothetical":
false, "family": false, "section": "medications", "codes": [{"system": "medassist-kb", "code": "chest_pain",
"display": "Chest pain", "score": 1.0}], "attributes": {"canonical": "Chest pain"}}], "sections": [{"name":
"medications", "start": 0, "end": 66}], "identifiers": [{"start": 37, "end": 47, "type": "NAME"}], "deid_text":
"MEDICATIONS: lisinopril 10 mg daily. [NAME] denies chest pain."}""".replace("\n", " "))


def _consultation(api: Api, patient_id: int, result: dict[str, Any]) -> str:
    from medassist.service.db import ConsultationRecord

    cipher = api.ctx.cipher
    with api.ctx.sessions() as db:
        rec = ConsultationRecord(patient_id=patient_id, status="complete", review_status="pending",
                                 state_enc=cipher.encrypt_json({"text": "I have a sore throat and a high temperature",
                                                                "age": 24, "sex": "female"}),
                                 result_enc=cipher.encrypt_json(result), triage_level=result["triage"]["level"],
                                 red_flag=bool(result["red_flags"]), top_condition="strep_throat",
                                 top_probability=0.7226, questions_answered=1)
        db.add(rec)
        db.commit()
        return rec.id


def test_a_result_stored_in_todays_shape_reads_unchanged(api: Api) -> None:
    patient = api.account("patient")
    cid = _consultation(api, patient.id, TODAY_RESULT)
    r = api.client.get(f"/v1/consultations/{cid}", headers=patient.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["result"] == TODAY_RESULT  # the stored shape is the response's shape, key for key
    assert body["triage_level"] == "consultation" and body["triage_label"] == "Book an appointment with a doctor"
    assert body["triage_group"] == "non_emergency" and body["top_condition_name"] == "Streptococcal pharyngitis"


def test_a_result_stored_before_the_typed_assessment_reads(api: Api) -> None:
    """Before the engine returned an Assessment, results had no ``emergency``, no ``score`` on findings read
    from the text, no ``note`` on plain evidence; without symptoms, no ``interview_done`` and ``stop_reason``."""
    old = copy.deepcopy(TODAY_RESULT)
    for key in ("emergency", "interview_done", "stop_reason"):
        del old[key]
    for f in old["findings"]:
        del f["score"]
    del old["differential"][0]["evidence_for"][0]["note"]
    patient = api.account("patient")
    r = api.client.get(f"/v1/consultations/{_consultation(api, patient.id, old)}", headers=patient.headers)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["emergency"] is False and result["interview_done"] is False and result["stop_reason"] is None
    assert "score" not in result["findings"][0] and result["differential"][0]["evidence_for"][0]["likelihood_ratio"]
    emergency = copy.deepcopy(old)
    emergency["triage"]["level"] = "emergency_ambulance"
    emergency["next_question"] = None
    assert stored.consultation_result(emergency)["emergency"] is True
    assert stored.consultation_result(emergency)["interview_done"] is True
    AssessmentOut.model_validate(stored.consultation_result(old))


def test_a_note_stored_before_the_one_note_output_reads(api: Api) -> None:
    from medassist.service.db import NoteRecord

    clinician = api.account("clinician")
    cipher = api.ctx.cipher
    with api.ctx.sessions() as db:
        rec = NoteRecord(owner_id=clinician.id, text_enc=cipher.encrypt(OLD_NOTE_TEXT),
                         analysis_enc=cipher.encrypt_json({"analysis": OLD_ANALYSIS, "fhir": {"resourceType": "Bundle"}}),
                         entity_count=2, phi_count=1)
        db.add(rec)
        db.commit()
        note_id = rec.id
    r = api.client.get(f"/v1/notes/{note_id}", headers=clinician.headers)
    assert r.status_code == 200, r.text
    analysis = r.json()["analysis"]
    # today's names: phi (with the identifier's text, cut from the stored note) and concepts
    assert analysis["phi"] == [{"start": 37, "end": 47, "type": "NAME", "text": "John Smith"}]
    assert "identifiers" not in analysis
    assert [e["concepts"] for e in analysis["entities"]] == [e["codes"] for e in OLD_ANALYSIS["entities"]]
    assert analysis["entities"][0]["attributes"] == OLD_ANALYSIS["entities"][0]["attributes"]  # no nulls added
    assert analysis["sections"] == OLD_ANALYSIS["sections"] and analysis["deid_text"] == OLD_ANALYSIS["deid_text"]
    NoteAnalysisOut.model_validate(analysis)
    assert api.client.get(f"/v1/notes/{note_id}/fhir", headers=clinician.headers).json() == {"resourceType": "Bundle"}
