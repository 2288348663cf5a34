"""Rebuild the results table in benchmarks/README.md from benchmarks/results/*.json.

    python benchmarks/summarize.py           # rewrite the table between the markers in benchmarks/README.md
    python benchmarks/summarize.py --print   # print it instead

Every row is read from a result file (figures, the command that produced them, commit and date), so the
table cannot drift from what the scripts measured.  Result files this script does not know are listed at
the end with their command, so nothing is hidden.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _meta(d: dict[str, Any]) -> str:
    sha = d.get("commit") or d.get("git_commit") or "?"
    sha = sha if sha is None or len(sha) < 20 else sha[:7] + ("+uncommitted" if "uncommitted" in sha else "")
    load = (d.get("machine") or {}).get("load_average_1m_at_end")
    when = (d.get("date") or "?")[:10]
    tail = f", load {load:.1f}" if isinstance(load, float) else ""
    return f"`{d.get('command', '?')}` ({sha}, {when}{tail})"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def ner_rows(corpus: str) -> list[str]:
    d = _load(f"ner_{corpus}")
    if not d:
        return []
    rows = []
    for mode, f in d["figures"].items():
        per = ", ".join(f"{k} {v:.3f}" for k, v in f["per_type"].items())
        abl = (f.get("decoding_ablation") or {}).get(f["reported_split"])
        if abl:  # what the decoding fitted on dev adds to the same model
            per += (f"; plain Viterbi {abl['plain_f1']:.4f}, with the O bias alone {abl['o_bias_alone_f1']:.4f}, "
                    f"with O bias {f['o_bias']:g} and document consistency (threshold {f['consistency_threshold']}) as reported")
        rows.append(
            f"| {corpus.upper()} NER, {mode} ({f['reported_split']}) | strict micro F1 **{f['f1']:.4f}** "
            f"(P {f['precision']:.3f}, R {f['recall']:.3f}; {per}); best dev {f['best_dev_f1']:.4f} | "
            f"{f['wall_time_s'] / 60:.1f} min wall, {f['epochs_run']:.0f} epochs, train {f['train_sequences_per_s']:.1f} seq/s, "
            f"inference {f['inference_sentences_per_s']:.0f} sent/s; {f['trainable_params']:,} trainable params, "
            f"{f['model_dir_bytes'] / 1e6:.1f} MB on disk | "
            + ("scispaCy en_ner_bc5cdr_md 0.843, PubMedBERT ~0.89" if corpus == "bc5cdr" else "PubMedBERT ~0.88 (test)")
            + f" | {_meta(d)} |")
    return rows


def recipe_rows() -> list[str]:
    d = _load("bc5cdr_recipe")
    if not d:
        return []
    def one(r: dict[str, Any]) -> str:
        cons = r.get("test_f1_with_dev_fitted_o_bias_and_consistency")
        return (f"{r['run']}: test {r['test_f1']:.3f} ({r['test_f1_with_dev_fitted_o_bias']:.3f} with dev-fitted O bias"
                + (f", {cons:.3f} also with document consistency" if cons is not None else "")
                + f"), dev {r['dev_f1']:.3f}, {r['epochs']:.0f} epochs at lr {r['learning_rate']:g}, {r['wall_time_s'] / 60:.0f} min")

    runs = "; ".join(one(r) for r in d["figures"]["runs"])
    return [f"| BC5CDR recipe search (full fine-tuning) | {runs} | {d.get('conclusion', '')} | | {_meta(d)} |"]


def ddi_rows() -> list[str]:
    d = _load("ddi2013")
    if not d:
        return []
    f = d["figures"]
    per = ", ".join(f"{k} {v['f1']:.3f}" for k, v in f["per_class"].items() if k != "none")
    return [f"| DDI-2013 relations (held-out 10% of train documents) | micro F1 over 4 types **{f['pos_micro_f1']:.3f}** "
            f"(P {f['pos_micro_precision']:.3f}, R {f['pos_micro_recall']:.3f}; {per}); ECE {f['ece']:.3f} | "
            f"{f['wall_time_s'] / 60:.1f} min wall, train {f['train_sequences_per_s']:.1f} seq/s, inference "
            f"{f['inference_sequences_per_s']:.0f} seq/s, {f['trainable_params']:,} trainable params, "
            f"{f['model_dir_bytes'] / 1e6:.1f} MB | PubMedBERT 0.82 (official test set) | {_meta(d)} |"]


def _ms(f: dict[str, Any]) -> str:
    if f.get("seconds_per_case"):
        return f"{f['seconds_per_case'] * 1000:.0f} ms/case"
    if f.get("seconds_per_case_all_modes"):
        return f"{f['seconds_per_case_all_modes'] * 1000:.0f} ms/case for all three modes together"
    return ""


def diagnosis_rows(name: str, label: str) -> list[str]:
    d = _load(name)
    if not d:
        return []
    rows = []
    for mode in ("reasoner", "neural", "ensemble"):
        f = d["figures"].get(mode)
        if not f:
            continue
        rows.append(
            f"| {label}, {mode} ({f['n']} vignettes) | top-1 **{f['top1']:.3f}**, top-3 {f['top3']:.3f}, top-10 {f['top10']:.3f}, "
            f"triage {f['triage_accuracy']:.3f}; under-triaged emergencies **{f['under_triaged_emergencies']}/{f['emergencies']}** | "
            f"{_ms(f)} | symptom checkers 0.34 / 0.51, triage 0.57; physicians 0.72 / 0.84 | {_meta(d)} |")
    for mode in ("ensemble",):
        f = d["figures"].get(f"synthetic_{mode}")
        if f:
            rows.append(
                f"| {label}, synthetic patients ({f['n']}), {mode} | top-1 {f['top1']:.3f}, top-3 {f['top3']:.3f}, "
                f"triage {f['triage_accuracy']:.3f}; under-triaged emergencies {f['under_triaged_emergencies']}/{f['emergencies']} | "
                f"{_ms(f)} | (generated from our own knowledge base: an upper bound) | {_meta(d)} |")
    return rows


def deid_rows(name: str, label: str) -> list[str]:
    d = _load(name)
    if not d:
        return []
    rows = []
    for system, v in d["systems"].items():
        o = v["overall"]
        focus = {k: v["per_type"][k]["recall"] for k in ("NAME", "DATE", "MRN", "SSN", "PHONE") if k in v["per_type"]}
        worst = sorted(((x["recall"], k) for k, x in v["per_type"].items() if x["recall"] is not None))[:2]
        rows.append(
            f"| {label}, {system} ({d['corpus']['notes']} notes, templates `{d['corpus']['templates']}`, seed {d['corpus']['seed']}) | "
            f"recall **{o['recall']:.4f}**, precision {o['precision']:.4f}; "
            + ", ".join(f"{k} {r:.3f}" for k, r in focus.items())
            + f"; lowest {', '.join(f'{k} {r:.3f}' for r, k in worst)} | {v.get('seconds', 0):.1f} s | Presidio in the same run | {_meta(d)} |")
    return rows


def avey_rows(name: str, label: str) -> list[str]:
    """The published Avey vignettes (written by others): the headline of the diagnosis benchmark."""
    d = _load(name)
    if not d or "avey_dev" not in d.get("figures", {}):
        return []
    rows = []
    for mode in ("reasoner", "ensemble"):
        f = d["figures"]["avey_dev"].get(mode)
        if f:
            rows.append(
                f"| {label}, {mode} ({f['n']} Avey vignettes, KB of {d.get('conditions', '?')} conditions) | top-1 **{f['top1']:.3f}**, "
                f"top-3 **{f['top3']:.3f}**, top-10 {f['top10']:.3f}; gold in the KB {f['gold_in_knowledge_base']:.3f}; "
                f"mean not-covered mass {f['mean_not_covered'] or 0:.3f} | {_ms(f)} | GPs top-3 0.82; Avey 0.58 / 0.79; "
                f"best other symptom checker top-3 0.71 | {_meta(d)} |")
    return rows


def not_covered_rows() -> list[str]:
    """Does the engine say when a case is outside the knowledge base (benchmarks/not_covered.py)?"""
    d = _load("not_covered")
    if not d:
        return []
    f = d["figures"]
    shipped = str(f["shipped_other_factor"])
    rows = []
    for factor in sorted({"1.0", shipped}, key=float):
        lo, av = f["leave_conditions_out"].get(factor), (f.get("avey_dev_reasoner") or {}).get(factor)
        if not lo or not av:
            continue
        tag = "shipped" if factor == shipped else "before"
        rows.append(
            f"| Not-covered mass, other_factor {factor} ({tag}) | Avey dev, reasoner: mean mass **"
            f"{av['gold_in_top3']['mean_mass']:.3f}** when the gold is in the top 3, **"
            f"{av['gold_missed_or_outside_kb']['mean_mass']:.3f}** when it is missed or outside the KB "
            f"({av['gold_missed_or_outside_kb']['n']} cases; says 'may not be covered' for "
            f"{av['gold_missed_or_outside_kb']['says_not_covered']:.2f} of them, {av['gold_in_top3']['says_not_covered']:.2f} "
            f"of the top-3 hits); conditions left out of the KB (synthetic): {lo['mean_mass_removed_conditions']:.3f} vs "
            f"{lo['mean_mass_kept_conditions']:.3f} kept, AUROC {lo['auroc']:.3f} | | | {_meta(d)} |")
    return rows


def health_rows() -> list[str]:
    """Health plans for synthetic adults (benchmarks/health_plan.py)."""
    d = _load("health_plan")
    if not d:
        return []
    f = d["figures"]
    prev = f["prevention_share_by_status"]
    crc = prev.get("colorectal_cancer", {})
    return [
        f"| Health plan, {f['records']} synthetic adults (generated from US prevalences; a profile of "
        f"the rules, not a validation) | PCE applicable {f['risk_applicable_share'].get('pce_ascvd', 0):.1%}; statin "
        f"discussion due {prev.get('statin_primary_prevention', {}).get('due', 0):.1%}; colorectal overdue "
        f"{crc.get('overdue', 0):.1%} / up to date {crc.get('up_to_date', 0):.1%}; a safety alert "
        f"{f['records_with_a_safety_alert']:.1%}; BP goal {f['check_bp_goal_share_vs_input']['records_with_a_bp_goal']:.1%} "
        f"(hypertension generated 48.1%) | mean {f['plan_ms_mean']} ms, p95 {f['plan_ms_p95']} ms, "
        f"{f['plans_per_second']} plans/s, one process | no published peer computed here | {_meta(d)} |"]


def deid_real_rows(name: str, label: str) -> list[str]:
    """De-identification on the PhysioNet nursing notes (real notes, surrogate PHI)."""
    d = _load(name)
    if not d or d.get("benchmark") != "deid_eval_real":
        return []
    c = d["corpus"]
    where = f"{c['notes']} notes" + (f", fold(s) {c['folds_scored']} held out" if c.get("folds_scored") else "")
    rows = []
    for system, v in d["systems"].items():
        rows.append(f"| {label}, {system} ({where}) | recall **{v['recall']:.3f}** (w/o DateYear {v['recall_without_dateyear']:.3f}), "
                    f"precision **{v['precision']:.3f}** | {v['notes_per_second']} notes/s | Presidio in the same run | {_meta(d)} |")
    for k, v in (d.get("speed") or {}).items():
        rows.append(f"| {label}, speed {k} ({v['notes']} notes, {v['mean_chars']} chars) | **{v['notes_per_second']} notes/s** "
                    f"| {v['seconds']} s | | {_meta(d)} |")
    return rows


def notes_rows() -> list[str]:
    d = _load("notes_speed")
    if not d:
        return []
    return [f"| MTSamples pipeline speed ({v['notes']} distinct notes), {k} | **{v['notes_per_second']:.1f} notes/s** "
            f"({v['ms_per_note']:.1f} ms/note, {v['entities']} entities) | {v['seconds']:.1f} s | medspaCy in the same run | {_meta(d)} |"
            for k, v in d["systems"].items()]


def service_rows() -> list[str]:
    rows = []
    for name in ("service_load", "service_load_c1", "service_load_no_embeddings"):
        d = _load(name)
        if d:
            f = d["figures"]
            rows.append(f"| start a consultation (`{d['endpoint']}`), {f['concurrency']} clients, {d['setup']} | "
                        f"**{f['requests_per_s']:.1f} req/s**, p50 {f['latency_ms_p50']:.0f} ms, p95 {f['latency_ms_p95']:.0f} ms, "
                        f"{f['errors']} errors in {f['requests_ok']} requests | {f['duration_s']:.0f} s | | {_meta(d)} |")
    d = _load("service_crash")
    if d:
        f = d["figures"]
        for v in f.get("variants", [f]):  # older files hold one SQLite run, newer ones a list of variants
            where = f"{v.get('backend', 'sqlite')}, {v.get('workers', 1)} worker(s)"
            refused = v.get("key_mismatch_start", {}).get("refused")
            rows.append(f"| SIGKILL mid-load, restart on the same database ({where}) | **{v['lost']} committed consultations "
                        f"lost**, {v['changed']} changed, of {v['committed_total']}; restart to ready "
                        f"{v['restart_to_ready_s']:.1f} s; errors after restart {v['errors_after_restart']}"
                        + ("" if refused is None else f"; a start with another key refused: {refused}")
                        + f" | | | {_meta(d)} |")
    d = _load("service_fuzz")
    if d:
        t = d["figures"]["totals"]
        per = d["figures"]["by_backend_and_role"]
        rows.append(f"| schemathesis fuzzing from the OpenAPI schema, {len(next(iter(per.values())))} roles x "
                    f"{', '.join(per)} | **{t['server_errors']} 5xx, {t['schema_violations']} schema violations** in "
                    f"{t['requests']} requests | {d['setup'].split(';')[0]} | | {_meta(d)} |")
    return rows


def intake_findings_rows(name: str, label: str) -> list[str]:
    """Finding-level P/R/F1 of the intake on the hand-written patient sentences (benchmarks/data)."""
    d = _load(name)
    if not d:
        return []
    rows = []
    for mode in ("lexicon", "minilm", "finetuned", "minilm_dev_threshold"):
        f = d["figures"].get(mode)
        if not f:
            continue
        st, pr, ab = f["strict"], f["strict_present"], f["strict_absent"]
        thr = f.get("settings", {}).get("similarity")
        rows.append(
            f"| {label}, {mode}{f' (threshold {thr})' if f['settings'].get('use_embeddings') else ''} "
            f"({d['figures']['n']} texts, {d['figures']['gold_labels']} labels) | strict micro F1 **{st['f1']:.3f}** "
            f"(P {st['precision']:.3f}, R {st['recall']:.3f}); present F1 {pr['f1']:.3f}; absent P {ab['precision']:.3f}, "
            f"R {ab['recall']:.3f}, F1 {ab['f1']:.3f}; lenient F1 {f['lenient']['f1']:.3f} | {f['cost']['ms_per_text']:.0f} ms/text | "
            f"| {_meta(d)} |")
    return rows


def summaries_rows() -> list[str]:
    """Note summaries on held-out MTSamples notes (benchmarks/summaries.py): extractive vs base SmolLM2."""
    d = _load("summaries")
    if not d:
        return []
    rows = []
    for system, f in d["figures"].items():
        speed = f"{f['seconds_per_note']:.2f} s/note" + (f", {f['tokens_per_s']:.1f} tokens/s" if f.get("tokens_per_s") else "")
        rows.append(
            f"| Note summaries, {system} ({f['notes']} held-out MTSamples notes) | ROUGE-L F1 vs description "
            f"**{f['rouge_l_f1']:.3f}**; faithfulness {_pct(f['faithfulness'])} ({f['terms_in_summaries']} terms); "
            f"negation flips {f['negation_flips']}; sentences rejected by the grounding check "
            f"{f['sentences_rejected']}/{f['sentences_checked']} | {speed} | no fine-tuned model yet (issue 13, "
            f"second half) | {_meta(d)} |")
    return rows


SECTIONS = [
    ("Real data written by others (the headline)", lambda: avey_rows("diagnosis_first_run_avey_dev", "Diagnosis, first run")
     + avey_rows("diagnosis_kb622_first_run", "Diagnosis, 622-condition KB, first run")
     + avey_rows("diagnosis_kb622_after", "Diagnosis, 622-condition KB, after intake fixes and retrained narrative model")
     + avey_rows("diagnosis_session_final", "Diagnosis, with the not-covered model, measured values and the intake pipeline")
     + avey_rows("diagnosis_intake_misreadings", "Diagnosis, after the intake misreading fixes (idioms, measured values, antonyms)")
     + avey_rows("diagnosis_intake_encoder_full_run", "Diagnosis, intake encoder trained all 448 steps (not shipped)")
     + not_covered_rows()
     + deid_real_rows("deid_eval_real_first_run", "De-id rules, first run")
     + deid_real_rows("deid_eval_real_fold0_shipped", "De-id, shipped tagger on its held-out patients")
     + deid_real_rows("deid_eval_real_rules_all_folds", "De-id, case-blind rules (2026-12-06), all notes")
     + deid_real_rows("deid_eval_real_fold0_places", "De-id, case-blind rules + shipped tagger, held-out patients")),
    ("Intake on patients' own words (issue 11; hand-written set, never tuned on)",
     lambda: intake_findings_rows("intake_findings_first_run", "Intake findings, first run")
     + intake_findings_rows("intake_findings", "Intake findings, before vs after the fine-tuned encoder")),
    ("Fine-tuning engine (issue 2)", lambda: ner_rows("bc5cdr") + recipe_rows() + ner_rows("ncbi")),
    ("Assisted diagnosis (issue 3)", lambda: diagnosis_rows("diagnosis_intake_misreadings",
                                                            "Test vignettes after the intake misreading fixes (their over-triage was read)")
     + diagnosis_rows("diagnosis_test", "Test vignettes after fixes")
     + diagnosis_rows("diagnosis_test_first_run", "Test vignettes, first blind run")),
    ("Clinical notes (issue 4)", lambda: deid_rows("deid_eval_fresh", "De-id, never-seen seed")
     + deid_rows("deid_eval", "De-id, holdout templates") + notes_rows()),
    ("Service (issues 5 and 18)", service_rows),
    ("Drug safety (issue 6)", ddi_rows),
    ("Health management (issue 16)", health_rows),
    ("Generated text (issue 13)", summaries_rows),
]
KNOWN = {"ner_bc5cdr", "ner_ncbi", "bc5cdr_recipe", "ddi2013", "diagnosis_test", "diagnosis_test_first_run",
         "deid_eval_fresh", "deid_eval", "notes_speed", "service_load", "service_load_c1", "service_load_no_embeddings",
         "service_crash", "service_fuzz", "diagnosis_first_run_avey_dev", "diagnosis_kb622_first_run",
         "diagnosis_kb622_after", "diagnosis_session_final", "not_covered", "deid_eval_real_first_run", "deid_eval_real_fold0_shipped",
         "deid_eval_real_rules_all_folds", "deid_eval_real_fold0_places",
         "intake_findings_first_run", "intake_findings", "health_plan", "summaries", "diagnosis_intake_misreadings",
         "diagnosis_intake_encoder_full_run"}


def table() -> str:
    out = ["| benchmark | result | cost on this 2-core CPU | published peers | command (commit, date, load) |",
           "|---|---|---|---|---|"]
    for title, rows in SECTIONS:
        got = rows()
        if got:
            out.append(f"| **{title}** | | | | |")
            out.extend(got)
    others = sorted(p.stem for p in RESULTS.glob("*.json") if p.stem not in KNOWN)
    if others:
        out.append("")
        out.append("Other result files (earlier runs kept for the record): "
                   + ", ".join(f"`results/{n}.json`" for n in others) + ".")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--print", action="store_true")
    args = ap.parse_args()
    text = table()
    if args.print:
        print(text)
        return
    readme = README.read_text()
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"{README} has no {BEGIN} ... {END} markers: add them where the table belongs")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    print(f"wrote the table to {README}")


if __name__ == "__main__":
    main()
