"""Sentence embeddings with the bundled MiniLM encoder (mean pooling, L2-normalised).

all-MiniLM-L6-v2 was trained for semantic similarity with mean pooling, so cosine similarity of these
vectors compares meanings: "I threw up twice" is close to "vomiting".  Loaded once, on first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


class SentenceEmbedder:
    def __init__(self, model: str = "minilm", *, batch_size: int = 64, max_length: int = 64) -> None:
        from transformers import AutoModel, AutoTokenizer

        from medassist.models.encoders import resolve_encoder
        from medassist.models.modeling import quiet_transformers

        quiet_transformers()
        self.name = model
        self.batch_size = batch_size
        self.max_length = max_length
        tuned = intake_encoder_dir(model)
        if tuned is not None:  # the contrastively fine-tuned intake encoder: MiniLM + its LoRA weights
            from medassist.models.lora_encoder import load_encoder

            self.tokenizer, self.model = load_encoder(tuned)
            self.max_length = int(json.loads((tuned / "intake_encoder.json").read_text(encoding="utf-8"))["max_length"])
        else:
            path = resolve_encoder(model)
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModel.from_pretrained(path).eval()
        self.dim = int(self.model.config.hidden_size)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for k in range(0, len(order), self.batch_size):
            idx = order[k : k + self.batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt")
            with torch.inference_mode():
                hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            vec = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vec = torch.nn.functional.normalize(vec, dim=-1)
            out[idx] = vec.numpy()
        return out


INTAKE_ENCODER = Path(__file__).resolve().parents[1] / "artifacts" / "intake-encoder"


def intake_encoder_dir(name: str) -> Path | None:
    """The directory of a fine-tuned intake encoder named ``name`` ("intake-encoder" is the shipped one), or
    None when ``name`` is a plain base model (``minilm``, a Hugging Face directory)."""
    path = INTAKE_ENCODER if name == "intake-encoder" else Path(name).expanduser()
    if (path / "intake_encoder.json").exists():
        return path
    if name == "intake-encoder":
        from medassist.errors import ConfigError, ErrorCode

        raise ConfigError(ErrorCode.E204, path=path, missing="intake_encoder.json")
    return None


def encoder_key(name: str) -> str:
    """The model part of a phrase-embedding key: ``minilm``, or the fine-tuned encoder's weights digest."""
    path = intake_encoder_dir(name)
    if path is None:
        return name
    return "intake-encoder:" + hashlib.sha256((path / "adapter.safetensors").read_bytes()).hexdigest()[:16]


def encoder_intake_settings(name: str) -> dict[str, float]:
    """The intake thresholds chosen for a fine-tuned encoder on its generated dev set (its ``intake.json``)."""
    path = intake_encoder_dir(name)
    if path is None or not (path / "intake.json").exists():
        return {}
    data = json.loads((path / "intake.json").read_text(encoding="utf-8"))
    return {"similarity": float(data["similarity"]), "similarity_overlap": float(data["similarity_overlap"])}


_SHARED: dict[str, SentenceEmbedder] = {}


def shared_embedder(model: str = "minilm") -> SentenceEmbedder:
    """One embedder per process (the intake, normaliser and others share it)."""
    if model not in _SHARED:
        _SHARED[model] = SentenceEmbedder(model)
    return _SHARED[model]


def cache_dir() -> Path:
    """$MEDASSIST_CACHE_DIR, else $XDG_CACHE_HOME/medassist, else ~/.cache/medassist."""
    root = os.environ.get("MEDASSIST_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "medassist")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def phrases_key(phrases: Sequence[str], model: str = "minilm") -> str:
    h = hashlib.sha256(model.encode())
    for p in phrases:
        h.update(p.encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def embed_phrases(phrases: Sequence[str], *, shipped: Path | None = None, model: str = "minilm",
                  encode: Callable[[list[str]], np.ndarray] | None = None) -> np.ndarray:
    """Embeddings of a phrase list: a shipped .npz whose key matches, else the user cache, else computed
    (with ``encode``, default the shared MiniLM embedder) and written to the user cache."""
    key = phrases_key(phrases, model)
    for candidate in ([shipped] if shipped else []) + [cache_dir() / f"phrases-{key}.npz"]:
        if candidate is not None and candidate.exists():
            data = np.load(candidate, allow_pickle=False)
            if str(data["key"]) == key:
                return data["emb"].astype(np.float32)
    emb = np.asarray((encode or shared_embedder(model).encode)(list(phrases)), dtype=np.float32)
    with contextlib.suppress(OSError):  # a read-only home: work without the cache
        save_phrase_embeddings(cache_dir() / f"phrases-{key}.npz", phrases, emb, model)
    return emb


def save_phrase_embeddings(path: Path, phrases: Sequence[str], emb: np.ndarray, model: str = "minilm") -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, key=np.array(phrases_key(phrases, model)), emb=emb.astype(np.float16))
    os.replace(tmp, path)
