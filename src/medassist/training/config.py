"""Training configuration: YAML validated by pydantic, with ``key=value`` overrides.

Unknown keys are errors that name the key and suggest the nearest valid one.  See
``configs/train/*.yaml`` for commented examples of every setting.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from medassist.errors import ConfigError, ErrorCode

Task = Literal["token_classification", "text_classification", "relation_classification", "masked_lm"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SplitConfig(_Section):
    dev: float = Field(0.1, ge=0, lt=1, description="fraction held out for model selection when no dev file is given")
    test: float = Field(0.1, ge=0, lt=1, description="fraction held out for the final test when no test file is given")
    seed: int = 13


class DataConfig(_Section):
    train: str = Field(description="training file or folder")
    dev: str | None = Field(None, description="dev file for model selection (else split from train)")
    test: str | None = Field(None, description="test file reported after training (else split from train)")
    format: Literal["auto", "conll", "jsonl", "brat", "csv", "text"] = "auto"
    text_column: str = "text"
    label_column: str = "label"
    label_separator: str | None = Field(None, description="separator of several labels in one CSV cell (multi-label)")
    multi_label: bool = False
    split: SplitConfig = Field(default_factory=SplitConfig)
    dedupe: bool = Field(True, description="drop repeated texts before splitting")
    context_words: int = Field(0, ge=0, description="token tasks: join consecutive sentences up to this many words")
    max_train_examples: int | None = Field(None, ge=1, description="keep only the first N training examples")
    negative_label: str | None = Field(None, description="classification: the 'no relation' class; adds micro F1 over the other classes (pos_micro_f1)")
    negative_keep: float = Field(1.0, gt=0, le=1, description="classification: fraction of negative-label training examples kept (seeded)")
    max_eval_examples: int | None = Field(None, ge=1, description="keep only the first N dev/test examples")
    description: str = Field("", description="what the data is, for the model card")
    license: str = Field("", description="licence of the training data, for the model card")


class LoraConfig(_Section):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.1, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["query", "key", "value", "dense"])


class AdapterConfig(_Section):
    size: int = Field(64, ge=1, description="bottleneck width")
    style: Literal["pfeiffer", "houlsby"] = Field("pfeiffer", description="pfeiffer: after each FFN; houlsby: after attention and FFN")
    activation: Literal["gelu", "relu", "tanh"] = "gelu"
    train_layer_norm: bool = Field(True, description="also train the encoder's LayerNorm weights")


class ModelConfig(_Section):
    mode: Literal["full", "lora", "adapter"] = "full"
    lora: LoraConfig = Field(default_factory=LoraConfig)
    adapter: AdapterConfig = Field(default_factory=AdapterConfig)
    dropout: float | None = Field(None, ge=0, lt=1, description="hidden/attention dropout (None keeps the base model's)")
    max_length: int = Field(256, ge=16, le=4096, description="subtokens per window (special tokens included)")
    stride: int = Field(64, ge=0, description="token tasks: subtokens of overlap between windows of long texts")
    head_lr_multiplier: float = Field(1.0, gt=0, description="learning-rate multiplier for the new head")
    consistency_window: int | None = Field(
        20, ge=0, description="token tasks: document-level label consistency, its threshold fitted on dev with "
        "training.calibrate; sentences per document for corpora without -DOCSTART- (0 = the whole file; None = off)")
    pooling: Literal["auto", "mean", "markers", "cls"] = Field(
        "auto", description="sequence tasks: auto = mean for text, markers for relations; cls = the [CLS] pooler head")


class TrainingConfig(_Section):
    epochs: float = Field(3, gt=0)
    max_steps: int = Field(-1, description="stop after this many optimizer steps (-1: use epochs)")
    learning_rate: float = Field(5e-5, gt=0)
    batch_size: int = Field(16, ge=1)
    eval_batch_size: int = Field(64, ge=1)
    grad_accumulation: int = Field(1, ge=1)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    weight_decay: float = Field(0.01, ge=0)
    scheduler: Literal["linear", "cosine", "constant_with_warmup"] = "linear"
    seed: int = 13
    eval_every: str | int = Field("epoch", description="'epoch' or a number of optimizer steps")
    early_stopping_patience: int | None = Field(2, ge=1, description="evaluations without improvement before stopping; None disables")
    metric: str | None = Field(None, description="dev metric to select on (default: f1 for token tasks, macro_f1 otherwise)")
    keep: Literal["best", "last"] = Field(
        "best", description="which weights to save: the best dev evaluation, or the last epoch (for a dev set too "
        "small to select on; dev still fits the decoding)")
    calibrate: bool = Field(True, description="fit on dev after training: a temperature (classification) or an 'O' decoding bias (token tasks)")
    group_by_length: bool = Field(True, description="batch examples of similar length (less padding, faster on CPU)")
    mlm_probability: float = Field(0.15, gt=0, lt=1, description="masked_lm: fraction of tokens masked")
    threads: int | None = Field(None, ge=1, description="torch CPU threads (default: all cores)")
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="auto: bf16 on a GPU that supports it, else fp32; bf16 also runs on CPUs with AMX/AVX512-BF16")
    progress: bool = True


class TrainConfig(_Section):
    task: Task
    base_model: str = Field("minilm", description="registered name, local Hugging Face model directory, or hub id")
    output_dir: str
    data: DataConfig
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    overwrite: bool = False

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.model.stride >= self.model.max_length - 2:
            raise ValueError("model.stride must be smaller than model.max_length - 2")
        return self

    @property
    def selection_metric(self) -> str:
        if self.training.metric:
            return self.training.metric
        if self.task == "token_classification":
            return "f1"
        if self.task == "masked_lm":
            return "loss"
        if self.data.negative_label:
            return "pos_micro_f1"
        return "micro_f1" if self.data.multi_label else "macro_f1"


# --------------------------------------------------------------------------- loading


def _known_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, fld in model.model_fields.items():
        full = f"{prefix}{name}"
        keys.append(full)
        ann = fld.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys.extend(_known_keys(ann, full + "."))
    return keys


def _suggest(key: str) -> str:
    keys = _known_keys(TrainConfig)
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.5)
    if not close:
        leaf = key.rsplit(".", 1)[-1]
        close = [k for k in keys if k.rsplit(".", 1)[-1] == leaf] or difflib.get_close_matches(
            leaf, [k.rsplit(".", 1)[-1] for k in keys], n=1, cutoff=0.6
        )
        close = [k for k in keys if close and k.endswith(close[0])][:1]
    return repr(close[0]) if close else "one of the documented keys"


def set_key(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    parts = dotted.split(".")
    for part in parts[:-1]:
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise ConfigError(ErrorCode.E202, key=dotted, where="", suggestion=_suggest(dotted))
        node = nxt
    node[parts[-1]] = value


def parse_overrides(items: list[str]) -> list[tuple[str, Any]]:
    out = []
    for item in items:
        if "=" not in item:
            raise ConfigError(ErrorCode.E205, item=item)
        key, raw = item.split("=", 1)
        key = key.strip()
        if key not in _known_keys(TrainConfig):
            raise ConfigError(ErrorCode.E202, key=key, where=" (command-line override)", suggestion=_suggest(key))
        out.append((key, yaml.safe_load(raw) if raw != "" else None))
    return out


def read_tree(source: str | Path | dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A config as a plain mapping (a copy of a dict, or a YAML file's top level) and where it came from
    (" in PATH", or "" for a dict); an unreadable file or a non-mapping is E206."""
    if isinstance(source, dict):
        return dict(source), ""
    path = Path(source)
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(ErrorCode.E206, path=path, detail=exc) from exc
    if not isinstance(tree, dict):
        raise ConfigError(ErrorCode.E206, path=path, detail="the top level must be a mapping")
    return tree, f" in {path}"


def load_config(source: str | Path | dict[str, Any], overrides: list[str] | None = None) -> TrainConfig:
    """Load a YAML file (or dict), apply ``key=value`` overrides and validate."""
    tree, where = read_tree(source)
    for key, value in parse_overrides(overrides or []):
        set_key(tree, key, value)
    try:
        cfg = TrainConfig.model_validate(tree)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            raise ConfigError(ErrorCode.E202, key=key, where=where, suggestion=_suggest(key)) from None
        raise ConfigError(ErrorCode.E203, key=key, detail=f"{err['msg']}{where}") from None
    return cfg


def resolved_yaml(cfg: TrainConfig) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
