"""Published clinical risk scores, computed from sourced data.

The scores, their inputs (type, unit, valid range), their cut-offs and every coefficient live in
``knowledge/data/health/scores.yaml``, each entry with the paper it comes from; this module holds only the
methods that turn inputs into a value (a sum of points, the pooled cohort equations, CKD-EPI 2021, BMI) and
the rules every score shares:

* an input outside its valid range, of the wrong type, or unknown is an error from the catalogue
  (:class:`~medassist.errors.HealthInputError`, E801-E808) naming the input, the value and the range;
* a required input that is not given is never guessed: the result is ``applicable=False`` with the input in
  ``missing``;
* a score that does not apply to the person (the pooled cohort equations at age 35, eGFR or BMI for a
  child) is ``applicable=False`` with the reason, not an error and not a number;
* a safety flag (PHQ-9 question 9) is raised whenever its answer is given, even when the score itself
  cannot be computed.

Entry points: :func:`compute` (``compute("bmi", weight_kg=70, height_cm=175, age=40)`` or
``compute("bmi", {"weight_kg": 70, ...})``), one function per score (:func:`pce_ascvd`, :func:`bmi`, ...),
and :func:`list_scores` / :func:`score_info` for the metadata.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from medassist.errors import ErrorCode, HealthInputError, KnowledgeBaseError

PATH = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "health" / "scores.yaml"

Value = float | int | bool | str


# --- the data file ------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    title: str = Field(min_length=5)
    authors: str = Field(min_length=2)
    journal: str | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    doi: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _locatable(self) -> Source:
        if not (self.doi or self.url):
            raise ValueError(f"source {self.title!r} needs a doi or a url")
        return self

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class Conversion(_Model):
    """How a value in another unit becomes a value in the input's unit."""

    multiply: float | None = Field(default=None, gt=0)
    divide: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> Conversion:
        if (self.multiply is None) == (self.divide is None):
            raise ValueError("a unit conversion gives exactly one of multiply or divide")
        return self

    def apply(self, value: float) -> float:
        return value * self.multiply if self.multiply is not None else value / float(self.divide or 1)


class InputSpec(_Model):
    type: Literal["number", "integer", "boolean", "choice"]
    unit: str | None = None
    range: tuple[float, float] | None = None
    units: dict[str, Conversion] = Field(default_factory=dict)
    choices: list[str] | None = None
    aliases: dict[str, str] = Field(default_factory=dict)
    required: bool = True
    description: str = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> InputSpec:
        if self.type in ("number", "integer"):
            if self.range is None or self.range[0] > self.range[1]:
                raise ValueError("a number or integer input needs a range [low, high] with low <= high")
        elif self.range is not None or self.units:
            raise ValueError(f"a {self.type} input has no range or units")
        if self.type == "choice":
            if not self.choices:
                raise ValueError("a choice input needs choices")
            bad = [a for a, target in self.aliases.items() if target not in self.choices]
            if bad:
                raise ValueError(f"aliases {bad} point to no choice")
        elif self.choices or self.aliases:
            raise ValueError("only a choice input has choices and aliases")
        if self.units and self.type != "number":
            raise ValueError("only a number input has other units")
        return self


class Band(_Model):
    """One category: the value meets it when it is at least (or above) the bound."""

    at_least: float | None = None
    above: float | None = None
    label: str = Field(min_length=1)
    interpretation: str = Field(min_length=2)

    @model_validator(mode="after")
    def _one_bound(self) -> Band:
        if (self.at_least is None) == (self.above is None):
            raise ValueError(f"category {self.label!r} gives exactly one of at_least or above")
        return self

    @property
    def bound(self) -> float:
        return self.at_least if self.at_least is not None else float(self.above or 0)

    def met(self, value: float) -> bool:
        return value >= self.at_least if self.at_least is not None else value > float(self.above or 0)


def _ascending(bands: Sequence[Band], what: str) -> None:
    bounds = [b.bound for b in bands]
    if bounds != sorted(bounds):
        raise ValueError(f"{what}: categories must be in ascending order of their bounds")


def _band(value: float, bands: Sequence[Band]) -> Band | None:
    found = None
    for band in bands:
        if band.met(value):
            found = band
    return found


