"""The Redis stage: fan-out to S subscribers on two uvicorn processes, saves from a worker.

For each channels_redis layer, each S and each implementation (ours, 1.3, the floor; in
an order that rotates from run to run), in fresh processes:

* two uvicorn processes (``project.asgi_redis``) of that implementation's virtualenv share
  one Redis (a key prefix of the run's own) and one SQLite file;
* S clients (from this process) subscribe to user 1, half on each server: through
  ``subscribe_instance`` (``--observer instance``) or a ``@model_observer``
  (``--observer model``; the floor is the same hand-written consumer either way);
* a worker process that serves nothing saves user 1 ``--changes`` times, ``--gap``
  seconds apart; every client records when each change reached it.

``--observer live`` measures live lists instead (ours only: 1.3 and the floor have none):
the S clients ``subscribe_list`` to 10 distinct lists (users filtered by a group, 20 rows a
page; ``project.live_listed``), and each save moves user 1 between the lists of groups g1
and g2, so the S/5 subscribers of those two lists each get one ``leave`` or ``enter`` per
save and the others nothing (counted as "unexpected" if they get anything).

Printed per row: save→first and save→last delivery (median over the changes), events
not delivered within ``--timeout`` s of their save (lost or late), deliveries carrying
another save's data (stale), and the servers' memory (RSS, both processes) with the S
clients subscribed. ``benchmarks/run redis`` runs it with
the benchmark virtualenvs; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import websockets

BENCH_DIR = Path(__file__).resolve().parent
IMPLS = ("ours", "1.3", "floor")
#: ``--observer live``: the distinct lists (``project.live_listed.GROUPS``); user 1 moves
#: between the lists of the two groups that follow (``MOVES[k % 2]`` is its group after
#: save k).
LIVE_GROUPS = [f"g{n}" for n in range(10)]
MOVES = ("g2", "g1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def delete_prefix(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
    finally:
        client.close()


class Stage:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="dcrf-bench-redis-", dir=_tmpdir()))

    def python(self, impl: str) -> str:
        return self.args.python_13 if impl == "1.3" else self.args.python_ours

    def env(self, impl: str, layer: str, prefix: str, db: Path) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "BENCH_DB_PATH": str(db),
            "BENCH_IMPL": impl,
            "BENCH_OBSERVER": self.args.observer,
            "BENCH_CHANNEL_LAYER": layer,
            "BENCH_REDIS_URL": self.args.redis_url,
            "BENCH_REDIS_PREFIX": prefix,
            # benchmarks/ on the path, never the repository root (1.3 must be found in
            # its virtualenv).
            "PYTHONPATH": str(BENCH_DIR),
        }
        env.pop("BENCH_PG_NAME", None)
        return env

    def database(self, impl: str) -> Path:
        db = self.tmp / f"{uuid.uuid4().hex[:8]}.sqlite3"
        env = self.env(impl, "redis", "unused", db)
        script = "from project.bootstrap import setup; setup()"
        if self.args.observer == "live":
            # Users spread over the ten lists by pk; user 1 starts in g1.
            script += (
                "\nfrom django.contrib.auth.models import User"
                "\nfor user in User.objects.all():"
                "\n    User.objects.filter(pk=user.pk).update(last_name=f'g{user.pk % 10}')"
            )
        subprocess.run([self.python(impl), "-c", script], cwd=BENCH_DIR, env=env, check=True)
        return db

    def start_server(self, impl: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        command = [self.python(impl), "-m", "uvicorn", "project.asgi_redis:application"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
        command += ["--log-level", "warning", "--ws", "websockets"]
        process = subprocess.Popen(command, cwd=BENCH_DIR, env=env)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return process, port
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{impl} server did not start") from None
                time.sleep(0.1)

    async def run_row(self, impl: str, layer: str, size: int) -> dict[str, Any]:
        prefix = f"dcrf-bench-{uuid.uuid4().hex[:10]}"
        db = self.database(impl)
        env = self.env(impl, layer, prefix, db)
        servers = [self.start_server(impl, env) for _ in range(2)]
        sockets: list[Any] = []
        try:
            # Subscriptions 50 at a time, as the in-process fan-out does: 1.3 and the floor
            # join groups without a bound and would exhaust the Redis pool (100
            # connections) in a storm; this stage measures fan-out, not storms.
            semaphore = asyncio.Semaphore(50)

            async def subscribe(k: int) -> Any:
                async with semaphore:
                    port = servers[(k // 10 if self.live else k) % 2][1]
                    ws = await websockets.connect(
                        f"ws://127.0.0.1:{port}/ws/observed/",
                        open_timeout=120,
                        ping_interval=None,
                        compression=None,
                        max_queue=None,
                    )
                    await ws.send(json.dumps(self.subscription(k)))
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 120))
                    assert reply["response_status"] == 201, reply
                    return ws

            sockets = await asyncio.gather(*(subscribe(k) for k in range(size)))
            await asyncio.sleep(1)
            memory = sum(rss_mib(process.pid) for process, _ in servers)

            async def listen(ws: Any, seen: list[tuple[float, str]]) -> None:
                # The k-th update a subscriber receives is its delivery of the k-th save
                # (whatever data it carries: 1.3 reads the row again at delivery time, so
                # a late delivery can carry a later save's data; counted as "stale").
                async for raw in ws:
                    arrived = time.time()
                    message = json.loads(raw)
                    if message.get("response_status") == 200:
                        data = message.get("data") or {}
                        tag = data.get("change" if self.live else "email", "")
                        seen.append((arrived, str(tag)))

            arrivals: list[list[tuple[float, str]]] = [[] for _ in sockets]
            listeners = [
                asyncio.ensure_future(listen(ws, seen))
                for ws, seen in zip(sockets, arrivals, strict=True)
            ]
            saves = await asyncio.to_thread(self.worker, impl, env)
            deadline = time.monotonic() + self.args.timeout
            while self._missing(arrivals, saves) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            for listener in listeners:
                listener.cancel()
            return self.figures(arrivals, saves, memory)
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
            for process, _ in servers:
                process.terminate()
            for process, _ in servers:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            delete_prefix(self.args.redis_url, prefix)
            db.unlink(missing_ok=True)

    @property
    def live(self) -> bool:
        return bool(self.args.observer == "live")

    def subscription(self, k: int) -> dict[str, Any]:
        """Client k's subscribe message (live: to the list of group ``k % 10``)."""
        if self.live:
            query = {"group": LIVE_GROUPS[k % 10]}
            return {"action": "subscribe_list", "request_id": k, "query": query, "limit": 20}
        return {"action": "subscribe_instance", "pk": 1, "request_id": k}

    def expected(self, k: int, index: int) -> str | None:
        """What client ``index`` should be told of save ``k`` (``None``: nothing)."""
        if not self.live:
            return f"redis-change-{k}"
        group = LIVE_GROUPS[index % 10]
        if group not in MOVES:
            return None
        return "enter" if MOVES[k % 2] == group else "leave"

    def _missing(self, arrivals: list[list[tuple[float, str]]], saves: dict[int, float]) -> bool:
        return any(
            len(seen) < len(saves)
            for i, seen in enumerate(arrivals)
            if self.expected(0, i) is not None
        )

    def worker(self, impl: str, env: dict[str, str]) -> dict[int, float]:
        """Save user 1 ``--changes`` times from a separate process; {change: save time}."""
        module = {
            "floor": "project.floor_observer",
            "model": "project.model_observed",
            "live": "project.live_listed",
        }.get(impl if impl == "floor" else self.args.observer, "project.observed")
        change = (
            f"user.last_name = {MOVES!r}[k % 2]"
            if self.live
            else 'user.email = f"redis-change-{k}"'
        )
        script = f"""
import json, sys, time
from project.bootstrap import setup
setup(migrate=False, seed=False)
import {module}
from django.contrib.auth.models import User
user = User.objects.get(pk=1)
for k in range({self.args.changes}):
    time.sleep({self.args.gap})
    {change}
    started = time.time()
    user.save()
    print(json.dumps({{"k": k, "t": started}}), flush=True)
"""
        output = subprocess.run(
            [self.python(impl), "-c", script],
            cwd=BENCH_DIR,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        ).stdout
        return {int(d["k"]): float(d["t"]) for d in map(json.loads, output.splitlines())}

    def figures(
        self, arrivals: list[list[tuple[float, str]]], saves: dict[int, float], memory: float
    ) -> dict[str, Any]:
        firsts, lasts, lost, stale, events = [], [], 0, 0, 0
        told = [i for i in range(len(arrivals)) if self.expected(0, i) is not None]
        told_set = set(told)
        unexpected = sum(len(seen) for i, seen in enumerate(arrivals) if i not in told_set)
        for k, saved in saves.items():
            times = []
            for i in told:
                seen = arrivals[i]
                if len(seen) > k:
                    times.append(seen[k][0] - saved)
                    stale += seen[k][1] != self.expected(k, i)
            late = [t for t in times if t > self.args.timeout]
            lost += len(told) - len(times) + len(late)
            events += len(told)
            if times:
                firsts.append(min(times))
                lasts.append(max(times))
        return {
            "first_s": statistics.median(firsts) if firsts else None,
            "last_s": statistics.median(lasts) if lasts else None,
            "lost": lost,
            "stale": stale,
            "unexpected": unexpected,
            "events": events,
            "memory_mib": memory,
        }

    def clean_up(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _tmpdir() -> str:
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-ours", default=sys.executable)
    parser.add_argument("--python-13", required=True)
    parser.add_argument("--redis-url", default=os.environ.get("DCRF_REDIS_URL"))
    parser.add_argument("--sizes", default="1000,4000")
    parser.add_argument("--layers", default="redis,redis-pubsub")
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--observer", choices=("instance", "model", "live"), default="instance")
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between saves")
    parser.add_argument("--timeout", type=float, default=20.0, help="late after (s)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if not args.redis_url:
        parser.error("--redis-url or DCRF_REDIS_URL is required")
    sizes = [int(s) for s in args.sizes.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, max(sizes) * 3)), hard))
    impls = args.impls.split(",")
    note = ""
    if args.observer == "live":
        # Neither 1.3 nor the hand-written floor has live lists: there is nothing to compare.
        impls = [impl for impl in impls if impl == "ours"] or ["ours"]
        note = "1.3 and the floor have no live lists: ours only. "
    stage = Stage(args)
    rows: list[tuple[int, str, int, str, dict[str, Any]]] = []
    try:
        for run in range(args.runs):
            for size in sizes:
                for layer in args.layers.split(","):
                    order = impls[run % len(impls) :] + impls[: run % len(impls)]
                    for impl in order:
                        result = asyncio.run(stage.run_row(impl, layer, size))
                        rows.append((run, layer, size, impl, result))
                        print(
                            f"# run {run + 1} S={size} {layer} {impl}: {json.dumps(result)}",
                            file=sys.stderr,
                            flush=True,
                        )
    finally:
        stage.clean_up()
    workload = (
        "live lists: S subscribers over 10 distinct lists (20 rows a page), each save moves "
        "a row between two of them (S/5 subscribers told, counted below)"
        if args.observer == "live"
        else f"{args.observer} observer"
    )
    print(
        f"\n{note}{workload}, {args.changes} saves {args.gap:g} s apart from a worker "
        f"process, two uvicorn processes, late = not delivered within {args.timeout:g} s\n"
    )
    print(
        "| run | S | layer | impl | save→first s | save→last s | lost or late | stale data "
        "| servers' RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for run, layer, size, impl, r in rows:
        print(
            f"| {run + 1} | {size:,} | {layer} | {impl} | {fmt(r['first_s'])} | "
            f"{fmt(r['last_s'])} | {r['lost']} / {r['events']} | {r['stale']} "
            f"| {r['memory_mib']:.0f} |"
        )
    if args.observer == "live":
        unexpected = sum(r["unexpected"] for *_, r in rows)
        print(f"\nmessages to subscribers of the 8 unaffected lists: {unexpected}")


if __name__ == "__main__":
    main()
