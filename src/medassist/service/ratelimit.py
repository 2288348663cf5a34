"""Per-account (or per-address, before sign-in) token buckets, kept in process memory.

One process serves the app (``medassist serve`` runs one uvicorn worker), so an in-process table is
exact; several workers would each keep their own and a shared store (Redis) would be the next step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``allow(key)`` takes one token from ``key``'s bucket; refills at ``per_minute / 60`` per second."""

    def __init__(self, per_minute: float, burst: int, *, max_keys: int = 50_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(1, burst))
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds until the next token) for one request of ``key``."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._evict(now)
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            else:
                bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True, 0.0
            wait = (1.0 - bucket.tokens) / self.rate if self.rate > 0 else 60.0
            return False, wait

    def _evict(self, now: float) -> None:
        """Drop buckets that are full again (their owners have been quiet); then the oldest half."""
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * self.rate >= self.burst]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) >= self.max_keys:
            for k, _ in sorted(self._buckets.items(), key=lambda kv: kv[1].updated)[: self.max_keys // 2]:
                del self._buckets[k]

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
