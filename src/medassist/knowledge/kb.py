"""Loader for the knowledge base: reads the YAML files, validates them and checks cross-references.

    kb = KnowledgeBase.load()          # the shipped data
    kb = KnowledgeBase.load(path)      # another folder with the same layout (tests use small fixtures)
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from medassist.errors import ErrorCode, KnowledgeBaseError
from medassist.knowledge.schema import (
    AGE_BANDS,
    TRIAGE_LEVELS,
    Condition,
    Finding,
    RedFlagRule,
    TriageInfo,
)
from medassist.knowledge.terms import Table, terms

DATA_DIR = Path(__file__).parent / "data"


def age_band(age: float | None) -> str | None:
    """Map an age in years to the knowledge base's age band."""
    if age is None:
        return None
    if age < 2:
        return "0-1"
    if age < 12:
        return "2-11"
    if age < 18:
        return "12-17"
    if age < 40:
        return "18-39"
    if age < 65:
        return "40-64"
    return "65+"


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(ErrorCode.E301, path=path, detail=f"YAML syntax: {exc}") from exc


def _entries(path: Path, key: str) -> list[dict[str, Any]]:
    data = _read_yaml(path)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise KnowledgeBaseError(ErrorCode.E301, path=path, detail=f"expected a mapping with a list under {key!r}")
    return data[key]


def _validate(model: type, raw: dict[str, Any], path: Path, what: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        ident = raw.get("id", "?") if isinstance(raw, dict) else "?"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise KnowledgeBaseError(ErrorCode.E301, path=path, detail=f"{what} {ident!r}: {problems}") from exc


@dataclass(frozen=True)
class KnowledgeBase:
    findings: dict[str, Finding]
    conditions: dict[str, Condition]
    red_flags: list[RedFlagRule]
    triage: dict[str, TriageInfo]
    file_sources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    version: str = ""
    terms_dir: Path | None = None  # its own ``terms/`` folder, if it has one (None: the shipped vocabularies)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path | None = None, *, check: bool = True) -> KnowledgeBase:
        root = Path(path) if path is not None else DATA_DIR
        if path is None:
            return _load_default(check)
        return cls._load(root, check)

    @classmethod
    def _load(cls, root: Path, check: bool) -> KnowledgeBase:
        if not root.is_dir():
            raise KnowledgeBaseError(ErrorCode.E302, detail=f"{root} is not a folder")
        digest = hashlib.sha256()
        findings: dict[str, Finding] = {}
        file_sources: dict[str, list[dict[str, Any]]] = {}
        for fpath in sorted((root / "findings").glob("*.yaml")):
            digest.update(fpath.read_bytes())
            data = _read_yaml(fpath) or {}
            file_sources[str(fpath.relative_to(root))] = list(data.get("sources") or [])
            for raw in _entries(fpath, "findings"):
                item = _validate(Finding, raw, fpath, "finding")
                if not item.sources and not file_sources[str(fpath.relative_to(root))]:
                    raise KnowledgeBaseError(
                        ErrorCode.E301, path=fpath, detail=f"finding {item.id!r} names no source (give 'sources' for the file or the entry)"
                    )
                if item.id in findings:
                    raise KnowledgeBaseError(ErrorCode.E301, path=fpath, detail=f"finding id {item.id!r} defined twice")
                findings[item.id] = item
        conditions: dict[str, Condition] = {}
        for cpath in sorted((root / "conditions").glob("*.yaml")):
            digest.update(cpath.read_bytes())
            for raw in _entries(cpath, "conditions"):
                cond = _validate(Condition, raw, cpath, "condition")
                if cond.id in conditions:
                    raise KnowledgeBaseError(ErrorCode.E301, path=cpath, detail=f"condition id {cond.id!r} defined twice")
                conditions[cond.id] = cond
        red_flags: list[RedFlagRule] = []
        rpath = root / "red_flags.yaml"
        if rpath.exists():
            digest.update(rpath.read_bytes())
            red_flags = [_validate(RedFlagRule, raw, rpath, "red flag") for raw in _entries(rpath, "red_flags")]
        tpath = root / "triage.yaml"
        triage: dict[str, TriageInfo] = {}
        if tpath.exists():
            digest.update(tpath.read_bytes())
            for raw in _entries(tpath, "levels"):
                info = _validate(TriageInfo, raw, tpath, "triage level")
                triage[info.id] = info
        terms_dir = root / "terms" if (root / "terms").is_dir() else None
        kb = cls(findings, conditions, red_flags, triage, file_sources, digest.hexdigest()[:12], terms_dir)
        if check:
            problems = kb.problems()
            if problems:
                shown = "\n  ".join(problems[:30])
                more = f"\n  ... and {len(problems) - 30} more" if len(problems) > 30 else ""
                raise KnowledgeBaseError(ErrorCode.E302, detail=f"{len(problems)} problem(s):\n  {shown}{more}")
        return kb

    # ------------------------------------------------------------------ integrity
    def problems(self) -> list[str]:
        """Cross-reference problems (an empty list means the knowledge base is consistent)."""
        out: list[str] = []
        if not self.conditions:
            out.append("no conditions")
        for cond in self.conditions.values():
            for link in cond.findings:
                if link.id not in self.findings:
                    out.append(f"condition {cond.id}: unknown finding {link.id!r}")
            for link in cond.risk_factors:
                f = self.findings.get(link.id)
                if f is None:
                    out.append(f"condition {cond.id}: unknown risk factor {link.id!r}")
                elif f.kind not in ("risk_factor", "exposure", "history"):
                    out.append(f"condition {cond.id}: risk factor {link.id!r} has kind {f.kind!r}")
            for fid in cond.red_flags:
                if fid not in self.findings:
                    out.append(f"condition {cond.id}: unknown red-flag finding {fid!r}")
        for rule in self.red_flags:
            for fid in [*rule.all, *rule.any]:
                if fid not in self.findings:
                    out.append(f"red flag {rule.id}: unknown finding {fid!r}")
        if self.triage and set(self.triage) != set(TRIAGE_LEVELS):
            out.append(f"triage.yaml must define exactly {list(TRIAGE_LEVELS)}")
        return out

    # ------------------------------------------------------------------ vocabularies
    def terms(self, kind: str) -> Table:
        """A curated vocabulary (``medassist.knowledge.terms``): this knowledge base's ``terms/`` folder if it
        has one, else the shipped one.  Missing or broken: E304/E305, never an empty table."""
        return terms(kind, self.terms_dir)

    # ------------------------------------------------------------------ queries
    def prior(self, condition_id: str, age: float | None = None, sex: str | None = None) -> float:
        """Unnormalised prior: annual presentations per 100k for this age band and sex."""
        prev = self.conditions[condition_id].prevalence
        band = age_band(age)
        a = prev.age[band] if band else sum(prev.age[b] for b in AGE_BANDS) / len(AGE_BANDS)
        s = prev.sex[sex] if sex in ("female", "male") else (prev.sex["female"] + prev.sex["male"]) / 2  # type: ignore[index]
        return prev.per_100k * a * s

    def find_by_text(self, text: str) -> list[str]:
        """Finding ids whose name, lay or clinical phrasing equals ``text`` (case-insensitive)."""
        t = text.strip().lower()
        return [
            f.id
            for f in self.findings.values()
            if t == f.name.lower() or t in (x.lower() for x in f.lay) or t in (x.lower() for x in f.clinical)
        ]

@functools.lru_cache(maxsize=2)
def _load_default(check: bool) -> KnowledgeBase:
    return KnowledgeBase._load(DATA_DIR, check)
