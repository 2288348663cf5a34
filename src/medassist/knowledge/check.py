"""Validate the knowledge base: ``python -m medassist.knowledge.check [FOLDER]``."""

from __future__ import annotations

import sys
from collections import Counter

from medassist.errors import KnowledgeBaseError
from medassist.knowledge.kb import KnowledgeBase


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        kb = KnowledgeBase.load(argv[0] if argv else None)
    except KnowledgeBaseError as exc:
        print(exc, file=sys.stderr)
        return 1
    icd_bad = invalid_icd10(kb)
    areas = Counter(c.area for c in kb.conditions.values())
    print(f"knowledge base {kb.version}: {len(kb.conditions)} conditions, {len(kb.findings)} findings, "
          f"{len(kb.red_flags)} red-flag rules")
    print("areas: " + ", ".join(f"{a}={n}" for a, n in sorted(areas.items())))
    if icd_bad:
        print("invalid ICD-10-CM codes: " + ", ".join(icd_bad), file=sys.stderr)
        return 1
    return 0


def invalid_icd10(kb: KnowledgeBase) -> list[str]:
    import simple_icd_10_cm as cm

    return [f"{c.id}={c.icd10}" for c in kb.conditions.values() if not cm.is_valid_item(c.icd10)]


if __name__ == "__main__":
    raise SystemExit(main())
