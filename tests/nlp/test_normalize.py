import numpy as np
import pytest

from medassist.doc import Entity, Note
from medassist.nlp.normalize import Normalizer, icd10_index, norm_text


def _note(*ents: tuple[str, str]) -> Note:
    return Note(text="x", entities=[Entity(start=0, end=1, label=lab, text=t) for t, lab in ents])


def test_icd10_exact_lookup_of_problems() -> None:
    assert norm_text("Essential (primary) hypertension") == "essential primary hypertension"
    assert icd10_index()["essential primary hypertension"][0] == "I10"
    note = Normalizer(kb=False)(
        _note(("Essential (primary) hypertension", "problem"), ("Acute appendicitis, unspecified", "problem"))
    )
    codes = [[(c.system, c.code) for c in e.concepts] for e in note.entities]
    assert codes[0] == [("icd10cm", "I10")]
    assert codes[1][0][0] == "icd10cm" and codes[1][0][1].startswith("K35")


def test_existing_codes_are_kept(analysis_nlp) -> None:
    note = analysis_nlp("HTN and CHF.")
    assert [[c.code for c in e.concepts if c.system == "icd10cm"] for e in note.entities] == [
        ["I10"],
        ["I50.9"],
    ]


class FakeEncoder:
    """Bag-of-letters vectors: enough to test the embedding path without torch."""

    name = "fake-encoder"

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), 26), dtype="float32")
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_embedding_fallback_with_cache(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDASSIST_CACHE_DIR", str(tmp_path))
    enc = FakeEncoder()
    norm = Normalizer(kb=False, embeddings=True, min_similarity=0.9, icd_depth=0, encoder=enc)
    note = norm(_note(("hypertensoin", "problem"), ("zzzz qqq", "problem"), ("metoprolol", "drug")))
    first = note.entities[0]
    assert first.concepts and first.concepts[0].system == "icd10cm" and first.concepts[0].code == "I10"
    assert first.attributes["normalized_by"] == "embedding" and 0.9 <= first.concepts[0].score <= 1.0
    assert note.entities[1].concepts == []  # below the similarity threshold
    assert note.entities[2].concepts == []  # drugs are not embedded
    assert list(tmp_path.glob("phrases-*.npz"))
    calls = enc.calls
    Normalizer(kb=False, embeddings=True, icd_depth=0, encoder=enc).index().matrix  # noqa: B018  (loads the cache)
    assert enc.calls == calls  # the cached index was not embedded again


def test_embeddings_off_never_loads_an_encoder() -> None:
    def boom(texts):
        raise AssertionError("encoder called")

    note = Normalizer(kb=False, embeddings=False, encoder=boom)(_note(("hypertensoin", "problem")))
    assert note.entities[0].concepts == []


@pytest.mark.slow
def test_minilm_embedding_normalization(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDASSIST_CACHE_DIR", str(tmp_path))
    norm = Normalizer(kb=False, embeddings=True, icd_depth=0, min_similarity=0.7)
    note = norm(_note(("high blood pressure disease", "problem")))
    assert note.entities[0].concepts and note.entities[0].concepts[0].code == "I10"
