"""How well the intake reads patients' own words: finding-level precision, recall and F1 on 300 labelled
patient texts it was not tuned on (``benchmarks/intake/patient_sentences.jsonl``, issue 11).

    python benchmarks/intake_eval.py                      # with and without embeddings
    python benchmarks/intake_eval.py --modes no_embeddings --show-errors

Each text goes through ``DiagnosisEngine.load(neural=False).start(text, age, sex)``; what the intake read is
``consultation.case.observations`` (finding id -> present or absent).  A gold label is a pair (finding id,
present).  Scores are micro-averaged over all labels of the set:

* strict: a prediction counts only with the same id and the same present/absent value;
* lenient: it also counts when the ids are ancestor and descendant (ids are hierarchical by prefix:
  ``cough_productive`` is a child of ``cough``), still with the same present/absent value.  Lenient
  precision is the share of predictions related to some gold label of the same value; lenient recall the
  share of gold labels related to some prediction of the same value;
* polarity errors: a prediction with the gold id but the opposite value (present read as absent, or
  absent read as present); ``related`` also counts those on an ancestor or descendant id.

Scores are given overall, per register (plain, rambling, list, negation, proxy_child, relative, history)
and per gold polarity.  The result is ``benchmarks/results/intake_eval.json``; its first run is kept as
``results/intake_eval_first_run.json``.  The set and its labelling rules are described in
``benchmarks/intake/README.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve().parent
DATA = HERE / "intake" / "patient_sentences.jsonl"
MODES = {"embeddings": True, "no_embeddings": False}
REQUIRED = ("id", "text", "age", "sex", "findings", "register")

Label = tuple[str, bool]


# ---------------------------------------------------------------------------------------------- the set
def load_set(path: str | Path = DATA) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gold_labels(record: Mapping[str, Any]) -> set[Label]:
    return {(f["id"], bool(f["present"])) for f in record["findings"]}


# ---------------------------------------------------------------------------------------------- scoring
def related(a: str, b: str) -> bool:
    """Same id, or one is an ancestor of the other by id prefix (``cough`` / ``cough_productive``)."""
    return a == b or a.startswith(b + "_") or b.startswith(a + "_")


def _prf(tp_p: int, n_pred: int, tp_r: int, n_gold: int) -> dict[str, Any]:
    p = tp_p / n_pred if n_pred else (1.0 if n_gold == 0 else 0.0)
    r = tp_r / n_gold if n_gold else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}


def score(gold: Iterable[set[Label]], pred: Iterable[set[Label]]) -> dict[str, Any]:
    """Micro scores over paired records: gold[i] and pred[i] are the labels of the same text."""
    n_gold = n_pred = tp = len_p = len_r = 0
    pol_exact = Counter()
    pol_related = 0
    by_pol = {True: Counter(), False: Counter()}  # gold polarity -> n_gold, tp_strict ; pred polarity -> n_pred, tp
    for g, p in zip(gold, pred, strict=True):
        n_gold += len(g)
        n_pred += len(p)
        tp += len(g & p)
        g_ids = {i: v for i, v in g}
        for pid, pv in p:
            if any(related(pid, gid) and gv == pv for gid, gv in g):
                len_p += 1
            if pid in g_ids and g_ids[pid] != pv:
                pol_exact["present_read_as_absent" if g_ids[pid] else "absent_read_as_present"] += 1
            if not any(related(pid, gid) and gv == pv for gid, gv in g) and any(
                    related(pid, gid) and gv != pv for gid, gv in g):
                pol_related += 1
            by_pol[pv]["n_pred"] += 1
            by_pol[pv]["tp_pred"] += (pid, pv) in g
        for gid, gv in g:
            if any(related(pid, gid) and pv == gv for pid, pv in p):
                len_r += 1
            by_pol[gv]["n_gold"] += 1
            by_pol[gv]["tp_gold"] += (gid, gv) in p
    out = {
        "gold_labels": n_gold,
        "predicted": n_pred,
        "strict": {**_prf(tp, n_pred, tp, n_gold), "tp": tp},
        "lenient": _prf(len_p, n_pred, len_r, n_gold),
        "polarity_errors": sum(pol_exact.values()),
        "polarity_errors_detail": {"present_read_as_absent": pol_exact["present_read_as_absent"],
                                   "absent_read_as_present": pol_exact["absent_read_as_present"]},
        "polarity_errors_related": pol_related,
    }
    for v, name in ((True, "present"), (False, "absent")):
        c = by_pol[v]
        out[f"strict_{name}"] = {**_prf(c["tp_pred"], c["n_pred"], c["tp_gold"], c["n_gold"]),
                                 "gold": c["n_gold"], "predicted": c["n_pred"]}
    return out


# ---------------------------------------------------------------------------------------------- running
def predict(engine: Any, record: Mapping[str, Any]) -> dict[str, tuple[bool, str]]:
    """What the intake read from one record: {finding id: (present, source)}."""
    cons = engine.start(record["text"], record.get("age"), record.get("sex"))
    return {fid: (obs.present, obs.source) for fid, obs in cons.case.observations.items()}


def errors(record: Mapping[str, Any], read: Mapping[str, tuple[bool, str]]) -> dict[str, Any] | None:
    g = gold_labels(record)
    p = {(i, v) for i, (v, _) in read.items()}
    missed, spurious = sorted(g - p), sorted(p - g)
    if not missed and not spurious:
        return None
    fmt = lambda labels: [("" if v else "-") + i for i, v in labels]  # noqa: E731
    return {"id": record["id"], "register": record["register"], "missed": fmt(missed),
            "spurious": [("" if v else "-") + i + (" (embedding)" if read[i][1] == "embedding" else "")
                         for i, v in spurious]}


def evaluate_mode(records: list[dict[str, Any]], use_embeddings: bool) -> dict[str, Any]:
    from medassist.diagnosis.engine import DiagnosisEngine

    t0 = time.perf_counter()
    engine = DiagnosisEngine.load(neural=False, use_embeddings=use_embeddings)
    engine.start("warm up: headache", 30, "female")  # loads the embedding model and phrase vectors once
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    reads = [predict(engine, r) for r in records]
    run_s = time.perf_counter() - t0
    gold = [gold_labels(r) for r in records]
    pred = [{(i, v) for i, (v, _) in rd.items()} for rd in reads]
    figures = {"n": len(records), **score(gold, pred)}
    regs: dict[str, list[int]] = defaultdict(list)
    for k, r in enumerate(records):
        regs[r["register"]].append(k)
    figures["per_register"] = {reg: {"n": len(ix), **score([gold[k] for k in ix], [pred[k] for k in ix])}
                               for reg, ix in sorted(regs.items())}
    figures["predicted_by_source"] = dict(Counter(src for rd in reads for _, src in rd.values()))
    figures["records_exact"] = sum(g == p for g, p in zip(gold, pred, strict=True))
    figures["cost"] = {"load_s": round(load_s, 1), "ms_per_text": round(1000 * run_s / max(len(records), 1), 1)}
    errs = [e for r, rd in zip(records, reads, strict=True) if (e := errors(r, rd))]
    return {"figures": figures, "errors": errs}


def _line(mode: str, s: dict[str, Any]) -> str:
    st, le = s["strict"], s["lenient"]
    return (f"{mode:14s} n {s['n']:3d} strict P {st['precision']:.3f} R {st['recall']:.3f} F1 {st['f1']:.3f} | "
            f"lenient P {le['precision']:.3f} R {le['recall']:.3f} F1 {le['f1']:.3f} | "
            f"polarity errors {s['polarity_errors']} (related {s['polarity_errors_related']})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--modes", default="embeddings,no_embeddings", help=f"comma-separated, of: {', '.join(MODES)}")
    ap.add_argument("--name", default="intake_eval", help="result name (benchmarks/results/NAME.json)")
    ap.add_argument("--show-errors", action="store_true", help="print each record's missed and spurious labels")
    args = ap.parse_args()

    run_modes(args, load_set(args.data), MODES, evaluate_mode, per_register=True)


def run_modes(args: argparse.Namespace, records: list[dict[str, Any]], table: dict[str, dict[str, Any]],
              evaluate: Any, *, per_register: bool = False, line: Any = None) -> None:
    """Score each mode of ``args.modes`` (names in ``table``) side by side on ``records``, print a line per
    mode and write ``benchmarks/results/{args.name}.json`` (shared with intake_findings.py)."""
    from _common import write_result

    line = line or _line
    figures: dict[str, Any] = {"n": len(records), "registers": dict(Counter(r["register"] for r in records)),
                               "gold_labels": sum(len(r["findings"]) for r in records),
                               "gold_absent": sum(not f["present"] for r in records for f in r["findings"])}
    all_errors: dict[str, Any] = {}
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        if mode not in table:
            raise SystemExit(f"unknown mode {mode!r}; modes: {', '.join(table)}")
        res = evaluate(records, table[mode])
        figures[mode] = res["figures"]
        all_errors[mode] = res["errors"]
        print(line(mode, res["figures"]), flush=True)
        if per_register:
            for reg, sc in res["figures"]["per_register"].items():
                print("   " + _line(reg, sc))
        if args.show_errors:
            for e in res["errors"]:
                print(f"     {e['id']:5s} missed {e['missed']} spurious {e['spurious']}")
    data = Path(args.data).resolve()
    write_result(args.name, figures, data=str(data.relative_to(HERE.parent)) if data.is_relative_to(HERE.parent) else str(data),
                 scoring="micro over (finding id, present) pairs; lenient accepts ancestor/descendant ids",
                 errors=all_errors)


if __name__ == "__main__":
    main()
