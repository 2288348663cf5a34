"""Corpus readers for token classification and text classification.

Every token-classification corpus becomes a list of :class:`SpanDoc` (text, word offsets, entity
character spans, sentence boundaries); every classification corpus a list of :class:`TextExample`.
Readers fail with an error that names the file, the line and the fix, and never return half a file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medassist.errors import DataError, ErrorCode
from medassist.text import mark_relation, word_offsets

_TAG = re.compile(r"^(?P<prefix>[BIESLU])-(?P<label>\S.*)$")
DOCSTART = "-DOCSTART-"


@dataclass
class SpanDoc:
    """A text with word offsets, entity spans (character offsets, end exclusive) and sentences."""

    text: str
    words: list[tuple[int, int]]
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)  # word-index ranges [a, b)
    id: str | None = None
    source: str = ""
    group: str | None = None  # document id, when a corpus marks documents (-DOCSTART-)
    sentence: bool = False  # one sentence of a document the corpus does not mark (CoNLL without -DOCSTART-)

    def __post_init__(self) -> None:
        if not self.sentences:
            self.sentences = [(0, len(self.words))]

    @property
    def tokens(self) -> list[str]:
        return [self.text[a:b] for a, b in self.words]

    def word_tags(self) -> list[str]:
        """IOB2 tags per word (an entity covers the words it overlaps)."""
        tags = ["O"] * len(self.words)
        for start, end, label in sorted(self.spans):
            inside = [i for i, (a, b) in enumerate(self.words) if a < end and start < b]
            for k, i in enumerate(inside):
                tags[i] = ("B-" if k == 0 else "I-") + label
        return tags

    def sentence_tags(self) -> list[list[str]]:
        tags = self.word_tags()
        return [tags[a:b] for a, b in self.sentences]


@dataclass
class TextExample:
    """A text with one or several labels (classification)."""

    text: str
    labels: list[str]
    id: str | None = None
    source: str = ""
    group: str | None = None  # document id: examples of one document stay in one split


# --------------------------------------------------------------------------- helpers


def _read_text(path: Path) -> str:
    if not path.exists():
        raise DataError(ErrorCode.E111, path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(ErrorCode.E107, path=path, detail=f"byte {exc.start}") from exc
    if not text.strip():
        raise DataError(ErrorCode.E101, path=path)
    return text


def _jsonl_objects(path: Path, content: str, required: Sequence[str], hint: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank JSONL line; errors name the file, the line and the missing key."""
    for lineno, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(ErrorCode.E104, path=path, line=lineno, detail=exc.msg) from exc
        for key in required:
            if not isinstance(obj, dict) or key not in obj:
                raise DataError(ErrorCode.E105, path=path, line=lineno, key=key, hint=hint)
        yield lineno, obj


def tags_to_spans(tags: Sequence[str], *, path: Path | str = "<tags>", lines: Sequence[int] | None = None) -> list[tuple[int, int, str]]:
    """Decode IOB1, IOB2 or BIOES/BILOU tags into (first_word, last_word_exclusive, label) spans.

    An entity starts at B-/S-/U-, or at I-/E-/L- whose previous tag is not of the same label (IOB1 and
    lenient IOB2); it ends after E-/L-/S-/U-, at O, or where the next tag starts another entity.
    """
    spans: list[tuple[int, int, str]] = []
    start: int | None = None
    label: str | None = None
    schemes: set[str] = set()
    for i, tag in enumerate(tags):
        line = lines[i] if lines is not None else i + 1
        if tag == "O":
            if start is not None:
                spans.append((start, i, label))  # type: ignore[arg-type]
            start, label = None, None
            continue
        m = _TAG.match(tag)
        if not m:
            raise DataError(ErrorCode.E103, path=path, line=line, tag=tag)
        prefix, lab = m.group("prefix"), m.group("label")
        if prefix in "ES":
            schemes.add("BIOES (E-/S-)")
        elif prefix in "LU":
            schemes.add("BILOU (L-/U-)")
        continues = prefix in "IEL" and start is not None and label == lab
        if not continues:
            if start is not None:
                spans.append((start, i, label))  # type: ignore[arg-type]
            start, label = i, lab
        if prefix in "ESLU":
            spans.append((start, i + 1, lab))  # type: ignore[arg-type]
            start, label = None, None
    if start is not None:
        spans.append((start, len(tags), label))  # type: ignore[arg-type]
    if len(schemes) > 1:
        raise DataError(ErrorCode.E114, path=path, found=" and ".join(sorted(schemes)))
    return spans


