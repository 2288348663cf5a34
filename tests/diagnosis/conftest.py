"""A tiny knowledge base the tests write themselves (six conditions, a dozen findings)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SRC = [{"title": "MedAssist test fixture (not medical advice)", "url": "https://example.org/fixture"}]


def _f(fid, name, kind, lay, base, clinical=()):
    return {"id": fid, "name": name, "kind": kind, "lay": list(lay), "clinical": list(clinical),
            "question": f"Do you have {name.lower()}?", "base_rate": base}


FINDINGS = [
    _f("fever", "Fever", "symptom", ["high temperature", "feeling hot", "running a temperature"], 0.05),
    _f("cough", "Cough", "symptom", ["coughing", "a cough", "hacking cough"], 0.10),
    _f("sore_throat", "Sore throat", "symptom", ["throat hurts", "scratchy throat", "painful throat"], 0.06),
    _f("runny_nose", "Runny nose", "symptom", ["runny nose", "nose is running", "snotty nose"], 0.06),
    _f("chest_pain", "Chest pain", "symptom", ["pain in my chest", "chest hurts", "chest pain"], 0.03, ["CP"]),
    _f("chest_pain_crushing", "Crushing chest pain", "symptom", ["heavy pressure on my chest", "crushing pain in my chest"], 0.005),
    _f("breathlessness", "Breathlessness", "symptom", ["short of breath", "can't catch my breath", "breathless"], 0.04, ["SOB", "dyspnoea"]),
    _f("headache", "Headache", "symptom", ["my head hurts", "pounding head", "headache"], 0.08),
    _f("neck_stiffness", "Neck stiffness", "sign", ["stiff neck", "can't bend my neck"], 0.01),
    _f("rash_non_blanching", "Non-blanching rash", "sign", ["rash that doesn't fade under a glass", "purple spots that don't fade"], 0.002),
    _f("sweating", "Sweating", "symptom", ["sweaty", "sweating a lot", "clammy"], 0.03),
    _f("smoker", "Smoker", "risk_factor", ["I smoke", "smoker", "I'm a smoker"], 0.15),
]

AGE1 = {"0-1": 1, "2-11": 1, "12-17": 1, "18-39": 1, "40-64": 1, "65+": 1}


def _c(cid, name, icd, triage, per, findings, *, age=None, rf=(), red=(), duration=(), onset=()):
    return {"id": cid, "name": name, "icd10": icd, "area": "primary_care", "specialty": "General practice", "triage": triage,
            "prevalence": {"per_100k": per, "age": age or AGE1, "sex": {"female": 1, "male": 1}},
            "duration": list(duration), "onset": list(onset),
            "findings": [{"id": f, "p": p} for f, p in findings], "risk_factors": [{"id": f, "p": p} for f, p in rf],
            "red_flags": list(red), "next_steps": ["See a doctor."], "sources": SRC}


CONDITIONS = [
    _c("common_cold", "Common cold", "J00", "self_care", 20000,
       [("runny_nose", 0.9), ("sore_throat", 0.5), ("cough", 0.5), ("fever", 0.1), ("headache", 0.2)], duration=["days"]),
    _c("strep_throat", "Streptococcal pharyngitis", "J02.0", "consultation", 2000,
       [("sore_throat", 0.95), ("fever", 0.7), ("cough", 0.1), ("runny_nose", 0.1), ("headache", 0.3)], duration=["days"]),
    _c("pneumonia", "Pneumonia", "J18.9", "consultation_24h", 1000,
       [("cough", 0.9), ("fever", 0.8), ("breathlessness", 0.6), ("chest_pain", 0.3)], duration=["days"]),
    _c("myocardial_infarction", "Acute myocardial infarction", "I21.9", "emergency_ambulance", 200,
       [("chest_pain", 0.9), ("chest_pain_crushing", 0.6), ("sweating", 0.5), ("breathlessness", 0.4), ("fever", 0.02)],
       rf=[("smoker", 0.4)], red=["chest_pain_crushing"], duration=["hours"], onset=["sudden"]),
    _c("meningitis", "Bacterial meningitis", "G00.9", "emergency_ambulance", 5,
       [("fever", 0.9), ("headache", 0.85), ("neck_stiffness", 0.7), ("rash_non_blanching", 0.3)],
       red=["neck_stiffness", "rash_non_blanching"], duration=["hours", "days"], onset=["sudden"]),
    _c("tension_headache", "Tension-type headache", "G44.209", "self_care", 3000,
       [("headache", 0.99), ("fever", 0.01), ("neck_stiffness", 0.05)], duration=["hours", "days"]),
]

RED_FLAGS = [
    {"id": "meningism_fever", "name": "Fever with a stiff neck", "all": ["fever", "neck_stiffness"], "level": "emergency_ambulance",
     "message": "A fever with a stiff neck can be meningitis. Call an emergency number now.", "sources": SRC},
    {"id": "non_blanching_rash", "name": "Rash that does not fade", "any": ["rash_non_blanching"], "level": "emergency_ambulance",
     "message": "A rash that does not fade under a glass can be sepsis. Call an emergency number now.", "sources": SRC},
]


def write_kb(root: Path) -> Path:
    (root / "findings").mkdir(parents=True)
    (root / "conditions").mkdir()
    (root / "findings" / "all.yaml").write_text(yaml.safe_dump({"sources": SRC, "findings": FINDINGS}))
    (root / "conditions" / "all.yaml").write_text(yaml.safe_dump({"conditions": CONDITIONS}))
    (root / "red_flags.yaml").write_text(yaml.safe_dump({"red_flags": RED_FLAGS}))
    src_triage = Path(__file__).resolve().parents[2] / "src" / "medassist" / "knowledge" / "data" / "triage.yaml"
    (root / "triage.yaml").write_text(src_triage.read_text())
    return root


@pytest.fixture(scope="session")
def fixture_kb(tmp_path_factory):
    from medassist.knowledge import KnowledgeBase

    return KnowledgeBase.load(write_kb(tmp_path_factory.mktemp("kb")))


@pytest.fixture(scope="session")
def reasoner(fixture_kb):
    from medassist.diagnosis.reasoner import Reasoner

    return Reasoner(fixture_kb)
