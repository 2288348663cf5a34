"""Synthetic patients generated from the knowledge base (in the manner of DDXPlus).

A patient is sampled in three steps: demographics (age band by population share, sex), a condition
(by its age- and sex-specific prior, or a given one), then findings (each linked finding present
with its ``p``, an unrelated finding now and then at its base rate).  The patient's story is then
written as a short narrative in one of three registers: the patient's own words, a parent writing
about a child, or a clinician's shorthand.  Some absent findings are stated as negatives ("no
fever", "denies chest pain").  Every mentioned finding keeps its character span, so the same record
is a gold standard for intake (spans), reasoning (condition, triage) and a training example for a
neural model that reads the narrative directly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from medassist.knowledge.kb import KnowledgeBase
from medassist.knowledge.schema import AGE_BANDS

# Rough share of each age band among people consulting primary care (UK/US order of magnitude).
BAND_SHARE = {"0-1": 0.04, "2-11": 0.12, "12-17": 0.07, "18-39": 0.27, "40-64": 0.30, "65+": 0.20}
BAND_RANGE = {"0-1": (0.1, 1.9), "2-11": (2, 11), "12-17": (12, 17), "18-39": (18, 39), "40-64": (40, 64), "65+": (65, 92)}
DURATION_TEXT = {
    "hours": ["since this morning", "for the last few hours", "since about 2 hours ago", "since last night"],
    "days": ["for 3 days", "for a couple of days", "since Monday", "for the past 5 days", "for about a week"],
    "weeks": ["for 3 weeks", "for the past few weeks", "for about a month", "for 2 weeks now"],
    "months": ["for several months", "for 4 months", "for the past year", "on and off for months"],
}
DURATION_CLIN = {"hours": ["{n}h", "onset today"], "days": ["{n}/7", "{n} days"], "weeks": ["{n}/52", "{n} wks"], "months": ["{n}/12", "{n} months"]}
ONSET_TEXT = {"sudden": ["it came on suddenly", "it started all of a sudden", "it came on out of nowhere"],
              "gradual": ["it came on gradually", "it has slowly got worse", "it built up over time"]}


@dataclass
class Mention:
    id: str
    present: bool
    start: int
    end: int
    text: str


@dataclass
class SyntheticPatient:
    id: str
    condition: str
    triage: str
    age: float
    sex: str
    present: list[str]
    absent: list[str]
    duration: str | None
    onset: str | None
    register: str
    text: str = ""
    mentions: list[Mention] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Writer:
    """Accumulates text and the spans of the finding phrases written into it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.mentions: list[Mention] = []

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)

    def phrase(self, fid: str, present: bool, s: str) -> None:
        self.mentions.append(Mention(fid, present, self.length, self.length + len(s), s))
        self.add(s)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s and not s[:2].isupper() else s


