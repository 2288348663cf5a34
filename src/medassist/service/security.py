"""Keys, encryption of free text at rest, password hashing and access tokens.

One master secret (``MEDASSIST_SECRET_KEY``, or a random key file created with 0600 permissions in the
data folder) is stretched with HKDF into two independent keys: one for Fernet (free text in the
database) and one for signing JWT access tokens.  Passwords are hashed with argon2id.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"
ALGORITHM = "HS256"
ISSUER = "medassist"


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"medassist-service-v1", info=purpose.encode()).derive(master)


def load_master_key(secret: str | None, data_dir: Path) -> bytes:
    """The master secret: the configured one, else the key file (created on first use, mode 0600)."""
    if secret:
        return secret.encode("utf-8")
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        raw = base64.urlsafe_b64encode(secrets.token_bytes(32))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw + b"\n")
            log.info("created a new secret key file", extra={"event": "key_file_created"})
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("the secret key file is readable by other users; run chmod 600 on it",
                    extra={"event": "key_file_permissions"})
    return path.read_bytes().strip()


class TextCipher:
    """Fernet encryption (AES-128-CBC + HMAC-SHA256) of strings and JSON values stored in the database."""

    def __init__(self, master: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master, "fernet")))

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError("stored text cannot be decrypted with this key (was MEDASSIST_SECRET_KEY changed?)") from None

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def decrypt_json(self, token: str) -> Any:
        return json.loads(self.decrypt(token))


class Passwords:
    """argon2id hashes; verifying an unknown account costs as much as a known one."""

    def __init__(self, time_cost: int = 2, memory_kib: int = 19 * 1024) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    role: str
    version: int
    expires: dt.datetime


class TokenError(Exception):
    """The token is missing, malformed, forged or expired (the message says which, for the 401 body)."""


class Tokens:
    """Short-lived HS256 JWT access tokens carrying the account id, role and token version."""

    def __init__(self, master: bytes, ttl_minutes: float) -> None:
        self._key = _derive(master, "jwt")
        self._pseudonym_key = _derive(master, "log-pseudonym")
        self.ttl = dt.timedelta(minutes=ttl_minutes)

    def issue(self, user_id: int, role: str, version: int, *, now: dt.datetime | None = None,
              ttl: dt.timedelta | None = None) -> tuple[str, dt.datetime]:
        now = now or dt.datetime.now(dt.UTC)
        expires = now + (ttl if ttl is not None else self.ttl)
        claims = {"sub": str(user_id), "role": role, "ver": version, "iat": now, "exp": expires, "iss": ISSUER,
                  "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), expires

    def decode(self, token: str) -> TokenClaims:
        try:
            data = jwt.decode(token, self._key, algorithms=[ALGORITHM], issuer=ISSUER,
                              options={"require": ["sub", "exp", "iat", "iss"]})
            return TokenClaims(int(data["sub"]), str(data["role"]), int(data.get("ver", 0)),
                               dt.datetime.fromtimestamp(data["exp"], dt.UTC))
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired; sign in again") from None
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
            raise TokenError("the token is not valid; sign in again") from None

    def peek_subject(self, token: str) -> str | None:
        """The account id of a valid token, else None (for rate limiting; never raises)."""
        try:
            return self.decode(token).user_id.__str__()
        except TokenError:
            return None

    def pseudonym(self, value: str) -> str:
        """A stable, non-reversible tag for an account in logs (never the id or email itself)."""
        return hmac.new(self._pseudonym_key, value.encode(), hashlib.sha256).hexdigest()[:12]
