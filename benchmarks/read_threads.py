"""A fast retrieve's latency while other clients run slow lists: DB_READ_THREADS 1 vs N.

One uvicorn process on PostgreSQL (a database of its own on the server libpq's ``PG*``
variables name, dropped at the end). ``--slow`` clients each send ``list`` in a loop,
every list sleeping ``--sleep`` seconds in PostgreSQL (``pg_sleep``); one more client sends
``retrieve`` in a loop, one at a time, for ``--seconds``. Printed per setting: the
retrieve's p50/p99/max latency and count, and lists done per second::

    eval "$(./scripts/services env)"
    .venv/bin/python benchmarks/read_threads.py --threads 1,4 --slow 4 --seconds 15

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import websockets

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def admin() -> Any:
    import psycopg

    return psycopg.connect(dbname=os.environ.get("PGDATABASE", "dcrf"), autocommit=True)


def server_env(name: str, threads: int, sleep: float, conn_max_age: float = 0) -> dict[str, str]:
    return {
        **os.environ,
        "BENCH_CONN_MAX_AGE": str(conn_max_age),
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "BENCH_PG_NAME": name,
        "BENCH_DB_READ_THREADS": str(threads),
        "BENCH_SLOW_READS": "1",
        "BENCH_SLOW_SECONDS": str(sleep),
        # The library from this checkout, the project from benchmarks/.
        "PYTHONPATH": os.pathsep.join((str(BENCH_DIR), str(REPO_ROOT))),
    }


def prepare(name: str) -> None:
    with admin() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env = server_env(name, 1, 0)
    subprocess.run(
        [sys.executable, "-c", "from project.bootstrap import setup; setup()"],
        cwd=BENCH_DIR,
        env=env,
        check=True,
    )


def drop(name: str) -> None:
    with admin() as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


async def ask(ws: Any, message: dict[str, Any]) -> dict[str, Any]:
    await ws.send(json.dumps(message))
    return json.loads(await ws.recv())


async def measure(url: str, slow: int, seconds: float) -> dict[str, float]:
    stop = time.monotonic() + seconds
    lists = 0

    async def slow_client() -> None:
        nonlocal lists
        async with websockets.connect(url, compression=None) as ws:
            while time.monotonic() < stop:
                reply = await ask(ws, {"action": "list", "request_id": 1})
                assert reply["response_status"] == 200, reply
                lists += 1

    latencies: list[float] = []

    async def fast_client() -> None:
        async with websockets.connect(url, compression=None) as ws:
            await asyncio.sleep(0.5)  # let the slow lists start
            while time.monotonic() < stop:
                started = time.perf_counter()
                reply = await ask(ws, {"action": "retrieve", "pk": 1, "request_id": 2})
                latencies.append(time.perf_counter() - started)
                assert reply["response_status"] == 200, reply

    await asyncio.gather(fast_client(), *(slow_client() for _ in range(slow)))
    latencies.sort()
    return {
        "retrieves": len(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "max_ms": latencies[-1] * 1000,
        "lists_per_s": lists / seconds,
    }


def run_one(name: str, threads: int, args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "project.asgi:application", "--host", "127.0.0.1"]
        + ["--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=BENCH_DIR,
        env=server_env(name, threads, args.sleep, args.conn_max_age),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("uvicorn did not start") from None
                time.sleep(0.1)
        return asyncio.run(measure(f"ws://127.0.0.1:{port}/ws/slow/", args.slow, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,4", help="DB_READ_THREADS values (1,4)")
    parser.add_argument("--slow", type=int, default=4, help="clients running slow lists (4)")
    parser.add_argument("--sleep", type=float, default=0.2, help="seconds per slow list (0.2)")
    parser.add_argument("--seconds", type=float, default=15, help="per setting (15)")
    parser.add_argument(
        "--conn-max-age", type=float, default=0, help="Django's CONN_MAX_AGE (0: connect per call)"
    )
    args = parser.parse_args()
    name = f"dcrf_bench_reads_{uuid.uuid4().hex[:10]}"
    prepare(name)
    try:
        rows = [(int(t), run_one(name, int(t), args)) for t in args.threads.split(",")]
    finally:
        drop(name)
    print(
        f"\n{args.slow} clients running lists that sleep {args.sleep} s in PostgreSQL; "
        f"one client retrieving, {args.seconds:.0f} s per setting, "
        f"CONN_MAX_AGE = {args.conn_max_age:g}\n"
    )
    print("| DB_READ_THREADS | retrieves | p50 ms | p99 ms | max ms | slow lists/s |")
    print("|---|---|---|---|---|---|")
    for threads, r in rows:
        print(
            f"| {threads} | {r['retrieves']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
            f"| {r['max_ms']:.1f} | {r['lists_per_s']:.1f} |"
        )


if __name__ == "__main__":
    main()
