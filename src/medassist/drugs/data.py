"""Typed models and loader for the curated drug-safety tables in ``medassist/knowledge/data/drugs/*.yaml``.

    db = DrugDB.load()          # the shipped data (cached by ``get_db()``)
    db = DrugDB.load(folder)    # another folder with the same layout (tests use small fixtures)

The loader validates every entry (pydantic) and then the cross-references: every drug, class and condition
named anywhere exists, ids are unique, every entry has at least one source, no name points at two drugs,
class inclusion has no cycles, and every class has at least one member.  A broken file stops the load with
a catalogued error (E701, E702) naming the file and what to fix; nothing falls back.  Run ``python -m
medassist.drugs.data`` to check the files (it also checks the ICD-10-CM codes).

``db.terms(target)`` is the one index of names (drugs, classes, conditions, allergy groups) that the
resolver, the relation extractor's mention finder and the clinical lexicon read; ``get_entry_words()`` the
words around a name in an entry (``entry_words.yaml``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from medassist.doc import SEVERITY_RANK as SEVERITY_RANK  # re-exported: the checker and tests read it here
from medassist.doc import AlertSeverity
from medassist.errors import DrugDataError, ErrorCode

DATA_DIR = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "drugs"
"""The home of the drug tables, beside the rest of the knowledge base."""

Severity = AlertSeverity

TOPICS: tuple[str, ...] = (
    "bleeding",
    "serotonin",
    "qt",
    "pk_increase",
    "pk_decrease",
    "cns_depression",
    "hyperkalaemia",
    "renal",
    "hypotension",
    "bradycardia",
    "hypoglycaemia",
    "hypertensive",
    "seizure",
    "myopathy",
    "absorption",
    "bone_marrow",
    "anticholinergic",
    "electrolyte",
    "reduced_effect",
    "ototoxicity",
    "other",
)
"""The pathway an interaction works through.  For one pair of drugs, only the most specific rule per topic is
reported (drug-drug beats drug-class beats class-class), so a curated drug-level rule refines a class rule."""

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_ARTICLE = re.compile(r"^(?:an?|the) (?=\S)")
_RXCUI = re.compile(r"^[0-9]{1,8}$")


def normalise(text: str) -> str:
    """Lower-case, strip accents, trademark signs and punctuation noise; collapse whitespace."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("®", "").replace("™", "").replace("\u2019", "'").lower()
    text = re.sub(r"[\s_]+", " ", text)
    return text.strip(" .,;:")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _WithId(_Strict):
    id: str

    @field_validator("id")
    @classmethod
    def _snake_id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r} must be snake_case ascii (a-z, 0-9, _)")
        return v


class Source(_Strict):
    """A public reference an entry was written from."""

    title: str = Field(min_length=3)
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith("https://"):
            raise ValueError("url must start with https://")
        return v


SourceRef = str | Source
"""Either a key of ``sources.yaml`` or an inline ``{title, url}``."""


class Brands(_Strict):
    us: list[str] = Field(default_factory=list)
    uk: list[str] = Field(default_factory=list)


class Drug(_WithId):
    """One drug (or a fixed-combination product, which lists its ``components``)."""

    id: str
    name: str = Field(min_length=2, description="generic name as shown to users")
    other_names: list[str] = Field(default_factory=list, description="other generic names (INN/BAN/USAN)")
    rxcui: str | None = Field(default=None, description="RxNorm ingredient RXCUI; omitted when not certain")
    brands: Brands = Field(default_factory=Brands)
    misspellings: list[str] = Field(default_factory=list)
    classes: list[str] = Field(default_factory=list)
    components: list[str] = Field(default_factory=list, description="drug ids of a combination product")
    sources: list[SourceRef] = Field(min_length=1)

    @field_validator("rxcui")
    @classmethod
    def _rxcui(cls, v: str | None) -> str | None:
        if v is not None and not _RXCUI.match(v):
            raise ValueError("rxcui must be digits only")
        return v


