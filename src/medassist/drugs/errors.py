"""Errors raised by the drug-safety checker.

They follow the catalogue style of :mod:`medassist.errors` (a stable code and a message that says what to do)
but use their own ``D`` codes so that this package does not edit the shared catalogue.
"""

from __future__ import annotations

from enum import Enum

from medassist.errors import MedAssistError


class DrugErrorCode(str, Enum):  # noqa: UP042 - same style as medassist.errors.ErrorCode
    """Stable codes for drug-safety errors; the text is a format string filled with keyword arguments."""

    D101 = "{path}: drug-safety data file is invalid: {detail}"
    D102 = "Drug-safety data failed its integrity checks ({count} problem(s)):\n{detail}"
    D401 = (
        "No drugs were given. Pass at least one drug name, e.g. check(['warfarin', 'ibuprofen']) "
        'or on the command line: medassist meds check --drugs "warfarin, ibuprofen".'
    )
    D402 = "{count} {what} were given; the limit is {limit}. Split the list and check it in parts."
    D403 = "A {what} entry is {length} characters long; the limit is {limit}. Give one name per entry."
    D404 = "{what} must be a list of strings (got {got}). Pass e.g. ['warfarin', 'ibuprofen']."


class DrugSafetyError(MedAssistError, ValueError):
    """An error from the drug-safety package, with a ``D`` code and an actionable message."""

    def __init__(self, code: DrugErrorCode, **kwargs: object) -> None:
        super().__init__(code, **kwargs)  # type: ignore[arg-type]


class DrugDataError(DrugSafetyError):
    """The curated YAML data is malformed or inconsistent."""


class DrugInputError(DrugSafetyError):
    """The caller's input (drug, condition or allergy list) is not usable."""
