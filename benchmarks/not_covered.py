"""Does the engine know what it does not know?  The "not covered" (other) mass, measured by leaving
conditions out of the knowledge base, and on the Avey development vignettes.

    python benchmarks/not_covered.py                       # factors 1,2,3,4,5,7 side by side
    python benchmarks/not_covered.py --factors 1,4 --patients 100

1. Leave conditions out (synthetic, an upper bound): the 622 conditions are shuffled (seed 7) into five
   folds.  For each fold the reasoner is built on the knowledge base *without* that fold; synthetic
   patients of the removed conditions must get a high not-covered mass, patients of the kept
   conditions a low one.  Reported per ``other_factor`` (P(finding | not covered) = factor x base rate):
   mean mass for removed / kept conditions, AUROC, the share of each for which the answer says "may
   not be covered" (mass >= ``uncertain_other``), and the log loss of the mass as a probability on a
   mixture with 10% uncovered presentations (the prior share ``other_prior``).  Patients are given as
   their findings (no intake), so this isolates the reasoner.
2. Avey development vignettes (written by others; intake as shipped, reasoner alone): the mean mass
   when the gold diagnosis is in the top 3, when it is outside the top 10 or outside the knowledge base,
   and how often "may not be covered" is said for each.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SHARED_DATA, write_result  # noqa: E402


def _case(p):  # noqa: ANN001, ANN202
    from medassist.diagnosis.reasoner import Case, Observation

    c = Case(age=p.age, sex=p.sex, duration=p.duration, onset=p.onset)
    for f in p.present:
        c.add(Observation(f, True))
    for f in p.absent:
        c.add(Observation(f, False))
    return c


def leave_out(kb, settings, n_per_fold: int, threshold: float, mix: float = 0.10) -> dict:  # noqa: ANN001
    from sklearn.metrics import roc_auc_score

    from medassist.diagnosis.reasoner import Reasoner
    from medassist.diagnosis.synthetic import PatientGenerator

    ids = sorted(kb.conditions)
    random.Random(7).shuffle(ids)
    folds = [ids[k::5] for k in range(5)]
    out_mass, in_mass, in_top3 = [], [], []
    for k, held in enumerate(folds):
        hs = set(held)
        sub = dataclasses.replace(kb, conditions={c: v for c, v in kb.conditions.items() if c not in hs})
        r = Reasoner(sub, settings)
        gen = PatientGenerator(kb, seed=100 + k)
        out_mass += [float(r.posterior(_case(gen.sample(held[i % len(held)])))[-1]) for i in range(n_per_fold)]
        gen_in = PatientGenerator(sub, seed=200 + k)
        for _ in range(n_per_fold):
            p = gen_in.sample()
            post = r.posterior(_case(p))
            in_mass.append(float(post[-1]))
            in_top3.append(r.c_index[p.condition] in np.argsort(-post[:-1])[:3])
    o, i = np.array(out_mass), np.array(in_mass)
    y = np.r_[np.ones(len(o)), np.zeros(len(i))]
    q = np.clip(np.r_[o, i], 1e-6, 1 - 1e-6)
    w = np.r_[np.full(len(o), mix / len(o)), np.full(len(i), (1 - mix) / len(i))]
    return {
        "mean_mass_removed_conditions": float(o.mean()), "mean_mass_kept_conditions": float(i.mean()),
        "auroc": float(roc_auc_score(y, q)),
        "says_not_covered_removed": float((o >= threshold).mean()),
        "says_not_covered_kept": float((i >= threshold).mean()),
        "log_loss_10pct_mixture": float(-(w * (y * np.log(q) + (1 - y) * np.log(1 - q))).sum()),
        "top3_kept_conditions": float(np.mean(in_top3)), "patients": len(o) + len(i),
    }


def avey(engine, reasoners: dict[float, object], threshold: float) -> dict:  # noqa: ANN001
    from medassist.diagnosis.evaluate import load_structured_vignettes

    path = SHARED_DATA / "avey_dev" / "vignettes.jsonl"
    vignettes = load_structured_vignettes(path, engine.kb, prefix="avey")
    cases = [(v, engine.start(v.text, v.age, v.sex)) for v in vignettes]
    out: dict[str, dict] = {}
    for factor, r in reasoners.items():
        groups: dict[str, list[float]] = {"gold_in_top3": [], "gold_rank_4_to_10": [], "gold_missed_or_outside_kb": []}
        for v, consultation in cases:
            if not consultation.case.observations:
                continue
            post = r.posterior(consultation.case)  # type: ignore[attr-defined]
            order = [r.condition_ids[j] for j in np.argsort(-post[:-1])[:10]]  # type: ignore[attr-defined]
            ranks = [order.index(g) + 1 for g in v.answers if g in order]
            rank = min(ranks) if ranks else None
            key = ("gold_in_top3" if rank is not None and rank <= 3 else
                   "gold_rank_4_to_10" if rank is not None else "gold_missed_or_outside_kb")
            groups[key].append(float(post[-1]))
        out[str(factor)] = {k: {"n": len(m), "mean_mass": float(np.mean(m)) if m else None,
                                "says_not_covered": float(np.mean(np.array(m) >= threshold)) if m else None}
                            for k, m in groups.items()}
        # the mass read as P(the answer misses: gold outside the top 10 or outside the knowledge base)
        missed = np.array(groups["gold_missed_or_outside_kb"])
        hit = np.array(groups["gold_in_top3"] + groups["gold_rank_4_to_10"])
        q_m, q_h = np.clip(missed, 1e-6, 1 - 1e-6), np.clip(hit, 1e-6, 1 - 1e-6)
        out[str(factor)]["log_loss_missed"] = float(-(np.log(q_m).sum() + np.log(1 - q_h).sum()) / (len(q_m) + len(q_h)))
        out[str(factor)]["observed_miss_rate"] = len(missed) / max(1, len(missed) + len(hit))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factors", default="1,2,3,4,5,7", help="other_factor values, side by side")
    ap.add_argument("--patients", type=int, default=200, help="synthetic patients per fold, removed and kept each")
    ap.add_argument("--no-avey", action="store_true", help="skip the Avey vignettes")
    ap.add_argument("--name", default="not_covered")
    args = ap.parse_args()

    from medassist.diagnosis.engine import DiagnosisEngine
    from medassist.diagnosis.reasoner import Reasoner

    t0 = time.time()
    engine = DiagnosisEngine.load(neural=False)
    base = engine.reasoner.settings
    threshold = engine.config.uncertain_other
    factors = [float(x) for x in args.factors.split(",") if x]
    figures: dict[str, dict] = {"leave_conditions_out": {}, "shipped_other_factor": base.other_factor,
                                "uncertain_other": threshold}
    for f in factors:
        s = dataclasses.replace(base, other_factor=f)
        figures["leave_conditions_out"][str(f)] = res = leave_out(engine.kb, s, args.patients, threshold)
        print(f"factor {f:4.1f}  removed {res['mean_mass_removed_conditions']:.3f} kept {res['mean_mass_kept_conditions']:.3f}"
              f"  AUROC {res['auroc']:.3f}  says-not-covered removed {res['says_not_covered_removed']:.3f}"
              f" kept {res['says_not_covered_kept']:.3f}  log loss {res['log_loss_10pct_mixture']:.3f}", flush=True)
    if not args.no_avey:
        reasoners = {f: Reasoner(engine.kb, dataclasses.replace(base, other_factor=f)) for f in factors}
        figures["avey_dev_reasoner"] = av = avey(engine, reasoners, threshold)
        for f, groups in av.items():
            print(f"avey factor {f}: " + "; ".join(
                f"{k} n {g['n']} mass {g['mean_mass'] or 0:.3f} says {g['says_not_covered'] or 0:.2f}"
                for k, g in groups.items() if isinstance(g, dict)) + f"; log loss (missed) {groups['log_loss_missed']:.3f}")
    write_result(args.name, figures, seconds=time.time() - t0, knowledge_base=engine.kb.version,
                 conditions=len(engine.kb.conditions))


if __name__ == "__main__":
    main()