class DrugClass(_WithId):
    """A drug class: therapeutic (duplicate therapy is checked) or a shared property (e.g. QT-prolonging)."""

    id: str
    name: str
    label: str = Field(description="noun phrase with article used in explanations, e.g. 'an NSAID'")
    description: str = Field(min_length=10)
    includes: list[str] = Field(default_factory=list, description="classes whose members also belong here")
    duplicate_therapy: bool = False
    duplicate_severity: Severity = "moderate"
    duplicate_note: str | None = None
    sources: list[SourceRef] = Field(min_length=1)

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        if not _ARTICLE.match(v):
            raise ValueError(f"label {v!r} must start with its article and one space, e.g. 'an NSAID'")
        return v

    @property
    def noun(self) -> str:
        """The label without its article: "an NSAID" -> "NSAID"."""
        return _ARTICLE.sub("", self.label)


class Agent(_Strict):
    """A drug or a class, written ``warfarin`` / ``drug:warfarin`` or ``class:nsaid`` in the YAML."""

    kind: Literal["drug", "class"]
    id: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, raw: Any) -> Agent:
        if isinstance(raw, Agent):
            return raw
        if isinstance(raw, dict) and len(raw) == 1:
            ((kind, ident),) = raw.items()
            return cls(kind=kind, id=str(ident))
        if isinstance(raw, str):
            kind, sep, ident = raw.partition(":")
            if not sep:
                return cls(kind="drug", id=raw.strip())
            return cls(kind=kind.strip(), id=ident.strip())  # type: ignore[arg-type]
        raise ValueError(f"agent {raw!r} must be 'drug_id', 'class:class_id' or {{class: id}}")


def _agents(v: Any) -> Any:
    if isinstance(v, list):
        return [Agent.parse(a) for a in v]
    return Agent.parse(v)


class Interaction(_Strict):
    """A clinically significant interaction between two (or, for 'triple whammy' rules, three) agents."""

    agents: list[Agent] = Field(min_length=2, max_length=3)
    topic: str
    severity: Severity
    mechanism: str = Field(min_length=10)
    effect: str = Field(min_length=10)
    management: str = Field(min_length=10)
    sources: list[SourceRef] = Field(min_length=1)

    @field_validator("agents", mode="before")
    @classmethod
    def _parse_agents(cls, v: Any) -> Any:
        return _agents(v)

    @field_validator("topic")
    @classmethod
    def _topic(cls, v: str) -> str:
        if v not in TOPICS:
            raise ValueError(f"topic {v!r} is not one of {list(TOPICS)}")
        return v

    @property
    def id(self) -> str:
        return "+".join(a.key for a in self.agents) + f"#{self.topic}"


class Condition(_WithId):
    id: str
    name: str
    icd10: str = Field(description="ICD-10-CM code, valid in simple_icd_10_cm (category or billable)")
    synonyms: list[str] = Field(default_factory=list)
    implies: list[str] = Field(
        default_factory=list, description="broader conditions that are then also present"
    )
    sources: list[SourceRef] = Field(default_factory=list)


class Contraindication(_Strict):
    agent: Agent
    condition: str
    severity: Severity
    reason: str = Field(min_length=10)
    management: str = Field(min_length=10)
    sources: list[SourceRef] = Field(min_length=1)

    @field_validator("agent", mode="before")
    @classmethod
    def _parse_agent(cls, v: Any) -> Any:
        return _agents(v)

    @property
    def id(self) -> str:
        return f"{self.agent.key}@{self.condition}"


class CrossReactivity(_Strict):
    agents: list[Agent] = Field(min_length=1)
    severity: Severity
    note: str = Field(min_length=10)

    @field_validator("agents", mode="before")
    @classmethod
    def _parse_agents(cls, v: Any) -> Any:
        return _agents(v)


class AllergyGroup(_WithId):
    id: str
    name: str
    synonyms: list[str] = Field(default_factory=list)
    members: list[Agent] = Field(min_length=1)
    severity: Severity
    reason: str = Field(min_length=10)
    management: str = Field(min_length=10)
    cross_reactivity: list[CrossReactivity] = Field(default_factory=list)
    sources: list[SourceRef] = Field(min_length=1)

    @field_validator("members", mode="before")
    @classmethod
    def _parse_members(cls, v: Any) -> Any:
        return _agents(v)


# ----------------------------------------------------------------------------------------------- loading


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DrugDataError(ErrorCode.E701, path=path, detail=f"cannot read ({exc})") from exc
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise DrugDataError(ErrorCode.E701, path=path, detail=f"YAML syntax: {exc}") from exc


