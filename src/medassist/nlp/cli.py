"""``medassist analyze`` and ``medassist deid``: clinical notes from files, folders, CSV/JSONL or stdin.

Results go to standard output (or ``--out``), one item after another as they are processed; progress and
per-item problems go to standard error.  A bad item (binary, not UTF-8, empty, unreadable row) is reported
and skipped; the exit code is non-zero only when nothing at all could be processed.  Messages name files
and rows, never note content.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True)


class AnalyzeFormat(StrEnum):
    json = "json"
    fhir = "fhir"
    table = "table"


class DeidFormat(StrEnum):
    json = "json"
    text = "text"


class DeidReplace(StrEnum):
    tag = "tag"
    mask = "mask"
    surrogate = "surrogate"


class DeidDetector(StrEnum):
    hybrid = "hybrid"
    rules = "rules"
    model = "model"


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
    else:
        with path.open("w", encoding="utf-8") as fh:
            yield fh


def _run(
    source: str,
    process: Callable[[str, str], Any],
    emit: Callable[[Any], None],
    *,
    text_column: str = "text",
    id_column: str | None = None,
    progress: bool = True,
) -> tuple[int, int]:
    """Stream items through ``process`` and ``emit``; report problems; return (processed, failed)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from medassist.errors import MedAssistError
    from medassist.nlp.batch import count_items, iter_items

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    done = failed = 0
    total = count_items(source)
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not progress,
    ) as bar:
        task = bar.add_task("notes", total=total)
        try:
            for item in iter_items(source, text_column=text_column, id_column=id_column):
                bar.advance(task)
                if item.error is not None:
                    failed += 1
                    err.print(item.error, markup=False)
                    continue
                assert item.text is not None
                try:
                    result = process(item.text, item.id)
                except MedAssistError as exc:
                    failed += 1
                    err.print(f"{item.id}: {exc}", markup=False)
                    continue
                except Exception as exc:  # one bad note must not stop the batch; say what, not the text
                    from medassist.errors import ErrorCode

                    failed += 1
                    component = getattr(exc, "_medassist_component", "?")
                    msg = ErrorCode.E512.value.format(
                        item=item.id, component=component, kind=type(exc).__name__
                    )
                    err.print(f"[E512] {msg}", markup=False)
                    logging.getLogger(__name__).debug(
                        "item %s failed in %s", item.id, component, exc_info=False
                    )
                    continue
                emit(result)
                done += 1
        except MedAssistError as exc:
            err.print(str(exc), markup=False)
            raise typer.Exit(2) from None
    if done == 0:
        from medassist.errors import ErrorCode

        err.print(f"[E506] {ErrorCode.E506.value.format(count=failed)}", markup=False)
        raise typer.Exit(1)
    if failed:
        err.print(f"{done} processed, {failed} skipped (see the messages above).", markup=False)
    return done, failed


def _run_pipeline(nlp: Any, text: str, ident: str) -> Any:
    from medassist.doc import Note

    note = Note(text=text, id=ident)
    for name, comp in nlp.components:
        try:
            note = comp(note)
        except Exception as exc:
            exc._medassist_component = name  # type: ignore[attr-defined]
            raise
    return note


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def analyze(
    path: str = typer.Argument(
        ..., help="A text file, a folder of text files, a CSV with a text column, or - for stdin."
    ),
    format: AnalyzeFormat = typer.Option(
        AnalyzeFormat.json,
        "--format",
        "-f",
        help="json (one object per line), fhir (one R4 Bundle per line) or table.",
    ),  # noqa: A002
    text_column: str = typer.Option("text", "--text-column", help="CSV column holding the note text."),
    id_column: str | None = typer.Option(
        None,
        "--id-column",
        help="CSV column holding note ids (default: id or note_id if present, else the row number).",
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c",
        help="Pipeline config YAML, or a shipped variant by name: 'ner' adds the transformer NER "
             "(default: the shipped configs/pipeline.yaml, lexicon entities only).",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write results to this file instead of standard output."
    ),
    progress: bool = typer.Option(
        True, "--progress/--no-progress", help="Show a progress bar on standard error."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log what each component does (never note text)."
    ),
) -> None:
    """Find sections, problems, findings, drugs, tests and procedures in clinical notes, with assertion and codes."""
    _setup_logging(verbose)
    import medassist
    from medassist.errors import MedAssistError

    try:
        nlp = medassist.load(config)
    except MedAssistError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    with _output(out) as fh:
        if format is AnalyzeFormat.table:
            from rich.console import Console

            from medassist.nlp.output import render_table

            console = Console(file=fh, highlight=False, width=None if fh is sys.stdout else 160)

            def emit(note: Any) -> None:
                console.print(render_table(note))

        elif format is AnalyzeFormat.fhir:
            from medassist.nlp.fhir import build_bundle

            def emit(note: Any) -> None:
                fh.write(json.dumps(build_bundle(note), ensure_ascii=False) + "\n")
                fh.flush()

        else:
            from medassist.nlp.output import note_to_json

            def emit(note: Any) -> None:
                fh.write(json.dumps(note_to_json(note), ensure_ascii=False) + "\n")
                fh.flush()

        _run(
            path,
            lambda text, ident: _run_pipeline(nlp, text, ident),
            emit,
            text_column=text_column,
            id_column=id_column,
            progress=progress,
        )


