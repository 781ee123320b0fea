"""Many clients at once: every request gets exactly its own reply, and how fast.

    python benchmarks/load.py                         # start the demo, 500 x 100
    python benchmarks/load.py --connections 50 --requests 20
    python benchmarks/load.py --url ws://127.0.0.1:8000/ws/ --pid 12345

Opens ``--connections`` WebSocket connections at once to a server on 127.0.0.1 (the demo,
started with its seeded SQLite database unless ``--url`` is given). Each connection sends
``--requests`` requests one after another, a mix of ``retrieve``, ``list``, ``patch`` and
bad input (unknown action, missing key, invalid field, wrong primary key type), each with
a request id unique across the run, and checks every reply against what that request
must produce. Reports lost (no reply), duplicated (two replies to one id) and mismatched
(wrong action or status, unknown id) replies, which must all be 0, the p50/p99 latency,
and the server's resident memory (``VmRSS`` of ``/proc/<pid>/status``) before and after.

Only loopback targets are accepted and every loop is bounded. Exit status 1 if any reply
was lost, duplicated or mismatched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from websockets.asyncio.client import connect

REPO_ROOT = Path(__file__).resolve().parents[1]
REPLY_TIMEOUT = 30.0
CONNECT_TIMEOUT = 60.0
#: The demo's seeded users (``seed_demo``).
PKS = (1, 2, 3)


def mixed_request(connection: int, index: int) -> tuple[dict[str, Any], str, int]:
    """The ``index``-th request of a connection, with the action and status it must get."""
    request_id = f"{connection}-{index}"
    pk = PKS[(connection + index) % len(PKS)]
    kind = index % 8
    if kind in (0, 1, 2):
        return {"action": "retrieve", "pk": pk, "request_id": request_id}, "retrieve", 200
    if kind == 3:
        return {"action": "list", "request_id": request_id}, "list", 200
    if kind == 4:
        data = {"email": f"load-{connection}-{index}@example.com"}
        message = {"action": "patch", "pk": pk, "data": data, "request_id": request_id}
        return message, "patch", 200
    if kind == 5:
        return {"action": "no_such_action", "request_id": request_id}, "no_such_action", 405
    if kind == 6:
        data = {"email": "not an email"}
        message = {"action": "patch", "pk": pk, "data": data, "request_id": request_id}
        return message, "patch", 400
    return {"action": "retrieve", "pk": "abc", "request_id": request_id}, "retrieve", 404


@dataclass
class Results:
    sent: int = 0
    replies: Counter[str] = field(default_factory=Counter)
    mismatched: list[Any] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    failed_connections: list[str] = field(default_factory=list)
    expected: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return sum(1 for request_id in self.expected if self.replies[request_id] == 0)

    @property
    def duplicated(self) -> int:
        return sum(count - 1 for count in self.replies.values() if count > 1)


def check(results: Results, reply: Any) -> None:
    """Count a reply and record it as mismatched if it is not what its request needs."""
    if not isinstance(reply, dict) or "request_id" not in reply:
        results.mismatched.append(reply)
        return
    request_id = reply["request_id"]
    if not isinstance(request_id, str) or request_id not in results.expected:
        results.mismatched.append(reply)
        return
    results.replies[request_id] += 1
    action, status = results.expected[request_id]
    if (reply.get("action"), reply.get("response_status")) != (action, status):
        results.mismatched.append(reply)


async def client(url: str, number: int, requests: int, results: Results) -> None:
    """One connection: send each request, wait for its reply, then send the next."""
    try:
        async with connect(url, open_timeout=CONNECT_TIMEOUT, max_size=None) as ws:
            for index in range(requests):
                message, action, status = mixed_request(number, index)
                results.expected[message["request_id"]] = (action, status)
                started = time.perf_counter()
                await ws.send(json.dumps(message))
                results.sent += 1
                reply = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT))
                results.latencies.append(time.perf_counter() - started)
                check(results, reply)
            # A duplicate would arrive after the last reply: give it a moment to show up.
            try:
                while True:
                    check(results, json.loads(await asyncio.wait_for(ws.recv(), 0.2)))
            except TimeoutError:
                pass
    except Exception as exc:
        results.failed_connections.append(f"connection {number}: {exc!r}")


def rss_kib(pid: int | None) -> int | None:
    """Resident memory of process ``pid`` in KiB, or ``None`` if it cannot be read."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def raise_open_file_limit(needed: int) -> None:
    """Allow this process (and servers it starts) enough sockets for the run."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run_load(
    url: str, connections: int = 500, requests: int = 100, pid: int | None = None
) -> dict[str, Any]:
    """Run the load against ``url`` and return the figures (see the module docstring)."""
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"refusing to load {host!r}: only loopback servers are allowed")
    raise_open_file_limit(connections * 2 + 256)
    results = Results()
    rss_before = rss_kib(pid)
    started = time.perf_counter()
    await asyncio.gather(*(client(url, n, requests, results) for n in range(connections)))
    elapsed = time.perf_counter() - started
    rss_after = rss_kib(pid)
    return {
        "connections": connections,
        "requests_per_connection": requests,
        "sent": results.sent,
        "replies": sum(results.replies.values()),
        "lost": results.lost + (connections * requests - len(results.expected)),
        "duplicated": results.duplicated,
        "mismatched": len(results.mismatched),
        "mismatched_examples": results.mismatched[:3],
        "failed_connections": results.failed_connections[:3],
        "seconds": round(elapsed, 2),
        "requests_per_second": round(results.sent / elapsed) if elapsed else None,
        "p50_ms": round(percentile(results.latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(results.latencies, 0.99) * 1000, 2),
        "server_rss_kib_before": rss_before,
        "server_rss_kib_after": rss_after,
    }


def run_against_demo(connections: int, requests: int) -> dict[str, Any]:
    """Start the demo (seeded SQLite database) with uvicorn, load it, stop it."""
    sys.path.insert(0, str(REPO_ROOT))
    from tests.e2e.conftest import prepare_demo_database
    from tests.e2e.servers import run_server

    raise_open_file_limit(connections * 2 + 256)
    with tempfile.TemporaryDirectory(prefix="dcrf-load-") as directory:
        env = prepare_demo_database(Path(directory) / "demo.sqlite3")
        # Quiet server: the demo logs each request at INFO otherwise.
        env["DCRF_DEMO_DEBUG"] = "0"
        with run_server(env=env) as server:
            return asyncio.run(run_load(server.ws_url(), connections, requests, server.process.pid))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="ws:// URL of a running server on 127.0.0.1")
    parser.add_argument("--pid", type=int, help="the server's process id, for its memory")
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    options = parser.parse_args(argv)
    if options.url:
        figures = asyncio.run(
            run_load(options.url, options.connections, options.requests, options.pid)
        )
    else:
        figures = run_against_demo(options.connections, options.requests)
    print(json.dumps(figures, indent=2))
    return 1 if figures["lost"] or figures["duplicated"] or figures["mismatched"] else 0


if __name__ == "__main__":
    sys.exit(main())
