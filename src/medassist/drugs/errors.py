"""Kept only so that ``medassist.service.routers.medications`` (``from medassist.drugs.errors import
DrugInputError``) still works: the drug-safety errors live in the catalogue, :mod:`medassist.errors`.
Delete this module once the service imports ``DrugInputError`` from there."""

from medassist.errors import DrugInputError

__all__ = ["DrugInputError"]
