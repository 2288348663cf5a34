"""Triage: red-flag rules first (any rule that fires forces an emergency level), then the posterior.

Posterior triage: for each level from the most urgent, the probability mass of conditions whose own
triage level is at least that urgent; the most urgent level whose mass reaches its threshold wins.
The "other" (not in the knowledge base) mass counts as ``consultation``: when we do not know, the
advice is to see a clinician, never self-care.  Thresholds are low for the emergency levels on
purpose: under-triage of an emergency costs far more than over-triage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from medassist.diagnosis.reasoner import Case, Reasoner
from medassist.doc import TRIAGE_LEVELS, RedFlag, Triage

RANK = {level: i for i, level in enumerate(TRIAGE_LEVELS)}


@dataclass
class TriageSettings:
    thresholds: dict[str, float] = field(
        default_factory=lambda: {
            "emergency_ambulance": 0.15,
            "emergency": 0.12,
            "consultation_24h": 0.25,
            "consultation": 0.30,
        }
    )
    condition_red_flag_min_posterior: float = 0.03  # a condition's own red flag counts when it is at least this likely


def fired_rules(reasoner: Reasoner, case: Case) -> list[RedFlag]:
    present = set(case.present)
    out = []
    for rule in reasoner.kb.red_flags:
        if rule.age_min is not None and (case.age is None or case.age < rule.age_min):
            continue
        if rule.age_max is not None and (case.age is None or case.age > rule.age_max):
            continue
        if all(f in present for f in rule.all) and (not rule.any or any(f in present for f in rule.any)):
            out.append(RedFlag(rule.id, rule.name, rule.level, rule.message,
                               sorted(f for f in [*rule.all, *rule.any] if f in present)))
    out.sort(key=lambda r: RANK[r.level])
    return out


def triage(reasoner: Reasoner, case: Case, post: np.ndarray, settings: TriageSettings | None = None
           ) -> tuple[Triage, list[RedFlag]]:
    """The triage of a case and the red-flag rules that fired (most urgent first)."""
    settings = settings or TriageSettings()
    kb = reasoner.kb
    if not case.observations:
        return Triage(None, "Not enough information",
                      "I could not find symptoms to assess. If you feel very unwell, or you are worried, contact a "
                      "doctor; in an emergency call your local emergency number.", None, []), []
    reasons: list[str] = []
    level_rank = RANK["self_care"]
    rules = fired_rules(reasoner, case)
    for r in rules:
        level_rank = min(level_rank, RANK[r.level])
        reasons.append(f"Red flag: {r.name}")
    present = set(case.present)
    for i, cid in enumerate(reasoner.condition_ids):
        if post[i] < settings.condition_red_flag_min_posterior:
            continue
        cond = kb.conditions[cid]
        hits = [f for f in cond.red_flags if f in present]
        if hits:
            urgent = min(RANK["emergency"], RANK[cond.triage])
            if urgent < level_rank or not any(cid in x for x in reasons):
                names = ", ".join(kb.findings[f].name.lower() for f in hits)
                reasons.append(f"Warning sign for {cond.name.lower()}: {names}")
            level_rank = min(level_rank, urgent)
    # posterior mass by level
    cond_rank = np.array([RANK[kb.conditions[c].triage] for c in reasoner.condition_ids] + [RANK["consultation"]])
    post_level = RANK["self_care"]
    for level in TRIAGE_LEVELS[:-1]:
        mass = float(post[cond_rank <= RANK[level]].sum())
        if mass >= settings.thresholds[level]:
            post_level = RANK[level]
            if post_level < RANK["consultation"]:
                top = [kb.conditions[reasoner.condition_ids[i]].name for i in np.argsort(-post)[:5]
                       if i < len(reasoner.condition_ids) and cond_rank[i] <= post_level]
                if top:
                    reasons.append(f"{int(round(mass * 100))}% probability of conditions needing this level of care "
                                   f"(such as {', '.join(top[:2]).lower()})")
            break
    if post_level < level_rank:
        level_rank = post_level
    level = TRIAGE_LEVELS[level_rank]
    info = kb.triage.get(level)
    label = info.label if info else level
    advice = info.advice if info else ""
    group = info.group if info else None
    if rules:
        advice = rules[0].message + " " + advice
    return Triage(level, label, advice, group, reasons), rules
