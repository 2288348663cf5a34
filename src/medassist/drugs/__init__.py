"""Drug safety: interactions, contraindications, allergy cross-reactivity and duplicate therapy.

    from medassist.drugs import check
    result = check(["warfarin", "ibuprofen"], conditions=["CKD"], allergies=["penicillin"])

Importing this package reads no data: the curated YAML tables (``medassist/knowledge/data/drugs``) are
loaded (once) on the first check.  The result types are those of :mod:`medassist.doc`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from medassist.doc import Alert, CheckResult

if TYPE_CHECKING:  # pragma: no cover
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
