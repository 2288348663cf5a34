"""Pure ASGI middleware: request context and access log, body size limit, rate limits, timeouts.

Order, outermost first: ``RequestContext`` (request id, security headers, access log, metrics, last-
resort error handler) -> ``BodyLimit`` -> ``RateLimit`` -> ``Timeout`` -> the routes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from medassist.service.observability import Metrics, where
from medassist.service.ratelimit import RateLimiter
from medassist.service.security import Tokens

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("medassist.service.access")
log = logging.getLogger("medassist.service")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
     b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
]
# Swagger UI needs an inline bootstrap script; its page gets a CSP of its own.
DOCS_CSP = (b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            b"img-src 'self' data:; frame-ancestors 'none'")
# bounded to the audit column (db.REQUEST_ID_LENGTH); a UUID with hyphens (36) fits
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
UNLIMITED = ("/healthz", "/readyz", "/metrics")
# metric labels come from a closed set: a random method name must not make a new time series
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1"`` -> networks (the trusted-proxy setting)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The caller's address: the peer, unless the peer is a trusted proxy; then the right-most address of
    X-Forwarded-For that is not a trusted proxy (addresses further left are the client's own claims)."""
    peer = str((scope.get("client") or ("unknown", 0))[0])
    if not trusted or not _in(peer, trusted):
        return peer
    forwarded = (_header(scope, b"x-forwarded-for") or b"").decode("latin-1")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _in(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


async def send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": raw})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return None


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (_header(scope, b"x-request-id") or b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = {"code": 500, "started": False}
        is_docs = scope["path"] in ("/docs", "/docs/oauth2-redirect")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                for key, value in SECURITY_HEADERS:
                    if key == b"content-security-policy" and is_docs:
                        value = DOCS_CSP
                    if key not in present:
                        headers.append((key, value))
                message["headers"] = headers
            await send(message)

        start = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:  # last resort: say nothing about the input, log type and place only
            log.error("unhandled error", extra={"event": "unhandled_error", "error_type": type(exc).__name__,
                                               "where": where(exc.__traceback__), "request_id": request_id})
            if not status["started"]:
                await send_wrapper({"type": "http.response.start", "status": 500,
                                    "headers": [(b"content-type", b"application/json")]})
                await send_wrapper({"type": "http.response.body",
                                    "body": json.dumps({"detail": "internal error", "request_id": request_id}).encode()})
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or ("static" if scope["path"].startswith("/static/") else "unmatched")
            method = scope.get("method", "")
            method = method if method in METHODS else "other"
            self.metrics.requests.labels(method, template, str(status["code"])).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            if template not in UNLIMITED:
                access_log.info("request", extra={
                    "event": "request", "method": method, "route": template, "status": status["code"],
                    "duration_ms": round(elapsed * 1000, 1), "request_id": request_id,
                    "role": state.get("role"), "account": state.get("account"),
                })


class BodyLimit:
    """413 for request bodies over ``limit`` bytes, by Content-Length or while the body streams in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        body = {"detail": f"the request body is larger than {self.limit} bytes; send less text at a time",
                "code": "body_too_large"}
        if declared is not None:
            try:
                too_big = int(declared) > self.limit
            except ValueError:
                await send_json(send, 400, {"detail": "invalid Content-Length header", "code": "bad_request"})
                return
            if too_big:
                await send_json(send, 413, body)
                return
        seen = 0
        started = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    if not started and not refused:
                        refused = True
                        await send_json(send, 413, body)
                    return {"type": "http.disconnect"}  # the app stops reading; whatever it answers is dropped
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise


class RateLimit:
    """429 with Retry-After when an account (or an address before sign-in) spends its bucket."""

    def __init__(self, app: ASGIApp, tokens: Tokens, limiter: RateLimiter, login_limiter: RateLimiter,
                 metrics: Metrics, login_path: str = "/v1/auth/token", trusted: tuple[Network, ...] = ()) -> None:
        self.app = app
        self.trusted = trusted
        self.tokens = tokens
        self.limiter = limiter
        self.login_limiter = login_limiter
        self.metrics = metrics
        self.login_path = login_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED:
            await self.app(scope, receive, send)
            return
        client = client_address(scope, self.trusted)
        scope.setdefault("state", {})["client"] = client
        key = f"ip:{client}"
        auth = (_header(scope, b"authorization") or b"").decode("latin-1")
        if auth[:7].lower() == "bearer ":
            subject = self.tokens.peek_subject(auth[7:].strip())
            if subject is not None:
                key = f"acct:{subject}"
        checks = [("request", self.limiter, key)]
        if scope["path"] == self.login_path and scope.get("method") == "POST":
            checks.append(("login", self.login_limiter, f"ip:{client}"))
        for kind, limiter, k in checks:
            allowed, wait = limiter.allow(k)
            if not allowed:
                self.metrics.rate_limited.labels(kind).inc()
                retry = max(1, int(wait + 0.999))
                log.warning("rate limited", extra={"event": "rate_limited", "limit": kind, "retry_after": retry,
                                                  "request_id": scope.get("state", {}).get("request_id")})
                await send_json(send, 429, {"detail": f"too many requests; try again in {retry} s", "code": "rate_limited"},
                                [(b"retry-after", str(retry).encode())])
                return
        await self.app(scope, receive, send)


class Timeout:
    """504 when a request takes longer than ``seconds`` (the worker thread finishes on its own)."""

    def __init__(self, app: ASGIApp, seconds: float, metrics: Metrics) -> None:
        self.app = app
        self.seconds = seconds
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        started = False
        # the handlers' model work gets the same deadline: work still queued when it passes is dropped
        scope.setdefault("state", {})["deadline"] = time.monotonic() + self.seconds

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, receive, tracking_send), timeout=self.seconds)
        except TimeoutError:
            self.metrics.timeouts.inc()
            log.warning("request timed out", extra={"event": "timeout", "seconds": self.seconds,
                                                   "request_id": scope.get("state", {}).get("request_id")})
            if not started:
                await send_json(send, 504, {"detail": "the request took too long; try again", "code": "timeout"})
