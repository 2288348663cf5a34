"""Lexicon entity matcher (component ``entities``) and the merge rules shared with the ``ner`` component.

The matcher adds ``Entity(source="lexicon")`` for every lexicon term found (see ``nlp/lexicon.py``),
skipping section headings.  It then resolves overlaps among everything in ``note.entities`` -- its own
matches and any entities already there, e.g. from the transformer ``ner`` component when that runs
first -- with :func:`merge_entities`.  The ``ner`` component, if it runs later, should call
:func:`merge_entities` itself.

Merge precedence (documented in configs/pipeline.yaml too):

1. the same span with the same label from several sources becomes one entity: sources joined
   (``"lexicon+ner"``), concepts pooled;
2. of two overlapping entities the longer span wins;
3. on equal length, an entity found by both sources wins; then ``ner`` wins for ``drug`` and ``problem`` (a trained model knows the context), the
   lexicon wins for ``finding``, ``test``, ``procedure``, ``anatomy`` and ``allergy`` (its vocabulary is
   curated), and otherwise the higher score wins;
4. a winner that has no concepts takes over the concepts of a loser with the same label, so a longer
   ``ner`` span still carries the lexicon's code.
"""

from __future__ import annotations

import bisect

from medassist.doc import Concept, Entity, Note
from medassist.errors import ConfigError, ErrorCode
from medassist.nlp.lexicon import LABELS, Lexicon, Match, build_lexicon

HISTORY_RANK = 5  # precedence of knowledge-base history / risk-factor phrases (see lexicon._kb_terms)

NER_PREFERRED = frozenset({"drug", "problem"})


def _is_ner(ent: Entity) -> bool:
    return "ner" in ent.source.split("+")


def _beats(a: Entity, b: Entity) -> bool:
    """True if ``a`` should be kept over ``b`` (they overlap)."""
    if a.length != b.length:
        return a.length > b.length
    na, nb = len(a.source.split("+")), len(b.source.split("+"))
    if na != nb:
        return na > nb  # found by both the lexicon and the model
    if _is_ner(a) != _is_ner(b):
        label = a.label if _is_ner(a) else b.label
        ner_wins = label in NER_PREFERRED
        return _is_ner(a) == ner_wins
    return a.score >= b.score


def merge_entities(ents: list[Entity]) -> list[Entity]:
    """Resolve duplicates and overlaps with the precedence in the module docstring; sorted by offset."""
    by_key: dict[tuple[int, int, str], Entity] = {}
    for ent in ents:
        key = (ent.start, ent.end, ent.label)
        if key in by_key:
            kept = by_key[key]
            sources = sorted(set(kept.source.split("+")) | set(ent.source.split("+")) - {""})
            kept.source = "+".join(sources)
            have = {(c.system, c.code) for c in kept.concepts}
            kept.concepts.extend(c for c in ent.concepts if (c.system, c.code) not in have)
            for k, v in ent.attributes.items():
                kept.attributes.setdefault(k, v)
            kept.score = max(kept.score, ent.score)
        else:
            by_key[key] = ent
    candidates = sorted(by_key.values(), key=lambda e: (-e.length, e.start))
    kept_list: list[Entity] = []
    starts: list[int] = []
    for ent in candidates:
        # overlapping already-kept entities (kept ones never overlap each other)
        i = bisect.bisect_left(starts, ent.end)
        clash = []
        k_i = i - 1
        while k_i >= 0 and kept_list[k_i].end > ent.start:
            clash.append(kept_list[k_i])
            k_i -= 1
        if not clash:
            pos = bisect.bisect_left(starts, ent.start)
            starts.insert(pos, ent.start)
            kept_list.insert(pos, ent)
            continue
        if all(_beats(ent, k) for k in clash):
            for k in clash:
                idx = kept_list.index(k)
                kept_list.pop(idx)
                starts.pop(idx)
                if k.label == ent.label and not ent.concepts:
                    ent.concepts = list(k.concepts)
            pos = bisect.bisect_left(starts, ent.start)
            starts.insert(pos, ent.start)
            kept_list.insert(pos, ent)
        else:
            for k in clash:
                if k.label == ent.label and not k.concepts and ent.concepts:
                    k.concepts = list(ent.concepts)
    return kept_list


class EntityMatcher:
    reads: tuple[str, ...] = ("text",)
    writes: tuple[str, ...] = ("entities",)

    def __init__(self, lexicon: Lexicon, labels: frozenset[str], skip_headings: bool = True) -> None:
        self.lexicon = lexicon
        self.labels = labels
        self.skip_headings = skip_headings

    def __call__(self, note: Note) -> Note:
        text = note.text
        headings = sorted((s.start, s.body_start) for s in note.sections if s.body_start > s.start)
        h_starts = [h[0] for h in headings]
        sec_starts = [s.start for s in note.sections]
        found: list[Entity] = []
        matches = []
        for m in self.lexicon.match(text):
            if m.info.precedence >= HISTORY_RANK:
                # a history phrase of the knowledge base ("on lisinopril", "had a CABG"): if it holds a drug,
                # problem, test or procedure, report those instead
                inner = [
                    Match(m.start + x.start, m.start + x.end, x.info)
                    for x in self.lexicon.match(text[m.start : m.end], max_rank=HISTORY_RANK)
                    if x.info.label in ("drug", "problem", "test", "procedure")
                ]
                if inner:
                    matches.extend(inner)
                    continue
            matches.append(m)
        for m in matches:
            info = m.info
            if info.label not in self.labels:
                continue
            if self.skip_headings and headings:
                i = bisect.bisect_right(h_starts, m.start) - 1
                if i >= 0 and headings[i][0] <= m.start < headings[i][1]:
                    continue
            section = None
            if note.sections:
                j = bisect.bisect_right(sec_starts, m.start) - 1
                if j >= 0 and m.start < note.sections[j].end:
                    section = note.sections[j].name
            ent = Entity(
                start=m.start,
                end=m.end,
                label=info.label,
                text=text[m.start : m.end],
                source="lexicon",
                section=section,
                concepts=[Concept(system=s, code=c, display=d) for s, c, d in info.concepts],
                attributes={"canonical": info.canonical},
            )
            found.append(ent)
        note.entities = merge_entities([*note.entities, *found])
        return note


def make_entity_matcher(
    labels: list[str] | None = None,
    use_kb: bool = True,
    use_drugs: bool = True,
    kb_path: str | None = None,
    skip_headings: bool = True,
) -> EntityMatcher:
    """Factory for the ``entities`` component (settings documented in configs/pipeline.yaml)."""
    chosen = set(labels) if labels else set(LABELS)
    unknown = sorted(chosen - set(LABELS))
    if unknown:
        raise ConfigError(
            ErrorCode.E203, key="entities.labels", detail=f"unknown labels {unknown}; known: {list(LABELS)}"
        )
    lex = build_lexicon(use_kb=use_kb, use_drugs=use_drugs, kb_path=kb_path)
    return EntityMatcher(lex, frozenset(chosen), skip_headings)

