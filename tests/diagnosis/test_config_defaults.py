"""The engine's settings have one value: the code defaults equal the shipped configs/diagnosis.yaml, and a
missing settings file is an error, never a silent fall-back to other numbers."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from medassist.diagnosis.engine import CONFIG, DiagnosisConfig, load_diagnosis_config
from medassist.diagnosis.intake import IntakeSettings
from medassist.diagnosis.interview import InterviewSettings
from medassist.diagnosis.reasoner import ReasonerSettings
from medassist.diagnosis.triage import TriageSettings
from medassist.errors import ConfigError

SHIPPED = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


@pytest.mark.parametrize("section, cls", [("reasoner", ReasonerSettings), ("triage", TriageSettings),
                                          ("interview", InterviewSettings), ("intake", IntakeSettings)])
def test_code_defaults_equal_the_shipped_yaml(section, cls):
    defaults = dataclasses.asdict(cls())
    for key, value in SHIPPED[section].items():
        assert defaults[key] == value, f"{section}.{key}: code default {defaults[key]!r}, shipped YAML {value!r}"


def test_top_level_defaults_equal_the_shipped_yaml():
    default = DiagnosisConfig().model_dump()
    for key, value in SHIPPED.items():
        if isinstance(value, dict) and key != "ensemble":
            continue
        if key == "ensemble":
            for k, v in value.items():
                assert default["ensemble"][k] == v, f"ensemble.{k}"
        else:
            assert default[key] == value, key


def test_a_missing_settings_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_diagnosis_config(tmp_path / "nope.yaml")
    assert "E206" in str(exc.value) and "nope.yaml" in str(exc.value)


def test_a_broken_settings_file_is_an_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("reasoner: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="E206"):
        load_diagnosis_config(bad)
