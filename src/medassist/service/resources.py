"""The heavy objects the service uses: loaded once (in the app's lifespan) and shared by all requests.

Tests build :class:`Resources` themselves (a diagnosis engine on a tiny knowledge base, a note pipeline
without embeddings) and hand them to ``create_app``; handlers reach them through the ``Annotated``
dependencies in :mod:`medassist.service.deps`, which tests can also override one by one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from medassist.diagnosis.engine import DiagnosisEngine
    from medassist.pipeline import Pipeline

log = logging.getLogger("medassist.service")

WARMUP_TEXT = "I have had a sore throat and a fever for two days."
WARMUP_NOTE = "Pt denies chest pain. HTN on lisinopril 10 mg daily."


def _drug_check(drugs: Sequence[str], conditions: Sequence[str], allergies: Sequence[str]) -> dict[str, Any]:
    from medassist.drugs import check

    return check(drugs, conditions, allergies).to_dict()


@dataclass
class Resources:
    engine: DiagnosisEngine
    nlp: Pipeline | None = None
    drug_check: Callable[[Sequence[str], Sequence[str], Sequence[str]], dict[str, Any]] = _drug_check
    # the diagnosis engine and the note pipeline are not written for concurrent use: one call at a time
    lock: threading.Lock = field(default_factory=threading.Lock)
    loaded: bool = True
    _deid: Any = field(default=None, repr=False)

    @property
    def kb(self) -> Any:
        return self.engine.kb

    def deidentify(self, text: str) -> Any:
        """A Note with ``phi`` and ``deid_text`` (the pipeline's own de-identification component)."""
        from medassist.doc import Note

        deid = self.nlp.get("deid") if self.nlp is not None and "deid" in self.nlp.names else self._deid
        if deid is None:
            from medassist.nlp.deid import Deidentifier

            deid = self._deid = Deidentifier(mode="tag")
        with self.lock:
            return deid(Note(text=text))

    @classmethod
    def load(cls, *, use_embeddings: bool | None = None, warmup: bool = True, torch_threads: int | None = 1) -> Resources:
        """The shipped diagnosis engine and note pipeline, each loaded once (a few seconds).

        ``torch_threads``: intra-op threads for the embedding model.  The server runs many small requests,
        so one thread each is fastest; on a 2-core machine shared with a busy process, two threads spin on
        each other (measured: one short sentence 450 ms with 2 threads, 12 ms with 1).
        """
        import medassist
        from medassist.diagnosis.engine import DiagnosisEngine

        t0 = time.perf_counter()
        if torch_threads:
            try:
                import torch

                torch.set_num_threads(torch_threads)
            except ImportError:  # lexicon-only intake needs no torch
                pass
        engine = DiagnosisEngine.load(use_embeddings=use_embeddings)
        nlp = medassist.load()
        res = cls(engine=engine, nlp=nlp)
        if warmup:
            res.warm_up()
        log.info("models loaded", extra={"event": "models_loaded", "seconds": round(time.perf_counter() - t0, 2)})
        return res

    def warm_up(self) -> None:
        """Run one consultation, one note and one medication check, so lazy parts load now."""
        with self.lock:
            self.engine.assess(self.engine.start(WARMUP_TEXT, age=30, sex="f"))
            if self.nlp is not None:
                self.nlp(WARMUP_NOTE)
        self.drug_check(["warfarin"], [], [])
