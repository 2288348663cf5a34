"""Clinical patterns that are never identifiers ("HR 90s-100s", "700x10", "1/2 NS at 75cc/hr"), read from
``knowledge/data/deid/not_phi.yaml``.  A span entirely inside such a pattern is dropped."""

from __future__ import annotations

import bisect
import functools
import re
from pathlib import Path

import yaml

from medassist.errors import ConfigError, ErrorCode
from medassist.nlp.deid.patterns import DATA_DIR


class Denylist:
    def __init__(self, path: Path) -> None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(ErrorCode.E510, path=path, detail=type(exc).__name__) from exc
        if not isinstance(data, dict) or not isinstance(data.get("patterns"), dict):
            raise ConfigError(ErrorCode.E510, path=path, detail="expected a mapping with 'patterns'")
        self.names: list[str] = []
        parts = []
        for name, rx in data["patterns"].items():
            try:
                re.compile(rx)
            except (re.error, TypeError) as exc:
                raise ConfigError(ErrorCode.E510, path=path, detail=f"pattern {name!r}: {exc}") from exc
            self.names.append(str(name))
            parts.append(f"(?:{rx})")
        self.pattern = re.compile("|".join(parts), re.IGNORECASE)

    def ranges(self, text: str) -> list[tuple[int, int]]:
        """The clinical-pattern matches of ``text`` as sorted, merged (start, end) ranges."""
        merged: list[tuple[int, int]] = []
        for m in self.pattern.finditer(text):
            a, b = m.start(), m.end()
            if b <= a:
                continue
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    @staticmethod
    def covers(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
        """Whether [start, end) lies inside one of the merged ranges (binary search)."""
        i = bisect.bisect_right(ranges, (start, float("inf"))) - 1
        return i >= 0 and ranges[i][0] <= start and end <= ranges[i][1]


@functools.lru_cache(maxsize=4)
def load_denylist(data_dir: str | None = None) -> Denylist:
    return Denylist((Path(data_dir) if data_dir else DATA_DIR) / "not_phi.yaml")
