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

from medassist.errors import ErrorCode, MedAssistError

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"
ALGORITHM = "HS256"
ISSUER = "medassist"


def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"medassist-service-v1", info=purpose.encode()).derive(master)


MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 10
MAX_USER_ID = 2**31 - 1


def check_secret(secret: str) -> bytes:
    """The configured master secret as bytes, or E601 when it is too short or too repetitive to be a key."""
    value = secret.strip()
    if len(value) < MIN_SECRET_LENGTH:
        raise MedAssistError(ErrorCode.E601, reason=f"{len(value)} characters; at least {MIN_SECRET_LENGTH} are needed")
    if len(set(value)) < MIN_SECRET_DISTINCT:
        raise MedAssistError(ErrorCode.E601, reason=f"only {len(set(value))} different characters")
    return value.encode("utf-8")


def key_file(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE


def write_key_file(path: Path, raw: bytes, *, replace: bool = False) -> bool:
    """Write ``raw`` to ``path`` atomically (a complete file or none, mode 0600).

    The key goes to a temporary file first, is synced, and is then linked to its name: another process
    never sees the name with an empty or half-written file.  Without ``replace``, returns False when the
    file already exists (another process won the race).
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        if tmp.exists():
            tmp.unlink()


def new_secret() -> bytes:
    return base64.urlsafe_b64encode(secrets.token_bytes(32))


def read_key_file(path: Path) -> bytes:
    raw = path.read_bytes().strip()
    if len(raw) < MIN_SECRET_LENGTH or len(set(raw)) < MIN_SECRET_DISTINCT:
        raise MedAssistError(ErrorCode.E602, path=path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("the secret key file is readable by other users; run chmod 600 on it",
                    extra={"event": "key_file_permissions"})
    return raw


def load_master_key(secret: str | None, data_dir: Path, *, create: bool = True) -> bytes:
    """The master secret: the configured one (E601 when weak), else the key file (created atomically on
    first use when ``create``; E602 when it is empty or damaged)."""
    if secret is not None and secret != "":
        return check_secret(secret)
    if secret == "":
        raise MedAssistError(ErrorCode.E601, reason="it is empty")
    path = key_file(data_dir)
    if not path.exists() and create and write_key_file(path, new_secret()):
        log.info("created a new secret key file", extra={"event": "key_file_created"})
    return read_key_file(path)


def key_fingerprint(master: bytes) -> str:
    """A public, non-reversible tag of the master key, stored with the data to detect a wrong key."""
    return hmac.new(_derive(master, "fingerprint"), b"medassist key check", hashlib.sha256).hexdigest()[:16]


class StoredDataError(MedAssistError, ValueError):
    """A stored record cannot be decrypted with this server's key (E606)."""

    def __init__(self, what: str = "encrypted text") -> None:
        super().__init__(ErrorCode.E606, what=what)


class TextCipher:
    """Fernet encryption (AES-128-CBC + HMAC-SHA256) of strings and JSON values stored in the database."""

    def __init__(self, master: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master, "fernet")))

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError, TypeError):
            raise StoredDataError() from None

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def decrypt_json(self, token: str) -> Any:
        try:
            return json.loads(self.decrypt(token))
        except json.JSONDecodeError:
            raise StoredDataError() from None


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
            sub = str(data["sub"])
            if not sub.isdigit() or len(sub) > 10 or not 1 <= int(sub) <= MAX_USER_ID:
                raise ValueError("subject out of range")
            version = int(data.get("ver", 0))
            if not 0 <= version <= MAX_USER_ID:
                raise ValueError("version out of range")
            return TokenClaims(int(sub), str(data["role"]), version, dt.datetime.fromtimestamp(data["exp"], dt.UTC))
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
