from pathlib import Path

import pytest
import yaml

from medassist.doc import Note
from medassist.errors import ConfigError
from medassist.pipeline import Pipeline


def _flags(nlp: Pipeline, text: str) -> list[tuple[str, str]]:
    return [(e.text, e.assertion) for e in nlp(text).entities]


def test_categories(analysis_nlp: Pipeline) -> None:
    text = (
        "Patient denies chest pain, shortness of breath or nausea but reports cough. No fever. "
        "He has a history of MI. Possible pneumonia. Return if headache develops. Mother with breast cancer."
    )
    assert _flags(analysis_nlp, text) == [
        ("chest pain", "negated"), ("shortness of breath", "negated"), ("nausea", "negated"), ("cough", "present"),
        ("fever", "negated"), ("MI", "historical"), ("pneumonia", "possible"), ("headache", "hypothetical"),
        ("breast cancer", "family"),
    ]  # fmt: skip


def test_scope_does_not_cross_sentence_boundaries(analysis_nlp: Pipeline) -> None:
    assert _flags(analysis_nlp, "He denies fever. Cough is present.") == [
        ("fever", "negated"),
        ("Cough", "present"),
    ]
    assert _flags(analysis_nlp, "No rash\nHeadache since Monday") == [
        ("rash", "negated"),
        ("Headache", "present"),
    ]
    assert _flags(analysis_nlp, "History of asthma. Wheezing today.") == [
        ("asthma", "historical"),
        ("Wheezing", "present"),
    ]


def test_backward_cues_pseudo_cues_and_terminators(analysis_nlp: Pipeline) -> None:
    assert _flags(analysis_nlp, "Pulmonary embolism was ruled out.") == [("Pulmonary embolism", "negated")]
    assert _flags(analysis_nlp, "No change in edema.") == [("edema", "present")]
    assert _flags(analysis_nlp, "Gram negative sepsis.") == [("sepsis", "present")]
    assert _flags(analysis_nlp, "No fever, however has cough.") == [
        ("fever", "negated"),
        ("cough", "present"),
    ]
    assert _flags(analysis_nlp, "Rule out PE.") == [("PE", "possible")]
    assert _flags(analysis_nlp, "If not she would require a tracheostomy.") == [
        ("tracheostomy", "hypothetical")
    ]


def test_section_rules_and_relative(analysis_nlp: Pipeline) -> None:
    text = "PMH: HTN, DM2.\nFAMILY HISTORY: Father had CAD.\nPLAN: CT chest. Start aspirin.\nHPI: chest pain."
    note = analysis_nlp(text)
    got = {(e.text, e.assertion, e.section) for e in note.entities}
    assert ("HTN", "historical", "past_medical_history") in got
    assert ("CAD", "family", "family_history") in got
    assert ("CT chest", "hypothetical", "plan") in got
    assert ("aspirin", "present", "plan") in got  # drugs in the plan keep their own status
    assert ("chest pain", "present", "history_of_present_illness") in got
    cad = next(e for e in note.entities if e.text == "CAD")
    assert cad.attributes["relative"] == "father" and "family:section:family_history" in cad.assertion_cues


def test_cross_sentence_only_when_the_rule_says_so(tmp_path: Path) -> None:
    rules = {
        "rules": [
            {
                "cue": "negative for",
                "category": "negated",
                "direction": "forward",
                "max_scope": 10,
                "cross_sentence": True,
            }
        ]
    }
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    cfg = {
        "components": [
            {"name": "sentences"},
            {"name": "entities", "settings": {"use_kb": False, "use_drugs": False}},
            {"name": "assertion", "settings": {"rules_path": str(path)}},
        ]
    }
    nlp = Pipeline.from_config(cfg)
    assert _flags(nlp, "ROS negative for:\nfever\ncough") == [("fever", "negated"), ("cough", "negated")]
    default = Pipeline.from_config({"components": cfg["components"][:2] + [{"name": "assertion"}]})
    assert _flags(default, "ROS negative for:\nfever\ncough") == [("fever", "present"), ("cough", "present")]


def test_invalid_rules_file_is_reported(tmp_path: Path) -> None:
    from medassist.nlp.assertion import make_assertion

    path = tmp_path / "bad.yaml"
    path.write_text("rules:\n  - {cue: no, category: sometimes}\n")
    with pytest.raises(ConfigError, match="E510"):
        make_assertion(rules_path=str(path))


def test_no_entities_is_fine(analysis_nlp: Pipeline) -> None:
    assert analysis_nlp(Note(text="Nothing clinical here.")).entities == []
