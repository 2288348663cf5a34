"""The one phrase matcher: longest match at each position (``match``) and longest first anywhere
(``match_longest_first``, the drug resolver's choice)."""

from __future__ import annotations

from medassist.matcher import PhraseMatcher, note_tokens


def _matcher(*phrases: str) -> PhraseMatcher[str]:
    m: PhraseMatcher[str] = PhraseMatcher(note_tokens)
    for p in phrases:
        m.add(p, p)
    return m


def test_longest_first_lets_a_longer_later_phrase_win() -> None:
    m = _matcher("canesten oral", "oral contraceptive pill", "pill")
    text = "canesten oral contraceptive pill"
    assert [x.value for x in m.match(text)] == ["canesten oral", "pill"]
    assert [x.value for x in m.match_longest_first(text)] == ["oral contraceptive pill"]


def test_longest_first_keeps_shorter_phrases_that_do_not_overlap_in_text_order() -> None:
    m = _matcher("a b", "b c d", "e", "a")
    found = m.match_longest_first("a b c d e")
    assert [(x.value, x.first, x.last) for x in found] == [("a", 0, 0), ("b c d", 1, 3), ("e", 4, 4)]


def test_longest_first_breaks_ties_by_characters_then_position() -> None:
    m = _matcher("ab cd", "cd efghij", "x y")
    assert [x.value for x in m.match_longest_first("ab cd efghij")] == ["cd efghij"]
    m = _matcher("x y", "y z")
    assert [x.value for x in m.match_longest_first("x y z")] == ["x y"]
