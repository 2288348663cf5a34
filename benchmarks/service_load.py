"""Load on the consultation service: latency and throughput of starting a consultation, and a crash test.

    python benchmarks/service_load.py                      # both runs (about two minutes)
    python benchmarks/service_load.py --only load --duration 30 --concurrency 16
    python benchmarks/service_load.py --only crash
    python benchmarks/service_load.py --only crash --variants sqlite:1,postgresql:2
    python benchmarks/service_load.py --only load --no-embeddings   # the service without the embedding model

Each run starts ``medassist serve`` as a separate process on 127.0.0.1 with a fresh SQLite database under
benchmarks/work/, signs in a few patient accounts and drives ``POST /v1/consultations`` from an asyncio +
httpx load generator (a second process on the same 2 cores: its own CPU use is part of the picture).

* ``service_load``: closed loop, ``--concurrency`` clients for ``--duration`` seconds; latency p50/p95/p99,
  requests/s, and the error count (must be 0).
* ``service_crash``: the same load; after a few seconds the server (its whole process group: every
  worker) is killed with SIGKILL mid-load, started again on the same database, and the load goes on.
  Every consultation whose 201 reached the client is then read back by its owner: none may be missing or
  changed.  Run on each ``--variants`` entry ``backend:workers`` (default: SQLite and PostgreSQL, one and
  two workers; PostgreSQL needs MEDASSIST_TEST_PG_URL, two workers a Redis at MEDASSIST_BENCH_REDIS_URL,
  default redis://127.0.0.1:6379/14, for the shared rate limits).  Then the server is started once more
  with another secret key: it must refuse to start (E603) instead of answering "ready".

The per-account rate limit is raised for the run (MEDASSIST_RATE_PER_MINUTE) so that it measures the
server, not the limiter.  Writes benchmarks/results/service_load.json and service_crash.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, write_result  # noqa: E402

WORK = ROOT / "benchmarks" / "work" / "service_load"
PASSWORD = "benchmark-password-1"
TEXTS = [
    "I've had a sore throat and a fever for two days, and it hurts to swallow.",
    "Runny nose and sneezing since yesterday, with a slight cough.",
    "Burning when I pee and I need to go all the time since this morning.",
    "My head is pounding and the light hurts my eyes, I feel sick.",
    "I've had diarrhoea and stomach cramps since last night after eating chicken.",
    "Itchy red rash on my arms that started three days ago.",
    "Cough with green phlegm and a temperature for five days, I get short of breath on the stairs.",
    "Pain in my lower back after lifting boxes, it gets worse when I bend.",
    "I feel tired all the time and I'm always thirsty and passing a lot of urine.",
    "Earache in my right ear and a temperature since Sunday.",
    "My ankle is swollen and painful after I twisted it playing football.",
    "Heartburn after meals and a sour taste in my mouth for weeks.",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


KEY = "benchmark-only-secret-0123456789-abcdefghijklmnop"


@dataclass
class Server:
    port: int
    db_url: str
    env: dict[str, str]
    log: Path
    no_embeddings: bool = False
    workers: int = 1
    proc: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)
    cleanup: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait until /readyz answers 200; return the seconds it took."""
        t0 = time.perf_counter()
        fh = self.log.open("ab")
        extra = ["--no-embeddings"] if self.no_embeddings else []
        if self.workers > 1:
            extra += ["--workers", str(self.workers)]
        # a session of its own: a kill reaches every worker, as a machine crash would
        self.proc = subprocess.Popen([sys.executable, "-m", "medassist.cli", "serve", "--port", str(self.port),
                                      "--db", self.db_url, "--log-level", "warning", *extra],
                                     cwd=WORK, env=self.env, stdout=fh, stderr=fh, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    took = time.perf_counter() - t0
                    self.starts.append(took)
                    return took
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not become ready in 180 s")

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        time.sleep(0.5)  # the workers die with their group; let the port go

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self.cleanup is not None:
            self.cleanup()
            self.cleanup = None

    def refused_with_another_key(self) -> dict[str, Any]:
        """Start with another secret key on the same data: it must exit with E603, never become ready."""
        env = {**self.env, "MEDASSIST_SECRET_KEY": "another-key-entirely-9876543210-zyxwvutsrqponm"}
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "medassist.cli", "serve", "--port", str(self.port), "--db",
                               self.db_url, "--log-level", "warning"], cwd=WORK, env=env, capture_output=True,
                              text=True, timeout=120)
        return {"exit_code": proc.returncode, "says_E603": "E603" in proc.stderr,
                "refused": proc.returncode != 0 and "E603" in proc.stderr,
                "seconds": round(time.perf_counter() - t0, 1)}