class PatientGenerator:
    def __init__(self, kb: KnowledgeBase, seed: int = 0, *, noise_findings: float = 0.3, negatives: tuple[int, int] = (0, 3)) -> None:
        self.kb = kb
        self.rng = random.Random(seed)
        self.noise = noise_findings
        self.negatives = negatives
        self.ids = sorted(kb.conditions)
        self.symptoms = [f for f in sorted(kb.findings) if kb.findings[f].kind in ("symptom", "sign")]
        self._n = 0

    # ------------------------------------------------------------------ sampling
    def _demographics(self, condition: str | None) -> tuple[float, str]:
        rng = self.rng
        bands = list(AGE_BANDS)
        weights = [BAND_SHARE[b] for b in bands]
        sexes = ["female", "male"]
        if condition is not None:
            prev = self.kb.conditions[condition].prevalence
            weights = [w * prev.age[b] for w, b in zip(weights, bands, strict=True)]
            sw = [prev.sex[s] for s in sexes]
        else:
            sw = [1.0, 1.0]
        band = rng.choices(bands, weights)[0]
        lo, hi = BAND_RANGE[band]
        age = round(rng.uniform(lo, hi), 1) if band == "0-1" else float(rng.randint(int(lo), int(hi)))
        return age, rng.choices(sexes, sw)[0]

    def sample(self, condition: str | None = None) -> SyntheticPatient:
        rng = self.rng
        age, sex = self._demographics(condition)
        if condition is None:
            weights = [self.kb.prior(c, age, sex) for c in self.ids]
            condition = rng.choices(self.ids, weights)[0]
        cond = self.kb.conditions[condition]
        for _ in range(20):
            present = [lk.id for lk in cond.links if rng.random() < lk.p]
            if any(self.kb.findings[f].kind in ("symptom", "sign") for f in present):
                break
        else:
            top = max(cond.findings, key=lambda lk: lk.p)
            present = [top.id]
        listed = {lk.id for lk in cond.links}
        if rng.random() < self.noise:
            extra = rng.choice(self.symptoms)
            if extra not in listed and rng.random() < 0.5:
                present.append(extra)
        absent_pool = [lk.id for lk in cond.links if lk.id not in present and lk.p < 0.5] + [
            lk.id for lk in cond.findings if lk.id not in present
        ]
        n_neg = rng.randint(*self.negatives)
        absent = list(dict.fromkeys(rng.sample(absent_pool, min(n_neg, len(absent_pool))))) if absent_pool else []
        present = self._drop_redundant_parents(present)
        duration = rng.choice(cond.duration) if cond.duration and rng.random() < 0.85 else rng.choice([None, "days", "weeks"])
        onset = rng.choice(cond.onset) if cond.onset and rng.random() < 0.5 else None
        if age < 12:
            register = rng.choice(["parent", "parent", "clinical"])
        else:
            register = rng.choice(["lay", "lay", "lay", "clinical"])
        self._n += 1
        pat = SyntheticPatient(f"syn{self._n:06d}", condition, cond.triage, age, sex, present, absent, duration, onset, register)
        self._render(pat)
        return pat

    def _drop_redundant_parents(self, present: list[str]) -> list[str]:
        """When a specific finding is present, its generic parent need not be mentioned separately."""
        ids = set(present)
        out = []
        for f in present:
            if any(o != f and o.startswith(f + "_") for o in ids):
                continue
            out.append(f)
        return out

    def stream(self, n: int, *, balanced: bool = False) -> Iterator[SyntheticPatient]:
        for k in range(n):
            yield self.sample(self.ids[k % len(self.ids)] if balanced else None)

    # ------------------------------------------------------------------ rendering
    def _lay(self, fid: str) -> str:
        f = self.kb.findings[fid]
        choices = list(f.lay) + ([_lower_first(f.name)] if self.rng.random() < 0.15 else [])
        return self.rng.choice(choices)

    def _clin(self, fid: str) -> str:
        f = self.kb.findings[fid]
        choices = list(f.clinical) + [_lower_first(f.name)]
        return self.rng.choice(choices)

    def _render(self, pat: SyntheticPatient) -> None:
        rng = self.rng
        w = Writer()
        pos = list(pat.present)
        rng.shuffle(pos)
        if pat.register == "clinical":
            sex = "F" if pat.sex == "female" else "M"
            age = f"{int(pat.age)}" if pat.age >= 2 else f"{int(round(pat.age * 12))}mo"
            w.add(rng.choice([f"{age}{sex} c/o ", f"{age} y/o {'female' if sex == 'F' else 'male'} presenting with ", f"Pt {age}{sex}, "]))
            for k, fid in enumerate(pos):
                if k:
                    w.add(", " if k < len(pos) - 1 else rng.choice([" and ", ", "]))
                w.phrase(fid, True, self._clin(fid))
            if pat.duration:
                n = rng.randint(2, 5)
                w.add(". " + rng.choice(DURATION_CLIN[pat.duration]).format(n=n))
            if pat.absent:
                w.add(". " + rng.choice(["Denies ", "No ", "Neg for "]))
                for k, fid in enumerate(pat.absent):
                    if k:
                        w.add(", " if k < len(pat.absent) - 1 else " or ")
                    w.phrase(fid, False, self._clin(fid))
            w.add(".")
        else:
            parent = pat.register == "parent"
            if parent:
                kid = ("daughter" if pat.sex == "female" else "son") if rng.random() < 0.7 else "baby" if pat.age < 2 else "child"
                age_s = f"{int(round(pat.age * 12))} month old" if pat.age < 2 else f"{int(pat.age)} year old"
                w.add(rng.choice([f"My {age_s} {kid} has ", f"Our {kid} ({age_s}) has had ", f"My {kid} is {age_s} and has "]))
            else:
                if rng.random() < 0.4:
                    sex_word = "woman" if pat.sex == "female" else "man"
                    w.add(rng.choice([f"I'm a {int(pat.age)} year old {sex_word}. ", f"{int(pat.age)}{'F' if pat.sex == 'female' else 'M'} here. "]))
                w.add(rng.choice(["I have ", "I've got ", "I've had ", "Help, ", "", "Since a while ", "I keep getting "]) if rng.random() < 0.7 else "")
            for k, fid in enumerate(pos):
                if k:
                    w.add(", " if k < len(pos) - 1 else rng.choice([" and ", ", also ", ". Also "]))
                w.phrase(fid, True, self._lay(fid))
            if pat.duration:
                w.add(" " + rng.choice(DURATION_TEXT[pat.duration]))
            w.add(".")
            if pat.onset and rng.random() < 0.7:
                w.add(" " + rng.choice(ONSET_TEXT[pat.onset]).capitalize() + ".")
            if pat.absent:
                subj = "They" if parent else "I"
                style = rng.random()
                if style < 0.4:
                    w.add(" No ")
                    for k, fid in enumerate(pat.absent):
                        if k:
                            w.add(", " if k < len(pat.absent) - 1 else " or ")
                        w.phrase(fid, False, _lower_first(self.kb.findings[fid].name))
                    w.add(".")
                else:
                    for fid in pat.absent:
                        w.add(" " + rng.choice([f"{subj} don't have ", f"{subj} haven't had ", "There is no ", "Not "]))
                        w.phrase(fid, False, _lower_first(self.kb.findings[fid].name))
                        w.add(".")
        pat.text = w.text
        pat.mentions = w.mentions
