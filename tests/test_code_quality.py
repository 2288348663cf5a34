"""The code passes the project's lint (ruff, settings in pyproject.toml) and the core modules, which every
other part imports, pass mypy --strict.  Run by the README's test command, so CI fails on either."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STRICT = ["src/medassist/doc.py", "src/medassist/pipeline.py", "src/medassist/matcher.py",
          "src/medassist/errors.py", "src/medassist/registry.py",
          # text generation: what a model writes passes through these before anyone reads it
          "src/medassist/generate/backends.py", "src/medassist/generate/grounding.py",
          "src/medassist/generate/summary.py", "src/medassist/generate/explain.py"]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_lint_is_clean():
    if shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists():
        pytest.fail("ruff is not installed: pip install -e '.[test]'")
    ruff = str(Path(sys.executable).parent / "ruff") if (Path(sys.executable).parent / "ruff").exists() else "ruff"
    out = _run([ruff, "check", "src", "tests", "benchmarks"])
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_core_modules_pass_mypy_strict():
    out = _run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *STRICT])
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
