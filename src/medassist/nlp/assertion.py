"""Assertion status of entities (component ``assertion``): negated, possible, historical, hypothetical, family.

ConText-style: cue phrases with a category and a direction open a scope of up to ``max_scope`` tokens;
the scope stops at a terminator ("but", "however", ";"), at the end of the sentence (unless the rule says
``cross_sentence: true``) and at the edge of the section.  Pseudo-cues ("no change", "gram negative")
hide the shorter cues inside them.  Every entity that overlaps a scope gets the flag and the cue is
recorded in ``ent.assertion_cues`` (``"negated:denies"``).  Then section rules apply: everything in
Family History is ``family``, in Past Medical/Surgical History ``historical``, tests and procedures in
Plan ``hypothetical`` (``"section:plan"`` is recorded).  For family entities the relative named by the
cue, if any, is kept in ``ent.attributes["relative"]``.

The rules are data: ``knowledge/data/terms/context_rules.yaml`` (see its header for the format), found by
``medassist.knowledge.terms.rules_file``; the words naming a relative are the vocabulary ``relatives``.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medassist.doc import ASSERTION_FLAGS, Entity, Note
from medassist.errors import ConfigError, ErrorCode
from medassist.knowledge.terms import rules_file, terms
from medassist.matcher import PhraseMatcher, Token, all_note_tokens
from medassist.nlp._text import tokens

CATEGORIES = (*ASSERTION_FLAGS, "pseudo", "terminate")
DIRECTIONS = ("forward", "backward", "bidirectional")


@functools.lru_cache(maxsize=1)
def relatives() -> frozenset[str]:
    """Family cues that name the relative (vocabulary ``relatives``), kept as ``attributes["relative"]``."""
    return terms("relatives").words()


@dataclass(frozen=True)
class ContextRule:
    cue: str
    category: str
    direction: str = "forward"
    max_scope: int = 12
    cross_sentence: bool = False
    clause: bool = False  # the scope stays inside its clause: it stops at "and", "then", "so", "because", "," and ";"


# the words and marks that end a clause-bound scope (``clause: true``)
CLAUSE_BOUNDARIES = frozenset({"and", "then", "so", "because", ",", ";"})


@dataclass
class RuleSet:
    rules: list[ContextRule]
    section_rules: dict[str, dict[str, Any]]
    cues: PhraseMatcher[ContextRule]
    cross_sentence: bool = False


def _read_rules(p: Path) -> tuple[dict[str, Any], list[ContextRule]]:
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(ErrorCode.E510, path=p, detail=type(exc).__name__) from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigError(ErrorCode.E510, path=p, detail="expected a mapping with a list under 'rules'")
    default_scope = int((data.get("defaults") or {}).get("max_scope", 12))
    rules: list[ContextRule] = []
    for i, raw in enumerate(data["rules"], 1):
        if not isinstance(raw, dict) or "cue" not in raw or raw.get("category") not in CATEGORIES:
            raise ConfigError(
                ErrorCode.E510, path=p, detail=f"rule {i}: needs a cue and a category in {list(CATEGORIES)}"
            )
        direction = raw.get("direction", "forward")
        if direction not in DIRECTIONS:
            raise ConfigError(
                ErrorCode.E510, path=p, detail=f"rule {i}: direction must be one of {list(DIRECTIONS)}"
            )
        rule = ContextRule(
            cue=str(raw["cue"]).lower(),
            category=raw["category"],
            direction=direction,
            max_scope=int(raw.get("max_scope", default_scope)),
            cross_sentence=bool(raw.get("cross_sentence", False)),
            clause=bool(raw.get("clause", False)),
        )
        if not all_note_tokens(rule.cue):
            raise ConfigError(ErrorCode.E510, path=p, detail=f"rule {i}: empty cue")
        rules.append(rule)
    section_rules = data.get("section_rules") or {}
    for name, flags in section_rules.items():
        bad = [k for k in flags if k not in ASSERTION_FLAGS and k != "labels"]
        if bad:
            raise ConfigError(ErrorCode.E510, path=p, detail=f"section rule {name!r}: unknown keys {bad}")
    return section_rules, rules


@functools.lru_cache(maxsize=8)
def load_rules(path: str | None = None, extra: tuple[str, ...] = ()) -> RuleSet:
    """The ConText rules of ``path`` (default: the shipped file), then those of each ``extra`` file (by path,
    or a shipped name such as ``"patient"`` for ``context_rules_patient.yaml``); a later rule for the same
    cue wins."""
    section_rules, rules = _read_rules(Path(path) if path else rules_file("context_rules"))
    for name in extra:
        ep = Path(name) if Path(name).suffix else rules_file(f"context_rules_{name}")
        more_sections, more = _read_rules(ep)
        section_rules = {**section_rules, **more_sections}
        rules = rules + more
    cues: PhraseMatcher[ContextRule] = PhraseMatcher(all_note_tokens, merge=lambda old, new: new)  # a later rule wins
    for rule in rules:
        cues.add(rule.cue, rule)
    return RuleSet(rules, section_rules, cues, any(r.cross_sentence for r in rules))


@dataclass
class _Cue:
    i: int  # first token index
    j: int  # last token index (inclusive)
    rule: ContextRule


class AssertionDetector:
    reads: tuple[str, ...] = ("entities",)
    uses: tuple[str, ...] = ("sentences", "sections")  # scope bounds when present (else its own sentence split)
    writes: tuple[str, ...] = ("entities",)

    def __init__(self, rules: RuleSet, use_sections: bool = True) -> None:
        self.rules = rules
        self.use_sections = use_sections

    def _cues(self, text: str, toks: list[Token]) -> list[_Cue]:
        return [_Cue(m.first, m.last, m.value) for m in self.rules.cues.match(text, toks)]

    def __call__(self, note: Note) -> Note:
        if not note.entities:
            return note
        text = note.text
        sentences = note.sentences or _fallback_sentences(text)
        sent_starts = [s for s, _ in sentences]
        # group entities by sentence
        by_sent: dict[int, list[Entity]] = {}
        for ent in note.entities:
            k = bisect.bisect_right(sent_starts, ent.start) - 1
            by_sent.setdefault(max(k, 0), []).append(ent)
        sec_bounds = sorted((s.start, s.end) for s in note.sections)
        # sentences without entities matter only when some rule's scope may leave its sentence
        todo = range(len(sentences)) if self.rules.cross_sentence else sorted(by_sent)
        for k in todo:
            ents = by_sent.get(k, [])
            s_start, s_end = sentences[k]
            self._apply(text, s_start, s_end, ents, sentences, k, sec_bounds, note.entities)
        if self.use_sections and note.sections:
            self._apply_sections(note)
        return note

    def _apply(
        self,
        text: str,
        s_start: int,
        s_end: int,
        ents: list[Entity],
        sentences: list[tuple[int, int]],
        k: int,
        sec_bounds: list[tuple[int, int]],
        all_ents: list[Entity],
    ) -> None:
        toks = [Token(t.start + s_start, t.end + s_start, t.key) for t in all_note_tokens(text[s_start:s_end])]
        cues = self._cues(text, toks)
        terminators = [c.i for c in cues if c.rule.category == "terminate"]
        boundaries = [i for i, t in enumerate(toks) if t.key in CLAUSE_BOUNDARIES]
        for cue in cues:
            cat = cue.rule.category
            if cat in ("pseudo", "terminate"):
                continue
            ranges: list[tuple[int, int]] = []
            if cue.rule.direction in ("forward", "bidirectional"):
                last = cue.j + cue.rule.max_scope
                nxt = [t for t in terminators if t > cue.j]
                if cue.rule.clause:
                    nxt = sorted(nxt + [t for t in boundaries if t > cue.j])
                if nxt:
                    last = min(last, nxt[0] - 1)
                last = min(last, len(toks) - 1)
                if last > cue.j:
                    end_char = toks[last].end
                    if cue.rule.cross_sentence and last == len(toks) - 1:
                        end_char = _extend(
                            text,
                            sentences,
                            k,
                            cue.rule.max_scope - (last - cue.j),
                            sec_bounds,
                            toks[cue.j].end,
                        )
                    ranges.append((toks[cue.j].end, end_char))
            if cue.rule.direction in ("backward", "bidirectional"):
                first = cue.i - cue.rule.max_scope
                prev = [t for t in terminators if t < cue.i]
                if cue.rule.clause:
                    prev = sorted(prev + [t for t in boundaries if t < cue.i])
                if prev:
                    first = max(first, prev[-1] + 1)
                first = max(first, 0)
                if first < cue.i:
                    ranges.append((toks[first].start, toks[cue.i].start))
            cue_start, cue_end = toks[cue.i].start, toks[cue.j].end
            for ent in all_ents if cue.rule.cross_sentence else ents:
                if ent.start < cue_end and cue_start < ent.end and not (
                    (cue_start < ent.start and cue.rule.direction in ("forward", "bidirectional"))
                    or (cue_end > ent.end and cue.rule.direction in ("backward", "bidirectional"))
                ):
                    continue  # the cue is part of the entity (but "no known" reaches over "known diabetes")
                if any(ent.start < b and a < ent.end for a, b in ranges):
                    setattr(ent, cat, True)
                    label = f"{cat}:{cue.rule.cue}"
                    if label not in ent.assertion_cues:
                        ent.assertion_cues.append(label)
                    if cat == "family" and cue.rule.cue in relatives():
                        ent.attributes.setdefault("relative", cue.rule.cue)

    def _apply_sections(self, note: Note) -> None:
        starts = [s.start for s in note.sections]
        for ent in note.entities:
            i = bisect.bisect_right(starts, ent.start) - 1
            if i < 0 or ent.start >= note.sections[i].end:
                continue
            sec = note.sections[i]
            ent.section = sec.name
            rule = self.rules.section_rules.get(sec.name)
            if not rule:
                continue
            labels = rule.get("labels")
            if labels and ent.label not in labels:
                continue
            for flag in ASSERTION_FLAGS:
                if rule.get(flag):
                    setattr(ent, flag, True)
                    cue = f"{flag}:section:{sec.name}"
                    if cue not in ent.assertion_cues:
                        ent.assertion_cues.append(cue)


def _extend(
    text: str,
    sentences: list[tuple[int, int]],
    k: int,
    budget: int,
    sec_bounds: list[tuple[int, int]],
    origin: int,
) -> int:
    """End offset of a scope that may run ``budget`` more tokens into the following sentences (same section)."""
    end = sentences[k][1]
    sec_end = len(text)
    for a, b in sec_bounds:
        if a <= origin < b:
            sec_end = b
    j = k + 1
    while budget > 0 and j < len(sentences) and sentences[j][0] < sec_end:
        s, e = sentences[j]
        toks = tokens(text[s:e])
        if len(toks) <= budget:
            end = e
            budget -= len(toks)
        else:
            end = s + toks[budget - 1][1]
            budget = 0
        j += 1
    return min(end, sec_end)


def _fallback_sentences(text: str) -> list[tuple[int, int]]:
    from medassist.nlp.sentences import split_sentences

    return split_sentences(text) or [(0, len(text))]


def make_assertion(rules_path: str | None = None, use_sections: bool = True,
                   extra_rules: list[str] | None = None) -> AssertionDetector:
    """Factory for the ``assertion`` component (settings documented in configs/pipeline.yaml)."""
    return AssertionDetector(load_rules(rules_path, tuple(extra_rules or ())), use_sections=use_sections)
