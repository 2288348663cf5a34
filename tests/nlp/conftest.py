"""Fixtures for the clinical-notes tests: small notes written for these tests, fast pipelines."""

from __future__ import annotations

import pytest

from medassist.pipeline import Pipeline

FAST_CONFIG = {
    "components": [
        {"name": "sentences"},
        {"name": "deid", "settings": {"replace": "tag", "detector": "rules", "secret": "test-secret"}},
        {"name": "sections"},
        {"name": "entities", "settings": {"use_kb": False, "use_drugs": False}},
        {"name": "assertion"},
        {"name": "normalize", "settings": {"embeddings": False, "kb": False}},
        {"name": "medications"},
    ]
}

NOTE = """Patient: John Smith        MRN: 00482913
DOB: 03/14/1950     Date of visit: 14-Mar-2023
CHIEF COMPLAINT: Chest pain.
HPI: Mr. Smith is a 73 yo M with HTN, T2DM and CHF who presents with CP and SOB since March 10th.
He denies fever, cough or N/V but reports palpitations. Possible pneumonia.
PAST MEDICAL HISTORY: MI, s/p CABG.
MEDICATIONS: metoprolol 25 mg po bid x 7 days; Lasix 40mg IV daily; albuterol 2 puffs q4h prn wheeze.
ALLERGIES: penicillin (rash).
FAMILY HISTORY: Mother with breast cancer.
PLAN: Check CBC, BMP and CT chest. Return if fever develops.
Electronically signed by Sarah O'Brien, MD on 03/15/2023.
"""


@pytest.fixture(scope="session")
def note_text() -> str:
    return NOTE


@pytest.fixture(scope="session")
def fast_config() -> dict:
    return FAST_CONFIG


@pytest.fixture(scope="session")
def fast_nlp() -> Pipeline:
    return Pipeline.from_config(FAST_CONFIG)


@pytest.fixture(scope="session")
def analysis_nlp() -> Pipeline:
    """Without deid: for entity/assertion tests."""
    cfg = {"components": [c for c in FAST_CONFIG["components"] if c["name"] != "deid"]}
    return Pipeline.from_config(cfg)
