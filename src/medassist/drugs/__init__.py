"""Drug safety: interactions, contraindications, allergy cross-reactivity and duplicate therapy.

    from medassist.drugs import check
    result = check(["warfarin", "ibuprofen"], conditions=["CKD"], allergies=["penicillin"])

Importing this package reads no data: the curated YAML tables are loaded (once) on the first check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from medassist.drugs.checker import Alert, CheckResult
    from medassist.drugs.data import DrugDB

__all__ = ["Alert", "CheckResult", "check"]


def check(
    drugs: Sequence[str],
    conditions: Sequence[str] = (),
    allergies: Sequence[str] = (),
    *,
    db: DrugDB | None = None,
) -> CheckResult:
    """Check drugs against each other, conditions and allergies; see :func:`medassist.drugs.checker.check`."""
    from medassist.drugs.checker import check as _check

    return _check(drugs, conditions, allergies, db=db)


def __getattr__(name: str) -> Any:
    if name in ("Alert", "CheckResult"):
        from medassist.drugs import checker

        return getattr(checker, name)
    raise AttributeError(f"module 'medassist.drugs' has no attribute {name!r}")
