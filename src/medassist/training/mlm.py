"""Continued masked-LM pre-training (domain adaptation) on plain clinical text.

Input: a ``.txt`` file (one document per blank-line-separated paragraph), a folder of ``.txt``
files, or a CSV/JSONL with a text column.  Texts are tokenized, concatenated and cut into blocks of
``model.max_length``; 5% of blocks (at least one) are held out to report perplexity.  The output is
a full Hugging Face model directory (plus ``medassist.json`` and a model card) that a later
fine-tune can name as its ``base_model``.
"""

from __future__ import annotations

import csv
import json
import math
import random
import time
from pathlib import Path

from medassist.errors import DataError, ErrorCode
from medassist.training.config import TrainConfig
from medassist.training.corpus import fingerprint


def read_texts(path: str | Path, text_column: str = "text") -> list[str]:
    path = Path(path)
    if not path.exists():
        raise DataError(ErrorCode.E111, path=path)
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    texts: list[str] = []
    for f in files:
        try:
            content = f.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(ErrorCode.E107, path=f, detail=f"byte {exc.start}") from exc
        if f.suffix.lower() == ".csv":
            csv.field_size_limit(10**8)
            reader = csv.DictReader(content.splitlines())
            if text_column not in (reader.fieldnames or []):
                raise DataError(ErrorCode.E109, path=f, column=text_column, header=reader.fieldnames)
            texts.extend(row[text_column] for row in reader if (row[text_column] or "").strip())
        elif f.suffix.lower() in (".jsonl", ".json"):
            for lineno, line in enumerate(content.splitlines(), start=1):
                if line.strip():
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise DataError(ErrorCode.E104, path=f, line=lineno, detail=exc.msg) from exc
                    if str(obj.get(text_column, "")).strip():
                        texts.append(str(obj[text_column]))
        elif path.is_dir() and path != f:
            if content.strip():
                texts.append(content)
        else:
            texts.extend(p.strip() for p in content.split("\n\n") if p.strip())
    texts = list(dict.fromkeys(texts))  # de-duplicate, keep order
    if not texts:
        raise DataError(ErrorCode.E101, path=path)
    return texts


def train_masked_lm(cfg: TrainConfig):
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer, DataCollatorForLanguageModeling, set_seed

    from medassist.models.encoders import resolve_encoder
    from medassist.models.modeling import FORMAT, count_parameters, quiet_transformers
    from medassist.training.recipes import (
        RunResult,
        _KeepBest,
        _versions,
        check_output_dir,
        fit,
    )

    t0 = time.time()
    out = check_output_dir(cfg)
    base_path = resolve_encoder(cfg.base_model)
    set_seed(cfg.training.seed)
    quiet_transformers()
    texts = read_texts(cfg.data.train, cfg.data.text_column)
    if cfg.data.max_train_examples:
        texts = texts[: cfg.data.max_train_examples]
    tokenizer = AutoTokenizer.from_pretrained(base_path)
    block = cfg.model.max_length - 2
    ids: list[int] = []
    for i in range(0, len(texts), 256):
        for row in tokenizer(texts[i : i + 256], add_special_tokens=False)["input_ids"]:
            ids.extend(row)
            ids.append(tokenizer.sep_token_id)
    blocks = [[tokenizer.cls_token_id, *ids[i : i + block], tokenizer.sep_token_id] for i in range(0, len(ids), block)]
    blocks = [b for b in blocks if len(b) > 8]
    random.Random(cfg.training.seed).shuffle(blocks)
    n_dev = max(1, len(blocks) // 20) if len(blocks) > 1 else 0
    dev_blocks, train_blocks = blocks[:n_dev], blocks[n_dev:] or blocks
    model = AutoModelForMaskedLM.from_pretrained(base_path)  # a base without an MLM head gets a fresh one
    if cfg.model.dropout is not None:
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.p = cfg.model.dropout
    params = count_parameters(model)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=cfg.training.mlm_probability, pad_to_multiple_of=8)
    keep = _KeepBest("loss", cfg.training.early_stopping_patience, lower_is_better=True)
    trainer, train_time = fit(cfg, model, [{"input_ids": b} for b in train_blocks],
                              [{"input_ids": b} for b in dev_blocks], collator, keep)
    final_eval = trainer.evaluate() if dev_blocks else {}
    if "eval_loss" in final_eval:
        final_eval["eval_perplexity"] = math.exp(min(final_eval["eval_loss"], 50))
    metrics = {
        "n_texts": len(texts), "train_blocks": len(train_blocks), "dev_blocks": len(dev_blocks),
        "block_size": cfg.model.max_length, "steps": trainer.state.global_step,
        "train_time_s": train_time, "dev_loss": final_eval.get("eval_loss"),
        "dev_perplexity": final_eval.get("eval_perplexity"), "history": keep.history,
    }
    from medassist import __version__

    meta = {"format": FORMAT, "task": "masked_lm", "mode": "full", "base_model": cfg.base_model, "labels": [],
            "max_length": cfg.model.max_length, "medassist_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    wall = time.time() - t0
    metrics["wall_time_s"] = wall
    card = "\n".join([
        f"# MedAssist domain-adapted encoder: {Path(cfg.output_dir).name}",
        "",
        f"Continued masked-LM pre-training of `{cfg.base_model}` on `{cfg.data.train}` ({len(texts)} texts, "
        f"{len(train_blocks)} blocks of {cfg.model.max_length} tokens).",
        f"- data: {cfg.data.description or 'not given'}; licence: {cfg.data.license or 'not given'}",
        f"- data fingerprint: `{fingerprint([cfg.data.train])}`",
        f"- held-out perplexity: {metrics['dev_perplexity']}",
        f"- wall time: {wall:.0f} s; trainable parameters {params[0]:,}",
        "",
        "Use it as the base of a fine-tune: `base_model: path/to/this/directory`.",
        "",
        "Library versions: " + ", ".join(f"{k} {v}" for k, v in _versions().items()),
        "",
    ])
    from medassist.training.recipes import _write_model_dir

    _write_model_dir(out, cfg=cfg, model=model, tokenizer=tokenizer, meta=meta, metrics=metrics, card=card, plots={})
    return RunResult(out, metrics, wall, *params)
