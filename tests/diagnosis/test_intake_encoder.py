"""The hand-written intake evaluation set is well-formed and names only real findings; the intake uses the
sentence encoder that ``intake.encoder`` names (null: the bundled MiniLM, as before)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
_spec = importlib.util.spec_from_file_location("intake_findings", ROOT / "benchmarks" / "intake_findings.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def shipped_kb():
    from medassist.knowledge.kb import KnowledgeBase

    return KnowledgeBase.load()


def test_every_labelled_id_exists_and_the_set_is_well_formed(shipped_kb):
    records = bench.load_set(bench.DATA)
    assert 150 <= len(records) <= 200
    assert len({r["id"] for r in records}) == len(records)
    assert bench.check_ids(records, set(shipped_kb.findings)) == []
    for r in records:
        assert r["text"].strip() and r["sex"] in ("female", "male") and 0 < r["age"] < 110
        assert r["findings"] and len({f["id"] for f in r["findings"]}) == len(r["findings"])
    assert sum(not f["present"] for r in records for f in r["findings"]) >= 30  # negations are measured


def test_check_ids_names_the_unknown_label():
    records = [{"id": "z1", "findings": [{"id": "cough", "present": True}, {"id": "not_a_finding", "present": False}]}]
    assert bench.check_ids(records, {"cough"}) == ["z1: not_a_finding"]


def test_the_evaluation_set_is_not_read_by_the_training_code():
    text = (ROOT / "src" / "medassist" / "training" / "contrastive.py").read_text(encoding="utf-8")
    assert "patient_sentences" not in text.replace("benchmarks/data/patient_sentences.jsonl` was not used", "").replace(
        "The patient sentences of ``benchmarks/data`` are never read here", "")


class _FakeEmbedder:
    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts):  # noqa: ANN001, ANN201
        self.calls += 1
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


def test_intake_encodes_clauses_with_the_configured_encoder(monkeypatch, fixture_kb, tmp_path):
    from medassist.diagnosis import intake as intake_mod
    from medassist.models import embed

    asked: list[str] = []
    fake = _FakeEmbedder()

    def shared(model: str = "minilm") -> _FakeEmbedder:
        asked.append(model)
        return fake

    monkeypatch.setattr(embed, "shared_embedder", shared)
    monkeypatch.setattr(embed, "cache_dir", lambda: tmp_path)
    enc = tmp_path / "enc"
    enc.mkdir()
    (enc / "intake_encoder.json").write_text(json.dumps({"base_model": "minilm", "max_length": 16}), encoding="utf-8")
    (enc / "adapter.safetensors").write_bytes(b"weights")
    it = intake_mod.Intake(fixture_kb, intake_mod.IntakeSettings(encoder=str(enc)))
    it.extract("something odd is going on with my body today")
    assert asked and set(asked) == {str(enc)}
    assert it.phrase_embeddings().shape == (len(it.phrases), 4)

    asked.clear()
    plain = intake_mod.Intake(fixture_kb, intake_mod.IntakeSettings(encoder=None))
    plain._phrase_emb = np.ones((len(plain.phrases), 4), dtype=np.float32) / 2.0
    plain.extract("something odd is going on with my body today")
    assert set(asked) == {"minilm"}


def test_the_shipped_name_without_its_directory_is_a_clear_error(monkeypatch, tmp_path):
    from medassist.errors import ConfigError
    from medassist.models import embed

    monkeypatch.setattr(embed, "INTAKE_ENCODER", tmp_path / "missing")
    with pytest.raises(ConfigError) as err:
        embed.intake_encoder_dir("intake-encoder")
    assert err.value.code.name == "E204"
    assert embed.intake_encoder_dir("minilm") is None
    assert embed.encoder_intake_settings("minilm") == {}


def test_the_configured_thresholds_are_those_chosen_for_the_configured_encoder():
    from medassist.diagnosis.engine import load_diagnosis_config
    from medassist.models.embed import encoder_intake_settings

    intake = load_diagnosis_config().intake
    if intake.get("encoder"):
        chosen = encoder_intake_settings(intake["encoder"])
        assert chosen, "the configured encoder ships no intake.json with its thresholds"
        assert intake["similarity"] == chosen["similarity"]
        assert intake["similarity_overlap"] == chosen["similarity_overlap"]


def test_union_with_minilm_reads_what_the_fine_tuned_encoder_alone_misses(shipped_kb):
    """The fine-tuned encoder alone misses these red-flag findings; read with MiniLM beside it, each
    clause keeps the match further above its own encoder's threshold, and they are found again."""
    from medassist.diagnosis.intake import Intake, IntakeSettings
    from medassist.models.embed import encoder_intake_settings

    tuned = encoder_intake_settings("intake-encoder")
    texts = {
        "sting_bee_wasp": "A wasp stung me on the neck and now my throat feels tight and I'm wheezing.",
        "dysphagia_food_impaction": "A piece of steak got stuck in my chest an hour ago and won't go down or come back up.",
    }
    alone = Intake(shipped_kb, IntakeSettings(encoder="intake-encoder", **tuned))
    union = Intake(shipped_kb, IntakeSettings(encoder="intake-encoder", union_minilm=True, **tuned))
    for fid, text in texts.items():
        assert fid not in {o.id for o in alone.extract(text).observations}
        found = {o.id: o for o in union.extract(text).observations}
        assert fid in found and found[fid].present and found[fid].source == "embedding"
