"""Password and e-mail policy for accounts (API, CLI and demo alike).

A password needs ``MIN_LENGTH`` characters that are not white space, enough different characters, and
must not be on the list of common and breached passwords shipped in ``data/common_passwords.txt``
(derived from the zxcvbn package's frequency list; its header names the source and licence), nor be one
of them with digits or symbols added at the end, nor contain the account's own e-mail name.
E-mail addresses are plain ASCII, so that look-alike letters (Cyrillic 'а', full-width 'ａ', zero-width
spaces) cannot make a second account that reads like another one.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_DISTINCT = 5
DATA = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$")


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why ``password`` is refused (never quoting it), or None when it is accepted."""
    core = password.strip()
    if len(core) < MIN_LENGTH:
        return f"it has fewer than {MIN_LENGTH} characters (white space at the ends not counted)"
    if len(password) > MAX_LENGTH:
        return f"it is longer than {MAX_LENGTH} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        return "it contains control characters"
    if len(set(core)) < MIN_DISTINCT:
        return f"it uses fewer than {MIN_DISTINCT} different characters"
    lowered = core.lower()
    common = common_passwords()
    stem = re.sub(r"[\d\W_]+$", "", lowered)
    squeezed = re.sub(r"[\s_-]+", "", lowered)
    if lowered in common or squeezed in common or (len(stem) >= 6 and stem in common):
        return "it is on the list of common and breached passwords"
    if email:
        name = email.split("@", 1)[0].lower()
        if len(name) >= 4 and name in lowered:
            return "it contains the account's e-mail name"
    return None


def email_problem(email: str) -> str | None:
    if not email.isascii():
        return "it contains letters outside plain ASCII (look-alike letters are refused)"
    if not EMAIL_RE.match(email):
        return "it is not of the form name@domain.tld"
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()
