"""Sign-in (OAuth2 password flow issuing short-lived bearer tokens), sign-out, password change, the caller.

Failed sign-ins lock the account for a while (``lockout_threshold`` failures in a row, then a lock that
doubles with each further failure); the count lives in the database, so every worker sees it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from medassist.service.db import User, utcnow
from medassist.service.deps import Context, CurrentUser, DbSession, audit
from medassist.service.passwords import email_problem, normalise_email
from medassist.service.schemas import PasswordChange, Problem, TokenOut, UserOut

router = APIRouter(prefix="/v1/auth", tags=["auth"])
WRONG = "wrong email or password"


def _locked_for(user: User) -> int:
    if user.locked_until is None:
        return 0
    left = (user.locked_until - utcnow()).total_seconds()
    return max(0, int(left + 0.999))


def _fail(ctx: Context, user: User) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    over = user.failed_logins - ctx.settings.lockout_threshold
    if over >= 0:
        seconds = min(ctx.settings.lockout_max_s, ctx.settings.lockout_base_s * (2 ** min(over, 20)))
        user.locked_until = utcnow() + dt.timedelta(seconds=seconds)


def _too_many(seconds: int) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                         f"too many failed sign-ins for this account; try again in {seconds} s",
                         headers={"Retry-After": str(max(1, seconds))})


@router.post("/token", response_model=TokenOut, responses={401: {"model": Problem}, 429: {"model": Problem}})
def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], ctx: Context, db: DbSession) -> TokenOut:
    """Exchange an email (as ``username``) and password for a bearer token."""
    email = normalise_email(form.username)[:254]
    password = form.password[:256]
    if email_problem(email) or "\x00" in password:  # no account can have it; never reaches the database
        ctx.passwords.verify(None, "x")  # same cost as a real attempt
        ctx.metrics.logins.labels("failed").inc()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG, headers={"WWW-Authenticate": "Bearer"})
    user = db.scalar(select(User).where(User.email == email))
    if user is not None and _locked_for(user):
        ctx.metrics.logins.labels("locked").inc()
        audit(db, request, None, "login", "user", user.id, outcome="locked")
        db.commit()
        raise _too_many(_locked_for(user))
    ok = ctx.passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        ctx.metrics.logins.labels("failed").inc()
        if user is not None:
            _fail(ctx, user)
        audit(db, request, None, "login", "user", user.id if user else None, outcome="denied")
        db.commit()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG, headers={"WWW-Authenticate": "Bearer"})
    if ctx.passwords.needs_rehash(user.password_hash):
        user.password_hash = ctx.passwords.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    token, expires = ctx.tokens.issue(user.id, user.role, user.token_version)
    ctx.metrics.logins.labels("ok").inc()
    audit(db, request, user, "login", "user", user.id)
    db.commit()
    return TokenOut(access_token=token, expires_in=int(ctx.tokens.ttl.total_seconds()), role=user.role)  # type: ignore[arg-type]


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses={401: {"model": Problem}})
def logout(request: Request, user: CurrentUser, db: DbSession) -> Response:
    """Sign out on the server: every token of this account stops working at once."""
    user.token_version += 1
    audit(db, request, user, "logout", "user", user.id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT,
             responses={401: {"model": Problem}, 422: {"model": Problem}})
def change_password(request: Request, body: PasswordChange, user: CurrentUser, ctx: Context, db: DbSession) -> Response:
    """Change your password (the current one is needed); every token issued before stops working."""
    if not ctx.passwords.verify(user.password_hash, body.current_password):
        audit(db, request, user, "password", "user", user.id, outcome="denied")
        db.commit()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the current password is wrong",
                            headers={"WWW-Authenticate": "Bearer"})
    from medassist.service.passwords import password_problem

    problem = password_problem(body.new_password, user.email)
    if problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"the password is not accepted: {problem}")
    user.password_hash = ctx.passwords.hash(body.new_password)
    user.token_version += 1
    audit(db, request, user, "password", "user", user.id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> User:
    """The signed-in account."""
    return user
