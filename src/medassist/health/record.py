"""The patient record of personalised health management: read from JSON or a FHIR R4 Bundle, written back
to either, with every value in one canonical unit and every condition on one canonical key.

Conditions (free text, ICD-10, SNOMED CT) map to the keys of ``knowledge/data/health/conditions.yaml``; an
entry that maps to none is kept as given and listed in ``record.unrecognised``, never dropped.  Measured
values carry their date; a unit given on input is converted (``loinc.yaml`` names each factor); a value
outside what a living adult can have is refused (E819), never clipped.  A value the record does not hold
is ``None`` and named by ``record.missing()``; nothing is guessed (BMI is computed from weight and height
only when both are there).

Errors are ``HealthInputError`` E811-E827: they name the field and what to do, never the patient's text.

FHIR reading, in short: one Patient per Bundle (E824/E825); Conditions with clinicalStatus active (or
recurrence/relapse, or none given) and not refuted; MedicationStatements not stopped/completed; active
AllergyIntolerances; Observations by LOINC code (the latest per code wins; the blood-pressure panel's
components are read); Immunizations by CVX code; Procedures as past screenings; FamilyMemberHistory.
Resources whose subject is another patient are skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from medassist.errors import ErrorCode, HealthInputError
from medassist.health._tables import (
    ObservationDef,
    conditions_table,
    cvx_table,
    loinc_table,
    norm,
    screening_table,
)

Sex = Literal["female", "male"]
Race = Literal["white", "african_american", "other"]
Smoking = Literal["never", "former", "current"]

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
ICD10 = ("http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10")
ROLE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
OMB = "urn:oid:2.16.840.1.113883.6.238"
AS_OF_URL = "https://medassist.example/fhir/StructureDefinition/as-of"
SCREENING_SYSTEM = "https://medassist.example/fhir/CodeSystem/screening-test"
_OMB_RACE = {"2106-3": "white", "2054-5": "african_american", "1002-5": "other", "2028-9": "other",
             "2076-8": "other"}
_RACE_WORDS = {"white": "white", "caucasian": "white", "african american": "african_american",
               "black": "african_american", "black or african american": "african_american", "other": "other"}
_SEX_WORDS = {"female": "female", "f": "female", "woman": "female", "male": "male", "m": "male", "man": "male"}
_SMOKING_WORDS = {"never": "never", "never smoked": "never", "non smoker": "never", "nonsmoker": "never",
                  "former": "former", "ex": "former", "ex smoker": "former", "quit": "former",
                  "current": "current", "smoker": "current", "current smoker": "current"}
_FIRST_DEGREE = {"MTH", "FTH", "PRN", "NMTH", "NFTH", "BRO", "SIS", "SIB", "NBRO", "NSIS", "SON", "DAU", "CHILD",
                 "NCHILD", "TWIN", "TWINBRO", "TWINSIS"}
_SECOND_DEGREE = {"GRMTH", "GRFTH", "GRPRN", "MGRMTH", "MGRFTH", "PGRMTH", "PGRFTH", "AUNT", "UNCLE", "MAUNT",
                  "PAUNT", "MUNCLE", "PUNCLE", "NIECE", "NEPHEW", "GRNDSON", "GRNDDAU", "HBRO", "HSIS", "HSIB"}
_RELATIVE_WORDS = {w: "first_degree" for w in ("mother", "father", "parent", "brother", "sister", "sibling",
                                               "son", "daughter", "child", "first degree", "first_degree")}
_RELATIVE_WORDS |= {w: "second_degree" for w in ("grandmother", "grandfather", "grandparent", "aunt", "uncle",
                                                 "niece", "nephew", "half brother", "half sister",
                                                 "second degree", "second_degree")}
_DEGREES = ("first_degree", "second_degree")
SCALARS = ("age", "birth_date", "sex", "race", "smoking", "pack_years", "years_since_quit", "pregnant",
           "sexually_active")
FIELDS = ("as_of", "birth_date", "age", "sex", "race", "conditions", "medications", "allergies", "vitals", "labs",
          "smoking", "pack_years", "years_since_quit", "pregnant", "family_history", "sexually_active", "history")


# ---- lookups over the tables -----------------------------------------------------------------------------

def _observations() -> dict[str, ObservationDef]:
    return {o.key: o for o in loinc_table().observations}


def _condition_index() -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]]]:
    words, snomed, icd = {}, {}, []
    for c in conditions_table().conditions:
        for w in (c.key, *c.synonyms):
            words[norm(w)] = c.key
        for code in c.snomed:
            snomed[code] = c.key
        icd += [(code.replace(".", "").upper(), c.key) for code in c.icd10]
    icd.sort(key=lambda pair: -len(pair[0]))
    return words, snomed, icd


def condition_key(text: str) -> str | None:
    """The canonical key of a condition given as words, an ICD-10 code or a SNOMED CT id, or None."""
    words, snomed, icd = _condition_index()
    raw = text.strip()
    if raw in snomed:
        return snomed[raw]
    if re.fullmatch(r"[A-Za-z]\d{2}(\.?\w{1,4})?", raw):
        code = raw.replace(".", "").upper()
        for prefix, key in icd:
            if code.startswith(prefix):
                return key
    return words.get(norm(raw))


def _icd_key(code: str) -> str | None:
    _, _, icd = _condition_index()
    flat = code.replace(".", "").upper()
    return next((key for prefix, key in icd if flat.startswith(prefix)), None)


def test_key(text: str) -> str | None:
    """The screening-test key of a history entry (a key, a name or a SNOMED CT procedure id), or None."""
    for t in screening_table().tests:
        if text == t.key or text in t.snomed or norm(text) in {norm(s) for s in (t.key, *t.synonyms)}:
            return t.key
    return None


def vaccine_key(text: str) -> str | None:
    """The vaccine-product key of a history entry (a key, a name, or a CVX code), or None."""
    raw = text.strip()
    code = raw[4:] if raw.lower().startswith("cvx:") else raw
    for v in cvx_table().vaccines:
        if code in v.cvx or (code.isdigit() and code.lstrip("0") in {c.lstrip("0") for c in v.cvx}):
            return v.key
        if norm(raw) in {norm(s) for s in (v.key, *v.synonyms)}:
            return v.key
    return None


# ---- value types -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Measured:
    """A measured value in its canonical unit (``loinc.yaml``) and the day it was measured, if known."""

    value: float
    date: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "date": self.date.isoformat() if self.date else None}


@dataclass(frozen=True)
class Event:
    """A past screening test (kind 'screening', key from screening.yaml) or vaccine dose (kind 'vaccine',
    key from cvx.yaml).  An entry that maps to no key keeps its own words as the key (recognised False)."""

    kind: Literal["screening", "vaccine"]
    key: str
    date: dt.date | None = None
    recognised: bool = True

    def to_dict(self) -> dict[str, Any]:
        name = "test" if self.kind == "screening" else "vaccine"
        return {name: self.key, "date": self.date.isoformat() if self.date else None}


def _err(code: ErrorCode, **kw: object) -> HealthInputError:
    return HealthInputError(code, **kw)


def _as_date(value: object, field_name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise _err(ErrorCode.E814, field=field_name, problem="is not a date",
               hint="Write dates as YYYY-MM-DD (e.g. 2024-03-02).")


def _number(value: object, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str):
            try:
                return float(value.strip().replace(",", "."))
            except ValueError:
                pass
        raise _err(ErrorCode.E814, field=field_name, problem="is not a number",
                   hint="Give the number alone, with the unit in 'unit' (e.g. {\"value\": 5.2, \"unit\": \"mmol/L\"}).")
    if value != value or value in (float("inf"), float("-inf")):
        raise _err(ErrorCode.E814, field=field_name, problem="is not a finite number", hint="Give a real measurement.")
    return float(value)


def _strings(value: object, field_name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise _err(ErrorCode.E814, field=field_name, problem="must be a list of strings",
                   hint=f"Give e.g. {field_name}: [\"first\", \"second\"].")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise _err(ErrorCode.E814, field=field_name, problem="holds an entry that is not a string",
                       hint="Give each entry as text or a code.")
        text = " ".join(item.split())
        if text and text not in out:
            out.append(text)
    return out


def _choice(value: object, words: Mapping[str, str], field_name: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found = words.get(norm(value)) if isinstance(value, str) else None
    if found is None:
        if field_name == "sex":
            raise _err(ErrorCode.E816)
        raise _err(ErrorCode.E821, field=field_name, choices=sorted(set(words.values())))
    return found


def _bool(value: object, field_name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise _err(ErrorCode.E814, field=field_name, problem="must be true, false or null", hint="Use JSON true/false.")


def _convert(obs: ObservationDef, value: float, unit: str | None, field_name: str) -> float:
    if unit is not None and unit.strip():
        factor = obs.units.get(unit.strip().lower())
        if factor is None:
            raise _err(ErrorCode.E820, field=field_name, unit=unit.strip()[:20], units=", ".join(obs.units))
        value = 0.09148 * value + 2.152 if factor == "ifcc" else value * float(factor)
    value = round(value, 4)
    low, high = obs.range
    if not low <= value <= high:
        raise _err(ErrorCode.E819, field=field_name, value=value, unit=obs.unit, low=low, high=high)
    return value


def _measured(obs: ObservationDef, raw: object, field_name: str) -> Measured:
    if isinstance(raw, Measured):
        return Measured(_convert(obs, raw.value, None, field_name), raw.date)
    if isinstance(raw, Mapping):
        extra = set(raw) - {"value", "unit", "date"}
        if extra or "value" not in raw:
            raise _err(ErrorCode.E814, field=field_name, problem="must be a number or {value, unit, date}",
                       hint="E.g. {\"value\": 5.2, \"unit\": \"mmol/L\", \"date\": \"2024-03-02\"}.")
        unit = raw.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise _err(ErrorCode.E814, field=field_name + ".unit", problem="is not text", hint="E.g. \"mmol/L\".")
        when = _as_date(raw["date"], field_name + ".date") if raw.get("date") is not None else None
        return Measured(_convert(obs, _number(raw["value"], field_name), unit, field_name), when)
    return Measured(_convert(obs, _number(raw, field_name), None, field_name))


def _age_at(birth: dt.date, when: dt.date) -> int:
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# ---- the record ------------------------------------------------------------------------------------------

@dataclass
class PatientRecord:
    """What is known about one patient on the day ``as_of``.  Construct it directly (values are checked and
    normalised), or with :meth:`from_json` / :meth:`from_fhir`."""

    as_of: dt.date = field(default_factory=dt.date.today)
    birth_date: dt.date | None = None
    age: int | None = None
    sex: Sex | None = None
    race: Race | None = None
    conditions: list[str] = field(default_factory=list)
    medications: list[str] = field(default_factory=list)
    allergies: list[str] = field(default_factory=list)
    vitals: dict[str, Measured] = field(default_factory=dict)
    labs: dict[str, Measured] = field(default_factory=dict)
    smoking: Smoking | None = None
    pack_years: float | None = None
    years_since_quit: float | None = None
    pregnant: bool | None = None
    family_history: list[str] = field(default_factory=list)
    sexually_active: bool | None = None
    history: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.as_of = _as_date(self.as_of, "as_of")
        self._check_age()
        self.sex = cast(Sex | None, _choice(self.sex, _SEX_WORDS, "sex"))
        self.race = cast(Race | None, _choice(self.race, _RACE_WORDS, "race"))
        self.smoking = cast(Smoking | None, _choice(self.smoking, _SMOKING_WORDS, "smoking"))
        self.conditions = _dedupe(condition_key(c) or c for c in _strings(self.conditions, "conditions"))
        self.medications = _strings(self.medications, "medications")
        self.allergies = _strings(self.allergies, "allergies")
        self.vitals = self._values(self.vitals, "vitals")
        self.labs = self._values(self.labs, "labs")
        for name, high in (("pack_years", 300.0), ("years_since_quit", 120.0)):
            raw = getattr(self, name)
            if raw is not None:
                value = _number(raw, name)
                if not 0 <= value <= high:
                    raise _err(ErrorCode.E819, field=name, value=value, unit="years", low=0, high=high)
                setattr(self, name, value)
        if self.years_since_quit is not None and self.smoking in ("current", "never"):
            raise _err(ErrorCode.E814, field="years_since_quit", problem=f"is given for a {self.smoking} smoker",
                       hint="Give years_since_quit only with smoking 'former' (or leave smoking out).")
        if self.age is not None and self.years_since_quit is not None and self.years_since_quit > self.age:
            raise _err(ErrorCode.E814, field="years_since_quit", problem="is more than the age",
                       hint="Check both values.")
        self.pregnant = _bool(self.pregnant, "pregnant")
        if self.pregnant and self.sex == "male":
            raise _err(ErrorCode.E814, field="pregnant", problem="is true for a record with sex 'male'",
                       hint="Correct sex or pregnant.")
        self.sexually_active = _bool(self.sexually_active, "sexually_active")
        for name in ("family_history", "history"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable)):
                raise _err(ErrorCode.E814, field=name, problem="is not a list",
                           hint="Give a JSON list, e.g. [\"diabetes:first_degree\"]." if name == "family_history"
                           else "Give an object with lists 'screenings' and 'vaccinations'.")
        self.family_history = _dedupe(self._family(item, i) for i, item in enumerate(self.family_history or []))
        self.history = [self._event(item, i) for i, item in enumerate(self.history or [])]

    def _check_age(self) -> None:
        if self.birth_date is not None:
            self.birth_date = _as_date(self.birth_date, "birth_date")
            if self.birth_date > self.as_of:
                raise _err(ErrorCode.E817, value=self.birth_date.isoformat(), problem="is after the as-of date",
                           as_of=self.as_of.isoformat())
            derived = _age_at(self.birth_date, self.as_of)
            if derived > 120:
                raise _err(ErrorCode.E817, value=self.birth_date.isoformat(), problem="gives an age over 120",
                           as_of=self.as_of.isoformat())
        if self.age is not None:
            if (isinstance(self.age, bool) or not isinstance(self.age, int | float) or self.age != self.age
                    or self.age in (float("inf"), float("-inf")) or self.age != int(self.age)):
                raise _err(ErrorCode.E814, field="age", problem="is not a whole number of years",
                           hint="Give the age in whole years, or the birth date.")
            if not 0 <= self.age <= 120:
                raise _err(ErrorCode.E815, value=self.age)
            self.age = int(self.age)
        if self.birth_date is not None:
            if self.age is not None and self.age != derived:
                raise _err(ErrorCode.E818, age=self.age, birth_date=self.birth_date.isoformat(), derived=derived,
                           as_of=self.as_of.isoformat())
            self.age = derived

    @staticmethod
    def _values(raw: object, group: str) -> dict[str, Measured]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise _err(ErrorCode.E814, field=group, problem="must be an object of named values",
                       hint=f"E.g. {group}: {{\"{'systolic_bp' if group == 'vitals' else 'ldl'}\": 130}}.")
        known = {k: o for k, o in _observations().items() if o.group == group}
        out = {}
        for key, value in raw.items():
            if key not in known:
                raise _err(ErrorCode.E813, field=f"{group}.{str(key)[:40]}", fields=", ".join(known))
            if value is not None:
                out[key] = _measured(known[key], value, f"{group}.{key}")
        return out

    @staticmethod
    def _family(item: object, index: int) -> str:
        where = f"family_history[{index}]"
        if isinstance(item, Mapping):
            condition, relative = item.get("condition"), item.get("relative")
        elif isinstance(item, str):
            condition, _, relative = item.partition(":")
        else:
            condition, relative = None, None
        if not isinstance(condition, str) or not condition.strip() or not isinstance(relative, str | None):
            raise _err(ErrorCode.E814, field=where, problem="is not a condition with an optional relative",
                       hint="Use \"diabetes:first_degree\" or {\"condition\": \"diabetes\", \"relative\": \"mother\"}.")
        key = condition_key(condition) or " ".join(condition.split())
        if not relative or not relative.strip():
            return key
        degree = _RELATIVE_WORDS.get(norm(relative)) or _RELATIVE_WORDS.get(relative.strip().lower())
        if degree is None:
            raise _err(ErrorCode.E821, field=where + ".relative", choices=[*_DEGREES, "mother", "father", "sister",
                                                                          "brother", "aunt", "..."])
        return f"{key}:{degree}"

    @staticmethod
    def _event(item: object, index: int) -> Event:
        if isinstance(item, Event):
            return item
        example = "{\"test\": \"colonoscopy\", \"date\": \"2019-05-01\"} or {\"vaccine\": \"tdap\", \"date\": \"2020-01-10\"}"
        if not isinstance(item, Mapping) or len({"test", "vaccine"} & set(item)) != 1 \
                or set(item) - {"test", "vaccine", "date"}:
            raise _err(ErrorCode.E822, kind="entries", index=index, problem="is not a test or vaccine entry",
                       example=example)
        kind: Literal["screening", "vaccine"] = "screening" if "test" in item else "vaccine"
        name = item.get("test", item.get("vaccine"))
        if not isinstance(name, str) or not name.strip():
            raise _err(ErrorCode.E822, kind=kind, index=index, problem="names no test or vaccine", example=example)
        when = item.get("date")
        day = _as_date(when, f"history[{index}].date") if when is not None else None
        key = test_key(name) if kind == "screening" else vaccine_key(name)
        return Event(kind, key or " ".join(name.split()), day, key is not None)

    # ---- what the record says ----------------------------------------------------------------------------

    @property
    def condition_keys(self) -> frozenset[str]:
        """The recognised condition keys, with the keys they imply (type 2 diabetes is also diabetes)."""
        table = {c.key: c for c in conditions_table().conditions}
        out: set[str] = set()
        todo = [c for c in self.conditions if c in table]
        while todo:
            key = todo.pop()
            if key not in out:
                out.add(key)
                todo += table[key].implies
        return frozenset(out)

    @property
    def unrecognised(self) -> list[str]:
        """Conditions kept as given because no key of conditions.yaml matches them."""
        known = {c.key for c in conditions_table().conditions}
        return [c for c in self.conditions if c not in known]

    @property
    def family_keys(self) -> frozenset[str]:
        """Condition keys that a relative has (any degree)."""
        return frozenset(item.partition(":")[0] for item in self.family_history)

    @property
    def bmi(self) -> float | None:
        """The recorded BMI, else weight / height squared when both are recorded, else None."""
        if "bmi" in self.vitals:
            return self.vitals["bmi"].value
        if "weight_kg" in self.vitals and "height_cm" in self.vitals:
            metres = self.vitals["height_cm"].value / 100
            return round(self.vitals["weight_kg"].value / metres**2, 1)
        return None

    @property
    def is_pregnant(self) -> bool | None:
        if self.pregnant is not None:
            return self.pregnant
        return True if "pregnancy" in self.condition_keys else None

    def value(self, name: str) -> Any:
        """A scalar field, or a vital or lab value (its number), or None when the record does not hold it."""
        if name in SCALARS:
            return getattr(self, name)
        if name == "bmi":
            return self.bmi
        if name in _observations():
            held = self.vitals.get(name) or self.labs.get(name)
            return held.value if held else None
        raise _err(ErrorCode.E827, name=str(name)[:40], names=", ".join(self.value_names()))

    @staticmethod
    def value_names() -> list[str]:
        return [*SCALARS, *_observations()]

    def missing(self, names: Iterable[str] | None = None) -> list[str]:
        """The names (default: every scalar, vital and lab) whose value the record does not hold."""
        wanted = list(names) if names is not None else self.value_names()
        return [n for n in wanted if self.value(n) is None]

    def eligible_since(self, age: int) -> dt.date | None:
        """The day the patient reached ``age`` (from the birth date; from the age alone, counted in whole
        years back from as_of); None when neither is known."""
        if self.birth_date is not None:
            return _add_years(self.birth_date, age)
        if self.age is not None:
            return _add_years(self.as_of, age - self.age)
        return None

    # ---- JSON ----------------------------------------------------------------------------------------------

    @classmethod
    def from_json(cls, source: Mapping[str, Any] | str | Path) -> PatientRecord:
        """From a dict, a JSON text or a path to a JSON file (fields as in :data:`FIELDS`; vitals and labs
        are numbers or ``{"value", "unit", "date"}``; history ``{"screenings": [...], "vaccinations": [...]}``
        or a list of ``{"test"|"vaccine": key, "date": date}``)."""
        obj: object = source
        if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
            path = Path(source)
            try:
                obj = json.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise _err(ErrorCode.E812, path=str(path), detail=exc.strerror or type(exc).__name__) from None
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise _err(ErrorCode.E812, path=str(path), detail=type(exc).__name__) from None
        elif isinstance(source, str):
            try:
                obj = json.loads(source)
            except json.JSONDecodeError as exc:
                raise _err(ErrorCode.E812, path="<text>", detail=f"invalid JSON at line {exc.lineno}") from None
        if not isinstance(obj, Mapping):
            raise _err(ErrorCode.E811, got=type(obj).__name__)
        if obj.get("resourceType") == "Bundle":
            return cls.from_fhir(dict(obj))
        unknown = [str(k)[:40] for k in obj if k not in FIELDS]
        if unknown:
            raise _err(ErrorCode.E813, field=unknown[0], fields=", ".join(FIELDS))
        data = dict(obj)
        history = data.get("history")
        if isinstance(history, Mapping):
            extra = set(history) - {"screenings", "vaccinations"}
            if extra:
                raise _err(ErrorCode.E822, kind="history", index=0, problem="has keys other than screenings and "
                           "vaccinations", example="{\"screenings\": [{\"test\": \"mammogram\", \"date\": \"2023-01-05\"}]}")
            data["history"] = [*_listed(history.get("screenings")), *_listed(history.get("vaccinations"))]
        elif history is not None and not isinstance(history, list):
            raise _err(ErrorCode.E822, kind="history", index=0, problem="is not a list",
                       example="[{\"test\": \"mammogram\", \"date\": \"2023-01-05\"}]")
        if data.get("as_of") is None:
            data.pop("as_of", None)
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``PatientRecord.from_json(r.to_dict()) == r``."""
        return {
            "as_of": self.as_of.isoformat(),
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "age": self.age, "sex": self.sex, "race": self.race,
            "conditions": list(self.conditions), "medications": list(self.medications),
            "allergies": list(self.allergies),
            "vitals": {k: v.to_dict() for k, v in self.vitals.items()},
            "labs": {k: v.to_dict() for k, v in self.labs.items()},
            "smoking": self.smoking, "pack_years": self.pack_years, "years_since_quit": self.years_since_quit,
            "pregnant": self.pregnant, "family_history": list(self.family_history),
            "sexually_active": self.sexually_active,
            "history": [e.to_dict() for e in self.history],
        }

    # ---- FHIR ----------------------------------------------------------------------------------------------

    @classmethod
    def from_fhir(cls, bundle: Mapping[str, Any], as_of: dt.date | str | None = None) -> PatientRecord:
        """From a FHIR R4 Bundle.  ``as_of`` defaults to the date a MedAssist-written Bundle carries, else today."""
        return _FhirReader(bundle).record(as_of)

    def to_fhir(self) -> dict[str, Any]:
        """A FHIR R4 Bundle (type collection) holding the same record: ``from_fhir(r.to_fhir()) == r``."""
        return _FhirWriter(self).bundle()


