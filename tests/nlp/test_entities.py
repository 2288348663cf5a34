from medassist.doc import Concept, Entity, Note
from medassist.nlp.entities import EntityMatcher, make_entity_matcher, merge_entities
from medassist.nlp.lexicon import Lexicon, TermInfo


def _ents(text: str, **kw) -> list[tuple[str, str, str]]:
    m = make_entity_matcher(use_kb=False, use_drugs=False, **kw)
    return [(e.text, e.label, e.attributes.get("canonical", "")) for e in m(Note(text=text)).entities]


def test_clinical_abbreviations() -> None:
    text = (
        "Hx HTN, DM2, T2DM, CHF, COPD, MI s/p CABG; presents with CP, SOB, N/V. Check CBC, BMP, CT and MRI."
    )
    got = {t: lab for t, lab, _ in _ents(text)}
    assert got == {
        "HTN": "problem", "DM2": "problem", "T2DM": "problem", "CHF": "problem", "COPD": "problem", "MI": "problem",
        "CABG": "procedure", "CP": "finding", "SOB": "finding", "N/V": "finding", "CBC": "test", "BMP": "test",
        "CT": "test", "MRI": "test",
    }  # fmt: skip


def test_longest_match_case_insensitive_and_token_boundaries() -> None:
    got = _ents(
        "Type 2 Diabetes Mellitus and chest pain radiating; Lasix 40 mg; A-fib; x-rays; hx of headaches"
    )
    assert ("Type 2 Diabetes Mellitus", "problem", "Type 2 diabetes mellitus") in got
    assert ("Lasix", "drug", "furosemide") in got
    assert ("A-fib", "problem", "Atrial fibrillation") in got
    assert ("headaches", "finding", "Headache") in got
    # no match inside words, and short abbreviations only in capitals
    assert _ents("XT2DMY cadaver pad of paper, the mi was small, ms") == [] or all(
        t not in ("T2DM", "cad", "pad", "mi", "ms")
        for t, _, _ in _ents("XT2DMY cadaver pad of paper, the mi was small, ms")
    )


def test_headings_are_skipped() -> None:
    from medassist.nlp.sections import make_sectionizer

    note = make_sectionizer()(Note(text="CHEST PAIN HISTORY:\nHe has chest pain."))
    note = make_entity_matcher(use_kb=False, use_drugs=False)(note)
    assert [(e.text, e.section) for e in note.entities if e.label == "finding"] == [("chest pain", "other")]


def test_labels_setting_filters() -> None:
    assert {lab for _, lab, _ in _ents("HTN on lisinopril, CBC", labels=["drug"])} == {"drug"}


def _ent(s: int, e: int, label: str, source: str, score: float = 1.0, concepts=None) -> Entity:
    return Entity(
        start=s, end=e, label=label, text="x" * (e - s), source=source, score=score, concepts=concepts or []
    )


def test_merge_precedence_rules() -> None:
    lex_drug = _ent(0, 10, "drug", "lexicon", concepts=[Concept("medassist-drug", "metoprolol")])
    ner_drug = _ent(0, 10, "drug", "ner", 0.9)
    merged = merge_entities([lex_drug, ner_drug])
    assert len(merged) == 1 and merged[0].source == "lexicon+ner" and merged[0].concepts
    # longer span wins; its concepts come from the same-label loser
    longer = merge_entities(
        [_ent(0, 10, "drug", "lexicon", concepts=[Concept("x", "1")]), _ent(0, 19, "drug", "ner")]
    )
    assert [(e.end, e.source, [c.code for c in e.concepts]) for e in longer] == [(19, "ner", ["1"])]
    # equal length, different labels: ner wins for drug/problem, lexicon wins for finding
    a = merge_entities([_ent(0, 8, "finding", "lexicon"), _ent(0, 8, "problem", "ner")])
    assert [(e.label, e.source) for e in a] == [("problem", "ner")]
    b = merge_entities(
        [_ent(0, 8, "finding", "lexicon"), _ent(0, 8, "finding", "ner"), _ent(0, 8, "test", "ner")]
    )
    assert [(e.label, e.source) for e in b] == [("finding", "lexicon+ner")]
    c = merge_entities([_ent(0, 8, "finding", "lexicon"), _ent(2, 10, "finding", "ner")])
    assert [(e.source) for e in c] == ["lexicon"]
    # non-overlapping entities are all kept, in order
    d = merge_entities(
        [_ent(20, 25, "drug", "ner"), _ent(0, 5, "drug", "lexicon"), _ent(10, 12, "test", "lexicon")]
    )
    assert [e.start for e in d] == [0, 10, 20]


def test_entities_merge_with_existing_ner_entities() -> None:
    note = Note(text="Started metoprolol succinate ER today.")
    note.entities = [
        Entity(start=8, end=31, label="drug", text="metoprolol succinate ER", source="ner", score=0.8)
    ]
    note = make_entity_matcher(use_kb=False, use_drugs=False)(note)
    drugs = [e for e in note.entities if e.label == "drug"]
    assert [(d.text, d.source) for d in drugs] == [("metoprolol succinate ER", "ner")]
    assert [c.code for c in drugs[0].concepts] == ["metoprolol"]  # taken over from the shorter lexicon match


def test_lexicon_plural_and_same_term_in_two_sources() -> None:
    lex = Lexicon()
    lex.add("wheeze", TermInfo("finding", "Wheezing"))
    lex.add("wheeze", TermInfo("problem", "Wheeze disorder", [("icd10cm", "R06.2", "Wheezing")]))
    ms = lex.match("wheezes and wheeze")
    assert [(m.info.label, m.end - m.start) for m in ms] == [("problem", 7), ("problem", 6)]


def test_works_with_knowledge_base_and_drugs_when_present() -> None:
    # sources written concurrently may be missing or incomplete: building must still work
    m = make_entity_matcher(use_kb=True, use_drugs=True)
    labels = {e.label for e in m(Note(text="Fever and cough on amoxicillin 500 mg tid.")).entities}
    assert {"finding", "drug"} <= labels


def test_pooled_concepts_keep_one_display_per_code() -> None:
    lex = Lexicon()
    lex.add("angina", TermInfo("problem", "Stable angina", [("medassist-kb", "stable_angina", "Stable angina"),
                                                           ("icd10cm", "I20.9", "Stable angina")], "kb", 0))
    lex.add("angina", TermInfo("problem", "Angina pectoris", [("icd10cm", "I20.9", "Angina pectoris")], "team", 0))
    m = EntityMatcher(lex, frozenset({"problem"}))
    (ent,) = m(Note(text="Chest tightness from angina.")).entities
    assert [(c.system, c.code) for c in ent.concepts] == [("medassist-kb", "stable_angina"), ("icd10cm", "I20.9")]
    # the same span found twice (lexicon and NER) keeps one I20.9 too
    a = Entity(start=0, end=6, label="problem", text="angina", source="lexicon", concepts=[Concept("icd10cm", "I20.9", "Stable angina")])
    b = Entity(start=0, end=6, label="problem", text="angina", source="ner", concepts=[Concept("icd10cm", "I20.9", "Angina pectoris")])
    (merged,) = merge_entities([a, b])
    assert len(merged.concepts) == 1 and merged.source == "lexicon+ner"
