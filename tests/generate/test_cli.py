"""``medassist summarize``: files and stdin, JSON and text, and what --backend llm does when the server is down."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from medassist.cli import app

from .conftest import NOTE, free_port


def test_summarize_a_file_as_json_and_stdin_as_text(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text(NOTE, encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(app, ["summarize", str(path), "--no-progress"])
    assert out.exit_code == 0, out.output
    record = json.loads(out.stdout.strip().splitlines()[-1])
    assert record["backend"] == "extractive" and record["fallback"] is None
    assert "Metformin 500 mg twice a day, increased to 1000 mg twice a day." in record["sections"]["medication"]
    text = runner.invoke(app, ["summarize", "-", "--format", "text", "--no-progress"], input=NOTE)
    assert text.exit_code == 0 and "Medications:" in text.stdout and "  - Stop aspirin." in text.stdout


def test_summarize_with_a_server_that_is_down_falls_back_and_says_so(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text(NOTE, encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"
    out = CliRunner().invoke(app, ["summarize", str(path), "--backend", "llm", "--url", url, "--no-progress"])
    assert out.exit_code == 0, out.output
    record = json.loads(out.stdout.strip().splitlines()[-1])
    assert record["backend"] == "extractive" and record["fallback"].startswith("[E904]")
    assert "[E904]" in out.stderr and "John" not in out.stderr
