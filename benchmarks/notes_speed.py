"""Clinical-note pipeline speed on MTSamples: MedAssist vs a medspaCy pipeline, same notes, same run.

Notes: ``../shared/data/mtsamples/mtsamples.csv`` (transcription column), de-duplicated by text (the corpus
repeats notes under several specialties), empty ones dropped.  The corpus is read in place, never copied.

Pipelines timed (one process, notes one at a time, after a warm-up on 20 notes so that lazy loading --
lexicon, ICD-10 index, embedding index -- is not counted; set-up time is reported separately):

* ``medassist-default``: the shipped configs/pipeline.yaml (sentences, deid, sections, entities,
  assertion, normalize with embeddings, medications);
* ``medassist-ner``: the shipped ``ner`` variant (the default plus the BC5CDR transformer NER), on the first
  ``--ner-limit`` notes only (a MiniLM forward pass over every note);
* ``medassist-core``: sentences + entities + assertion only -- the same work as the medspaCy pipeline;
* ``medspacy``: medspaCy 1.3 with a blank spaCy English model: tokenizer, PyRuSH sentences, target matcher
  loaded with the SAME lexicon terms as MedAssist (TargetRule per term), ConText with its default rules.

    python benchmarks/notes_speed.py                 # all distinct notes
    python benchmarks/notes_speed.py --limit 300

Writes benchmarks/results/notes_speed.json and prints markdown rows.  medspaCy install (its plain install
downgrades numpy): pip install PyRuSH pysbd jsonschema six unidecode nltk pysimstring medspacy_unqlite, then
pip install --no-deps medspacy==1.3.1 medspacy_quickumls==3.2, then restore numpy/spacy if pip moved them.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_record  # noqa: E402

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
DEFAULT_CSV = ROOT.parent.parent / "shared" / "data" / "mtsamples" / "mtsamples.csv"


def load_notes(path: Path, limit: int | None) -> list[str]:
    csv.field_size_limit(2**31 - 1)
    seen: set[str] = set()
    notes: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("transcription") or "").strip()
            if text and text not in seen:
                seen.add(text)
                notes.append(text)
    return notes[:limit] if limit else notes


def time_run(name: str, run: Any, notes: list[str], count: Any) -> dict[str, Any]:
    for text in notes[:20]:
        run(text)
    t0 = time.perf_counter()
    n_ents = 0
    for text in notes:
        n_ents += count(run(text))
    elapsed = time.perf_counter() - t0
    return {
        "notes": len(notes),
        "seconds": round(elapsed, 2),
        "notes_per_second": round(len(notes) / elapsed, 1),
        "ms_per_note": round(1000 * elapsed / len(notes), 2),
        "entities": n_ents,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N distinct notes")
    ap.add_argument("--no-medspacy", action="store_true")
    ap.add_argument("--ner-limit", type=int, default=300, help="notes for the 'ner' variant (0 = skip it)")
    ap.add_argument("--out", type=Path, default=RESULTS / "notes_speed.json")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)

    notes = load_notes(args.csv, args.limit)
    chars = sum(len(t) for t in notes)
    systems: dict[str, Any] = {}
    os.environ.setdefault("MEDASSIST_DEID_SECRET", "benchmark")

    import medassist
    from medassist.pipeline import Pipeline

    t0 = time.perf_counter()
    nlp = medassist.load()
    setup = time.perf_counter() - t0
    res = time_run("medassist-default", nlp, notes, lambda note: len(note.entities))
    res["setup_seconds"] = round(setup, 2)
    res["components"] = nlp.names
    systems["medassist-default"] = res

    if args.ner_limit:
        t0 = time.perf_counter()
        nlp_ner = medassist.load("ner")
        setup = time.perf_counter() - t0
        res = time_run("medassist-ner", nlp_ner, notes[: args.ner_limit], lambda note: len(note.entities))
        res["setup_seconds"] = round(setup, 2)
        res["components"] = nlp_ner.names
        systems["medassist-ner"] = res

    core = Pipeline.from_config(
        {
            "components": [
                {"name": "sentences"},
                {"name": "entities"},
                {"name": "assertion", "settings": {"use_sections": False}},
            ]
        }
    )
    systems["medassist-core"] = time_run("medassist-core", core, notes, lambda note: len(note.entities))
    systems["medassist-core"]["components"] = core.names

    if not args.no_medspacy:
        from loguru import logger

        logger.remove()  # PyRuSH logs every token at DEBUG through loguru
        import medspacy
        import spacy
        from medspacy.target_matcher import TargetRule

        from medassist.nlp.lexicon import build_lexicon

        t0 = time.perf_counter()
        msp = medspacy.load(spacy.blank("en"))
        rules = [TargetRule(term, info.label.upper()) for term, info in build_lexicon().terms()]
        msp.get_pipe("medspacy_target_matcher").add(rules)
        setup = time.perf_counter() - t0
        res = time_run("medspacy", msp, notes, lambda doc: len(doc.ents))
        res["setup_seconds"] = round(setup, 2)
        res["components"] = msp.pipe_names
        res["target_rules"] = len(rules)
        res["version"] = getattr(medspacy, "__version__", "1.3.1")
        systems["medspacy"] = res

    command = "python benchmarks/notes_speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    result = {
        "benchmark": "notes_speed",
        "corpus": {
            "file": "shared/data/mtsamples/mtsamples.csv",
            "column": "transcription",
            "distinct_notes": len(notes),
            "characters": chars,
        },
        "systems": systems,
    }
    write_record(args.out, result, command)
    print("| pipeline | notes | notes/s | ms/note | entities | set-up s |")
    print("|---|---|---|---|---|---|")
    for name, s in systems.items():
        print(
            f"| {name} | {s['notes']} | {s['notes_per_second']} | {s['ms_per_note']} | {s['entities']} | {s.get('setup_seconds', '-')} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
