"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from medassist.service.db import get_meta, ping, writable
from medassist.service.deps import Context

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (it may still be loading models)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request, ctx: Context) -> JSONResponse:
    """200 when the models are loaded, the database takes writes (a write that is rolled back) and holds
    data of this server's key; 503 otherwise, with which of them failed."""
    res = getattr(request.app.state, "resources", None)
    models = res is not None and res.loaded
    problem = writable(ctx.db) if ping(ctx.db) else "unreachable"
    database = problem is None
    key = False
    if database:
        try:
            key = get_meta(ctx.db, "key_fingerprint") == ctx.fingerprint
        except Exception:  # noqa: BLE001 - not ready, whatever the reason
            key = False
    ready = models and database and key
    ctx.metrics.ready.set(1 if ready else 0)
    body = {"status": "ready" if ready else "not ready", "models": models, "database": database, "key": key}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, ctx: Context) -> Response:
    """Prometheus metrics: with ``Authorization: Bearer <MEDASSIST_METRICS_TOKEN>``; off without a token."""
    token = ctx.settings.metrics_token
    if not ctx.settings.metrics_public:
        if not token:
            raise HTTPException(status.HTTP_404_NOT_FOUND)
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "send the metrics token: Authorization: Bearer <token>",
                                headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
