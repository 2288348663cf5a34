"""The de-identifier's patterns and word lists, read once from ``knowledge/data/deid``.

``patterns.yaml`` holds the regular expressions (with ``<<FRAGMENT>>`` references), ``words.yaml`` the
cue words and exception lists, and the ``*.txt`` files the name, city and street lexicons.  A broken
file is an error that names it (E510); nothing falls back silently.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medassist.errors import ConfigError, ErrorCode

DATA_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "deid"
_REF = re.compile(r"<<([A-Z_]+)>>")
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE}


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(ErrorCode.E510, path=path, detail=type(exc).__name__) from exc
    if not isinstance(data, dict):
        raise ConfigError(ErrorCode.E510, path=path, detail="expected a mapping")
    return data


def _read_list(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(ErrorCode.E510, path=path, detail=exc.strerror or "cannot read") from exc
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def alt(words: Iterable[str]) -> str:
    """A regex alternation of literal phrases, longest first, white space flexible."""
    parts = sorted({w for w in words if w}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in parts)


class Patterns:
    """Named regular expressions: ``patterns.get("phone")`` is compiled; ``patterns.source("id_after_cue")``
    is the expanded text for patterns that are completed with a word list (``<<CUES>>``)."""

    def __init__(self, path: Path) -> None:
        data = _yaml(path)
        self.path = path
        self.fragments: dict[str, str] = {str(k): str(v) for k, v in (data.get("fragments") or {}).items()}
        raw = data.get("patterns")
        if not isinstance(raw, dict):
            raise ConfigError(ErrorCode.E510, path=path, detail="no 'patterns' mapping")
        self._raw: dict[str, tuple[str, int]] = {}
        for name, spec in raw.items():
            if not isinstance(spec, dict) or not isinstance(spec.get("regex"), str):
                raise ConfigError(ErrorCode.E510, path=path, detail=f"pattern {name!r} needs a 'regex' string")
            flags = 0
            for f in spec.get("flags") or []:
                if f not in _FLAGS:
                    raise ConfigError(ErrorCode.E510, path=path, detail=f"pattern {name!r}: unknown flag {f!r}")
                flags |= _FLAGS[f]
            self._raw[str(name)] = (spec["regex"], flags)
        self._compiled: dict[str, re.Pattern[str]] = {}

    def expand(self, text: str, extra: dict[str, str] | None = None) -> str:
        extra = extra or {}

        def sub(m: re.Match[str]) -> str:
            key = m.group(1)
            if key in extra:
                return extra[key]
            if key not in self.fragments:
                raise ConfigError(ErrorCode.E510, path=self.path, detail=f"unknown fragment <<{key}>>")
            return self.expand(self.fragments[key], extra)

        return _REF.sub(sub, text)

    def source(self, name: str, **extra: str) -> str:
        if name not in self._raw:
            raise ConfigError(ErrorCode.E510, path=self.path, detail=f"pattern {name!r} is missing")
        return self.expand(self._raw[name][0], extra)

    def flags(self, name: str) -> int:
        return self._raw[name][1]

    def get(self, name: str, **extra: str) -> re.Pattern[str]:
        key = name if not extra else name + "\x00" + repr(sorted(extra.items()))
        if key not in self._compiled:
            try:
                self._compiled[key] = re.compile(self.source(name, **extra), self.flags(name))
            except re.error as exc:
                raise ConfigError(ErrorCode.E510, path=self.path, detail=f"pattern {name!r}: {exc}") from exc
        return self._compiled[key]

    def fragment(self, name: str) -> str:
        return self.expand(f"<<{name}>>")


@dataclass(frozen=True)
class Lexicons:
    """Word lists: given names, surnames, cities, streets (lower-cased sets and ordered tuples) and
    ``words.yaml`` (cues and exception lists)."""

    first_names: frozenset[str]
    last_names: frozenset[str]
    first_list: tuple[str, ...]
    last_list: tuple[str, ...]
    cities: frozenset[str]
    city_list: tuple[str, ...]
    streets: tuple[str, ...]
    words: dict[str, Any]


@functools.lru_cache(maxsize=4)
def load_lexicons(data_dir: str | None = None) -> Lexicons:
    root = Path(data_dir) if data_dir else DATA_DIR
    firsts = [w.lower() for w in _read_list(root / "first_names.txt")]
    lasts = [w.lower() for w in _read_list(root / "last_names.txt")]
    cities = _read_list(root / "cities.txt")
    streets = _read_list(root / "streets.txt")
    words = _yaml(root / "words.yaml")
    return Lexicons(
        frozenset(firsts), frozenset(lasts), tuple(dict.fromkeys(firsts)), tuple(dict.fromkeys(lasts)),
        frozenset(c.lower() for c in cities), tuple(dict.fromkeys(cities)), tuple(streets), words,
    )  # fmt: skip


@functools.lru_cache(maxsize=4)
def load_patterns(data_dir: str | None = None) -> Patterns:
    root = Path(data_dir) if data_dir else DATA_DIR
    return Patterns(root / "patterns.yaml")
