"""Bottleneck adapters (Houlsby et al. 2019; Pfeiffer et al. 2020), written for MedAssist.

An adapter is a small residual MLP ``h + up(act(down(h)))`` placed after a sublayer's output
projection, before its dropout, residual connection and LayerNorm.  ``up`` starts at zero, so a
freshly adapted model computes exactly what the base model does.

* Pfeiffer: one adapter per layer, after the feed-forward output projection.
* Houlsby: two per layer, after the attention output projection and after the feed-forward one.

Only adapters, the task head and (optionally) LayerNorms are trained; they are saved as one small
safetensors file and re-inserted into a freshly loaded base model at load time.
"""

from __future__ import annotations

import torch
from torch import nn

# Output projections of the attention and feed-forward sublayers, by architecture.
_TARGETS: dict[str, dict[str, str]] = {
    "bert": {"attention": "attention.output.dense", "ffn": "output.dense"},
    "roberta": {"attention": "attention.output.dense", "ffn": "output.dense"},
    "xlm-roberta": {"attention": "attention.output.dense", "ffn": "output.dense"},
    "electra": {"attention": "attention.output.dense", "ffn": "output.dense"},
    "camembert": {"attention": "attention.output.dense", "ffn": "output.dense"},
    "distilbert": {"attention": "attention.out_lin", "ffn": "ffn.lin2"},
}

_ACT = {"gelu": nn.GELU, "relu": nn.ReLU, "tanh": nn.Tanh}


class Bottleneck(nn.Module):
    def __init__(self, dim: int, size: int, activation: str = "gelu") -> None:
        super().__init__()
        self.down = nn.Linear(dim, size)
        self.act = _ACT[activation]()
        self.up = nn.Linear(size, dim)
        nn.init.normal_(self.down.weight, std=1e-2)
        nn.init.zeros_(self.down.bias)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.up(self.act(self.down(h)))


class AdaptedLinear(nn.Module):
    """A frozen linear projection followed by a bottleneck adapter."""

    def __init__(self, linear: nn.Linear, adapter: Bottleneck) -> None:
        super().__init__()
        self.linear = linear
        self.adapter = adapter

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.adapter(self.linear(x))


def _layer_modules(model: nn.Module, suffix: str, exclude: str | None) -> list[tuple[str, nn.Linear]]:
    out = []
    for name, module in model.named_modules():
        if not isinstance(module, nn.Linear) or not name.endswith("." + suffix):
            continue
        if exclude and name.endswith("." + exclude):
            continue
        out.append((name, module))
    return out


def add_adapters(model: nn.Module, *, size: int, style: str = "pfeiffer", activation: str = "gelu") -> list[str]:
    """Insert bottleneck adapters into ``model`` in place; returns the names of the adapted projections."""
    model_type = getattr(getattr(model, "config", None), "model_type", "")
    if model_type not in _TARGETS:
        raise ValueError(
            f"bottleneck adapters know the layouts of {sorted(_TARGETS)}, not {model_type!r}; use model.mode=lora instead"
        )
    targets = _TARGETS[model_type]
    hidden = model.config.hidden_size
    chosen = _layer_modules(model, targets["ffn"], exclude=targets["attention"])
    if style == "houlsby":
        chosen += _layer_modules(model, targets["attention"], exclude=None)
    if not chosen:
        raise ValueError(f"found no {targets['ffn']} projections to adapt in this {model_type} model")
    for name, linear in chosen:
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        adapter = Bottleneck(hidden, size, activation).to(linear.weight.device)
        setattr(parent, attr, AdaptedLinear(linear, adapter))
    return sorted(n for n, _ in chosen)


def mark_trainable(model: nn.Module, *, head_parts: tuple[str, ...], train_layer_norm: bool) -> int:
    """Freeze everything except adapters, the head and (optionally) LayerNorms; returns trainable count."""
    n = 0
    for name, param in model.named_parameters():
        is_head = any(part in name.split(".") for part in head_parts)
        trainable = ".adapter." in name or is_head or (train_layer_norm and "LayerNorm" in name)
        param.requires_grad_(trainable)
        n += param.numel() if trainable else 0
    return n


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in model.named_parameters() if v.requires_grad}
