"""Configs: every shipped config loads; unknown keys and bad overrides give actionable errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from medassist.errors import ConfigError
from medassist.training.config import load_config, parse_overrides

ROOT = Path(__file__).resolve().parents[2]
TRAIN_CONFIGS = sorted((ROOT / "configs" / "train").glob("*.yaml"))


def test_there_are_shipped_configs():
    assert len(TRAIN_CONFIGS) >= 1


@pytest.mark.parametrize("path", TRAIN_CONFIGS, ids=lambda p: p.name)
def test_every_shipped_training_config_loads(path):
    import yaml

    if "task" not in yaml.safe_load(path.read_text(encoding="utf-8")):  # the contrastive intake-encoder recipe
        from medassist.training.contrastive import load_contrastive_config

        assert load_contrastive_config(path).output_dir
        return
    cfg = load_config(path)
    assert cfg.output_dir
    assert cfg.selection_metric in ("f1", "macro_f1", "micro_f1", "pos_micro_f1", "loss", "accuracy")


@pytest.mark.parametrize("path", TRAIN_CONFIGS, ids=lambda p: p.name)
def test_every_setting_is_commented(path):
    """Each line that sets a value carries a comment, or its key is documented above it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    uncommented = []
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith("#") or s.endswith(":"):
            continue
        if "#" not in line and not (i and lines[i - 1].strip().startswith("#")):
            uncommented.append(s)
    assert not uncommented, f"settings without a comment in {path.name}: {uncommented}"


def _tiny(tmp_path: Path) -> dict:
    return {"task": "token_classification", "output_dir": str(tmp_path / "m"), "data": {"train": "x.tsv"}}


def test_unknown_key_names_the_key_and_suggests(tmp_path):
    bad = _tiny(tmp_path)
    bad["training"] = {"epoch": 3}
    with pytest.raises(ConfigError) as exc:
        load_config(bad)
    msg = str(exc.value)
    assert "training.epoch" in msg and "training.epochs" in msg and "E202" in msg


def test_unknown_override_key(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(_tiny(tmp_path), ["training.learnig_rate=1e-3"])
    assert "training.learning_rate" in str(exc.value)


def test_override_without_equals():
    with pytest.raises(ConfigError, match="E205"):
        parse_overrides(["training.epochs"])


def test_overrides_are_typed(tmp_path):
    cfg = load_config(_tiny(tmp_path), ["training.epochs=2", "model.mode=lora", "model.lora.r=4", "data.dev=d.tsv"])
    assert cfg.training.epochs == 2 and cfg.model.mode == "lora" and cfg.model.lora.r == 4 and cfg.data.dev == "d.tsv"


def test_invalid_value_is_explained(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(_tiny(tmp_path), ["model.mode=qlora"])
    assert "model.mode" in str(exc.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="E206"):
        load_config(tmp_path / "nope.yaml")