def _section(path: Path, key: str) -> Any:
    data = _read_yaml(path)
    if not isinstance(data, dict) or key not in data:
        raise DrugDataError(
            ErrorCode.E701, path=path, detail=f"expected a mapping with {key!r} at the top"
        )
    return data[key]


def _load_all(folder: Path, stem: str, key: str, model: type[BaseModel], what: str) -> list[Any]:
    """Entries of ``<stem>.yaml`` and every ``<stem>_*.yaml`` chunk in the folder, in name order."""
    paths = sorted(p for p in folder.glob(f"{stem}*.yaml") if p.stem == stem or p.stem.startswith(stem + "_"))
    if not paths:
        raise DrugDataError(ErrorCode.E701, path=folder / f"{stem}.yaml", detail="file not found")
    out: list[Any] = []
    for path in paths:
        out.extend(_models(model, _section(path, key), path, what))
    return out


def _models(model: type[BaseModel], raw: Any, path: Path, what: str) -> list[Any]:
    if not isinstance(raw, list):
        raise DrugDataError(ErrorCode.E701, path=path, detail=f"{what} must be a list")
    out = []
    for i, item in enumerate(raw):
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            ident = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
            raise DrugDataError(ErrorCode.E701, path=path, detail=f"{what} {ident}: {_problems(exc)}") from exc
    return out


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'the file'}: {e['msg']}" for e in exc.errors(include_url=False)
    )


TermTarget = Literal["drug", "class", "condition", "allergy_group"]

TERM_FORMS: dict[str, tuple[str, ...]] = {
    "drug": ("id", "name", "other_name", "brand", "misspelling"),
    "class": ("id", "name", "name_in_parentheses", "name_without_parentheses", "name_before_parenthesis", "noun"),
    "condition": ("id", "name", "synonym"),
    "allergy_group": ("id", "name", "synonym"),
}
"""The forms of a name each kind of entry has, in the order :meth:`DrugDB.terms` gives them.  For a class
"Statins (HMG-CoA reductase inhibitors)" labelled "a statin": ``name_in_parentheses`` is "HMG-CoA reductase
inhibitors", ``name_without_parentheses`` and ``name_before_parenthesis`` are "Statins" (they differ when
the parentheses stand inside the name) and ``noun`` is "statin"."""


@dataclass(frozen=True)
class Term:
    """One name of an entry of the drug tables, as written, and which form of its names it is."""

    text: str
    target: TermTarget
    id: str
    form: str
    display: str
    """The entry's name as shown to users."""


