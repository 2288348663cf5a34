"""``medassist meds ...``: the drug-safety commands (mounted by :mod:`medassist.cli`).

    medassist meds check --drugs "warfarin, ibuprofen" --conditions "CKD, asthma" --allergies penicillin
    medassist meds check -d warfarin -d "Advil 200 mg prn" --json

Exit status: 0 when the check ran (alerts are results, not errors), 2 on unusable input, 1 when the
curated data itself fails to load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)

SEVERITY_STYLE = {
    "contraindicated": "bold white on red",
    "major": "bold red",
    "moderate": "yellow",
    "minor": "cyan",
}
KIND_TEXT = {
    "interaction": "interaction",
    "contraindication": "contraindication",
    "allergy": "allergy",
    "duplicate_therapy": "duplicate therapy",
}


@app.callback()
def _meds() -> None:
    """Drug safety: interactions, contraindications, allergies and duplicate therapy."""


@app.command("check")
def check_cmd(
    drugs: list[str] = typer.Option(
        None,
        "--drugs",
        "-d",
        help="Drug names, comma-separated and/or repeated (generic, brand or free text).",
    ),
    conditions: list[str] = typer.Option(
        None,
        "--conditions",
        "-c",
        help="Patient conditions, comma-separated and/or repeated (e.g. 'CKD, asthma').",
    ),
    allergies: list[str] = typer.Option(
        None,
        "--allergies",
        "-a",
        help="Recorded allergies, comma-separated and/or repeated (e.g. penicillin).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    explain: bool = typer.Option(False, "--explain", help="Add each alert in plain words for the patient (the "
                                 "severity and what to do exactly as the alert has them; 'explanation' in --json)."),
    backend: str = typer.Option("extractive", "--backend", help="Who writes 'what may happen' for --explain: "
                                "extractive (the alert's own words, the default) or llm (MEDASSIST_LLM_* settings; "
                                "every sentence checked against the alert)."),
) -> None:
    """Check a medication list for interactions, contraindications, allergy cross-reactions and duplicates."""
    from medassist.drugs.checker import check
    from medassist.drugs.resolve import split_entries
    from medassist.errors import DrugDataError, DrugInputError

    if backend not in ("extractive", "llm"):
        typer.echo(f"Error: --backend {backend!r}: use extractive or llm.", err=True)
        raise typer.Exit(2)
    drug_list = split_entries(drugs)
    if not drug_list:
        typer.echo(
            "Error: no drugs given. Pass at least one with --drugs, e.g. "
            'medassist meds check --drugs "warfarin, ibuprofen".',
            err=True,
        )
        raise typer.Exit(2)
    try:
        result = check(drug_list, split_entries(conditions), split_entries(allergies))
    except DrugInputError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    except DrugDataError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    exp = _explain(result, backend) if explain else None
    if as_json:
        data = result.to_dict()
        if exp is not None:
            data["explanation"] = exp.to_dict()
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_table(result)
    if exp is not None:  # plain lines, not a table: the alert's own words are printed exactly as written
        typer.echo("\nIn plain words:")
        typer.echo(exp.text)
        if exp.fallback:
            typer.echo(exp.fallback, err=True)


def _explain(result: Any, backend: str) -> Any:
    """The check's result in plain words; with ``llm`` the model from the ``MEDASSIST_LLM_*`` settings, or the
    alerts' own sentences (and the reason on standard error) when it cannot be used."""
    from medassist.errors import MedAssistError
    from medassist.generate.explain import explain_drug_alerts

    if backend == "extractive":
        return explain_drug_alerts(result)
    from medassist.generate.backends import fallback_reason, load_backend
    from medassist.generate.cli import llm_config

    try:
        cfg = llm_config()
    except MedAssistError as exc:  # a wrong setting is the user's to fix: stop
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        gen = load_backend(cfg)
    except MedAssistError as exc:  # not installed: say so, explain with the alerts' own words
        exp = explain_drug_alerts(result)
        exp.fallback = fallback_reason(exc, "explanation")
        return exp
    return explain_drug_alerts(result, gen, cfg)


