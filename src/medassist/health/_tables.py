"""The sourced data tables of the patient record and of prevention due, read once and checked.

Each YAML file under ``medassist/knowledge/data/health/`` is validated with pydantic and cross-checked
(every rule names a known source, condition, test and product); a malformed file stops with
``KnowledgeBaseError(E301)`` naming the file and the first problem, and nothing falls back.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from medassist.errors import ErrorCode, KnowledgeBaseError

DATA = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "health"
Smoking = Literal["never", "former", "current"]
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def norm(text: str) -> str:
    """Lower case, every run of non-alphanumerics one space: 'COVID-19' and 'covid 19' compare equal."""
    return " ".join(re.sub(r"[^0-9a-zµ]+", " ", text.lower()).split())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://")
    grade: str | None = None
    date: str | None = None

    @model_validator(mode="after")
    def _date_format(self) -> Source:
        if self.date is not None and not _DATE.match(self.date):
            raise ValueError(f"source date {self.date!r} is not YYYY-MM or YYYY-MM-DD")
        return self


# ---- conditions.yaml -------------------------------------------------------------------------------------

class ConditionEntry(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    synonyms: list[str] = Field(min_length=1)
    icd10: list[str] = Field(default_factory=list)
    snomed: list[str] = Field(default_factory=list)
    implies: list[str] = Field(default_factory=list)


class ConditionTable(_Strict):
    sources: dict[str, Source] = Field(min_length=1)
    conditions: list[ConditionEntry] = Field(min_length=1)

    def problems(self) -> list[str]:
        out, keys, words = [], {c.key for c in self.conditions}, {}
        if len(keys) != len(self.conditions):
            out.append("duplicate condition keys")
        for c in self.conditions:
            out += [f"{c.key}: implies unknown key {k!r}" for k in c.implies if k not in keys]
            out += [f"{c.key}: ICD-10 code {code!r} is not of the form A00 or A00.0" for code in c.icd10
                    if not re.match(r"^[A-Z]\d{2}(\.\w{1,4})?$", code)]
            out += [f"{c.key}: SNOMED id {code!r} is not a number" for code in c.snomed if not code.isdigit()]
            for word in (c.key, *c.synonyms):
                other = words.setdefault(norm(word), c.key)
                if other != c.key:
                    out.append(f"synonym {word!r} is given for both {other} and {c.key}")
        return out


# ---- loinc.yaml ------------------------------------------------------------------------------------------

class ObservationDef(_Strict):
    key: str
    group: Literal["vitals", "labs"]
    name: str
    loinc: list[str] = Field(min_length=1)
    unit: str
    units: dict[str, float | Literal["ifcc"]] = Field(min_length=1)
    range: tuple[float, float]
    source: str


class SmokingCodes(_Strict):
    loinc: str
    answers: dict[str, Smoking | None]
    write: dict[Smoking, str]


class PregnancyCodes(_Strict):
    loinc: str
    answers: dict[str, bool]
    write: dict[bool, str]


class AgeCode(_Strict):
    loinc: str


class LocalCodes(_Strict):
    system: str
    codes: list[str]


class LoincTable(_Strict):
    sources: dict[str, Source] = Field(min_length=1)
    observations: list[ObservationDef] = Field(min_length=1)
    panels: dict[str, str]
    smoking: SmokingCodes
    pregnancy: PregnancyCodes
    age: AgeCode
    local: LocalCodes

    def problems(self) -> list[str]:
        out = [f"{o.key}: unknown source {o.source!r}" for o in self.observations if o.source not in self.sources]
        out += [f"{o.key}: range {o.range} is empty" for o in self.observations if o.range[0] >= o.range[1]]
        out += [f"{o.key}: the canonical unit {o.unit!r} is not among its units" for o in self.observations
                if o.units.get(o.unit.lower()) != 1]
        codes = [c for o in self.observations for c in o.loinc]
        if len(codes) != len(set(codes)):
            out.append("a LOINC code is listed for two observations")
        out += [f"smoking: no answer code for {s!r}" for s, code in self.smoking.write.items()
                if self.smoking.answers.get(code) != s]
        return out


# ---- cvx.yaml --------------------------------------------------------------------------------------------

class VaccineProduct(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    cvx: list[str]
    synonyms: list[str] = Field(min_length=1)


class CvxTable(_Strict):
    sources: dict[str, Source] = Field(min_length=1)
    vaccines: list[VaccineProduct] = Field(min_length=1)

    def problems(self) -> list[str]:
        out: list[str] = []
        seen: dict[str, str] = {}
        for v in self.vaccines:
            for code in v.cvx:
                if seen.setdefault(code, v.key) != v.key:
                    out.append(f"CVX {code} is listed for {seen[code]} and {v.key}")
            for word in (v.key, *v.synonyms):
                if seen.setdefault("w:" + norm(word), v.key) != v.key:
                    out.append(f"name {word!r} is listed for {seen['w:' + norm(word)]} and {v.key}")
        return out


# ---- screening.yaml and vaccines.yaml --------------------------------------------------------------------

class Criterion(_Strict):
    """One condition of a rule; exactly one field is set (see the header of screening.yaml)."""

    condition: str | None = None
    family: str | None = None
    smoking: list[Smoking] | None = None
    pack_years_at_least: float | None = None
    quit_within_years: float | None = None
    bmi_at_least: float | None = None
    bmi_below: float | None = None
    lab_above: dict[str, float] | None = None
    lab_below: dict[str, float] | None = None
    score_at_least: dict[str, float] | None = None
    medication_any: list[str] | None = None
    pregnant: bool | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Criterion:
        given = [k for k, v in self.__dict__.items() if v is not None]
        if len(given) != 1:
            raise ValueError(f"a criterion sets exactly one field (got {given or 'none'})")
        for field in ("lab_above", "lab_below", "score_at_least"):
            value = getattr(self, field)
            if value is not None and len(value) != 1:
                raise ValueError(f"{field} names exactly one value")
        return self


class ScreeningTest(_Strict):
    key: str
    name: str
    synonyms: list[str] = Field(min_length=1)
    snomed: list[str] = Field(default_factory=list)
    from_values: list[str] = Field(default_factory=list)


class _Rule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    who: str
    min_age: int | None = None
    max_age: int | None = None
    sex: Literal["female", "male"] | None = None
    require: list[Criterion] = Field(default_factory=list)
    risk_any: list[Criterion] = Field(default_factory=list)
    exclude: list[Criterion] = Field(default_factory=list)
    source: str
    note: str | None = None

    def criteria(self) -> list[Criterion]:
        return [*self.require, *self.risk_any, *self.exclude]


class ScreeningRule(_Rule):
    kind: Literal["screening"]
    tests: dict[str, float | None]
    once: bool = False
    action: str | None = None

    @model_validator(mode="after")
    def _tests_or_action(self) -> ScreeningRule:
        if bool(self.tests) == bool(self.action):
            raise ValueError(f"rule {self.id}: give tests (a screening test) or action (no test), not both or neither")
        return self


class Need(_Strict):
    keys: list[str] = Field(min_length=1)
    count: int = Field(ge=1)


class Schedule(_Strict):
    type: Literal["seasonal", "interval", "series", "pregnancy"]
    products: list[str] = Field(min_length=1)
    season_start: str | None = Field(default=None, pattern=r"^\d{2}-\d{2}$")
    years: float | None = None
    complete_when: list[list[Need]] = Field(default_factory=list)
    early_start_age: int | None = None
    early_doses: int | None = None
    gap_days: int | None = None
    within_days: int | None = None
    months: list[int] = Field(default_factory=list)
    once_ever: bool = False

    @model_validator(mode="after")
    def _fields_for_type(self) -> Schedule:
        needed = {"seasonal": "season_start", "interval": "years", "series": "complete_when",
                  "pregnancy": "within_days"}[self.type]
        if not getattr(self, needed):
            raise ValueError(f"a {self.type} schedule needs {needed}")
        return self


class VaccineRule(_Rule):
    kind: Literal["vaccine"]
    basis: Literal["routine", "risk-based", "shared clinical decision-making"]
    schedule: Schedule


class ScreeningTable(_Strict):
    sources: dict[str, Source] = Field(min_length=1)
    tests: list[ScreeningTest] = Field(min_length=1)
    rules: list[ScreeningRule] = Field(min_length=1)


class VaccineTable(_Strict):
    sources: dict[str, Source] = Field(min_length=1)
    rules: list[VaccineRule] = Field(min_length=1)


# ---- loading ---------------------------------------------------------------------------------------------

def _load(name: str, model: type[BaseModel]) -> BaseModel:
    path = DATA / name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(raw)
    except FileNotFoundError:
        raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail="the file is missing; reinstall MedAssist") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail=f"{where}: {first['msg']}") from None
    except (yaml.YAMLError, AttributeError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail=str(exc).splitlines()[0]) from None


def _check(name: str, problems: list[str]) -> None:
    if problems:
        raise KnowledgeBaseError(ErrorCode.E301, path=str(DATA / name), detail="; ".join(problems[:5]))


@functools.cache
def conditions_table() -> ConditionTable:
    table = _load("conditions.yaml", ConditionTable)
    assert isinstance(table, ConditionTable)
    _check("conditions.yaml", table.problems())
    return table


@functools.cache
def loinc_table() -> LoincTable:
    table = _load("loinc.yaml", LoincTable)
    assert isinstance(table, LoincTable)
    _check("loinc.yaml", table.problems())
    return table


@functools.cache
def cvx_table() -> CvxTable:
    table = _load("cvx.yaml", CvxTable)
    assert isinstance(table, CvxTable)
    _check("cvx.yaml", table.problems())
    return table


def _rule_problems(rules: list[ScreeningRule] | list[VaccineRule], sources: dict[str, Source]) -> list[str]:
    conditions = {c.key for c in conditions_table().conditions}
    labs = {o.key for o in loinc_table().observations}
    out = []
    ids = [r.id for r in rules]
    out += [f"rule id {i!r} is used twice" for i in sorted(set(ids)) if ids.count(i) > 1]
    for r in rules:
        if r.source not in sources:
            out.append(f"{r.id}: unknown source {r.source!r}")
        if r.min_age is not None and r.max_age is not None and r.min_age > r.max_age:
            out.append(f"{r.id}: min_age is above max_age")
        for c in r.criteria():
            for key in (c.condition, c.family):
                if key is not None and key not in conditions:
                    out.append(f"{r.id}: unknown condition {key!r} (conditions.yaml)")
            for values in (c.lab_above, c.lab_below):
                out += [f"{r.id}: unknown value {k!r} (loinc.yaml)" for k in (values or {}) if k not in labs]
    return out


@functools.cache
def screening_table() -> ScreeningTable:
    table = _load("screening.yaml", ScreeningTable)
    assert isinstance(table, ScreeningTable)
    tests = {t.key for t in table.tests}
    values = {o.key for o in loinc_table().observations}
    problems = _rule_problems(table.rules, table.sources)
    problems += [f"{r.id}: unknown test {t!r}" for r in table.rules for t in r.tests if t not in tests]
    problems += [f"test {t.key}: unknown value {v!r}" for t in table.tests for v in t.from_values if v not in values]
    problems += [f"source {k}: a USPSTF rule source needs grade and date" for k, s in table.sources.items()
                 if not (s.grade and s.date)]
    _check("screening.yaml", problems)
    return table


@functools.cache
def vaccine_table() -> VaccineTable:
    table = _load("vaccines.yaml", VaccineTable)
    assert isinstance(table, VaccineTable)
    products = {v.key for v in cvx_table().vaccines}
    problems = _rule_problems(table.rules, table.sources)
    for r in table.rules:
        named = [*r.schedule.products, *(k for option in r.schedule.complete_when for n in option for k in n.keys)]
        problems += [f"{r.id}: unknown vaccine product {p!r} (cvx.yaml)" for p in named if p not in products]
    problems += [f"source {k}: needs a date" for k, s in table.sources.items() if not s.date]
    _check("vaccines.yaml", problems)
    return table