@dataclass
class DrugDB:
    """The loaded, cross-checked data plus indexes used by the resolver and checker."""

    drugs: dict[str, Drug]
    classes: dict[str, DrugClass]
    interactions: list[Interaction]
    conditions: dict[str, Condition]
    contraindications: list[Contraindication]
    allergy_groups: dict[str, AllergyGroup]
    sources: dict[str, Source]
    folder: Path
    memberships: dict[str, dict[str, str]] = field(default_factory=dict)
    """drug id -> agent key ("drug:x", "class:y") -> why the drug matches it ("ibuprofen is an NSAID")."""
    class_members: dict[str, set[str]] = field(default_factory=dict)
    _cache: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    # -------------------------------------------------------------------------------------------- build

    @classmethod
    def load(cls, folder: str | Path | None = None) -> DrugDB:
        folder = Path(folder) if folder is not None else DATA_DIR
        p = folder.joinpath
        raw_sources = _section(p("sources.yaml"), "sources")
        if not isinstance(raw_sources, dict):
            raise DrugDataError(
                ErrorCode.E701, path=p("sources.yaml"), detail="sources must be a mapping"
            )
        sources: dict[str, Source] = {}
        for key, val in raw_sources.items():
            try:
                sources[str(key)] = Source.model_validate(val)
            except ValidationError as exc:
                raise DrugDataError(
                    ErrorCode.E701, path=p("sources.yaml"), detail=f"{key}: {exc}"
                ) from exc
        drugs = _load_all(folder, "drugs", "drugs", Drug, "drug")
        classes = _load_all(folder, "classes", "classes", DrugClass, "class")
        inter = _load_all(folder, "interactions", "interactions", Interaction, "interaction")
        conds = _load_all(folder, "conditions", "conditions", Condition, "condition")
        cis = _load_all(
            folder, "contraindications", "contraindications", Contraindication, "contraindication"
        )
        groups = _load_all(folder, "allergies", "allergy_groups", AllergyGroup, "allergy group")
        problems: list[str] = []
        for what, items in (
            ("drug", drugs),
            ("class", classes),
            ("condition", conds),
            ("allergy group", groups),
        ):
            seen: set[str] = set()
            for it in items:
                if it.id in seen:
                    problems.append(f"duplicate {what} id {it.id!r}")
                seen.add(it.id)
        db = cls(
            drugs={d.id: d for d in drugs},
            classes={c.id: c for c in classes},
            interactions=inter,
            conditions={c.id: c for c in conds},
            contraindications=cis,
            allergy_groups={g.id: g for g in groups},
            sources=sources,
            folder=folder,
        )
        problems += db._integrity()
        if problems:
            raise DrugDataError(
                ErrorCode.E702, count=len(problems), detail="\n".join(f"- {x}" for x in problems)
            )
        db._index()
        return db

    def _agent_exists(self, a: Agent) -> bool:
        return a.id in (self.drugs if a.kind == "drug" else self.classes)

    def _integrity(self) -> list[str]:
        out: list[str] = []

        def refs(where: str, items: Iterable[SourceRef]) -> None:
            n = 0
            for s in items:
                n += 1
                if isinstance(s, str) and s not in self.sources:
                    out.append(f"{where}: unknown source key {s!r} (add it to sources.yaml)")
            if n == 0:
                out.append(f"{where}: no sources")

        for d in self.drugs.values():
            refs(f"drug {d.id}", d.sources)
            out += [f"drug {d.id}: unknown class {c!r}" for c in d.classes if c not in self.classes]
            out += [
                f"drug {d.id}: unknown component {c!r}"
                for c in d.components
                if c not in self.drugs or c == d.id
            ]
            if not d.classes and not d.components:
                out.append(f"drug {d.id}: needs at least one class (or components)")
        for c in self.classes.values():
            refs(f"class {c.id}", c.sources)
            out += [
                f"class {c.id}: includes unknown class {x!r}" for x in c.includes if x not in self.classes
            ]
        out += self._cycles()
        for r in self.interactions:
            refs(f"interaction {r.id}", r.sources)
            out += [
                f"interaction {r.id}: unknown {a.kind} {a.id!r}"
                for a in r.agents
                if not self._agent_exists(a)
            ]
        keys = [(frozenset(a.key for a in r.agents), len(r.agents), r.topic) for r in self.interactions]
        for k in {k for k in keys if keys.count(k) > 1}:
            out.append(f"interaction listed twice for {sorted(k[0])} topic {k[2]!r}")
        for cond in self.conditions.values():
            refs(f"condition {cond.id}", cond.sources)
            out += [f"condition {cond.id}: implies unknown {x!r}" for x in cond.implies if x not in self.conditions]
        for ci in self.contraindications:
            refs(f"contraindication {ci.id}", ci.sources)
            if not self._agent_exists(ci.agent):
                out.append(f"contraindication {ci.id}: unknown {ci.agent.kind} {ci.agent.id!r}")
            if ci.condition not in self.conditions:
                out.append(f"contraindication {ci.id}: unknown condition {ci.condition!r}")
        ci_keys = [ci.id for ci in self.contraindications]
        out += [
            f"contraindication listed twice: {k}"
            for k in sorted({k for k in ci_keys if ci_keys.count(k) > 1})
        ]
        for g in self.allergy_groups.values():
            refs(f"allergy group {g.id}", g.sources)
            agents = [*g.members, *(a for x in g.cross_reactivity for a in x.agents)]
            out += [
                f"allergy group {g.id}: unknown {a.kind} {a.id!r}"
                for a in agents
                if not self._agent_exists(a)
            ]
        out += self._name_clashes()
        if not out:
            members = self._class_members()
            out += [f"class {c} has no member drugs" for c, m in members.items() if not m]
        return out

    def _cycles(self) -> list[str]:
        out = []
        for start in self.classes:
            stack, seen = list(self.classes[start].includes), set()
            while stack:
                cur = stack.pop()
                if cur == start:
                    out.append(f"class {start}: inclusion cycle")
                    break
                if cur in seen or cur not in self.classes:
                    continue
                seen.add(cur)
                stack += self.classes[cur].includes
        return out

    def _name_clashes(self) -> list[str]:
        owner: dict[str, str] = {}
        out = []
        for d in self.drugs.values():
            names = {
                normalise(n)
                for n in [d.id, d.name, *d.other_names, *d.brands.us, *d.brands.uk, *d.misspellings]
            }
            for n in names:
                if n in owner and owner[n] != d.id:
                    out.append(f"name {n!r} belongs to both {owner[n]} and {d.id}")
                owner[n] = d.id
        return out

    def _class_members(self) -> dict[str, set[str]]:
        direct: dict[str, set[str]] = {c: set() for c in self.classes}
        for d in self.drugs.values():
            for c in self.drug_classes(d.id):
                direct[c].add(d.id)
        return direct

    def drug_classes(self, drug_id: str) -> dict[str, str]:
        """All classes of a drug (own, included, via components) mapped to an explanation."""
        return {
            k.split(":", 1)[1]: why for k, why in self._memberships(drug_id).items() if k.startswith("class:")
        }

    def _memberships(self, drug_id: str) -> dict[str, str]:
        if drug_id in self._cache:
            return self._cache[drug_id]
        d = self.drugs[drug_id]
        out: dict[str, str] = {f"drug:{d.id}": d.name}

        def add_class(cid: str, why: str) -> None:
            key = f"class:{cid}"
            if key in out:
                return
            out[key] = why
            for parent in self.classes.values():
                if cid in parent.includes:
                    add_class(parent.id, f"{why}, so {parent.label}")

        for cid in d.classes:
            add_class(cid, f"{d.name} is {self.classes[cid].label}")
        for comp in d.components:
            for key, explanation in self._memberships(comp).items():
                if key not in out:
                    why = explanation if key == f"drug:{comp}" else f"{self.drugs[comp].name}; {explanation}"
                    out[key] = f"{d.name} contains {why}"
        self._cache[drug_id] = out
        return out

    def _index(self) -> None:
        self.memberships = {d: self._memberships(d) for d in self.drugs}
        self.class_members = self._class_members()

    # ------------------------------------------------------------------------------------------- lookups

    def terms(self, target: TermTarget) -> list[Term]:
        """Every name of every drug, class, condition or allergy group, in table order, each entry's forms in
        the order of :data:`TERM_FORMS` (a form may repeat another's text; readers keep what they need).

        The one index of names: the resolver, the relation extractor's mention finder and the clinical
        lexicon (``medassist.nlp.lexicon``) all read it."""
        out: list[Term] = []
        if target == "drug":
            for d in self.drugs.values():
                forms = [("id", d.id), ("name", d.name), *(("other_name", n) for n in d.other_names),
                         *(("brand", n) for n in [*d.brands.us, *d.brands.uk]),
                         *(("misspelling", n) for n in d.misspellings)]
                out += [Term(text, "drug", d.id, form, d.name) for form, text in forms]
        elif target == "class":
            for c in self.classes.values():
                forms = [("id", c.id), ("name", c.name),
                         *(("name_in_parentheses", n) for n in re.findall(r"\(([^)]+)\)", c.name)),
                         ("name_without_parentheses", re.sub(r"\s*\([^)]*\)", "", c.name)),
                         ("name_before_parenthesis", c.name.split("(")[0]), ("noun", c.noun)]
                out += [Term(text, "class", c.id, form, c.name) for form, text in forms]
        else:
            entries: Iterable[Condition | AllergyGroup] = (
                self.conditions.values() if target == "condition" else self.allergy_groups.values()
            )
            for e in entries:
                forms = [("id", e.id), ("name", e.name), *(("synonym", n) for n in e.synonyms)]
                out += [Term(text, target, e.id, form, e.name) for form, text in forms]
        return out

    def source(self, ref: SourceRef) -> Source:
        return self.sources[ref] if isinstance(ref, str) else ref

    def sources_of(self, refs: Iterable[SourceRef]) -> list[dict[str, str]]:
        return [self.source(r).model_dump() for r in refs]

    def match(self, drug_id: str, agent: Agent) -> str | None:
        """The explanation if the drug matches the agent (by id, component or class), else None."""
        return self.memberships[drug_id].get(agent.key)

    def counts(self) -> dict[str, int]:
        return {
            "drugs": len(self.drugs),
            "classes": len(self.classes),
            "interactions": len(self.interactions),
            "conditions": len(self.conditions),
            "contraindications": len(self.contraindications),
            "allergy_groups": len(self.allergy_groups),
        }


