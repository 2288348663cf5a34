from medassist.nlp._text import DATA_DIR, iter_data_lines


def test_problem_codes_are_valid_icd10cm() -> None:
    import simple_icd_10_cm as cm

    bad = [(f[0], f[2]) for _, f in iter_data_lines(DATA_DIR / "problems.tsv") if not cm.is_valid_item(f[2])]
    assert bad == []


def test_tsv_files_have_the_fields_they_need() -> None:
    for name, n in [
        ("problems.tsv", 3),
        ("drugs.tsv", 3),
        ("findings.tsv", 2),
        ("tests.tsv", 2),
        ("procedures.tsv", 2),
        ("anatomy.tsv", 2),
        ("allergens.tsv", 2),
    ]:
        rows = list(iter_data_lines(DATA_DIR / name))
        assert rows, name
        assert all(len(f) >= n and f[0] for _, f in rows), name


def test_name_lexicons() -> None:
    from medassist.nlp.deid.patterns import load_lexicons

    lex = load_lexicons()
    assert len(lex.first_names) > 300 and len(lex.last_names) > 900 and "springfield" in lex.cities
