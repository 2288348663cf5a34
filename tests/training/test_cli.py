"""CLI smoke runs: train -> evaluate -> predict (json and conll), and bad input exits cleanly."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from medassist.cli import app

runner = CliRunner()


def _config(tmp_path, train_file, task="token_classification"):
    cfg = {
        "task": task,
        "output_dir": str(tmp_path / "model"),
        "data": {"train": str(train_file), "dev": str(train_file)},
        "model": {"mode": "adapter", "max_length": 32, "stride": 8, "adapter": {"size": 8}},
        "training": {"max_steps": 2, "batch_size": 4, "progress": False},
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_train_evaluate_predict_token_model(tmp_path, conll_file):
    res = runner.invoke(app, ["train", str(_config(tmp_path, conll_file)), "training.learning_rate=0.001"])
    assert res.exit_code == 0, res.output
    model = tmp_path / "model"
    assert (model / "medassist.json").exists()

    res = runner.invoke(app, ["evaluate", str(model), str(conll_file), "--out", str(tmp_path / "eval")])
    assert res.exit_code == 0, res.output
    metrics = json.loads(res.stdout)
    assert {"precision", "recall", "f1", "per_type"} <= set(metrics)
    assert (tmp_path / "eval" / "metrics.json").exists() and (tmp_path / "eval" / "entity_f1.png").exists()

    texts = tmp_path / "in.txt"
    texts.write_text("Aspirin induced asthma .\n\nLidocaine infusion caused seizures .\n")
    res = runner.invoke(app, ["predict", str(model), str(texts)])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(lines) == 2 and lines[0]["text"] == "Aspirin induced asthma ."
    for span in lines[0]["spans"]:
        assert {"start", "end", "label", "text", "score"} <= set(span)
        assert lines[0]["text"][span["start"]:span["end"]] == span["text"]

    res = runner.invoke(app, ["predict", str(model), "-", "--format", "conll"], input="Aspirin induced asthma .\n")
    assert res.exit_code == 0, res.output
    rows = [r for r in res.stdout.splitlines() if r]
    assert [r.split("\t")[0] for r in rows] == ["Aspirin", "induced", "asthma", "."]
    assert all(r.split("\t")[1] == "O" or r.split("\t")[1][:2] in ("B-", "I-") for r in rows)


def test_predict_text_model_jsonl(tmp_path, text_csv):
    res = runner.invoke(app, ["train", str(_config(tmp_path, text_csv, "text_classification"))])
    assert res.exit_code == 0, res.output
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"id": "a", "text": "runny nose"}) + "\n")
    res = runner.invoke(app, ["predict", str(tmp_path / "model"), str(inp), "--top-k", "2"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)
    assert row["id"] == "a" and len(row["labels"]) == 2


def test_bad_config_key_exits_with_message(tmp_path, conll_file):
    res = runner.invoke(app, ["train", str(_config(tmp_path, conll_file)), "training.epoch=3"])
    assert res.exit_code == 2
    assert "training.epochs" in res.output and not (tmp_path / "model").exists()


def test_empty_training_file_exits_with_message(tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    res = runner.invoke(app, ["train", str(_config(tmp_path, empty))])
    assert res.exit_code == 2 and "E101" in res.output and "empty.tsv" in res.output
    assert not (tmp_path / "model").exists()


def test_predict_on_a_folder_that_is_not_a_model(tmp_path):
    res = runner.invoke(app, ["predict", str(tmp_path), "-"], input="hello\n")
    assert res.exit_code == 2 and "E204" in res.output
