"""The FastAPI application: ``create_app(settings, resources=None)``.

The lifespan runs the database migrations and loads the diagnosis engine and the note pipeline once
(unless a test hands ``resources`` in); handlers get them through ``Annotated`` dependencies.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from medassist import __version__
from medassist.errors import ErrorCode, MedAssistError
from medassist.service import db as storage
from medassist.service.deps import ServiceContext
from medassist.service.middleware import BodyLimit, RateLimit, RequestContext, Timeout, parse_networks
from medassist.service.observability import Metrics
from medassist.service.ratelimit import make_limiter
from medassist.service.resources import DeadlineExceeded, ModelBusy, Resources
from medassist.service.routers import (
    audit,
    auth,
    consultations,
    health,
    health_plan,
    knowledge,
    medications,
    notes,
    reviews,
    users,
)
from medassist.service.security import Passwords, StoredDataError, TextCipher, Tokens, key_fingerprint
from medassist.service.settings import Settings

log = logging.getLogger("medassist.service")

DESCRIPTION = """MedAssist's online consultation service.

MedAssist assists clinicians and informs patients; **it does not diagnose**. Every consultation result
carries its evidence, its uncertainty and the advice to see a clinician, and a red flag overrides
everything else.

Sign in with `POST /v1/auth/token` (email as `username`) and send `Authorization: Bearer <token>`.
"""


def build_context(settings: Settings) -> ServiceContext:
    """Open the database (migrated, under a lock, when ``settings.migrate``) and its key, checked together:
    a weak key (E601), a damaged key file (E602), a key that is not the data's (E603), a database whose key
    file is missing (E604) or a mistyped SQLite path (E605) stops the start here, with what to do."""
    from medassist.service.keys import open_master

    engine = storage.make_engine(settings.db_url, settings.db_schema, create=settings.may_create_db())
    try:
        if settings.migrate:
            storage.migrate(engine)
        master = open_master(settings, engine)
    except BaseException:
        engine.dispose()
        raise
    url, prefix = settings.rate_limit_url, settings.rate_limit_prefix
    return ServiceContext(
        settings=settings, db=engine, sessions=storage.make_sessionmaker(engine), cipher=TextCipher(master),
        tokens=Tokens(master, settings.token_ttl_minutes),
        passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_kib), metrics=Metrics(),
        limiter=make_limiter(url, settings.rate_per_minute, settings.rate_burst, prefix=prefix, name="req"),
        login_limiter=make_limiter(url, settings.login_per_minute, settings.login_burst, prefix=prefix, name="login"),
        fingerprint=key_fingerprint(master),
    )


def create_app(settings: Settings | None = None, resources: Resources | None = None,
               context: ServiceContext | None = None) -> FastAPI:
    settings = settings or Settings()
    ctx = context or build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the migrations ran in build_context, before the key check
        if app.state.resources is None:
            app.state.resources = await anyio.to_thread.run_sync(
                lambda: Resources.load(use_embeddings=settings.use_embeddings, warmup=settings.warmup,
                                   torch_threads=settings.torch_threads or None,
                                   max_pending=settings.max_model_queue))
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
    for module in (auth, users, consultations, reviews, knowledge, notes, medications, health_plan, audit, health):
        app.include_router(module.router)
    _errors(app)
    _web(app)
    _openapi(app)
    # middleware: the last added is the outermost
    app.add_middleware(Timeout, seconds=settings.request_timeout_s, metrics=ctx.metrics)
    app.add_middleware(RateLimit, tokens=ctx.tokens, limiter=ctx.limiter, login_limiter=ctx.login_limiter,
                       metrics=ctx.metrics, trusted=parse_networks(settings.trusted_proxies))
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestContext, metrics=ctx.metrics)
    return app


def _errors(app: FastAPI) -> None:
    @app.exception_handler(MedAssistError)
    async def _input(_request: Request, exc: MedAssistError) -> JSONResponse:
        if isinstance(exc, storage.DatabaseUnavailable):
            return JSONResponse({"detail": str(exc), "code": exc.code.name}, status_code=503,
                                headers={"Retry-After": "30"})
        if isinstance(exc, StoredDataError):
            log.error("stored record cannot be decrypted", extra={"event": "undecryptable_record"})
            return JSONResponse({"detail": str(exc), "code": exc.code.name}, status_code=500)
        return JSONResponse({"detail": str(exc), "code": exc.code.name}, status_code=422)

    @app.exception_handler(OperationalError)
    async def _database(_request: Request, exc: OperationalError) -> JSONResponse:
        # a read-only, locked or vanished database: say so (503) rather than a bare 500
        log.error("database error", extra={"event": "database_error", "error_type": type(exc.orig).__name__})
        return JSONResponse({"detail": str(MedAssistError(ErrorCode.E607, reason=type(exc.orig).__name__)),
                             "code": "E607"}, status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(ModelBusy)
    async def _busy(_request: Request, _exc: ModelBusy) -> JSONResponse:
        return JSONResponse({"detail": "the service is busy; try again in a few seconds", "code": "busy"},
                            status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(DeadlineExceeded)
    async def _deadline(_request: Request, _exc: DeadlineExceeded) -> JSONResponse:
        return JSONResponse({"detail": "the request took too long; try again", "code": "timeout"}, status_code=504)

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


def _openapi(app: FastAPI) -> None:
    """Every 422 in the schema is the service's Problem body (validation errors and catalogue errors alike)."""
    from fastapi.openapi.utils import get_openapi

    def schema() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        comps = spec.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" not in comps:
            from medassist.service.schemas import Problem

            comps.update(Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
            comps["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        problem = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for path, ops in spec.get("paths", {}).items():
            for op in ops.values():
                responses = op.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {"description": "Invalid input: what to change", **problem}
                # what every route may answer besides its own codes (middleware and dependencies)
                common = {"413": "Body too large", "429": "Too many requests", "503": "Busy or database unavailable",
                          "504": "Took too long", "500": "Internal error (a stored record that cannot be read)"}
                if path.startswith("/v1/"):
                    common.update({"401": "Sign in first", "403": "Not allowed for your role", "404": "Not found",
                                   "409": "Conflict", "422": "Invalid input: what to change"})
                for code, text_ in common.items():
                    responses.setdefault(code, {"description": text_, **problem})
        app.openapi_schema = spec
        return spec

    app.openapi = schema  # type: ignore[method-assign]


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


def app_from_env() -> FastAPI:
    """The app of one worker of ``medassist serve --workers N`` (settings from MEDASSIST_* variables)."""
    from medassist.service.observability import configure_logging

    configure_logging(os.environ.get("MEDASSIST_LOG_LEVEL", "INFO").upper())
    return create_app(Settings.from_env())
