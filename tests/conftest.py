"""Shared fixtures: tiny corpora the tests write themselves (no downloads, no shared data)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SENTENCES = [
    ("Aspirin induced asthma in a patient with hypertension .", [("Aspirin", "Chemical"), ("asthma", "Disease"), ("hypertension", "Disease")]),
    ("Cisplatin nephrotoxicity was reduced by magnesium .", [("Cisplatin", "Chemical"), ("nephrotoxicity", "Disease"), ("magnesium", "Chemical")]),
    ("No seizures were seen after lidocaine infusion .", [("seizures", "Disease"), ("lidocaine", "Chemical")]),
    ("Haloperidol can cause tardive dyskinesia in older adults .", [("Haloperidol", "Chemical"), ("tardive dyskinesia", "Disease")]),
    ("The patient developed acute renal failure on gentamicin .", [("acute renal failure", "Disease"), ("gentamicin", "Chemical")]),
    ("Warfarin and ibuprofen together raise bleeding risk .", [("Warfarin", "Chemical"), ("ibuprofen", "Chemical"), ("bleeding", "Disease")]),
]


def _iob2(sentence: str, ents: list[tuple[str, str]]) -> list[tuple[str, str]]:
    tokens = sentence.split()
    tags = ["O"] * len(tokens)
    for surface, label in ents:
        words = surface.split()
        for i in range(len(tokens) - len(words) + 1):
            if tokens[i : i + len(words)] == words and tags[i] == "O":
                tags[i] = f"B-{label}"
                for k in range(1, len(words)):
                    tags[i + k] = f"I-{label}"
                break
    return list(zip(tokens, tags, strict=True))


def write_conll(path: Path, sentences=SENTENCES, repeat: int = 1) -> Path:
    lines = []
    for _ in range(repeat):
        for sent, ents in sentences:
            lines.extend(f"{t}\t{g}" for t, g in _iob2(sent, ents))
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_spans_jsonl(path: Path, sentences=SENTENCES) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i, (sent, ents) in enumerate(sentences):
            spans, pos = [], 0
            for surface, label in ents:
                start = sent.index(surface, pos)
                spans.append({"start": start, "end": start + len(surface), "label": label})
                pos = start + len(surface)
            fh.write(json.dumps({"id": f"s{i}", "text": sent, "entities": spans}) + "\n")
    return path


TEXTS = [
    ("I have a runny nose and sneezing since yesterday", "cold"),
    ("Blocked nose, sore throat and a mild cough", "cold"),
    ("Sneezing a lot and my nose is streaming", "cold"),
    ("Crushing pain in my chest going down my left arm", "cardiac"),
    ("Heavy pressure in the chest and sweating", "cardiac"),
    ("Chest tightness when I walk uphill", "cardiac"),
    ("Burning when I pee and going very often", "uti"),
    ("It stings to pass urine and it smells bad", "uti"),
    ("Needing the toilet all the time and pain peeing", "uti"),
]


def write_text_csv(path: Path, rows=TEXTS, repeat: int = 2) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "label"])
        n = 0
        for r in range(repeat):
            for text, label in rows:
                w.writerow([f"t{n}", f"{text} ({r})" if r else text, label])
                n += 1
    return path


def write_relations(path: Path, repeat: int = 2) -> Path:
    base = [
        ("Aspirin increases the effect of warfarin .", (0, 7), (32, 40), "effect"),
        ("Ketoconazole inhibits the metabolism of simvastatin .", (0, 12), (40, 51), "mechanism"),
        ("Avoid combining sildenafil with nitrates .", (16, 26), (32, 40), "advise"),
        ("Paracetamol was given with amoxicillin .", (0, 11), (27, 38), "none"),
    ]
    with path.open("w", encoding="utf-8") as fh:
        for r in range(repeat):
            for i, (text, e1, e2, label) in enumerate(base):
                fh.write(json.dumps({"id": f"r{r}-{i}", "text": text, "e1": list(e1), "e2": list(e2), "label": label}) + "\n")
    return path


@pytest.fixture
def conll_file(tmp_path: Path) -> Path:
    return write_conll(tmp_path / "tiny.tsv", repeat=2)


@pytest.fixture
def spans_file(tmp_path: Path) -> Path:
    return write_spans_jsonl(tmp_path / "tiny.jsonl")


@pytest.fixture
def text_csv(tmp_path: Path) -> Path:
    return write_text_csv(tmp_path / "texts.csv")


@pytest.fixture
def relations_file(tmp_path: Path) -> Path:
    return write_relations(tmp_path / "rel.jsonl")


@pytest.fixture(scope="session")
def minilm_tokenizer():
    from transformers import AutoTokenizer

    from medassist.models.encoders import minilm_path

    return AutoTokenizer.from_pretrained(minilm_path())


def _tiny_train(task: str, data: Path, out: Path, **data_kw):
    from medassist.training import train

    cfg = {
        "task": task, "output_dir": str(out),
        "data": {"train": str(data), "dev": str(data), **data_kw},
        "model": {"mode": "lora", "max_length": 48, "stride": 8, "lora": {"r": 4, "alpha": 8}},
        "training": {"max_steps": 2, "batch_size": 4, "learning_rate": 1e-3, "progress": False, "calibrate": False},
    }
    return train(cfg).output_dir


@pytest.fixture(scope="session")
def tiny_token_model(tmp_path_factory) -> Path:
    """A token-classification model (Chemical/Disease) trained for two steps, once per session."""
    d = tmp_path_factory.mktemp("tok")
    return _tiny_train("token_classification", write_conll(d / "c.tsv", repeat=2), d / "model")


@pytest.fixture(scope="session")
def tiny_relation_model(tmp_path_factory) -> Path:
    """A relation model (effect/mechanism/advise/none) trained for two steps, once per session."""
    d = tmp_path_factory.mktemp("rel")
    return _tiny_train("relation_classification", write_relations(d / "r.jsonl"), d / "model", negative_label="none")
