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
    triage: str
    area: str = ""

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
    tri_ok = under = over = emerg = 0
    under_ids = []
    for r in rows:
        for k in hit:
            if set(r["ranked"][:k]) & r["answers"]:
                hit[k] += 1
        gold, pred = r["gold_group"], r["pred_group"] or "non_emergency"
        tri_ok += gold == pred
        if gold == "emergency":
            emerg += 1
            if pred != "emergency":
                under += 1
                under_ids.append(r.get("id"))
        if GROUP_RANK[pred] < GROUP_RANK[gold]:
            over += 1
    return {
        "n": n,
        "top1": hit[1] / n if n else 0.0,
        "top3": hit[3] / n if n else 0.0,
        "top10": hit[10] / n if n else 0.0,
        "triage_accuracy": tri_ok / n if n else 0.0,
        "emergencies": emerg,
        "under_triaged_emergencies": under,
        "under_triage_rate": under / emerg if emerg else 0.0,
        "under_triaged_ids": under_ids,
        "over_triage_rate": over / n if n else 0.0,
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
                ranked = [d["condition"] for d in result["differential"]]
                ranked += [engine.reasoner.condition_ids[i] for i in np.argsort(-post[:-1])[:10] if
                           engine.reasoner.condition_ids[i] not in ranked]
                level = result["triage"]["level"]
            group = kb.triage[level].group if level else None
            rows[mode].append({"id": v.id, "ranked": ranked[:10], "answers": v.answers, "gold": v.gold, "gold_group": v.triage,
                               "pred_level": level, "pred_group": group,
                               "rank_of_gold": next((i + 1 for i, c in enumerate(ranked) if c in v.answers), None)})
    return {m: (score(rows[m]), rows[m]) for m in modes}


def _posterior_level(engine, post) -> str:  # noqa: ANN001
    """Triage level from probabilities alone (the same thresholds as the engine, no red-flag rules)."""
    import numpy as np

    from medassist.diagnosis.triage import RANK
    from medassist.knowledge.schema import TRIAGE_LEVELS

    kb = engine.kb
    cond_rank = np.array([RANK[kb.conditions[c].triage] for c in engine.reasoner.condition_ids] + [RANK["consultation"]])
    for level in TRIAGE_LEVELS[:-1]:
        if float(post[cond_rank <= RANK[level]].sum()) >= engine.triage_settings.thresholds[level]:
            return level
    return "self_care"
