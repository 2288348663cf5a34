"""Corpora for training and scoring the de-identifier: the PhysioNet deid gold standard (real nursing
notes with surrogate PHI), patient-level folds, and the training files of the PHI tagger (real notes
plus generated ones, in the engine's JSONL span format).

Used by ``benchmarks/deid_eval.py`` and by whoever retrains the shipped tagger; serving never imports it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# PhysioNet types -> tagger labels. A year alone (DateYear) is not an identifier under Safe Harbor: O.
REAL_TO_TAGGER = {"HCPName": "NAME", "PTName": "NAME", "PTNameInitial": "NAME", "RelativeProxyName": "NAME",
                  "Date": "DATE", "Location": "LOCATION", "Phone": "CONTACT", "Other": "ID"}
# Our identifier types (generated notes) -> tagger labels. Ages over 89 are left to the rules.
OURS_TO_TAGGER = {"NAME": "NAME", "CITY": "LOCATION", "FACILITY": "LOCATION", "ADDRESS": "LOCATION",
                  "ZIP": "LOCATION", "DATE": "DATE", "PHONE": "CONTACT", "FAX": "CONTACT", "EMAIL": "CONTACT",
                  "URL": "CONTACT", "IP": "CONTACT", "SSN": "ID", "MRN": "ID", "HEALTH_PLAN": "ID", "ACCOUNT": "ID",
                  "LICENSE": "ID", "VEHICLE": "ID", "DEVICE": "ID", "ID": "ID"}
REAL_TYPES = ("HCPName", "PTName", "PTNameInitial", "RelativeProxyName", "Date", "DateYear", "Location", "Phone", "Other")


def read_physionet(path: str | Path) -> list[dict[str, Any]]:
    """Notes in the PhysioNet layout: ``patient_id``, ``note_id``, ``text``, ``phi`` [{start, end, type}]."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append({"patient_id": d["patient_id"], "id": f"{d['patient_id']}-{d['note_id']}", "text": d["text"],
                        "phi": [{"start": p["start"], "end": p.get("end_exclusive", p.get("end")), "type": p["type"]}
                                for p in d["phi"]]})
    return out


def patient_folds(records: Sequence[dict[str, Any]], k: int = 5, seed: int = 20261204) -> list[int]:
    """A fold per note, by patient: every note of a patient lands in the same fold.  Patients are shuffled
    with a fixed seed, then dealt, heaviest first, to the fold with the fewest PHI spans so far."""
    weight: dict[Any, int] = {}
    for r in records:
        weight[r["patient_id"]] = weight.get(r["patient_id"], 0) + len(r["phi"]) + 1
    patients = sorted(weight)
    random.Random(seed).shuffle(patients)
    patients.sort(key=lambda p: -weight[p])  # stable: ties stay in shuffled order
    load = [0] * k
    fold_of: dict[Any, int] = {}
    for p in patients:
        f = min(range(k), key=lambda i: (load[i], i))
        fold_of[p] = f
        load[f] += weight[p]
    return [fold_of[r["patient_id"]] for r in records]


def split_patients(records: Sequence[dict[str, Any]], fraction: float, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rest, held out): about ``fraction`` of the patients held out, by patient."""
    patients = sorted({r["patient_id"] for r in records})
    random.Random(seed).shuffle(patients)
    held = set(patients[: max(1, round(len(patients) * fraction))])
    return [r for r in records if r["patient_id"] not in held], [r for r in records if r["patient_id"] in held]


def real_examples(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "text": r["text"],
             "entities": [{"start": p["start"], "end": p["end"], "label": REAL_TO_TAGGER[p["type"]]}
                          for p in r["phi"] if p["type"] in REAL_TO_TAGGER]} for r in records]


def synthetic_examples(n: int, seed: int, nursing_share: float = 0.7) -> list[dict[str, Any]]:
    """Generated notes: most from the nursing templates, the rest from the other template sets."""
    from medassist.nlp.deid.synth import generate

    n_nursing = round(n * nursing_share)
    rest = n - n_nursing
    recs = list(generate(n_nursing, seed, "nursing"))
    sets = ["dev", "eval", "test", "holdout"]
    for i, name in enumerate(sets):
        recs += list(generate(rest // len(sets) + (i < rest % len(sets)), seed, name))
    out = []
    for r in recs:
        ents = [{"start": e["start"], "end": e["end"], "label": OURS_TO_TAGGER[e["label"]]}
                for e in r["entities"] if e["label"] in OURS_TO_TAGGER]
        out.append({"id": r["id"], "text": r["text"], "entities": ents})
    return out


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def score_physionet(records: Sequence[dict[str, Any]], preds: Sequence[Sequence[dict[str, Any]]]) -> dict[str, Any]:
    """Span-level, any overlap (the corpus's original scoring is category-blind): a gold span is found when a
    prediction overlaps it; a prediction is correct when it overlaps a gold span.  Recall per gold type, and
    overall with and without DateYear (Safe Harbor lets years stand, and our de-identifier keeps them)."""
    per: dict[str, dict[str, int]] = {t: {"gold": 0, "found": 0} for t in REAL_TYPES}
    tp_pred = n_pred = 0
    for r, ps in zip(records, preds, strict=True):
        for g in r["phi"]:
            hit = any(p["start"] < g["end"] and g["start"] < p["end"] for p in ps)
            d = per.setdefault(g["type"], {"gold": 0, "found": 0})
            d["gold"] += 1
            d["found"] += hit
        for p in ps:
            n_pred += 1
            tp_pred += any(p["start"] < g["end"] and g["start"] < p["end"] for g in r["phi"])
    gold = sum(d["gold"] for d in per.values())
    found = sum(d["found"] for d in per.values())
    gold_ny, found_ny = gold - per["DateYear"]["gold"], found - per["DateYear"]["found"]
    return {
        "recall": found / gold if gold else None,
        "recall_without_dateyear": found_ny / gold_ny if gold_ny else None,
        "precision": tp_pred / n_pred if n_pred else None,
        "gold_spans": gold, "predicted_spans": n_pred, "false_alarms": n_pred - tp_pred,
        "per_type": {t: {**d, "recall": d["found"] / d["gold"] if d["gold"] else None} for t, d in per.items()},
    }
