"""Service settings: one dataclass, filled from arguments and ``MEDASSIST_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path("medassist-data")
SECRET_ENV = "MEDASSIST_SECRET_KEY"
DB_ENV = "MEDASSIST_DB_URL"


def default_db_url(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    return f"sqlite:///{data_dir / 'medassist.db'}"


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///path`` URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    rest = rest.split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


@dataclass
class Settings:
    """Everything the app needs to know; every field has a safe default for a local run."""

    db_url: str = field(default_factory=lambda: os.environ.get(DB_ENV) or default_db_url())
    # PostgreSQL only: put every table in this schema (tests use a fresh one per session).
    db_schema: str | None = None
    # Where the key file lives when MEDASSIST_SECRET_KEY is not set (default: next to the SQLite file).
    data_dir: Path | None = None
    secret_key: str | None = field(default_factory=lambda: os.environ.get(SECRET_ENV) or None)
    token_ttl_minutes: float = 30.0
    max_body_bytes: int = 256 * 1024
    request_timeout_s: float = 30.0
    # per account (or per client address before login): sustained requests per minute and burst size
    rate_per_minute: float = 240.0
    rate_burst: int = 60
    # password attempts per client address
    login_per_minute: float = 20.0
    login_burst: int = 10
    # argon2id cost (OWASP minimum: 19 MiB, 2 passes); tests lower it to stay fast
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19 * 1024
    # run one consultation and one note at start-up so the first real request is not slow
    warmup: bool = True
    # None: the engine's config decides (embeddings on); False: lexicon-only intake
    use_embeddings: bool | None = None
    # intra-op threads of the embedding model per request (0: leave torch's default)
    torch_threads: int = 1
    # /metrics answers only with `Authorization: Bearer <metrics_token>` (MEDASSIST_METRICS_TOKEN); with no
    # token it is off (404), unless metrics_public is set for a network where only Prometheus can reach it
    metrics_token: str | None = None
    metrics_public: bool = False
    migrate: bool = True
    # create a missing SQLite file? None: only at the default location (a mistyped --db is an error, E605)
    create_db: bool | None = None
    # comma-separated addresses or networks of reverse proxies whose X-Forwarded-For is believed (none by default)
    trusted_proxies: str = ""
    # shared rate-limit store for several workers (redis://...); None: in this process (one worker only)
    rate_limit_url: str | None = None
    rate_limit_prefix: str = "medassist"
    # account lockout: after this many failed sign-ins in a row, locked for lockout_base_s, doubling each
    # further failure, at most lockout_max_s
    lockout_threshold: int = 5
    lockout_base_s: float = 30.0
    lockout_max_s: float = 3600.0
    # model work waiting for the diagnosis engine or the note pipeline (each has one worker thread)
    max_model_queue: int = 64
    # who writes note summaries (POST /v1/notes/summary): extractive (no model, the default), llama_cpp (in
    # process, the [llm] extra) or openai (a server at MEDASSIST_LLM_URL); the other MEDASSIST_LLM_* settings
    # are medassist.generate.backends.GenerationConfig's
    llm_backend: str = "extractive"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then ``MEDASSIST_<FIELD>`` environment variables (``MEDASSIST_RATE_PER_MINUTE=600``), then
        ``overrides`` (command-line options)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"MEDASSIST_{f.name.upper()}")
            if raw is None or f.name in ("db_url", "secret_key"):  # those two have their own variables
                continue
            kind = str(f.type)
            if "bool" in kind:
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif kind.startswith("int"):
                values[f.name] = int(raw)
            elif kind.startswith("float"):
                values[f.name] = float(raw)
            elif "Path" in kind:
                values[f.name] = Path(raw)
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def resolved_data_dir(self) -> Path:
        """Where the key file lives, always as an absolute path: next to a SQLite file; for PostgreSQL
        $MEDASSIST_DATA_DIR or ~/.local/share/medassist, never a folder relative to the current directory
        (the CLI and the server would use different keys)."""
        if self.data_dir is not None:
            return Path(self.data_dir).expanduser().resolve()
        path = sqlite_path(self.db_url)
        if path is not None:
            return path.expanduser().resolve().parent
        env = os.environ.get("MEDASSIST_DATA_DIR")
        if env:
            return Path(env).expanduser().resolve()
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return (Path(base) / "medassist").resolve()

    def may_create_db(self) -> bool:
        if self.create_db is not None:
            return self.create_db
        return self.db_url == default_db_url()
