"""Corpus readers: formats, tag schemes, malformed inputs, splitting and de-duplication."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medassist.errors import DataError
from medassist.training.corpus import (
    dedupe,
    group_sentences,
    read_brat,
    read_classification,
    read_conll,
    read_jsonl_spans,
    read_relations,
    read_spans,
    split,
    tags_to_spans,
    write_conll,
)


def _write(p: Path, text: str) -> Path:
    p.write_text(text, encoding="utf-8")
    return p


# ----------------------------------------------------------------- CoNLL and tag schemes

IOB2 = "Acute\tB-Disease\nrenal\tI-Disease\nfailure\tI-Disease\non\tO\ngentamicin\tB-Chemical\n\n"
IOB1 = "Acute\tI-Disease\nrenal\tI-Disease\nfailure\tI-Disease\non\tO\ngentamicin\tI-Chemical\n\n"
BIOES = "Acute\tB-Disease\nrenal\tI-Disease\nfailure\tE-Disease\non\tO\ngentamicin\tS-Chemical\n\n"


@pytest.mark.parametrize("content", [IOB2, IOB1, BIOES], ids=["iob2", "iob1", "bioes"])
def test_conll_schemes_normalise_to_the_same_spans(tmp_path, content):
    docs = read_conll(_write(tmp_path / "c.tsv", content))
    assert len(docs) == 1
    d = docs[0]
    assert [(d.text[a:b], lab) for a, b, lab in d.spans] == [("Acute renal failure", "Disease"), ("gentamicin", "Chemical")]
    assert d.word_tags() == ["B-Disease", "I-Disease", "I-Disease", "O", "B-Chemical"]


def test_iob1_adjacent_entities_split_on_b():
    assert tags_to_spans(["I-X", "I-X", "B-X", "O"]) == [(0, 2, "X"), (2, 3, "X")]


def test_conll_docstart_marks_groups_and_round_trips(tmp_path):
    content = "-DOCSTART-\tO\n\n" + IOB2 + "-DOCSTART-\tO\n\n" + IOB2
    docs = read_conll(_write(tmp_path / "c.tsv", content))
    assert len(docs) == 2 and docs[0].group != docs[1].group
    out = tmp_path / "out.tsv"
    write_conll(docs, out)
    again = read_conll(out)
    assert [d.spans for d in again] == [d.spans for d in docs]


def test_conll_token_without_tag_names_file_and_line(tmp_path):
    path = _write(tmp_path / "bad.tsv", "Aspirin\tB-Chemical\nasthma\n\n")
    with pytest.raises(DataError) as exc:
        read_conll(path)
    assert "bad.tsv:2" in str(exc.value) and "E102" in str(exc.value)


def test_conll_invalid_tag_says_how_to_fix(tmp_path):
    path = _write(tmp_path / "bad.tsv", "Aspirin\tB_Chemical\n\n")
    with pytest.raises(DataError) as exc:
        read_conll(path)
    msg = str(exc.value)
    assert "bad.tsv:1" in msg and "B_Chemical" in msg and "B-Disease" in msg


def test_conll_mixed_bioes_and_bilou_is_rejected(tmp_path):
    path = _write(tmp_path / "mix.tsv", "a\tS-X\nb\tU-X\n\n")
    with pytest.raises(DataError, match="E114"):
        read_conll(path)


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="E101"):
        read_conll(_write(tmp_path / "empty.tsv", "\n\n"))


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin.tsv"
    path.write_bytes("caf\xe9\tO\n".encode("latin-1"))
    with pytest.raises(DataError, match="E107"):
        read_conll(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="E111"):
        read_spans(tmp_path / "nope.tsv")


# ----------------------------------------------------------------- JSONL spans

def test_jsonl_spans(spans_file):
    docs = read_jsonl_spans(spans_file)
    assert len(docs) == 6
    d = docs[0]
    assert [d.text[a:b] for a, b, _ in d.spans] == ["Aspirin", "asthma", "hypertension"]
    assert d.word_tags()[0] == "B-Chemical"


@pytest.mark.parametrize(
    "line,code",
    [
        ("{not json", "E104"),
        (json.dumps({"entities": []}), "E105"),
        (json.dumps({"text": "abc", "entities": [{"start": 0, "end": 9, "label": "X"}]}), "E106"),
        (json.dumps({"text": "abc", "entities": [{"start": 0, "label": "X"}]}), "E105"),
        (json.dumps({"text": "abcdef", "entities": [{"start": 0, "end": 4, "label": "X"}, {"start": 2, "end": 5, "label": "Y"}]}), "E112"),
    ],
    ids=["bad-json", "no-text", "out-of-range", "no-end", "overlap"],
)
def test_jsonl_malformed(tmp_path, line, code):
    path = _write(tmp_path / "bad.jsonl", json.dumps({"text": "ok", "entities": []}) + "\n" + line + "\n")
    with pytest.raises(DataError) as exc:
        read_jsonl_spans(path)
    assert code in str(exc.value) and "bad.jsonl:2" in str(exc.value)


# ----------------------------------------------------------------- BRAT

def test_brat_folder(tmp_path):
    _write(tmp_path / "a.txt", "Metformin for type 2 diabetes.")
    _write(tmp_path / "a.ann", "T1\tDrug 0 9\tMetformin\nT2\tProblem 14 29\ttype 2 diabetes\nR1\tTreats Arg1:T1 Arg2:T2\n")
    _write(tmp_path / "b.txt", "No findings.")
    docs = read_brat(tmp_path)
    assert len(docs) == 2
    a = docs[0]
    assert [(a.text[s:e], lab) for s, e, lab in a.spans] == [("Metformin", "Drug"), ("type 2 diabetes", "Problem")]
    assert docs[1].spans == []


def test_brat_discontinuous_fragments(tmp_path):
    _write(tmp_path / "a.txt", "left and right knee pain")
    _write(tmp_path / "a.ann", "T1\tAnatomy 0 4;15 19\tleft knee\n")
    assert read_brat(tmp_path)[0].spans == [(0, 4, "Anatomy"), (15, 19, "Anatomy")]


def test_brat_malformed(tmp_path):
    _write(tmp_path / "a.txt", "text")
    _write(tmp_path / "a.ann", "T1\tDrug zero four\ttext\n")
    with pytest.raises(DataError) as exc:
        read_brat(tmp_path)
    assert "a.ann:1" in str(exc.value) and "E108" in str(exc.value)


# ----------------------------------------------------------------- classification

def test_csv_single_and_multi_label(tmp_path):
    p = _write(tmp_path / "c.csv", "text,label\nfever and cough,flu|covid\nrash,eczema\n")
    single = read_classification(p)
    assert single[0].labels == ["flu|covid"]
    multi = read_classification(p, label_separator="|")
    assert multi[0].labels == ["flu", "covid"] and multi[1].labels == ["eczema"]


def test_jsonl_classification_with_list_labels(tmp_path):
    p = _write(tmp_path / "c.jsonl", json.dumps({"text": "a", "label": ["x", "y"]}) + "\n")
    assert read_classification(p)[0].labels == ["x", "y"]


def test_csv_missing_column_names_header(tmp_path):
    p = _write(tmp_path / "c.csv", "sentence,label\nhello,x\n")
    with pytest.raises(DataError) as exc:
        read_classification(p)
    assert "E109" in str(exc.value) and "sentence" in str(exc.value)


def test_csv_empty_label(tmp_path):
    p = _write(tmp_path / "c.csv", "text,label\nhello,\n")
    with pytest.raises(DataError, match="E115"):
        read_classification(p)


def test_relations_are_marked(relations_file):
    exs = read_relations(relations_file)
    assert exs[0].text.startswith("@ Aspirin @") and "# warfarin #" in exs[0].text
    assert exs[2].labels == ["advise"]


# ----------------------------------------------------------------- splitting and de-duplication

def test_split_is_seeded_and_disjoint(text_csv):
    exs = read_classification(text_csv)
    a = split(exs, dev=0.2, test=0.2, seed=1)
    b = split(exs, dev=0.2, test=0.2, seed=1)
    c = split(exs, dev=0.2, test=0.2, seed=2)
    assert [[e.id for e in part] for part in a] == [[e.id for e in part] for part in b]
    assert [[e.id for e in part] for part in a] != [[e.id for e in part] for part in c]
    ids = [e.id for part in a for e in part]
    assert sorted(ids) == sorted(e.id for e in exs) and len(set(ids)) == len(ids)


def test_split_keeps_documents_together(tmp_path):
    content = ("-DOCSTART-\tO\n\n" + IOB2 + IOB2) * 6
    docs = read_conll(_write(tmp_path / "c.tsv", content))
    train, dev, test = split(docs, dev=0.2, test=0.2, seed=3)
    groups = [{d.group for d in part} for part in (train, dev, test)]
    assert not (groups[0] & groups[1]) and not (groups[0] & groups[2]) and not (groups[1] & groups[2])


def test_split_rejects_bad_fractions(text_csv):
    with pytest.raises(DataError, match="E113"):
        split(read_classification(text_csv), dev=0.6, test=0.5)


def test_dedupe_ignores_case_and_spacing(tmp_path):
    p = _write(tmp_path / "c.csv", "text,label\nSore  throat,a\nsore throat,a\nfever,b\n")
    assert [e.text for e in dedupe(read_classification(p))] == ["Sore  throat", "fever"]


def test_group_sentences_keeps_sentence_boundaries(conll_file):
    docs = read_conll(conll_file)
    grouped = group_sentences(docs, max_words=30)
    assert len(grouped) < len(docs)
    flat = [tags for d in grouped for tags in d.sentence_tags()]
    assert flat == [d.word_tags() for d in docs]
    for g in grouped:
        for a, b, _ in g.spans:
            assert g.text[a:b].strip() == g.text[a:b]
