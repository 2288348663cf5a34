"""The OpenAI-compatible HTTP backend against small local servers: a server that is down, one that is too slow,
one that answers something else than JSON or a chat completion, an HTTP error; each gives its catalogued error
and the summary falls back to the extractive text and says so.  The key goes only into the Authorization header.
No patient identifier reaches a remote backend unless the config allows raw text."""

from __future__ import annotations

import json

import pytest

from medassist.errors import ConfigError, ErrorCode, GenerationError
from medassist.generate.backends import GenerationConfig, OpenAIBackend, chat_url, load_backend, public_url
from medassist.generate.summary import Summarizer

from .conftest import NOTE, completion, free_port

MESSAGES = [{"role": "user", "content": "Say hello."}]


def test_a_completion_is_read_with_its_token_counts(local_server):
    server = local_server(text="Hello there.")
    gen = OpenAIBackend(server.url, model="m1", timeout_s=5).generate(MESSAGES, max_tokens=8, stop=["\n"])
    assert gen.text == "Hello there." and gen.backend == "openai" and gen.model == "test-model"
    assert (gen.prompt_tokens, gen.completion_tokens) == (10, 5)
    (request,) = server.received
    assert request["path"] == "/v1/chat/completions"
    body = json.loads(request["body"])
    assert body["model"] == "m1" and body["messages"] == MESSAGES and body["max_tokens"] == 8
    assert body["stop"] == ["\n"] and body["temperature"] == 0.0


