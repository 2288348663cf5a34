"""Prevention due: which screening tests and vaccinations a patient is due for, from the USPSTF grade A/B
rules of ``knowledge/data/health/screening.yaml`` and the CDC adult schedule of ``vaccines.yaml``.

Every item names its rule, its source and, in plain words, why it has the status it has.  Statuses:

* ``not_applicable``: the rule is not for this person (age, sex, a condition that excludes it, a required
  risk that the record shows is absent).  Conditions not on the record count as absent.
* ``needs_information``: a value that decides whether the rule applies is missing (the age; the sex of a
  sex-specific rule; the pack-years for lung screening; the ASCVD score for the statin rule; the date of
  the last dose of a timed vaccine); ``missing`` names it.  Nothing is guessed.
* ``up_to_date``: done within its interval (or once, for a one-time rule; or the series is complete, or
  its next dose is not yet due).
* ``due``: not done and not overdue, or the interval ends today; ``due_date`` is when it became due.
* ``overdue``: the last one is older than the interval (``due_date`` is the day the interval ran out), or
  it was never done and the person has been eligible (since reaching the rule's start age) for longer than
  the interval.  A rule with several test options uses the longest interval of them for the never-done
  case.  One-time rules, dose series, seasonal and pregnancy vaccines are never overdue, only due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from medassist.health._tables import (
    Criterion,
    ScreeningRule,
    VaccineRule,
    conditions_table,
    cvx_table,
    loinc_table,
    screening_table,
    vaccine_table,
)
from medassist.health.record import Event, PatientRecord

Status = Literal["due", "overdue", "up_to_date", "not_applicable", "needs_information"]
STATUSES: tuple[Status, ...] = ("due", "overdue", "up_to_date", "not_applicable", "needs_information")


@dataclass(frozen=True)
class PreventionItem:
    id: str
    kind: Literal["screening", "vaccine"]
    name: str
    status: Status
    reason: str
    due_date: dt.date | None
    last_done: dt.date | None
    source: dict[str, str | None]
    missing: tuple[str, ...] = ()
    basis: str | None = None  # vaccines: routine | risk-based | shared clinical decision-making

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["due_date"] = self.due_date.isoformat() if self.due_date else None
        out["last_done"] = self.last_done.isoformat() if self.last_done else None
        out["missing"] = list(self.missing)
        return out


@dataclass
class _Verdict:
    status: Status | None = None  # None: the rule applies
    reason: str = ""
    missing: list[str] = field(default_factory=list)
    met: list[str] = field(default_factory=list)


def due_items(record: PatientRecord, *, ascvd_10y: float | None = None,
              scores: Mapping[str, float] | None = None) -> list[PreventionItem]:
    """Every screening and vaccine rule, evaluated for ``record`` on ``record.as_of``.

    ``ascvd_10y`` (percent, from the pooled cohort equations) decides the statin rule; other scores a
    rule names can be passed in ``scores``.  Without it the statin rule says it needs the score."""
    known = dict(scores or {})
    if ascvd_10y is not None:
        known["ascvd_10y"] = float(ascvd_10y)
    items = [_screening(rule, record, known) for rule in screening_table().rules]
    items += [_vaccine(rule, record, known) for rule in vaccine_table().rules]
    return items


# ---- criteria --------------------------------------------------------------------------------------------

def _condition_name(key: str) -> str:
    return next((c.name.lower() for c in conditions_table().conditions if c.key == key), key)


def _unit(key: str) -> str:
    return next((o.unit for o in loinc_table().observations if o.key == key), "")


def _criterion(c: Criterion, r: PatientRecord, scores: Mapping[str, float]) -> tuple[bool | None, str, list[str]]:
    """(holds, what it is in words, the names of missing values when it cannot be decided)."""
    if c.condition is not None:
        return c.condition in r.condition_keys, _condition_name(c.condition), []
    if c.family is not None:
        return c.family in r.family_keys, f"{_condition_name(c.family)} in a relative", []
    if c.smoking is not None:
        words = " or ".join(c.smoking) + " smoker"
        return (None, words, ["smoking"]) if r.smoking is None else (r.smoking in c.smoking, words, [])
    if c.pack_years_at_least is not None:
        words = f"{c.pack_years_at_least:g} pack-years or more"
        if r.pack_years is None:
            return None, words, ["pack_years"]
        return r.pack_years >= c.pack_years_at_least, words, []
    if c.quit_within_years is not None:
        words = f"smokes now or quit within the past {c.quit_within_years:g} years"
        if r.smoking is None:
            return None, words, ["smoking"]
        if r.smoking != "former":
            return r.smoking == "current", words, []
        if r.years_since_quit is None:
            return None, words, ["years_since_quit"]
        return r.years_since_quit <= c.quit_within_years, words, []
    if c.bmi_at_least is not None or c.bmi_below is not None:
        bmi = r.bmi
        words = f"BMI {c.bmi_at_least:g} or more" if c.bmi_at_least is not None else f"BMI under {c.bmi_below:g}"
        if bmi is None:
            return None, words, ["bmi (or weight_kg and height_cm)"]
        return (bmi >= c.bmi_at_least if c.bmi_at_least is not None else bmi < c.bmi_below), words, []  # type: ignore[operator]
    for bound, above in ((c.lab_above, True), (c.lab_below, False)):
        if bound is not None:
            (key, limit), = bound.items()
            words = f"{key.upper() if len(key) <= 3 else key} {'above' if above else 'below'} {limit:g} {_unit(key)}"
            value = r.value(key)
            if value is None:
                return None, words, [key]
            return (value > limit if above else value < limit), words, []
    if c.score_at_least is not None:
        (key, limit), = c.score_at_least.items()
        words = f"{key} of {limit:g}% or more"
        if key not in scores:
            return None, words, [f"{key} (the 10-year ASCVD risk from the pooled cohort equations)"
                                 if key == "ascvd_10y" else key]
        return scores[key] >= limit, words, []
    if c.medication_any is not None:
        meds = " ".join(m.lower() for m in r.medications)
        hit = next((name for name in c.medication_any if name.lower() in meds), None)
        return hit is not None, f"takes {hit or 'one of ' + ', '.join(c.medication_any)}", []
    assert c.pregnant is not None
    pregnant = r.is_pregnant
    return (None, "pregnant", ["pregnant"]) if pregnant is None else (pregnant == c.pregnant, "pregnant", [])


def _applies(rule: ScreeningRule | VaccineRule, r: PatientRecord, scores: Mapping[str, float]) -> _Verdict:
    who = rule.who
    if r.age is None:
        return _Verdict("needs_information", f"{who}: the age (or birth date) is not on the record", ["age"])
    if (rule.min_age is not None and r.age < rule.min_age) or (rule.max_age is not None and r.age > rule.max_age):
        return _Verdict("not_applicable", f"{who}: age {r.age} is outside {_ages(rule)}")
    if rule.sex is not None:
        if r.sex is None:
            return _Verdict("needs_information", f"{who}: the sex is not on the record", ["sex"])
        if r.sex != rule.sex:
            return _Verdict("not_applicable", f"{who}: the record's sex is {r.sex}")
    for c in rule.exclude:
        holds, words, _ = _criterion(c, r, scores)
        if holds:
            return _Verdict("not_applicable", f"{who}: not for this person ({words})")
    verdict = _Verdict()
    for c in rule.require:
        holds, words, missing = _criterion(c, r, scores)
        if holds is False:
            return _Verdict("not_applicable", f"{who}: not met: {words}")
        if holds is None:
            verdict.missing += missing
        else:
            verdict.met.append(words)
    if rule.risk_any:
        results = [_criterion(c, r, scores) for c in rule.risk_any]
        hits = [words for holds, words, _ in results if holds]
        if hits:
            verdict.met.append("risk factor: " + ", ".join(hits))
        elif all(holds is False for holds, _, _ in results):
            return _Verdict("not_applicable", f"{who}: no risk factor on the record (needs one of: "
                            + ", ".join(words for _, words, _ in results) + ")")
        else:
            verdict.missing += [m for holds, _, missing in results if holds is None for m in missing]
    if verdict.missing:
        names = list(dict.fromkeys(verdict.missing))
        return _Verdict("needs_information", f"{who}: cannot decide without {', '.join(names)}", names)
    return verdict


def _ages(rule: ScreeningRule | VaccineRule) -> str:
    if rule.min_age is not None and rule.max_age is not None:
        return f"{rule.min_age}-{rule.max_age}"
    return f"{rule.min_age} and older" if rule.min_age is not None else f"{rule.max_age} and younger"


# ---- dates -----------------------------------------------------------------------------------------------

def _plus_years(day: dt.date, years: float) -> dt.date:
    if years == int(years):
        try:
            return day.replace(year=day.year + int(years))
        except ValueError:  # 29 February
            return day.replace(year=day.year + int(years), day=28)
    return day + dt.timedelta(days=round(years * 365.25))


def _every(years: float | None) -> str:
    if years is None:
        return "once"
    return "every year" if years == 1 else f"every {years:g} years"


def _span(years: float) -> str:
    return "1 year" if years == 1 else f"{years:g} years"


def _source(key: str, sources: Mapping[str, Any], note: str | None) -> dict[str, str | None]:
    s = sources[key]
    return {"id": key, "title": s.title, "url": s.url, "grade": s.grade, "date": s.date, "note": note}


def _item(rule: ScreeningRule | VaccineRule, status: Status, reason: str, due: dt.date | None = None,
          last: dt.date | None = None, missing: list[str] | None = None) -> PreventionItem:
    table = screening_table() if isinstance(rule, ScreeningRule) else vaccine_table()
    basis = rule.basis if isinstance(rule, VaccineRule) else None
    if basis == "shared clinical decision-making":
        reason = "shared decision with a clinician: " + reason
    return PreventionItem(rule.id, rule.kind, rule.name, status, reason, due, last,
                          _source(rule.source, table.sources, rule.note), tuple(missing or ()), basis)


def _never_done(rule: ScreeningRule | VaccineRule, r: PatientRecord, interval: float | None,
                what: str) -> tuple[Status, str, dt.date]:
    since = r.eligible_since(rule.min_age) if rule.min_age is not None else None
    due = since if since is not None and since <= r.as_of else r.as_of
    if interval is not None and since is not None and _plus_years(since, interval) < r.as_of:
        return "overdue", f"no {what} on the record, and eligible since {since.isoformat()} (age {rule.min_age}), " \
                          f"more than {_span(interval)}, so overdue", due
    return "due", f"no {what} on the record, so due", due


# ---- screening -------------------------------------------------------------------------------------------

def _screening(rule: ScreeningRule, r: PatientRecord, scores: Mapping[str, float]) -> PreventionItem:
    verdict = _applies(rule, r, scores)
    if verdict.status is not None:
        return _item(rule, verdict.status, verdict.reason, missing=verdict.missing)
    who = rule.who + (f" ({'; '.join(verdict.met)})" if verdict.met else "")
    if not rule.tests:
        return _item(rule, "due", f"{who}: {rule.action}", r.as_of)
    tests = {t.key: t for t in screening_table().tests}
    names = {k: tests[k].name for k in rule.tests}
    done: list[tuple[str, dt.date | None]] = [(e.key, e.date) for e in r.history
                                               if e.kind == "screening" and e.key in rule.tests]
    for key in rule.tests:  # a dated measurement is that test done on that day
        for value in tests[key].from_values:
            held = r.vitals.get(value) or r.labs.get(value)
            if held is not None and held.date is not None:
                done.append((key, held.date))
    if len(rule.tests) == 1:
        (only, years), = rule.tests.items()
        schedule = f"{names[only]} {'once' if rule.once else _every(years) if years else '(no repeat interval set)'}"
    else:
        schedule = ", ".join(f"{names[k]} {_every(y)}" for k, y in rule.tests.items())
    if not done:
        intervals = [y for y in rule.tests.values() if y is not None]
        status, words, due = _never_done(rule, r, max(intervals) if intervals else None, "screening test")
        return _item(rule, status, f"{who}: {schedule}; {words}", due)
    dated = [(k, d) for k, d in done if d is not None]
    untimed = [k for k, d in done if d is None]
    if any(rule.tests[k] is None for k in [*untimed, *(k for k, _ in dated)]):
        key, when = max(((k, d) for k, d in done if rule.tests[k] is None), key=lambda kd: kd[1] or dt.date.min)
        on = f" on {when.isoformat()}" if when else " (date not recorded)"
        return _item(rule, "up_to_date", f"{who}: {schedule}; {names[key]} done{on}", None, when)
    if not dated:
        missing = [f"date of the last {names[untimed[0]]}"]
        return _item(rule, "needs_information", f"{who}: {schedule}; a {names[untimed[0]]} is recorded without "
                     "a date, so when the next is due cannot be said", missing=missing)
    key, when, nxt = max(((k, d, _plus_years(d, rule.tests[k] or 0)) for k, d in dated), key=lambda t: t[2])
    last = f"last {names[key]} {when.isoformat()}"
    if nxt > r.as_of:
        return _item(rule, "up_to_date", f"{who}: {schedule}; {last}, so next due {nxt.isoformat()}", nxt, when)
    if nxt == r.as_of:
        return _item(rule, "due", f"{who}: {schedule}; {last}, so due today", nxt, when)
    return _item(rule, "overdue", f"{who}: {schedule}; {last}, so overdue since {nxt.isoformat()}", nxt, when)


# ---- vaccines --------------------------------------------------------------------------------------------

def _vaccine(rule: VaccineRule, r: PatientRecord, scores: Mapping[str, float]) -> PreventionItem:
    verdict = _applies(rule, r, scores)
    if verdict.status is not None:
        return _item(rule, verdict.status, verdict.reason, missing=verdict.missing)
    who = rule.who + (f" ({'; '.join(verdict.met)})" if verdict.met else "")
    s = rule.schedule
    doses = [e for e in r.history if e.kind == "vaccine" and e.key in s.products]
    dated = sorted(e.date for e in doses if e.date is not None)
    last = dated[-1] if dated else None
    if s.type == "seasonal":
        assert s.season_start is not None
        month, day = (int(x) for x in s.season_start.split("-"))
        start = dt.date(r.as_of.year, month, day)
        if start > r.as_of:
            start = dt.date(r.as_of.year - 1, month, day)
        nxt = dt.date(start.year + 1, month, day)
        season = f"season from {start.isoformat()}"
        if last is not None and start <= last <= r.as_of:
            return _item(rule, "up_to_date", f"{who}: a dose on {last.isoformat()} counts for the {season}; "
                         f"next season from {nxt.isoformat()}", nxt, last)
        before = f"last dose {last.isoformat()}, before this {season}" if last else f"no dose dated in the {season}"
        return _item(rule, "due", f"{who}: {before}, so due", start, last)
    if s.type == "interval":
        assert s.years is not None
        if not doses:
            status, words, due = _never_done(rule, r, s.years, "dose")
            return _item(rule, status, f"{who}: {_every(s.years)}; {words}", due)
        if last is None:
            return _item(rule, "needs_information", f"{who}: {_every(s.years)}; a dose is recorded without a date",
                         missing=["date of the last dose"])
        nxt = _plus_years(last, s.years)
        text = f"{who}: {_every(s.years)}; last dose {last.isoformat()}"
        if nxt > r.as_of:
            return _item(rule, "up_to_date", f"{text}, so next due {nxt.isoformat()}", nxt, last)
        if nxt == r.as_of:
            return _item(rule, "due", f"{text}, so due today", nxt, last)
        return _item(rule, "overdue", f"{text}, so overdue since {nxt.isoformat()}", nxt, last)
    if s.type == "pregnancy":
        assert s.within_days is not None
        if s.months and r.as_of.month not in s.months:
            months = ", ".join(dt.date(2000, m, 1).strftime("%B") for m in s.months)
            return _item(rule, "not_applicable", f"{who}: given only in {months}; not in {r.as_of.strftime('%B')}")
        if s.once_ever and doses:
            on = f" on {last.isoformat()}" if last else ""
            return _item(rule, "up_to_date", f"{who}: one dose in a lifetime, given{on}", None, last)
        if last is not None and (r.as_of - last).days <= s.within_days:
            return _item(rule, "up_to_date", f"{who}: a dose on {last.isoformat()}, within the last "
                         f"{s.within_days} days, counts for this pregnancy", None, last)
        return _item(rule, "due", f"{who}: no dose recorded in this pregnancy, so due in the window", r.as_of, last)
    return _series(rule, r, who, doses, last)


def _series(rule: VaccineRule, r: PatientRecord, who: str, doses: list[Event], last: dt.date | None) -> PreventionItem:
    s = rule.schedule
    products = {v.key: v.name for v in cvx_table().vaccines}
    early = False
    if s.early_start_age is not None and r.birth_date is not None:
        first = min((e.date for e in doses if e.date is not None), default=None)
        early = first is not None and _plus_years(r.birth_date, s.early_start_age) > first

    def need(count: int) -> int:
        return min(count, s.early_doses) if early and s.early_doses else count

    complete = " or ".join(" and ".join(f"{need(n.count)} x {'/'.join(n.keys)}" for n in option)
                           for option in s.complete_when)
    for option in s.complete_when:
        if all(sum(e.key in n.keys for e in doses) >= need(n.count) for n in option):
            on = f", last on {last.isoformat()}" if last else ""
            return _item(rule, "up_to_date", f"{who}: complete ({complete}); {len(doses)} dose(s) recorded{on}",
                         None, last)
    if not doses:
        status, words, due = _never_done(rule, r, None, "dose")
        return _item(rule, status, f"{who}: complete with {complete}; {words}", due)
    given = ", ".join(f"{products.get(e.key, e.key)}" + (f" {e.date.isoformat()}" if e.date else "") for e in doses)
    text = f"{who}: complete with {complete}; recorded: {given}"
    if last is not None and s.gap_days:
        nxt = last + dt.timedelta(days=s.gap_days)
        if nxt > r.as_of:
            return _item(rule, "up_to_date", f"{text}; next dose on or after {nxt.isoformat()}", nxt, last)
        return _item(rule, "due", f"{text}; next dose due since {nxt.isoformat()}", nxt, last)
    return _item(rule, "due", f"{text}; not complete, so due", r.as_of, last)


def summary(items: list[PreventionItem]) -> dict[str, list[str]]:
    """Item ids grouped by status (every status present, possibly empty)."""
    return {status: [i.id for i in items if i.status == status] for status in STATUSES}
