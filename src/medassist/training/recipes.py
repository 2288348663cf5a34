"""Training recipes: config -> setup -> train -> evaluate -> save.

One function per task family, on the Hugging Face Trainer (AdamW, linear warm-up and decay, weight
decay, gradient accumulation, seeded runs, bf16 on a GPU, multi-GPU via ``accelerate launch`` or
``torchrun`` with no code change).  Early stopping keeps the best dev state in memory, so nothing
but the final model directory is written; that directory is written to a temporary sibling and
renamed into place, so a failed run never leaves a half-written model.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medassist.errors import ConfigError, DataError, ErrorCode
from medassist.training.config import TrainConfig, resolved_yaml
from medassist.training.corpus import (
    SpanDoc,
    TextExample,
    dedupe,
    fingerprint,
    group_sentences,
    read_classification,
    read_relations,
    read_spans,
    split,
)
from medassist.training.metrics import for_disk

log = logging.getLogger("medassist.training")


# --------------------------------------------------------------------------- shared pieces


@dataclass
class RunResult:
    output_dir: Path
    metrics: dict[str, Any]
    wall_time_s: float
    trainable_params: int
    total_params: int
    extra: dict[str, Any] = field(default_factory=dict)
    predictor: Any = None  # the trained model in memory (TokenClassifier / TextClassifier), for in-process use


def check_output_dir(cfg: TrainConfig) -> Path:
    out = Path(cfg.output_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not cfg.overwrite:
        raise ConfigError(ErrorCode.E208, path=out)
    return out


def _device_setup(cfg: TrainConfig) -> dict[str, Any]:
    import torch

    if cfg.training.threads:
        torch.set_num_threads(cfg.training.threads)
    cuda = torch.cuda.is_available()
    precision = cfg.training.precision
    bf16 = bool(cuda and torch.cuda.is_bf16_supported()) if precision == "auto" else precision == "bf16"
    return {"use_cpu": not cuda, "bf16": bf16}


def _training_args(cfg: TrainConfig, work_dir: Path, n_train: int, *, has_eval: bool = True):
    from transformers import TrainingArguments

    t = cfg.training
    eval_steps: dict[str, Any]
    if not has_eval:
        eval_steps = {"eval_strategy": "no"}
    elif str(t.eval_every) == "epoch":
        eval_steps = {"eval_strategy": "epoch"}
    else:
        eval_steps = {"eval_strategy": "steps", "eval_steps": int(t.eval_every)}
    return TrainingArguments(
        output_dir=str(work_dir),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.eval_batch_size,
        gradient_accumulation_steps=t.grad_accumulation,
        warmup_steps=t.warmup_ratio,
        weight_decay=t.weight_decay,
        lr_scheduler_type=t.scheduler,
        seed=t.seed,
        data_seed=t.seed,
        save_strategy="no",
        logging_strategy="steps",
        logging_steps=max(10, min(200, n_train // max(1, t.batch_size * 5))),
        report_to=[],
        disable_tqdm=not t.progress,
        remove_unused_columns=False,
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        dataloader_num_workers=0,
        **eval_steps,
        **_device_setup(cfg),
    )


def _optimizer(model, cfg: TrainConfig):
    """AdamW with no decay on biases/LayerNorms and an optional learning-rate multiplier for the head."""
    import torch

    lr = cfg.training.learning_rate
    mult = cfg.model.head_lr_multiplier
    groups: dict[tuple[bool, bool], list] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        no_decay = name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name
        head = any(part in name.split(".") for part in ("classifier", "score"))
        groups.setdefault((no_decay, head), []).append(p)
    params = [
        {"params": ps, "weight_decay": 0.0 if nd else cfg.training.weight_decay, "lr": lr * (mult if head else 1.0)}
        for (nd, head), ps in groups.items()
    ]
    return torch.optim.AdamW(params, lr=lr)


class _KeepBest:
    """Trainer callback: keep the best dev state in memory, stop after ``patience`` evaluations without gain."""

    def __init__(self, metric: str, patience: int | None, *, lower_is_better: bool = False) -> None:
        from transformers import TrainerCallback

        outer = self

        class _CB(TrainerCallback):
            def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):  # noqa: ANN001
                outer._on_evaluate(state, control, metrics or {}, model)

        self.callback = _CB()
        self.metric = metric
        self.sign = -1.0 if lower_is_better else 1.0
        self.patience = patience
        self.best: float | None = None
        self.best_state: dict[str, Any] | None = None
        self.best_step = 0
        self.history: list[dict[str, Any]] = []
        self.bad = 0

    def _on_evaluate(self, state, control, metrics: dict[str, Any], model) -> None:  # noqa: ANN001
        value = metrics.get(f"eval_{self.metric}")
        self.history.append({"step": state.global_step, "epoch": state.epoch, **{k: v for k, v in metrics.items() if isinstance(v, int | float)}})
        if value is None:
            return
        value = self.sign * float(value)
        if self.best is None or value > self.best:
            self.best, self.best_step, self.bad = value, state.global_step, 0
            self.best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            self.bad += 1
            if self.patience is not None and self.bad >= self.patience:
                control.should_training_stop = True

    def restore(self, model) -> None:  # noqa: ANN001
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


def make_trainer(**kwargs: Any):
    """A Hugging Face Trainer whose evaluation keeps dataset order.

    With ``train_sampling_strategy="group_by_length"`` transformers 5 also length-groups the eval
    sampler; token-level metrics map eval logits back to windows by position, so eval must stay
    sequential (training batches are still grouped by length).
    """
    from transformers import Trainer

    class _OrderedEvalTrainer(Trainer):
        def _get_eval_sampler(self, eval_dataset):  # noqa: ANN001, ANN202
            strategy = self.args.train_sampling_strategy
            self.args.train_sampling_strategy = "random"
            try:
                return super()._get_eval_sampler(eval_dataset)
            finally:
                self.args.train_sampling_strategy = strategy

    return _OrderedEvalTrainer(**kwargs)


class _ListDataset:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]


def fit(cfg: TrainConfig, model, train_items: list[dict[str, Any]], dev_items: list[dict[str, Any]], collator,  # noqa: ANN001
        keep: _KeepBest, compute_metrics=None):  # noqa: ANN001, ANN201
    """Train ``model`` with the Trainer in a private work folder, then restore the best dev checkpoint.

    Returns ``(trainer, train_seconds)``; the work folder is removed whatever happens.
    """
    work = Path(cfg.output_dir).resolve().parent / f".{Path(cfg.output_dir).name}.work-{os.getpid()}"
    trainer = make_trainer(
        model=model,
        args=_training_args(cfg, work, len(train_items), has_eval=bool(dev_items)),
        train_dataset=_ListDataset(train_items),
        eval_dataset=_ListDataset(dev_items) if dev_items else None,
        data_collator=collator,
        compute_metrics=compute_metrics if dev_items else None,
        callbacks=[keep.callback],
        optimizers=(_optimizer(model, cfg), None),
    )
    t_train = time.time()
    try:
        trainer.train()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    train_time = time.time() - t_train
    if cfg.training.keep == "best":
        keep.restore(model)
    # mixed precision wraps model.forward in autocast; drop it so that the metrics below are those of
    # the saved model, which loads and runs in float32
    from accelerate.utils import extract_model_from_parallel

    extract_model_from_parallel(model, keep_fp32_wrapper=False)
    return trainer, train_time


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("medassist", "torch", "transformers", "peft", "accelerate", "seqeval", "scikit-learn", "safetensors"):
        with contextlib.suppress(md.PackageNotFoundError):
            out[pkg] = md.version(pkg)
    return out


def machine_info() -> dict[str, Any]:
    import torch

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
    }


def _write_model_dir(
    out: Path,
    *,
    cfg: TrainConfig,
    model,
    tokenizer,
    meta: dict[str, Any],
    metrics: dict[str, Any],
    card: str,
    plots: dict[str, Callable[[Path], None]],
) -> None:
    """Write everything to a temporary sibling, then move it into place."""
    from medassist.models.modeling import META_FILE, save_weights

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        save_weights(model, tmp, cfg.model.mode if cfg.task != "masked_lm" else "full")
        tokenizer.save_pretrained(tmp)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        (tmp / "training_config.yaml").write_text(resolved_yaml(cfg), encoding="utf-8")
        (tmp / "metrics.json").write_text(json.dumps(for_disk(metrics, meta.get("labels")), indent=2), encoding="utf-8")
        (tmp / "model_card.md").write_text(card, encoding="utf-8")
        if plots:
            (tmp / "plots").mkdir()
            for name, fn in plots.items():
                fn(tmp / "plots" / name)
        if out.exists():
            backup = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(backup)
            tmp.rename(out)
            shutil.rmtree(backup)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _fmt_metrics_table(metrics: dict[str, Any]) -> str:
    rows = []
    for split_name in ("dev", "test"):
        m = metrics.get(split_name)
        if not m:
            continue
        if "per_type" in m:
            rows.append(f"| {split_name} | all | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f} | {m['support']} |")
            for typ, v in sorted(m["per_type"].items()):
                rows.append(f"| {split_name} | {typ} | {v['precision']:.4f} | {v['recall']:.4f} | {v['f1']:.4f} | {v['support']} |")
        else:
            keys = [k for k in ("accuracy", "top3_accuracy", "macro_f1", "micro_f1", "ece", "nll", "subset_accuracy") if k in m]
            rows.append(f"| {split_name} | " + ", ".join(f"{k} {m[k]:.4f}" for k in keys) + " | | | | |")
    if not rows:
        return ""
    return "| split | type | precision | recall | F1 | support |\n|---|---|---|---|---|---|\n" + "\n".join(rows)


def model_card(cfg: TrainConfig, meta: dict[str, Any], metrics: dict[str, Any], data_fp: str, wall: float, params: tuple[int, int]) -> str:
    trainable, total = params
    lines = [
        f"# MedAssist model: {Path(cfg.output_dir).name}",
        "",
        f"- task: `{cfg.task}`; training mode: `{cfg.model.mode}`; base encoder: `{cfg.base_model}`",
        f"- labels: {', '.join(meta.get('entity_types') or meta['labels'])}",
        f"- trainable parameters: {trainable:,} of {total:,} ({100 * trainable / max(total, 1):.2f}%)",
        f"- wall time: {wall:.0f} s on {machine_info()['processor']} ({os.cpu_count()} cores, CUDA: {machine_info()['cuda']})",
        f"- best dev {cfg.selection_metric}: {metrics.get('best_dev', float('nan')):.4f} at step {metrics.get('best_step', 0)}",
        "",
        "## Training data",
        "",
        f"- train: `{cfg.data.train}`; dev: `{cfg.data.dev or 'split from train'}`; test: `{cfg.data.test or 'split from train'}`",
        f"- description: {cfg.data.description or 'not given'}",
        f"- licence: {cfg.data.license or 'not given'}",
        f"- data fingerprint (sha256 of the files): `{data_fp}`",
        f"- examples: {metrics.get('n_train', 0)} train, {metrics.get('n_dev', 0)} dev, {metrics.get('n_test', 0)} test",
        "",
        "## Metrics",
        "",
        _fmt_metrics_table(metrics) or "(no evaluation data)",
        "",
        "Token tasks: strict entity-level seqeval (IOB2): an entity counts only with exact type and boundaries.",
        "Classification: probabilities are temperature-calibrated on dev when `training.calibrate` is on.",
        "",
        "## Intended use and limits",
        "",
        "Research and decision support only. It does not diagnose; its output must be reviewed by a clinician.",
        "Performance outside the training distribution (other note types, languages, institutions) is unknown.",
        "",
        "## Configuration",
        "",
        "```yaml",
        resolved_yaml(cfg).rstrip(),
        "```",
        "",
        "## Library versions",
        "",
        ", ".join(f"{k} {v}" for k, v in _versions().items()),
        "",
    ]
    return "\n".join(lines)


def _base_meta(cfg: TrainConfig, labels: list[str]) -> dict[str, Any]:
    from medassist import __version__
    from medassist.models.modeling import FORMAT

    base = cfg.base_model
    if Path(base).expanduser().is_dir():
        base = str(Path(base).expanduser().resolve())
    return {
        "format": FORMAT,
        "task": cfg.task,
        "mode": cfg.model.mode,
        "base_model": base,
        "labels": labels,
        "max_length": cfg.model.max_length,
        "stride": cfg.model.stride,
        "multi_label": cfg.data.multi_label,
        "temperature": 1.0,
        "adapter": cfg.model.adapter.model_dump() if cfg.model.mode == "adapter" else None,
        "lora": cfg.model.lora.model_dump() if cfg.model.mode == "lora" else None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "medassist_version": __version__,
    }


def _data_files(cfg: TrainConfig) -> list[str]:
    return [p for p in (cfg.data.train, cfg.data.dev, cfg.data.test) if p]


def _limit(items: list, n: int | None) -> list:
    return items[:n] if n else items


# --------------------------------------------------------------------------- token classification


def load_token_data(cfg: TrainConfig) -> tuple[list[SpanDoc], list[SpanDoc], list[SpanDoc]]:
    d = cfg.data
    fmt = "auto" if d.format in ("auto", "csv", "text") else d.format
    train = read_spans(d.train, fmt)
    if d.dev or d.test:
        dev = read_spans(d.dev, fmt) if d.dev else []
        test = read_spans(d.test, fmt) if d.test else []
        if not d.dev:
            train, dev, _ = split(dedupe(train) if d.dedupe else train, dev=d.split.dev, test=0, seed=d.split.seed)
    else:
        train, dev, test = split(dedupe(train) if d.dedupe else train, dev=d.split.dev, test=d.split.test, seed=d.split.seed)
    return _limit(train, d.max_train_examples), _limit(dev, d.max_eval_examples), _limit(test, d.max_eval_examples)


def token_labels(docs: Sequence[SpanDoc]) -> list[str]:
    types = sorted({lab for d in docs for _, _, lab in d.spans})
    return ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]


def _token_windows(docs: Sequence[SpanDoc], tokenizer, labels: list[str], cfg: TrainConfig):
    from medassist.models.windows import encode_docs, make_windows, window_labels

    label_id = {lab: i for i, lab in enumerate(labels)}
    encoded = encode_docs(tokenizer, [d.tokens for d in docs])
    windows, items = [], []
    for i, (doc, enc) in enumerate(zip(docs, encoded, strict=True)):
        word_ids = [label_id.get(t, 0) for t in doc.word_tags()]
        for win in make_windows(enc, i, max_length=cfg.model.max_length, stride=cfg.model.stride,
                                cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id):
            windows.append(win)
            items.append({"input_ids": win.input_ids, "labels": window_labels(win, word_ids)})
    return windows, items


def _sentence_inputs(docs: Sequence[SpanDoc]) -> tuple[list[list[tuple[int, int]]], list[list[str]], list[str | None]]:
    """Per document: its sentences, words and document key (see :func:`medassist.models.decoding.document_groups`)."""
    keys = [d.group if d.group is not None else (None if d.sentence else f"#{n}") for n, d in enumerate(docs)]
    return [list(d.sentences) for d in docs], [d.tokens for d in docs], keys


def decode_docs(word_logps: Sequence[np.ndarray], docs: Sequence[SpanDoc], labels: list[str], o_bias: float = 0.0,
                consistency: dict[str, Any] | None = None) -> list[list[str]]:
    """Predicted tags per sentence (for seqeval), by the serving decoder :func:`medassist.models.decoding.decode_sentences`.

    ``consistency`` (``{"threshold": t, "window": n}``) then adds the mentions a document's other
    sentences agree on; ``None`` or a ``None`` threshold skips it.
    """
    from medassist.models.decoding import decode_sentences

    return decode_sentences(word_logps, *_sentence_inputs(docs), labels, o_bias=o_bias, consistency=consistency)


O_BIAS_GRID = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


def fit_o_bias(word_logps: Sequence[np.ndarray], docs: Sequence[SpanDoc], labels: list[str],
               grid: Sequence[float] = O_BIAS_GRID) -> tuple[float, float]:
    """The bonus on 'O' log-probabilities that maximises dev F1 (0.0 when nothing beats it)."""
    bias, _, f1 = fit_decoding(word_logps, docs, labels, 0, o_grid=grid, thresholds=(None,))
    return bias, f1


def fit_decoding(word_logps: Sequence[np.ndarray], docs: Sequence[SpanDoc], labels: list[str], window: int,
                 o_grid: Sequence[float] = O_BIAS_GRID,
                 thresholds: Sequence[float | None] = (None, 0.0, 0.3, 0.5, 0.7)) -> tuple[float, float | None, float]:
    """The 'O' bias and document-consistency threshold that together maximise dev F1.

    Fitted jointly: consistency adds mentions, so it pairs with a stronger bias towards 'O'.
    Returns ``(o_bias, threshold, dev_f1)``; ties keep the plainer setting (bias nearest 0, consistency off).
    Viterbi runs once per bias; only the consistency pass is repeated per threshold.
    """
    from medassist.models.decoding import make_consistent, viterbi_sentences
    from medassist.training.metrics import entity_metrics

    gold = gold_tags(docs)
    inputs = _sentence_inputs(docs)
    biases = sorted(o_grid, key=abs)
    if 0.0 not in biases:
        biases.insert(0, 0.0)
    f1: dict[tuple[float | None, float], float] = {}
    for b in biases:
        tags, words, keys = viterbi_sentences(word_logps, *inputs, labels, b)
        for t in thresholds:
            cons = None if t is None else {"threshold": t, "window": window}
            f1[t, b] = entity_metrics(gold, make_consistent(tags, words, keys, cons))["f1"]
    best: tuple[float, float | None, float] | None = None
    for t in thresholds:
        for b in biases:
            if best is None or f1[t, b] > best[2] + 1e-4:
                best = (float(b), t, f1[t, b])
    assert best is not None
    return best


def gold_tags(docs: Sequence[SpanDoc]) -> list[list[str]]:
    return [tags for d in docs for tags in d.sentence_tags()]


def train_token_classifier(cfg: TrainConfig) -> RunResult:
    from transformers import AutoTokenizer, DataCollatorForTokenClassification, set_seed

    from medassist.models.encoders import resolve_encoder
    from medassist.models.modeling import apply_mode, build_model, count_parameters
    from medassist.models.predict import TokenClassifier
    from medassist.models.windows import gather_word_scores

    t0 = time.time()
    out = check_output_dir(cfg)
    base_path = resolve_encoder(cfg.base_model)
    set_seed(cfg.training.seed)
    train_docs, dev_docs, test_docs = load_token_data(cfg)
    labels = token_labels(train_docs)
    if len(labels) == 1:
        raise DataError(ErrorCode.E207)
    unknown = sorted({lab for d in dev_docs + test_docs for _, _, lab in d.spans} - {lab[2:] for lab in labels[1:]})
    if unknown:
        log.warning("dev/test entity types not in train are scored as misses: %s", unknown)
    cw = cfg.data.context_words
    train_g, dev_g, test_g = (group_sentences(x, cw) for x in (train_docs, dev_docs, test_docs))

    tokenizer = AutoTokenizer.from_pretrained(base_path)
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(ErrorCode.E209, task=cfg.task, path=base_path, action="train with a slow tokenizer",
                          hint="Token classification needs a fast (Rust) tokenizer: give a model directory with tokenizer.json.")
    _, train_items = _token_windows(train_g, tokenizer, labels, cfg)
    dev_windows, dev_items = _token_windows(dev_g, tokenizer, labels, cfg)

    model = build_model("token_classification", base_path, labels, dropout=cfg.model.dropout)
    model = apply_mode(model, cfg.task, cfg.model.mode, cfg.model.lora.model_dump(), cfg.model.adapter.model_dump())
    params = count_parameters(model)
    log.info("trainable parameters: %s of %s", f"{params[0]:,}", f"{params[1]:,}")

    dev_gold = gold_tags(dev_g)
    dev_nwords = [len(d.words) for d in dev_g]

    def compute_metrics(pred) -> dict[str, float]:  # noqa: ANN001
        from medassist.training.metrics import entity_metrics

        logits = pred.predictions
        word_lp = gather_word_scores(dev_windows, list(logits), dev_nwords, len(labels))
        m = entity_metrics(dev_gold, decode_docs(word_lp, dev_g, labels))
        return {"f1": m["f1"], "precision": m["precision"], "recall": m["recall"]}

    keep = _KeepBest(cfg.selection_metric, cfg.training.early_stopping_patience)
    trainer, train_time = fit(cfg, model, train_items, dev_items,
                              DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=8), keep, compute_metrics)
    steps = trainer.state.global_step
    epochs_run = float(trainer.state.epoch or 0)

    final = model  # a LoRA model is evaluated unmerged, so its adapter can still be saved as such
    meta = _base_meta(cfg, labels)
    meta["entity_types"] = sorted({lab[2:] for lab in labels[1:]})
    final.eval()
    predictor = TokenClassifier(cfg.output_dir, meta, final, tokenizer, batch_size=cfg.training.eval_batch_size)

    metrics: dict[str, Any] = {
        "n_train": len(train_docs), "n_dev": len(dev_docs), "n_test": len(test_docs),
        "train_windows": len(train_items), "steps": steps, "epochs_run": epochs_run,
        "train_time_s": train_time,
        "train_sequences_per_s": len(train_items) * epochs_run / max(train_time, 1e-9),
        "best_dev": keep.best if keep.best is not None else float("nan"), "best_step": keep.best_step,
        "history": keep.history, "trainable_params": params[0], "total_params": params[1],
    }
    from medassist.training.metrics import entity_metrics

    logps: dict[str, tuple[list[np.ndarray], float]] = {}
    for name, docs in (("dev", dev_g), ("test", test_g)):
        if docs:
            t1 = time.time()
            logps[name] = (predictor.word_logprobs([d.tokens for d in docs]), time.time() - t1)
    if dev_g and cfg.training.calibrate:
        window = cfg.model.consistency_window
        if window is None:
            meta["o_bias"], _ = fit_o_bias(logps["dev"][0], dev_g, labels)
        else:
            meta["o_bias"], threshold, _ = fit_decoding(logps["dev"][0], dev_g, labels, window)
            meta["consistency"] = {"threshold": threshold, "window": window}
            metrics["consistency_threshold"] = threshold
            # what each decoding step adds, for the record: plain Viterbi, then the 'O' bias fitted alone
            bias_alone, _ = fit_o_bias(logps["dev"][0], dev_g, labels)
            metrics["decoding_ablation"] = {"o_bias_alone": bias_alone, **{
                name: {"plain_f1": entity_metrics(gold_tags(docs), decode_docs(logps[name][0], docs, labels))["f1"],
                       "o_bias_alone_f1": entity_metrics(gold_tags(docs), decode_docs(logps[name][0], docs, labels, bias_alone))["f1"]}
                for name, docs in (("dev", dev_g), ("test", test_g)) if docs}}
        metrics["o_bias"] = meta["o_bias"]
    for name, docs in (("dev", dev_g), ("test", test_g)):
        if not docs:
            continue
        lp, dt = logps[name]
        metrics[name] = entity_metrics(gold_tags(docs), decode_docs(lp, docs, labels, meta.get("o_bias", 0.0), meta.get("consistency")))
        n_sent = sum(len(d.sentences) for d in docs)
        metrics[name]["inference_sentences_per_s"] = n_sent / max(dt, 1e-9)
        metrics[name]["inference_time_s"] = dt
    wall = time.time() - t0
    metrics["wall_time_s"] = wall
    card = model_card(cfg, meta, metrics, fingerprint(_data_files(cfg)), wall, params)
    from medassist.training.metrics import plot_entity_f1

    plots = {f"{k}_entity_f1.png": (lambda p, k=k: plot_entity_f1(metrics[k], p)) for k in ("dev", "test") if k in metrics}
    _write_model_dir(out, cfg=cfg, model=final, tokenizer=tokenizer, meta=meta, metrics=metrics, card=card, plots=plots)
    predictor.path = out
    return RunResult(out, metrics, wall, *params, extra={"size_bytes": _dir_size(out)}, predictor=predictor)


# --------------------------------------------------------------------------- text / relation classification


def load_text_data(cfg: TrainConfig) -> tuple[list[TextExample], list[TextExample], list[TextExample]]:
    d = cfg.data

    def read(path: str) -> list[TextExample]:
        if cfg.task == "relation_classification":
            return read_relations(path, label_column=d.label_column)
        return read_classification(path, text_column=d.text_column, label_column=d.label_column,
                                   label_separator=d.label_separator)

    train = read(d.train)
    if d.dev or d.test:
        dev = read(d.dev) if d.dev else []
        test = read(d.test) if d.test else []
        if not d.dev:
            train, dev, _ = split(dedupe(train) if d.dedupe else train, dev=d.split.dev, test=0, seed=d.split.seed)
    else:
        train, dev, test = split(dedupe(train) if d.dedupe else train, dev=d.split.dev, test=d.split.test, seed=d.split.seed)
    return _limit(train, d.max_train_examples), _limit(dev, d.max_eval_examples), _limit(test, d.max_eval_examples)


def train_text_classifier(cfg: TrainConfig) -> RunResult:
    import torch
    from transformers import AutoTokenizer, DataCollatorWithPadding, set_seed

    from medassist.models.encoders import resolve_encoder
    from medassist.models.modeling import apply_mode, build_model, count_parameters
    from medassist.models.predict import TextClassifier
    from medassist.training.metrics import (
        classification_metrics,
        sigmoid,
        softmax,
    )

    t0 = time.time()
    out = check_output_dir(cfg)
    base_path = resolve_encoder(cfg.base_model)
    set_seed(cfg.training.seed)
    train_ex, dev_ex, test_ex = load_text_data(cfg)
    multi = cfg.data.multi_label
    if not multi and any(len(e.labels) > 1 for e in train_ex):
        raise ConfigError(ErrorCode.E203, key="data.multi_label",
                          detail="some examples have several labels; set data.multi_label=true")
    labels = sorted({lab for e in train_ex for lab in e.labels})
    if len(labels) < 2:
        raise DataError(ErrorCode.E207)
    label_id = {lab: i for i, lab in enumerate(labels)}
    for name, exs in (("dev", dev_ex), ("test", test_ex)):
        unseen = sorted({lab for e in exs for lab in e.labels} - set(labels))
        if unseen:
            raise DataError(ErrorCode.E211, path=getattr(cfg.data, name) or f"{name} split", labels=unseen[:10], known=len(labels))

    def targets(exs: Sequence[TextExample]) -> np.ndarray:
        if multi:
            y = np.zeros((len(exs), len(labels)), dtype=np.float32)
            for i, e in enumerate(exs):
                y[i, [label_id[lab] for lab in e.labels]] = 1
            return y
        return np.array([label_id[e.labels[0]] for e in exs], dtype=np.int64)

    tokenizer = AutoTokenizer.from_pretrained(base_path)

    def items(exs: Sequence[TextExample]) -> list[dict[str, Any]]:
        enc = tokenizer([e.text for e in exs], truncation=True, max_length=cfg.model.max_length)
        y = targets(exs)
        return [{"input_ids": ids, "labels": (y[i].tolist() if multi else int(y[i]))} for i, ids in enumerate(enc["input_ids"])]

    if cfg.data.negative_label and cfg.data.negative_keep < 1.0:
        import random

        rng = random.Random(cfg.training.seed)
        train_ex = [e for e in train_ex if e.labels[0] != cfg.data.negative_label or rng.random() < cfg.data.negative_keep]
    train_items, dev_items = items(train_ex), items(dev_ex)
    pooling = cfg.model.pooling
    if pooling == "auto":
        pooling = "markers" if cfg.task == "relation_classification" else "mean"
    marker_ids = None
    if pooling == "markers":
        from medassist.models.heads import marker_token_ids

        marker_ids = marker_token_ids(tokenizer)
    model = build_model("text_classification", base_path, labels, multi_label=multi, dropout=cfg.model.dropout,
                        pooling=pooling, marker_ids=marker_ids)
    model = apply_mode(model, cfg.task, cfg.model.mode, cfg.model.lora.model_dump(), cfg.model.adapter.model_dump())
    params = count_parameters(model)
    y_dev = targets(dev_ex)

    def compute_metrics(pred) -> dict[str, float]:  # noqa: ANN001
        z = np.asarray(pred.predictions)
        probs = sigmoid(z) if multi else softmax(z)
        m = classification_metrics(probs, y_dev, labels, multi_label=multi, negative_label=cfg.data.negative_label)
        return {k: v for k, v in m.items() if isinstance(v, float)}

    keep = _KeepBest(cfg.selection_metric, cfg.training.early_stopping_patience)

    class _Collate(DataCollatorWithPadding):
        def __call__(self, features):  # noqa: ANN001
            batch = super().__call__(features)
            if multi:
                batch["labels"] = batch["labels"].to(torch.float32)
            return batch

    trainer, train_time = fit(cfg, model, train_items, dev_items, _Collate(tokenizer, pad_to_multiple_of=8), keep,
                              compute_metrics)
    epochs_run = float(trainer.state.epoch or 0)

    final = model
    final.eval()
    meta = _base_meta(cfg, labels)
    if cfg.task == "relation_classification":
        meta["relation_markers"] = {"e1": ["@", "@"], "e2": ["#", "#"]}
    meta["negative_label"] = cfg.data.negative_label
    meta["pooling"] = pooling
    meta["marker_ids"] = list(marker_ids) if marker_ids else None
    predictor = TextClassifier(cfg.output_dir, meta, final, tokenizer, batch_size=cfg.training.eval_batch_size)

    metrics: dict[str, Any] = {
        "n_train": len(train_ex), "n_dev": len(dev_ex), "n_test": len(test_ex),
        "steps": trainer.state.global_step, "epochs_run": epochs_run, "train_time_s": train_time,
        "train_sequences_per_s": len(train_items) * epochs_run / max(train_time, 1e-9),
        "best_dev": keep.best if keep.best is not None else float("nan"), "best_step": keep.best_step,
        "history": keep.history, "trainable_params": params[0], "total_params": params[1],
    }
    if cfg.data.negative_label and cfg.data.negative_keep < 1 and not multi:
        import math

        meta["logit_bias"] = [math.log(1 / cfg.data.negative_keep) if lab == cfg.data.negative_label else 0.0 for lab in labels]
    plots = calibrate_and_score(predictor, meta, metrics, {"dev": (dev_ex, y_dev), "test": (test_ex, targets(test_ex))},
                                calibrate=cfg.training.calibrate, negative_label=cfg.data.negative_label)
    wall = time.time() - t0
    metrics["wall_time_s"] = wall
    card = model_card(cfg, meta, metrics, fingerprint(_data_files(cfg)), wall, params)
    _write_model_dir(out, cfg=cfg, model=final, tokenizer=tokenizer, meta=meta, metrics=metrics, card=card, plots=plots)
    predictor.path = out
    return RunResult(out, metrics, wall, *params, extra={"size_bytes": _dir_size(out)}, predictor=predictor)


def calibrate_and_score(predictor, meta: dict[str, Any], metrics: dict[str, Any], splits: dict[str, tuple[list, Any]], *,  # noqa: ANN001
                        calibrate: bool, negative_label: str | None) -> dict[str, Callable[[Path], None]]:
    """Fit the temperature on dev (on bias-adjusted logits), then score each split; returns the plots to write."""
    from medassist.training.metrics import (
        classification_metrics,
        fit_temperature,
        plot_confusion,
        plot_reliability,
        sigmoid,
        softmax,
    )

    multi = bool(meta.get("multi_label"))
    labels = meta["labels"]
    logits: dict[str, tuple[np.ndarray, float]] = {}
    for name, (exs, _) in splits.items():
        if exs:
            t1 = time.time()
            logits[name] = (predictor.adjusted_logits([e.text for e in exs]), time.time() - t1)
    if calibrate and "dev" in logits and len(splits["dev"][0]) >= 10:
        meta["temperature"] = fit_temperature(logits["dev"][0], splits["dev"][1], multi_label=multi)
    metrics["temperature"] = meta.get("temperature", 1.0)
    metrics["logit_bias"] = meta.get("logit_bias")
    plots: dict[str, Callable[[Path], None]] = {}
    for name, (z, dt) in logits.items():
        exs, y = splits[name]
        z = z / metrics["temperature"]
        probs = sigmoid(z) if multi else softmax(z)
        m = classification_metrics(probs, y, labels, multi_label=multi, negative_label=negative_label)
        m["inference_sequences_per_s"] = len(exs) / max(dt, 1e-9)
        metrics[name] = m
        plots[f"{name}_reliability.png"] = lambda p, m=m, name=name: plot_reliability(m, p, f"{name} reliability")
        if not multi:
            plots[f"{name}_confusion.png"] = lambda p, m=m: plot_confusion(m["confusion_matrix"], labels, p)
    return plots


def recalibrate(model_dir: str | Path, dev_path: str | Path) -> dict[str, Any]:
    """Apply the current calibration steps (down-sampling logit bias, temperature) to a trained
    classification model in place, and record it in its metrics and model card (nothing is retrained)."""
    import math

    import yaml

    from medassist.models import load_model
    from medassist.training.config import TrainConfig

    model_dir = Path(model_dir)
    cfg = TrainConfig.model_validate(yaml.safe_load((model_dir / "training_config.yaml").read_text()))
    predictor = load_model(model_dir)
    meta = dict(predictor.meta)
    labels = meta["labels"]
    if cfg.data.negative_label and cfg.data.negative_keep < 1:
        meta["logit_bias"] = [math.log(1 / cfg.data.negative_keep) if lab == cfg.data.negative_label else 0.0 for lab in labels]
    meta["temperature"] = 1.0
    predictor.meta = meta
    exs = read_relations(dev_path, label_column=cfg.data.label_column) if cfg.task == "relation_classification" else \
        read_classification(dev_path, text_column=cfg.data.text_column, label_column=cfg.data.label_column)
    y = np.array([labels.index(e.labels[0]) for e in exs])
    metrics = json.loads((model_dir / "metrics.json").read_text())
    before = (metrics.get("recalibrated") or {}).get("dev_before") or {
        k: metrics.get("dev", {}).get(k) for k in ("pos_micro_f1", "accuracy", "macro_f1", "ece")}  # as trained
    new: dict[str, Any] = {}
    calibrate_and_score(predictor, meta, new, {"dev": (exs, y)}, calibrate=True, negative_label=cfg.data.negative_label)
    metrics["dev"] = new["dev"]
    metrics["temperature"], metrics["logit_bias"] = new["temperature"], new["logit_bias"]
    metrics["recalibrated"] = {"dev_before": before, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "note": "calibration (logit bias for negative down-sampling, temperature) re-applied after training"}
    (model_dir / "medassist.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (model_dir / "metrics.json").write_text(json.dumps(for_disk(metrics, labels), indent=2), encoding="utf-8")
    d = new["dev"]
    keys = [k for k in ("pos_micro_f1", "pos_micro_precision", "pos_micro_recall", "accuracy", "macro_f1", "ece") if k in d]
    with (model_dir / "model_card.md").open("a", encoding="utf-8") as fh:
        fh.write("\n## Recalibration after training\n\nThe down-sampling logit bias and the temperature were re-fitted on dev "
                 f"after training (`medassist.training.recipes.recalibrate`); dev metrics before: {before}; after: "
                 + ", ".join(f"{k} {d[k]:.4f}" for k in keys) + ".\n")
    return metrics


def train(cfg: TrainConfig) -> RunResult:
    """Run the recipe registered for ``cfg.task``."""
    from medassist.registry import RECIPES, resolve

    return resolve(RECIPES, cfg.task, "training recipe")(cfg)
