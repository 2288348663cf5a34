"""``medassist serve``, ``medassist users create`` and ``medassist feedback export``."""

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
app.add_typer(users_app, name="users")
app.add_typer(feedback_app, name="feedback")

DbOption = Annotated[str | None, typer.Option("--db", help="database URL (default: $MEDASSIST_DB_URL or "
                                                          "sqlite:///medassist-data/medassist.db)")]


def _settings(db: str | None, **kwargs: Any) -> Settings:
    from medassist.service.settings import Settings

    return Settings.from_env(db_url=db, **kwargs)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    db: DbOption = None,
    demo: Annotated[bool, typer.Option("--demo", help="create demo accounts and sample consultations, print them")] = False,
    no_embeddings: Annotated[bool, typer.Option("--no-embeddings", help="lexicon-only intake (faster start)")] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    """Run the consultation service (API at /v1, docs at /docs, pages at /)."""
    import uvicorn

    from medassist.service.app import build_context, create_app
    from medassist.service.db import migrate
    from medassist.service.observability import configure_logging
    from medassist.service.resources import Resources

    configure_logging(log_level.upper())
    settings = _settings(db, use_embeddings=False if no_embeddings else None)  # MEDASSIST_* variables too
    ctx = build_context(settings)
    typer.echo("MedAssist: preparing the database and loading the models (a few seconds)...", err=True)
    migrate(ctx.db)
    resources = Resources.load(use_embeddings=settings.use_embeddings, warmup=settings.warmup,
                                   torch_threads=settings.torch_threads or None)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"
    if demo:
        from medassist.service.demo import seed

        creds = seed(ctx, resources)
        typer.echo("\nDemo accounts (saved in " f"{settings.resolved_data_dir() / 'demo-credentials.json'}):")
        for role, c in creds.items():
            typer.echo(f"  {role:<10} {c['email']:<34} password: {c['password']}")
        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.secho("  warning: demo accounts on an address other people can reach", fg=typer.colors.YELLOW)
    typer.echo(f"\nOpen {url}  (API docs: {url}docs). Press Ctrl+C to stop.\n")
    application = create_app(settings, resources=resources, context=ctx)
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=5,
                server_header=False)


@users_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="the account's email (its sign-in name)")],
    role: Annotated[str, typer.Option(help="patient, clinician or admin")] = "patient",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input")] = False,
    db: DbOption = None,
) -> None:
    """Create an account (for example the first admin) in the service database."""
    from pydantic import ValidationError
    from sqlalchemy import select

    from medassist.service.app import build_context
    from medassist.service.db import AuditEvent, User, migrate, session_scope
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
    ctx = build_context(_settings(db))
    migrate(ctx.db)
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
    from medassist.service.app import build_context
    from medassist.service.db import migrate
    from medassist.service.feedback import export

    ctx = build_context(_settings(db))
    migrate(ctx.db)
    count = export(ctx, out, include_approved=include_approved)
    typer.echo(f"wrote {count} labelled example(s) to {out}")
