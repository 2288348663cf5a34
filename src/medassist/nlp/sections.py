"""Section detection (component ``sections``).

Headings and their canonical names are data (``knowledge/data/terms/sections.yaml``).  A heading is recognised

* at the start of a line, followed by a colon (or `` - ``): ``HPI: ...``, ``Past Medical History:``;
* alone on its line, written in capitals or Title Case, without a colon: ``ASSESSMENT AND PLAN``;
* after ``,``, ``.`` or ``;`` when written in capitals and followed by a colon, as in transcriptions that
  lost their line breaks (``...stable.,PLAN: Follow up``).

Unknown headings in capitals followed by a colon at the start of a line (``DOPPLER:``) also end the
previous section; they get the name ``other``.  A section runs from its heading to the next heading;
text before the first heading belongs to no section.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

from medassist.doc import Note, Section
from medassist.errors import ConfigError, ErrorCode
from medassist.knowledge.terms import rules_file


@functools.lru_cache(maxsize=4)
def load_section_rules(path: str | None = None) -> dict[str, str]:
    """heading variant (lower case) -> canonical section name."""
    p = Path(path) if path else rules_file("sections")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(ErrorCode.E510, path=p, detail=type(exc).__name__) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            ErrorCode.E510, path=p, detail="expected a mapping of section name -> list of headings"
        )
    out: dict[str, str] = {}
    for name, variants in data.items():
        if not isinstance(variants, list):
            raise ConfigError(ErrorCode.E510, path=p, detail=f"section {name!r}: expected a list of headings")
        for v in variants:
            out[str(v).lower().strip()] = str(name)
    return out


def _variant_pattern(variants: list[str]) -> str:
    parts = []
    for v in sorted(variants, key=len, reverse=True):
        words = [re.escape(w) for w in v.split()]
        parts.append(r"[ \t]+".join(words))
    return "|".join(parts)


class Sectionizer:
    reads: tuple[str, ...] = ("text",)
    writes: tuple[str, ...] = ("sections",)

    def __init__(self, rules: dict[str, str], unknown_headings: bool = True) -> None:
        self.rules = rules
        alt = _variant_pattern(list(rules))
        # heading + colon at a line start (any case), or after , . ; (capitals, checked below)
        self._colon = re.compile(
            rf"(?:(?<=\n)|^|(?<=[,.;]))[ \t,]*({alt})[ \t]*(?::|[ \t]-[ \t])", re.IGNORECASE
        )
        # heading alone on its line (capitals or Title Case, checked below)
        self._alone = re.compile(rf"(?m)^[ \t]*({alt})[ \t]*:?[ \t]*$", re.IGNORECASE)
        self._unknown = re.compile(r"(?m)^[ \t]*([A-Z][A-Z /&()-]{2,40}):") if unknown_headings else None

    def find(self, text: str) -> list[Section]:
        heads: dict[int, tuple[int, int, str, str]] = {}  # start -> (start, body_start, name, heading)
        for m in self._colon.finditer(text):
            head = m.group(1)
            line_start = (
                m.start() == 0
                or text[m.start() - 1] == "\n"
                or text[: m.start(1)].rstrip(" \t,").endswith("\n")
            )
            if not line_start:
                # inline (after , . ;): only headings written in capitals
                if not head.isupper():
                    continue
            elif not (head.isupper() or head[:1].isupper()):
                continue
            name = self.rules[re.sub(r"\s+", " ", head.lower())]
            heads[m.start(1)] = (m.start(1), m.end(), name, head)
        for m in self._alone.finditer(text):
            head = m.group(1)
            if not (head.isupper() or head.istitle()):
                continue
            if m.start(1) in heads:
                continue
            name = self.rules[re.sub(r"\s+", " ", head.lower())]
            body = m.end()
            heads[m.start(1)] = (m.start(1), body, name, head)
        if self._unknown is not None:
            for m in self._unknown.finditer(text):
                if m.start(1) in heads or any(h[0] <= m.start(1) < h[1] for h in heads.values()):
                    continue
                heads[m.start(1)] = (m.start(1), m.end(), "other", m.group(1))
        ordered = sorted(heads.values())
        sections: list[Section] = []
        for i, (start, body, name, heading) in enumerate(ordered):
            end = ordered[i + 1][0] if i + 1 < len(ordered) else len(text)
            while body < end and text[body] in " \t":
                body += 1
            sections.append(Section(name=name, start=start, end=end, heading=heading, body_start=body))
        return sections

    def __call__(self, note: Note) -> Note:
        note.sections = self.find(note.text)
        return note


def make_sectionizer(
    rules_path: str | None = None, unknown_headings: bool = True, **settings: Any
) -> Sectionizer:
    """Factory for the ``sections`` component (settings documented in configs/pipeline.yaml)."""
    if settings:
        raise ConfigError(ErrorCode.E203, key="sections", detail=f"unknown settings {sorted(settings)}")
    return Sectionizer(load_section_rules(rules_path), unknown_headings=unknown_headings)
