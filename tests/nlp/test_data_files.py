from medassist.knowledge.terms import terms


def test_problem_codes_are_valid_icd10cm() -> None:
    import simple_icd_10_cm as cm

    bad = [(term, code) for term, _, code in terms("problems") if not cm.is_valid_item(code)]
    assert bad == []


def test_term_tables_have_the_fields_the_lexicon_reads() -> None:
    for kind, n in [("problems", 3), ("drugs", 2), ("findings", 2), ("tests", 2), ("procedures", 2),
                    ("anatomy", 2), ("allergens", 2)]:
        table = terms(kind)
        assert len(table) > 10, kind
        assert all(len(row) >= n and all(row[:n]) for row in table), kind


def test_name_lexicons() -> None:
    from medassist.nlp.deid.patterns import load_lexicons

    lex = load_lexicons()
    assert len(lex.first_names) > 300 and len(lex.last_names) > 900 and "springfield" in lex.cities
