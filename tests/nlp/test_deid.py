"""De-identification: every identifier type, modes, surrogate consistency, date shifting, model union, logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import types

import pytest

from medassist.doc import Note
from medassist.errors import ConfigError
from medassist.nlp.deid import PHI_TYPES, DateShifter, Deidentifier, deidentify
from medassist.nlp.deid_synth import generate, score

# (text, identifier text, expected type) -- one or more cases per identifier type
CASES = [
    ("Patient: John Smith presents today.", "John Smith", "NAME"),
    ("Seen by Dr. Priya Patel in clinic.", "Priya Patel", "NAME"),
    ("Mrs. O'Connor was admitted.", "O'Connor", "NAME"),
    ("His wife Maria is at the bedside.", "Maria", "NAME"),
    ("Electronically signed by Karen Wu, MD", "Karen Wu", "NAME"),
    ("Follow-up with J. Kowalski next week.", "J. Kowalski", "NAME"),
    ("cc: Hernandez, Luis", "Hernandez, Luis", "NAME"),
    ("NAME: ROBERT JOHNSON", "ROBERT JOHNSON", "NAME"),
    ("Sincerely,\nThaddeus Okonkwo\nClinic", "Thaddeus Okonkwo", "NAME"),
    ("Dictated by LM.\nLM/jk", "LM", "NAME"),
    ("Admitted 03/14/2023 for chest pain.", "03/14/2023", "DATE"),
    ("Seen on 14-Mar-2023.", "14-Mar-2023", "DATE"),
    ("Surgery on March 14th went well.", "March 14th", "DATE"),
    ("Follow up on 3/14.", "3/14", "DATE"),
    ("Labs drawn 2023-03-14 were normal.", "2023-03-14", "DATE"),
    ("Return on the 14th for suture removal.", "14th", "DATE"),
    ("Symptoms began in March 2021.", "March 2021", "DATE"),
    ("Seen Tuesday, March 14, 2023 in clinic.", "Tuesday, March 14, 2023", "DATE"),
    ("A 92-year-old woman with CHF.", "92", "AGE"),
    ("Pt is 95 yo.", "95", "AGE"),
    ("Call (617) 555-0134 with results.", "(617) 555-0134", "PHONE"),
    ("Fax: 617-555-0199", "617-555-0199", "FAX"),
    ("Email jdoe42@example.com for records.", "jdoe42@example.com", "EMAIL"),
    ("SSN 123-45-6789 on file.", "123-45-6789", "SSN"),
    ("MRN: 00482913", "00482913", "MRN"),
    ("Member ID: XKB123456789 (Aetna).", "XKB123456789", "HEALTH_PLAN"),
    ("Account number: 4471-220981.", "4471-220981", "ACCOUNT"),
    ("DEA number AB1234563 verified.", "AB1234563", "LICENSE"),
    ("Vehicle VIN 1HGCM82633A004352 involved.", "1HGCM82633A004352", "VEHICLE"),
    ("License plate 7ABC123 noted by police.", "7ABC123", "VEHICLE"),
    ("Pacemaker serial number PJN204881R.", "PJN204881R", "DEVICE"),
    ("Results at https://portal.example.org/r/9931 today.", "https://portal.example.org/r/9931", "URL"),
    ("Logged from IP 10.24.7.199 overnight.", "10.24.7.199", "IP"),
    ("Lives at 1234 Elm Street, Apt 5B with family.", "1234 Elm Street, Apt 5B", "ADDRESS"),
    ("Lives in Springfield, IL 62704.", "Springfield", "CITY"),
    ("Lives in Springfield, IL 62704.", "62704", "ZIP"),
    ("Transferred from Mercy General Hospital.", "Mercy General Hospital", "FACILITY"),
    ("Specimen accession number S22-004417 sent.", "S22-004417", "ID"),
]


@pytest.fixture(scope="module")
def deid() -> Deidentifier:
    return Deidentifier(secret="test-secret")


@pytest.mark.parametrize(("text", "phi", "label"), CASES, ids=[f"{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_identifier_found(deid: Deidentifier, text: str, phi: str, label: str) -> None:
    spans = deid.find(text)
    start = text.index(phi)
    covering = [s for s in spans if s.start <= start and s.end >= start + len(phi)]
    assert covering, f"{label} not found in {text!r}: {[(s.label, s.text) for s in spans]}"
    assert covering[0].label == label or label in ("ZIP", "CITY")


def test_every_type_has_a_case() -> None:
    assert {c[2] for c in CASES} == set(PHI_TYPES)


@pytest.mark.parametrize(
    "text",
    [
        "Motor 5/5 strength in all extremities. 2/6 systolic murmur. BP 120/80. Pain 8/10.",
        "Murphy sign negative. Foley catheter placed. Barrett's esophagus on EGD. Jackson-Pratt drain.",
        "A 67-year-old man, smoker since 1998, aged 45 at diagnosis. Hgb 13.2, WBC 10500.",
        "He denies chest pain. The patient reports nausea. Hemostasis was obtained.",
    ],
)
def test_no_false_positives_on_clinical_lookalikes(deid: Deidentifier, text: str) -> None:
    assert [(s.label, s.text) for s in deid.find(text)] == []


def test_offsets_are_into_the_input_and_modes(deid: Deidentifier) -> None:
    text = "Patient: John Smith, seen 03/14/2023. Call 617-555-0134."
    note = deid(Note(text=text, id="n1"))
    for sp in note.phi:
        assert text[sp.start : sp.end] == sp.text
    assert note.deid_text == "Patient: [NAME], seen [DATE]. Call [PHONE]."
    masked = Deidentifier(mode="mask", secret="s")(Note(text=text)).deid_text
    assert masked is not None and len(masked) == len(text) and "John" not in masked and "*" in masked
    assert masked[:9] == "Patient: "


SURROGATE_NOTE = (
    "Patient: John Smith\nAdmitted 03/14/2023. Mr. Smith improved and was discharged 03/20/2023.\n"
    "John will follow up on March 27, 2023. SMITH, JOHN was notified. Call 617-555-0134.\n"
)


def _shift_dates(text: str) -> list[dt.date]:
    out = []
    for m in re.finditer(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", text):
        out.append(dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2))))
    return out


def test_surrogates_consistent_within_a_note() -> None:
    note = deidentify(SURROGATE_NOTE, mode="surrogate", note_id="a1", secret="k1")
    out = note.deid_text
    assert out is not None
    assert "Smith" not in out and "SMITH" not in out and "John" not in out and "617-555-0134" not in out
    first, last = re.match(r"Patient: (\w+) (\w+)", out).groups()  # type: ignore[union-attr]
    assert f"Mr. {last} improved" in out
    assert f"{first} will follow up" in out
    assert f"{last.upper()}, {first.upper()} was notified" in out


def test_date_shift_keeps_intervals_and_is_stable() -> None:
    a = deidentify(SURROGATE_NOTE, mode="surrogate", note_id="a1", secret="k1").deid_text or ""
    b = deidentify(SURROGATE_NOTE, mode="surrogate", note_id="a1", secret="k1").deid_text or ""
    c = deidentify(SURROGATE_NOTE, mode="surrogate", note_id="a1", secret="other").deid_text or ""
    assert a == b  # reruns are stable
    assert a != c  # the secret matters
    d1, d2 = _shift_dates(a)
    assert (d2 - d1).days == 6
    assert d1 != dt.date(2023, 3, 14)
    m = re.search(r"on (\w+ \d+, \d{4})", a)
    assert m is not None
    third = dt.datetime.strptime(m.group(1), "%B %d, %Y").date()
    assert (third - d1).days == 13


def test_date_shifter_formats() -> None:
    sh = DateShifter(10)
    assert sh.shift("03/14/2023") == "03/24/2023"
    assert sh.shift("3/14/23") == "3/24/23"
    assert sh.shift("2023-03-14") == "2023-03-24"
    assert sh.shift("14-Mar-2023") == "24-Mar-2023"
    assert sh.shift("March 14th") == "March 24th"
    assert sh.shift("Mar. 28, 2023") == "Apr. 7, 2023"
    assert sh.shift("December 2022") == "December 2022"
    sh.observe("02/01/2023")
    assert sh.shift("14th") == "24th"  # reference month February 2023: Feb 14 + 10 days
    assert sh.shift("25th") == "7th"  # Feb 25 + 10 days = March 7


def test_unknown_mode_and_types_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="E509"):
        Deidentifier(mode="blur")
    with pytest.raises(ConfigError, match="E203"):
        Deidentifier(types=["NAME", "SHOE_SIZE"])


class FakeModel:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def predict_spans(self, texts: list[str]) -> list[list[dict]]:
        self.calls.append(list(texts))
        out = []
        for t in texts:
            i = t.find("Zorblax")
            spans = [{"start": i, "end": i + 7, "label": "B-PATIENT", "score": 0.97}] if i >= 0 else []
            spans.append({"start": 0, "end": 3, "label": "DATE", "score": 0.1})  # below the threshold
            out.append(spans)
        return out


def test_model_spans_are_unioned_with_rules() -> None:
    model = FakeModel()
    d = Deidentifier(model=model, secret="s")
    note = d(Note(text="The visitor zorb Zorblax came on 03/14/2023."))
    labels = {(s.text, s.label) for s in note.phi}
    assert ("Zorblax", "NAME") in labels and ("03/14/2023", "DATE") in labels
    assert not any(s.start == 0 for s in note.phi)
    assert model.calls and len(model.calls[0]) == 1


def test_model_loaded_from_path_via_medassist_models(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    loaded: list[str] = []

    def load_model(path: str) -> FakeModel:
        loaded.append(path)
        return FakeModel()

    fake = types.ModuleType("medassist.models")
    fake.load_model = load_model  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "medassist.models", fake)
    from medassist.nlp.deid import make_deid

    d = make_deid(model=str(tmp_path))
    assert loaded == [str(tmp_path)]
    assert any(s.text == "Zorblax" for s in d(Note(text="Zorblax here.")).phi)


def test_bad_model_output_is_reported_without_text() -> None:
    class Bad:
        def predict_spans(self, texts: list[str]) -> list:
            return [{"oops": 1}]

    with pytest.raises(ConfigError, match="E508") as info:
        Deidentifier(model=Bad())(Note(text="Secret Name Zorblax"))
    assert "Zorblax" not in str(info.value)


def test_no_phi_in_logs(
    caplog: pytest.LogCaptureFixture, fast_nlp, note_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDASSIST_DEID_SECRET", raising=False)
    caplog.set_level(logging.DEBUG)
    Deidentifier(mode="surrogate")(Note(text=note_text, id="x"))  # default secret: logs a warning
    fast_nlp(note_text)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "E511" in logged or "secret" in logged
    for phi in ("John", "Smith", "00482913", "03/14/1950", "O'Brien", "Sarah"):
        assert phi not in logged


def test_synthetic_corpus_format_and_rules_recall() -> None:
    recs = list(generate(40, seed=123, templates="dev"))
    assert len({r["id"] for r in recs}) == 40
    for r in recs:
        for e in r["entities"]:
            assert 0 <= e["start"] < e["end"] <= len(r["text"]) and e["label"] in PHI_TYPES
            assert r["text"][e["start"] : e["end"]].strip() == r["text"][e["start"] : e["end"]]
    assert json.loads(json.dumps(recs[0])) == recs[0]
    d = Deidentifier(secret="s")
    preds = [[{"start": s.start, "end": s.end, "label": s.label} for s in d.find(r["text"])] for r in recs]
    res = score(recs, preds)
    assert res["overall"]["recall"] >= 0.98 and res["overall"]["precision"] >= 0.95
    assert list(generate(3, 5, "eval")) == list(generate(3, 5, "eval"))  # deterministic
