"""Import rules between the packages of ``src/medassist`` (ARCHITECTURE.md, "Who may import whom").

The modules are parsed with ``ast``, never imported.  Every import counts: module level or inside a
function, absolute or relative, under ``TYPE_CHECKING`` or not, and ``importlib.import_module`` /
``__import__`` with a literal name.  (The registry's ``module:factory`` strings are configuration,
resolved by name at run time; they are not imports.)  A rule holds for the modules it names and for
everything those modules reach through their imports, so a forbidden dependency cannot hide behind
a third package; a failure names the file and line of the offending import, the rule, and the chain.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

CORE = ("medassist.doc", "medassist.pipeline", "medassist.registry", "medassist.errors", "medassist.matcher",
        "medassist.text")


def _under(*prefixes: str) -> Callable[[str], bool]:
    return lambda m: any(m == p or m.startswith(p + ".") for p in prefixes)


def _is_cli(m: str) -> bool:
    return m == "medassist.cli" or m.endswith(".cli")


@dataclass(frozen=True)
class Rule:
    name: str
    applies: Callable[[str], bool]  # the modules the rule is about
    forbidden: Callable[[str], bool]  # what they (and what they reach) must not import
    why: str


RULES = (
    Rule("nlp-not-service", _under("medassist.nlp"), _under("medassist.service", "medassist.web"),
         "the note pipeline (medassist.nlp) must not import the service or the web UI"),
    Rule("health-not-service", lambda m: _under("medassist.health")(m) and not _is_cli(m),
         lambda m: _under("medassist.service", "medassist.web", "medassist.training")(m) or _is_cli(m),
         "health management (medassist.health) must not import the service, the web UI, training or a CLI module"),
    Rule("diagnosis-not-cli", lambda m: _under("medassist.diagnosis")(m) and not _is_cli(m), _is_cli,
         "the diagnosis engine (medassist.diagnosis) must not import a command-line module"),
    Rule("generate-not-service", lambda m: _under("medassist.generate")(m) and not _is_cli(m),
         lambda m: _under("medassist.service", "medassist.web", "medassist.training")(m) or _is_cli(m),
         "text generation (medassist.generate) must not import the service, the web UI, training or a CLI module"),
    Rule("serving-not-training", _under("medassist.service", "medassist.web", "medassist.models"),
         _under("medassist.training"),
         "serving (medassist.service, medassist.web, medassist.models and all they import) must not import "
         "medassist.training"),
    Rule("core-not-features", lambda m: m in CORE, lambda m: m.startswith("medassist.") and m not in CORE,
         "the core (doc, pipeline, registry, errors, matcher, text) imports nothing else from medassist"),
)


@dataclass(frozen=True)
class Import:
    target: str  # the medassist module imported (longest known module name)
    path: Path
    line: int


def module_files(src: Path) -> dict[str, tuple[Path, bool]]:
    """``dotted name -> (file, is_package)`` for every module under ``src/medassist``."""
    out = {}
    for path in sorted((src / "medassist").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def _raw_imports(name: str, path: Path, is_pkg: bool) -> Iterator[tuple[str, int]]:
    package = name if is_pkg else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:  # `from pkg import submodule`
                yield f"{module}.{alias.name}", node.lineno
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if fname in ("import_module", "__import__"):
                yield node.args[0].value, node.lineno


def import_graph(src: Path) -> dict[str, list[Import]]:
    """Per module, the medassist modules it imports (with file and line)."""
    files = module_files(src)

    def known(target: str) -> str | None:
        while target and target not in files:
            target = target.rpartition(".")[0]
        return target or None

    graph: dict[str, list[Import]] = {}
    for name, (path, is_pkg) in files.items():
        seen: set[tuple[str, int]] = set()
        edges = []
        for raw, line in _raw_imports(name, path, is_pkg):
            target = known(raw) if raw == "medassist" or raw.startswith("medassist.") else None
            if target and target != name and (target, line) not in seen:
                seen.add((target, line))
                edges.append(Import(target, path, line))
        graph[name] = edges
    return graph


def violations(src: Path) -> list[str]:
    graph = import_graph(src)
    found = []
    for rule in RULES:
        # breadth-first from the modules the rule is about, so the reported chain is a shortest one
        via: dict[str, str | None] = {m: None for m in sorted(graph) if rule.applies(m)}
        queue = list(via)
        reported: set[tuple[Path, int, str]] = set()
        while queue:
            module = queue.pop(0)
            for imp in graph[module]:
                if rule.forbidden(imp.target):
                    chain = [module]
                    while via[chain[-1]] is not None:
                        chain.append(via[chain[-1]])  # type: ignore[arg-type]
                    key = (imp.path, imp.line, imp.target)
                    if key not in reported:
                        reported.add(key)
                        reached = "" if len(chain) == 1 else f" (reached from {' -> '.join(reversed(chain))})"
                        found.append(f"{imp.path.relative_to(src.parent)}:{imp.line}: rule {rule.name}: imports "
                                     f"{imp.target}{reached}; {rule.why}")
                elif imp.target not in via:
                    via[imp.target] = module
                    queue.append(imp.target)
    return found


def test_import_rules_hold_for_the_source_tree():
    assert import_graph(SRC)["medassist.pipeline"], "the parser found no imports at all: it is broken"
    problems = violations(SRC)
    assert not problems, "import rules broken (see ARCHITECTURE.md):\n" + "\n".join(problems)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {"medassist/__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(("files", "expected"), [
    # relative import, inside a function
    ({"medassist/nlp/__init__.py": "", "medassist/service/__init__.py": "", "medassist/service/app.py": "",
      "medassist/nlp/x.py": "def f():\n    from ..service import app\n"},
     "medassist/nlp/x.py:2: rule nlp-not-service: imports medassist.service.app"),
    ({"medassist/diagnosis/__init__.py": "", "medassist/nlp/__init__.py": "", "medassist/nlp/cli.py": "",
      "medassist/diagnosis/engine.py": "import os\nimport medassist.nlp.cli as c\n"},
     "medassist/diagnosis/engine.py:2: rule diagnosis-not-cli: imports medassist.nlp.cli"),
    ({"medassist/diagnosis/__init__.py": "", "medassist/diagnosis/x.py": "from medassist import cli\n",
      "medassist/cli.py": ""},
     "medassist/diagnosis/x.py:1: rule diagnosis-not-cli: imports medassist.cli"),
    # serving reaches training through a third package, under TYPE_CHECKING
    ({"medassist/service/__init__.py": "", "medassist/service/app.py": "from medassist.drugs import helper\n",
      "medassist/drugs/__init__.py": "", "medassist/training/__init__.py": "", "medassist/training/corpus.py": "",
      "medassist/drugs/helper.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                   "    from medassist.training.corpus import SpanDoc\n"},
     "medassist/drugs/helper.py:3: rule serving-not-training: imports medassist.training.corpus "
     "(reached from medassist.service.app -> medassist.drugs.helper)"),
    ({"medassist/models/__init__.py": "", "medassist/training/__init__.py": "",
      "medassist/models/predict.py": "import importlib\nR = importlib.import_module('medassist.training')\n"},
     "medassist/models/predict.py:2: rule serving-not-training: imports medassist.training"),
    ({"medassist/matcher.py": "from .nlp import lexicon\n", "medassist/nlp/__init__.py": "",
      "medassist/nlp/lexicon.py": ""},
     "medassist/matcher.py:1: rule core-not-features: imports medassist.nlp.lexicon"),
])
def test_a_broken_rule_is_reported_with_file_line_and_rule(tmp_path, files, expected):
    problems = violations(_tree(tmp_path / "src", files))
    assert any(p.startswith("src/" + expected) for p in problems), problems


def test_allowed_imports_are_not_reported(tmp_path):
    files = {"medassist/doc.py": "", "medassist/errors.py": "",
             "medassist/pipeline.py": "from medassist.doc import Note\nfrom .errors import ConfigError\n",
             "medassist/nlp/__init__.py": "", "medassist/nlp/x.py": "from medassist.pipeline import Pipeline\n",
             "medassist/training/__init__.py": "from medassist.models import predict\n",
             "medassist/models/__init__.py": "", "medassist/models/predict.py": "from medassist.text import w\n",
             "medassist/text.py": "", "medassist/diagnosis/__init__.py": "",
             "medassist/diagnosis/cli.py": "from medassist.nlp import cli\n", "medassist/nlp/cli.py": ""}
    assert violations(_tree(tmp_path / "src", files)) == []
