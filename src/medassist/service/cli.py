"""``medassist serve``, ``medassist users create``, ``medassist feedback export`` and ``medassist keys rotate``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pragma: no cover
    from medassist.service.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True)
users_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Manage accounts (the first admin).")
feedback_app = typer.Typer(add_completion=False, no_args_is_help=True,
                           help="Clinicians' corrections as training data.")
keys_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="The secret key that encrypts the stored free text.")
app.add_typer(users_app, name="users")
app.add_typer(feedback_app, name="feedback")
app.add_typer(keys_app, name="keys")

DbOption = Annotated[str | None, typer.Option("--db", help="database URL (default: $MEDASSIST_DB_URL or "
                                                          "sqlite:///medassist-data/medassist.db)")]


CreateOption = Annotated[bool, typer.Option("--create-db", help="create the SQLite database if it does not exist "
                                                               "(without it a mistyped --db path is an error)")]


def _needs_serve() -> None:
    """Every command here needs the service stack: without the ``serve`` extra, say so (E210) and exit 2."""
    from medassist.errors import MedAssistError, require_extra

    try:
        require_extra("serve")
    except MedAssistError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def _settings(db: str | None, **kwargs: Any) -> Settings:
    from medassist.service.settings import Settings

    return Settings.from_env(db_url=db, **kwargs)


def _context(settings: Settings) -> Any:
    """build_context, with the catalogue's message and exit code 2 instead of a traceback."""
    from medassist.errors import MedAssistError
    from medassist.service.app import build_context

    try:
        return build_context(settings)
    except MedAssistError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For only from the configured trusted proxies (none by default)."""
    proxies = settings.trusted_proxies.strip()
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or "", "log_config": None,
            "access_log": False, "timeout_graceful_shutdown": 5, "server_header": False}


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    db: DbOption = None,
    demo: Annotated[bool, typer.Option("--demo", help="create demo accounts and sample consultations")] = False,
    no_embeddings: Annotated[bool, typer.Option("--no-embeddings", help="lexicon-only intake (faster start)")] = False,
    workers: Annotated[int, typer.Option(help="worker processes (more than one needs MEDASSIST_RATE_LIMIT_URL, "
                                              "a Redis URL, so that rate limits are shared)", min=1, max=32)] = 1,
    create_db: CreateOption = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    """Run the consultation service (API at /v1, docs at /docs, pages at /)."""
    _needs_serve()
    import os

    import uvicorn

    from medassist.service.app import create_app
    from medassist.service.observability import configure_logging
    from medassist.service.resources import Resources

    configure_logging(log_level.upper())
    settings = _settings(db, use_embeddings=False if no_embeddings else None, create_db=create_db or None)
    if workers > 1 and not settings.rate_limit_url:
        typer.secho("--workers above 1 needs MEDASSIST_RATE_LIMIT_URL (e.g. redis://127.0.0.1:6379/0): each worker "
                    "would otherwise keep rate limits of its own", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    typer.echo("MedAssist: preparing the database and loading the models (a few seconds)...", err=True)
    ctx = _context(settings)  # migrations and the key check, once, before any worker starts
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"
    options = uvicorn_options(settings)
    if workers > 1:
        if demo:
            _demo(ctx, settings, Resources.load(use_embeddings=settings.use_embeddings, warmup=False), host)
        ctx.db.dispose()
        os.environ.update({"MEDASSIST_DB_URL": settings.db_url, "MEDASSIST_CREATE_DB": "false",
                           "MEDASSIST_USE_EMBEDDINGS": "" if settings.use_embeddings is None else str(settings.use_embeddings)})
        if not os.environ["MEDASSIST_USE_EMBEDDINGS"]:
            del os.environ["MEDASSIST_USE_EMBEDDINGS"]
        typer.echo(f"\nOpen {url}  (API docs: {url}docs), {workers} workers. Press Ctrl+C to stop.\n")
        uvicorn.run("medassist.service.app:app_from_env", factory=True, host=host, port=port, workers=workers, **options)
        return
    resources = Resources.load(use_embeddings=settings.use_embeddings, warmup=settings.warmup,
                               torch_threads=settings.torch_threads or None, max_pending=settings.max_model_queue)
    if demo:
        _demo(ctx, settings, resources, host)
    typer.echo(f"\nOpen {url}  (API docs: {url}docs). Press Ctrl+C to stop.\n")
    application = create_app(settings, resources=resources, context=ctx)
    uvicorn.run(application, host=host, port=port, **options)


def _demo(ctx: Any, settings: Settings, resources: Any, host: str) -> None:
    """Seed the demo and say where its credentials are (never the passwords themselves: output is often logged)."""
    from medassist.service.demo import CREDENTIALS_FILE, seed

    creds = seed(ctx, resources)
    typer.echo(f"\nDemo accounts; their passwords are in {settings.resolved_data_dir() / CREDENTIALS_FILE} (mode 0600):")
    for role, c in creds.items():
        typer.echo(f"  {role:<10} {c['email']}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.secho("  warning: demo accounts on an address other people can reach", fg=typer.colors.YELLOW)


@users_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="the account's email (its sign-in name)")],
    role: Annotated[str, typer.Option(help="patient, clinician or admin")] = "patient",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input")] = False,
    db: DbOption = None,
    create_db: CreateOption = False,
) -> None:
    """Create an account (for example the first admin) in the service database."""
    _needs_serve()
    from pydantic import ValidationError
    from sqlalchemy import select

    from medassist.service.db import AuditEvent, User, session_scope
    from medassist.service.schemas import UserCreate

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        body = UserCreate(email=email, password=password, role=role)  # type: ignore[arg-type]
    except ValidationError as exc:
        for err in exc.errors(include_input=False, include_url=False):
            typer.secho(f"{'.'.join(map(str, err['loc']))}: {err['msg']}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    ctx = _context(_settings(db, create_db=create_db or None))
    with session_scope(ctx.sessions) as session:
        if session.scalar(select(User).where(User.email == body.email)) is not None:
            typer.secho(f"an account with the email {body.email} already exists", fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
        user = User(email=body.email, password_hash=ctx.passwords.hash(body.password), role=body.role, active=True,
                    token_version=0)
        session.add(user)
        session.flush()
        session.add(AuditEvent(actor_id=None, actor_role="cli", action="create", resource_type="user",
                               resource_id=str(user.id), outcome="ok"))
        user_id = user.id
    typer.echo(f"created {body.role} account {body.email} (id {user_id})")


@feedback_app.command("export")
def export_feedback(
    out: Annotated[Path, typer.Argument(help="output file: .jsonl ({text, label} per line) or .csv (text,label)")],
    db: DbOption = None,
    include_approved: Annotated[bool, typer.Option("--include-approved",
                                                   help="also export approved results (label = the approved top condition)")] = False,
) -> None:
    """Write clinicians' amendments as de-identified text + corrected label for `medassist train` (text_classification)."""
    _needs_serve()
    from medassist.service.feedback import export

    ctx = _context(_settings(db))
    count = export(ctx, out, include_approved=include_approved)
    typer.echo(f"wrote {count} labelled example(s) to {out}")


@keys_app.command("rotate")
def rotate_key(
    db: DbOption = None,
    new_key_stdin: Annotated[bool, typer.Option("--new-key-stdin", help="read the new key from standard input "
                                                                        "(needed when MEDASSIST_SECRET_KEY holds the key)")] = False,
) -> None:
    """Re-encrypt every stored text with a new secret key, in one transaction; every account signs in again.

    With the key file, the new key replaces it (the old one is kept as secret.key.previous); with
    MEDASSIST_SECRET_KEY, set it to the new key before the next start.  Stop the server first.
    """
    _needs_serve()
    from medassist.errors import MedAssistError
    from medassist.service.keys import rotate

    settings = _settings(db)
    ctx = _context(settings)
    new = sys.stdin.readline().strip().encode() if new_key_stdin else None
    try:
        fingerprint = rotate(settings, ctx.db, new)
    except MedAssistError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    where = "MEDASSIST_SECRET_KEY (set it to the new key now)" if settings.secret_key else \
        str(settings.resolved_data_dir() / "secret.key")
    typer.echo(f"rotated: the data is now encrypted with the key of fingerprint {fingerprint}, in {where}")
