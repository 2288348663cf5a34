"""The interview: which question to ask next, by expected information gain, and when to stop.

Candidates are the findings that the most probable conditions list and that are not yet known or
asked.  A specific finding (``chest_pain_crushing``) is only asked once its generic parent
(``chest_pain``) is known to be present.  Each candidate is scored by the expected reduction in
entropy of the posterior (over conditions + other) after a yes/no answer, using the same tempered
update as the reasoner.

Safety comes first: during the first ``safety_questions`` questions, if an emergency condition is
still plausible (posterior >= ``safety_floor``) and one of its warning signs has not been asked, that
warning sign is asked before anything else (the most probable emergency first).  A clinician screens
for red flags before refining a benign differential; information gain alone would not, because an
unlikely condition carries little entropy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medassist.diagnosis.reasoner import Case, Reasoner, entropy
from medassist.doc import EMERGENCY_LEVELS, Question


@dataclass
class InterviewSettings:
    budget: int = 12  # at most this many questions
    confidence: float = 0.85  # stop once the top condition reaches this probability
    min_gain: float = 0.02  # stop when no question is expected to gain this many bits
    top_conditions: int = 30  # candidates come from the findings of the most probable conditions
    safety_questions: int = 3  # warning signs are screened first during this many questions
    safety_floor: float = 0.002  # an emergency condition at least this probable gets its warning signs asked


def _tempered_update(post: np.ndarray, p_f: np.ndarray, weight: float) -> tuple[float, np.ndarray, np.ndarray]:
    p_yes = float((post * p_f).sum())
    yes = post * p_f**weight
    no = post * (1 - p_f) ** weight
    return p_yes, yes / yes.sum(), no / no.sum()


def _gain(post: np.ndarray, p_f: np.ndarray, weight: float) -> float:
    """Expected reduction in posterior entropy (bits) from a yes/no answer about one finding."""
    p_yes, yes, no = _tempered_update(post, p_f, weight)
    return float(entropy(post) - (p_yes * entropy(yes) + (1 - p_yes) * entropy(no)))


def should_stop(post: np.ndarray, case: Case, settings: InterviewSettings) -> str | None:
    if len(case.asked) >= settings.budget:
        return "question budget reached"
    if float(post[:-1].max()) >= settings.confidence:
        return "confidence reached"
    return None


def next_question(reasoner: Reasoner, case: Case, post: np.ndarray, settings: InterviewSettings | None = None) -> Question | None:
    settings = settings or InterviewSettings()
    if should_stop(post, case, settings):
        return None
    known = set(case.observations) | set(case.asked)
    top = np.argsort(-post[:-1])[: settings.top_conditions]
    cand: set[int] = set()
    for i in top:
        cand.update(np.flatnonzero(reasoner.listed[i]))
    kb = reasoner.kb
    if len(case.asked) < settings.safety_questions:
        warn: dict[str, float] = {}
        for i in np.argsort(-post[:-1]):
            if post[i] < settings.safety_floor:
                break
            cond = kb.conditions[reasoner.condition_ids[i]]
            if cond.triage not in EMERGENCY_LEVELS:
                continue
            for f in cond.red_flags:
                # screen through the generic parent first ("chest pain?" before "crushing chest pain?")
                while f in reasoner.parents and reasoner.parents[f] not in case.observations:
                    f = reasoner.parents[f]
                parent = reasoner.parents.get(f)
                if parent is not None and not case.observations[parent].present:
                    continue  # parent denied: its children are already ruled out
                if f not in known:
                    warn[f] = warn.get(f, 0.0) + float(post[i])
        if warn:
            fid = max(sorted(warn), key=lambda f: warn[f])
            finding = kb.findings[fid]
            gain = _gain(post, reasoner.p[:, reasoner.f_index[fid]], reasoner.settings.evidence_weight)
            return Question(fid, finding.question, finding.name, round(gain, 4), "checks for a warning sign of a serious condition")
    best: Question | None = None
    best_gain = -1.0
    weight = reasoner.settings.evidence_weight
    for j in sorted(cand):
        fid = reasoner.finding_ids[j]
        if fid in known:
            continue
        parent = reasoner.parents.get(fid)
        if parent is not None and not (parent in case.observations and case.observations[parent].present):
            continue
        gain = _gain(post, reasoner.p[:, j], weight)
        if gain > best_gain:
            finding = kb.findings[fid]
            best, best_gain = Question(fid, finding.question, finding.name, round(gain, 4), "best separates the likely conditions"), gain
    if best is None or best_gain < settings.min_gain:
        return None
    return best
