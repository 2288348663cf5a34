"""The curated vocabularies (medassist.knowledge.terms): every kind loads, a missing or broken file is a
catalogued error that says what to do, and the integrity check (medassist kb check) catches bad tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medassist.errors import ErrorCode, KnowledgeBaseError
from medassist.knowledge import KnowledgeBase
from medassist.knowledge.check import main as kb_check
from medassist.knowledge.terms import KINDS, RULE_FILES, TERMS_DIR, problems, rules_file, terms


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped vocabularies to break."""
    dest = tmp_path / "terms"
    shutil.copytree(TERMS_DIR, dest)
    return dest


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_loads_with_the_fields_it_promises(kind: str) -> None:
    table = terms(kind)
    spec = KINDS[kind]
    assert len(table) > 0
    assert all(spec.fields <= len(row) <= (spec.max_fields or spec.fields) and all(row[: spec.fields]) for row in table)
    assert table.path.parent == TERMS_DIR
    assert terms(kind) is table  # cached


def test_tables_read_as_words_and_mappings() -> None:
    assert {"mother", "father", "sister"} <= terms("relatives").words()
    assert terms("routes").mapping()["po"] == "oral"
    assert terms("clinical_abbreviations").mapping()["L"] == "left"
    assert list(terms("dose_units").mapping())[:2] == ["mg", "milligram"]  # file order is kept


@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_rule_files_exist(name: str) -> None:
    assert rules_file(name).is_file()


def test_the_knowledge_base_exposes_the_vocabularies(tmp_path: Path) -> None:
    from tests.diagnosis.conftest import write_kb

    kb = KnowledgeBase.load()
    assert kb.terms_dir == TERMS_DIR
    assert ("hypertension", "Hypertension", "I10") in kb.terms("problems").rows
    small = KnowledgeBase.load(write_kb(tmp_path / "kb"))  # no terms/ folder of its own: the shipped ones
    assert small.terms_dir is None and small.terms("routes") is terms("routes")


def test_the_shipped_vocabularies_have_no_problems() -> None:
    assert problems() == []


def test_a_missing_file_is_e304_and_says_how_to_restore_it(folder: Path) -> None:
    (folder / "routes.tsv").unlink()
    with pytest.raises(KnowledgeBaseError) as err:
        terms("routes", folder)
    assert err.value.code is ErrorCode.E304
    assert "routes.tsv" in str(err.value) and "restore the file" in str(err.value) and "medassist kb check" in str(err.value)
    (folder / "sections.yaml").unlink()
    with pytest.raises(KnowledgeBaseError) as err:
        rules_file("sections", folder)
    assert err.value.code is ErrorCode.E304


def test_a_row_with_too_few_fields_is_e305_with_its_line(folder: Path) -> None:
    path = folder / "problems.tsv"
    path.write_text(path.read_text(encoding="utf-8") + "angina\tAngina\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as err:
        terms("problems", folder)
    assert err.value.code is ErrorCode.E305
    lines = path.read_text(encoding="utf-8").count("\n")
    assert f"line {lines}" in str(err.value) and "Fix the file" in str(err.value)


def test_a_file_that_is_not_utf8_is_e305(folder: Path) -> None:
    (folder / "anatomy.tsv").write_bytes(b"# anatomy\nc\xf4te\tRib\n")
    with pytest.raises(KnowledgeBaseError) as err:
        terms("anatomy", folder)
    assert err.value.code is ErrorCode.E305


def test_an_unknown_kind_is_e306_listing_the_kinds() -> None:
    with pytest.raises(KnowledgeBaseError) as err:
        terms("synonyms")
    assert err.value.code is ErrorCode.E306 and "problems" in str(err.value)


def test_the_integrity_check_catches_an_empty_table(folder: Path) -> None:
    (folder / "relatives.txt").write_text("# words naming a relative, one a line\n\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as err:
        terms("relatives", folder)
    assert err.value.code is ErrorCode.E305 and "no entries" in str(err.value)
    found = problems(folder)
    assert len(found) == 1 and "relatives.txt" in found[0] and "no entries" in found[0]


def test_the_integrity_check_catches_a_duplicated_entry(folder: Path) -> None:
    path = folder / "tests.tsv"
    path.write_text(path.read_text(encoding="utf-8") + "CBC\tComplete blood count\n", encoding="utf-8")
    found = problems(folder)
    assert len(found) == 1 and "'CBC' is listed twice" in found[0]
    # clinical abbreviations are case-sensitive: "l" and "L" are two entries
    path = folder / "clinical_abbreviations.tsv"
    path.write_text(path.read_text(encoding="utf-8") + "l\tlitre\n", encoding="utf-8")
    assert len(problems(folder)) == 1


def test_the_integrity_check_wants_sources_for_medical_tables_and_valid_rule_files(folder: Path) -> None:
    path = folder / "routes.tsv"
    body = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    path.write_text("# routes: as written, route\n" + "\n".join(body) + "\n", encoding="utf-8")
    (folder / "context_rules_patient.yaml").write_text("# rules\nrules: [unclosed\n", encoding="utf-8")
    found = problems(folder)
    assert any("routes.tsv" in p and "names no sources" in p for p in found)
    assert any("context_rules_patient.yaml" in p and "YAML" in p for p in found)
    assert len(found) == 2


def test_kb_check_reports_vocabulary_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.diagnosis.conftest import write_kb

    kb_root = write_kb(tmp_path / "kb")  # a small knowledge base with its own copy of the vocabularies
    shutil.copytree(TERMS_DIR, kb_root / "terms")
    assert kb_check([str(kb_root)]) == 0
    assert "vocabularies: " in capsys.readouterr().out
    (kb_root / "terms" / "frequencies.tsv").unlink()
    assert kb_check([str(kb_root)]) == 1
    assert "[E304]" in capsys.readouterr().err


def test_no_curated_table_is_left_beside_the_code() -> None:
    """Word lists and rule files live under knowledge/data (the de-identification and drug tables included)."""
    import medassist

    package = Path(medassist.__file__).parent
    stray = [p.relative_to(package) for ext in ("tsv", "txt", "yaml") for p in package.rglob(f"*.{ext}")
             if p.parts[len(package.parts)] in ("nlp", "drugs", "diagnosis")]
    assert stray == []
