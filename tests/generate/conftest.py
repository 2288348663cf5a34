"""Fixtures for the generation tests: a note written for these tests, a fast note pipeline, local HTTP servers."""

from __future__ import annotations

import pytest

from medassist.pipeline import Pipeline

FAST_CONFIG = {
    "components": [
        {"name": "sentences"},
        {"name": "deid", "settings": {"replace": "tag", "detector": "rules", "secret": "test-secret"}},
        {"name": "sections"},
        {"name": "entities", "settings": {"use_kb": False}},
        {"name": "assertion"},
        {"name": "normalize", "settings": {"embeddings": False, "kb": False}},
        {"name": "medications"},
    ]
}

NOTE = """HISTORY OF PRESENT ILLNESS: John Smith is a 64-year-old man with hypertension and type 2 diabetes who \
presents with chest pain for two days. He denies shortness of breath. No fever. History of myocardial infarction \
in 2015. Mother had breast cancer.

ALLERGIES: Penicillin (rash).

MEDICATIONS: Lisinopril 10 mg daily, metformin 500 mg twice a day, aspirin 81 mg daily.

LABS: Troponin negative. Hemoglobin A1c 8.2%.

ASSESSMENT AND PLAN:
1. Chest pain, likely musculoskeletal. ECG normal.
2. Diabetes: increase metformin to 1000 mg twice a day.
3. Stop aspirin. Start atorvastatin 40 mg at night.
Follow up in 2 weeks. Call John Smith at 555-123-4567 with the results.
"""


@pytest.fixture(scope="session")
def nlp() -> Pipeline:
    return Pipeline.from_config(FAST_CONFIG)


@pytest.fixture(scope="session")
def note(nlp):
    return nlp(NOTE, id="n1")
