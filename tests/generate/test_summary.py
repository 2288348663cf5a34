"""Extractive problem-oriented summaries from the pipeline's analysis, and how generated text is grounded:
a backend's sentences are checked, the rejected ones replaced by the extractive sentences of their facts."""

from __future__ import annotations

from medassist.generate.backends import Generation
from medassist.generate.summary import Summarizer, facts_prompt, note_facts


class Scripted:
    """A generation backend that writes what a test gives it (the grounding logic under test, not a server)."""

    name, model, remote = "llama_cpp", "scripted", False

    def __init__(self, text: str) -> None:
        self.text, self.prompts = text, []

    def generate(self, messages, max_tokens=200, temperature=0.0, stop=None):
        self.prompts.append(messages)
        return Generation(self.text, self.name, self.model, 0.01, 50, 20)


def _by_kind(facts):
    out = {}
    for f in facts:
        out.setdefault(f.kind, []).append(f)
    return out


def test_facts_have_problems_with_status_medications_with_changes_allergies_results_and_plan(note):
    facts = _by_kind(note_facts(note))
    problems = {f.name: f.status for f in facts["problem"]}
    assert problems["hypertension"] == "present" and problems["myocardial infarction"] == "historical"
    assert problems["breast cancer"] == "family"
    assert "shortness of breath" not in problems and "fever" not in problems
    assert facts["negative"][0].details["names"] == ["shortness of breath", "fever"]
    meds = {f.name: f for f in facts["medication"]}
    assert meds["metformin"].status == "increased"
    assert meds["metformin"].sentence == "Metformin 500 mg twice a day, increased to 1000 mg twice a day."
    assert meds["aspirin"].status == "stopped" and meds["atorvastatin"].status == "started"
    assert meds["lisinopril"].status is None and meds["lisinopril"].sentence == "Lisinopril 10 mg once a day."
    assert "penicillin" not in meds  # an allergy, not a medication
    assert [f.sentence for f in facts["allergy"]] == ["Allergy: penicillin (rash)."]
    assert {"Troponin negative.", "Hemoglobin A1c 8.2%."} <= {f.sentence for f in facts["result"]}
    plan = [f.sentence for f in facts["plan"]]
    assert "Stop aspirin." in plan and "Start atorvastatin 40 mg at night." in plan
    for f in note_facts(note):  # every fact points at the words it was read from
        assert all(0 <= s < e <= len(note.text) for s, e in f.spans)


def test_no_known_allergies(nlp):
    facts = note_facts(nlp("ALLERGIES: NKDA.\nMEDICATIONS: lisinopril 10 mg daily."))
    assert [f.sentence for f in facts if f.kind == "allergy"] == ["No known allergies."]


def test_the_extractive_summary_is_the_default(nlp, note):
    summary = Summarizer(nlp)(note)
    assert summary.backend == "extractive" and summary.fallback is None and summary.checks == []
    data = summary.to_dict()
    assert data["sections"]["medication"][0] == "Lisinopril 10 mg once a day."
    assert data["summary"].startswith("Hypertension. Type 2 diabetes.")
    text = summary.render_text()
    assert "Medications:" in text and "Not present:" in text and "  - Aspirin 81 mg once a day, stopped." in text


def test_the_prompt_is_the_facts_not_the_note(nlp, note):
    backend = Scripted("Hypertension is present.")
    Summarizer(nlp, backend)(note)
    (messages,) = backend.prompts
    prompt = messages[-1]["content"]
    assert prompt == facts_prompt(note_facts(note))
    assert "- Not present: shortness of breath, fever" in prompt and "- Problem: breast cancer (family history)" in prompt
    assert "HISTORY OF PRESENT ILLNESS" not in prompt and "64-year-old" not in prompt


def test_a_generated_summary_keeps_grounded_sentences_and_replaces_the_others(nlp, note):
    text = ("The patient has hypertension and type 2 diabetes. He reports shortness of breath. "
            "He takes lisinopril 20 mg daily. Warfarin was started. Aspirin was stopped.")
    summary = Summarizer(nlp, Scripted(text))(note)
    verdicts = [(c.text, c.kept) for c in summary.checks]
    assert verdicts == [("The patient has hypertension and type 2 diabetes.", True),
                        ("He reports shortness of breath.", False), ("He takes lisinopril 20 mg daily.", False),
                        ("Warfarin was started.", False), ("Aspirin was stopped.", True)]
    assert summary.backend == "llama_cpp" and summary.fallback is None
    assert summary.sentences == ["The patient has hypertension and type 2 diabetes.",
                                 "No shortness of breath, no fever.", "Lisinopril 10 mg once a day.",
                                 "Aspirin was stopped."]  # the invented warfarin has no fact to stand in for it
    data = summary.to_dict()
    assert data["rejected"] == 3 and data["grounding"][1]["replaced_by"] == ["No shortness of breath, no fever."]
    assert data["generation"]["tokens_per_s"] == 2000.0


def test_when_every_sentence_is_rejected_it_says_so(nlp, note):
    summary = Summarizer(nlp, Scripted("He has asthma. He takes warfarin 5 mg."))(note)
    assert all(not c.kept for c in summary.checks)
    assert "every generated sentence was rejected" in summary.fallback
    assert summary.sentences == [f.sentence for f in note_facts(note)]  # the whole extractive summary
