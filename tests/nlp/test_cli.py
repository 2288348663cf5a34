"""The note commands on files, folders, CSV, JSONL and stdin, with bad inputs mixed in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from medassist.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory, fast_config: dict) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "pipeline.yaml"
    path.write_text(yaml.safe_dump(fast_config))
    return path


@pytest.fixture()
def folder(tmp_path: Path, note_text: str) -> Path:
    d = tmp_path / "notes"
    d.mkdir()
    (d / "a.txt").write_text(note_text, encoding="utf-8")
    (d / "b.txt").write_text("HPI: denies chest pain. HTN on lisinopril 10 mg daily.\n", encoding="utf-8")
    (d / "c_empty.txt").write_text("   \n", encoding="utf-8")
    (d / "d_latin1.txt").write_bytes("Patient: Jos\xe9 Ruiz, fever.".encode("latin-1"))
    (d / "e_binary.pdf").write_bytes(b"%PDF-1.4\x00\x01\x02\x03 Patient: John Smith" * 20)
    (d / "f.txt").write_text(
        "Assessment: COPD exacerbation. Start prednisone 40 mg daily x 5 days.", encoding="utf-8"
    )
    return d


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_analyze_folder_streams_and_reports_bad_items(folder: Path, config: Path) -> None:
    res = runner.invoke(app, ["analyze", str(folder), "--config", str(config), "--no-progress"])
    assert res.exit_code == 0, res.output
    records = _lines(res.stdout)
    assert [Path(r["id"]).name for r in records] == ["a.txt", "b.txt", "f.txt"]
    a = records[0]
    ent = next(e for e in a["entities"] if e["text"] == "CHF")
    assert a["text"][ent["start"] : ent["end"]] == "CHF" and ent["label"] == "problem"
    assert "[NAME]" in a["deid_text"]
    err = res.stderr
    assert "E503" in err and "c_empty.txt" in err
    assert "E502" in err and "d_latin1.txt" in err
    assert "E501" in err and "e_binary.pdf" in err
    assert "3 processed, 3 skipped" in err
    for phi in ("John", "Smith", "Ruiz", "00482913"):
        assert phi not in err


def test_analyze_formats(folder: Path, config: Path) -> None:
    res = runner.invoke(
        app, ["analyze", str(folder / "a.txt"), "--config", str(config), "--format", "fhir", "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    (bundle,) = _lines(res.stdout)
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) > 5
    res = runner.invoke(
        app, ["analyze", str(folder / "b.txt"), "--config", str(config), "--format", "table", "--no-progress"]
    )
    assert res.exit_code == 0 and "lisinopril" in res.stdout and "negated" in res.stdout


def test_analyze_csv_with_text_column_and_missing_column(tmp_path: Path, config: Path) -> None:
    csv_path = tmp_path / "notes.csv"
    csv_path.write_text(
        'note_id,transcription\n7,"No fever, cough."\n8,""\n9,"HTN, on lisinopril."\n', encoding="utf-8"
    )
    res = runner.invoke(
        app,
        [
            "analyze",
            str(csv_path),
            "--text-column",
            "transcription",
            "--config",
            str(config),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    assert [r["id"] for r in _lines(res.stdout)] == ["7", "9"]
    assert "E503" in res.stderr and "row 3" in res.stderr
    res = runner.invoke(app, ["analyze", str(csv_path), "--config", str(config), "--no-progress"])
    assert res.exit_code == 1
    assert "E504" in res.stderr and "transcription" in res.stderr and "E506" in res.stderr


def test_nothing_processed_is_an_error_and_missing_path(tmp_path: Path, config: Path) -> None:
    (tmp_path / "only_empty.txt").write_text("")
    res = runner.invoke(
        app, ["analyze", str(tmp_path / "only_empty.txt"), "--config", str(config), "--no-progress"]
    )
    assert res.exit_code == 1 and "E506" in res.stderr
    res = runner.invoke(
        app, ["analyze", str(tmp_path / "nope.txt"), "--config", str(config), "--no-progress"]
    )
    assert res.exit_code == 2 and "E507" in res.stderr


def test_one_megabyte_note(tmp_path: Path, config: Path) -> None:
    big = tmp_path / "big.txt"
    block = "HPI: Mr. Smith denies chest pain but reports cough since 03/14/2023. HTN on lisinopril 10 mg daily.\n"
    big.write_text(block * (1_000_000 // len(block) + 1), encoding="utf-8")
    res = runner.invoke(app, ["analyze", str(big), "--config", str(config), "--no-progress"])
    assert res.exit_code == 0, res.output
    (rec,) = _lines(res.stdout)
    assert len(rec["text"]) >= 1_000_000 and len(rec["entities"]) > 10_000  # its speed: benchmarks/notes_speed.py


def test_deid_jsonl_and_stdin(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    rows = [
        {"id": "r1", "text": "Seen by Dr. Jane Doe on 03/14/2023, phone 617-555-0134."},
        {"id": "r2", "text": ""},
        "not an object",
    ]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n", encoding="utf-8")
    res = runner.invoke(app, ["deid", str(src), "--no-progress"])
    assert res.exit_code == 0, res.output
    (rec,) = _lines(res.stdout)
    assert rec["id"] == "r1" and rec["text"] == "Seen by Dr. [NAME] on [DATE], phone [PHONE]."
    for p in rec["phi"]:
        assert rows[0]["text"][p["start"] : p["end"]] == p["text"]
    assert {p["type"] for p in rec["phi"]} == {"NAME", "DATE", "PHONE"}
    assert res.stderr.count("E505") == 2 and "E503" in res.stderr
    assert "Jane" not in res.stderr
    res = runner.invoke(
        app,
        ["deid", "-", "--format", "text", "--mode", "mask", "--no-progress"],
        input="Call Dr. Jane Doe.\n",
    )
    assert res.exit_code == 0 and res.stdout == "Call Dr. **** ***.\n"


def test_deid_surrogate_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDASSIST_DEID_SECRET", "cli-secret")
    res = runner.invoke(app, ["deid", str(folder), "--mode", "surrogate", "--no-progress"])
    assert res.exit_code == 0, res.output
    a = _lines(res.stdout)[0]
    assert "John Smith" not in a["text"] and "00482913" not in a["text"]
    again = runner.invoke(app, ["deid", str(folder), "--mode", "surrogate", "--no-progress"])
    assert _lines(again.stdout)[0]["text"] == a["text"]


def test_verbose_logs_carry_no_phi(folder: Path, config: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    res = runner.invoke(
        app, ["analyze", str(folder / "a.txt"), "--config", str(config), "--no-progress", "--verbose"]
    )
    assert res.exit_code == 0
    res = runner.invoke(
        app, ["deid", str(folder / "a.txt"), "--mode", "surrogate", "--no-progress", "--verbose"]
    )
    assert res.exit_code == 0
    logged = "\n".join(r.getMessage() for r in caplog.records) + res.stderr
    assert "deid:" in logged  # the per-type counts were logged
    for phi in ("John", "Smith", "00482913", "03/14/1950", "O'Brien"):
        assert phi not in logged


def test_deid_text_format_for_many_items(folder: Path) -> None:
    res = runner.invoke(app, ["deid", str(folder), "--format", "text", "--no-progress"])
    assert res.exit_code == 0
    assert res.stdout.count("==> ") == 3 and "[NAME]" in res.stdout
