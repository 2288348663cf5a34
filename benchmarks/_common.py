"""Shared by the benchmark scripts: where results go and what every result records."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
SHARED_DATA = Path(os.environ.get("MEDASSIST_SHARED_DATA", ROOT.parent / "shared" / "data"))


@functools.cache
def commit() -> str:
    """The commit of the code a run started with (cached: a long run may outlive later edits)."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        # result files are rewritten by the runs themselves (ner.py after every mode): they do not make the code dirty
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!benchmarks/results"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return sha + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb, "python": platform.python_version(),
            "platform": platform.platform(), "load_average_1m_at_end": load}


def write_result(name: str, figures: dict[str, Any], **extra: Any) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
        "commit": commit(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        **extra,
        "figures": figures,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return path


def write_record(path: Path, record: dict[str, Any], command: str) -> None:
    """Write a result whose layout the script chose, with the same provenance as write_result."""
    record = {**record, "command": command.strip(), "git_commit": commit(),
              "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


commit()  # read once when a benchmark starts: its results name the code it ran, not later edits