def test_the_key_goes_only_into_the_authorization_header(local_server, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-not-a-real-key-123")
    server = local_server(respond=lambda request: (401, b'{"error": "bad key"}', 0.0))
    backend = OpenAIBackend(server.url, api_key_env="TEST_LLM_KEY", timeout_s=5)
    with pytest.raises(GenerationError) as err:
        backend.generate(MESSAGES)
    assert err.value.code == ErrorCode.E906 and "HTTP 401" in str(err.value)
    assert server.received[0]["headers"]["Authorization"] == "Bearer sk-test-not-a-real-key-123"
    assert "sk-test" not in str(err.value) and "sk-test" not in repr(backend)


def test_a_server_that_is_down_is_E904():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(GenerationError) as err:
        OpenAIBackend(url, timeout_s=5).generate(MESSAGES)
    assert err.value.code == ErrorCode.E904 and url in str(err.value) and "MEDASSIST_LLM_URL" in str(err.value)


def test_a_server_that_does_not_answer_in_time_is_E905(local_server):
    server = local_server(respond=lambda request: (200, json.dumps(completion("late")).encode(), 3.0))
    with pytest.raises(GenerationError) as err:
        OpenAIBackend(server.url, timeout_s=0.5).generate(MESSAGES)
    assert err.value.code == ErrorCode.E905 and "0.5 s" in str(err.value)


@pytest.mark.parametrize("payload", [b"<html>Bad gateway</html>", b'{"result": "no choices here"}',
                                     b'{"choices": [{"message": {"content": null}}]}', b"\xff\xfe"])
def test_an_answer_that_is_not_a_chat_completion_is_E907(local_server, payload):
    server = local_server(respond=lambda request: (200, payload, 0.0))
    with pytest.raises(GenerationError) as err:
        OpenAIBackend(server.url, timeout_s=5).generate(MESSAGES)
    assert err.value.code == ErrorCode.E907


def test_an_error_answer_never_puts_the_servers_body_in_the_message(local_server):
    # a server may echo the prompt (patient text) in its error body
    server = local_server(respond=lambda request: (500, request["body"].encode(), 0.0))
    with pytest.raises(GenerationError) as err:
        OpenAIBackend(server.url, timeout_s=5).generate([{"role": "user", "content": "John Smith 555-123-4567"}])
    assert err.value.code == ErrorCode.E906 and "Smith" not in str(err.value) and "555" not in str(err.value)


def test_urls_in_messages_lose_their_credentials():
    assert public_url("https://user:secret@llm.example.org:8443/v1?key=abc") == "https://llm.example.org:8443/v1"
    assert chat_url("http://h:1") == chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"


def test_config_from_the_environment(monkeypatch):
    monkeypatch.setenv("MEDASSIST_LLM_BACKEND", "openai")
    monkeypatch.setenv("MEDASSIST_LLM_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MEDASSIST_LLM_TIMEOUT_S", "2.5")
    monkeypatch.setenv("MEDASSIST_LLM_ALLOW_RAW_TEXT", "no")
    cfg = GenerationConfig.from_env()
    assert (cfg.backend, cfg.url, cfg.timeout_s, cfg.allow_raw_text, cfg.remote) == (
        "openai", "http://127.0.0.1:9", 2.5, False, True)
    assert isinstance(load_backend(cfg), OpenAIBackend)
    assert load_backend(GenerationConfig()) is None  # extractive: no model
    monkeypatch.setenv("MEDASSIST_LLM_BACKEND", "gpt")
    with pytest.raises(ConfigError) as err:
        GenerationConfig.from_env()
    assert err.value.code == ErrorCode.E902 and "extractive, llama_cpp, openai" in str(err.value)
    with pytest.raises(ConfigError) as err:
        GenerationConfig.from_env(backend="openai", url="")
    assert err.value.code == ErrorCode.E903


@pytest.mark.parametrize("kind", ["down", "slow", "html"])
def test_the_summary_falls_back_to_the_extractive_text_and_says_why(nlp, note, local_server, kind):
    if kind == "down":
        url, code = f"http://127.0.0.1:{free_port()}", "E904"
    else:
        wait, payload = (3.0, b"{}") if kind == "slow" else (0.0, b"<html>oops</html>")
        url, code = local_server(respond=lambda request: (200, payload, wait)).url, {"slow": "E905", "html": "E907"}[kind]
    cfg = GenerationConfig(backend="openai", url=url, timeout_s=0.5, allow_raw_text=True)
    summary = Summarizer(nlp, load_backend(cfg), cfg)(note)
    extractive = Summarizer(nlp)(note)
    assert summary.backend == "extractive" and summary.sentences == extractive.sentences
    assert summary.fallback and f"[{code}]" in summary.fallback and "extractive summary" in summary.fallback
    assert summary.to_dict()["fallback"] == summary.fallback


def test_no_identifier_reaches_a_remote_backend_unless_raw_text_is_allowed(nlp, note, local_server):
    assert "John Smith" in NOTE and "555-123-4567" in NOTE
    server = local_server(text="The patient has hypertension.")
    cfg = GenerationConfig(backend="openai", url=server.url, timeout_s=30)
    summary = Summarizer(nlp, load_backend(cfg), cfg)(note)  # the Summarizer's own hybrid de-identifier
    assert summary.backend == "openai" and summary.deidentified_prompt is True
    sent = server.received[-1]["body"]
    assert "hypertension" in sent and "metformin" in sent  # the facts did go out
    for identifier in ("John", "Smith", "555-123-4567", "555"):
        assert identifier not in sent, identifier
    assert "[NAME]" in sent and "[PHONE]" in sent
    # the same summary with raw text allowed sends them: the check above could fail
    raw_cfg = GenerationConfig(backend="openai", url=server.url, timeout_s=30, allow_raw_text=True)
    raw = Summarizer(nlp, load_backend(raw_cfg), raw_cfg)(note)
    assert raw.deidentified_prompt is False
    assert "John Smith" in server.received[-1]["body"] and "555-123-4567" in server.received[-1]["body"]


def test_the_hybrid_deidentifier_alone_removes_them_from_a_prompt(nlp, local_server):
    # an identifier the note pipeline did not flag (no note.phi) is still caught by the prompt's own de-identification
    server = local_server(text="Hypertension.")
    cfg = GenerationConfig(backend="openai", url=server.url, timeout_s=30)
    text = "PLAN: Call Margaret Oduya at 617-555-0142 about the lisinopril.\nPROBLEMS: hypertension."
    note = nlp(text)
    note.phi = []  # as if the pipeline had missed them
    Summarizer(nlp, load_backend(cfg), cfg)(note)
    sent = server.received[-1]["body"]
    assert "about the lisinopril" in sent  # the plan sentence went out...
    assert "Oduya" not in sent and "617-555-0142" not in sent  # ...without the name and the number
