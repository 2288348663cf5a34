"""Plain-language explanations of drug alerts, on real pairs from the shipped tables: the severity word and the
management text exactly as the alert has them; a model only rewrites "what may happen", and a sentence that
names another drug, rates the danger in its own words, says what to do or adds a number is rejected."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medassist.drugs.checker import check
from medassist.drugs.cli import app as meds_app
from medassist.generate.explain import SEVERITY_MEANING, DrugNames, explain_drug_alerts

from .conftest import free_port
from .test_summary import Scripted


@pytest.fixture(scope="module")
def names():
    return DrugNames()


@pytest.fixture(scope="module")
def warfarin_ibuprofen():
    result = check(["warfarin", "ibuprofen"], [], [])
    assert [(a.severity, a.title) for a in result.alerts] == [("major", "ibuprofen + warfarin")]
    return result


def test_each_alert_keeps_its_severity_and_its_management_text_verbatim():
    result = check(["simvastatin", "clarithromycin", "propranolol", "notadrugatall"], ["asthma"], [])
    exp = explain_drug_alerts(result)
    assert [a.title for a in exp.alerts] == [a.title for a in result.alerts]  # most severe first, none dropped
    for alert, plain in zip(result.alerts, exp.alerts, strict=True):
        assert plain.headline.startswith(f"{alert.title}: ")
        assert f"severity {alert.severity} ({SEVERITY_MEANING[alert.severity]})" in plain.headline
        assert plain.management == alert.management
        assert f"What to do: {alert.management}" in exp.text.splitlines()  # a whole line, unchanged
        assert f"What may happen: {alert.effect}" in plain.effect
    assert exp.not_checked[0].startswith("Not recognised, so not checked: notadrugatall")
    assert exp.text.startswith(exp.not_checked[0]) and exp.text.endswith(result.disclaimer)
    assert exp.backend == "extractive" and exp.fallback is None


def test_nothing_found_says_it_proves_nothing():
    result = check(["paracetamol"], [], [])
    exp = explain_drug_alerts(result)
    assert exp.alerts == [] and exp.text.splitlines()[0] == result.note


def test_a_models_sentences_are_checked_against_the_alert(warfarin_ibuprofen):
    alert = warfarin_ibuprofen.alerts[0]
    text = ("Ibuprofen and warfarin together make bleeding more likely. "  # grounded
            "Aspirin does the same. "  # another drug
            "This is a minor problem. "  # another severity
            "You should stop ibuprofen. "  # what to do: the management text's job
            "About 50 in 100 people bleed.")  # a number not in the alert
    backend = Scripted(text)
    exp = explain_drug_alerts(warfarin_ibuprofen, backend)
    checks = {c.text: c for c in exp.alerts[0].checks}
    assert checks["Ibuprofen and warfarin together make bleeding more likely."].kept
    assert checks["Aspirin does the same."].reasons == ["not in the alert: Aspirin"]
    assert any("minor" in r for r in checks["This is a minor problem."].reasons)
    assert any("says what to do" in r for r in checks["You should stop ibuprofen."].reasons)
    assert "number not in the alert: 50" in checks["About 50 in 100 people bleed."].reasons
    plain = exp.alerts[0]
    assert plain.effect == ["Ibuprofen and warfarin together make bleeding more likely."]
    assert plain.management == alert.management and "severity major" in plain.headline
    assert exp.backend == "llama_cpp" and plain.backend == "llama_cpp"
    prompt = backend.prompts[0][-1]["content"]
    assert alert.effect in prompt and alert.management not in prompt


def test_a_class_the_alert_names_may_be_said_and_the_alerts_own_severity_words_too(names):
    result = check(["propranolol"], ["asthma"], [])
    alert = result.alerts[0].to_dict()
    assert alert["severity"] == "contraindicated" and "severe" in alert["effect"]
    exp = explain_drug_alerts(result, Scripted(
        "Propranolol is a non-selective beta-blocker and can tighten the airways in asthma. "
        "The spasm can be severe. Salbutamol may not work."))
    checks = [c.kept for c in exp.alerts[0].checks]
    assert checks == [True, True, False]


def test_when_nothing_the_model_wrote_holds_the_alerts_own_words_stay(warfarin_ibuprofen):
    exp = explain_drug_alerts(warfarin_ibuprofen, Scripted("This is safe. Take paracetamol instead."))
    assert exp.alerts[0].effect == explain_drug_alerts(warfarin_ibuprofen).alerts[0].effect
    assert exp.backend == "extractive" and "grounding" in exp.fallback


def test_meds_check_explain_in_json_and_text():
    runner = CliRunner()
    res = runner.invoke(meds_app, ["check", "-d", "warfarin, ibuprofen", "--json", "--explain"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    plain = data["explanation"]["alerts"][0]
    assert plain["management"] == data["alerts"][0]["management"] and plain["severity"] == "major"
    res = runner.invoke(meds_app, ["check", "-d", "simvastatin", "-d", "clarithromycin", "--explain"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.split("In plain words:\n", 1)[1].splitlines()
    assert lines[0].startswith("clarithromycin + simvastatin: interaction, severity contraindicated")
    assert "explanation" not in json.loads(runner.invoke(meds_app, ["check", "-d", "warfarin", "--json"]).stdout)


def test_meds_check_explain_with_a_server_that_is_down_falls_back(monkeypatch):
    monkeypatch.setenv("MEDASSIST_LLM_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("MEDASSIST_LLM_TIMEOUT_S", "5")
    res = CliRunner().invoke(meds_app, ["check", "-d", "warfarin, ibuprofen", "--json", "--explain",
                                        "--backend", "llm"])
    assert res.exit_code == 0, res.output
    exp = json.loads(res.stdout)["explanation"]
    assert exp["backend"] == "extractive" and exp["fallback"].startswith("[E904]")
    assert exp["alerts"][0]["effect"] == explain_drug_alerts(check(["warfarin", "ibuprofen"], [], [])).alerts[0].effect


def test_a_wrong_backend_name_is_a_clear_error():
    res = CliRunner().invoke(meds_app, ["check", "-d", "warfarin", "--explain", "--backend", "gpt"])
    assert res.exit_code == 2 and "use extractive or llm" in res.output


def test_an_allergy_alert_may_name_the_allergy_but_no_other_medicine():
    result = check(["amoxicillin"], [], ["penicillin"])
    alert = result.alerts[0]
    assert alert.kind == "allergy" and alert.severity == "contraindicated"
    exp = explain_drug_alerts(result, Scripted("Amoxicillin is a penicillin, and you have a penicillin allergy. "
                                               "Cefalexin can cause the same reaction."))
    checks = exp.alerts[0].checks
    assert [c.kept for c in checks] == [True, False]
    assert checks[1].reasons == ["not in the alert: Cefalexin"]
    assert exp.alerts[0].management == alert.management