def _doc_from_tokens(tokens: list[str], tags: list[str], path: Path, lines: list[int], group: str | None) -> SpanDoc:
    text_parts: list[str] = []
    words: list[tuple[int, int]] = []
    pos = 0
    for tok in tokens:
        words.append((pos, pos + len(tok)))
        text_parts.append(tok)
        pos += len(tok) + 1
    text = " ".join(text_parts)
    spans = [(words[a][0], words[b - 1][1], lab) for a, b, lab in tags_to_spans(tags, path=path, lines=lines)]
    return SpanDoc(text=text, words=words, spans=spans, id=f"{path.name}:{lines[0]}", source=f"{path}:{lines[0]}", group=group,
                   sentence=group is None)


# --------------------------------------------------------------------------- readers


def read_conll(path: str | Path) -> list[SpanDoc]:
    """CoNLL/IOB: ``token<TAB>tag`` per line (the last column is the tag), blank line between sentences.

    ``-DOCSTART-`` lines mark document boundaries (kept as ``SpanDoc.group``).  IOB1, IOB2 and BIOES
    are accepted and normalised to character spans (and IOB2 when written back).
    """
    path = Path(path)
    text = _read_text(path)
    docs: list[SpanDoc] = []
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    group: str | None = None
    n_groups = 0

    def flush() -> None:
        if tokens:
            docs.append(_doc_from_tokens(tokens[:], tags[:], path, lines[:], group))
            tokens.clear()
            tags.clear()
            lines.clear()

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            flush()
            continue
        if line.startswith(DOCSTART):
            flush()
            n_groups += 1
            group = f"{path.name}#doc{n_groups}"
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        parts = [p for p in parts if p != ""]
        if len(parts) < 2:
            found = "only one field" if parts else "nothing"
            raise DataError(ErrorCode.E102, path=path, line=lineno, found=found)
        tokens.append(parts[0].strip())
        tags.append(parts[-1].strip())
        lines.append(lineno)
    flush()
    if not docs:
        raise DataError(ErrorCode.E101, path=path)
    return docs


def _check_spans(text: str, ents: list[tuple[int, int, str]], path: Path, lineno: int) -> list[tuple[int, int, str]]:
    ents = sorted(ents)
    for start, end, _ in ents:
        if not (0 <= start < end <= len(text)):
            raise DataError(ErrorCode.E106, path=path, line=lineno, start=start, end=end, length=len(text))
    for (a0, a1, al), (b0, b1, bl) in zip(ents, ents[1:], strict=False):
        if b0 < a1:
            raise DataError(ErrorCode.E112, path=path, line=lineno, a=f"{a0},{a1},{al}", b=f"{b0},{b1},{bl}")
    return ents


def read_jsonl_spans(path: str | Path) -> list[SpanDoc]:
    """JSONL: one ``{"text": ..., "entities": [{"start", "end", "label"}], "id"?: ...}`` per line."""
    path = Path(path)
    content = _read_text(path)
    docs: list[SpanDoc] = []
    for lineno, obj in _jsonl_objects(path, content, ("text",), 'Each line needs {"text": ..., "entities": [...]}.'):
        text = obj["text"]
        ents_raw = obj.get("entities", obj.get("spans", []))
        ents: list[tuple[int, int, str]] = []
        for ent in ents_raw:
            for key in ("start", "end", "label"):
                if key not in ent:
                    raise DataError(ErrorCode.E105, path=path, line=lineno, key=key, hint="Each entity needs start, end and label.")
            ents.append((int(ent["start"]), int(ent["end"]), str(ent["label"])))
        ents = _check_spans(text, ents, path, lineno)
        doc_id = str(obj.get("id", f"{path.name}:{lineno}"))
        docs.append(SpanDoc(text=text, words=word_offsets(text), spans=ents, id=doc_id, source=f"{path}:{lineno}"))
    if not docs:
        raise DataError(ErrorCode.E101, path=path)
    return docs


