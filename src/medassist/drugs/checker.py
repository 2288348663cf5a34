"""Check a medication list against MedAssist's drug-safety tables.

    from medassist.drugs import check
    result = check(["warfarin", "Advil 200 mg prn"], conditions=["CKD"], allergies=["penicillin"])
    for alert in result.alerts:
        print(alert.severity, alert.title, alert.effect)
    result.to_dict()          # JSON-ready

Four kinds of alert are produced:

* ``interaction``: a rule in ``interactions_*.yaml`` whose agents (drugs or classes) match two (or three)
  different entries.  For one group of drugs, only the most specific rule per topic is reported: fewer class
  agents wins (drug-drug beats drug-class beats class-class), then narrower classes, then higher severity.
* ``contraindication``: a drug (or one of its classes) listed against a condition the patient has, including
  conditions implied by it (severe renal impairment implies CKD).  One alert per drug and condition entry:
  the most severe matching rule, ties going to the more specific one.
* ``allergy``: a drug that belongs to an allergy group the patient reported, or cross-reacts with it, or is
  the very drug (or in the very class) named as the allergy.
* ``duplicate_therapy``: the same ingredient entered twice (also inside combination products), or two
  different drugs of a class marked ``duplicate_therapy``.

Alerts are sorted by severity (contraindicated, major, moderate, minor) and then by title.  Entries that
could not be resolved are listed in ``unknown`` and never silently ignored.  The result types
(:class:`~medassist.doc.CheckResult`, ``Alert``, ``Involved``, ``Unknown``, ``Resolution``) live in
:mod:`medassist.doc`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations, permutations
from typing import Any

from medassist.doc import (
    DRUG_CHECK_DISCLAIMER,
    DRUG_CHECK_NOTHING_FOUND,
    SEVERITY_RANK,
    Alert,
    AlertAllergy,
    AlertCondition,
    CheckResult,
    EntryKind,
    Involved,
    Resolution,
    Unknown,
)
from medassist.drugs.data import Agent, DrugDB, Interaction, get_db
from medassist.drugs.resolve import Resolver
from medassist.errors import DrugInputError, ErrorCode

MAX_ENTRIES = 50
MAX_ENTRY_LENGTH = 200

DISCLAIMER = DRUG_CHECK_DISCLAIMER
NOTHING_FOUND = DRUG_CHECK_NOTHING_FOUND


# ------------------------------------------------------------------------------------------------ input


_SINGULAR = {"drugs": "drug", "conditions": "condition", "allergies": "allergy"}


def _entries(values: Any, what: str, *, required: bool) -> list[str]:
    if values is None:
        values = []
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise DrugInputError(ErrorCode.E714, what=what.capitalize(), got=type(values).__name__)
    out: list[str] = []
    for v in values:
        if not isinstance(v, str):
            raise DrugInputError(
                ErrorCode.E714, what=what.capitalize(), got=f"an item of type {type(v).__name__}"
            )
        v = v.strip()
        if not v:
            continue
        if len(v) > MAX_ENTRY_LENGTH:
            raise DrugInputError(
                ErrorCode.E713, what=_SINGULAR[what], length=len(v), limit=MAX_ENTRY_LENGTH
            )
        out.append(v)
    if required and not out:
        raise DrugInputError(ErrorCode.E711)
    if len(out) > MAX_ENTRIES:
        raise DrugInputError(ErrorCode.E712, count=len(out), what=what, limit=MAX_ENTRIES)
    return out


# ------------------------------------------------------------------------------------------------ check


def get_resolver(db: DrugDB) -> Resolver:
    """The resolver for ``db`` (built once and kept on the db object)."""
    resolver = db.__dict__.get("_resolver")
    if resolver is None:
        resolver = Resolver(db)
        db.__dict__["_resolver"] = resolver
    return resolver


def check(
    drugs: Sequence[str],
    conditions: Sequence[str] = (),
    allergies: Sequence[str] = (),
    *,
    db: DrugDB | None = None,
) -> CheckResult:
    """Check drugs against each other, the patient's conditions and reported allergies.

    Raises :class:`~medassist.errors.DrugInputError` (an ``E71x`` code with a message saying what to do) when no drug is given
    or the input is not a list of strings.
    """
    drug_entries = _entries(drugs, "drugs", required=True)
    cond_entries = _entries(conditions, "conditions", required=False)
    allergy_entries = _entries(allergies, "allergies", required=False)
    db = db or get_db()
    return _Checker(db, get_resolver(db)).run(drug_entries, cond_entries, allergy_entries)


@dataclass
class _Taken:
    """A resolved drug on the list, with the entry it came from."""

    drug: str
    input: str


class _Checker:
    def __init__(self, db: DrugDB, resolver: Resolver) -> None:
        self.db = db
        self.r = resolver
        self.resolved: list[Resolution] = []
        self.unknown: list[Unknown] = []

    # ---------------------------------------------------------------------------------------- resolving

    def _resolve(self, entries: list[str], kind: EntryKind) -> list[Resolution]:
        out: list[Resolution] = []
        for e in entries:
            found = getattr(self.r, kind)(e)
            if not found:
                self.unknown.append(Unknown(e, kind, self.r.suggestions(e, kind)))
            out += found
        self.resolved += out
        return out

    def run(self, drugs: list[str], conditions: list[str], allergies: list[str]) -> CheckResult:
        taken_all = [_Taken(r.id, r.input) for r in self._resolve(drugs, "drug")]
        cond = self._resolve(conditions, "condition")
        allergy = self._resolve(allergies, "allergy")
        alerts: list[Alert] = []
        alerts += self._duplicates(taken_all)
        taken = list({t.drug: t for t in reversed(taken_all)}.values())[::-1]  # first entry per drug
        alerts += self._interactions(taken)
        alerts += self._contraindications(taken, cond)
        alerts += self._allergies(taken, allergy)
        alerts.sort(key=Alert.sort_key)
        return CheckResult(alerts=alerts, resolved=self.resolved, unknown=self.unknown)

    # ------------------------------------------------------------------------------------------ helpers

    def _name(self, drug: str) -> str:
        return self.db.drugs[drug].name

    def _involved(self, t: _Taken, agent: Agent) -> Involved:
        if agent.kind == "drug" and agent.id == t.drug:
            why = f"{self._name(t.drug)} (named directly)"
        else:
            why = self.db.match(t.drug, agent) or self._name(t.drug)
        return Involved(t.input, t.drug, self._name(t.drug), agent.key, why)

    def _specificity(self, agents: Iterable[Agent]) -> tuple[int, int]:
        """Lower is more specific: (number of class agents, total size of those classes)."""
        classes = [a for a in agents if a.kind == "class"]
        return (len(classes), sum(len(self.db.class_members.get(a.id, ())) for a in classes))

    def _ingredients(self, drug: str) -> frozenset[str]:
        d = self.db.drugs[drug]
        if not d.components:
            return frozenset({drug})
        out: set[str] = set()
        for c in d.components:
            out |= self._ingredients(c)
        return frozenset(out)

    # ------------------------------------------------------------------------------------- interactions

    def _interactions(self, taken: list[_Taken]) -> list[Alert]:
        best: dict[tuple[frozenset[str], str], tuple[tuple[int, int, int], Interaction, list[Involved]]] = {}
        for rule in self.db.interactions:
            n = len(rule.agents)
            matching = [[t for t in taken if self.db.match(t.drug, a)] for a in rule.agents]
            if n > len(taken) or any(not m for m in matching):
                continue
            pool = [t for t in taken if any(t in m for m in matching)]
            for group in combinations(pool, n):
                assignment = self._assign(rule.agents, group)
                if assignment is None:
                    continue
                k = (frozenset(t.drug for t in group), rule.topic)
                spec = (*self._specificity(rule.agents), SEVERITY_RANK[rule.severity])
                if k not in best or spec < best[k][0]:
                    best[k] = (spec, rule, assignment)
        out = []
        for (_drugs, topic), (_spec, rule, involved) in best.items():
            out.append(
                Alert(
                    kind="interaction",
                    severity=rule.severity,
                    title=" + ".join(i.name for i in involved),
                    involved=involved,
                    topic=topic,
                    mechanism=rule.mechanism,
                    effect=rule.effect,
                    management=rule.management,
                    rule=rule.id,
                    sources=self.db.sources_of(rule.sources),
                )
            )
        return out

    def _assign(self, agents: list[Agent], group: tuple[_Taken, ...]) -> list[Involved] | None:
        """Match each agent to a different drug of the group (any order), or None."""
        for order in permutations(group):
            if all(self.db.match(t.drug, a) for t, a in zip(order, agents, strict=True)):
                return [self._involved(t, a) for t, a in zip(order, agents, strict=True)]
        return None

    # --------------------------------------------------------------------------------- contraindications

    def _implied(self, condition: str) -> dict[str, int]:
        """The condition and everything it implies, mapped to distance (0 = the condition itself)."""
        out = {condition: 0}
        frontier = [condition]
        while frontier:
            nxt = []
            for c in frontier:
                for parent in self.db.conditions[c].implies:
                    if parent not in out:
                        out[parent] = out[c] + 1
                        nxt.append(parent)
            frontier = nxt
        return out

    def _contraindications(self, taken: list[_Taken], conditions: list[Resolution]) -> list[Alert]:
        out: list[Alert] = []
        seen: set[tuple[str, str]] = set()
        for res in conditions:
            implied = self._implied(res.id)
            for t in taken:
                candidates = []
                for ci in self.db.contraindications:
                    if ci.condition in implied and self.db.match(t.drug, ci.agent):
                        rank = (
                            SEVERITY_RANK[ci.severity],
                            implied[ci.condition],
                            *self._specificity([ci.agent]),
                        )
                        candidates.append((rank, ci))
                if not candidates:
                    continue
                _, ci = min(candidates, key=lambda c: c[0])
                if (t.drug, ci.id) in seen:
                    continue
                seen.add((t.drug, ci.id))
                cond = self.db.conditions[ci.condition]
                via = "" if ci.condition == res.id else f" (implied by {self.db.conditions[res.id].name})"
                out.append(
                    Alert(
                        kind="contraindication",
                        severity=ci.severity,
                        title=f"{self._name(t.drug)} with {cond.name}{via}",
                        involved=[self._involved(t, ci.agent)],
                        effect=ci.reason,
                        management=ci.management,
                        condition=AlertCondition(id=cond.id, name=cond.name, icd10=cond.icd10, input=res.input),
                        rule=ci.id,
                        sources=self.db.sources_of(ci.sources),
                    )
                )
        return out

    # ----------------------------------------------------------------------------------------- allergies

    def _allergies(self, taken: list[_Taken], allergies: list[Resolution]) -> list[Alert]:
        out: list[Alert] = []
        seen: set[tuple[str, str]] = set()
        for res in allergies:
            if res.target == "allergy_group":
                groups = [res.id]
            elif res.target == "drug":
                groups = [
                    g.id
                    for g in self.db.allergy_groups.values()
                    if any(self.db.match(res.id, m) for m in g.members)
                ]
            else:
                groups = []
            for t in taken:
                alert = self._direct_allergy(t, res) if res.target in ("drug", "class") else None
                for gid in groups:
                    hit = self._group_hit(t, gid)
                    if hit and (alert is None or SEVERITY_RANK[hit.severity] < SEVERITY_RANK[alert.severity]):
                        alert = hit
                if alert is None and res.target == "drug" and not groups:
                    alert = self._same_class_allergy(t, res)
                if alert is not None and (t.drug, alert.rule or "") not in seen:
                    seen.add((t.drug, alert.rule or ""))
                    alert.allergy = AlertAllergy(input=res.input, matched=res.name, target=res.target, id=res.id)
                    out.append(alert)
        return out

    def _group_hit(self, t: _Taken, gid: str) -> Alert | None:
        g = self.db.allergy_groups[gid]
        for m in g.members:
            if self.db.match(t.drug, m):
                return Alert(
                    kind="allergy",
                    severity=g.severity,
                    title=f"{self._name(t.drug)}: {g.name}",
                    involved=[self._involved(t, m)],
                    effect=g.reason,
                    management=g.management,
                    rule=f"allergy:{g.id}",
                    sources=self.db.sources_of(g.sources),
                )
        hits = []
        for x in g.cross_reactivity:
            for a in x.agents:
                if self.db.match(t.drug, a):
                    hits.append((SEVERITY_RANK[x.severity], *self._specificity([a]), x, a))
        if not hits:
            return None
        *_, x, a = min(hits, key=lambda h: h[:3])
        return Alert(
            kind="allergy",
            severity=x.severity,
            title=f"{self._name(t.drug)}: possible cross-reactivity with {g.name}",
            involved=[self._involved(t, a)],
            effect=x.note,
            management=g.management,
            rule=f"allergy:{g.id}:cross",
            sources=self.db.sources_of(g.sources),
        )

    def _direct_allergy(self, t: _Taken, res: Resolution) -> Alert | None:
        agent = Agent(kind="class" if res.target == "class" else "drug", id=res.id)
        if not self.db.match(t.drug, agent):
            return None
        what = "this drug" if agent.kind == "drug" and t.drug == res.id else res.name
        return Alert(
            kind="allergy",
            severity="contraindicated",
            title=f"{self._name(t.drug)}: recorded allergy to {res.name}",
            involved=[self._involved(t, agent)],
            effect=f"An allergy to {what} is recorded, and {self.db.match(t.drug, agent)}.",
            management=(
                "Do not give unless the allergy label has been reviewed and found not to be a true allergy."
            ),
            rule=f"allergy:{agent.key}",
            sources=self.db.sources_of(["nice_drug_allergy"])
            if "nice_drug_allergy" in self.db.sources
            else [],
        )

    def _same_class_allergy(self, t: _Taken, res: Resolution) -> Alert | None:
        shared = [
            c
            for c in self.db.drug_classes(res.id)
            if self.db.classes[c].duplicate_therapy and c in self.db.drug_classes(t.drug)
        ]
        if not shared or t.drug == res.id:
            return None
        cls = self.db.classes[min(shared, key=lambda c: len(self.db.class_members[c]))]
        return Alert(
            kind="allergy",
            severity="minor",
            title=f"{self._name(t.drug)}: same class as {res.name} (recorded allergy)",
            involved=[self._involved(t, Agent(kind="class", id=cls.id))],
            effect=(
                f"{res.name} and {self._name(t.drug)} are both {cls.label}; "
                "cross-sensitivity within a class is "
                "possible but not certain."
            ),
            management=(
                "Check what the reaction to the recorded drug was before giving a drug of the same class."
            ),
            rule=f"allergy:class:{cls.id}",
            sources=self.db.sources_of(cls.sources),
        )

    # ---------------------------------------------------------------------------------- duplicate therapy

    def _duplicates(self, taken: list[_Taken]) -> list[Alert]:
        out: list[Alert] = []
        # 1. The same ingredient more than once (same drug under two names, or inside combinations).
        ingredients = [(t, self._ingredients(t.drug)) for t in taken]
        by_ingredient: dict[str, list[_Taken]] = {}
        for t, parts in ingredients:
            for i in parts:
                by_ingredient.setdefault(i, []).append(t)
        for ing, ts in sorted(by_ingredient.items()):
            if len(ts) < 2:
                continue
            name = self._name(ing)
            entries = ", ".join(repr(t.input) for t in ts)
            out.append(
                Alert(
                    kind="duplicate_therapy",
                    severity="major",
                    title=f"{name} taken more than once",
                    involved=[self._involved(t, Agent(kind="drug", id=ing)) for t in ts],
                    effect=(
                        f"{name} appears in more than one entry ({entries}); "
                        "doses add up and can exceed the safe maximum."
                    ),
                    management=f"Take {name} from one product only and check the total daily dose.",
                    rule=f"duplicate:drug:{ing}",
                    sources=self.db.sources_of(self.db.drugs[ing].sources),
                )
            )
        # 2. Two different drugs of a duplicate-therapy class.
        distinct = list({t.drug: t for t in taken}.values())
        found: dict[str, list[_Taken]] = {}
        for c in self.db.classes.values():
            if not c.duplicate_therapy:
                continue
            members = [t for t in distinct if self.db.match(t.drug, Agent(kind="class", id=c.id))]
            pairs_disjoint = any(
                not (self._ingredients(a.drug) & self._ingredients(b.drug))
                for a, b in combinations(members, 2)
            )
            if len(members) >= 2 and pairs_disjoint:
                found[c.id] = members
        for cid, members in found.items():
            ids = {t.drug for t in members}
            narrower = [
                o
                for o, om in found.items()
                if o != cid and {t.drug for t in om} == ids and o in self._descendants(cid)
            ]
            if narrower:
                continue
            c = self.db.classes[cid]
            agent = Agent(kind="class", id=cid)
            out.append(
                Alert(
                    kind="duplicate_therapy",
                    severity=c.duplicate_severity,
                    title=f"{' + '.join(self._name(t.drug) for t in members)}: more than one {c.name}",
                    involved=[self._involved(t, agent) for t in members],
                    effect=c.duplicate_note or f"More than one drug of the class {c.name} is listed.",
                    management="Check that both are intended (e.g. a planned switch); otherwise stop one.",
                    rule=f"duplicate:class:{cid}",
                    sources=self.db.sources_of(c.sources),
                )
            )
        return out

    def _descendants(self, cid: str) -> set[str]:
        out: set[str] = set()
        stack = list(self.db.classes[cid].includes)
        while stack:
            c = stack.pop()
            if c not in out:
                out.add(c)
                stack += self.db.classes[c].includes
        return out
