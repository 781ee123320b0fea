"""Fault injection: a private Redis stopped and restarted under a real uvicorn server.

While Redis is down: CRUD is answered (on open sockets and new ones), subscribe requests get
a 503, subscribers are told that live updates stopped, and a worker's ``save()`` succeeds.
After it is back: subscribers are told, their subscriptions work again without
resubscribing (the first channel-layer call on each dead pooled connection is retried), and
the server logged the outage once, not once per message.
Live lists too: ``subscribe_list`` gets a 503 during the outage, and a list catches up on
what changed meanwhile once Redis is back.

The shared Redis of the test run is never touched: this test starts its own on a free port.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import websockets

from tests.e2e.conftest import prepare_demo_database
from tests.e2e.servers import free_port, receive, request, run_server
from tests.e2e.test_observers_redis import save_from_a_plain_process

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

#: Generous: the machine running the suite may be busy.
WAIT = 30.0


class PrivateRedis:
    """A redis-server of this test's own, on a free port of 127.0.0.1, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + WAIT
        while not self._answers():
            assert self.process.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=WAIT)
        self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


async def next_message(ws: Any, predicate: Any, timeout: float = WAIT) -> dict[str, Any]:
    """The next message on ``ws`` for which ``predicate`` holds (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "no matching message in time"
        message = await receive(ws, remaining)
        if predicate(message):
            return message


def is_notice(state: str) -> Any:
    return lambda m: m["action"] == "live_updates" and (m["data"] or {}).get("state") == state


def is_update(email: str) -> Any:
    return lambda m: m["action"] == "update" and m["data"]["email"] == email


async def patch_email(ws: Any, pk: int, email: str, request_id: Any) -> dict[str, Any]:
    message = {"action": "patch", "pk": pk, "data": {"email": email}, "request_id": request_id}
    await ws.send(json.dumps(message))
    return await next_message(ws, lambda m: m["request_id"] == request_id)


async def test_crud_survives_a_redis_outage_and_live_updates_come_back(tmp_path):
    env = prepare_demo_database(tmp_path / "demo.sqlite3")
    with private_redis() as redis:
        env.update({"DCRF_CHANNEL_LAYER": "redis", "DCRF_REDIS_URL": redis.url})
        with run_server(env=env) as server:
            async with (
                websockets.connect(server.ws_url()) as subscriber,
                websockets.connect(server.ws_url()) as editor,
            ):
                reply = await request(
                    subscriber, {"action": "subscribe_instance", "pk": 2, "request_id": "watch"}
                )
                assert reply["response_status"] == 201
                assert (await patch_email(editor, 2, "before@example.com", 1))[
                    "response_status"
                ] == 200
                await next_message(subscriber, is_update("before@example.com"))

                # Down --------------------------------------------------------------------
                redis.stop()
                notice = await next_message(subscriber, is_notice("interrupted"))
                assert notice["response_status"] == 503 and notice["errors"]

                # CRUD on an open socket, including writes whose events cannot be sent.
                for n in range(20):
                    reply = await patch_email(editor, 2, f"down{n}@example.com", f"down-{n}")
                    assert reply["response_status"] == 200, reply
                assert (await request(editor, {"action": "list", "request_id": "l"}))[
                    "response_status"
                ] == 200

                # A new socket is accepted and kept; subscribing there is a clear 503.
                async with websockets.connect(server.ws_url()) as newcomer:
                    reply = await request(
                        newcomer, {"action": "retrieve", "pk": 1, "request_id": 1}
                    )
                    assert reply["response_status"] == 200
                    reply = await request(
                        newcomer, {"action": "subscribe_instance", "pk": 1, "request_id": "s"}
                    )
                    assert reply["response_status"] == 503
                    assert "Live updates are unavailable" in reply["errors"][0]
                    reply = await request(
                        newcomer, {"action": "retrieve", "pk": 1, "request_id": 2}
                    )
                    assert reply["response_status"] == 200

                # A worker's save() returns normally and the row is committed.
                await asyncio.to_thread(save_from_a_plain_process, env, "worker-down@example.com")
                reply = await request(editor, {"action": "retrieve", "pk": 2, "request_id": "r"})
                assert reply["data"]["email"] == "worker-down@example.com"

                # Back --------------------------------------------------------------------
                redis.start()
                notice = await next_message(subscriber, is_notice("resumed"))
                assert notice["response_status"] == 200

                # The subscription works again without resubscribing, and the first
                # group_send on the server's dead pooled connection is retried, not lost.
                assert (await patch_email(editor, 2, "after@example.com", "after"))[
                    "response_status"
                ] == 200
                await next_message(subscriber, is_update("after@example.com"))
                await asyncio.to_thread(save_from_a_plain_process, env, "worker-up@example.com")
                await next_message(subscriber, is_update("worker-up@example.com"))

                reply = await request(
                    editor, {"action": "subscribe_instance", "pk": 3, "request_id": "again"}
                )
                assert reply["response_status"] == 201

            output = server.output()
    assert output.count("is unavailable") == 1, output
    assert output.count("is back after") == 1, output
    assert "Exception in ASGI application" not in output, output
    assert "Traceback" not in output, output


def is_live_update(request_id: str, pk: int, email: str) -> Any:
    return lambda m: (
        m["action"] == "subscribe_list"
        and m["request_id"] == request_id
        and (m["data"] or {}).get("change") == "update"
        and m["data"]["pk"] == pk
        and m["data"]["row"]["email"] == email
    )


async def test_live_lists_through_a_redis_outage_catch_up_by_themselves(tmp_path):
    """A live list's socket is told of the outage, ``subscribe_list`` gets a 503 meanwhile,
    and a worker's save made during the outage (its announcement lost) reaches the list once
    Redis is back, without any further write or resubscribing."""
    env = prepare_demo_database(tmp_path / "demo.sqlite3")
    with private_redis() as redis:
        env.update({"DCRF_CHANNEL_LAYER": "redis", "DCRF_REDIS_URL": redis.url})
        with run_server(env=env) as server:
            async with websockets.connect(server.ws_url()) as subscriber:
                message = {"action": "subscribe_list", "request_id": "users", "limit": 50}
                reply = await request(subscriber, message, timeout=WAIT)
                assert reply["response_status"] == 201, reply

                redis.stop()
                notice = await next_message(subscriber, is_notice("interrupted"))
                assert notice["response_status"] == 503
                reply = await request(
                    subscriber, {**message, "request_id": "refused"}, timeout=WAIT
                )
                assert (reply["request_id"], reply["response_status"]) == ("refused", 503)
                await asyncio.to_thread(save_from_a_plain_process, env, "outage@example.com")

                redis.start()
                await next_message(subscriber, is_live_update("users", 2, "outage@example.com"))
            output = server.output()
    assert "Traceback" not in output, output
