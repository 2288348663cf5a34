import subprocess
import sys
from pathlib import Path

import yaml

import medassist
from medassist.pipeline import DEFAULT_CONFIG, load_pipeline_config
from medassist.registry import COMPONENTS


def test_shipped_pipeline_config_loads_and_every_setting_is_commented() -> None:
    cfg = load_pipeline_config(None)
    assert [c.name for c in cfg.components] == [
        "sentences",
        "deid",
        "sections",
        "entities",
        "assertion",
        "normalize",
        "medications",
    ]
    for c in cfg.components:
        assert c.name in COMPONENTS
    lines = Path(DEFAULT_CONFIG).read_text(encoding="utf-8").splitlines()
    for line in lines:
        stripped = line.strip()
        if ":" in stripped and not stripped.startswith(("#", "-", "components:", "settings:")):
            assert "#" in line, f"setting without a comment: {line!r}"


def test_shipped_pipeline_builds_without_embeddings(monkeypatch) -> None:
    data = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    for c in data["components"]:
        if c["name"] == "normalize":
            c["settings"]["embeddings"] = False
    nlp = medassist.load(data)
    note = nlp("Pt denies chest pain. HTN on lisinopril 10 mg daily.")
    assert {(e.text, e.assertion) for e in note.entities} >= {("chest pain", "negated"), ("HTN", "present")}


def test_import_is_light() -> None:
    code = "import sys, medassist, medassist.nlp, medassist.nlp.cli; print(sorted(m for m in ('torch', 'spacy', 'transformers') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


def test_shipped_ner_variant_by_name_adds_model_entities() -> None:
    cfg = load_pipeline_config("ner")
    names = [c.name for c in cfg.components]
    assert names.index("ner") == names.index("entities") - 1  # the lexicon merges with what the model found
    base = [c.name for c in load_pipeline_config(None).components]
    assert [n for n in names if n != "ner"] == base
    data = cfg.model_dump()
    for c in data["components"]:
        if c["name"] == "normalize":
            c["settings"]["embeddings"] = False
    note = medassist.load(data)("She developed cisplatin nephrotoxicity last year and denies chest pain.")
    by_model = {e.text for e in note.entities if "ner" in e.source.split("+")}
    assert any("cisplatin" in t for t in by_model) and "nephrotoxicity" in by_model


def test_unknown_pipeline_name_lists_the_shipped_variants() -> None:
    import pytest

    from medassist.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        load_pipeline_config("no-such-variant")
    assert "ner" in str(err.value) and "no-such-variant" in str(err.value)
