"""Connection storms: thousands of clients of two server processes drop and come back at once.

Two demo servers share one Redis (each channels_redis layer in turn). ``CLIENTS`` clients,
half on each server, subscribe to a user; then every one of them is cut at the same
moment (TCP aborted, no close frame: a network blip), and as many reconnect and
resubscribe together. Redis is read directly to check that the memberships of the dropped
clients are gone, a save reaches each new subscriber exactly once, and after a second
drop nothing is left in Redis. The servers must not have logged an error per connection.

``DCRF_STORM_CLIENTS`` changes the number of clients (default 2,000; 0 skips the test).
About 35 s per layer on two cores.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import resource
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import websockets

from tests.e2e.conftest import prepare_demo_database
from tests.e2e.servers import Server, receive, request, run_server

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

CLIENTS = int(os.environ.get("DCRF_STORM_CLIENTS", "2000"))
#: Handshakes in flight at once from the test process (the servers still see bursts of
#: hundreds; the kernel's listen backlog would refuse thousands of SYNs in one go).
CONNECTING_AT_ONCE = 400
#: Users 1..3 of the demo: each client subscribes to one of them.
USERS = (1, 2, 3)
#: Generous: the machine is shared and two servers handle thousands of sockets.
DEADLINE = 90.0
#: Log lines the servers may print in all (start-up, shutdown, summaries) — far fewer
#: than one per connection.
MAX_LOG_LINES = 40


def raise_open_file_limit(needed: int) -> None:
    """Raise this process's soft limit on open files (servers started later inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"the open-file limit is {hard}; the storm needs {needed}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class RedisMemberships:
    """Reads what Redis holds for one channel-layer prefix: group members (the queue
    layer) or subscribed group channels (the pub/sub layer)."""

    def __init__(self, url: str, prefix: str, layer: str) -> None:
        self.client = aioredis.Redis.from_url(url)
        self.prefix = prefix
        self.layer = layer

    async def count(self) -> int:
        """Memberships in Redis: group members for ``RedisChannelLayer``; for the pub/sub
        layer, subscriptions of server processes to group and client channels."""
        if self.layer == "redis":
            total = 0
            async for key in self.client.scan_iter(match=f"{self.prefix}:group:*"):
                total += await self.client.zcard(key)
            return total
        channels = await self.client.pubsub_channels(f"{self.prefix}*")
        if not channels:
            return 0
        counts = await self.client.pubsub_numsub(*channels)
        return sum(count for _, count in counts)

    async def wait_for(self, predicate: Callable[[int], bool], timeout: float = DEADLINE) -> int:
        """Poll until ``predicate(count)`` holds; return the last count either way."""
        deadline = time.monotonic() + timeout
        count = await self.count()
        while not predicate(count) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            count = await self.count()
        return count

    async def clean_up(self) -> None:
        async for key in self.client.scan_iter(match=f"{self.prefix}*"):
            await self.client.delete(key)
        await self.client.aclose()


async def bounded(jobs: list[Callable[[], Awaitable[Any]]], at_once: int) -> list[Any]:
    semaphore = asyncio.Semaphore(at_once)

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


async def subscribed_client(server: Server, index: int) -> Any:
    """A client connected to ``server`` and subscribed to one of the demo's users."""
    ws = await websockets.connect(
        server.ws_url(), open_timeout=DEADLINE, ping_interval=None, compression=None
    )
    reply = await request(
        ws,
        {"action": "subscribe_instance", "pk": USERS[index % len(USERS)], "request_id": index},
        timeout=DEADLINE,
    )
    assert reply["response_status"] == 201, reply
    return ws


async def connect_all(servers: tuple[Server, Server]) -> list[Any]:
    jobs = [functools.partial(subscribed_client, servers[i % 2], i) for i in range(CLIENTS)]
    return await bounded(jobs, CONNECTING_AT_ONCE)


def drop_all(clients: list[Any]) -> None:
    """Cut every client's TCP connection at once, without a close frame."""
    for ws in clients:
        ws.transport.abort()


async def updates_received(clients: list[Any], pk: int) -> list[int]:
    """How many update messages for user ``pk`` each subscriber of ``pk`` got."""
    watching = [ws for i, ws in enumerate(clients) if USERS[i % len(USERS)] == pk]

    async def count(ws: Any) -> int:
        received = 0
        first = await receive(ws, timeout=DEADLINE)
        received += first["action"] == "update" and first["data"]["id"] == pk
        try:
            while True:  # anything else arriving soon after is a duplicate
                extra = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
                received += extra["action"] == "update"
        except asyncio.TimeoutError:
            return received

    return await asyncio.gather(*(count(ws) for ws in watching))


async def test_a_storm_of_drops_and_reconnects_leaves_no_membership_in_redis(
    tmp_path: Path, redis_url: str, redis_layer: str
):
    """2,000 clients on two servers drop and resubscribe at once; Redis ends up clean.

    (Without the bounded, retried group operations of ``membership.py`` this fails in
    the first wave already: subscriptions get 500 replies, ``MaxConnectionsError``.)
    """
    if CLIENTS == 0:
        pytest.skip("DCRF_STORM_CLIENTS=0")
    raise_open_file_limit(CLIENTS * 2 + 1024)
    prefix = f"dcrf-test-storm-{uuid.uuid4().hex[:12]}"
    env = prepare_demo_database(tmp_path / "storm.sqlite3")
    env |= {
        "DCRF_CHANNEL_LAYER": redis_layer,
        "DCRF_REDIS_URL": redis_url,
        "DCRF_REDIS_PREFIX": prefix,
    }
    memberships = RedisMemberships(redis_url, prefix, redis_layer)
    try:
        # uvicorn's own INFO lines ("connection open") are one per connection by design.
        quiet = ("--log-level", "warning")
        with (
            run_server(env=env, extra_args=quiet) as server_a,
            run_server(env=env, extra_args=quiet) as server_b,
        ):
            servers = (server_a, server_b)
            started = time.monotonic()
            clients = await connect_all(servers)
            print(f"{CLIENTS} clients subscribed in {time.monotonic() - started:.1f} s")
            if redis_layer == "redis":
                assert await memberships.count() == CLIENTS

            drop_all(clients)
            started = time.monotonic()
            clients = await connect_all(servers)
            print(
                f"{CLIENTS} clients dropped and resubscribed in {time.monotonic() - started:.1f} s"
            )
            if redis_layer == "redis":
                # Every dropped client's membership is gone; only the new ones remain.
                assert await memberships.wait_for(lambda n: n == CLIENTS) == CLIENTS

            async with websockets.connect(server_a.ws_url()) as editor:
                patched = await request(
                    editor,
                    {"action": "patch", "pk": 1, "data": {"email": "storm@example.com"}},
                    timeout=DEADLINE,
                )
                assert patched["response_status"] == 200
            counts = await updates_received(clients, pk=1)
            assert counts == [1] * len(counts)

            drop_all(clients)
            started = time.monotonic()
            assert await memberships.wait_for(lambda n: n == 0) == 0
            print(f"Redis clean {time.monotonic() - started:.1f} s after the last drop")

            logs = server_a.output() + server_b.output()
        assert "Too many connections" not in logs
        assert "Traceback" not in logs
        assert len(logs.splitlines()) <= MAX_LOG_LINES, logs[-3000:]
    finally:
        await memberships.clean_up()
