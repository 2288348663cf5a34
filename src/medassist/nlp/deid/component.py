"""The ``deid`` component: finds identifiers, writes ``note.phi`` and ``note.deid_text``.

Detectors (``detector``):

* ``rules``: patterns, cues and lexicons (``rules.py``, one recognizer per kind of identifier);
* ``model``: the trained PHI tagger alone (``model.py``);
* ``hybrid`` (the default): both, with this precedence —

  1. identifiers with a shape (dates, phones, e-mail, URLs, IPs, record and other numbers, ages over 89,
     ZIP codes): the rules are authoritative; a model span of such a type counts too when its score
     reaches ``model_shape_threshold`` (the model catches shapes no pattern foresaw);
  2. names and places (NAME, CITY, FACILITY, ADDRESS): the model is authoritative (score at least
     ``model_threshold``); a rule span of these types is added (recall matters) when its own score
     reaches ``rules_word_min`` or the model found something overlapping it;
  3. the clinical denylist (``denylist.py``: vital signs, doses, rates, ratios, ventilator settings)
     drops any span entirely inside such a pattern, whoever found it;
  4. overlapping spans merge into their union, labelled by the longest (then the surest type); each
     span keeps its score and which detectors found it (``source``: ``rules``, ``model``, ``model+rules``).

Output (``replace``): ``tag`` ([NAME]), ``mask`` (one ``*`` per character, white space kept) or
``surrogate`` (``surrogates.py``).  Nothing here logs or raises with note text: log records carry
counts per type only; errors name the model, never the text.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from typing import Any

from medassist.doc import Note, Span
from medassist.errors import ConfigError, ErrorCode, InputError
from medassist.nlp.deid.denylist import load_denylist
from medassist.nlp.deid.model import SHIPPED, SpanModel, load_tagger, model_hits
from medassist.nlp.deid.patterns import load_lexicons
from medassist.nlp.deid.rules import RuleDetector
from medassist.nlp.deid.surrogates import Surrogates
from medassist.nlp.deid.types import PHI_TYPES, SHAPE_TYPES, WORD_TYPES, Hit, merge_hits

log = logging.getLogger(__name__)

REPLACE = ("tag", "mask", "surrogate")
MODES = REPLACE  # kept for callers that name the output setting by its former name
DETECTORS = ("hybrid", "rules", "model")
DEFAULT_SECRET = "medassist-public-default-secret"
SECRET_ENV = "MEDASSIST_DEID_SECRET"


def note_key(note: Note) -> str:
    if note.id:
        return f"id:{note.id}"
    return "sha:" + hashlib.sha256(note.text.encode("utf-8", "surrogatepass")).hexdigest()


class Deidentifier:
    """The ``deid`` component (settings documented in ``configs/pipeline.yaml``)."""

    reads: tuple[str, ...] = ("text",)
    writes: tuple[str, ...] = ("phi", "deid_text")

    def __init__(
        self,
        replace: str | None = None,
        secret: str | None = None,
        detector: str = "hybrid",
        model: str | SpanModel | None = None,
        model_threshold: float = 0.5,
        model_shape_threshold: float = 0.8,
        rules_word_min: float = 0.9,
        quantize: str | None = "int8",
        types: Iterable[str] | None = None,
        data_dir: str | None = None,
        max_chars: int = 2_000_000,
        *,
        mode: str | None = None,
    ) -> None:
        replace = replace or mode or "tag"
        if replace not in REPLACE:
            raise ConfigError(ErrorCode.E509, mode=replace)
        if detector not in DETECTORS:
            raise ConfigError(ErrorCode.E513, detector=detector)
        self.replace = replace
        self.detector = detector
        self.secret = secret or os.environ.get(SECRET_ENV) or DEFAULT_SECRET
        self._warned = False
        self.lex = load_lexicons(data_dir)
        self.rules = RuleDetector(self.lex) if detector in ("rules", "hybrid") else None
        self.denylist = load_denylist(data_dir)
        self.model: SpanModel | None = None
        self.model_path = ""
        if detector in ("model", "hybrid"):
            if model is None or isinstance(model, str):
                self.model_path = str(model or SHIPPED)
                self.model = load_tagger(self.model_path, quantize)
            elif hasattr(model, "predict_spans"):
                self.model, self.model_path = model, type(model).__name__
            else:
                raise ConfigError(ErrorCode.E508, path=type(model).__name__, detail="the object has no predict_spans method")
        elif model is not None:
            raise ConfigError(ErrorCode.E203, key="deid.model", detail="a model is given but detector is 'rules'; "
                              "use detector 'hybrid' or 'model'")
        self.model_threshold = model_threshold
        self.model_shape_threshold = model_shape_threshold
        self.rules_word_min = rules_word_min
        self.max_chars = max_chars
        unknown = sorted(set(types or ()) - set(PHI_TYPES))
        if unknown:
            raise ConfigError(ErrorCode.E203, key="deid.types", detail=f"unknown types {unknown}; known: {list(PHI_TYPES)}")
        self.types = frozenset(types) if types else frozenset(PHI_TYPES)

    @property
    def mode(self) -> str:  # the former name of ``replace``
        return self.replace

    # ------------------------------------------------------------------ detection
    def combine(self, text: str, rule_hits: list[Hit], mhits: list[Hit]) -> list[Hit]:
        """The precedence of the module docstring, applied to one text's rule and model hits."""
        if self.detector == "rules":
            kept = list(rule_hits)
        elif self.detector == "model":
            kept = [h for h in mhits if h.score >= self.model_threshold]
        else:
            model_words = [h for h in mhits if h.label in WORD_TYPES and h.score >= self.model_threshold]
            kept = [h for h in rule_hits if h.label in SHAPE_TYPES]
            kept += [h for h in mhits if h.label in SHAPE_TYPES and h.score >= self.model_shape_threshold]
            kept += model_words
            kept += [h for h in rule_hits if h.label in WORD_TYPES and (
                h.score >= self.rules_word_min or any(m.start < h.end and h.start < m.end for m in model_words))]
        ranges = self.denylist.ranges(text)
        return [h for h in kept if h.label in self.types and not self.denylist.covers(ranges, h.start, h.end)]

    def find_many(self, texts: list[str]) -> list[list[Span]]:
        """Identifier spans for each text (one batched model call)."""
        for t in texts:
            if len(t) > self.max_chars:
                raise InputError(ErrorCode.E514, length=len(t), limit=self.max_chars)
        mh: list[list[Hit]] = [[] for _ in texts]
        if self.model is not None:
            todo = [i for i, t in enumerate(texts) if t.strip()]
            if todo:
                for i, hits in zip(todo, model_hits(self.model, [texts[i] for i in todo], self.model_path), strict=True):
                    mh[i] = hits
        out = []
        for text, mhits in zip(texts, mh, strict=True):
            rhits = self.rules.find(text) if self.rules is not None else []
            out.append(_trim(merge_hits(self.combine(text, rhits, mhits), text), text))
        return out

    def find(self, text: str) -> list[Span]:
        return self.find_many([text])[0]

    # ------------------------------------------------------------------ output
    def render(self, note: Note, spans: list[Span], replace: str | None = None) -> str:
        replace = replace or self.replace
        text = note.text
        if replace == "mask":
            chars = list(text)
            for sp in spans:
                for i in range(sp.start, sp.end):
                    if not chars[i].isspace():
                        chars[i] = "*"
            return "".join(chars)
        sur = Surrogates(self.secret, note_key(note), self.lex) if replace == "surrogate" else None
        if sur is not None and self.secret == DEFAULT_SECRET and not self._warned:
            log.warning(ErrorCode.E511.value)
            self._warned = True
        parts: list[str] = []
        pos = 0
        for sp in spans:
            parts.append(text[pos : sp.start])
            if sur is None:
                parts.append(f"[{sp.label}]")
            else:
                if sp.label == "DATE":
                    sur.dates.observe(sp.text)
                parts.append(sur.replace(sp.label, sp.text))
            pos = sp.end
        parts.append(text[pos:])
        return "".join(parts)

    def _write(self, note: Note, spans: list[Span]) -> Note:
        note.phi = spans
        note.deid_text = self.render(note, spans)
        if log.isEnabledFor(logging.DEBUG):
            counts: dict[str, int] = {}
            for sp in spans:
                counts[sp.label] = counts.get(sp.label, 0) + 1
            log.debug("deid: %d identifier(s) %s", len(spans), dict(sorted(counts.items())))
        return note

    def __call__(self, note: Note) -> Note:
        return self._write(note, self.find(note.text))

    def pipe(self, notes: list[Note]) -> list[Note]:
        """Several notes with one batched model call."""
        for note, spans in zip(notes, self.find_many([n.text for n in notes]), strict=True):
            self._write(note, spans)
        return notes


