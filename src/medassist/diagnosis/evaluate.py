"""Scoring a diagnosis engine on vignettes (Semigran et al., BMJ 2015 style) and synthetic patients.

A vignette has a gold condition (plus conditions a careful clinician would also accept), and a gold
triage group: emergency, non_emergency or self_care.  Reported: top-1/3/10 accuracy, triage
accuracy over the three groups, under-triage of emergencies (gold emergency, advice not an
emergency: the error that must be zero) and over-triage (advice more urgent than needed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GROUP_RANK = {"emergency": 0, "non_emergency": 1, "self_care": 2}


@dataclass
class Vignette:
    id: str
    text: str
    age: float | None
    sex: str | None
    gold: str
    acceptable: list[str]
    triage: str  # emergency | non_emergency | self_care; "" when the set gives no triage
    area: str = ""
    gold_name: str = ""  # the gold diagnosis as the set wrote it

    @property
    def answers(self) -> set[str]:
        return {self.gold, *self.acceptable}


def load_vignettes(path: str | Path) -> list[Vignette]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(Vignette(d["id"], d["text"], d.get("age"), d.get("sex"), d["gold"], d.get("acceptable", []),
                                d["triage"], d.get("area", "")))
    return out


def score(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """rows: {"ranked": [condition ids], "answers": set, "gold_group": str, "pred_group": str | None}."""
    rows = list(rows)
    n = len(rows)
    hit = {k: 0 for k in (1, 3, 10)}
    tri_ok = under = over = emerg = labelled = 0
    under_ids = []
    for r in rows:
        for k in hit:
            if set(r["ranked"][:k]) & r["answers"]:
                hit[k] += 1
        gold, pred = r["gold_group"], r["pred_group"] or "non_emergency"
        if not gold:
            continue
        labelled += 1
        tri_ok += gold == pred
        if gold == "emergency":
            emerg += 1
            if pred != "emergency":
                under += 1
                under_ids.append(r.get("id"))
        if GROUP_RANK[pred] < GROUP_RANK[gold]:
            over += 1
    covered = [r for r in rows if not str(r.get("gold", "")).startswith("?")]
    nc = [r["not_covered"] for r in rows if r.get("not_covered") is not None]
    nc_out = [r["not_covered"] for r in rows if r.get("not_covered") is not None and str(r.get("gold", "")).startswith("?")]
    nc_in = [r["not_covered"] for r in covered if r.get("not_covered") is not None]
    return {
        "n": n,
        "gold_in_knowledge_base": len(covered) / n if n else 0.0,
        "mean_not_covered": sum(nc) / len(nc) if nc else None,
        "mean_not_covered_gold_outside_kb": sum(nc_out) / len(nc_out) if nc_out else None,
        "mean_not_covered_gold_in_kb": sum(nc_in) / len(nc_in) if nc_in else None,
        "top1": hit[1] / n if n else 0.0,
        "top3": hit[3] / n if n else 0.0,
        "top10": hit[10] / n if n else 0.0,
        "triage_accuracy": tri_ok / labelled if labelled else None,
        "triage_labelled": labelled,
        "emergencies": emerg,
        "under_triaged_emergencies": under,
        "under_triage_rate": under / emerg if emerg else 0.0,
        "under_triaged_ids": under_ids,
        "over_triage_rate": over / labelled if labelled else None,
    }


def evaluate_engine(engine, vignettes: list[Vignette], mode: str = "ensemble",  # noqa: ANN001
                    progress: Callable[[Iterable], Iterable] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run the engine on every vignette in one ``mode``: reasoner | neural | ensemble."""
    return evaluate_modes(engine, vignettes, [mode], progress)[mode]


