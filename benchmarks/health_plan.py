"""Health plans for 1,000 synthetic adults: plan time per record on 2 cores, and how often each
recommendation, risk and alert comes out.

    python benchmarks/health_plan.py                    # 1,000 records, seed 20261206
    python benchmarks/health_plan.py --n 200 --name health_plan_small

The records are generated here from published US prevalences (each with its source in PREVALENCE below),
with simple, stated distributions for the measured values; they are synthetic, so the shares reported are
what the rules make of such a population, not a validation against real patients.  Where the output can be
checked against the input (the share of records with a hypertension goal must follow the hypertension
prevalence) it is reported side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

from medassist.health.plan import load_record, make_plan  # noqa: E402

AS_OF = dt.date(2026, 12, 1)
# (share of US adults, source); used only to generate the synthetic records
PREVALENCE: dict[str, tuple[float, str]] = {
    "hypertension": (0.481, "CDC: Facts About Hypertension (48.1% of US adults, NHANES 2017-March 2020)"),
    "diabetes": (0.113, "CDC: National Diabetes Statistics Report (about 11% of US adults have diabetes)"),
    "obesity": (0.419, "CDC: Adult Obesity Facts (41.9%, NHANES 2017-March 2020)"),
    "current_smoker": (0.115, "CDC: Current Cigarette Smoking Among Adults in the United States (11.5% in 2021)"),
    "former_smoker": (0.20, "approximate: about one in five US adults is a former smoker (NHIS); stated as approximate"),
    "ckd": (0.14, "CDC: Chronic Kidney Disease in the United States, 2023 (about 14% of US adults)"),
    "coronary_heart_disease": (0.05, "CDC: Coronary Artery Disease (about 1 in 20 adults aged 20 and older)"),
    "atrial_fibrillation": (0.02, "CDC: Atrial Fibrillation (about 2% of people under 65, 9% of 65 and older); 2% used below 65, 9% from 65"),
}


def synthetic_record(rng: random.Random, i: int) -> dict[str, Any]:
    age = rng.randint(18, 85)
    sex = rng.choice(["female", "male"])
    has = {k: rng.random() < p for k, (p, _) in PREVALENCE.items() if k not in ("current_smoker", "former_smoker")}
    has["atrial_fibrillation"] = rng.random() < (0.09 if age >= 65 else 0.02)
    r = rng.random()
    smoking = "current" if r < 0.115 else "former" if r < 0.315 else "never"
    bmi = rng.gauss(33.5, 4.0) if has["obesity"] else rng.gauss(25.0, 2.6)
    height = rng.gauss(176 if sex == "male" else 162, 7)
    weight = max(35.0, bmi * (height / 100) ** 2)
    sbp = rng.gauss(138 if has["hypertension"] else 118, 14)
    conditions = [k.replace("_", " ") for k in ("hypertension", "coronary_heart_disease", "atrial_fibrillation")
                  if has[k]]
    if has["diabetes"]:
        conditions.append("type 2 diabetes")
    if has["ckd"]:
        conditions.append("chronic kidney disease")
    meds: list[str] = []
    if has["hypertension"]:
        meds += ["lisinopril 10 mg daily"] if rng.random() < 0.7 else []
        meds += ["amlodipine 5 mg daily"] if rng.random() < 0.3 else []
    if has["diabetes"] and rng.random() < 0.8:
        meds.append("metformin 500 mg bid")
    if has["atrial_fibrillation"]:
        meds.append(rng.choice(["apixaban 5 mg bid", "apixaban 5 mg bid", "warfarin"]))
    if has["coronary_heart_disease"]:
        meds += ["atorvastatin 40 mg", "aspirin 81 mg"]
    if rng.random() < 0.15:
        meds.append("ibuprofen 400 mg prn")
    tc = min(320.0, max(130.0, rng.gauss(192, 38)))
    hdl = min(100.0, max(20.0, rng.gauss(46 if sex == "male" else 58, 13)))
    creat = max(0.4, rng.gauss(1.6 if has["ckd"] else (1.0 if sex == "male" else 0.8), 0.25 if not has["ckd"] else 0.5))
    history: dict[str, list[dict[str, str]]] = {"screenings": [], "vaccinations": []}
    if age >= 45 and rng.random() < 0.6:
        history["screenings"].append({"test": "colonoscopy", "date": str(AS_OF - dt.timedelta(days=rng.randint(30, 15 * 365)))})
    if rng.random() < 0.45:
        history["vaccinations"].append({"vaccine": "influenza", "date": str(AS_OF - dt.timedelta(days=rng.randint(10, 120)))})
    rec: dict[str, Any] = {
        "as_of": AS_OF.isoformat(), "age": age, "sex": sex, "race": rng.choice(["white", "african_american", "other"]),
        "conditions": conditions, "medications": meds,
        "vitals": {"systolic_bp": round(sbp), "diastolic_bp": round(rng.gauss(84 if has["hypertension"] else 74, 9)),
                   "weight_kg": round(weight, 1), "height_cm": round(height, 1)},
        "labs": {"total_cholesterol": round(tc), "hdl": round(hdl), "ldl": round(max(40.0, tc - hdl - 30)),
                 "hba1c": round(rng.gauss(7.6, 1.2) if has["diabetes"] else rng.gauss(5.4, 0.35), 1),
                 "creatinine": round(creat, 2)},
        "smoking": smoking, "history": history,
    }
    if smoking != "never":
        rec["pack_years"] = round(rng.uniform(1, max(2.0, min(50.0, (age - 15) * 1.2))), 1)
    if smoking == "former":
        rec["years_since_quit"] = round(rng.uniform(0.5, max(1.0, min(40.0, age - 16))), 1)
    return rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261206)
    ap.add_argument("--name", default="health_plan")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    records = [synthetic_record(rng, i) for i in range(args.n)]
    load_record(records[0])  # warm the tables once, outside the timing
    make_plan(load_record(records[0])[0])
    times, statuses, risks_applicable, alerts, safety, goals = [], Counter(), Counter(), Counter(), 0, Counter()
    missing = Counter()
    hypertension_goal = 0
    for raw in records:
        t0 = time.perf_counter()
        record, answers = load_record(raw)
        plan = make_plan(record, answers=answers)
        plan.to_dict()
        times.append(time.perf_counter() - t0)
        for item in plan.prevention:
            statuses[(item.id, item.status)] += 1
        for r in plan.risks:
            risks_applicable[(r.score_id, r.applicable)] += 1
            missing.update(r.missing)
        for a in plan.medication_review.alerts:
            alerts[a["severity"]] += 1
        safety += bool(plan.safety)
        for g in plan.goals:
            goals[(g.id, g.status)] += 1
        hypertension_goal += any(g.id == "bp_systolic" for g in plan.goals)
    n = len(records)
    ids = sorted({k[0] for k in statuses})
    share = {i: {s: round(c / n, 3) for (j, s), c in sorted(statuses.items()) if j == i} for i in ids}
    times_ms = sorted(t * 1000 for t in times)
    figures = {
        "records": n,
        "plan_ms_mean": round(statistics.mean(times_ms), 2),
        "plan_ms_p95": round(times_ms[int(0.95 * (n - 1))], 2),
        "plans_per_second": round(n / sum(times), 1),
        "prevention_share_by_status": share,
        "risk_applicable_share": {s: round(c / n, 3) for (s, ok), c in sorted(risks_applicable.items()) if ok},
        "missing_inputs_count": dict(missing.most_common()),
        "medication_alerts_per_record": {k: round(v / n, 3) for k, v in sorted(alerts.items())},
        "records_with_a_safety_alert": round(safety / n, 3),
        "goal_share_by_status": {f"{i}:{s}": round(c / n, 3) for (i, s), c in sorted(goals.items())},
        "check_bp_goal_share_vs_input": {
            "records_with_a_bp_goal": round(hypertension_goal / n, 3),
            "note": "a BP goal applies to hypertension, diabetes, CKD, CHD, stroke or heart failure, so it must be at "
                    "least the hypertension share generated (48.1%)",
        },
    }
    write_result(args.name, figures, seed=args.seed, as_of=AS_OF.isoformat(),
                 prevalence_sources={k: {"share": p, "source": s} for k, (p, s) in PREVALENCE.items()},
                 caveat="synthetic records: shares show what the rules make of the generated population, not real rates")
    print(f"{n} plans: mean {figures['plan_ms_mean']} ms, p95 {figures['plan_ms_p95']} ms, "
          f"{figures['plans_per_second']} plans/s; safety alert in {figures['records_with_a_safety_alert']:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
