"""Fixtures for the generation tests: a note written for these tests, a fast note pipeline, local HTTP servers."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from medassist.pipeline import Pipeline

FAST_CONFIG = {
    "components": [
        {"name": "sentences"},
        {"name": "deid", "settings": {"replace": "tag", "detector": "rules", "secret": "test-secret"}},
        {"name": "sections"},
        {"name": "entities", "settings": {"use_kb": False}},
        {"name": "assertion"},
        {"name": "normalize", "settings": {"embeddings": False, "kb": False}},
        {"name": "medications"},
    ]
}

NOTE = """HISTORY OF PRESENT ILLNESS: John Smith is a 64-year-old man with hypertension and type 2 diabetes who \
presents with chest pain for two days. He denies shortness of breath. No fever. History of myocardial infarction \
in 2015. Mother had breast cancer.

ALLERGIES: Penicillin (rash).

MEDICATIONS: Lisinopril 10 mg daily, metformin 500 mg twice a day, aspirin 81 mg daily.

LABS: Troponin negative. Hemoglobin A1c 8.2%.

ASSESSMENT AND PLAN:
1. Chest pain, likely musculoskeletal. ECG normal.
2. Diabetes: increase metformin to 1000 mg twice a day.
3. Stop aspirin. Start atorvastatin 40 mg at night.
Follow up in 2 weeks. Call John Smith at 555-123-4567 with the results.
"""


@pytest.fixture(scope="session")
def nlp() -> Pipeline:
    return Pipeline.from_config(FAST_CONFIG)


@pytest.fixture(scope="session")
def note(nlp):
    return nlp(NOTE, id="n1")


# ------------------------------------------------------------------------------ tiny local HTTP servers

def completion(text: str) -> dict:
    """A minimal OpenAI chat completion, as an OpenAI-compatible server answers."""
    return {"id": "c1", "object": "chat.completion", "model": "test-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


@dataclass
class LocalServer:
    """A stdlib HTTP server on 127.0.0.1 that records every request and answers with ``respond``."""

    respond: Callable[[dict], tuple[int, bytes, float]]  # request -> (status, body, seconds to wait first)
    received: list[dict] = field(default_factory=list)
    url: str = ""

    def start(self) -> LocalServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                request = {"path": self.path, "headers": dict(self.headers), "body": body}
                server.received.append(request)
                status, payload, wait = server.respond(request)
                time.sleep(wait)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def local_server() -> Iterator[Callable[..., LocalServer]]:
    started: list[LocalServer] = []

    def make(respond: Callable[[dict], tuple[int, bytes, float]] | None = None, text: str = "Hypertension.") -> LocalServer:
        respond = respond or (lambda request: (200, json.dumps(completion(text)).encode(), 0.0))
        server = LocalServer(respond).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
