"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from medassist.service.db import ping
from medassist.service.deps import Context

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (it may still be loading models)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request, ctx: Context) -> JSONResponse:
    """200 when the models are loaded and the database answers; 503 otherwise."""
    res = getattr(request.app.state, "resources", None)
    models = res is not None and res.loaded
    database = ping(ctx.db)
    ready = models and database
    ctx.metrics.ready.set(1 if ready else 0)
    return JSONResponse({"status": "ready" if ready else "not ready", "models": models, "database": database},
                        status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(ctx: Context) -> Response:
    if not ctx.settings.metrics_public:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
