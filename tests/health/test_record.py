"""The patient record: normalisation, unit conversion, JSON and FHIR round trips, missing values, errors."""

from __future__ import annotations

import datetime as dt

import pytest

from medassist.errors import HealthInputError
from medassist.health.record import PatientRecord

AS_OF = dt.date(2025, 6, 1)


def full() -> PatientRecord:
    return PatientRecord(
        as_of=AS_OF, birth_date="1960-03-02", sex="F", race="black",
        conditions=["HTN", "E11.9", "13645005", "my odd complaint", "hysterectomy"],
        medications=["atorvastatin 20 mg"], allergies=["penicillin"],
        vitals={"systolic_bp": {"value": 138, "date": "2025-05-01"}, "diastolic_bp": 85, "weight_kg": 80,
                "height_cm": 165, "heart_rate": 70, "waist_cm": 90},
        labs={"total_cholesterol": {"value": 5.2, "unit": "mmol/L"}, "hdl": 45, "ldl": {"value": 3.1, "unit": "mmol/L"},
              "hba1c": {"value": 48, "unit": "mmol/mol"}, "creatinine": {"value": 88.4, "unit": "umol/L"},
              "egfr": 75, "urine_acr": 12, "potassium": 4.2, "fasting_glucose": 100},
        smoking="former", pack_years=25, years_since_quit=10, pregnant=False, sexually_active=True,
        family_history=["diabetes:mother", "colon cancer"],
        history=[{"test": "mammogram", "date": "2021-03-02"}, {"vaccine": "Shingrix", "date": "2024-01-01"},
                 {"vaccine": "cvx:999", "date": "2023-01-01"}, {"test": "Pap smear"}, {"vaccine": "pcv21"}])


def test_conditions_map_to_keys_and_unknown_ones_are_kept():
    r = full()
    assert r.conditions == ["hypertension", "diabetes_type2", "copd", "my odd complaint", "hysterectomy"]
    assert r.unrecognised == ["my odd complaint"]
    assert "diabetes" in r.condition_keys  # implied by type 2


def test_units_are_converted_on_input():
    r = full()
    assert r.labs["total_cholesterol"].value == pytest.approx(5.2 * 38.67)
    assert r.labs["creatinine"].value == pytest.approx(1.0)
    assert r.labs["hba1c"].value == pytest.approx(0.09148 * 48 + 2.152, abs=1e-3)
    assert r.age == 65 and r.bmi == pytest.approx(29.4)


def test_json_and_fhir_round_trip():
    r = full()
    assert PatientRecord.from_json(r.to_dict()) == r
    bundle = r.to_fhir()
    assert bundle["resourceType"] == "Bundle"
    codes = {c["code"] for e in bundle["entry"] for c in e["resource"].get("code", {}).get("coding", [])}
    assert {"8480-6", "2093-3", "4548-4", "72166-2"} <= codes
    assert PatientRecord.from_fhir(bundle) == r
    only_age = PatientRecord(as_of=AS_OF, age=50)
    assert PatientRecord.from_fhir(only_age.to_fhir()) == only_age


def test_fhir_bundle_from_elsewhere():
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "1970-01-01", "gender": "male"}},
        {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                      "clinicalStatus": {"coding": [{"code": "active"}]},
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]}}},
        {"resource": {"resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "resolved"}]},
                      "code": {"text": "asthma"}}},
        {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/other"}, "code": {"text": "copd"}}},
        {"resource": {"resourceType": "Observation", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
                      "effectiveDateTime": "2025-01-02T10:00:00Z", "component": [
                          {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                           "valueQuantity": {"value": 142, "unit": "mmHg"}},
                          {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                           "valueQuantity": {"value": 91, "unit": "mmHg"}}]}},
        {"resource": {"resourceType": "Observation", "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
                      "valueQuantity": {"value": 5, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                                        "code": "mmol/L"}}},
        {"resource": {"resourceType": "Observation", "code": {"coding": [{"system": "http://loinc.org", "code": "72166-2"}]},
                      "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "449868002"}]}}},
        {"resource": {"resourceType": "Immunization", "status": "completed", "occurrenceDateTime": "2024-10-01",
                      "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "150"}]}}},
        {"resource": {"resourceType": "Procedure", "status": "completed", "performedDateTime": "2020-05-05",
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73761001"}]}}},
    ]}
    r = PatientRecord.from_fhir(bundle, as_of=AS_OF)
    assert r.sex == "male" and r.age == 55 and r.conditions == ["diabetes_type2"]
    assert r.vitals["systolic_bp"].value == 142 and r.vitals["systolic_bp"].date == dt.date(2025, 1, 2)
    assert r.labs["total_cholesterol"].value == pytest.approx(193.35)
    assert r.smoking == "current"
    assert [(e.key, e.date) for e in r.history] == [("influenza", dt.date(2024, 10, 1)),
                                                    ("colonoscopy", dt.date(2020, 5, 5))]


def test_missing_values_are_named():
    r = PatientRecord(as_of=AS_OF, age=50, vitals={"systolic_bp": 120})
    assert r.missing(["age", "sex", "systolic_bp", "ldl", "bmi"]) == ["sex", "ldl", "bmi"]
    assert "pack_years" in r.missing()
    with pytest.raises(HealthInputError, match="E827"):
        r.missing(["cholesterol_level"])


@pytest.mark.parametrize(("build", "code"), [
    (lambda: PatientRecord.from_json([1, 2]), "E811"),
    (lambda: PatientRecord.from_json({"name": "Jane Doe"}), "E813"),
    (lambda: PatientRecord(age=200), "E815"),
    (lambda: PatientRecord(vitals={"systolic_bp": 10}), "E819"),
    (lambda: PatientRecord(sex="secret words"), "E816"),
    (lambda: PatientRecord(labs={"ldl": {"value": 3, "unit": "furlongs"}}), "E820"),
    (lambda: PatientRecord(as_of=AS_OF, birth_date="2030-01-01"), "E817"),
    (lambda: PatientRecord(as_of=AS_OF, birth_date="1970-01-01", age=40), "E818"),
    (lambda: PatientRecord(history=[{"shot": "x"}]), "E822"),
    (lambda: PatientRecord(smoking="sometimes on weekends"), "E821"),
    (lambda: PatientRecord.from_fhir({"resourceType": "Patient"}), "E823"),
    (lambda: PatientRecord.from_fhir({"resourceType": "Bundle", "entry": []}), "E824"),
    (lambda: PatientRecord.from_fhir({"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "Patient"}}, {"resource": {"resourceType": "Patient"}}]}), "E825"),
])
def test_bad_input_errors_with_codes_and_without_patient_text(build, code):
    with pytest.raises(HealthInputError) as info:
        build()
    assert info.value.code.name == code
    text = str(info.value)
    assert "Jane Doe" not in text and "secret words" not in text and "weekends" not in text


def test_from_json_reads_a_file(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"age": 50, "sex": "male", "history": {"vaccinations": [{"vaccine": "tdap", "date": "2020-01-01"}]}}',
                    encoding="utf-8")
    r = PatientRecord.from_json(path)
    assert r.age == 50 and r.history[0].key == "tdap"
    with pytest.raises(HealthInputError, match="E812"):
        PatientRecord.from_json(tmp_path / "nope.json")