def evaluate_modes(engine, vignettes: list[Vignette], modes: list[str],  # noqa: ANN001
                   progress: Callable[[Iterable], Iterable] | None = None) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Score several modes at once: intake and the neural model run once per vignette."""
    import numpy as np

    kb = engine.kb
    if any(m in ("neural", "ensemble") for m in modes) and engine.neural is None:
        raise RuntimeError("no neural model loaded")
    weight = engine.config.ensemble.neural_weight
    rows: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
    it = progress(vignettes) if progress else vignettes
    for v in it:
        consultation = engine.start(v.text, v.age, v.sex)
        neural = consultation.neural
        for mode in modes:
            if mode == "neural":
                probs = neural or {}
                ranked = sorted(probs, key=lambda c: -probs[c])
                post = np.array([probs.get(c, 0.0) for c in engine.reasoner.condition_ids] + [0.0])
                not_covered = None
                level = _posterior_level(engine, post)  # the neural model alone: no findings, no red-flag rules
            else:
                consultation.neural = neural if mode == "ensemble" else None
                engine.config.ensemble.neural_weight = weight if mode == "ensemble" else 0.0
                try:
                    result = engine.assess(consultation)
                    post = engine.posterior(consultation)
                finally:
                    engine.config.ensemble.neural_weight = weight
                    consultation.neural = neural
                not_covered = float(post[-1])
                ranked = [d.condition for d in result.differential.candidates]
                ranked += [engine.reasoner.condition_ids[i] for i in np.argsort(-post[:-1])[:10] if
                           engine.reasoner.condition_ids[i] not in ranked]
                level = result.triage.level if result.triage else None
            group = kb.triage[level].group if level else None
            rows[mode].append({"id": v.id, "ranked": ranked[:10], "answers": v.answers, "gold": v.gold, "gold_group": v.triage,
                               "pred_level": level, "pred_group": group, "not_covered": not_covered,
                               "rank_of_gold": next((i + 1 for i, c in enumerate(ranked) if c in v.answers), None)})
    return {m: (score(rows[m]), rows[m]) for m in modes}


def _posterior_level(engine, post) -> str:  # noqa: ANN001
    """Triage level from probabilities alone (the same thresholds as the engine, no red-flag rules)."""
    import numpy as np

    from medassist.diagnosis.triage import RANK
    from medassist.doc import TRIAGE_LEVELS

    kb = engine.kb
    cond_rank = np.array([RANK[kb.conditions[c].triage] for c in engine.reasoner.condition_ids] + [RANK["consultation"]])
    for level in TRIAGE_LEVELS[:-1]:
        if float(post[cond_rank <= RANK[level]].sum()) >= engine.triage_settings.thresholds[level]:
            return level
    return "self_care"


# ---------------------------------------------------------------------------------------------- vignettes by others
# Published vignette sets give the case as separate fields and the gold diagnosis as free text
# ("COVID 19", "Deep Venous Thrombosis").  The case becomes one text the way a user would paste it; the
# gold is matched to the knowledge base by name, lay name, alias or ICD-10-CM code, never by hand.
# British and American spellings meet in one form (applied to both sides, so "tonsilitis" = "tonsillitis").
_SPELLING = (("tonsilitis", "tonsillitis"), ("venous thrombosis", "vein thrombosis"), ("ae", "e"), ("oe", "e"),
             ("our", "or"), ("sulph", "sulf"), ("tre ", "ter "))
_EMPTY_FIELD = {"", "-", "none", "nil", "n/a", "na", "no", "non"}


def norm_name(text: str) -> str:
    """A diagnosis name for matching: lower case, American spelling, no punctuation or 'unspecified'."""
    from medassist.nlp.normalize import norm_text

    t = norm_text(text) + " "
    for uk, us in _SPELLING:
        t = t.replace(uk, us)
    return " ".join(t.split())


def condition_names(cond: Any) -> set[str]:
    """Every normalised name a knowledge-base condition answers to."""
    import re

    names = {cond.name, cond.id.replace("_", " "), *(getattr(cond, "aliases", None) or [])}
    if cond.lay_name:
        names.add(cond.lay_name)
    for n in list(names):
        m = re.match(r"^(.*?)\s*\((.*)\)\s*$", n)  # "Acute myocardial infarction (heart attack)"
        if m:
            names.update({m.group(1), m.group(2)})
    return {norm_name(n) for n in names if n}


def icd10_codes_for(name: str) -> set[str]:
    """ICD-10-CM codes whose description or inclusion term is this name (normalised)."""
    return set(_icd10_by_name().get(norm_name(name), ()))


def _icd10_by_name() -> dict[str, set[str]]:
    global _ICD_NAMES
    if _ICD_NAMES is None:
        import simple_icd_10_cm as cm

        names: dict[str, set[str]] = {}
        for code in cm.get_all_codes(with_dots=True):
            if cm.is_chapter_or_block(code):
                continue
            for term in [cm.get_description(code), *cm.get_inclusion_term(code)]:
                names.setdefault(norm_name(term), set()).add(code)
        _ICD_NAMES = names
    return _ICD_NAMES


_ICD_NAMES: dict[str, set[str]] | None = None


def match_condition(name: str, kb: Any) -> list[str]:
    """Knowledge-base condition ids that a free-text diagnosis names: by name or alias first, else by an
    ICD-10-CM code equal to, or a parent or child of, the condition's code."""
    key = norm_name(name)
    by_name = [cid for cid, cond in kb.conditions.items() if key in condition_names(cond)]
    if by_name:
        return sorted(by_name)
    codes = icd10_codes_for(name)
    if not codes:
        return []
    out = []
    for cid, cond in kb.conditions.items():
        c = cond.icd10.upper()
        if any(c == g or c.startswith(g) or g.startswith(c) and len(c) > 3 for g in codes):
            out.append(cid)
    return sorted(out)


def structured_case_text(d: dict[str, Any]) -> str:
    """One text from a structured vignette's fields (chief complaint, presentation, absent findings, history)."""
    parts = []
    for key, label in (("chief_complaints", "Chief complaint"), ("presentation", ""), ("absent_findings", ""),
                       ("physical_history", "Medical history"), ("family_history", "Family history"),
                       ("social_history", "Social history")):
        value = " ".join(str(d.get(key) or "").split())
        if value.lower().strip(" .") in _EMPTY_FIELD:
            continue
        value = value if value.endswith((".", "!", "?")) else value + "."
        parts.append(f"{label}: {value}" if label else value)
    return " ".join(parts)


def load_structured_vignettes(path: str | Path, kb: Any, prefix: str = "v") -> list[Vignette]:
    """Vignettes in the Avey / symptomcheck-bench layout: ``correct_diagnosis``, ``demographics``
    ("61 year old Male") and free-text fields.  The gold is matched to the knowledge base; a vignette whose
    gold is not covered keeps ``gold`` as ``"?<name>"`` so it counts as a miss.  No triage label: ``triage``
    is empty."""
    import re

    out = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        d = json.loads(line)
        demo = str(d.get("demographics") or "")
        m = re.search(r"(\d+(?:\.\d+)?)\s*(year|month|week|day)", demo, re.I)
        age = None
        if m:
            unit = m.group(2).lower()
            age = float(m.group(1)) / {"year": 1, "month": 12, "week": 52, "day": 365}[unit]
        sex = "f" if re.search(r"\bfemale\b|\bwoman\b|\bgirl\b", demo, re.I) else "m" if re.search(r"\bmale\b|\bman\b|\bboy\b", demo, re.I) else None
        gold_name = str(d["correct_diagnosis"])
        ids = match_condition(gold_name, kb)
        gold = ids[0] if ids else f"?{gold_name}"
        out.append(Vignette(f"{prefix}{i + 1:03d}", structured_case_text(d), age, sex, gold, ids[1:], "",
                           gold_name=gold_name))
    return out