def read_brat(path: str | Path) -> list[SpanDoc]:
    """BRAT standoff: a folder of ``x.txt`` + ``x.ann`` pairs (or one ``.txt`` / ``.ann`` file).

    Text-bound annotations (``T1<TAB>Label 10 25<TAB>text``) become spans; discontinuous ones
    (``10 15;20 25``) contribute each fragment.  Relations, events and notes are ignored.
    """
    path = Path(path)
    if path.is_dir():
        txts = sorted(path.glob("*.txt"))
        if not txts:
            raise DataError(ErrorCode.E101, path=path)
    else:
        txts = [path.with_suffix(".txt")]
    docs: list[SpanDoc] = []
    for txt in txts:
        text = _read_text(txt)
        ann = txt.with_suffix(".ann")
        ents: list[tuple[int, int, str]] = []
        if ann.exists():
            for lineno, line in enumerate(ann.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.startswith("T"):
                    continue
                parts = line.split("\t")
                if len(parts) < 2:
                    raise DataError(ErrorCode.E108, path=ann, line=lineno, detail="expected tab-separated id, 'Label start end' and text")
                head = parts[1].split(" ", 1)
                if len(head) != 2:
                    raise DataError(ErrorCode.E108, path=ann, line=lineno, detail="missing offsets after the label")
                label, offsets = head
                try:
                    frags = [tuple(int(x) for x in frag.split()) for frag in offsets.split(";")]
                except ValueError as exc:
                    raise DataError(ErrorCode.E108, path=ann, line=lineno, detail="offsets must be integers") from exc
                for frag in frags:
                    if len(frag) != 2:
                        raise DataError(ErrorCode.E108, path=ann, line=lineno, detail="each fragment needs a start and an end")
                    ents.append((frag[0], frag[1], label))
            ents = _check_spans(text, ents, ann, 0)
        docs.append(SpanDoc(text=text, words=word_offsets(text), spans=ents, id=txt.stem, source=str(txt)))
    return docs


def read_classification(
    path: str | Path,
    *,
    text_column: str = "text",
    label_column: str = "label",
    label_separator: str | None = None,
    id_column: str | None = "id",
) -> list[TextExample]:
    """CSV (header row) or JSONL with a text and one label, or several (a JSON list, or a separator)."""
    path = Path(path)
    content = _read_text(path)
    out: list[TextExample] = []

    def labels_of(value: Any, lineno: int) -> list[str]:
        if isinstance(value, list):
            labels = [str(v).strip() for v in value]
        elif value is None:
            labels = []
        elif label_separator:
            labels = [v.strip() for v in str(value).split(label_separator)]
        else:
            labels = [str(value).strip()]
        labels = [lab for lab in labels if lab]
        if not labels:
            raise DataError(ErrorCode.E115, path=path, line=lineno)
        return labels

    if path.suffix.lower() in (".jsonl", ".json"):
        for lineno, obj in _jsonl_objects(path, content, (text_column, label_column),
                                          "Set text_column/label_column to the keys your file uses."):
            ex_id = str(obj[id_column]) if id_column and id_column in obj else f"{path.name}:{lineno}"
            out.append(TextExample(str(obj[text_column]), labels_of(obj[label_column], lineno), ex_id, f"{path}:{lineno}"))
    else:
        reader = csv.DictReader(content.splitlines())
        header = reader.fieldnames or []
        for col in (text_column, label_column):
            if col not in header:
                raise DataError(ErrorCode.E109, path=path, column=col, header=header)
        for i, row in enumerate(reader, start=2):
            ex_id = row[id_column] if id_column and id_column in row and row[id_column] else f"{path.name}:{i}"
            out.append(TextExample(row[text_column] or "", labels_of(row[label_column], i), ex_id, f"{path}:{i}"))
    if not out:
        raise DataError(ErrorCode.E101, path=path)
    return out


def _pair(value: Any) -> tuple[int, int] | None:
    if isinstance(value, dict) and "start" in value and "end" in value:
        return int(value["start"]), int(value["end"])
    if isinstance(value, list | tuple) and len(value) == 2:
        return int(value[0]), int(value[1])
    return None


def read_relations(path: str | Path, *, label_column: str = "label") -> list[TextExample]:
    """JSONL relation examples: ``{"text", "e1": [start, end], "e2": [start, end], "label"}``.

    The two arguments are marked in the text (``@ e1 @``, ``# e2 #``) so a sequence classifier sees them.
    """
    path = Path(path)
    content = _read_text(path)
    out: list[TextExample] = []
    hint = 'Relation lines look like {"text": ..., "e1": [s, e], "e2": [s, e], "label": ...}.'
    for lineno, obj in _jsonl_objects(path, content, ("text", "e1", "e2", label_column), hint):
        text = obj["text"]
        e1, e2 = _pair(obj["e1"]), _pair(obj["e2"])
        for span in (e1, e2):
            if span is None or not (0 <= span[0] < span[1] <= len(text)):
                raise DataError(ErrorCode.E106, path=path, line=lineno, start=span[0] if span else "?",
                                end=span[1] if span else "?", length=len(text))
        label = str(obj[label_column]).strip()
        if not label:
            raise DataError(ErrorCode.E115, path=path, line=lineno)
        ex_id = str(obj.get("id", f"{path.name}:{lineno}"))
        group = obj.get("group") or obj.get("doc_id")
        out.append(TextExample(mark_relation(text, e1, e2), [label], ex_id, f"{path}:{lineno}",  # type: ignore[arg-type]
                               str(group) if group else None))
    if not out:
        raise DataError(ErrorCode.E101, path=path)
    return out


SPAN_FORMATS = {"conll": read_conll, "jsonl": read_jsonl_spans, "brat": read_brat}


def guess_span_format(path: Path) -> str:
    if path.is_dir() or path.suffix == ".ann":
        return "brat"
    if path.suffix.lower() in (".jsonl", ".json"):
        return "jsonl"
    return "conll"


def read_spans(path: str | Path, fmt: str = "auto") -> list[SpanDoc]:
    """Read a token-classification corpus in any supported format (``auto`` guesses from the name)."""
    path = Path(path)
    if not path.exists():
        raise DataError(ErrorCode.E111, path=path)
    fmt = guess_span_format(path) if fmt == "auto" else fmt
    if fmt not in SPAN_FORMATS:
        raise DataError(ErrorCode.E110, path=path, fmt=fmt, choices=", ".join(SPAN_FORMATS))
    return SPAN_FORMATS[fmt](path)


# --------------------------------------------------------------------------- corpus utilities


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def dedupe(examples: Iterable[Any]) -> list[Any]:
    """Drop repeated texts (case and whitespace insensitive), keeping the first occurrence."""
    seen: set[str] = set()
    out = []
    for ex in examples:
        key = hashlib.sha1(_norm(ex.text).encode()).hexdigest()
        if key not in seen:
            seen.add(key)
            out.append(ex)
    return out


def split(examples: Sequence[Any], *, dev: float = 0.1, test: float = 0.1, seed: int = 13) -> tuple[list, list, list]:
    """Seeded train/dev/test split.  Examples sharing a ``group`` (document) stay in the same part."""
    if dev < 0 or test < 0 or dev + test >= 1:
        raise DataError(ErrorCode.E113, dev=dev, test=test)
    groups: dict[str, list[Any]] = {}
    for i, ex in enumerate(examples):
        key = getattr(ex, "group", None) or f"__{i}"
        groups.setdefault(key, []).append(ex)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    n = len(keys)
    n_test = round(n * test)
    n_dev = round(n * dev)
    test_keys, dev_keys, train_keys = keys[:n_test], keys[n_test : n_test + n_dev], keys[n_test + n_dev :]
    pick = lambda ks: [ex for k in ks for ex in groups[k]]  # noqa: E731
    return pick(train_keys), pick(dev_keys), pick(test_keys)


def group_sentences(docs: Sequence[SpanDoc], max_words: int) -> list[SpanDoc]:
    """Join consecutive sentences (of the same document, when marked) into context chunks.

    Each chunk keeps its sentence boundaries, so predictions can be scored per sentence.  Corpora
    whose sentences follow document order (BC5CDR, NCBI-disease) gain the neighbouring sentences as
    context for every word at no extra cost in tokens.
    """
    if max_words <= 0:
        return list(docs)
    out: list[SpanDoc] = []
    cur: list[SpanDoc] = []
    n_words = 0

    def flush() -> None:
        nonlocal n_words
        if not cur:
            return
        if len(cur) == 1:
            out.append(cur[0])
        else:
            text_parts, words, spans, sentences = [], [], [], []
            offset = 0
            for d in cur:
                base_w = len(words)
                words.extend((a + offset, b + offset) for a, b in d.words)
                spans.extend((a + offset, b + offset, lab) for a, b, lab in d.spans)
                sentences.extend((a + base_w, b + base_w) for a, b in d.sentences)
                text_parts.append(d.text)
                offset += len(d.text) + 1
            out.append(SpanDoc(" ".join(text_parts), words, spans, sentences, cur[0].id, cur[0].source, cur[0].group))
        cur.clear()
        n_words = 0

    for d in docs:
        if cur and (n_words + len(d.words) > max_words or d.group != cur[-1].group):
            flush()
        cur.append(d)
        n_words += len(d.words)
    flush()
    return out


def fingerprint(paths: Iterable[str | Path]) -> str:
    """sha256 over the bytes of the given data files (a folder counts its files in name order)."""
    h = hashlib.sha256()
    for p in paths:
        p = Path(p)
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        for f in files:
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def write_conll(docs: Iterable[SpanDoc], path: str | Path) -> None:
    """Write IOB2 CoNLL (one token per line, blank line between sentences)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for d in docs:
            tags = d.word_tags()
            for a, b in d.sentences:
                for i in range(a, b):
                    ws, we = d.words[i]
                    fh.write(f"{d.text[ws:we]}\t{tags[i]}\n")
                fh.write("\n")
