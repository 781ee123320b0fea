"""Sizing figures for docs/deploying.md, measured on the real deployment.

Starts ``deploy/deployment.py`` (nginx → two uvicorn processes → Redis, PostgreSQL), opens
``--clients`` WebSockets through nginx, each subscribed to one user, and prints per
process: memory (RSS) before and with the clients and per connection, Redis and
PostgreSQL connections held, and nginx's memory. Run it with the services' environment::

    eval "$(./scripts/services env)"
    .venv/bin/python benchmarks/deployment_sizing.py --clients 2000

Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import websockets

REPO_ROOT = Path(__file__).resolve().parents[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def tcp_connections_by_pid(port: int) -> dict[int, int]:
    """Established TCP connections to 127.0.0.1:``port``, counted per owning process."""
    output = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"dport = :{port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts: dict[int, int] = {}
    for pid in re.findall(r"pid=(\d+)", output):
        counts[int(pid)] = counts.get(int(pid), 0) + 1
    return counts


async def subscribed(url: str, index: int) -> Any:
    ws = await websockets.connect(url, open_timeout=120, compression=None)
    await ws.send(
        json.dumps({"action": "subscribe_instance", "pk": 1 + index % 3, "request_id": 1})
    )
    reply = json.loads(await asyncio.wait_for(ws.recv(), 120))
    assert reply["response_status"] == 201, reply
    return ws


async def measure(state: dict, clients: int) -> None:
    servers = state["servers"]
    redis_port = int(
        os.environ.get("DCRF_REDIS_URL", "redis://127.0.0.1:6399/0").split(":")[2].split("/")[0]
    )
    pg_port = int(os.environ.get("PGPORT", "5432"))
    nginx_pids = [state["nginx"]["pid"], *children(state["nginx"]["pid"])]
    before = {s["pid"]: rss_kib(s["pid"]) for s in servers}
    nginx_before = sum(rss_kib(p) for p in nginx_pids)
    semaphore = asyncio.Semaphore(200)

    async def one(i: int) -> Any:
        async with semaphore:
            return await subscribed(state["ws_url"], i)

    started = time.monotonic()
    sockets = await asyncio.gather(*(one(i) for i in range(clients)))
    took = time.monotonic() - started
    await asyncio.sleep(2)
    after = {s["pid"]: rss_kib(s["pid"]) for s in servers}
    nginx_after = sum(rss_kib(p) for p in nginx_pids)
    redis = tcp_connections_by_pid(redis_port)
    pg = tcp_connections_by_pid(pg_port)
    per_process = {s["pid"]: 0 for s in servers}
    uvicorn_ports = {s["port"]: s["pid"] for s in servers}
    for ws in sockets:
        port = int(ws.response.headers["X-DCRF-Upstream"].rsplit(":", 1)[1])
        per_process[uvicorn_ports[port]] += 1
    print(f"{clients} subscribed clients through nginx in {took:.1f} s\n")
    print(
        "| process | clients | RSS before (MiB) | RSS with clients (MiB) | KiB per client "
        "| Redis conns | PostgreSQL conns |"
    )
    print("|---|---|---|---|---|---|---|")
    for s in servers:
        pid = s["pid"]
        n = per_process[pid]
        per = (after[pid] - before[pid]) / n if n else 0
        print(
            f"| uvicorn :{s['port']} | {n} | {before[pid] / 1024:.0f} | {after[pid] / 1024:.0f} "
            f"| {per:.0f} | {redis.get(pid, 0)} | {pg.get(pid, 0)} |"
        )
    print(
        f"| nginx (master + workers) | {clients} | {nginx_before / 1024:.0f} | "
        f"{nginx_after / 1024:.0f} | {(nginx_after - nginx_before) / clients:.0f} | - | - |"
    )
    await asyncio.gather(*(ws.close() for ws in sockets))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--layer", choices=("redis", "redis-pubsub"), default="redis")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.clients * 3)), hard))
    runner = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "deploy" / "deployment.py"), "--layer", args.layer],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert runner.stdout is not None
        state = json.loads(runner.stdout.readline())
        asyncio.run(measure(state, args.clients))
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.wait(timeout=60)


if __name__ == "__main__":
    main()
