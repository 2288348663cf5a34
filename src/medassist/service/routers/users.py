"""Account management, for admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from medassist.service.db import User
from medassist.service.deps import AdminUser, Context, DbSession, audit
from medassist.service.schemas import Problem, UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.get("", response_model=list[UserOut])
def list_users(request: Request, admin: AdminUser, db: DbSession, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[User]:
    users = list(db.scalars(select(User).order_by(User.id).limit(limit).offset(offset)))
    audit(db, request, admin, "list", "user")
    db.commit()
    return users


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED, responses={409: {"model": Problem}})
def create_user(request: Request, body: UserCreate, admin: AdminUser, ctx: Context, db: DbSession) -> User:
    user = User(email=body.email, password_hash=ctx.passwords.hash(body.password), role=body.role, active=True,
                token_version=0)
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, "an account with this email already exists") from None
    audit(db, request, admin, "create", "user", user.id)
    db.commit()
    return user


@router.patch("/{user_id}", response_model=UserOut, responses={404: {"model": Problem}})
def update_user(request: Request, user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: UserUpdate, admin: AdminUser, ctx: Context, db: DbSession) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such account")
    if user.id == admin.id and (body.active is False or (body.role and body.role != "admin")):
        raise HTTPException(status.HTTP_409_CONFLICT, "admins cannot demote or deactivate themselves")
    if body.role is not None:
        user.role = body.role
    if body.active is not None:
        user.active = body.active
    if body.password is not None:
        from medassist.service.passwords import password_problem

        problem = password_problem(body.password, user.email)
        if problem:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"the password is not accepted: {problem}")
        user.failed_logins = 0
        user.locked_until = None
        user.password_hash = ctx.passwords.hash(body.password)
    user.token_version += 1  # tokens issued before the change stop working
    audit(db, request, admin, "update", "user", user.id)
    db.commit()
    return user