def _trim(spans: list[Span], text: str) -> list[Span]:
    """Trim white space the patterns may have taken at the edges."""
    out = []
    for sp in spans:
        s, e = sp.start, sp.end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append(Span(s, e, sp.label, text[s:e], round(sp.score, 4), sp.source))
    return out


def make_deid(
    replace: str | None = None,
    secret: str | None = None,
    detector: str = "hybrid",
    model: str | None = None,
    model_threshold: float = 0.5,
    model_shape_threshold: float = 0.8,
    rules_word_min: float = 0.9,
    quantize: str | None = "int8",
    types: list[str] | None = None,
    max_chars: int = 2_000_000,
    mode: str | None = None,
) -> Deidentifier:
    """Factory for the ``deid`` component (settings documented in configs/pipeline.yaml)."""
    return Deidentifier(replace=replace, secret=secret, detector=detector, model=model, model_threshold=model_threshold,
                        model_shape_threshold=model_shape_threshold, rules_word_min=rules_word_min, quantize=quantize,
                        types=types, max_chars=max_chars, mode=mode)


def deidentify(text: str, replace: str = "tag", note_id: str | None = None, **settings: Any) -> Note:
    """One-call helper: ``deidentify(text, replace="surrogate").deid_text``."""
    return Deidentifier(replace=replace, **settings)(Note(text=text, id=note_id))