def _dedupe(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _listed(value: object) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _err(ErrorCode.E822, kind="history", index=0, problem="screenings and vaccinations must be lists",
                   example="{\"vaccinations\": [{\"vaccine\": \"tdap\", \"date\": \"2020-01-10\"}]}")
    return value


# ---- FHIR reading ----------------------------------------------------------------------------------------

def _codings(concept: object) -> list[dict[str, Any]]:
    if not isinstance(concept, Mapping):
        return []
    codings = concept.get("coding") or []
    return [c for c in codings if isinstance(c, Mapping)] if isinstance(codings, list) else []


def _code_of(concept: object, *systems: str) -> list[str]:
    return [str(c.get("code")) for c in _codings(concept) if c.get("system") in systems and c.get("code") is not None]


def _text_of(concept: object) -> str | None:
    if isinstance(concept, Mapping) and isinstance(concept.get("text"), str) and concept["text"].strip():
        return str(concept["text"]).strip()
    for c in _codings(concept):
        if isinstance(c.get("display"), str) and c["display"].strip():
            return str(c["display"]).strip()
    return None


def _status(resource: Mapping[str, Any], name: str) -> str | None:
    value = resource.get(name)
    if isinstance(value, str):
        return value
    codes = [str(c.get("code")) for c in _codings(value) if c.get("code")]
    return codes[0] if codes else None


def _fhir_date(value: object) -> dt.date | None:
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise _err(ErrorCode.E814, field="a FHIR date", problem="is not a real calendar date",
                       hint="Dates are YYYY-MM-DD with a month 01-12 and a day that exists in it.") from None
    return None


class _FhirReader:
    def __init__(self, bundle: Mapping[str, Any]) -> None:
        if not isinstance(bundle, Mapping):
            raise _err(ErrorCode.E823, got=type(bundle).__name__)
        kind = bundle.get("resourceType")
        if kind != "Bundle":
            shown = repr(kind) if isinstance(kind, str) and re.fullmatch(r"[A-Za-z]{1,40}", kind) else "missing or not a name"
            raise _err(ErrorCode.E823, got=shown)
        entries = bundle.get("entry") or []
        if not isinstance(entries, list):
            raise _err(ErrorCode.E826, resource="Bundle", index="-", problem="entry is not a list",
                       hint="Bundle.entry is a list of {\"resource\": {...}}.")
        self.bundle = bundle
        self.resources: list[tuple[int, str | None, Mapping[str, Any]]] = []
        for i, entry in enumerate(entries):
            res = entry.get("resource") if isinstance(entry, Mapping) else None
            if not isinstance(res, Mapping) or not isinstance(res.get("resourceType"), str):
                raise _err(ErrorCode.E826, resource="entry", index=i, problem="has no resource with a resourceType",
                           hint="Each entry is {\"resource\": {\"resourceType\": ..., ...}}.")
            self.resources.append((i, entry.get("fullUrl"), res))
        patients = [(i, url, r) for i, url, r in self.resources if r["resourceType"] == "Patient"]
        if not patients:
            raise _err(ErrorCode.E824)
        if len(patients) > 1:
            raise _err(ErrorCode.E825, count=len(patients))
        _, url, self.patient = patients[0]
        self.refs = {f"Patient/{self.patient.get('id')}"} | ({url} if isinstance(url, str) else set())

    def _mine(self, res: Mapping[str, Any]) -> bool:
        subject = res.get("subject", res.get("patient"))
        ref = subject.get("reference") if isinstance(subject, Mapping) else None
        return ref is None or ref in self.refs or (isinstance(ref, str) and ref.endswith(f"/{self.patient.get('id')}"))

    def of(self, kind: str) -> Iterable[tuple[int, Mapping[str, Any]]]:
        return ((i, r) for i, _, r in self.resources if r["resourceType"] == kind and self._mine(r))

    def record(self, as_of: dt.date | str | None) -> PatientRecord:
        p = self.patient
        data: dict[str, Any] = {"conditions": [], "medications": [], "allergies": [], "vitals": {}, "labs": {},
                                "family_history": [], "history": []}
        meta = self.bundle.get("meta")
        for ext in (meta.get("extension") or []) if isinstance(meta, Mapping) else []:
            if isinstance(ext, Mapping) and ext.get("url") == AS_OF_URL and as_of is None:
                as_of = ext.get("valueDate")
        if as_of is not None:
            data["as_of"] = _as_date(as_of, "as_of")
        today = data.get("as_of") or dt.date.today()
        birth = p.get("birthDate")
        if isinstance(birth, str) and len(birth) >= 10:
            data["birth_date"] = _as_date(birth, "Patient.birthDate")
        elif isinstance(birth, str) and re.fullmatch(r"\d{4}(-\d{2})?", birth):
            data["age"] = _partial_age(birth, today)  # a year (and month) only: the age when it is certain
        gender = p.get("gender")
        if gender in ("female", "male"):
            data["sex"] = gender
        elif gender not in (None, "other", "unknown"):
            raise _err(ErrorCode.E826, resource="Patient", index=0, problem="gender is not a FHIR gender code",
                       hint="Use female, male, other or unknown.")
        data["race"] = _race(p)
        self._conditions(data)
        self._medications(data)
        self._observations(data)
        self._events(data)
        self._family(data)
        return PatientRecord(**data)

    def _conditions(self, data: dict[str, Any]) -> None:
        for _, res in self.of("Condition"):
            if _status(res, "clinicalStatus") not in (None, "active", "recurrence", "relapse"):
                continue
            if _status(res, "verificationStatus") in ("refuted", "entered-in-error"):
                continue
            entry = _concept_condition(res.get("code"))
            if entry:
                data["conditions"].append(entry)

    def _medications(self, data: dict[str, Any]) -> None:
        for _, res in self.of("MedicationStatement"):
            if res.get("status") in ("stopped", "completed", "entered-in-error", "not-taken"):
                continue
            name = _text_of(res.get("medicationCodeableConcept"))
            if name:
                data["medications"].append(name)
        for _, res in self.of("AllergyIntolerance"):
            if _status(res, "clinicalStatus") not in (None, "active") \
                    or _status(res, "verificationStatus") in ("refuted", "entered-in-error"):
                continue
            name = _text_of(res.get("code"))
            if name:
                data["allergies"].append(name)

    def _observations(self, data: dict[str, Any]) -> None:
        table = loinc_table()
        by_code = {code: o for o in table.observations for code in o.loinc}
        latest: dict[str, dt.date | None] = {}

        def newer(key: str, when: dt.date | None) -> bool:
            if key in latest and (when is None or (latest[key] is not None and when < latest[key])):  # type: ignore[operator]
                return False
            latest[key] = when
            return True

        for i, res in self.of("Observation"):
            if res.get("status") in ("entered-in-error", "cancelled"):
                continue
            when = _fhir_date(res.get("effectiveDateTime")) or _fhir_date(
                (res.get("effectivePeriod") or {}).get("start") if isinstance(res.get("effectivePeriod"), Mapping)
                else None) or _fhir_date(res.get("issued"))
            codes = _code_of(res.get("code"), LOINC)
            local = _code_of(res.get("code"), table.local.system)
            parts = [(codes, res)]
            if table.panels["blood_pressure"] in codes:
                parts = [(_code_of(c.get("code"), LOINC), c) for c in res.get("component") or []
                         if isinstance(c, Mapping)]
            for part_codes, part in parts:
                obs = next((by_code[c] for c in part_codes if c in by_code), None)
                if obs is not None:
                    qty = part.get("valueQuantity")
                    if not isinstance(qty, Mapping) or qty.get("value") is None:
                        raise _err(ErrorCode.E826, resource="Observation", index=i, problem=f"{obs.key} has no valueQuantity",
                                   hint="Give valueQuantity {value, unit, system, code}.")
                    unit = qty.get("code") if qty.get("system") == UCUM and qty.get("code") else qty.get("unit")
                    if newer(obs.key, when):
                        data[obs.group][obs.key] = {"value": qty["value"], "unit": unit, "date": when}
            if table.smoking.loinc in codes and newer("smoking", when):
                answers = [table.smoking.answers[c] for c in _code_of(res.get("valueCodeableConcept"), SNOMED)
                           if c in table.smoking.answers]
                data["smoking"] = answers[0] if answers else None
            if table.pregnancy.loinc in codes and newer("pregnant", when):
                answers_p = [table.pregnancy.answers[c] for c in _code_of(res.get("valueCodeableConcept"), SNOMED)
                             if c in table.pregnancy.answers]
                data["pregnant"] = answers_p[0] if answers_p else None
            if table.age.loinc in codes and "birth_date" not in data and newer("age", when):
                qty = res.get("valueQuantity")
                data["age"] = qty.get("value") if isinstance(qty, Mapping) else None
            for name in local:
                if name in table.local.codes and newer(name, when):
                    qty = res.get("valueQuantity")
                    data[name] = res.get("valueBoolean") if name == "sexually_active" else (
                        qty.get("value") if isinstance(qty, Mapping) else None)

    def _events(self, data: dict[str, Any]) -> None:
        for i, _, res in self.resources:  # in Bundle order, so the history keeps its order
            if res["resourceType"] == "Immunization" and self._mine(res):
                self._immunization(data, i, res)
            elif res["resourceType"] == "Procedure" and self._mine(res):
                self._procedure(data, res)

    @staticmethod
    def _immunization(data: dict[str, Any], i: int, res: Mapping[str, Any]) -> None:
        if res.get("status") not in (None, "completed"):
            return
        concept = res.get("vaccineCode")
        codes = _code_of(concept, CVX)
        key = next((k for k in (vaccine_key(c) for c in codes) if k), None)
        text = _text_of(concept)
        key = key or (vaccine_key(text) if text else None)
        name = key or (f"cvx:{codes[0]}" if codes else text)
        if not name:
            raise _err(ErrorCode.E826, resource="Immunization", index=i, problem="vaccineCode has no code or text",
                       hint="Give a CVX coding (system http://hl7.org/fhir/sid/cvx).")
        data["history"].append({"vaccine": name, "date": _fhir_date(res.get("occurrenceDateTime"))})

    @staticmethod
    def _procedure(data: dict[str, Any], res: Mapping[str, Any]) -> None:
        if res.get("status") not in (None, "completed"):
            return
        concept = res.get("code")
        codes = [*_code_of(concept, SCREENING_SYSTEM), *_code_of(concept, SNOMED)]
        key = next((k for k in (test_key(c) for c in codes) if k), None)
        text = _text_of(concept)
        key = key or (test_key(text) if text else None)
        performed = res.get("performedPeriod")
        when = _fhir_date(res.get("performedDateTime")) or (
            _fhir_date(performed.get("start")) if isinstance(performed, Mapping) else None)
        if key:
            data["history"].append({"test": key, "date": when})
            return
        condition = _concept_condition(concept, recognised_only=True)
        if condition:  # e.g. a hysterectomy recorded as a procedure
            data["conditions"].append(condition)
        elif text:
            data["history"].append({"test": text, "date": when})

    def _family(self, data: dict[str, Any]) -> None:
        for _, res in self.of("FamilyMemberHistory"):
            if res.get("status") == "entered-in-error":
                continue
            rel = res.get("relationship")
            codes = _code_of(rel, ROLE)
            degree = "first_degree" if set(codes) & _FIRST_DEGREE else "second_degree" if set(codes) & _SECOND_DEGREE \
                else None
            text = _text_of(rel) if degree is None else None
            if text:
                degree = _RELATIVE_WORDS.get(norm(text)) or _RELATIVE_WORDS.get(text.lower())
            for item in res.get("condition") or []:
                entry = _concept_condition(item.get("code")) if isinstance(item, Mapping) else None
                if entry:
                    data["family_history"].append(f"{entry}:{degree}" if degree else entry)


def _concept_condition(concept: object, recognised_only: bool = False) -> str | None:
    _, snomed, _ = _condition_index()
    for code in _code_of(concept, SNOMED):
        if code in snomed:
            return snomed[code]
    for code in _code_of(concept, *ICD10):
        key = _icd_key(code)
        if key:
            return key
    text = _text_of(concept)
    key = condition_key(text) if text else None
    if key or recognised_only:
        return key
    if text:
        return text
    codes = [f"{c.get('code')}" for c in _codings(concept) if c.get("code")]
    return codes[0] if codes else None


def _partial_age(birth: str, today: dt.date) -> int | None:
    year, _, month = birth.partition("-")
    first = dt.date(int(year), int(month or 1), 1)
    last_month = int(month or 12)
    last = (dt.date(int(year) + (last_month == 12), last_month % 12 + 1, 1) - dt.timedelta(days=1))
    low, high = _age_at(last, today), _age_at(first, today)
    return low if low == high else None


def _race(patient: Mapping[str, Any]) -> str | None:
    for ext in patient.get("extension") or []:
        if not isinstance(ext, Mapping) or ext.get("url") != RACE_URL:
            continue
        for sub in ext.get("extension") or []:
            coding = sub.get("valueCoding") if isinstance(sub, Mapping) else None
            if sub.get("url") == "ombCategory" and isinstance(coding, Mapping) and coding.get("code") in _OMB_RACE:
                return _OMB_RACE[str(coding["code"])]
        for sub in ext.get("extension") or []:
            if isinstance(sub, Mapping) and sub.get("url") == "text" and isinstance(sub.get("valueString"), str):
                return _RACE_WORDS.get(norm(sub["valueString"]))
    return None


# ---- FHIR writing ----------------------------------------------------------------------------------------

class _FhirWriter:
    def __init__(self, record: PatientRecord) -> None:
        self.r = record
        self.entries: list[dict[str, Any]] = []
        self.patient_url = self._url("patient")

    @staticmethod
    def _url(name: str) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'medassist:' + name)}"

    def _add(self, resource: dict[str, Any]) -> None:
        n = len(self.entries)
        resource = {"resourceType": resource.pop("resourceType"), "id": f"r{n}", **resource}
        if resource["resourceType"] != "Patient":
            key = "patient" if resource["resourceType"] in ("AllergyIntolerance", "Immunization",
                                                            "FamilyMemberHistory") else "subject"
            resource[key] = {"reference": self.patient_url}
        self.entries.append({"fullUrl": self._url(f"r{n}") if n else self.patient_url, "resource": resource})

    def bundle(self) -> dict[str, Any]:
        r = self.r
        patient: dict[str, Any] = {"resourceType": "Patient"}
        if r.sex:
            patient["gender"] = r.sex
        if r.birth_date:
            patient["birthDate"] = r.birth_date.isoformat()
        if r.race:
            race: list[dict[str, Any]] = [{"url": "text", "valueString": r.race}]
            omb = {"white": "2106-3", "african_american": "2054-5"}.get(r.race)
            if omb:
                race.insert(0, {"url": "ombCategory", "valueCoding": {"system": OMB, "code": omb}})
            patient["extension"] = [{"url": RACE_URL, "extension": race}]
        self._add(patient)
        table = loinc_table()
        if r.age is not None and r.birth_date is None:
            self._obs({"coding": [{"system": LOINC, "code": table.age.loinc, "display": "Age"}]},
                      {"valueQuantity": {"value": r.age, "unit": "a", "system": UCUM, "code": "a"}})
        self._conditions()
        for name in r.medications:
            self._add({"resourceType": "MedicationStatement", "status": "active",
                       "medicationCodeableConcept": {"text": name}})
        for name in r.allergies:
            self._add({"resourceType": "AllergyIntolerance", "clinicalStatus": _cc(
                "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"), "code": {"text": name}})
        observations = _observations()
        for group in (r.vitals, r.labs):
            for key, m in group.items():
                o = observations[key]
                self._obs({"coding": [{"system": LOINC, "code": o.loinc[0], "display": o.name}], "text": o.name},
                          {"valueQuantity": {"value": m.value, "unit": o.unit, "system": UCUM, "code": o.unit}},
                          m.date, "vital-signs" if o.group == "vitals" else "laboratory")
        if r.smoking:
            self._obs({"coding": [{"system": LOINC, "code": table.smoking.loinc, "display": "Tobacco smoking status"}]},
                      {"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": table.smoking.write[r.smoking]}],
                                                "text": r.smoking}}, category="social-history")
        if r.pregnant is not None:
            self._obs({"coding": [{"system": LOINC, "code": table.pregnancy.loinc, "display": "Pregnancy status"}]},
                      {"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": table.pregnancy.write[r.pregnant]}]}})
        for name in table.local.codes:
            value = getattr(r, name)
            if value is not None:
                val = {"valueBoolean": value} if isinstance(value, bool) else {"valueQuantity": {"value": value, "unit": "a"}}
                self._obs({"coding": [{"system": table.local.system, "code": name}], "text": name.replace("_", " ")},
                          val, category="social-history")
        self._events()
        for item in r.family_history:
            key, _, degree = item.partition(":")
            rel: dict[str, Any] = {"coding": [{"system": ROLE, "code": "FAMMEMB"}]}
            if degree:
                rel["text"] = degree
            self._add({"resourceType": "FamilyMemberHistory", "status": "completed", "relationship": rel,
                       "condition": [{"code": _condition_concept(key)}]})
        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection",
                                  "meta": {"extension": [{"url": AS_OF_URL, "valueDate": r.as_of.isoformat()}]},
                                  "entry": self.entries}
        return bundle

    def _obs(self, code: dict[str, Any], value: dict[str, Any], when: dt.date | None = None,
             category: str | None = None) -> None:
        res: dict[str, Any] = {"resourceType": "Observation", "status": "final"}
        if category:
            res["category"] = [_cc("http://terminology.hl7.org/CodeSystem/observation-category", category)]
        res["code"] = code
        if when:
            res["effectiveDateTime"] = when.isoformat()
        self._add({**res, **value})

    def _conditions(self) -> None:
        for key in self.r.conditions:
            self._add({"resourceType": "Condition",
                       "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                       "code": _condition_concept(key)})

    def _events(self) -> None:
        products = {v.key: v for v in cvx_table().vaccines}
        tests = {t.key: t for t in screening_table().tests}
        for e in self.r.history:
            if e.kind == "vaccine":
                concept: dict[str, Any] = {"text": e.key}
                product = products.get(e.key)
                if product and product.cvx:
                    concept = {"coding": [{"system": CVX, "code": product.cvx[0]}], "text": product.name}
                elif e.key.startswith("cvx:"):
                    concept = {"coding": [{"system": CVX, "code": e.key[4:]}]}
                res: dict[str, Any] = {"resourceType": "Immunization", "status": "completed", "vaccineCode": concept}
                res.update({"occurrenceDateTime": e.date.isoformat()} if e.date else {"occurrenceString": "unknown"})
            else:
                test = tests.get(e.key)
                concept = {"text": e.key}
                if test:
                    codings = [{"system": SCREENING_SYSTEM, "code": test.key}]
                    codings += [{"system": SNOMED, "code": c} for c in test.snomed[:1]]
                    concept = {"coding": codings, "text": test.name}
                res = {"resourceType": "Procedure", "status": "completed", "code": concept}
                if e.date:
                    res["performedDateTime"] = e.date.isoformat()
            self._add(res)


def _cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _condition_concept(key: str) -> dict[str, Any]:
    entry = next((c for c in conditions_table().conditions if c.key == key), None)
    if entry is None:
        return {"text": key}
    codings = [{"system": SNOMED, "code": c} for c in entry.snomed[:1]]
    codings += [{"system": ICD10[0], "code": c} for c in entry.icd10[:1]]
    return {"coding": codings, "text": entry.name} if codings else {"text": entry.key}
