from medassist.nlp.sentences import make_sentencizer, split_sentences


def _sents(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_punctuation_and_abbreviations() -> None:
    text = "Dr. J. Smith saw the pt. today. Took metoprolol 25 mg p.o. b.i.d. as directed. Temp 98.6 F."
    assert _sents(text) == [
        "Dr. J. Smith saw the pt. today.",
        "Took metoprolol 25 mg p.o. b.i.d. as directed.",
        "Temp 98.6 F.",
    ]


def test_line_structure_headings_and_lists() -> None:
    text = "ASSESSMENT AND PLAN\n1. Chest pain, r/o ACS.\n2. HTN.\nPMH:\n- DM2\n- CHF\nHe denies SOB\nbut reports nausea."
    assert _sents(text) == [
        "ASSESSMENT AND PLAN",
        "1. Chest pain, r/o ACS.",
        "2. HTN.",
        "PMH:",
        "- DM2",
        "- CHF",
        "He denies SOB\nbut reports nausea.",
    ]


def test_inline_headings_of_transcriptions() -> None:
    text = "CHIEF COMPLAINT:, Cough.,HISTORY OF PRESENT ILLNESS:, She is well."
    sents = _sents(text)
    assert sents[0].startswith("CHIEF COMPLAINT") and sents[1].startswith("HISTORY OF PRESENT ILLNESS")


def test_component_offsets_cover_text() -> None:
    from medassist.doc import Note

    note = make_sentencizer()(Note(text="  One.  Two!\n\nThree?  "))
    assert [note.text[s:e] for s, e in note.sentences] == ["One.", "Two!", "Three?"]
