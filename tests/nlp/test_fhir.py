from medassist.nlp.fhir import build_bundle


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_bundle_validates_and_maps_statuses(fast_nlp, note_text: str) -> None:
    note = fast_nlp(note_text, id="note-1")
    bundle = build_bundle(note)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    # round trip through the R4B model: the dict is valid FHIR R4
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)
    conditions = {c["code"]["text"]: c for c in _resources(bundle, "Condition")}
    pneu = conditions["Pneumonia"]
    assert pneu["verificationStatus"]["coding"][0]["code"] == "unconfirmed"
    assert conditions["Myocardial infarction"]["clinicalStatus"]["coding"][0]["code"] == "inactive"
    assert conditions["Hypertension"]["clinicalStatus"]["coding"][0]["code"] == "active"
    assert {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "I10",
        "display": "Hypertension",
    } in conditions["Hypertension"]["code"]["coding"]
    obs = {o["code"]["text"]: o for o in _resources(bundle, "Observation")}
    assert obs["Fever"]["valueBoolean"] is False or obs.get("Fever") is None
    assert obs["Palpitations"]["valueBoolean"] is True
    meds = {m["medicationCodeableConcept"]["text"]: m for m in _resources(bundle, "MedicationStatement")}
    assert meds["metoprolol"]["status"] == "active"
    assert meds["metoprolol"]["dosage"][0]["text"] == "25 mg po bid x 7 days"
    assert meds["furosemide"]["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 40.0
    allergies = _resources(bundle, "AllergyIntolerance")
    assert [a["code"]["text"] for a in allergies] == ["penicillin"]
    assert allergies[0]["reaction"][0]["manifestation"][0]["text"] == "Rash"
    fam = _resources(bundle, "FamilyMemberHistory")
    assert fam[0]["relationship"]["coding"][0]["code"] == "MTH"
    assert fam[0]["condition"][0]["code"]["text"] == "Breast cancer"
    # no identifiers on the patient
    (patient,) = _resources(bundle, "Patient")
    assert set(patient) == {"resourceType", "id"}
    for res in _resources(bundle, "Condition"):
        assert res["subject"]["reference"] == f"urn:uuid:{patient['id']}"
        assert res["extension"][0]["url"] == "urn:medassist:text-span"


def test_negated_problem_is_refuted_and_hypothetical_left_out(analysis_nlp) -> None:
    bundle = build_bundle(
        analysis_nlp("No pneumonia. Call if chest pain or fever. NKDA. ALLERGIES: NKDA", id="n2")
    )
    conditions = _resources(bundle, "Condition")
    assert [c["verificationStatus"]["coding"][0]["code"] for c in conditions] == ["refuted"]
    assert "clinicalStatus" not in conditions[0]
    assert _resources(bundle, "Observation") == []
    nkda = _resources(bundle, "AllergyIntolerance")
    assert nkda and nkda[0]["code"]["coding"][0]["code"] == "409137002"


def test_bundle_ids_are_stable(analysis_nlp) -> None:
    a = build_bundle(analysis_nlp("HTN.", id="same"))
    b = build_bundle(analysis_nlp("HTN.", id="same"))
    assert a == b
