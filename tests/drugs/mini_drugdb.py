"""A tiny hand-written drug-safety folder for unit tests of the checker logic.

The data is kept as Python structures and written out as YAML, so tests can alter a copy before writing.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

REF = ["ref"]


def _drug(ident: str, **kw: Any) -> dict[str, Any]:
    return {"id": ident, "name": kw.pop("name", ident), **kw, "sources": REF}


def _class(ident: str, name: str, label: str, **kw: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "label": label,
        "description": f"test class {name}",
        **kw,
        "sources": REF,
    }


def _rule(agents: list[str], topic: str, severity: str, effect: str) -> dict[str, Any]:
    return {
        "agents": agents,
        "topic": topic,
        "severity": severity,
        "mechanism": f"mechanism of {effect}",
        "effect": effect,
        "management": f"management of {effect}",
        "sources": REF,
    }


def _ci(agent: str, condition: str, severity: str, reason: str) -> dict[str, Any]:
    return {
        "agent": agent,
        "condition": condition,
        "severity": severity,
        "reason": reason,
        "management": "test management text",
        "sources": REF,
    }


MINI: dict[str, dict[str, Any]] = {
    "sources.yaml": {"sources": {"ref": {"title": "Test reference", "url": "https://example.org/ref"}}},
    "classes.yaml": {
        "classes": [
            _class("nsaid", "NSAIDs", "an NSAID", duplicate_therapy=True),
            _class("anticoagulant", "Anticoagulants", "an anticoagulant", includes=["vka"]),
            _class("vka", "Vitamin K antagonists", "a vitamin K antagonist"),
            _class(
                "bleeding_risk",
                "Bleeding-risk drugs",
                "a drug that increases bleeding risk",
                includes=["nsaid", "anticoagulant"],
            ),
            _class("penicillin", "Penicillins", "a penicillin"),
            _class("cephalosporin", "Cephalosporins", "a cephalosporin"),
            _class("analgesic", "Analgesics", "an analgesic"),
        ]
    },
    "drugs_1.yaml": {
        "drugs": [
            _drug("warfarin", brands={"us": ["Coumadin"]}, classes=["vka"]),
            _drug("ibuprofen", brands={"us": ["Advil"]}, misspellings=["ibuprofin"], classes=["nsaid"]),
            _drug("naproxen", classes=["nsaid"]),
            _drug("paracetamol", other_names=["acetaminophen"], classes=["analgesic"]),
            _drug("codeine", classes=["analgesic"]),
            _drug("co_codamol", name="co-codamol", components=["codeine", "paracetamol"]),
            _drug("amoxicillin", classes=["penicillin"]),
            _drug("cefalexin", classes=["cephalosporin"]),
        ]
    },
    "interactions.yaml": {
        "interactions": [
            _rule(
                ["class:bleeding_risk", "class:bleeding_risk"], "bleeding", "minor", "class-class effect text"
            ),
            _rule(["class:nsaid", "class:anticoagulant"], "bleeding", "major", "nsaid-anticoagulant effect"),
            _rule(["warfarin", "class:nsaid"], "bleeding", "moderate", "warfarin-nsaid effect"),
            _rule(["warfarin", "naproxen"], "bleeding", "contraindicated", "warfarin-naproxen effect"),
            _rule(["warfarin", "paracetamol"], "pk_increase", "moderate", "INR may rise"),
        ]
    },
    "conditions.yaml": {
        "conditions": [
            {
                "id": "ckd",
                "name": "Chronic kidney disease",
                "icd10": "N18",
                "synonyms": ["CKD"],
                "sources": REF,
            },
            {
                "id": "severe_ckd",
                "name": "Severe renal impairment",
                "icd10": "N18.4",
                "synonyms": ["renal failure"],
                "implies": ["ckd"],
                "sources": REF,
            },
        ]
    },
    "contraindications.yaml": {
        "contraindications": [
            _ci("class:nsaid", "ckd", "moderate", "NSAIDs harm kidneys"),
            _ci("class:nsaid", "severe_ckd", "contraindicated", "NSAIDs harm failing kidneys"),
        ]
    },
    "allergies.yaml": {
        "allergy_groups": [
            {
                "id": "penicillin",
                "name": "Penicillin allergy",
                "synonyms": ["penicillin", "penicillins"],
                "members": ["class:penicillin"],
                "severity": "contraindicated",
                "reason": "penicillin allergy reason text",
                "management": "avoid all penicillins",
                "cross_reactivity": [
                    {
                        "agents": ["class:cephalosporin"],
                        "severity": "moderate",
                        "note": "low cross-reactivity note",
                    }
                ],
                "sources": REF,
            }
        ]
    },
}


def mini_files() -> dict[str, dict[str, Any]]:
    """A deep copy of the fixture data, safe to modify."""
    return copy.deepcopy(MINI)


def write_folder(path: Path, files: dict[str, dict[str, Any]] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, data in (MINI if files is None else files).items():
        (path / name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
