"""The FastAPI application: ``create_app(settings, resources=None)``.

The lifespan runs the database migrations and loads the diagnosis engine and the note pipeline once
(unless a test hands ``resources`` in); handlers get them through ``Annotated`` dependencies.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm.exc import StaleDataError

from medassist import __version__
from medassist.errors import MedAssistError
from medassist.service import db as storage
from medassist.service.deps import ServiceContext
from medassist.service.middleware import BodyLimit, RateLimit, RequestContext, Timeout
from medassist.service.observability import Metrics
from medassist.service.ratelimit import RateLimiter
from medassist.service.resources import Resources
from medassist.service.routers import (
    audit,
    auth,
    consultations,
    health,
    knowledge,
    medications,
    notes,
    reviews,
    users,
)
from medassist.service.security import Passwords, TextCipher, Tokens, load_master_key
from medassist.service.settings import Settings

log = logging.getLogger("medassist.service")

DESCRIPTION = """MedAssist's online consultation service.

MedAssist assists clinicians and informs patients; **it does not diagnose**. Every consultation result
carries its evidence, its uncertainty and the advice to see a clinician, and a red flag overrides
everything else.

Sign in with `POST /v1/auth/token` (email as `username`) and send `Authorization: Bearer <token>`.
"""


def build_context(settings: Settings) -> ServiceContext:
    master = load_master_key(settings.secret_key, settings.resolved_data_dir())
    engine = storage.make_engine(settings.db_url, settings.db_schema)
    return ServiceContext(
        settings=settings, db=engine, sessions=storage.make_sessionmaker(engine), cipher=TextCipher(master),
        tokens=Tokens(master, settings.token_ttl_minutes),
        passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_kib), metrics=Metrics(),
        limiter=RateLimiter(settings.rate_per_minute, settings.rate_burst),
        login_limiter=RateLimiter(settings.login_per_minute, settings.login_burst),
    )


def create_app(settings: Settings | None = None, resources: Resources | None = None,
               context: ServiceContext | None = None) -> FastAPI:
    settings = settings or Settings()
    ctx = context or build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate:
            await anyio.to_thread.run_sync(storage.migrate, ctx.db)
        if app.state.resources is None:
            app.state.resources = await anyio.to_thread.run_sync(
                lambda: Resources.load(use_embeddings=settings.use_embeddings, warmup=settings.warmup,
                                   torch_threads=settings.torch_threads or None))
        ctx.metrics.ready.set(1)
        log.info("service ready", extra={"event": "ready", "version": __version__})
        yield
        ctx.metrics.ready.set(0)
        if context is None:
            ctx.db.dispose()

    app = FastAPI(title="MedAssist", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.context = ctx
    app.state.resources = resources
    for module in (auth, users, consultations, reviews, knowledge, notes, medications, audit, health):
        app.include_router(module.router)
    _errors(app)
    _web(app)
    # middleware: the last added is the outermost
    app.add_middleware(Timeout, seconds=settings.request_timeout_s, metrics=ctx.metrics)
    app.add_middleware(RateLimit, tokens=ctx.tokens, limiter=ctx.limiter, login_limiter=ctx.login_limiter,
                       metrics=ctx.metrics)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestContext, metrics=ctx.metrics)
    return app


def _errors(app: FastAPI) -> None:
    @app.exception_handler(MedAssistError)
    async def _input(_request: Request, exc: MedAssistError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "code": exc.code.name}, status_code=422)

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        return JSONResponse({"detail": "the record changed meanwhile; reload it and try again", "code": "conflict"},
                            status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the input back; what a patient typed stays out of error bodies
        errors: list[dict[str, Any]] = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                                        for e in exc.errors()]
        return JSONResponse({"detail": errors, "code": "invalid_request"}, status_code=422)


def _page(path: Any) -> Any:
    def page() -> FileResponse:
        return FileResponse(path, media_type="text/html")

    return page


def _web(app: FastAPI) -> None:
    from medassist.web import PAGES, STATIC_DIR

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for path, filename in PAGES.items():
        app.add_api_route(path, _page(STATIC_DIR / filename), methods=["GET"], include_in_schema=False,
                          name=f"page:{filename}")

    try:
        import swagger_ui_bundle

        app.mount("/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
        js, css = "/swagger/swagger-ui-bundle.js", "/swagger/swagger-ui.css"
    except ImportError:  # falls back to FastAPI's default (a CDN: needs internet in the browser)
        js, css = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js", \
            "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title="MedAssist API", swagger_js_url=js,
                                   swagger_css_url=css, swagger_favicon_url="/static/favicon.svg")
