"""``medassist meds check`` smoke tests."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from medassist.drugs.cli import app

runner = CliRunner()


def test_table_output() -> None:
    res = runner.invoke(
        app, ["check", "--drugs", "warfarin, ibuprofen", "--conditions", "CKD", "-a", "penicillin"]
    )
    assert res.exit_code == 0, res.output
    assert "ibuprofen + warfarin" in res.output or "warfarin + ibuprofen" in res.output
    assert "major" in res.output
    assert "does not replace" in res.output


def test_unknown_inputs_are_listed() -> None:
    res = runner.invoke(app, ["check", "-d", "warfarin", "-d", "notadrugatall"])
    assert res.exit_code == 0
    assert "Not recognised" in res.output and "notadrugatall" in res.output
    assert "No interactions found" in res.output


def test_json_output() -> None:
    res = runner.invoke(app, ["check", "--drugs", "simvastatin", "--drugs", "clarithromycin", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["alerts"][0]["severity"] == "contraindicated"
    assert {r["id"] for r in data["resolved"]} == {"simvastatin", "clarithromycin"}


def test_empty_drug_list_is_a_clear_error() -> None:
    res = runner.invoke(app, ["check", "--drugs", " , "])
    assert res.exit_code == 2
    assert "no drugs given" in res.output.lower()
    assert "--drugs" in res.output


def test_missing_option_is_a_clear_error() -> None:
    res = runner.invoke(app, ["check"])
    assert res.exit_code == 2
    assert "--drugs" in res.output


def test_overlong_entry_exit_2() -> None:
    res = runner.invoke(app, ["check", "--drugs", "x" * 300])
    assert res.exit_code == 2
    assert "E713" in res.output
