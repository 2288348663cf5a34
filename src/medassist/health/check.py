"""One integrity check of the health-management tables, run by ``medassist kb check``: every file loads and
validates, and the files agree with each other (the targets name known condition keys, the conditions the
medication review adds are known to the drug tables)."""

from __future__ import annotations

from medassist.errors import KnowledgeBaseError


def problems() -> list[str]:
    from medassist.health import _tables, review, scores

    out: list[str] = []
    for load in (_tables.conditions_table, _tables.loinc_table, _tables.cvx_table, _tables.screening_table,
                 _tables.vaccine_table, scores.load_scores, review._load):
        try:
            load()
        except KnowledgeBaseError as exc:
            out.append(str(exc))
    if out:
        return out
    keys = {c.key for c in _tables.conditions_table().conditions}
    data = review._load()
    for t in data.targets:
        for key in [*t.when.conditions, *t.when.unless]:
            if key not in keys:
                out.append(f"targets.yaml {t.id}: unknown condition key {key!r}")
        if t.measure not in {"bmi", *{o.key for o in _tables.loinc_table().observations}}:
            out.append(f"targets.yaml {t.id}: unknown measure {t.measure!r}")
    from medassist.drugs.data import get_db
    from medassist.drugs.resolve import Resolver

    resolver = Resolver(get_db())
    for rule in data.renal_conditions:
        if not resolver.condition(rule.condition):
            out.append(f"targets.yaml renal_conditions: the drug tables do not know {rule.condition!r}")
    return out


def summary() -> str:
    from medassist.health import _tables, scores

    return (f"health: {len(scores.load_scores().specs)} risk scores, {len(_tables.screening_table().rules)} screening "
            f"and {len(_tables.vaccine_table().rules)} vaccine rules, {len(_tables.conditions_table().conditions)} "
            "condition keys")
