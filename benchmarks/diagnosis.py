"""Diagnosis and triage accuracy on clinical vignettes (and synthetic patients), side by side for the
reasoner, the neural narrative model and their ensemble.

    python benchmarks/diagnosis.py --split test            # the held-out vignettes (report these)
    python benchmarks/diagnosis.py --split dev --synthetic 1000

Published symptom checkers on comparable vignettes (Semigran et al., BMJ 2015;351:h3480): 34% top-1,
51% top-3, 57% triage accuracy; physicians (Semigran et al., JAMA Intern Med 2016): 72% top-1, 84% top-3.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_result  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--modes", default="reasoner,neural,ensemble", help="comma-separated: reasoner, neural, ensemble")
    ap.add_argument("--synthetic", type=int, default=0, help="also score N synthetic patients (seed 12345, by prior)")
    ap.add_argument("--no-embeddings", action="store_true")
    ap.add_argument("--name", default=None, help="result name (default diagnosis_<split>)")
    ap.add_argument("--show-errors", action="store_true", help="print the cases the top-3 missed (dev only)")
    ap.add_argument("--neural-weight", type=float, default=None, help="override ensemble.neural_weight (tune on dev only)")
    args = ap.parse_args()

    from medassist.diagnosis.engine import DiagnosisEngine
    from medassist.diagnosis.evaluate import Vignette, evaluate_modes, load_vignettes

    t0 = time.time()
    engine = DiagnosisEngine.load(use_embeddings=False if args.no_embeddings else None)
    load_s = time.time() - t0
    if args.neural_weight is not None:
        engine.config.ensemble.neural_weight = args.neural_weight
    vignettes = load_vignettes(HERE / "vignettes" / f"{args.split}.jsonl")
    modes = [m for m in args.modes.split(",") if m]
    if engine.neural is None:
        dropped = [m for m in modes if m != "reasoner"]
        if dropped:
            print(f"no neural model shipped: skipping {dropped}", file=sys.stderr)
        modes = ["reasoner"]
    figures = {}
    t = time.time()
    results = evaluate_modes(engine, vignettes, modes)
    for mode in modes:
        summary, rows = results[mode]
        summary["seconds_per_case_all_modes"] = (time.time() - t) / max(1, len(vignettes))
        figures[mode] = summary
        print(f"{args.split} {mode:9s} top1 {summary['top1']:.3f} top3 {summary['top3']:.3f} top10 {summary['top10']:.3f} "
              f"triage {summary['triage_accuracy']:.3f} under-triaged {summary['under_triaged_emergencies']}/{summary['emergencies']} "
              f"over {summary['over_triage_rate']:.3f}")
        if args.show_errors and args.split == "dev":
            for r in rows:
                if r["rank_of_gold"] is None or r["rank_of_gold"] > 3 or (r["gold_group"] == "emergency" and r["pred_group"] != "emergency"):
                    v = next(x for x in vignettes if x.id == r["id"])
                    print(f"  {r['id']} gold={r['gold']} rank={r['rank_of_gold']} triage {r['gold_group']}->{r['pred_level']} top={r['ranked'][:3]}\n     {v.text}")
    if args.synthetic:
        from medassist.diagnosis.synthetic import PatientGenerator

        gen = PatientGenerator(engine.kb, seed=12345)
        syn = [Vignette(p.id, p.text, p.age, "f" if p.sex == "female" else "m", p.condition, [],
                        engine.kb.triage[p.triage].group) for p in gen.stream(args.synthetic)]
        for mode, (summary, _) in evaluate_modes(engine, syn, modes).items():
            figures[f"synthetic_{mode}"] = summary
            print(f"synthetic {mode:9s} top1 {summary['top1']:.3f} top3 {summary['top3']:.3f} triage {summary['triage_accuracy']:.3f} "
                  f"under {summary['under_triaged_emergencies']}/{summary['emergencies']}")
    for f in figures.values():
        f.pop("under_triaged_ids", None) if args.split == "test" else None
    write_result(args.name or f"diagnosis_{args.split}", figures, vignettes=f"benchmarks/vignettes/{args.split}.jsonl",
                 knowledge_base=engine.kb.version, engine_load_seconds=load_s,
                 neural_weight=engine.config.ensemble.neural_weight,
                 published={"symptom_checkers_semigran_2015": {"top1": 0.34, "top3": 0.51, "triage_accuracy": 0.57},
                            "physicians_semigran_2016": {"top1": 0.72, "top3": 0.84}})


if __name__ == "__main__":
    main()
