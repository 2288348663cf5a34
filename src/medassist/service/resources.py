"""The heavy objects the service uses: loaded once (in the app's lifespan) and shared by all requests.

Tests build :class:`Resources` themselves (a diagnosis engine on a tiny knowledge base, a note pipeline
without embeddings) and hand them to ``create_app``; handlers reach them through the ``Annotated``
dependencies in :mod:`medassist.service.deps`, which tests can also override one by one.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from medassist.diagnosis.engine import DiagnosisEngine
    from medassist.pipeline import Pipeline

log = logging.getLogger("medassist.service")

WARMUP_TEXT = "I have had a sore throat and a fever for two days."
WARMUP_NOTE = "Pt denies chest pain. HTN on lisinopril 10 mg daily."


T = TypeVar("T")


class ModelBusy(Exception):
    """Too much model work is waiting already: 503 with Retry-After."""


class DeadlineExceeded(Exception):
    """The request ran out of time waiting for (or during) model work: 504."""


class ModelWorker:
    """One thread that runs model work one job at a time (the models are not thread-safe), with a bounded
    queue and per-job deadlines: a job whose request gave up before it started is dropped, never run, so
    a pile of slow requests cannot keep the worker busy after their callers have gone."""

    def __init__(self, name: str, max_pending: int = 64) -> None:
        self.name = name
        self._jobs: queue.Queue[tuple[Callable[[], Any], float | None, Future[Any]]] = queue.Queue(max(1, max_pending))
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.dropped = 0

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=f"medassist-{self.name}", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            fn, deadline, fut = self._jobs.get()
            if (deadline is not None and time.monotonic() >= deadline) or not fut.set_running_or_notify_cancel():
                self.dropped += 1
                if not fut.done():
                    fut.cancel()
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:  # handed to the waiting request
                fut.set_exception(exc)

    def run(self, fn: Callable[[], T], deadline: float | None = None) -> T:
        """Run ``fn`` on the worker and wait for it, at most until ``deadline`` (time.monotonic())."""
        if deadline is not None and time.monotonic() >= deadline:
            raise DeadlineExceeded()
        self._ensure_thread()
        fut: Future[Any] = Future()
        try:
            self._jobs.put_nowait((fn, deadline, fut))
        except queue.Full:
            raise ModelBusy() from None
        try:
            return fut.result(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))  # type: ignore[no-any-return]
        except FutureTimeout:
            fut.cancel()  # still queued: it will be dropped; already running: it finishes, nobody waits
            raise DeadlineExceeded() from None


def _drug_check(drugs: Sequence[str], conditions: Sequence[str], allergies: Sequence[str]) -> dict[str, Any]:
    from medassist.drugs import check

    return check(drugs, conditions, allergies).to_dict()


@dataclass
class Resources:
    engine: DiagnosisEngine
    nlp: Pipeline | None = None
    drug_check: Callable[[Sequence[str], Sequence[str], Sequence[str]], dict[str, Any]] = _drug_check
    loaded: bool = True
    # the diagnosis engine and the note pipeline are not written for concurrent use: each has one worker
    # thread of its own, so long notes never wait in front of a patient's consultation
    max_pending: int = 64
    _deid: Any = field(default=None, repr=False)
    _workers: dict[str, ModelWorker] = field(default_factory=dict, repr=False)
    _workers_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def worker(self, kind: str) -> ModelWorker:
        with self._workers_lock:
            if kind not in self._workers:
                self._workers[kind] = ModelWorker(kind, self.max_pending)
            return self._workers[kind]

    def run_engine(self, fn: Callable[[], T], deadline: float | None = None) -> T:
        return self.worker("engine").run(fn, deadline)

    def run_nlp(self, fn: Callable[[], T], deadline: float | None = None) -> T:
        return self.worker("nlp").run(fn, deadline)

    @property
    def kb(self) -> Any:
        return self.engine.kb

    def deidentify(self, text: str, deadline: float | None = None, replace: str | None = None) -> Any:
        """A Note with ``phi`` and ``deid_text``, by the pipeline's own de-identification component;
        ``replace`` (tag, mask or surrogate) overrides how its ``deid_text`` is written."""
        from medassist.doc import Note

        deid: Any = self.nlp.get("deid") if self.nlp is not None and "deid" in self.nlp.names else self._deid
        if deid is None:
            from medassist.nlp.deid import Deidentifier

            deid = self._deid = Deidentifier(replace="tag")

        def work() -> Note:
            note: Note = deid(Note(text=text))
            if replace is not None and replace != deid.replace:
                note.deid_text = deid.render(note, note.phi, replace=replace)
            return note

        return self.run_nlp(work, deadline)

    @classmethod
    def load(cls, *, use_embeddings: bool | None = None, warmup: bool = True, torch_threads: int | None = 1,
             max_pending: int = 64) -> Resources:
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
        res = cls(engine=engine, nlp=nlp, max_pending=max_pending)
        if warmup:
            res.warm_up()
        log.info("models loaded", extra={"event": "models_loaded", "seconds": round(time.perf_counter() - t0, 2)})
        return res

    def warm_up(self) -> None:
        """Run one consultation, one note and one medication check, so lazy parts load now."""
        self.run_engine(lambda: self.engine.assess(self.engine.start(WARMUP_TEXT, age=30, sex="f")))
        if self.nlp is not None:
            nlp = self.nlp
            self.run_nlp(lambda: nlp(WARMUP_NOTE))
        self.drug_check(["warfarin"], [], [])
