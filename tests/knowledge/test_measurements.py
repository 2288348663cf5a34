"""Measured values read into findings: units, guesses, pairs, plausible ranges, the normal side, and
the table's own integrity (knowledge/data/measurements.yaml)."""

from __future__ import annotations

import pytest

from medassist.diagnosis.intake import Intake, IntakeSettings
from medassist.errors import KnowledgeBaseError
from medassist.knowledge.kb import KnowledgeBase
from medassist.knowledge.measurements import MeasurementReader, load_table


@pytest.fixture(scope="module")
def kb():
    return KnowledgeBase.load()


@pytest.fixture(scope="module")
def reader(kb):
    return MeasurementReader(load_table(), set(kb.findings))


def _read(reader, text, age=40):
    return {(r.finding, r.present) for r in reader.read(text, age)}


@pytest.mark.parametrize("text, expected", [
    ("fever of 38.5", {("fever", True)}),
    ("temperature of 101 F", {("fever", True)}),           # Fahrenheit converted: 38.3 C
    ("temp 102", {("fever", True)}),                       # no unit: Fahrenheit by its range (38.9 C)
    ("temp 103", {("fever", True), ("fever_high", True)}),  # 39.4 C
    ("temp 37.1", {("fever", False)}),                     # measured and normal: no fever
    ("temperature 35.2 C", {("fever", False), ("body_temperature_low", True)}),
    ("BP 120/80", {("blood_pressure_raised", False)}),
    ("blood pressure (165/95 mm Hg)", {("blood_pressure_raised", True)}),
    ("bp 150/125", {("blood_pressure_raised", True), ("blood_pressure_very_high", True)}),  # diastolic alone
    ("BP 85/50", {("blood_pressure_raised", False), ("blood_pressure_low", True)}),
    ("sats 89% on air", {("oxygen_saturation_low", True)}),
    ("SpO2 98%", {("oxygen_saturation_low", False)}),
    ("ALT of 6498", {("blood_test_liver_abnormal", True)}),
    ("glucose 250 mg/dl", {("blood_glucose_high", True)}),  # 13.9 mmol/L
    ("blood sugar 3.1", {("blood_glucose_low", True)}),
    ("HbA1c 6.8%", {("blood_glucose_high", True)}),         # 51 mmol/mol
    ("HbA1c 44 mmol/mol", {("blood_glucose_borderline", True)}),
    ("Hb 8.5 g/dl", {("blood_test_anaemia", True)}),
    ("potassium 6.1 mmol/l", {("blood_test_potassium_high", True)}),
    ("BMI: 31", {("obesity", True)}),
])
def test_values_become_findings(reader, text, expected):
    assert _read(reader, text) == expected


@pytest.mark.parametrize("text", [
    "fever for 3 days",          # a duration, not a temperature
    "BP 140",                    # a pair is needed for a blood pressure
    "temperature 380",           # outside the plausible range: ignored, not guessed
    "I was seen on 12/11",       # a date
    "pain 6 out of 10",
    "HR 80",                     # normal and the table does not make it absent
])
def test_what_is_not_a_reading(reader, text):
    assert _read(reader, text) == set()


def test_adult_cut_offs_are_not_applied_to_children(reader):
    assert _read(reader, "RR 28, pulse 130", age=40) == {("tachypnoea", True), ("resting_heart_rate_high", True)}
    assert _read(reader, "RR 28, pulse 130", age=2) == set()


def test_a_measured_value_decides_over_words(kb):
    intake = Intake(kb, IntakeSettings(use_embeddings=False))
    found = {o.id: o.present for o in intake.extract("no fever really, but the thermometer said temperature 38.6").observations}
    assert found["fever"] is True
    found = {o.id: o.present for o in intake.extract("I feel hot but my temperature is 37.0").observations}
    assert found["fever"] is False


def test_someone_elses_reading_is_set_aside(kb):
    intake = Intake(kb, IntakeSettings(use_embeddings=False))
    res = intake.extract("my mother has blood pressure of 190/100 and I have a headache")
    assert "blood_pressure_very_high" not in {o.id for o in res.observations}


def test_table_names_known_findings_and_sources(kb):
    table = load_table()
    for m in table.measurements:
        for r in m.rules:
            assert r.finding in kb.findings
            assert table.sources[r.source]["url"].startswith("https://")


def test_broken_table_is_a_catalogued_error(tmp_path, kb):
    bad = tmp_path / "measurements.yaml"
    bad.write_text("measurements: [{id: x}]\n")
    with pytest.raises(KnowledgeBaseError) as e:
        load_table(bad)
    assert e.value.code.name == "E301"
    with pytest.raises(KnowledgeBaseError, match="missing"):
        load_table(tmp_path / "absent.yaml")
    table = load_table().model_copy(deep=True)
    table.measurements[0].rules[0].finding = "no_such_finding"
    with pytest.raises(KnowledgeBaseError, match="no_such_finding"):
        MeasurementReader(table, set(kb.findings))
