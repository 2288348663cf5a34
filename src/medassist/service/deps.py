"""``Annotated`` dependencies: the service context, heavy resources, a database session, the caller.

    def handler(user: CurrentUser, db: DbSession, engine: Engine) -> ...

Tests override any of the ``get_*`` functions with ``app.dependency_overrides``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.orm import Session, sessionmaker

from medassist.diagnosis.engine import DiagnosisEngine
from medassist.pipeline import Pipeline
from medassist.service.db import REQUEST_ID_LENGTH, AuditEvent, User
from medassist.service.observability import Metrics
from medassist.service.resources import Resources
from medassist.service.security import Passwords, TextCipher, TokenError, Tokens
from medassist.service.settings import Settings


@dataclass
class ServiceContext:
    """Light per-app objects built in ``create_app`` (the heavy ones are in :class:`Resources`)."""

    settings: Settings
    db: DbEngine
    sessions: sessionmaker[Session]
    cipher: TextCipher
    tokens: Tokens
    passwords: Passwords
    metrics: Metrics
    limiter: Any
    login_limiter: Any
    fingerprint: str = ""


def get_context(request: Request) -> ServiceContext:
    return request.app.state.context  # type: ignore[no-any-return]


Context = Annotated[ServiceContext, Depends(get_context)]


def get_resources(request: Request) -> Resources:
    res: Resources | None = getattr(request.app.state, "resources", None)
    if res is None or not res.loaded:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the models are still loading; try again shortly",
                            headers={"Retry-After": "5"})
    return res


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_engine(res: ResourcesDep) -> DiagnosisEngine:
    return res.engine


def get_nlp(res: ResourcesDep) -> Pipeline:
    if res.nlp is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the note pipeline is not loaded on this server")
    return res.nlp


Engine = Annotated[DiagnosisEngine, Depends(get_engine)]
Nlp = Annotated[Pipeline, Depends(get_nlp)]


def get_db(ctx: Context) -> Iterator[Session]:
    session = ctx.sessions()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db)]

oauth2 = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def get_current_user(request: Request, ctx: Context, db: DbSession,
                     token: Annotated[str | None, Depends(oauth2)]) -> User:
    if not token:
        raise _unauthorized("sign in first: send 'Authorization: Bearer <token>' (POST /v1/auth/token)")
    try:
        claims = ctx.tokens.decode(token)
    except TokenError as exc:
        raise _unauthorized(str(exc)) from None
    user = db.get(User, claims.user_id)
    if user is None or not user.active or user.token_version != claims.version:
        raise _unauthorized("the token is no longer valid; sign in again")
    request.state.role = user.role
    request.state.account = ctx.tokens.pseudonym(str(user.id))
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: str) -> Any:
    def check(request: Request, user: CurrentUser, db: DbSession) -> User:
        if user.role not in roles:
            route = getattr(request.scope.get("route"), "path", None)
            audit(db, request, user, "call", "route", route[:64] if route else None, outcome="denied")
            db.commit()
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs one of the roles: {', '.join(roles)}")
        return user

    check.__name__ = f"require_{'_or_'.join(roles)}"
    return check


ClinicianUser = Annotated[User, Depends(require_roles("clinician", "admin"))]
AdminUser = Annotated[User, Depends(require_roles("admin"))]


def audit(db: Session, request: Request | None, user: User | None, action: str, resource_type: str,
          resource_id: str | int | None = None, outcome: str = "ok") -> None:
    """Add one audit row to the session (committed with the change it records)."""
    db.add(AuditEvent(actor_id=user.id if user else None, actor_role=user.role if user else None, action=action,
                      resource_type=resource_type, resource_id=None if resource_id is None else str(resource_id),
                      outcome=outcome,
                      request_id=(getattr(request.state, "request_id", None) or "")[:REQUEST_ID_LENGTH] or None
                      if request is not None else None))


def deadline_of(request: Request) -> float | None:
    """When this request's model work must be done by (time.monotonic()), set by the Timeout middleware."""
    return getattr(request.state, "deadline", None)
