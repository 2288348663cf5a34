"""Validate the knowledge base and the curated vocabularies: ``python -m medassist.knowledge.check [FOLDER]``
(also ``medassist kb check``).  Exit code 1 when anything is wrong, each problem on its own line."""

from __future__ import annotations

import sys
from collections import Counter

import medassist.knowledge.terms as terms_mod
from medassist.errors import KnowledgeBaseError
from medassist.knowledge.kb import KnowledgeBase


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        kb = KnowledgeBase.load(argv[0] if argv else None)
    except KnowledgeBaseError as exc:
        print(exc, file=sys.stderr)
        return 1
    icd_bad = invalid_icd10(kb)
    if not argv:  # the shipped measurement table must name only the shipped knowledge base's findings
        from medassist.knowledge.measurements import MeasurementReader, load_table

        try:
            MeasurementReader(load_table(), set(kb.findings))
        except KnowledgeBaseError as exc:
            print(exc, file=sys.stderr)
            return 1
        from medassist.health import check as health_check

        health_bad = health_check.problems()
        for problem in health_bad:
            print(f"health: {problem}", file=sys.stderr)
        if health_bad:
            return 1
        print(health_check.summary())
    areas = Counter(c.area for c in kb.conditions.values())
    print(f"knowledge base {kb.version}: {len(kb.conditions)} conditions, {len(kb.findings)} findings, "
          f"{len(kb.red_flags)} red-flag rules")
    print("areas: " + ", ".join(f"{a}={n}" for a, n in sorted(areas.items())))
    vocab = terms_mod.problems(kb.terms_dir)
    if not vocab:
        icd_bad += invalid_problem_list_codes(kb)
        sizes = {k: len(kb.terms(k)) for k in terms_mod.KINDS}
        print(f"vocabularies: {len(sizes)} tables, {sum(sizes.values())} entries; "
              f"{len(terms_mod.RULE_FILES)} rule files")
    for problem in vocab:
        print(f"vocabulary: {problem}", file=sys.stderr)
    if icd_bad:
        print("invalid ICD-10-CM codes: " + ", ".join(icd_bad), file=sys.stderr)
    return 1 if icd_bad or vocab else 0


def selftest(kb: KnowledgeBase, ids: list[str], n: int = 20, seed: int = 7) -> dict[str, dict[str, object]]:
    """For curators: can each condition be told apart from the rest of the knowledge base?

    ``n`` synthetic patients per condition are written as text, read back by the lexicon intake (no
    embeddings) and ranked by the reasoner alone.  A condition that is rarely in the top 3 of its own
    patients lacks discriminating findings, has findings the intake cannot read, or a prior so low that
    its evidence never wins; the most frequent rivals say which.  An upper bound, not an accuracy figure."""
    import numpy as np

    from medassist.diagnosis.engine import DiagnosisEngine
    from medassist.diagnosis.intake import Intake, IntakeSettings
    from medassist.diagnosis.synthetic import PatientGenerator

    engine = DiagnosisEngine(kb, intake=Intake(kb, IntakeSettings(use_embeddings=False)))
    gen = PatientGenerator(kb, seed=seed)
    out: dict[str, dict[str, object]] = {}
    for cid in ids:
        top1 = top3 = 0
        rivals: Counter[str] = Counter()
        unread = 0
        for _ in range(n):
            pat = gen.sample(cid)
            cons = engine.start(pat.text, pat.age, "f" if pat.sex == "female" else "m")
            found = set(cons.case.observations)
            unread += sum(1 for f in pat.present if f not in found)
            post = engine.posterior(cons)
            order = [engine.reasoner.condition_ids[i] for i in np.argsort(-post[:-1])[:3]]
            top1 += order[0] == cid
            top3 += cid in order
            rivals.update(c for c in order[:1] if c != cid)
        out[cid] = {"top1": top1 / n, "top3": top3 / n, "rivals": [c for c, _ in rivals.most_common(3)],
                    "present_findings_not_read_per_patient": round(unread / n, 2)}
    return out


def invalid_icd10(kb: KnowledgeBase) -> list[str]:
    import simple_icd_10_cm as cm

    return [f"{c.id}={c.icd10}" for c in kb.conditions.values() if not cm.is_valid_item(c.icd10)]


def invalid_problem_list_codes(kb: KnowledgeBase) -> list[str]:
    """Codes of the problem list (vocabulary ``problems``) that are not ICD-10-CM codes."""
    import simple_icd_10_cm as cm

    return [f"problems.tsv {term!r}={code}" for term, _, code in kb.terms("problems") if not cm.is_valid_item(code)]


if __name__ == "__main__":
    raise SystemExit(main())