@app.command()
def deid(
    path: str = typer.Argument(
        ..., help='A text file, a folder of text files, a JSONL file of {"id", "text"}, or - for stdin.'
    ),
    format: DeidFormat = typer.Option(
        DeidFormat.json,
        "--format",
        "-f",
        help="json: one {id, text, phi} object per line; text: the de-identified text.",
    ),  # noqa: A002
    mode: str = typer.Option(
        "hybrid",
        "--mode",
        "-m",
        help="How identifiers are found: hybrid (rules and the shipped PHI tagger, the default), rules, or model. "
        "(tag, mask and surrogate are still accepted here and mean --replace.)",
    ),
    replace: DeidReplace = typer.Option(
        DeidReplace.tag,
        "--replace",
        "-r",
        help="What replaces them: tag ([NAME]), mask (***) or surrogate (consistent fake values, dates shifted).",
    ),
    model: str | None = typer.Option(
        None, "--model", help="Another trained PHI tagger directory instead of the shipped one (hybrid and model)."
    ),
    text_column: str = typer.Option("text", "--text-column", help="CSV column holding the note text."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write results to this file instead of standard output."
    ),
    progress: bool = typer.Option(
        True, "--progress/--no-progress", help="Show a progress bar on standard error."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log counts per identifier type (never the identifiers)."
    ),
) -> None:
    """Remove HIPAA Safe Harbor identifiers from clinical notes (set MEDASSIST_DEID_SECRET for surrogates)."""
    _setup_logging(verbose)
    from medassist.doc import Note
    from medassist.errors import MedAssistError
    from medassist.nlp.deid import Deidentifier
    from medassist.nlp.output import deid_record

    detector, how = mode, replace.value
    if mode in {r.value for r in DeidReplace}:  # the former meaning of --mode
        detector, how = "hybrid", mode
    elif mode not in {d.value for d in DeidDetector}:
        typer.echo(f"--mode {mode!r}: use hybrid, rules or model (and --replace tag, mask or surrogate).", err=True)
        raise typer.Exit(2)
    try:
        deidentifier = Deidentifier(replace=how, detector=detector, model=model)
    except MedAssistError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    first = [True]
    many = Path(path).is_dir() or path.lower().endswith((".jsonl", ".ndjson", ".csv"))
    with _output(out) as fh:

        def emit(note: Note) -> None:
            if format is DeidFormat.json:
                fh.write(json.dumps(deid_record(note), ensure_ascii=False) + "\n")
            else:
                if not first[0]:
                    fh.write("\n")
                if many:
                    fh.write(f"==> {note.id} <==\n")
                fh.write(note.deid_text or "")
                if not (note.deid_text or "").endswith("\n"):
                    fh.write("\n")
            first[0] = False
            fh.flush()

        _run(
            path,
            lambda text, ident: deidentifier(Note(text=text, id=ident)),
            emit,
            text_column=text_column,
            progress=progress,
        )