def _print_table(result) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if result.resolved:
        console.print("[bold]Matched[/bold]")
        for r in result.resolved:
            console.print(f"  {r.input!r} -> [bold]{r.name}[/bold] ({r.kind}; {r.how})")
    if result.unknown:
        console.print("[bold red]Not recognised (not checked)[/bold red]")
        for u in result.unknown:
            hint = f"; did you mean: {', '.join(u.suggestions)}?" if u.suggestions else ""
            console.print(f"  [red]{u.input!r}[/red] ({u.kind}{hint})")
    if result.alerts:
        table = Table(title="Drug-safety alerts", show_lines=True, expand=True)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Alert", ratio=2, overflow="fold")
        table.add_column("Effect and what to do", ratio=3, overflow="fold")
        for a in result.alerts:
            style = SEVERITY_STYLE[a.severity]
            alert = Text(a.title, style=style)
            alert.append(f"\n{KIND_TEXT[a.kind]}" + (f" ({a.topic})" if a.topic else ""), style="italic")
            alert.append(f"\n{a.why}", style="dim")
            details = Text(a.effect)
            details.append("\nWhat to do: ", style="bold")
            details.append(a.management)
            table.add_row(Text(a.severity, style=style), alert, details)
        console.print(table)
    console.print(result.note)
    console.print(f"[dim]{result.disclaimer}[/dim]")


@app.command()
def extract(
    source: Annotated[Path, typer.Argument(help="text file, or .jsonl with {id, text} per line")],
    model: Annotated[Path | None, typer.Option(help="relation model directory (default: the shipped one)")] = None,
    threshold: Annotated[float, typer.Option(help="minimum probability of the predicted interaction type")] = 0.5,
    out: Annotated[Path | None, typer.Option(help="write JSONL here (default: stdout)")] = None,
) -> None:
    """Find drug-drug interaction statements in text: one JSON object per interaction, with its sentence."""
    import sys

    from medassist.drugs.extract import InteractionExtractor
    from medassist.errors import MedAssistError

    if not source.is_file():
        typer.echo(f"Error: {source}: file not found", err=True)
        raise typer.Exit(2)
    try:
        extractor = InteractionExtractor.load(model, threshold=threshold)
    except MedAssistError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        content = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        typer.echo(f"Error: {source}: not UTF-8 text; convert it first (e.g. iconv -f latin1 -t utf-8)", err=True)
        raise typer.Exit(2) from None
    docs: list[tuple[str, str]] = []
    if source.suffix.lower() == ".jsonl":
        for i, line in enumerate(content.splitlines(), 1):
            if line.strip():
                try:
                    obj = json.loads(line)
                    docs.append((str(obj.get("id", f"{source.name}:{i}")), str(obj["text"])))
                except (json.JSONDecodeError, KeyError, TypeError):
                    typer.echo(f"{source.name}:{i}: not a JSON object with 'text'; skipped", err=True)
    else:
        docs.append((source.name, content))
    fh = out.open("w", encoding="utf-8") if out else sys.stdout
    n = 0
    try:
        for ident, text in docs:
            for rel in extractor.extract(text, doc=ident):
                fh.write(json.dumps(rel.to_dict(), ensure_ascii=False) + "\n")
                n += 1
    finally:
        if out:
            fh.close()
    typer.echo(f"{n} interaction statement(s) found in {len(docs)} document(s)", err=True)


@app.command()
def graph(
    out: Annotated[Path, typer.Argument(help="output file: .graphml or .json (node-link)")],
    extracted: Annotated[Path | None, typer.Option(help="JSONL from `medassist meds extract` to add as extracted edges")] = None,
) -> None:
    """Export a knowledge graph of drugs, classes, conditions and findings with typed edges and provenance."""
    from medassist.drugs.graph import build_graph, write_graph

    rels = []
    if extracted:
        rels = [json.loads(x) for x in extracted.read_text(encoding="utf-8").splitlines() if x.strip()]
    if out.suffix.lower() not in (".graphml", ".json"):
        typer.echo("Error: the output name must end in .graphml or .json", err=True)
        raise typer.Exit(2)
    g = build_graph(extracted=rels)
    write_graph(g, out)
    typer.echo(f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges -> {out}")
