"""Identifier types, the hit a recognizer reports, and how overlapping hits merge into spans."""

from __future__ import annotations

from dataclasses import dataclass

from medassist.doc import Span

PHI_TYPES: tuple[str, ...] = (
    "NAME", "DATE", "AGE", "PHONE", "FAX", "EMAIL", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE",
    "VEHICLE", "DEVICE", "URL", "IP", "ADDRESS", "CITY", "ZIP", "FACILITY", "ID",
)  # fmt: skip

# Identifiers with a shape (digits, separators, @, dots): the rules are authoritative for them.
SHAPE_TYPES = frozenset({"DATE", "AGE", "PHONE", "FAX", "EMAIL", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE",
                         "VEHICLE", "DEVICE", "URL", "IP", "ZIP", "ID"})
# Identifiers that are words: people and places. The trained model is authoritative for them.
WORD_TYPES = frozenset({"NAME", "CITY", "FACILITY", "ADDRESS"})

# When two detected spans overlap, the union is kept under the label of the longer one; on a tie the
# label earlier in this list wins (structured patterns are more certain than lexicon guesses).
PRIORITY = {
    label: i
    for i, label in enumerate(
        ["EMAIL", "URL", "IP", "SSN", "PHONE", "FAX", "DATE", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE",
         "VEHICLE", "DEVICE", "ADDRESS", "ZIP", "AGE", "NAME", "FACILITY", "CITY", "ID"]
    )
}  # fmt: skip


@dataclass
class Hit:
    """One identifier found by one recognizer (or the model): offsets, type, who found it, how sure."""

    start: int
    end: int
    label: str
    source: str = "rules"
    score: float = 1.0
    propagate: bool = True  # names: whether other mentions of its words in the note are names too


def merge_hits(hits: list[Hit], text: str) -> list[Span]:
    """Union of overlapping hits; the label of the longest (then the most certain type) is kept, the
    score is the highest, the source names every contributor (``model+rules``)."""
    if not hits:
        return []
    hits = sorted(hits, key=lambda h: (h.start, -h.end))
    groups: list[list[Hit]] = [[hits[0]]]
    gend = hits[0].end
    for h in hits[1:]:
        if h.start < gend:
            groups[-1].append(h)
            gend = max(gend, h.end)
        else:
            groups.append([h])
            gend = h.end
    out: list[Span] = []
    for g in groups:
        s = min(h.start for h in g)
        e = max(h.end for h in g)
        best = min(g, key=lambda h: (-(h.end - h.start), PRIORITY.get(h.label, 99)))
        sources = sorted({h.source for h in g})
        out.append(Span(s, e, best.label, text[s:e], max(h.score for h in g), "+".join(sources)))
    return out
