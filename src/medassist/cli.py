"""The ``medassist`` command line.

Each capability keeps its commands in its own ``cli.py`` and is mounted here.  Sub-modules import
nothing heavy at module level, so ``medassist --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="medassist",
    help="MedAssist: clinical language models on an ordinary CPU. It assists clinicians and informs patients; it does not diagnose.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (module, attribute, sub-command name or None to merge its commands at the top level)
_MOUNTS: list[tuple[str, str, str | None]] = [
    ("medassist.training.cli", "app", None),  # train, evaluate, predict, pretrain
    ("medassist.nlp.cli", "app", None),  # analyze, deid
    ("medassist.generate.cli", "app", None),  # summarize
    ("medassist.diagnosis.cli", "app", None),  # consult
    ("medassist.drugs.cli", "app", "meds"),  # meds check / meds extract
    ("medassist.knowledge.cli", "app", "kb"),  # kb check / kb stats
    ("medassist.health.cli", "app", "health"),  # health plan
    ("medassist.service.cli", "app", None),  # serve, users, feedback
]


def _mount() -> None:
    for module_name, attr, name in _MOUNTS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(module_name.rsplit(".", 1)[0]):
                continue  # that capability is not built yet
            raise
        sub = getattr(module, attr)
        if name is None:
            for cmd in sub.registered_commands:
                app.registered_commands.append(cmd)
            for grp in sub.registered_groups:
                app.registered_groups.append(grp)
        else:
            app.add_typer(sub, name=name)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        from medassist import __version__

        typer.echo(__version__)
        raise typer.Exit()


_mount()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
