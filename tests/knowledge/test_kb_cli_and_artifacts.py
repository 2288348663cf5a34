"""`medassist kb` commands, and the shipped artifacts match the data they were built from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from medassist.cli import app

ARTIFACTS = Path(__file__).resolve().parents[2] / "src" / "medassist" / "artifacts"


def test_kb_check_and_stats():
    runner = CliRunner()
    res = runner.invoke(app, ["kb", "check"])
    assert res.exit_code == 0, res.output
    assert "conditions" in res.output
    stats = json.loads(runner.invoke(app, ["kb", "stats"]).stdout)
    assert stats["conditions"] >= 200 and set(stats["triage"]) <= {
        "emergency_ambulance", "emergency", "consultation_24h", "consultation", "self_care"}


def test_kb_synth_writes_labelled_narratives(tmp_path):
    out = tmp_path / "s.jsonl"
    res = CliRunner().invoke(app, ["kb", "synth", str(out), "--n", "12", "--seed", "4", "--balanced"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 12 and all(r["label"] == r["condition"] and r["text"] for r in rows)
    for r in rows:
        for m in r["mentions"]:
            assert r["text"][m["start"]:m["end"]] == m["text"]


@pytest.mark.parametrize("name", ["finding_phrases.npz", "normalize_index.npz", "intake-encoder/finding_phrases.npz"])
def test_shipped_embeddings_match_the_current_data(name):
    """A stale file would silently cost a minute of embedding on a user's first run: rebuild with `medassist kb embed`."""
    from medassist.models.embed import phrases_key

    path = ARTIFACTS / name
    assert path.exists(), f"{name} is not shipped; run `medassist kb embed`"
    model = "minilm"
    if name.startswith("intake-encoder/"):
        from medassist.models.embed import encoder_key

        model = encoder_key(str(path.parent))
    if name.endswith("finding_phrases.npz"):
        from medassist.diagnosis.intake import Intake, IntakeSettings
        from medassist.knowledge import KnowledgeBase

        phrases = [p.text for p in Intake(KnowledgeBase.load(), IntakeSettings(use_embeddings=False)).phrases]
    else:
        from medassist.nlp.normalize import Normalizer

        phrases = [e[0] for e in Normalizer().index().entries]
    data = np.load(path, allow_pickle=False)
    assert str(data["key"]) == phrases_key(phrases, model), f"{name} is stale; run `medassist kb embed`"
    assert data["emb"].shape == (len(phrases), 384)


@pytest.mark.parametrize("name", ["ner-bc5cdr", "ddi-relation", "diagnosis-narrative"])
def test_shipped_models_are_complete_and_small(name):
    path = ARTIFACTS / name
    meta = json.loads((path / "medassist.json").read_text())
    assert meta["format"] == "medassist-model/1" and meta["base_model"] == "minilm"
    card = (path / "model_card.md").read_text()
    assert "licence" in card.lower() and "Training data" in card
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    assert size < 12_000_000, f"{name} is {size / 1e6:.1f} MB"
    assert not list(path.rglob("*.bin")) and not list(path.rglob("*.pt")) and not list(path.rglob("*.pkl"))
