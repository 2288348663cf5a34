"""``medassist health ...``: the personal health plan (mounted by :mod:`medassist.cli`).

    medassist health plan patient.json                  # text: what needs a clinician first, then the plan
    medassist health plan bundle.json --format fhir     # a FHIR R4 Bundle with a CarePlan and its Goals
    cat patient.json | medassist health plan - --format json

Exit status: 0 when the plan was made, 2 on an unusable record, 1 when the curated data fails to load.
"""

from __future__ import annotations

import json
import sys

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def _health() -> None:
    """Personal health management: risk scores, prevention due, medication review and goals."""


@app.command("plan")
def plan_cmd(
    record: str = typer.Argument(..., help="A patient record: MedAssist JSON or a FHIR R4 Bundle (a file, or - for standard input)."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json or fhir (a Bundle with a CarePlan and Goals)."),
    as_of: str = typer.Option(None, "--as-of", help="Make the plan for this date (YYYY-MM-DD) instead of the record's own or today."),
) -> None:
    """Risks, what screening and vaccinations are due, the medication review and the goals, with sources."""
    from medassist.errors import ErrorCode, InputError, KnowledgeBaseError
    from medassist.health.plan import load_record, make_plan

    if fmt not in ("text", "json", "fhir"):
        typer.echo("Error: --format must be text, json or fhir.", err=True)
        raise typer.Exit(2)
    try:
        if record == "-":
            raw = sys.stdin.read()
            try:
                source = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InputError(ErrorCode.E852, path="<stdin>", detail=str(exc)[:120]) from None
        else:
            source = record
        rec, answers = load_record(source, as_of=as_of)
        plan = make_plan(rec, answers=answers)
    except InputError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KnowledgeBaseError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    if fmt == "json":
        typer.echo(json.dumps(plan.to_dict(), indent=2, default=str))
    elif fmt == "fhir":
        typer.echo(json.dumps(plan.to_fhir(), indent=2))
    else:
        typer.echo(plan.to_text())