@functools.lru_cache(maxsize=1)
def get_db() -> DrugDB:
    """The shipped data, loaded once per process."""
    return DrugDB.load()


ENTRY_WORDS = DATA_DIR / "entry_words.yaml"


class _EntryWordsFile(_Strict):
    noise_words: dict[str, list[str]] = Field(min_length=1)
    noise_token: str
    salt_words: list[str] = Field(min_length=1)
    allergy_words: list[str] = Field(min_length=1)

    @field_validator("noise_words")
    @classmethod
    def _groups(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for words in v.values():
            _plain_words(words)
        return v

    @field_validator("salt_words", "allergy_words")
    @classmethod
    def _words(cls, v: list[str]) -> list[str]:
        return _plain_words(v)

    @field_validator("noise_token")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a Python regular expression ({exc})") from exc
        return v


def _plain_words(words: list[str]) -> list[str]:
    bad = [w for w in words if not w or w != w.strip().lower()]
    if bad:
        raise ValueError(f"words must be lower case, without spaces around them (not {bad})")
    return words


@dataclass(frozen=True)
class EntryWords:
    """The words around a name in a user's entry (``entry_words.yaml``), ready to use."""

    noise: frozenset[str]
    noise_token: re.Pattern[str]
    salts: frozenset[str]
    allergy: re.Pattern[str]


def load_entry_words(path: str | Path | None = None) -> EntryWords:
    """Read ``entry_words.yaml`` (or another file of that shape); a broken file raises E701 naming it."""
    path = Path(path) if path is not None else ENTRY_WORDS
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        keys = ", ".join(_EntryWordsFile.model_fields)
        raise DrugDataError(ErrorCode.E701, path=path, detail=f"expected a mapping with {keys}")
    try:
        f = _EntryWordsFile.model_validate(raw)
    except ValidationError as exc:
        raise DrugDataError(ErrorCode.E701, path=path, detail=_problems(exc)) from exc
    alternation = "|".join(re.escape(w) for w in f.allergy_words)
    return EntryWords(
        noise=frozenset(w for words in f.noise_words.values() for w in words),
        noise_token=re.compile(f.noise_token),
        salts=frozenset(f.salt_words),
        allergy=re.compile(rf"\b(?:{alternation})\b", re.IGNORECASE),
    )


@functools.lru_cache(maxsize=1)
def get_entry_words() -> EntryWords:
    """The shipped entry words, read once per process."""
    return load_entry_words()


def invalid_icd10_codes(db: DrugDB) -> list[str]:
    """Conditions whose ICD-10-CM code is not valid in ``simple_icd_10_cm`` (imported here: it is slow)."""
    import simple_icd_10_cm as cm

    return [f"{c.id}: {c.icd10}" for c in db.conditions.values() if not cm.is_valid_item(c.icd10)]


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - a command-line convenience
    """Load and cross-check the tables (or another folder given as the only argument) and the entry words
(``entry_words.yaml``, when that folder has one); print counts.

    Exit status 0 when the data is valid, 1 when loading fails or an ICD-10-CM code is invalid.
    """
    import sys

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else None
    words = (folder or DATA_DIR) / ENTRY_WORDS.name
    try:
        db = DrugDB.load(folder)
        if folder is None or words.exists():
            load_entry_words(words)
    except DrugDataError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    bad = invalid_icd10_codes(db)
    for b in bad:
        print(f"invalid ICD-10-CM code: {b}", file=sys.stderr)
    print(", ".join(f"{k}: {v}" for k, v in db.counts().items()))
    if not bad:
        print(f"OK: {db.folder} is valid")
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
