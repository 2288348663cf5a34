"""Pipeline: an ordered list of named components, each a callable ``Note -> Note``.

Each component declares which Note fields it ``reads`` and ``writes``; the pipeline checks at build
time that every field a component reads is written by an earlier one (or is ``text``/``id``/``meta``).
A component may also declare fields it ``uses`` when present (assertion uses sections to bound its
scopes, and works without them): no later component may write such a field, since it would come too late.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml
from pydantic import BaseModel, ConfigDict, Field

from medassist.doc import Note
from medassist.errors import ConfigError, ErrorCode
from medassist.registry import COMPONENTS, resolve

BASE_FIELDS = frozenset({"text", "id", "meta"})
DEFAULT_CONFIG = Path(__file__).parent / "configs" / "pipeline.yaml"


@runtime_checkable
class Component(Protocol):
    reads: tuple[str, ...]
    writes: tuple[str, ...]

    def __call__(self, note: Note) -> Note: ...


class ComponentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="registered component name (medassist.registry.COMPONENTS)")
    settings: dict[str, Any] = Field(default_factory=dict, description="keyword settings for its factory")


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    components: list[ComponentConfig]


class Pipeline:
    def __init__(self, components: Iterable[tuple[str, Callable[[Note], Note]]] = ()) -> None:
        self.components: list[tuple[str, Callable[[Note], Note]]] = []
        for name, comp in components:
            self.add(name, comp)

    def add(self, name: str, component: Callable[[Note], Note]) -> None:
        written = set(BASE_FIELDS)
        for _, earlier in self.components:
            written.update(getattr(earlier, "writes", ()))
        missing = [f for f in getattr(component, "reads", ()) if f not in written]
        if missing:
            raise ConfigError(
                ErrorCode.E203,
                key=f"components.{name}",
                detail=f"it reads {missing}, which no earlier component writes; move it after the component that does",
            )
        for earlier_name, earlier in self.components:
            late = [f for f in getattr(earlier, "uses", ()) if f in getattr(component, "writes", ()) and f not in written]
            if late:
                raise ConfigError(
                    ErrorCode.E203,
                    key=f"components.{name}",
                    detail=f"it writes {late}, which {earlier_name!r} (earlier) uses when present; move {name!r} before it",
                )
        self.components.append((name, component))

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.components]

    def get(self, name: str) -> Callable[[Note], Note]:
        for n, comp in self.components:
            if n == name:
                return comp
        raise KeyError(name)

    def __call__(self, text: str | Note, *, id: str | None = None) -> Note:  # noqa: A002
        note = text if isinstance(text, Note) else Note(text=text, id=id)
        for _, comp in self.components:
            note = comp(note)
        return note

    def pipe(self, texts: Iterable[str | Note]) -> Iterator[Note]:
        for t in texts:
            yield self(t)

    @classmethod
    def from_config(cls, config: PipelineConfig | dict[str, Any] | str | Path | None = None) -> Pipeline:
        cfg = load_pipeline_config(config)
        nlp = cls()
        for cc in cfg.components:
            try:
                factory = resolve(COMPONENTS, cc.name, "pipeline component")
            except KeyError as exc:
                raise ConfigError(ErrorCode.E203, key="components.name", detail=str(exc)) from None
            nlp.add(cc.name, factory(**cc.settings))
        return nlp


def load_pipeline_config(config: PipelineConfig | dict[str, Any] | str | Path | None) -> PipelineConfig:
    if isinstance(config, PipelineConfig):
        return config
    if config is None or (config == "default" and not Path(config).exists()):
        config = DEFAULT_CONFIG  # "default": the shipped configs/pipeline.yaml, by name like the variants
    if isinstance(config, str | Path):
        path = Path(config)
        shipped = DEFAULT_CONFIG.parent / f"pipeline-{config}.yaml"
        if not path.exists() and path.suffix == "" and shipped.exists():
            path = shipped  # a shipped variant by name: "ner" -> configs/pipeline-ner.yaml
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            names = ["default", *sorted(p.stem.removeprefix("pipeline-") for p in DEFAULT_CONFIG.parent.glob("pipeline-*.yaml"))]
            raise ConfigError(ErrorCode.E206, path=path, detail=f"{exc}; shipped variants by name: {', '.join(names)}") from exc
        config = data
    try:
        return PipelineConfig.model_validate(config)
    except Exception as exc:  # pydantic ValidationError
        raise ConfigError(ErrorCode.E203, key="pipeline", detail=str(exc)) from exc
