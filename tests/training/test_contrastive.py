"""Contrastive fine-tuning of the intake encoder: the loss, the pairs, and a tiny end-to-end training run."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from medassist.errors import ConfigError
from medassist.training.contrastive import (
    ContrastiveConfig,
    PairsConfig,
    build_pairs,
    encode,
    finding_phrases,
    info_nce,
    load_contrastive_config,
    load_encoder,
    split_phrasings,
    train,
)


def _finding(name: str, lay: list[str], clinical: list[str] | None = None) -> SimpleNamespace:
    return SimpleNamespace(name=name, lay=lay, clinical=clinical or [], kind="symptom")


TINY_KB = SimpleNamespace(findings={
    "cough": _finding("Cough", ["i keep coughing", "a hacking cough", "coughing all the time"]),
    "cough_dry": _finding("Dry cough", ["a tickly cough with nothing coming up", "dry hacking cough", "a cough with no phlegm"]),
    "cough_productive": _finding("Productive cough", ["coughing up phlegm", "bringing up mucus", "chesty cough"]),
    "rash": _finding("Rash", ["spots all over my skin", "a red rash", "my skin has come up in a rash"]),
    "headache": _finding("Headache", ["my head hurts", "a pounding head", "my head is killing me"], ["cephalalgia"]),
})


def _unit(x: list[list[float]]) -> torch.Tensor:
    return torch.nn.functional.normalize(torch.tensor(x, dtype=torch.float32), dim=-1)


def test_info_nce_is_low_when_each_anchor_is_nearest_its_positive():
    a = _unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    good = info_nce(a, a.clone(), temperature=0.1)
    swapped = info_nce(a, a[[1, 2, 0]], temperature=0.1)
    assert good < 0.01 < swapped


def test_info_nce_hard_negatives_add_loss_and_same_finding_is_not_a_negative():
    a = _unit([[1, 0.0], [1, 0.1]])
    pos = _unit([[1, 0.05], [1, 0.06]])
    plain = info_nce(a, pos, temperature=0.05)
    masked = info_nce(a, pos, temperature=0.05, groups=["cough", "cough"])
    assert masked < 1e-6 < plain  # two phrasings of the same finding: nothing left to separate
    with_hard = info_nce(a, pos, _unit([[1, 0.04]]), temperature=0.05, groups=["cough", "cough"])
    assert with_hard > masked


def test_pairs_never_train_on_held_out_phrasings_and_hard_negatives_are_siblings():
    cfg = PairsConfig(seed=3, holdout=0.34, templated_per_phrase=1, perturb=0.0, hard_negatives=True)
    pairs = build_pairs(TINY_KB, cfg)
    _, held = split_phrasings(finding_phrases(TINY_KB), cfg.holdout, cfg.seed)
    assert sum(map(len, held.values())) == len(TINY_KB.findings)  # one of three lay phrasings each
    held_all = {p.lower() for ps in held.values() for p in ps}
    for p in pairs:
        assert not any(h in p.anchor.lower() for h in held_all), p
    phr = finding_phrases(TINY_KB)
    for p in pairs:
        if p.finding in ("cough_dry", "cough_productive"):
            assert p.negative is not None
            owner = [f for f, k in phr.items() if p.negative in k["name"] + k["lay"]]
            assert owner and owner[0] != p.finding and owner[0].startswith("cough")
        if p.finding in ("rash", "headache"):
            assert p.negative is None  # no sibling: in-batch negatives only


def test_config_errors_are_catalogued():
    with pytest.raises(ConfigError) as err:
        load_contrastive_config({"output_dir": "x", "training": {"batch_size": 1}})
    assert err.value.code.name == "E203"
    with pytest.raises(ConfigError):
        load_contrastive_config({"output_dir": "x", "training": {"bach_size": 8}})


def test_tiny_training_run_writes_small_loadable_lora_weights(tmp_path):
    cfg = ContrastiveConfig.model_validate({
        "output_dir": str(tmp_path / "enc"),
        "lora": {"r": 2, "alpha": 4, "dropout": 0.0, "target_modules": ["query", "value"]},
        "pairs": {"seed": 1, "holdout": 0.0, "templated_per_phrase": 1, "perturb": 0.0},
        "training": {"epochs": 1, "batch_size": 8, "learning_rate": 5e-3, "max_length": 16, "threads": 1, "warmup_ratio": 0.0},
    })
    metrics = train(cfg, TINY_KB, log=lambda _m: None)
    out = tmp_path / "enc"
    assert (out / "adapter.safetensors").stat().st_size < 200_000
    assert metrics["steps"] >= 3 and metrics["trainable_params"] < metrics["total_params"] / 100
    tok, model = load_encoder(out)
    from medassist.training.contrastive import _lora_model

    base_tok, base = _lora_model("minilm", cfg.lora)
    texts = ["my head hurts", "coughing up phlegm"]
    tuned_v = encode(tok, model, texts, 16)
    base_v = encode(base_tok, base.eval(), texts, 16)
    assert abs(float((tuned_v * tuned_v).sum(1)[0]) - 1.0) < 1e-4
    assert float(abs(tuned_v - base_v).max()) > 1e-4  # the saved LoRA weights change the encoder


def test_loading_a_directory_without_weights_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_encoder(tmp_path)
    assert err.value.code.name == "E204"
