"""Per-account (or per-address, before sign-in) token buckets, kept in process memory.

With one worker an in-process table is exact.  With several (``medassist serve --workers N``) each would
keep its own and the limits would multiply, so the buckets then live in Redis (``MEDASSIST_RATE_LIMIT_URL``):
:class:`RedisRateLimiter` keeps the same token buckets in one Lua script, atomic across workers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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


# KEYS[1] bucket; ARGV: rate per second, burst, now (seconds), ttl (seconds). Returns {allowed, wait*1000}.
_LUA = """
local b = redis.call('HMGET', KEYS[1], 't', 'u')
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, updated = tonumber(b[1]), tonumber(b[2])
if tokens == nil then tokens = burst; updated = now end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1
elseif rate > 0 then wait = (1 - tokens) / rate else wait = 60 end
redis.call('HSET', KEYS[1], 't', tokens, 'u', now)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {allowed, math.floor(wait * 1000)}
"""


class RedisRateLimiter:
    """The same token buckets in Redis, shared by every worker (and every server) using ``url``."""

    def __init__(self, url: str, per_minute: float, burst: int, *, prefix: str = "medassist",
                 name: str = "rl") -> None:
        import redis

        self.rate = per_minute / 60.0
        self.burst = float(max(1, burst))
        self.prefix = f"{prefix}:{name}:"
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._redis.register_script(_LUA)
        self._ttl = int(max(60, self.burst / self.rate if self.rate > 0 else 3600)) + 1

    def allow(self, key: str) -> tuple[bool, float]:
        allowed, wait_ms = self._script(keys=[self.prefix + key],
                                        args=[self.rate, self.burst, time.time(), self._ttl])
        return bool(allowed), int(wait_ms) / 1000.0

    def reset(self) -> None:
        for key in self._redis.scan_iter(self.prefix + "*"):
            self._redis.delete(key)


def make_limiter(url: str | None, per_minute: float, burst: int, *, prefix: str, name: str) -> Any:
    if url:
        return RedisRateLimiter(url, per_minute, burst, prefix=prefix, name=name)
    return RateLimiter(per_minute, burst)
