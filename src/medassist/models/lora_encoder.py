"""A sentence encoder with LoRA weights injected (the contrastively fine-tuned intake encoder): built for
training by ``medassist.training.contrastive`` and loaded for serving here, so that serving never imports
the training package."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medassist.errors import ConfigError, ErrorCode

META = "intake_encoder.json"
WEIGHTS = "adapter.safetensors"


def lora_encoder(base: str, *, r: int, alpha: int, dropout: float, target_modules: Sequence[str]) -> tuple[Any, Any]:
    """(tokenizer, model) of ``base`` with fresh LoRA adapters; only the LoRA weights are trainable."""
    from peft import LoraConfig as PeftLora
    from peft import inject_adapter_in_model
    from transformers import AutoModel, AutoTokenizer

    from medassist.models.encoders import resolve_encoder
    from medassist.models.modeling import quiet_transformers

    quiet_transformers()
    path = resolve_encoder(base)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path)
    inject_adapter_in_model(PeftLora(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(target_modules)), model)
    for name, p in model.named_parameters():
        p.requires_grad_("lora_" in name)
    return tok, model


def load_encoder(path: str | Path) -> tuple[Any, Any]:
    """(tokenizer, model) of a saved intake encoder: the base model with its LoRA weights, in eval mode."""
    from safetensors.torch import load_file

    path = Path(path)
    missing = [f for f in (META, WEIGHTS) if not (path / f).exists()]
    if missing:
        raise ConfigError(ErrorCode.E204, path=path, missing=", ".join(missing))
    meta = json.loads((path / META).read_text(encoding="utf-8"))
    lora = meta["lora"]
    tok, model = lora_encoder(meta["base_model"], r=lora["r"], alpha=lora["alpha"], dropout=lora["dropout"],
                              target_modules=lora["target_modules"])
    state = load_file(str(path / WEIGHTS))
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys or any("lora_" in k for k in result.missing_keys):
        raise ConfigError(ErrorCode.E204, path=path, missing="LoRA weights matching its intake_encoder.json")
    return tok, model.eval()
