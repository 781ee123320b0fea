"""WebSocket load generator for the uvicorn workloads (a separate process from the server).

    python benchmarks/loadgen.py throughput --url ws://127.0.0.1:PORT/ws/users/ \
        --connections 16 --depth 4 --duration 2 --action retrieve
    python benchmarks/loadgen.py idle --url ... --connections 1000

``throughput``: each connection keeps ``depth`` requests in flight (pipelining): it sends
``depth`` requests, then one more for every reply, until ``duration`` has passed; replies
are matched to requests by ``request_id``. Requests sent during ``--warmup`` are not
counted. Prints one JSON line: requests/second, p50 and p99 latency (ms), errors.

``idle``: opens the connections, prints ``READY <n>``, waits for a line on stdin, then
closes them and prints JSON. The server's memory is read in between.

Only 127.0.0.1 targets are accepted, and every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any
from urllib.parse import urlparse

from websockets.asyncio.client import connect

MAX_REQUESTS_PER_CONNECTION = 500_000
EXPECTED = {"retrieve": 200, "list": 200}


def request(action: str, i: int) -> str:
    if action == "retrieve":
        return json.dumps({"action": "retrieve", "pk": 1 + i % 50, "request_id": i})
    return json.dumps({"action": action, "request_id": i})


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def open_all(url: str, count: int, batch: int = 100) -> list[Any]:
    sockets: list[Any] = []
    while len(sockets) < count:
        n = min(batch, count - len(sockets))
        sockets += await asyncio.gather(
            *(
                connect(url, compression=None, max_size=None, ping_interval=None, open_timeout=60)
                for _ in range(n)
            )
        )
    return sockets


async def pipeline(
    ws: Any,
    action: str,
    depth: int,
    measure_from: float,
    deadline: float,
    latencies: list[float],
    completions: list[int],
    errors: list[Any],
) -> None:
    """Keep ``depth`` requests in flight on ``ws`` until ``deadline``, then drain.

    Throughput counts replies received inside [measure_from, deadline]; latency is
    recorded for every request sent at or after ``measure_from``.
    """
    sent_at: dict[int, float] = {}
    next_id = 0

    async def send_one() -> None:
        nonlocal next_id
        sent_at[next_id] = time.perf_counter()
        await ws.send(request(action, next_id))
        next_id += 1

    for _ in range(depth):
        await send_one()
    while sent_at:
        reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
        now = time.perf_counter()
        started = sent_at.pop(reply.get("request_id"), None)
        if reply.get("response_status") != EXPECTED[action] or started is None:
            errors.append(reply)
        else:
            completions[1] += 1
            if started >= measure_from:
                latencies.append(now - started)
            if measure_from <= now <= deadline:
                completions[0] += 1
        if now < deadline and next_id < MAX_REQUESTS_PER_CONNECTION:
            await send_one()


async def throughput(args: argparse.Namespace) -> dict[str, Any]:
    sockets = await open_all(args.url, args.connections)
    latencies: list[float] = []
    completions = [0, 0]  # replies inside the window, all good replies
    errors: list[Any] = []
    start = time.perf_counter()
    measure_from = start + args.warmup
    deadline = measure_from + args.duration
    await asyncio.gather(
        *(
            pipeline(
                ws, args.action, args.depth, measure_from, deadline, latencies, completions, errors
            )
            for ws in sockets
        )
    )
    await asyncio.gather(*(ws.close() for ws in sockets))
    latencies.sort()
    return {
        "rps": completions[0] / args.duration,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "requests": len(latencies),
        "replies": completions[1],
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


async def idle(args: argparse.Namespace) -> dict[str, Any]:
    sockets = await open_all(args.url, args.connections)
    print(f"READY {len(sockets)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(ws.close() for ws in sockets))
    return {"connections": len(sockets)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["throughput", "idle"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=0.3)
    parser.add_argument("--action", choices=sorted(EXPECTED), default="retrieve")
    args = parser.parse_args()
    if urlparse(args.url).hostname != "127.0.0.1":
        parser.error("load targets must be 127.0.0.1")
    result = asyncio.run(throughput(args) if args.mode == "throughput" else idle(args))
    print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
