"""The curated vocabularies: word lists, term tables and rule files of ``knowledge/data/terms/``.

Every table of words the code relies on lives there, as data with a header comment that says what it is
and, for medical content, the public sources to check it against.  One loader reads them:

    terms("problems").rows              # ((term, canonical name, ICD-10-CM code), ...) in file order
    terms("relatives").words()          # frozenset of the first column
    terms("routes").mapping()           # {as written: route}, in file order
    rules_file("context_rules")         # Path of a ConText / section rule file (YAML, parsed by medassist.nlp)

Tables are plain text: one entry a line, fields separated by a tab, blank lines and ``#`` comments
skipped, fields stripped.  A missing file is E304, a malformed, empty or duplicated table E305, an unknown
kind E306: never an empty table in its place.  ``problems()`` runs every check without raising; it is part
of ``medassist kb check``.  Loaded tables are cached (read-only).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medassist.errors import ErrorCode, KnowledgeBaseError

TERMS_DIR = Path(__file__).parent / "data" / "terms"


@dataclass(frozen=True)
class Kind:
    """One vocabulary: its file, how many tab-separated fields a row has, what it is."""

    file: str
    what: str
    fields: int = 1  # fields every row needs
    max_fields: int | None = None  # at most (None: the same as ``fields``)
    medical: bool = True  # medical content: the header must name the public sources to check it against
    case_sensitive: bool = False  # are "MI" and "mi" two keys (else one, listed twice: a duplicate)


KINDS: dict[str, Kind] = {
    # the entity lexicon (medassist.nlp.lexicon) and the normalisation index (medassist.nlp.normalize)
    "problems": Kind("problems.tsv", "problem list: term, canonical name, ICD-10-CM code", 3),
    "drugs": Kind("drugs.tsv", "drug names: term, generic name, class", 2, 3),
    "findings": Kind("findings.tsv", "symptoms and signs: term, canonical name", 2),
    "tests": Kind("tests.tsv", "tests: term, canonical name", 2),
    "procedures": Kind("procedures.tsv", "procedures: term, canonical name", 2),
    "allergens": Kind("allergens.tsv", "non-drug allergens: term, canonical name", 2),
    "anatomy": Kind("anatomy.tsv", "body sites: term, canonical name", 2),
    "ordinary_short_words": Kind("ordinary_short_words.txt", "short terms matched in any case", medical=False),
    # ConText assertion (medassist.nlp.assertion) and its FHIR output (medassist.nlp.fhir)
    "relatives": Kind("relatives.txt", "words naming a relative", medical=False),
    "family_relationships": Kind("family_relationships.tsv", "relative: word, HL7 v3 RoleCode code, display", 3),
    # sentences (medassist.nlp.sentences) and medication signatures (medassist.nlp.medications)
    "sentence_abbreviations": Kind("sentence_abbreviations.txt", "abbreviations a period does not end",
                                   medical=False),
    "dose_units": Kind("dose_units.tsv", "dose units: as written, unit", 2),
    "routes": Kind("routes.tsv", "routes of administration: as written, route", 2),
    "frequencies": Kind("frequencies.tsv", "dosing frequencies: as written, frequency", 2),
    # the intake of patients' own words (medassist.diagnosis.intake)
    "intake_filler": Kind("intake_filler.txt", "filler words the intake ignores", medical=False),
    "english_common": Kind("english_common.txt", "very common English words (language check)", medical=False),
    "intake_idioms": Kind("intake_idioms.txt", "everyday idioms whose words name no finding", medical=False),
    # what a note says happens to a medication (medassist.generate.summary)
    "medication_changes": Kind("medication_changes.tsv", "medication changes: as written, change", 2, medical=False),
    "clinical_abbreviations": Kind("clinical_abbreviations.tsv", "clinical shorthand: abbreviation, expansion", 2,
                                   case_sensitive=True),
}

RULE_FILES: dict[str, str] = {
    "context_rules": "context_rules.yaml",  # ConText cues and section rules (medassist.nlp.assertion)
    "context_rules_patient": "context_rules_patient.yaml",  # layered on them for patients' own words
    "sections": "sections.yaml",  # section headings (medassist.nlp.sections)
}


@dataclass(frozen=True)
class Table:
    """A loaded vocabulary: its rows (tuples of stripped fields) in file order."""

    kind: str
    path: Path
    rows: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return iter(self.rows)

    def column(self, i: int = 0) -> list[str]:
        return [r[i] for r in self.rows]

    def words(self) -> frozenset[str]:
        """The first column as a set."""
        return frozenset(r[0] for r in self.rows)

    def mapping(self) -> dict[str, str]:
        """First column -> second column, in file order."""
        return {r[0]: r[1] for r in self.rows}


def iter_data_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, tab-separated fields) of a data file, skipping blank lines and # comments."""
    with path.open(encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            yield lineno, [f.strip() for f in line.split("\t")]


def _kind(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError:
        raise KnowledgeBaseError(ErrorCode.E306, kind=kind, kinds=", ".join(sorted(KINDS))) from None


def _folder(root: str | Path | None) -> Path:
    return Path(root) if root is not None else TERMS_DIR


def terms(kind: str, root: str | Path | None = None) -> Table:
    """The vocabulary ``kind`` (a key of :data:`KINDS`) from the shipped folder or from ``root``."""
    return _cached(kind, None if root is None else str(root))


@functools.lru_cache(maxsize=64)
def _cached(kind: str, root: str | None) -> Table:
    return _load(kind, _folder(root))


def _load(kind: str, folder: Path) -> Table:
    spec = _kind(kind)
    path = folder / spec.file
    if not path.is_file():
        raise KnowledgeBaseError(ErrorCode.E304, kind=kind, path=path)
    most = spec.max_fields or spec.fields
    rows: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    try:
        for lineno, fields in iter_data_lines(path):
            if not spec.fields <= len(fields) <= most or not all(fields[: spec.fields]):
                want = f"{spec.fields}" if most == spec.fields else f"{spec.fields} to {most}"
                raise KnowledgeBaseError(ErrorCode.E305, kind=kind, path=path,
                                         detail=f"line {lineno}: expected {want} non-empty tab-separated field(s) "
                                                f"({spec.what}), found {len(fields)}")
            key = fields[0] if spec.case_sensitive else fields[0].lower()
            if key in seen:
                raise KnowledgeBaseError(ErrorCode.E305, kind=kind, path=path,
                                         detail=f"line {lineno}: {fields[0]!r} is listed twice (first on line {seen[key]})")
            seen[key] = lineno
            rows.append(tuple(fields))
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(ErrorCode.E305, kind=kind, path=path, detail=f"cannot read it ({type(exc).__name__})") from None
    if not rows:
        raise KnowledgeBaseError(ErrorCode.E305, kind=kind, path=path, detail="the table has no entries")
    return Table(kind, path, tuple(rows))


def rules_file(name: str, root: str | Path | None = None) -> Path:
    """The path of the rule file ``name`` (a key of :data:`RULE_FILES`); it must exist (E304)."""
    try:
        file = RULE_FILES[name]
    except KeyError:
        raise KnowledgeBaseError(ErrorCode.E306, kind=name, kinds=", ".join(sorted(RULE_FILES))) from None
    path = _folder(root) / file
    if not path.is_file():
        raise KnowledgeBaseError(ErrorCode.E304, kind=name, path=path)
    return path


def _header(path: Path) -> str:
    lines = []
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            if not raw.startswith("#"):
                break
            lines.append(raw)
    return "".join(lines)


def _rule_file_problem(name: str, path: Path) -> str | None:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return f"{path}: {name}: not readable YAML ({type(exc).__name__})"
    if name == "sections":
        if not isinstance(data, dict) or not data or not all(isinstance(v, list) and v for v in data.values()):
            return f"{path}: {name}: expected a mapping of section name -> non-empty list of headings"
        heads = [str(h).lower().strip() for v in data.values() for h in v]
        twice = sorted({h for h in heads if heads.count(h) > 1})
        if twice:
            return f"{path}: {name}: headings listed twice: {', '.join(twice)}"
    elif not isinstance(data, dict) or not isinstance(data.get("rules"), list) or not data["rules"]:
        return f"{path}: {name}: expected a mapping with a non-empty list under 'rules'"
    return None


def problems(root: str | Path | None = None) -> list[str]:
    """Every problem of the vocabularies (an empty list: all load and say what they are)."""
    folder = _folder(root)
    out: list[str] = []
    for kind, spec in KINDS.items():
        try:
            table = _load(kind, folder)
        except KnowledgeBaseError as exc:
            out.append(str(exc))
            continue
        header = _header(table.path)
        if not header.strip("#\n "):
            out.append(f"{table.path}: {kind}: no header comment saying what the table is")
        elif spec.medical and "source" not in header.lower():
            out.append(f"{table.path}: {kind}: medical content whose header names no sources")
    for name in RULE_FILES:
        try:
            path = rules_file(name, folder)
        except KnowledgeBaseError as exc:
            out.append(str(exc))
            continue
        problem = _rule_file_problem(name, path)
        if problem:
            out.append(problem)
        elif not _header(path).strip("#\n "):
            out.append(f"{path}: {name}: no header comment saying what the rules are")
    return out
