"""Batch input for the note commands: a text file, a folder of text files, a CSV or JSONL file, or stdin.

Items stream one at a time.  An input that cannot be read becomes an :class:`Item` with ``error`` set (a
catalogue message naming the file and row, never its content) so the caller can report it and go on:
binary files, text that is not UTF-8, empty notes, a CSV without the text column, bad JSONL lines.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medassist.errors import ErrorCode, InputError

_BINARY_SAMPLE = 8192


@dataclass
class Item:
    id: str
    text: str | None = None
    error: str | None = None  # "[E50x] ..." message, safe to print (no note content)

    @property
    def ok(self) -> bool:
        return self.error is None


def _msg(code: ErrorCode, **kw: object) -> str:
    return f"[{code.name}] {code.value.format(**kw)}"


def _decode(data: bytes, item: str) -> str | Item:
    """The UTF-8 text of ``data`` (a BOM is dropped), or an error item that names the bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Item(item, error=_msg(ErrorCode.E502, item=item, detail=f"invalid byte at position {exc.start}"))


def decode_note(data: bytes, item: str) -> Item:
    """Bytes of one note -> an Item with its text, or with the reason it cannot be used."""
    sample = data[:_BINARY_SAMPLE]
    if b"\x00" in sample or (sample and sum(b < 9 or 13 < b < 32 for b in sample) / len(sample) > 0.1):
        return Item(item, error=_msg(ErrorCode.E501, item=item))
    text = _decode(data, item)
    if isinstance(text, Item):
        return text
    if not text.strip():
        return Item(item, error=_msg(ErrorCode.E503, item=item))
    return Item(item, text=text)


def _text_file(path: Path) -> Item:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Item(
            str(path),
            error=_msg(ErrorCode.E405, path=path, item=path.name, detail=exc.strerror or "unreadable"),
        )
    return decode_note(data, str(path))


def _csv_items(name: str, data: bytes, text_column: str, id_column: str | None) -> Iterator[Item]:
    content = _decode(data, name)
    if isinstance(content, Item):
        yield content
        return
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = reader.fieldnames or []
    if text_column not in header:
        yield Item(name, error=_msg(ErrorCode.E504, path=name, column=text_column, header=list(header)))
        return
    idcol = id_column if id_column in header else next((c for c in ("id", "note_id") if c in header), None)
    try:
        for rownum, row in enumerate(reader, 2):  # line 1 is the header
            ident = str(row.get(idcol) or "") if idcol else ""
            ident = ident or f"{name}:{rownum}"
            text = row.get(text_column) or ""
            if not text.strip():
                yield Item(ident, error=_msg(ErrorCode.E503, item=f"{name} row {rownum}"))
            else:
                yield Item(ident, text=text)
    except csv.Error as exc:
        yield Item(
            name, error=_msg(ErrorCode.E405, path=name, item=f"line {reader.line_num}", detail=f"CSV: {exc}")
        )


def _jsonl_items(name: str, data: bytes) -> Iterator[Item]:
    content = _decode(data, name)
    if isinstance(content, Item):
        yield content
        return
    for lineno, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Item(
                f"{name}:{lineno}",
                error=_msg(
                    ErrorCode.E505, path=name, line=lineno, detail=f"invalid JSON at column {exc.colno}"
                ),
            )
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            yield Item(
                f"{name}:{lineno}",
                error=_msg(ErrorCode.E505, path=name, line=lineno, detail="no string 'text'"),
            )
            continue
        ident = str(obj.get("id") if obj.get("id") is not None else f"{name}:{lineno}")
        if not obj["text"].strip():
            yield Item(ident, error=_msg(ErrorCode.E503, item=f"{name} line {lineno}"))
            continue
        yield Item(ident, text=obj["text"])


def _looks_like_jsonl(data: bytes) -> bool:
    for line in data.splitlines()[:3]:
        if line.strip():
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return False
            return isinstance(obj, dict) and "text" in obj
    return False


def count_items(source: str) -> int | None:
    """How many items a source holds when that is cheap to know (a folder or one file), else None."""
    if source == "-":
        return None
    path = Path(source)
    if path.is_dir():
        return sum(1 for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if path.suffix.lower() in (".csv", ".jsonl", ".ndjson"):
        return None
    return 1


def iter_items(
    source: str,
    text_column: str = "text",
    id_column: str | None = None,
    stdin: io.BufferedReader | None = None,
) -> Iterator[Item]:
    """Stream the notes of ``source``; raises InputError only when the source itself does not exist."""
    if source == "-":
        data = (stdin or sys.stdin.buffer).read()
        if _looks_like_jsonl(data):
            yield from _jsonl_items("<stdin>", data)
        else:
            item = decode_note(data, "<stdin>")
            item.id = "stdin"
            yield item
        return
    path = Path(source)
    if path.is_dir():
        for p in sorted(path.iterdir()):
            if p.is_file() and not p.name.startswith("."):
                yield _text_file(p)
        return
    if not path.is_file():
        raise InputError(ErrorCode.E507, path=source)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".jsonl", ".ndjson"):
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield Item(
                str(path),
                error=_msg(ErrorCode.E405, path=path, item=path.name, detail=exc.strerror or "unreadable"),
            )
            return
        if suffix == ".csv":
            yield from _csv_items(str(path), data, text_column, id_column)
        else:
            yield from _jsonl_items(str(path), data)
        return
    yield _text_file(path)
