"""Two-step training of each head in each mode on tiny fixtures; save -> load -> identical predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medassist.errors import ConfigError, DataError
from medassist.models import load_model
from medassist.training import recipes, train

MODES = ["full", "lora", "adapter"]


def _cfg(task: str, train_path: Path, out: Path, mode: str, **data) -> dict:
    return {
        "task": task,
        "output_dir": str(out),
        "data": {"train": str(train_path), "dev": str(train_path), "test": str(train_path), **data},
        "model": {"mode": mode, "max_length": 32, "stride": 8, "lora": {"r": 4, "alpha": 8}, "adapter": {"size": 8}},
        "training": {"max_steps": 2, "batch_size": 4, "learning_rate": 1e-3, "eval_every": 1,
                     "progress": False, "early_stopping_patience": None},
    }


@pytest.mark.parametrize("mode", MODES)
def test_token_classifier_trains_saves_and_reloads(tmp_path, conll_file, mode):
    res = train(_cfg("token_classification", conll_file, tmp_path / "m", mode))
    out = res.output_dir
    assert {"medassist.json", "model_card.md", "metrics.json", "training_config.yaml", "tokenizer.json"} <= {p.name for p in out.iterdir()}
    assert not list(out.rglob("*.bin")) and not list(out.rglob("*.pt")) and not list(out.rglob("*.pkl"))
    assert res.trainable_params < res.total_params if mode != "full" else res.trainable_params == res.total_params
    assert "test" in res.metrics and 0 <= res.metrics["test"]["f1"] <= 1
    texts = ["Aspirin induced asthma and hypertension .", "Gentamicin caused acute renal failure in two patients ."]
    loaded = load_model(out)
    a = res.predictor.word_logprobs([t.split() for t in texts])
    b = loaded.word_logprobs([t.split() for t in texts])
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, atol=1e-4)
    assert res.predictor.predict_spans(texts) == loaded.predict_spans(texts)
    assert loaded.meta["consistency"]["window"] == 20  # fitted on dev (its threshold may be None: off)
    assert res.metrics["consistency_threshold"] == loaded.meta["consistency"]["threshold"]
    card = (out / "model_card.md").read_text()
    assert "fingerprint" in card and "Library versions" in card and mode in card


@pytest.mark.parametrize("mode", MODES)
def test_text_classifier_trains_saves_and_reloads(tmp_path, text_csv, mode):
    res = train(_cfg("text_classification", text_csv, tmp_path / "m", mode))
    m = res.metrics["test"]
    assert {"accuracy", "macro_f1", "ece", "per_class", "confusion_matrix"} <= set(m)
    texts = ["my nose is running", "pain in my chest"]
    loaded = load_model(res.output_dir)
    np.testing.assert_allclose(res.predictor.predict_proba(texts), loaded.predict_proba(texts), atol=1e-5)
    assert (res.output_dir / "plots" / "test_reliability.png").stat().st_size > 1000
    assert loaded.predict(texts, top_k=2)[0][0]["label"] in {"cold", "cardiac", "uti"}


def test_multi_label_text_classifier(tmp_path):
    p = tmp_path / "ml.csv"
    p.write_text("text,label\n" + "fever and cough,flu|covid\nrash and itch,eczema\nfever,flu\nitchy skin,eczema\n" * 3, encoding="utf-8")
    res = train(_cfg("text_classification", p, tmp_path / "m", "full", multi_label=True, label_separator="|"))
    assert "micro_f1" in res.metrics["test"] and res.predictor.multi_label
    probs = load_model(res.output_dir).predict_proba(["fever"])
    assert probs.shape == (1, 3) and ((probs > 0) & (probs < 1)).all()


@pytest.mark.parametrize("mode", ["full", "lora"])
def test_relation_classifier(tmp_path, relations_file, mode):
    res = train(_cfg("relation_classification", relations_file, tmp_path / "m", mode))
    loaded = load_model(res.output_dir)
    out = loaded.predict_relations([("Aspirin increases the effect of warfarin .", (0, 7), (32, 40))], top_k=4)
    assert len(out[0]) == 4 and abs(sum(x["score"] for x in out[0]) - 1) < 1e-3


def test_masked_lm_then_fine_tune_on_its_output(tmp_path):
    corpus = tmp_path / "notes.txt"
    corpus.write_text("\n\n".join(f"Patient {i} denies chest pain. Blood pressure was {120 + i}/80 on lisinopril {i} mg."
                                  for i in range(60)), encoding="utf-8")
    cfg = _cfg("masked_lm", corpus, tmp_path / "mlm", "full")
    cfg["data"] = {"train": str(corpus)}
    res = train(cfg)
    assert res.metrics["dev_perplexity"] is not None and (res.output_dir / "model.safetensors").exists()
    # the adapted encoder is the base of a later fine-tune
    (tmp_path / "tiny.tsv").write_text("chest\tB-X\npain\tI-X\n\nno\tO\nfever\tB-X\n\n" * 4, encoding="utf-8")
    ft = _cfg("token_classification", tmp_path / "tiny.tsv", tmp_path / "ft", "lora")
    ft["base_model"] = str(res.output_dir)
    res2 = train(ft)
    assert load_model(res2.output_dir).predict_spans(["chest pain"])[0] is not None


def test_existing_output_dir_is_refused(tmp_path, conll_file):
    out = tmp_path / "m"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    with pytest.raises(ConfigError, match="E208"):
        train(_cfg("token_classification", conll_file, out, "full"))
    assert (out / "keep.txt").read_text() == "precious"


def test_failure_while_saving_leaves_no_half_written_model(tmp_path, conll_file, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("medassist.models.modeling.save_weights", boom)
    with pytest.raises(OSError):
        train(_cfg("token_classification", conll_file, tmp_path / "m", "adapter"))
    assert list(tmp_path.iterdir()) == [conll_file]


def test_unknown_base_model(tmp_path, conll_file):
    cfg = _cfg("token_classification", conll_file, tmp_path / "m", "full")
    cfg["base_model"] = "no-such-model-xyz"
    with pytest.raises(ConfigError) as exc:
        train(cfg)
    assert "E201" in str(exc.value) and "minilm" in str(exc.value)


def test_training_data_without_entities(tmp_path):
    p = tmp_path / "o.tsv"
    p.write_text("nothing\tO\nhere\tO\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="E207"):
        train(_cfg("token_classification", p, tmp_path / "m", "full"))


def test_seeded_runs_are_identical(tmp_path, text_csv):
    a = train(_cfg("text_classification", text_csv, tmp_path / "a", "adapter"))
    b = train(_cfg("text_classification", text_csv, tmp_path / "b", "adapter"))
    texts = ["runny nose", "chest pressure"]
    np.testing.assert_allclose(a.predictor.predict_proba(texts), b.predictor.predict_proba(texts), atol=1e-6)


def test_recipe_registry_covers_every_task():
    from medassist.registry import RECIPES

    assert set(RECIPES) == {"token_classification", "text_classification", "relation_classification", "masked_lm"}
    assert callable(recipes.train)


def test_eval_keeps_dataset_order_when_training_groups_by_length(tmp_path):
    """Regression: transformers length-groups the eval sampler too, which scrambled window logits."""
    import torch
    from transformers import TrainingArguments

    from medassist.training.recipes import _ListDataset, make_trainer

    data = _ListDataset([{"input_ids": list(range(n))} for n in (3, 40, 5, 33, 7, 21, 2, 50)])
    args = TrainingArguments(output_dir=str(tmp_path), train_sampling_strategy="group_by_length",
                             per_device_eval_batch_size=2, report_to=[], use_cpu=True)
    trainer = make_trainer(model=torch.nn.Linear(1, 1), args=args)
    assert list(trainer._get_eval_sampler(data)) == list(range(len(data)))
    assert args.train_sampling_strategy == "group_by_length"


def test_bf16_precision_trains_on_cpu_and_is_recorded(tmp_path, conll_file):
    cfg = _cfg("token_classification", conll_file, tmp_path / "m", "lora")
    cfg["training"]["precision"] = "bf16"
    res = train(cfg)
    assert "precision: bf16" in (res.output_dir / "training_config.yaml").read_text()
    assert res.predictor.predict_spans(["Aspirin induced asthma ."])[0] == load_model(res.output_dir).predict_spans(["Aspirin induced asthma ."])[0]
    from medassist.training.config import load_config

    args = recipes._device_setup(load_config(cfg))
    assert args == {"use_cpu": True, "bf16": True}
    cfg["training"]["precision"] = "fp8"
    with pytest.raises(ConfigError, match="precision"):
        train(cfg)
