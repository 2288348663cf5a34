"""Sign-in (OAuth2 password flow issuing short-lived bearer tokens) and the caller's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from medassist.service.db import User
from medassist.service.deps import Context, CurrentUser, DbSession, audit
from medassist.service.schemas import Problem, TokenOut, UserOut

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut, responses={401: {"model": Problem}, 429: {"model": Problem}})
def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], ctx: Context, db: DbSession) -> TokenOut:
    """Exchange an email (as ``username``) and password for a bearer token."""
    email = form.username.strip().lower()[:254]
    user = db.scalar(select(User).where(User.email == email))
    ok = ctx.passwords.verify(user.password_hash if user else None, form.password[:256])
    if not ok or user is None or not user.active:
        ctx.metrics.logins.labels("failed").inc()
        audit(db, request, None, "login", "user", user.id if user else None, outcome="denied")
        db.commit()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password",
                            headers={"WWW-Authenticate": "Bearer"})
    if ctx.passwords.needs_rehash(user.password_hash):
        user.password_hash = ctx.passwords.hash(form.password)
    token, expires = ctx.tokens.issue(user.id, user.role, user.token_version)
    ctx.metrics.logins.labels("ok").inc()
    audit(db, request, user, "login", "user", user.id)
    db.commit()
    return TokenOut(access_token=token, expires_in=int(ctx.tokens.ttl.total_seconds()), role=user.role)  # type: ignore[arg-type]


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> User:
    """The signed-in account."""
    return user
