"""Building task models on a base encoder, and the model directory format.

A MedAssist model directory holds:

* ``medassist.json``: task, training mode, base model, label map, window settings, temperature;
* the weights, by mode: ``full`` -> ``config.json`` + ``model.safetensors`` (Hugging Face layout);
  ``lora`` -> ``adapter/`` (PEFT layout; the head is saved with the adapter);
  ``adapter`` -> ``adapter.safetensors`` (bottleneck adapters, head and LayerNorms only);
* the tokenizer files, ``training_config.yaml``, ``metrics.json``, ``model_card.md`` and plots.

Never a pickle.  Serving code imports this module, never the training recipes.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from medassist.errors import ConfigError, ErrorCode

META_FILE = "medassist.json"
FORMAT = "medassist-model/1"
HEAD_PARTS = ("classifier", "score", "pooler")

log = logging.getLogger(__name__)


def quiet_transformers() -> None:
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def build_model(task: str, base_path: str, labels: list[str], *, multi_label: bool = False, dropout: float | None = None,
                pooling: str = "cls", marker_ids: tuple[int, int] | None = None, from_config: bool = False):
    """A fresh task model on the base encoder at ``base_path``.

    Token classification uses the Hugging Face token head.  Sequence tasks use a pooled head
    (:mod:`medassist.models.heads`, ``pooling`` mean or markers) or, with ``pooling="cls"``, the
    Hugging Face sequence head.  ``from_config`` builds the architecture without loading weights
    (the weights then come from a model directory).
    """
    from transformers import (
        AutoConfig,
        AutoModel,
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
    )

    quiet_transformers()
    config = AutoConfig.from_pretrained(base_path)
    config.num_labels = len(labels)
    config.id2label = dict(enumerate(labels))
    config.label2id = {lab: i for i, lab in enumerate(labels)}
    if dropout is not None:
        for attr in ("hidden_dropout_prob", "attention_probs_dropout_prob", "dropout", "attention_dropout"):
            if hasattr(config, attr):
                setattr(config, attr, dropout)
    if task == "token_classification":
        return AutoModelForTokenClassification.from_pretrained(base_path, config=config)
    config.problem_type = "multi_label_classification" if multi_label else "single_label_classification"
    if pooling in ("mean", "markers"):
        from medassist.models.heads import PooledClassifier

        encoder = AutoModel.from_config(config) if from_config else AutoModel.from_pretrained(base_path, config=config)
        head_dropout = dropout if dropout is not None else float(getattr(config, "hidden_dropout_prob", 0.1))
        return PooledClassifier(encoder, len(labels), pooling=pooling, multi_label=multi_label, marker_ids=marker_ids,
                                dropout=head_dropout)
    return AutoModelForSequenceClassification.from_pretrained(base_path, config=config)


def _is_pooled(model) -> bool:  # noqa: ANN001
    from medassist.models.heads import PooledClassifier

    return isinstance(model, PooledClassifier)


def _lora_config(lora: dict[str, Any]):  # noqa: ANN202
    from peft import LoraConfig

    return LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"], target_modules=lora["target_modules"])


def apply_mode(model, task: str, mode: str, lora: dict[str, Any], adapter: dict[str, Any]):
    """Make ``model`` ready for full, LoRA or bottleneck-adapter training; returns the model to train."""
    if mode == "full":
        return model
    if mode == "lora" and _is_pooled(model):
        # LoRA inside the encoder; the pooled head trains in full
        from peft import inject_adapter_in_model

        inject_adapter_in_model(_lora_config(lora), model.encoder)
        for name, param in model.named_parameters():
            param.requires_grad_("lora_" in name or name.startswith("classifier."))
        return model
    if mode == "lora":
        from peft import LoraConfig, TaskType, get_peft_model

        task_type = TaskType.TOKEN_CLS if task == "token_classification" else TaskType.SEQ_CLS
        cfg = LoraConfig(
            task_type=task_type,
            r=lora["r"],
            lora_alpha=lora["alpha"],
            lora_dropout=lora["dropout"],
            target_modules=lora["target_modules"],
        )
        return get_peft_model(model, cfg)
    if mode == "adapter":
        from medassist.models.adapters import add_adapters, mark_trainable

        add_adapters(model, size=adapter["size"], style=adapter["style"], activation=adapter["activation"])
        mark_trainable(model, head_parts=HEAD_PARTS, train_layer_norm=adapter["train_layer_norm"])
        return model
    raise ConfigError(ErrorCode.E203, key="model.mode", detail=f"unknown mode {mode!r}; use full, lora or adapter")


def count_parameters(model) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total


def save_weights(model, out: Path, mode: str) -> None:
    from safetensors.torch import save_file

    if _is_pooled(model):
        if mode == "full":
            state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
            save_file(state, str(out / "model.safetensors"))
            model.encoder.config.save_pretrained(out)
        else:
            from medassist.models.adapters import trainable_state

            save_file(trainable_state(model), str(out / "adapter.safetensors"))
        return
    if mode == "full":
        model.save_pretrained(out, safe_serialization=True)
    elif mode == "lora":
        model.save_pretrained(out / "adapter", safe_serialization=True)
        # PEFT writes a blank model-card template there; the directory's card is our model_card.md
        (out / "adapter" / "README.md").unlink(missing_ok=True)
    else:
        from medassist.models.adapters import trainable_state

        save_file(trainable_state(model), str(out / "adapter.safetensors"))


def read_meta(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    meta_path = path / META_FILE
    if not meta_path.is_file():
        raise ConfigError(ErrorCode.E204, path=path, missing=META_FILE)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ConfigError(ErrorCode.E204, path=path, missing=f"format {FORMAT} in {META_FILE}")
    return meta


def load_weights(path: str | Path, meta: dict[str, Any]):
    """Rebuild the trained model from a model directory (eval mode, on CPU)."""
    from medassist.models.encoders import resolve_encoder

    path = Path(path)
    task, mode = meta["task"], meta["mode"]
    hf_task = "token_classification" if task == "token_classification" else "text_classification"
    quiet_transformers()
    if meta.get("pooling") in ("mean", "markers"):
        return _load_pooled(path, meta, mode)
    if mode == "full":
        from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

        if not (path / "model.safetensors").exists():
            raise ConfigError(ErrorCode.E204, path=path, missing="model.safetensors")
        cls = AutoModelForTokenClassification if hf_task == "token_classification" else AutoModelForSequenceClassification
        model = cls.from_pretrained(path)
    else:
        base = build_model(hf_task, resolve_encoder(meta["base_model"]), meta["labels"], multi_label=meta.get("multi_label", False))
        if mode == "lora":
            from peft import PeftModel

            if not (path / "adapter").is_dir():
                raise ConfigError(ErrorCode.E204, path=path, missing="adapter/")
            model = PeftModel.from_pretrained(base, path / "adapter").merge_and_unload()
        else:
            from safetensors.torch import load_file

            from medassist.models.adapters import add_adapters

            weights = path / "adapter.safetensors"
            if not weights.exists():
                raise ConfigError(ErrorCode.E204, path=path, missing="adapter.safetensors")
            cfg = meta["adapter"]
            add_adapters(base, size=cfg["size"], style=cfg["style"], activation=cfg["activation"])
            state = load_file(str(weights))
            missing, unexpected = base.load_state_dict(state, strict=False)
            if unexpected or any(".adapter." in k for k in missing):
                raise ConfigError(ErrorCode.E204, path=path, missing=f"matching adapter weights ({len(unexpected)} unexpected keys)")
            model = base
    model.eval()
    return model


def _load_pooled(path: Path, meta: dict[str, Any], mode: str):  # noqa: ANN202
    from safetensors.torch import load_file

    from medassist.models.encoders import resolve_encoder

    markers = tuple(meta["marker_ids"]) if meta.get("marker_ids") else None
    common = {"multi_label": meta.get("multi_label", False), "pooling": meta["pooling"], "marker_ids": markers}
    if mode == "full":
        weights = path / "model.safetensors"
        if not weights.exists():
            raise ConfigError(ErrorCode.E204, path=path, missing="model.safetensors")
        model = build_model("text_classification", str(path), meta["labels"], from_config=True, **common)
        model.load_state_dict(load_file(str(weights)), strict=True)
    else:
        weights = path / "adapter.safetensors"
        if not weights.exists():
            raise ConfigError(ErrorCode.E204, path=path, missing="adapter.safetensors")
        model = build_model("text_classification", resolve_encoder(meta["base_model"]), meta["labels"], **common)
        if mode == "lora":
            from peft import inject_adapter_in_model

            inject_adapter_in_model(_lora_config(meta["lora"]), model.encoder)
        else:
            from medassist.models.adapters import add_adapters

            cfg = meta["adapter"]
            add_adapters(model.encoder, size=cfg["size"], style=cfg["style"], activation=cfg["activation"])
        state = load_file(str(weights))
        missing, unexpected = model.load_state_dict(state, strict=False)
        trained = [k for k in missing if "lora_" in k or ".adapter." in k or k.startswith("classifier.")]
        if unexpected or trained:
            raise ConfigError(ErrorCode.E204, path=path, missing=f"matching weights ({len(unexpected)} unexpected, {len(trained)} missing)")
    model.eval()
    return model