def setup(name: str, port: int, no_embeddings: bool = False, backend: str = "sqlite", workers: int = 1) -> Server:
    folder = WORK / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "MEDASSIST_SECRET_KEY": KEY, "MEDASSIST_RATE_PER_MINUTE": "1000000",
           "MEDASSIST_RATE_BURST": "100000", "MEDASSIST_LOGIN_PER_MINUTE": "100000", "MEDASSIST_LOGIN_BURST": "1000"}
    env.pop("MEDASSIST_DB_URL", None)
    cleanup = None
    if backend == "postgresql":
        from sqlalchemy import text

        from medassist.service.db import make_engine

        db_url = os.environ.get("MEDASSIST_TEST_PG_URL") or ""
        if not db_url:
            raise SystemExit("the PostgreSQL variant needs MEDASSIST_TEST_PG_URL")
        schema = f"medassist_bench_{name.replace('-', '_')}_{os.getpid()}"
        admin = make_engine(db_url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        env["MEDASSIST_DB_SCHEMA"] = schema
        env["MEDASSIST_DATA_DIR"] = str(folder)

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
    else:
        db_url = f"sqlite:///{folder / 'bench.db'}"
    if workers > 1:
        env["MEDASSIST_RATE_LIMIT_URL"] = os.environ.get("MEDASSIST_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
        env["MEDASSIST_RATE_LIMIT_PREFIX"] = f"bench-{name}-{os.getpid()}"
    subprocess.run([sys.executable, "-m", "medassist.cli", "users", "create", "--role", "admin", "--email",
                    "admin@bench.test", "--password-stdin", "--db", db_url, "--create-db"], input=PASSWORD + "\n",
                   text=True, env=env, cwd=WORK, check=True, capture_output=True)
    return Server(port, db_url, env, folder / "server.log", no_embeddings, workers, cleanup=cleanup)


def accounts(server: Server, n: int) -> list[dict[str, str]]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        admin = client.post("/v1/auth/token", data={"username": "admin@bench.test", "password": PASSWORD}).json()
        h = {"Authorization": f"Bearer {admin['access_token']}"}
        out = []
        for i in range(n):
            email = f"patient{i}@bench.test"
            client.post("/v1/users", json={"email": email, "password": PASSWORD, "role": "patient"}, headers=h)
            token = client.post("/v1/auth/token", data={"username": email, "password": PASSWORD}).json()["access_token"]
            out.append({"email": email, "token": token})
    return out


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    committed: list[tuple[str, str, str]] = field(default_factory=list)  # (id, token, text)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def drive(url: str, users: list[dict[str, str]], concurrency: int, duration: float, tally: Tally,
                seed: int, stop: asyncio.Event | None = None) -> float:
    """Closed-loop load for ``duration`` seconds (or until ``stop``); returns the wall time used."""
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        end = time.perf_counter() + duration

        async def worker(k: int) -> None:
            user = users[k % len(users)]
            headers = {"Authorization": f"Bearer {user['token']}"}
            while time.perf_counter() < end and not (stop and stop.is_set()):
                text = rng.choice(TEXTS)
                body = {"text": text, "age": rng.randint(18, 80), "sex": rng.choice(["f", "m"])}
                t0 = time.perf_counter()
                try:
                    r = await client.post("/v1/consultations", json=body, headers=headers)
                except httpx.HTTPError as exc:
                    tally.error(type(exc).__name__)
                    await asyncio.sleep(0.05)
                    continue
                if r.status_code == 201:
                    tally.latencies.append(time.perf_counter() - t0)
                    tally.committed.append((r.json()["id"], user["token"], text))
                else:
                    tally.error(f"http_{r.status_code}")

        t_start = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        return time.perf_counter() - t_start


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(tally: Tally, wall: float) -> dict[str, Any]:
    lat = [x * 1000 for x in tally.latencies]
    return {"requests_ok": len(lat), "errors": sum(tally.errors.values()), "error_kinds": tally.errors,
            "requests_per_s": round(len(lat) / wall, 1) if wall else None,
            "latency_ms_p50": round(pct(lat, 50), 1), "latency_ms_p95": round(pct(lat, 95), 1),
            "latency_ms_p99": round(pct(lat, 99), 1), "latency_ms_mean": round(statistics.fmean(lat), 1) if lat else None,
            "latency_ms_max": round(max(lat), 1) if lat else None, "wall_s": round(wall, 2)}


def run_load(args: argparse.Namespace) -> None:
    server = setup("load", _free_port(), args.no_embeddings)
    try:
        startup = server.start()
        users = accounts(server, args.users)
        asyncio.run(drive(server.url, users, args.concurrency, 3.0, Tally(), seed=1))  # warm-up, not counted
        tally = Tally()
        wall = asyncio.run(drive(server.url, users, args.concurrency, args.duration, tally, seed=2))
    finally:
        server.stop()
    figures = {**summary(tally, wall), "concurrency": args.concurrency, "duration_s": args.duration,
               "accounts": args.users, "server_start_to_ready_s": round(startup, 1)}
    name = args.name or ("service_load_no_embeddings" if args.no_embeddings else "service_load")
    intake = "lexicon-only intake (--no-embeddings)" if args.no_embeddings else "shipped engine with MiniLM embeddings"
    write_result(name, figures, endpoint="POST /v1/consultations",
                 setup=f"medassist serve (1 uvicorn process, {intake}, SQLite WAL) + asyncio/httpx "
                       "load generator on the same machine")
    print(f"| {name}: start consultation, {args.concurrency} clients, {args.duration:.0f} s | "
          f"{figures['requests_per_s']} req/s | p50 {figures['latency_ms_p50']} ms | p95 {figures['latency_ms_p95']} ms | "
          f"errors {figures['errors']} |")
    if figures["errors"]:
        raise SystemExit(f"{figures['errors']} errors under load: {tally.errors}")


async def _crash_phase(server: Server, users: list[dict[str, str]], args: argparse.Namespace) -> dict[str, Any]:
    before, outage, after = Tally(), Tally(), Tally()
    wall_before = await drive(server.url, users, args.concurrency, args.kill_after, before, seed=3)
    # kill mid-load: the load keeps running while the server dies and comes back
    stop = asyncio.Event()
    load = asyncio.create_task(drive(server.url, users, args.concurrency, 600, outage, seed=4, stop=stop))
    await asyncio.sleep(0.5)
    killed_at = time.perf_counter()
    server.kill()
    restart_s = await asyncio.to_thread(server.start)
    stop.set()
    await load
    downtime = time.perf_counter() - killed_at
    wall_after = await drive(server.url, users, args.concurrency, args.after, after, seed=5)
    return {"before": (before, wall_before), "outage": outage, "after": (after, wall_after),
            "restart_s": restart_s, "downtime_s": downtime}


def verify(server: Server, committed: list[tuple[str, str, str]]) -> tuple[int, int]:
    """Read every committed consultation back as its owner: (missing, changed)."""
    missing = changed = 0
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for cid, token, text in committed:
            r = client.get(f"/v1/consultations/{cid}", headers={"Authorization": f"Bearer {token}"})
            if r.status_code != 200:
                missing += 1
            elif r.json()["text"] != text:
                changed += 1
    return missing, changed


def crash_variant(args: argparse.Namespace, backend: str, workers: int) -> dict[str, Any]:
    server = setup(f"crash-{backend}-{workers}w", _free_port(), args.no_embeddings, backend, workers)
    try:
        server.start()
        users = accounts(server, args.users)
        phases = asyncio.run(_crash_phase(server, users, args))
        before, wall_before = phases["before"]
        after, wall_after = phases["after"]
        outage = phases["outage"]
        committed = before.committed + outage.committed + after.committed
        missing, changed = verify(server, committed)
        if server.proc is not None and server.proc.poll() is None:
            os.killpg(server.proc.pid, signal.SIGTERM)
            server.proc.wait(30)
        mismatch = server.refused_with_another_key()
    finally:
        server.stop()
    figures = {
        "backend": backend, "workers": workers,
        "committed_total": len(committed), "committed_before_kill": len(before.committed),
        "committed_around_kill": len(outage.committed), "committed_after_restart": len(after.committed),
        "lost": missing, "changed": changed,
        "errors_before_kill": sum(before.errors.values()), "errors_after_restart": sum(after.errors.values()),
        "failed_requests_during_outage": sum(outage.errors.values()), "outage_error_kinds": outage.errors,
        "restart_to_ready_s": round(phases["restart_s"], 1), "downtime_s": round(phases["downtime_s"], 1),
        "key_mismatch_start": mismatch,
        "before": summary(before, wall_before), "after": summary(after, wall_after),
        "concurrency": args.concurrency,
    }
    print(f"| service_crash {backend} x{workers}: SIGKILL mid-load + restart | {len(committed)} committed, {missing} lost, "
          f"{changed} changed | restart to ready {figures['restart_to_ready_s']} s | "
          f"{figures['failed_requests_during_outage']} requests refused while down | errors after restart "
          f"{figures['errors_after_restart']} | other key refused: {mismatch['refused']} |", flush=True)
    return figures


def run_crash(args: argparse.Namespace) -> None:
    variants = []
    for item in args.variants.split(","):
        backend, _, n = item.strip().partition(":")
        if backend == "postgresql" and not os.environ.get("MEDASSIST_TEST_PG_URL"):
            print("skipping the PostgreSQL variants: MEDASSIST_TEST_PG_URL is not set", flush=True)
            continue
        variants.append((backend, int(n or 1)))
    results = [crash_variant(args, backend, workers) for backend, workers in variants]
    bad = [r for r in results if r["lost"] or r["changed"] or r["errors_after_restart"] or r["errors_before_kill"]
           or not r["key_mismatch_start"]["refused"]]
    totals = {"committed_total": sum(r["committed_total"] for r in results), "lost": sum(r["lost"] for r in results),
              "changed": sum(r["changed"] for r in results),
              "key_mismatch_refused": all(r["key_mismatch_start"]["refused"] for r in results)}
    write_result("service_crash", {"totals": totals, "variants": results},
                 endpoint="POST /v1/consultations, SIGKILL mid-load, restart, read back; then a start with another key",
                 setup="medassist serve (SQLite WAL synchronous=NORMAL, or PostgreSQL; 1 or 2 uvicorn workers, "
                       f"Redis-shared rate limits with 2) killed with SIGKILL (whole process group) while "
                       f"{args.concurrency} clients send requests; restarted on the same database")
    if bad:
        raise SystemExit("committed consultations were lost or changed, errors outside the outage, or a start "
                         "with another key was not refused")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["load", "crash"], default=None)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of measured load (load run)")
    ap.add_argument("--users", type=int, default=8, help="patient accounts sharing the load")
    ap.add_argument("--no-embeddings", action="store_true", help="serve with the lexicon-only intake")
    ap.add_argument("--name", default=None, help="result name of the load run (default service_load)")
    ap.add_argument("--kill-after", type=float, default=8.0, help="seconds of load before the kill (crash run)")
    ap.add_argument("--after", type=float, default=8.0, help="seconds of load after the restart (crash run)")
    ap.add_argument("--variants", default="sqlite:1,sqlite:2,postgresql:1,postgresql:2",
                    help="crash runs as backend:workers, comma-separated")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "load"):
        run_load(args)
    if args.only in (None, "crash"):
        run_crash(args)


if __name__ == "__main__":
    main()
