"""Grid search of the reasoner and triage settings on the DEV vignettes and synthetic patients.

The test vignettes are never read here.  Intake runs once per case; each grid point re-runs only
the reasoner, so the search takes seconds.

    python benchmarks/tune_diagnosis.py --synthetic 600
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=600)
    args = ap.parse_args()

    from medassist.diagnosis.engine import DiagnosisEngine
    from medassist.diagnosis.evaluate import load_vignettes, score
    from medassist.diagnosis.reasoner import Reasoner, ReasonerSettings
    from medassist.diagnosis.synthetic import PatientGenerator
    from medassist.diagnosis.triage import TriageSettings, triage

    engine = DiagnosisEngine.load(neural=False)
    kb = engine.kb
    dev = load_vignettes(HERE / "vignettes" / "dev.jsonl")
    gen = PatientGenerator(kb, seed=777)
    syn = list(gen.stream(args.synthetic))
    cases = []
    for v in dev:
        cases.append(("dev", engine.start(v.text, v.age, v.sex).case, v.answers, v.triage))
    for p in syn:
        c = engine.start(p.text, p.age, "f" if p.sex == "female" else "m").case
        cases.append(("syn", c, {p.condition}, kb.triage[p.triage].group))
    print(f"cached {len(cases)} cases", file=sys.stderr)

    grid = {
        "leak_factor": [1.0, 0.5, 0.3, 0.15],
        "prior_weight": [1.0, 0.75, 0.5],
        "evidence_weight": [0.6, 0.75, 0.9, 1.0],
        "other_prior": [0.1],
    }
    results = []
    for values in itertools.product(*grid.values()):
        settings = ReasonerSettings(**dict(zip(grid, values, strict=True)))
        r = Reasoner(kb, settings)
        rows = {"dev": [], "syn": []}
        for split, case, answers, group in cases:
            ex = r.expand(case)
            post = r.posterior(ex, expanded=True)
            order = np.argsort(-post[:-1])[:10]
            t = triage(r, ex, post, TriageSettings(**engine.config.triage))
            rows[split].append({"ranked": [r.condition_ids[i] for i in order], "answers": answers, "gold_group": group,
                                "pred_group": kb.triage[t.level].group if t.level else None})
        sd, ss = score(rows["dev"]), score(rows["syn"])
        results.append((values, sd, ss))
        print(json.dumps({**dict(zip(grid, values, strict=True)),
                          **{f"dev_{k}": round(sd[k], 3) for k in ("top1", "top3", "top10", "triage_accuracy", "under_triaged_emergencies")},
                          **{f"syn_{k}": round(ss[k], 3) for k in ("top1", "top3", "triage_accuracy", "under_triaged_emergencies")}}))
    best = max(results, key=lambda x: x[1]["top1"] + x[1]["top3"] + x[2]["top1"] + x[2]["top3"])
    print("best:", dict(zip(grid, best[0], strict=True)), file=sys.stderr)


if __name__ == "__main__":
    main()