class Applies(_Model):
    input: str
    min: float | None = None
    max: float | None = None
    is_not: bool | str | None = None
    reason: str = Field(min_length=5)

    @model_validator(mode="after")
    def _some_rule(self) -> Applies:
        if self.min is None and self.max is None and self.is_not is None:
            raise ValueError(f"applicability rule on {self.input!r} needs min, max or is_not")
        return self

    def fails(self, value: Value) -> bool:
        if self.is_not is not None and value == self.is_not:
            return True
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)


class FlagRule(_Model):
    id: str
    input: str
    above: float
    text: str = Field(min_length=5)


class Condition(_Model):
    input: str
    equals: bool | str | None = None
    at_least: float | None = None
    above: float | None = None
    below: float | None = None
    at_most: float | None = None

    def holds(self, value: Value | None) -> bool:
        if value is None:
            return False
        if self.equals is not None:
            return value == self.equals
        if isinstance(value, bool) and all(b is None for b in (self.at_least, self.above, self.below, self.at_most)):
            return bool(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return ((self.at_least is None or value >= self.at_least) and (self.above is None or value > self.above)
                and (self.below is None or value < self.below) and (self.at_most is None or value <= self.at_most))


class Criterion(_Model):
    id: str
    label: str
    points: int = Field(ge=0)
    when: list[Condition] | None = None
    any: list[Condition] | None = None

    @model_validator(mode="after")
    def _one(self) -> Criterion:
        if (self.when is None) == (self.any is None) or not (self.when or self.any):
            raise ValueError(f"criterion {self.id!r} gives a non-empty `when` or `any`, not both")
        return self

    @property
    def conditions(self) -> list[Condition]:
        return list(self.when or self.any or [])


class PointsParams(_Model):
    max: int = Field(gt=0)
    criteria: list[Criterion] = Field(min_length=1)
    rates: dict[int, float | None] = Field(default_factory=dict)
    rate_text: str | None = None
    no_rate_text: str | None = None
    prefer: dict[str, str] = Field(default_factory=dict)


PceTerm = Literal["ln_age", "ln_age_squared", "ln_total_cholesterol", "ln_age_x_ln_total_cholesterol", "ln_hdl",
                  "ln_age_x_ln_hdl", "ln_treated_sbp", "ln_age_x_ln_treated_sbp", "ln_untreated_sbp",
                  "ln_age_x_ln_untreated_sbp", "smoker", "ln_age_x_smoker", "diabetes"]
PceGroup = Literal["white_female", "african_american_female", "white_male", "african_american_male"]


class WorkedExample(_Model):
    sum: float
    risk_percent: float


class PceEquation(_Model):
    coefficients: dict[PceTerm, float] = Field(min_length=1)
    mean_sum: float
    baseline_survival: float = Field(gt=0, lt=1)
    worked_example: WorkedExample | None = None


class PceParams(_Model):
    race_equation: dict[str, Literal["white", "african_american"]]
    equations: dict[PceGroup, PceEquation]
    worked_example_inputs: dict[str, Value] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _all_four(self) -> PceParams:
        if len(self.equations) != 4:
            raise ValueError("the pooled cohort equations need all four race/sex equations")
        return self


class CkdEpiParams(_Model):
    factor: float = Field(gt=0)
    kappa: dict[Literal["female", "male"], float]
    alpha: dict[Literal["female", "male"], float]
    exponent_above_kappa: float
    age_base: float = Field(gt=0, lt=1)
    female_factor: float = Field(gt=0)
    albuminuria: dict[str, list[Band]] = Field(min_length=1)


class NoParams(_Model):
    pass


Method = Literal["points", "sum", "pce", "ckd_epi_2021", "bmi"]
_PARAMS: dict[str, type[_Model]] = {"points": PointsParams, "sum": NoParams, "pce": PceParams,
                                    "ckd_epi_2021": CkdEpiParams, "bmi": NoParams}


class ScoreSpec(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    unit: str
    method: Method
    decimals: int = Field(default=0, ge=0, le=3)
    source: Source
    other_sources: list[Source] = Field(default_factory=list)
    note: str = Field(min_length=10)
    inputs: dict[str, InputSpec] = Field(min_length=1)
    require_one_of: list[list[str]] = Field(default_factory=list)
    applies: list[Applies] = Field(default_factory=list)
    categories: list[Band] = Field(min_length=1)
    categories_source: Source | None = None
    flags: list[FlagRule] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> ScoreSpec:
        _ascending(self.categories, self.id)
        named = [a.input for a in self.applies] + [f.input for f in self.flags]
        named += [n for group in self.require_one_of for n in group]
        unknown = sorted({n for n in named if n not in self.inputs})
        if unknown:
            raise ValueError(f"{self.id}: names inputs it does not declare: {unknown}")
        if self.source.year is None:
            raise ValueError(f"{self.id}: its source needs a year")
        return self


class ScoresFile(_Model):
    version: Literal[1]
    scores: list[ScoreSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Catalogue:
    """The validated data file: every score's spec and its method parameters."""

    specs: dict[str, ScoreSpec]
    params: dict[str, _Model]


def _check_params(spec: ScoreSpec, params: _Model) -> list[str]:
    problems = []
    if isinstance(params, PointsParams):
        for crit in params.criteria:
            for cond in crit.conditions:
                if cond.input not in spec.inputs:
                    problems.append(f"{spec.id}: criterion {crit.id} names unknown input {cond.input!r}")
        if set(params.rates) - set(range(params.max + 1)):
            problems.append(f"{spec.id}: rates are given for values outside 0..{params.max}")
    elif isinstance(params, PceParams):
        race = spec.inputs.get("race")
        if race is None or sorted(race.choices or []) != sorted(params.race_equation):
            problems.append(f"{spec.id}: race_equation must map every race choice")
    elif isinstance(params, CkdEpiParams):
        acr = spec.inputs.get("acr")
        units = {acr.unit, *acr.units} if acr is not None else set()
        if set(params.albuminuria) != units:
            problems.append(f"{spec.id}: albuminuria categories must be given for every ACR unit {sorted(str(u) for u in units)}")
        for unit, bands in params.albuminuria.items():
            try:
                _ascending(bands, f"{spec.id} albuminuria {unit}")
            except ValueError as exc:
                problems.append(str(exc))
    return problems


@functools.cache
def load_scores(path: Path = PATH) -> Catalogue:
    """Read and validate the scores file once; a malformed file raises :class:`KnowledgeBaseError` (E301)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        table = ScoresFile.model_validate(raw)
    except FileNotFoundError:
        raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail="the file is missing; reinstall MedAssist") from None
    except (yaml.YAMLError, ValidationError, AttributeError, TypeError) as exc:
        raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail=" ".join(str(exc).split())[:600]) from None
    specs: dict[str, ScoreSpec] = {}
    params: dict[str, _Model] = {}
    problems = []
    for spec in table.scores:
        if spec.id in specs:
            problems.append(f"score id {spec.id!r} appears twice")
            continue
        specs[spec.id] = spec
        try:
            params[spec.id] = _PARAMS[spec.method].model_validate(spec.params)
        except ValidationError as exc:
            problems.append(f"{spec.id}: params: " + " ".join(str(exc).split())[:400])
            continue
        problems += _check_params(spec, params[spec.id])
    if problems:
        raise KnowledgeBaseError(ErrorCode.E301, path=str(path), detail="; ".join(problems))
    return Catalogue(specs, params)


# --- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreResult:
    """One computed score.  ``applicable`` is False (and ``value`` None) when the score does not apply or a
    required input is missing; ``reason`` says why and ``missing`` names the inputs.  ``inputs_used`` holds
    the validated inputs in each input's own unit (after unit conversion and alias mapping).  ``flags`` are
    safety messages that must be shown whatever else is shown; ``details`` holds method-specific workings
    (points per criterion, the unrounded risk, the albuminuria category)."""

    score_id: str
    name: str
    value: float | int | None
    unit: str
    category: str | None
    interpretation: str | None
    applicable: bool
    reason: str | None
    missing: list[str]
    inputs_used: dict[str, Any]
    source: dict[str, Any]
    flags: list[str] = field(default_factory=list)
    flag_ids: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Outcome:
    value: float
    details: dict[str, Any] = field(default_factory=dict)
    flags: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # appended to the interpretation
    category: str | None = None  # overrides the category label (eGFR with albuminuria)


@dataclass(frozen=True)
class _Inputs:
    values: dict[str, Value]  # in each input's own unit
    given_units: dict[str, str]  # the unit a number was given in, when not the input's own
    as_given: dict[str, float]  # such a number as it was given, in that unit


# --- input validation ---------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:g}"


def _report(value: float, decimals: int) -> float | int:
    """The value as reported: rounded half up (89.5 -> 90, 24.95 -> 25.0), as a person rounding would."""
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return float(rounded) if decimals else int(rounded)


def _expand_answers(spec: ScoreSpec, raw: dict[str, Any]) -> dict[str, Any]:
    if "answers" not in raw or spec.method != "sum":
        return raw
    answers = raw.pop("answers")
    items = list(spec.inputs)
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise HealthInputError(ErrorCode.E804, score=spec.id, name="answers", expected="a list of numbers 0-3",
                               got=type(answers).__name__, example="[0, 1, 2, 0, ...]")
    if len(answers) != len(items):
        raise HealthInputError(ErrorCode.E807, score=spec.id, count=len(items), got=len(answers))
    for name, answer in zip(items, answers, strict=True):
        if name in raw and raw[name] is not None:
            raise HealthInputError(ErrorCode.E808, score=spec.id, name=name, first="answers", second=name)
        raw[name] = answer
    return raw


def _validate(spec: ScoreSpec, given: Mapping[str, Any]) -> _Inputs:
    raw = _expand_answers(spec, dict(given))
    units_given: dict[str, Any] = {}
    for key in list(raw):
        if not isinstance(key, str):
            raise HealthInputError(ErrorCode.E802, score=spec.id, name=type(key).__name__, inputs=", ".join(spec.inputs))
        if key.endswith("_unit") and key[: -len("_unit")] in spec.inputs:
            units_given[key[: -len("_unit")]] = raw.pop(key)
        elif key not in spec.inputs:
            shown = key if len(key) <= 40 and key.replace("_", "").isalnum() else f"a name of {len(key)} characters"
            raise HealthInputError(ErrorCode.E802, score=spec.id, name=shown, inputs=", ".join(spec.inputs))
    values: dict[str, Value] = {}
    units: dict[str, str] = {}
    as_given: dict[str, float] = {}
    for name, value in raw.items():
        if value is None:
            continue
        inp = spec.inputs[name]
        checked, unit = _check_value(spec.id, name, inp, value, units_given.get(name))
        values[name] = checked
        if unit is not None:
            units[name] = unit
            as_given[name] = float(value)
    return _Inputs(values, units, as_given)


def _check_value(score: str, name: str, inp: InputSpec, value: Any, unit: Any) -> tuple[Value, str | None]:
    if inp.type == "boolean":
        if not isinstance(value, bool):
            raise HealthInputError(ErrorCode.E804, score=score, name=name, expected="true or false",
                                   got=type(value).__name__, example="True or False")
        return value, None
    if inp.type == "choice":
        key = value.strip().lower() if isinstance(value, str) else None
        if key is not None:
            key = inp.aliases.get(key, key)
        if key is None or key not in (inp.choices or []):
            raise HealthInputError(ErrorCode.E805, score=score, name=name, choices=", ".join(inp.choices or []))
        return key, None
    expected = "a whole number" if inp.type == "integer" else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float) or (inp.type == "integer" and not isinstance(value, int)):
        raise HealthInputError(ErrorCode.E804, score=score, name=name, expected=expected, got=type(value).__name__,
                               example="0, 1, 2 or 3" if inp.type == "integer" else "a plain number such as 5.2")
    if not math.isfinite(value):
        raise HealthInputError(ErrorCode.E804, score=score, name=name, expected=f"a finite {expected[2:]}",
                               got="a non-finite number", example="a plain number such as 5.2")
    number: float | int = value
    hint, used_unit = "", None
    if unit is not None and not (isinstance(unit, str) and unit.strip().lower() == str(inp.unit).lower()):
        conversion = next((c for u, c in inp.units.items() if isinstance(unit, str) and u.lower() == unit.strip().lower()), None)
        if conversion is None:
            shown = unit if isinstance(unit, str) and len(unit) <= 12 else "that unit"
            raise HealthInputError(ErrorCode.E806, score=score, name=name, unit=shown,
                                   units=", ".join([str(inp.unit), *inp.units]))
        number = conversion.apply(float(value))
        hint, used_unit = f" (converted from {_fmt(value)} {unit})", unit.strip()
    assert inp.range is not None
    low, high = inp.range
    if not low <= number <= high:
        if inp.type == "integer":
            advice = f"Give a whole number from {_fmt(low)} to {_fmt(high)}."
        else:
            advice = f"Check the value and its unit{hint}, then enter it again."
            if not hint and inp.units:
                advice += f" A value in another unit is given with {name}_unit= (one of: {', '.join(inp.units)})."
        raise HealthInputError(ErrorCode.E803, score=score, name=name, value=_fmt(number),
                               unit=f" {inp.unit}" if inp.unit else "", low=_fmt(low), high=_fmt(high), advice=advice)
    return number, used_unit


# --- the methods --------------------------------------------------------------------------------------


def _points(spec: ScoreSpec, params: _Model, given: _Inputs) -> _Outcome:
    assert isinstance(params, PointsParams)
    values = given.values
    scored: dict[str, int] = {}
    met: list[str] = []
    for crit in params.criteria:
        conds = [c for c in crit.conditions if not (c.input in params.prefer and params.prefer[c.input] in values)]
        holds = [c.holds(values.get(c.input)) for c in conds]
        hit = all(holds) if crit.when is not None else any(holds)
        scored[crit.id] = crit.points if hit and conds else 0
        if hit and conds:
            met.append(crit.label)
    total = sum(scored.values())
    out = _Outcome(float(total), details={"points": scored, "criteria_met": met, "max": params.max})
    if total in params.rates:
        rate = params.rates[total]
        if rate is not None and params.rate_text:
            out.notes.append(params.rate_text.format(rate=_fmt(rate)))
        elif rate is None and params.no_rate_text:
            out.notes.append(params.no_rate_text)
        out.details["rate"] = rate
    return out


def _sum(spec: ScoreSpec, params: _Model, given: _Inputs) -> _Outcome:
    answers = [int(given.values[name]) for name in spec.inputs]
    return _Outcome(float(sum(answers)), details={"answers": answers, "max": 3 * len(answers)})


_PCE_WARNING_OTHER = ("race 'other': the white equations were used, as the guideline suggests; they may over- or "
                      "underestimate the risk for some groups (e.g. underestimate for some south Asian, overestimate "
                      "for some east Asian ancestry)")


def _pce(spec: ScoreSpec, params: _Model, given: _Inputs) -> _Outcome:
    assert isinstance(params, PceParams)
    v = given.values
    race = params.race_equation[str(v["race"])]
    group: PceGroup = f"{race}_{v['sex']}"  # type: ignore[assignment]
    eq = params.equations[group]
    ln_age = math.log(float(v["age"]))
    ln_sbp = math.log(float(v["sbp"]))
    treated = bool(v["bp_treated"])
    smoker = 1.0 if v["smoker"] else 0.0
    terms: dict[str, float] = {
        "ln_age": ln_age,
        "ln_age_squared": ln_age * ln_age,
        "ln_total_cholesterol": math.log(float(v["total_cholesterol"])),
        "ln_hdl": math.log(float(v["hdl"])),
        "ln_treated_sbp": ln_sbp if treated else 0.0,
        "ln_untreated_sbp": 0.0 if treated else ln_sbp,
        "smoker": smoker,
        "diabetes": 1.0 if v["diabetes"] else 0.0,
    }
    terms["ln_age_x_ln_total_cholesterol"] = ln_age * terms["ln_total_cholesterol"]
    terms["ln_age_x_ln_hdl"] = ln_age * terms["ln_hdl"]
    terms["ln_age_x_ln_treated_sbp"] = ln_age * terms["ln_treated_sbp"]
    terms["ln_age_x_ln_untreated_sbp"] = ln_age * terms["ln_untreated_sbp"]
    terms["ln_age_x_smoker"] = ln_age * smoker
    individual_sum = sum(coef * terms[term] for term, coef in eq.coefficients.items())
    risk = 100.0 * (1.0 - eq.baseline_survival ** math.exp(individual_sum - eq.mean_sum))
    out = _Outcome(risk, details={"equation": group, "individual_sum": round(individual_sum, 4),
                                  "risk_percent_unrounded": risk})
    if v["race"] == "other":
        out.flags.append(("pce_race_other", _PCE_WARNING_OTHER))
    if "known_ascvd" not in v:
        out.notes.append("Valid only for people without clinical ASCVD (known_ascvd was not given).")
    return out


def _ckd_epi_2021(spec: ScoreSpec, params: _Model, given: _Inputs) -> _Outcome:
    assert isinstance(params, CkdEpiParams)
    v = given.values
    sex: Literal["female", "male"] = "female" if v["sex"] == "female" else "male"
    ratio = float(v["creatinine"]) / params.kappa[sex]
    egfr = (params.factor * min(ratio, 1.0) ** params.alpha[sex] * max(ratio, 1.0) ** params.exponent_above_kappa
            * params.age_base ** float(v["age"]) * (params.female_factor if sex == "female" else 1.0))
    out = _Outcome(egfr, details={"egfr_unrounded": egfr})
    if "acr" in v:
        acr_spec = spec.inputs["acr"]
        unit = given.given_units.get("acr", acr_spec.unit or "")
        bands = next(b for u, b in params.albuminuria.items() if u.lower() == unit.lower())
        acr = given.as_given.get("acr", float(v["acr"]))  # the cut-offs of the unit it was given in
        band = _band(acr, bands)
        assert band is not None
        out.details["albuminuria_category"] = band.label
        out.notes.append(band.interpretation)
    return out


def _bmi(spec: ScoreSpec, params: _Model, given: _Inputs) -> _Outcome:
    metres = float(given.values["height_cm"]) / 100.0
    return _Outcome(float(given.values["weight_kg"]) / (metres * metres))


_METHODS: dict[str, Callable[[ScoreSpec, _Model, _Inputs], _Outcome]] = {
    "points": _points, "sum": _sum, "pce": _pce, "ckd_epi_2021": _ckd_epi_2021, "bmi": _bmi}


# --- the entry point ----------------------------------------------------------------------------------


def _spec(score_id: str) -> tuple[ScoreSpec, _Model]:
    catalogue = load_scores()
    if not isinstance(score_id, str) or score_id not in catalogue.specs:
        shown = score_id if isinstance(score_id, str) and len(score_id) <= 40 else "that name"
        raise HealthInputError(ErrorCode.E801, score=shown, scores=", ".join(catalogue.specs))
    return catalogue.specs[score_id], catalogue.params[score_id]


def _missing(spec: ScoreSpec, values: Mapping[str, Value]) -> list[str]:
    missing = [name for name, inp in spec.inputs.items() if inp.required and name not in values]
    for group in spec.require_one_of:
        if not any(name in values for name in group):
            missing.append(" or ".join(group))
    return missing


def compute(score_id: str, inputs: Mapping[str, Any] | None = None, /, **kwargs: Any) -> ScoreResult:
    """Compute one score from named inputs (a mapping, keyword arguments, or both).

    A number in another unit is given with ``<input>_unit`` (``creatinine=88.4, creatinine_unit="umol/L"``);
    a questionnaire's answers may be given as ``answers=[...]`` in the questionnaire's order.  A value of
    None counts as not given.  Raises :class:`HealthInputError` for an unknown score or input and for a value
    of the wrong type or outside its valid range; a missing input or a score that does not apply is reported
    in the result (``applicable=False``), never guessed.
    """
    spec, params = _spec(score_id)
    merged = {**(dict(inputs) if inputs is not None else {}), **kwargs}
    given = _validate(spec, merged)
    values = given.values
    source = spec.source.as_dict()
    flags = [(rule.id, rule.text) for rule in spec.flags
             if isinstance(values.get(rule.input), int | float) and float(values[rule.input]) > rule.above]
    missing = _missing(spec, values)
    reasons = [rule.reason for rule in spec.applies if rule.input in values and rule.fails(values[rule.input])]
    inputs_used = {name: values[name] for name in spec.inputs if name in values}
    if missing or reasons:
        if missing:
            reasons.append(f"required input{'s are' if len(missing) > 1 else ' is'} missing: {', '.join(missing)} "
                           "(MedAssist does not guess a value)")
        return ScoreResult(spec.id, spec.name, None, spec.unit, None, None, False, "; ".join(reasons), missing,
                           inputs_used, source, [t for _, t in flags], [i for i, _ in flags])
    out = _METHODS[spec.method](spec, params, given)
    value = _report(out.value, spec.decimals)
    band = _band(value, spec.categories)
    assert band is not None, f"{spec.id}: no category for {value}"
    category = band.label
    if "albuminuria_category" in out.details:
        out.details["gfr_category"] = band.label
        category = f"{band.label} {out.details['albuminuria_category']}"
    interpretation = " ".join([band.interpretation, *out.notes])
    flags += out.flags
    return ScoreResult(spec.id, spec.name, value, spec.unit, category, interpretation, True, None, [],
                       inputs_used, source, [t for _, t in flags], [i for i, _ in flags], out.details)


def category_for(score_id: str, value: float) -> tuple[str, str]:
    """The category (label, interpretation) of a reported value of a score, e.g. an eGFR from a laboratory
    report: ``category_for("egfr_ckd_epi_2021", 52)`` is ``("G3a", ...)``."""
    spec, _ = _spec(score_id)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HealthInputError(ErrorCode.E804, score=spec.id, name="value", expected="a number",
                               got=type(value).__name__, example="a plain number such as 52")
    band = _band(value, spec.categories)
    if band is None:
        low = spec.categories[0].bound
        raise HealthInputError(ErrorCode.E803, score=spec.id, name="value", value=_fmt(value), unit=f" {spec.unit}",
                               low=_fmt(low), high="any", advice="Check the value.")
    return band.label, band.interpretation


def _inputs_meta(name: str, inp: InputSpec) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "type": inp.type, "required": inp.required, "description": inp.description}
    if inp.unit is not None:
        meta["unit"] = inp.unit
    if inp.range is not None:
        meta["range"] = list(inp.range)
    if inp.units:
        meta["other_units"] = sorted(inp.units)
    if inp.choices:
        meta["choices"] = list(inp.choices)
    return meta


def score_info(score_id: str) -> dict[str, Any]:
    """The metadata of one score, read from the data file: inputs (type, unit, valid range, required),
    categories, applicability rules and sources."""
    spec, _ = _spec(score_id)
    return {
        "id": spec.id, "name": spec.name, "unit": spec.unit, "note": spec.note,
        "source": spec.source.as_dict(), "other_sources": [s.as_dict() for s in spec.other_sources],
        "inputs": [_inputs_meta(n, i) for n, i in spec.inputs.items()],
        "require_one_of": [list(g) for g in spec.require_one_of],
        "applies": [{"input": a.input, "min": a.min, "max": a.max, "reason": a.reason} for a in spec.applies],
        "categories": [{"from": b.bound, "inclusive": b.at_least is not None, "label": b.label} for b in spec.categories],
        "categories_source": spec.categories_source.as_dict() if spec.categories_source else spec.source.as_dict(),
    }


def list_scores() -> list[dict[str, Any]]:
    """Every score's metadata, in the order of the data file."""
    return [score_info(score_id) for score_id in load_scores().specs]


# --- one function per score ---------------------------------------------------------------------------


def _given(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}


def pce_ascvd(*, age: float | None = None, sex: str | None = None, race: str | None = None,
              total_cholesterol: float | None = None, total_cholesterol_unit: str | None = None,
              hdl: float | None = None, hdl_unit: str | None = None, sbp: float | None = None,
              bp_treated: bool | None = None, smoker: bool | None = None, diabetes: bool | None = None,
              known_ascvd: bool | None = None) -> ScoreResult:
    """ACC/AHA pooled cohort equations: 10-year risk (%) of a first hard ASCVD event (Goff et al. 2014)."""
    return compute("pce_ascvd", _given(
        age=age, sex=sex, race=race, total_cholesterol=total_cholesterol, total_cholesterol_unit=total_cholesterol_unit,
        hdl=hdl, hdl_unit=hdl_unit, sbp=sbp, bp_treated=bp_treated, smoker=smoker, diabetes=diabetes,
        known_ascvd=known_ascvd))


def cha2ds2_vasc(*, congestive_heart_failure: bool | None = None, hypertension: bool | None = None,
                 age: float | None = None, diabetes: bool | None = None,
                 stroke_tia_thromboembolism: bool | None = None, vascular_disease: bool | None = None,
                 sex: str | None = None) -> ScoreResult:
    """CHA2DS2-VASc stroke risk in atrial fibrillation, 0-9 points (Lip et al. 2010)."""
    return compute("cha2ds2_vasc", _given(
        congestive_heart_failure=congestive_heart_failure, hypertension=hypertension, age=age, diabetes=diabetes,
        stroke_tia_thromboembolism=stroke_tia_thromboembolism, vascular_disease=vascular_disease, sex=sex))


def has_bled(*, hypertension_uncontrolled: bool | None = None, abnormal_renal_function: bool | None = None,
             abnormal_liver_function: bool | None = None, stroke: bool | None = None, bleeding: bool | None = None,
             labile_inr: bool | None = None, age: float | None = None, drugs: bool | None = None,
             alcohol: bool | None = None) -> ScoreResult:
    """HAS-BLED 1-year major-bleeding risk in atrial fibrillation, 0-9 points (Pisters et al. 2010)."""
    return compute("has_bled", _given(
        hypertension_uncontrolled=hypertension_uncontrolled, abnormal_renal_function=abnormal_renal_function,
        abnormal_liver_function=abnormal_liver_function, stroke=stroke, bleeding=bleeding, labile_inr=labile_inr,
        age=age, drugs=drugs, alcohol=alcohol))


def findrisc(*, age: float | None = None, sex: str | None = None, bmi: float | None = None,
             waist_cm: float | None = None, physically_active: bool | None = None,
             vegetables_fruit_daily: bool | None = None, antihypertensive_medication: bool | None = None,
             high_glucose_history: bool | None = None, family_history: str | None = None) -> ScoreResult:
    """FINDRISC 10-year risk of type 2 diabetes, 0-26 points (Lindstrom & Tuomilehto 2003)."""
    return compute("findrisc", _given(
        age=age, sex=sex, bmi=bmi, waist_cm=waist_cm, physically_active=physically_active,
        vegetables_fruit_daily=vegetables_fruit_daily, antihypertensive_medication=antihypertensive_medication,
        high_glucose_history=high_glucose_history, family_history=family_history))


def curb65(*, confusion: bool | None = None, urea: float | None = None, bun: float | None = None,
           respiratory_rate: float | None = None, sbp: float | None = None, dbp: float | None = None,
           age: float | None = None) -> ScoreResult:
    """CURB-65 severity of community-acquired pneumonia, 0-5 points (Lim et al. 2003).  Urea in mmol/L or
    BUN in mg/dL."""
    return compute("curb65", _given(confusion=confusion, urea=urea, bun=bun, respiratory_rate=respiratory_rate,
                                    sbp=sbp, dbp=dbp, age=age))


def egfr_ckd_epi_2021(*, creatinine: float | None = None, creatinine_unit: str | None = None,
                      age: float | None = None, sex: str | None = None, acr: float | None = None,
                      acr_unit: str | None = None) -> ScoreResult:
    """eGFR by the race-free CKD-EPI 2021 creatinine equation (Inker et al. 2021), with the KDIGO 2012 GFR
    category and, when ACR is given, the albuminuria category.  Creatinine in mg/dL, or in umol/L with
    ``creatinine_unit="umol/L"``; ACR in mg/g, or ``acr_unit="mg/mmol"``."""
    return compute("egfr_ckd_epi_2021", _given(creatinine=creatinine, creatinine_unit=creatinine_unit, age=age,
                                               sex=sex, acr=acr, acr_unit=acr_unit))


def bmi(*, weight_kg: float | None = None, height_cm: float | None = None, age: float | None = None) -> ScoreResult:
    """Body-mass index with the WHO adult category (adults only)."""
    return compute("bmi", _given(weight_kg=weight_kg, height_cm=height_cm, age=age))


def phq9(answers: Sequence[int | None]) -> ScoreResult:
    """PHQ-9 depression severity from the 9 answers (0-3) in order (Kroenke et al. 2001).  An answer above 0
    to question 9 is always flagged."""
    return compute("phq9", answers=answers)


def gad7(answers: Sequence[int | None]) -> ScoreResult:
    """GAD-7 anxiety severity from the 7 answers (0-3) in order (Spitzer et al. 2006)."""
    return compute("gad7", answers=answers)


__all__ = ["PATH", "Catalogue", "ScoreResult", "bmi", "category_for", "cha2ds2_vasc", "compute", "curb65", "egfr_ckd_epi_2021",
           "findrisc", "gad7", "has_bled", "list_scores", "load_scores", "pce_ascvd", "phq9", "score_info"]
