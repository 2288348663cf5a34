"""The pipeline's build-time order check: a component that reads a field must come after one that writes it;
one that writes a field an earlier component uses when present (assertion: sentences, sections) is refused."""

from __future__ import annotations

import pytest

from medassist.doc import Note
from medassist.errors import ConfigError
from medassist.nlp.assertion import make_assertion
from medassist.pipeline import Pipeline


class _Writes:
    def __init__(self, *fields: str) -> None:
        self.reads: tuple[str, ...] = ()
        self.writes = fields

    def __call__(self, note: Note) -> Note:
        return note


def test_a_reader_before_its_writer_is_refused():
    with pytest.raises(ConfigError, match="reads \\['entities'\\]"):
        Pipeline([("assertion", make_assertion())])


def test_sections_written_after_assertion_is_refused():
    ok = Pipeline([("entities", _Writes("entities")), ("sections", _Writes("sections")), ("assertion", make_assertion())])
    assert ok.names == ["entities", "sections", "assertion"]
    with pytest.raises(ConfigError, match="'assertion' \\(earlier\\) uses"):
        Pipeline([("entities", _Writes("entities")), ("assertion", make_assertion()), ("sections", _Writes("sections"))])


def test_assertion_still_works_without_sections():
    Pipeline([("entities", _Writes("entities")), ("assertion", make_assertion())])  # sections are optional


def test_shipped_variants_satisfy_the_order_check():
    import medassist

    for name in ("default", "ner", "intake"):
        assert medassist.load(name).names
