"""The clinical lexicon's drug terms come from the drug tables; a broken table is an error, never a fallback."""

from __future__ import annotations

import pytest

from medassist.errors import DrugDataError, ErrorCode
from medassist.nlp import lexicon


def test_drug_terms_are_the_drug_tables_names() -> None:
    lex = lexicon.Lexicon()
    assert lexicon._drug_terms(lex) > 1000
    by_term = dict(lex.terms())
    assert by_term["nurofen"].canonical == "ibuprofen"
    assert ("rxnorm", "5640", "ibuprofen") in by_term["ibuprofen"].concepts
    assert by_term["ibuprofin"].label == "drug"  # misspellings too
    nsaids = by_term["non steroidal anti inflammatory drugs ( nsaids )"]  # a class, by its name
    assert nsaids.concepts[0][:2] == ("medassist-drug-class", "nsaid")


def test_a_broken_drug_table_stops_the_lexicon(monkeypatch: pytest.MonkeyPatch) -> None:
    from medassist.drugs import data

    def broken() -> data.DrugDB:
        raise DrugDataError(ErrorCode.E701, path="drugs_01.yaml", detail="YAML syntax: ...")

    monkeypatch.setattr(data, "get_db", broken)
    with pytest.raises(DrugDataError) as exc:
        lexicon.build_lexicon.__wrapped__(use_kb=False, use_drugs=True)
    assert exc.value.code is ErrorCode.E701 and "drugs_01.yaml" in str(exc.value)
    assert lexicon.build_lexicon.__wrapped__(use_kb=False, use_drugs=False).size > 0  # without drugs: say so


def test_the_lexicon_is_the_same_in_every_process():
    """Building the lexicon does not depend on Python's per-process string hashing (it walked sets)."""
    import os
    import subprocess
    import sys

    code = "from medassist.nlp.lexicon import build_lexicon; l = build_lexicon(); print(l.size, l.digest)"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
            for seed in ("1", "2")}
    assert len(outs) == 1, outs
