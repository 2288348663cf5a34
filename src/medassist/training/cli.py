"""Commands of the fine-tuning engine: train, pretrain, evaluate, predict."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from medassist.errors import MedAssistError

app = typer.Typer(no_args_is_help=True)


def _needs_train() -> None:
    """Training and evaluation need the ``train`` extra (metrics, plots): without it, say so (E210) and exit 2."""
    from medassist.errors import require_extra

    try:
        require_extra("train")
    except MedAssistError as exc:
        _fail(exc)


def _fail(exc: Exception) -> None:
    typer.secho(str(exc), fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _summary(result) -> None:  # noqa: ANN001
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    table = Table(title=f"model saved to {result.output_dir}")
    table.add_column("split")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for split in ("dev", "test"):
        m = result.metrics.get(split)
        if not m:
            continue
        for key in ("precision", "recall", "f1", "accuracy", "top3_accuracy", "macro_f1", "micro_f1", "ece"):
            if key in m:
                table.add_row(split, key, f"{m[key]:.4f}")
        for typ, v in sorted(m.get("per_type", {}).items()):
            table.add_row(split, f"f1 {typ}", f"{v['f1']:.4f}")
    if result.metrics.get("dev_perplexity") is not None:
        table.add_row("dev", "perplexity", f"{result.metrics['dev_perplexity']:.2f}")
    table.add_row("", "trainable params", f"{result.trainable_params:,} / {result.total_params:,}")
    table.add_row("", "wall time (s)", f"{result.wall_time_s:.0f}")
    console.print(table)


@app.command()
def train(
    config: Annotated[Path, typer.Argument(help="training config (YAML); see configs/train/")],
    overrides: Annotated[list[str] | None, typer.Argument(help="key=value overrides, e.g. training.epochs=3")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing model directory")] = False,
) -> None:
    """Fine-tune a model (token, text or relation classification; or masked-LM pre-training)."""
    _needs_train()
    from medassist.training.config import load_config
    from medassist.training.recipes import train as run

    try:
        cfg = load_config(config, overrides or [])
        if overwrite:
            cfg.overwrite = True
        result = run(cfg)
    except MedAssistError as exc:
        _fail(exc)
    _summary(result)


@app.command()
def pretrain(
    config: Annotated[Path, typer.Argument(help="masked-LM config (task: masked_lm)")],
    overrides: Annotated[list[str] | None, typer.Argument(help="key=value overrides")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
) -> None:
    """Continued masked-LM pre-training on plain clinical text (domain adaptation)."""
    _needs_train()
    from medassist.training.config import load_config
    from medassist.training.mlm import train_masked_lm

    try:
        cfg = load_config(config, [*(overrides or []), "task=masked_lm"])
        if overwrite:
            cfg.overwrite = True
        result = train_masked_lm(cfg)
    except MedAssistError as exc:
        _fail(exc)
    _summary(result)


@app.command()
def evaluate(
    model: Annotated[Path, typer.Argument(help="model directory")],
    data: Annotated[Path, typer.Argument(help="labelled data (CoNLL, JSONL spans, BRAT, CSV/JSONL)")],
    fmt: Annotated[str, typer.Option("--format", help="auto|conll|jsonl|brat")] = "auto",
    text_column: Annotated[str, typer.Option(help="classification: text column")] = "text",
    label_column: Annotated[str, typer.Option(help="classification: label column")] = "label",
    context_words: Annotated[int, typer.Option(help="token tasks: join consecutive sentences up to N words")] = 0,
    out: Annotated[Path | None, typer.Option(help="write metrics.json and plots here")] = None,
) -> None:
    """Evaluate a model directory on labelled data; prints metrics as JSON."""
    _needs_train()
    from medassist.training.evaluate import evaluate as run

    try:
        result = run(model, data, fmt=fmt, text_column=text_column, label_column=label_column,
                     context_words=context_words, out_dir=out)
    except MedAssistError as exc:
        _fail(exc)
    m = dict(result["metrics"])
    m.pop("reliability", None)
    typer.echo(json.dumps(m, indent=2))


def _read_inputs(source: str) -> list[tuple[str, str]]:
    """(id, text) pairs from '-' (stdin), a .jsonl file ({"id", "text"}), or a text file (one text per line)."""
    if source == "-":
        content = sys.stdin.read()
        name = "stdin"
        suffix = ""
    else:
        path = Path(source)
        if not path.is_file():
            raise typer.BadParameter(f"{path}: file not found")
        try:
            content = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise typer.BadParameter(f"{path}: not UTF-8 text (byte {exc.start}); convert it first") from exc
        name, suffix = path.name, path.suffix.lower()
    items = []
    for i, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        if suffix == ".jsonl" or (suffix == "" and line.lstrip().startswith("{")):
            try:
                obj = json.loads(line)
                items.append((str(obj.get("id", f"{name}:{i}")), str(obj["text"])))
            except (json.JSONDecodeError, KeyError, TypeError):
                typer.secho(f"{name}:{i}: not a JSON object with a 'text' key; skipped", fg=typer.colors.YELLOW, err=True)
        else:
            items.append((f"{name}:{i}", line))
    return items


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="model directory")],
    source: Annotated[str, typer.Argument(help="text file (one text per line), .jsonl with {id, text}, or - for stdin")] = "-",
    fmt: Annotated[str, typer.Option("--format", help="json (one object per text) or conll (token, tag)")] = "json",
    top_k: Annotated[int, typer.Option(help="classification: labels to show")] = 3,
    batch_size: Annotated[int, typer.Option(help="texts per batch")] = 32,
) -> None:
    """Run a model on texts: entity spans (token models) or labels with probabilities."""
    from medassist.models import load_model
    from medassist.text import word_offsets

    if fmt not in ("json", "conll"):
        _fail(typer.BadParameter("--format must be json or conll"))
    try:
        clf = load_model(model, batch_size=batch_size)
    except MedAssistError as exc:
        _fail(exc)
    items = _read_inputs(source)
    if not items:
        _fail(ValueError("no input texts: give a file with one text per line, a JSONL file, or text on stdin"))
    out = sys.stdout
    for start in range(0, len(items), 256):
        chunk = items[start : start + 256]
        texts = [t for _, t in chunk]
        if clf.task == "token_classification":
            if fmt == "conll":
                words = [word_offsets(t) for t in texts]
                tags = clf.predict_tags([[t[a:b] for a, b in w] for t, w in zip(texts, words, strict=True)])  # type: ignore[union-attr]
                for t, w, tg in zip(texts, words, tags, strict=True):
                    for (a, b), tag in zip(w, tg, strict=True):
                        out.write(f"{t[a:b]}\t{tag}\n")
                    out.write("\n")
            else:
                for (ident, t), spans in zip(chunk, clf.predict_spans(texts), strict=True):  # type: ignore[union-attr]
                    out.write(json.dumps({"id": ident, "text": t, "spans": spans}, ensure_ascii=False) + "\n")
        else:
            if fmt == "conll":
                _fail(ValueError("--format conll is for token-classification models; use --format json"))
            for (ident, t), labels in zip(chunk, clf.predict(texts, top_k=top_k), strict=True):  # type: ignore[union-attr]
                out.write(json.dumps({"id": ident, "text": t, "labels": labels}, ensure_ascii=False) + "\n")
