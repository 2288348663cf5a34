"""Rules and the PHI tagger together: the precedence written in medassist/nlp/deid/component.py, the shipped
tagger itself, and that identifiers never reach a log record or an error message on the model path."""

from __future__ import annotations

import logging

import pytest

from medassist.doc import Note
from medassist.errors import ConfigError, InputError
from medassist.nlp.deid import Deidentifier


class FakeTagger:
    """A tagger whose spans the test chooses: (substring, label, score) per text."""

    def __init__(self, spans: list[tuple[str, str, float]]) -> None:
        self.spans = spans
        self.calls = 0

    def predict_spans(self, texts: list[str]) -> list[list[dict]]:
        self.calls += 1
        out = []
        for text in texts:
            found = []
            for sub, label, score in self.spans:
                i = text.find(sub)
                if i >= 0:
                    found.append({"start": i, "end": i + len(sub), "label": label, "score": score})
            out.append(found)
        return out


def _found(d: Deidentifier, text: str) -> dict[str, tuple[str, str]]:
    return {s.text: (s.label, s.source) for s in d.find(text)}


# ------------------------------------------------------------------ precedence (fake tagger: no model needed)
def test_names_follow_the_model_above_its_threshold():
    text = "seen with greg and with carl today"
    d = Deidentifier(detector="hybrid", model=FakeTagger([("greg", "NAME", 0.6), ("carl", "NAME", 0.4)]))
    found = _found(d, text)
    assert found.get("greg") == ("NAME", "model")
    assert "carl" not in found  # below model_threshold 0.5, and no rule names it


def test_a_weak_rule_name_needs_the_model_to_agree():
    # "wife phyllis": a relation cue before a lower-case word is a weak rule guess (score 0.7 < rules_word_min)
    text = "wife phyllis at bedside"
    rules_only = Deidentifier(detector="rules")
    assert "phyllis" in _found(rules_only, text)  # the rules alone report their guesses
    silent = Deidentifier(detector="hybrid", model=FakeTagger([]))
    assert "phyllis" not in _found(silent, text)
    agreeing = Deidentifier(detector="hybrid", model=FakeTagger([("phyllis", "NAME", 0.8)]))
    assert _found(agreeing, text)["phyllis"] == ("NAME", "model+rules")


def test_a_sure_rule_name_stays_without_the_model():
    text = "Dr. John Bowman called"
    d = Deidentifier(detector="hybrid", model=FakeTagger([]))
    assert _found(d, text).get("John Bowman", ("", ""))[0] == "NAME"


def test_shapes_follow_the_rules_and_the_model_only_when_sure():
    text = "seen on 8/9/2019, code word zq-77 noted"
    unsure = Deidentifier(detector="hybrid", model=FakeTagger([("zq-77", "ID", 0.7)]))
    found = _found(unsure, text)
    assert found["8/9/2019"][0] == "DATE"  # the rules' date, whatever the model says
    assert "zq-77" not in found  # a shape from the model alone needs model_shape_threshold (0.8)
    sure = Deidentifier(detector="hybrid", model=FakeTagger([("zq-77", "ID", 0.95)]))
    assert "zq-77" in _found(sure, text)


def test_the_clinical_denylist_vetoes_the_model_too():
    text = "HR 90s-100s, overvented with 700x10, 1/2 NS at 75cc/hr"
    model = FakeTagger([("90s-100s", "DATE", 0.99), ("700x10", "ID", 0.99), ("1/2", "DATE", 0.99)])
    assert _found(Deidentifier(detector="hybrid", model=model), text) == {}
    assert _found(Deidentifier(detector="model", model=model), text) == {}


def test_model_detector_ignores_the_rules():
    text = "Dr. John Bowman called 555-123-4567"
    d = Deidentifier(detector="model", model=FakeTagger([("Bowman", "NAME", 0.9)]))
    assert _found(d, text) == {"Bowman": ("NAME", "model")}


def test_a_batch_is_one_model_call_and_empty_notes_skip_it():
    model = FakeTagger([("greg", "NAME", 0.9)])
    d = Deidentifier(detector="hybrid", model=model)
    notes = d.pipe([Note(text="son greg here"), Note(text="   "), Note(text="nothing")])
    assert model.calls == 1
    assert notes[0].deid_text == "son [NAME] here" and notes[1].phi == [] and notes[2].phi == []


def test_bad_settings_and_bad_models_are_errors_that_say_what_to_do():
    with pytest.raises(ConfigError, match="E513"):
        Deidentifier(detector="neural")
    with pytest.raises(ConfigError, match="E508"):
        Deidentifier(detector="hybrid", model=object())  # type: ignore[arg-type]

    class Broken:
        def predict_spans(self, texts):
            raise RuntimeError("Jane Roe 555-0100")  # a model that leaks text in its own error

    with pytest.raises(ConfigError) as exc:
        Deidentifier(detector="hybrid", model=Broken()).find("Jane Roe called 555-0100")
    assert "E508" in str(exc.value) and "Jane" not in str(exc.value) and "555" not in str(exc.value)


# ------------------------------------------------------------------ the shipped tagger
@pytest.fixture(scope="module")
def shipped() -> Deidentifier:
    return Deidentifier(detector="hybrid")  # loads src/medassist/artifacts/deid-phi once


def test_the_shipped_tagger_loads_and_adds_what_the_rules_miss(shipped):
    # a surname after "and" with no title or cue: no rule covers it, the tagger reads it from context
    text = "pt seen by dr wynn and bowman overnight on 8/9. wife phyllis at bedside."
    rules = _found(Deidentifier(detector="rules"), text)
    hybrid = _found(shipped, text)
    assert "bowman" not in rules
    assert hybrid.get("bowman", ("", ""))[0] == "NAME"
    assert hybrid["8/9"][0] == "DATE" and hybrid["phyllis"] == ("NAME", "model+rules")


def test_the_shipped_tagger_reads_lower_and_upper_case_names(shipped):
    found = _found(shipped, "pt of dr. john bowman. SPOKE WITH DR RONAYNE RE: PLAN.")
    assert found.get("john bowman", ("", ""))[0] == "NAME"
    assert found.get("RONAYNE", ("", ""))[0] == "NAME"


def test_no_identifier_reaches_a_log_record(shipped, caplog):
    text = "family meeting with son greg and daughter ann carlson. call 201/324/1423. pt of dr. john bowman."
    with caplog.at_level(logging.DEBUG):
        note = shipped(Note(text=text))
        Deidentifier(detector="hybrid", replace="surrogate")(Note(text=text))
    assert {"greg", "carlson", "bowman"} <= {s.text.split()[-1] for s in note.phi}
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "deid:" in logged  # the count record was written, so the check below looked at something
    for secret in ("greg", "carlson", "bowman", "324", "1423", "ann"):
        assert secret not in logged.lower()


def test_a_too_long_note_is_refused_without_its_text():
    d = Deidentifier(detector="hybrid", model=FakeTagger([]), max_chars=50)
    text = "Patient Johanna Smithfield, MRN 1234567, " * 3
    with pytest.raises(InputError) as exc:
        d.find(text)
    msg = str(exc.value)
    assert "E514" in msg and "Johanna" not in msg and "1234567" not in msg
