"""The health plan (issue 16): safety first, risks from the record, the medication review with what the
measured values imply, goals, missing values named, the three output formats and the command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medassist.cli import app
from medassist.errors import HealthInputError
from medassist.health import review
from medassist.health.plan import load_record, make_plan

BASE = {
    "as_of": "2026-12-01", "birth_date": "1964-05-10", "sex": "male", "race": "white",
    "conditions": ["hypertension", "type 2 diabetes"],
    "medications": ["lisinopril 20 mg daily", "metformin 1 g twice daily"],
    "vitals": {"systolic_bp": 148, "diastolic_bp": 88, "weight_kg": 96, "height_cm": 178},
    "labs": {"total_cholesterol": 220, "hdl": 42, "ldl": 140, "hba1c": 8.1, "creatinine": 1.6},
    "smoking": "former", "pack_years": 25, "years_since_quit": 8,
}


def plan_of(**changes):
    obj = {**BASE, **changes}
    record, answers = load_record(obj)
    return make_plan(record, answers=answers)


def test_risks_are_computed_from_the_record():
    plan = plan_of()
    risks = {r.score_id: r for r in plan.risks}
    assert risks["bmi"].value == pytest.approx(30.3, abs=0.05)
    # the lisinopril makes bp_treated true: the equation gets it from the drug classes, not a guess
    assert risks["pce_ascvd"].inputs_used["bp_treated"] is True
    assert risks["pce_ascvd"].applicable and risks["pce_ascvd"].value > 20
    assert risks["egfr_ckd_epi_2021"].category == "G3a"
    assert "cha2ds2_vasc" not in risks  # only with atrial fibrillation
    assert "findrisc" not in risks  # not for someone who already has diabetes


def test_the_calculated_egfr_reaches_the_medication_review():
    plan = plan_of(labs={**BASE["labs"], "creatinine": 3.2})
    assert "eGFR below 30" in plan.medication_review.derived_conditions
    titles = " ".join(a["title"] for a in plan.medication_review.alerts).lower()
    assert "metformin" in titles


def test_without_medicines_the_review_says_so():
    plan = plan_of(medications=[])
    assert plan.medication_review.checked is False
    assert "No medicines" in plan.medication_review.reason


def test_missing_values_are_named_not_guessed():
    plan = plan_of(race=None, smoking=None, labs={"hba1c": 7.5})
    pce = next(r for r in plan.risks if r.score_id == "pce_ascvd")
    assert not pce.applicable
    assert {"race", "smoker", "total_cholesterol", "hdl"} <= set(pce.missing)
    assert {"race", "smoker"} <= set(plan.missing["risks"])
    ldl = next(g for g in plan.goals if g.measure == "ldl")
    assert ldl.status == "no_value" and ldl.value is None


def test_goals_met_and_not_met_with_sources():
    plan = plan_of(vitals={**BASE["vitals"], "systolic_bp": 124, "diastolic_bp": 76})
    by = {g.id: g for g in plan.goals}
    assert by["bp_systolic"].status == "met" and by["bp_diastolic"].status == "met"
    assert by["hba1c_diabetes"].status == "not_met"
    assert all(g.source.get("url", "").startswith("https://") for g in plan.goals)


def test_a_target_does_not_apply_outside_its_conditions():
    plan = plan_of(conditions=[], medications=[])
    assert {g.measure for g in plan.goals} == {"bmi"}


@pytest.mark.parametrize("vitals,alert", [({"systolic_bp": 182, "diastolic_bp": 95}, "bp_crisis_systolic"),
                                          ({"systolic_bp": 150, "diastolic_bp": 121}, "bp_crisis_diastolic")])
def test_a_hypertensive_crisis_comes_first(vitals, alert):
    plan = plan_of(vitals={**BASE["vitals"], **vitals})
    assert plan.safety[0]["id"] == alert
    assert plan.to_text().startswith("NEEDS A CLINICIAN SOON")
    assert plan.to_fhir()["entry"][0]["resource"]["description"].startswith("Your recorded blood pressure")


def test_no_safety_section_when_nothing_is_urgent():
    plan = plan_of()
    assert plan.safety == [] and not plan.to_text().startswith("NEEDS")


def test_phq9_item_9_is_a_safety_message_word_for_word():
    plan = plan_of(answers={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]})
    phq = next(r for r in plan.risks if r.score_id == "phq9")
    assert plan.safety and plan.safety[0]["message"] == phq.flags[0]


def test_atrial_fibrillation_brings_the_stroke_and_bleeding_scores():
    plan = plan_of(conditions=["atrial fibrillation", "hypertension", "heart failure"], medications=["warfarin"])
    risks = {r.score_id: r for r in plan.risks}
    assert risks["cha2ds2_vasc"].value == 2  # heart failure 1 + hypertension 1 (age 62, male)
    assert "labile_inr" in risks["has_bled"].missing  # on warfarin: the INR history must be stated


def test_fhir_output_is_a_careplan_with_goals():
    bundle = plan_of().to_fhir()
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "CarePlan" and "Goal" in kinds and "RiskAssessment" in kinds
    careplan = bundle["entry"][0]["resource"]
    goal_ids = {f"Goal/{e['resource']['id']}" for e in bundle["entry"] if e["resource"]["resourceType"] == "Goal"}
    assert {g["reference"] for g in careplan["goal"]} == goal_ids
    assert any("Colorectal" in a["detail"]["description"] for a in careplan["activity"])


def test_a_fhir_bundle_record_makes_the_same_plan():
    record, _ = load_record(BASE)
    again, _ = load_record(record.to_fhir())
    assert make_plan(again).to_dict() == make_plan(record).to_dict()


def test_bad_answers_and_bad_files_are_clear_errors(tmp_path):
    with pytest.raises(HealthInputError) as exc:
        load_record({**BASE, "answers": {"phq10": [1]}})
    assert exc.value.code.name == "E854"
    with pytest.raises(HealthInputError) as exc:
        load_record(tmp_path / "nope.json")
    assert exc.value.code.name == "E851"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(HealthInputError) as exc:
        load_record(bad)
    assert exc.value.code.name == "E852"


def test_every_target_and_alert_names_a_public_source():
    data = review._load()
    assert data.targets and data.alerts
    for key in {t.source for t in data.targets} | {a.source for a in data.alerts}:
        assert data.sources[key]["url"].startswith("https://")


def test_cli_plan_text_json_fhir_and_errors(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(BASE), encoding="utf-8")
    runner = CliRunner()
    text = runner.invoke(app, ["health", "plan", str(path)])
    assert text.exit_code == 0 and "Goals" in text.output and "does not diagnose" in text.output
    out = runner.invoke(app, ["health", "plan", str(path), "--format", "json"])
    assert out.exit_code == 0 and json.loads(out.output)["goals"]
    fhir = runner.invoke(app, ["health", "plan", "-", "--format", "fhir"], input=json.dumps(BASE))
    assert fhir.exit_code == 0 and json.loads(fhir.output)["resourceType"] == "Bundle"
    bad = runner.invoke(app, ["health", "plan", str(path), "--format", "xml"])
    assert bad.exit_code == 2
    missing = runner.invoke(app, ["health", "plan", str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "E851" in missing.output


def test_a_score_caution_is_a_note_not_a_safety_message():
    plan = plan_of(race="other")
    assert plan.safety == []
    assert any("other" in n.lower() for n in plan.notes)


def test_the_readme_example_record_makes_a_plan():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "health" / "patient.json"
    record, answers = load_record(example)
    plan = make_plan(record, answers=answers)
    assert plan.person["age"] == 62 and plan.goals and plan.medication_review.alerts
    colorectal = next(i for i in plan.prevention if i.id.startswith("colorectal"))
    assert colorectal.status == "up_to_date"  # the colonoscopy of 2017-03-02 is within 10 years


def test_findrisc_takes_the_medicines_and_the_answers():
    listed = plan_of(conditions=["hypertension"], medications=["amlodipine 5 mg"])
    fr = next(r for r in listed.risks if r.score_id == "findrisc")
    assert fr.inputs_used.get("antihypertensive_medication") is True
    other = plan_of(conditions=[], medications=["omeprazole"], answers={"findrisc": {
        "physically_active": True, "vegetables_fruit_daily": True, "high_glucose_history": False}})
    fr = next(r for r in other.risks if r.score_id == "findrisc")
    assert fr.inputs_used.get("antihypertensive_medication") is False
    assert "antihypertensive_medication" not in fr.missing and "waist_cm" in fr.missing


def test_kb_check_cross_checks_the_health_tables(monkeypatch):
    from medassist.health import check

    assert check.problems() == []
    data = review._load()
    broken = data.model_copy(deep=True)
    broken.targets[0].when.conditions.append("no_such_condition")
    broken.renal_conditions[0].condition = "a condition nobody has heard of"
    monkeypatch.setattr(review, "_load", lambda: broken)
    found = check.problems()
    assert any("no_such_condition" in p for p in found)
    assert any("nobody has heard of" in p for p in found)


@pytest.mark.parametrize("change", [{"family_history": -1}, {"age": float("nan")}, {"answers": {"findrisc": [1, 2]}},
                                    {"answers": {"phq9": 3}}])
def test_malformed_records_are_input_errors(change):
    from medassist.errors import InputError

    with pytest.raises(InputError):
        load_record({**BASE, **change})


def test_an_impossible_fhir_date_is_an_input_error():
    from medassist.errors import InputError

    record, _ = load_record({**BASE, "history": {"screenings": [{"test": "colonoscopy", "date": "2019-05-01"}]}})
    bundle = record.to_fhir()
    text = json.dumps(bundle).replace("2019-05-01", "2019-13-01")
    with pytest.raises(InputError):
        load_record(json.loads(text))


def test_a_bundle_with_wrong_json_types_inside_is_an_input_error():
    record, _ = load_record(BASE)
    bundle = record.to_fhir()
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["extension"] = 3.5
    with pytest.raises(HealthInputError) as exc:
        load_record(bundle)
    assert exc.value.code.name == "E855" and "3.5" not in str(exc.value)
