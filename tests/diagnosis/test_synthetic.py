"""Synthetic patients: gold labels and spans are consistent with the text; runs are seeded."""

from __future__ import annotations

from collections import Counter

from medassist.diagnosis.synthetic import PatientGenerator


def test_mentions_are_exact_spans_of_the_text(fixture_kb):
    gen = PatientGenerator(fixture_kb, seed=3)
    for pat in gen.stream(200):
        assert pat.text and pat.mentions
        for m in pat.mentions:
            assert pat.text[m.start:m.end] == m.text
            assert m.present == (m.id in pat.present)
            assert m.id in fixture_kb.findings
        assert all(f in fixture_kb.findings for f in pat.present + pat.absent)
        assert not set(pat.present) & set(pat.absent)
        assert pat.triage == fixture_kb.conditions[pat.condition].triage


def test_findings_follow_the_condition(fixture_kb):
    gen = PatientGenerator(fixture_kb, seed=5, noise_findings=0.0)
    counts = Counter()
    n = 0
    for pat in gen.stream(300, balanced=True):
        if pat.condition == "common_cold":
            n += 1
            counts.update(pat.present)
    assert n == 50
    assert counts["runny_nose"] / n > 0.7  # p = 0.9 in the fixture
    assert counts["chest_pain_crushing"] == 0  # not a finding of the cold


def test_same_seed_same_patients_and_registers_vary(fixture_kb):
    a = [p.to_dict() for p in PatientGenerator(fixture_kb, seed=11).stream(50)]
    b = [p.to_dict() for p in PatientGenerator(fixture_kb, seed=11).stream(50)]
    c = [p.to_dict() for p in PatientGenerator(fixture_kb, seed=12).stream(50)]
    assert a == b and a != c
    regs = Counter(p.register for p in PatientGenerator(fixture_kb, seed=1).stream(300))
    assert {"lay", "clinical", "parent"} <= set(regs)


def test_balanced_mode_covers_every_condition(fixture_kb):
    seen = Counter(p.condition for p in PatientGenerator(fixture_kb, seed=2).stream(60, balanced=True))
    assert set(seen) == set(fixture_kb.conditions) and len(set(seen.values())) == 1


def test_reasoner_reads_synthetic_patients(fixture_kb, reasoner):
    """With the gold findings (no intake), the reasoner's top-3 contains the true condition most of the time."""
    import numpy as np

    from medassist.diagnosis.reasoner import Case, Observation

    hits = total = 0
    for pat in PatientGenerator(fixture_kb, seed=21).stream(300, balanced=True):
        case = Case(age=pat.age, sex=pat.sex, duration=pat.duration)
        for f in pat.present:
            case.add(Observation(f, True))
        for f in pat.absent:
            case.add(Observation(f, False))
        post = reasoner.posterior(case)
        top3 = [reasoner.condition_ids[i] for i in np.argsort(-post[:-1])[:3]]
        hits += pat.condition in top3
        total += 1
    assert hits / total > 0.8
