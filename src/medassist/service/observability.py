"""Structured JSON logs and Prometheus metrics.

Log records carry what operations need (event, route template, status, duration, request id, role, an
account pseudonym) and never patient identifiers or free text: messages are fixed strings, and
exceptions are logged by type and place only (an exception's message may quote its input).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# LogRecord attributes that are not ours to print
_STD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}
# extra fields that may appear in a log line; anything else passed as `extra` is dropped
SAFE_FIELDS = frozenset({
    "event", "method", "route", "status", "duration_ms", "request_id", "role", "account", "error_type",
    "where", "limit", "retry_after", "host", "port", "db", "count", "seconds", "version", "reason",
})  # fmt: skip


_TRUSTED = ("medassist.service", "uvicorn", "alembic")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the whitelisted extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            # other libraries' arguments could carry text they were given: print only their fixed template
            "message": record.getMessage() if record.name.startswith(_TRUSTED) else str(record.msg),
        }
        for key, value in record.__dict__.items():
            if key in SAFE_FIELDS and key not in _STD:
                out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            out["error_type"] = record.exc_info[0].__name__
            out["where"] = where(record.exc_info[2])
        return json.dumps(out, default=str)


def where(tb: Any) -> str | None:
    """``file:line`` of the innermost frame of a traceback (no message, no locals)."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    if not frames:
        return None
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """JSON lines on stderr for the service, uvicorn and everything else (used by ``medassist serve``)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our access log has route templates, not raw paths
    # other libraries and MedAssist's own components log their details at INFO; the service's lines stay
    for name in ("alembic", "medassist", "httpx", "transformers"):
        logging.getLogger(name).setLevel(max(root.level, logging.WARNING))
    logging.getLogger("medassist.service").setLevel(root.level)


class Metrics:
    """The app's Prometheus metrics, in a registry of its own (several apps can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("medassist_http_requests_total", "HTTP requests by route template and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("medassist_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.in_flight = Gauge("medassist_http_requests_in_flight", "Requests being handled", registry=self.registry)
        self.rate_limited = Counter("medassist_rate_limited_total", "Requests refused by the rate limiter",
                                    ["kind"], registry=self.registry)
        self.timeouts = Counter("medassist_request_timeouts_total", "Requests that ran out of time",
                                registry=self.registry)
        self.consultations = Counter("medassist_consultations_started_total", "Consultations started",
                                     registry=self.registry)
        self.red_flags = Counter("medassist_red_flags_total", "Consultation results with a red flag",
                                 registry=self.registry)
        self.reviews = Counter("medassist_reviews_total", "Clinician reviews", ["decision"], registry=self.registry)
        self.logins = Counter("medassist_logins_total", "Password sign-ins", ["outcome"], registry=self.registry)
        self.ready = Gauge("medassist_ready", "1 when models are loaded and the database answers",
                           registry=self.registry)
