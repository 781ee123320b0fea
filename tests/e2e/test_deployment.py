"""The deployment recipe, end to end: nginx → two uvicorn processes → Redis and PostgreSQL.

``deploy/deployment.py`` (what ``scripts/deployment`` runs) starts the real thing: nginx
from the Debian package in the foreground on a free port of 127.0.0.1, rendered from
``deploy/nginx.conf.template``, two uvicorn processes with ``demo.deploy_settings``, a
PostgreSQL database of its own on the shared server and a Redis key prefix of its own.
Every client here goes through nginx. Then one server process is killed (SIGKILL): its
clients are cut, reconnect through nginx to the survivor and resubscribe, and every write
that was acknowledged before, during and after the kill is in the database.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websockets

from tests.e2e.servers import REPO_ROOT, receive, request

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

STARTUP_TIMEOUT = 180.0
TIMEOUT = 30.0
WRITERS = 4


def require_deployment_services() -> None:
    """nginx and PostgreSQL are needed; CI (scripts/test) provides both, elsewhere skip."""
    missing = []
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        missing.append("nginx")
    if not os.environ.get("PGHOST"):
        missing.append("PostgreSQL (PGHOST)")
    if missing:
        message = f"the deployment test needs {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message + "; scripts/test installs and starts them")
        pytest.skip(message)


@pytest.fixture
def deployment(redis_url: str) -> Iterator[dict[str, Any]]:
    """The running deployment's description (the JSON line the runner prints)."""
    require_deployment_services()
    runner = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "deploy" / "deployment.py"), "--servers", "2"],
        env={**os.environ, "DCRF_REDIS_URL": redis_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _first_line(runner)
        yield json.loads(line)
    finally:
        runner.send_signal(signal.SIGTERM)
        try:
            _, errors = runner.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            runner.kill()
            _, errors = runner.communicate()
        assert runner.returncode == 0, errors


def _first_line(runner: subprocess.Popen[str]) -> str:
    assert runner.stdout is not None
    deadline = time.monotonic() + STARTUP_TIMEOUT
    selector = selectors.DefaultSelector()
    selector.register(runner.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = runner.stdout.readline()
            if line:
                return line
        if runner.poll() is not None:
            break
    errors = runner.stderr.read() if runner.stderr else ""
    raise RuntimeError(f"the deployment did not start:\n{errors}")


async def connect(url: str) -> Any:
    return await websockets.connect(url, open_timeout=TIMEOUT, compression=None)


def upstream(ws: Any) -> str:
    """The uvicorn process (host:port) nginx handed this WebSocket to."""
    return ws.response.headers["X-DCRF-Upstream"]


async def one_client_per_process(url: str, ports: list[int]) -> dict[int, Any]:
    """Connect through nginx until there is a client on each process; close the extras."""
    clients: dict[int, Any] = {}
    for _ in range(20):
        ws = await connect(url)
        port = int(upstream(ws).rsplit(":", 1)[1])
        if port in clients:
            await ws.close()
        else:
            clients[port] = ws
        if len(clients) == len(ports):
            return clients
    raise AssertionError(f"nginx did not spread 20 connections over {ports}")


def save_from_a_worker(deployment: dict[str, Any], pk: int, email: str) -> None:
    """Change a user with the ORM in a separate process that serves nothing."""
    script = (
        "import django; django.setup();"
        "from django.contrib.auth.models import User;"
        f"user = User.objects.get(pk={pk}); user.email = {email!r}; user.save()"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=deployment["worker_cwd"],
        env={**os.environ, **deployment["worker_env"]},
        check=True,
        timeout=120,
    )


async def subscribe(ws: Any, pk: int, request_id: str) -> None:
    reply = await request(
        ws, {"action": "subscribe_instance", "pk": pk, "request_id": request_id}, TIMEOUT
    )
    assert reply["response_status"] == 201, reply


async def next_update(ws: Any, pk: int) -> dict[str, Any]:
    """The next update of user ``pk`` on ``ws`` (skipping replies to earlier requests)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        message = await receive(ws, timeout=max(deadline - time.monotonic(), 0.1))
        if message["action"] == "update" and message["data"]["id"] == pk:
            return message


class Writer:
    """Creates users through nginx in a loop, reconnecting whenever its socket is cut, and
    remembers every id whose creation was acknowledged with a 201."""

    def __init__(self, url: str, name: str, first: Any) -> None:
        self.url = url
        self.name = name
        self.first: Any = first
        self.acknowledged: list[int] = []
        self.reconnects = 0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        serial = 0
        while not self.stop.is_set():
            ws, self.first = self.first, None
            if ws is None:
                try:
                    ws = await connect(self.url)
                except (OSError, websockets.exceptions.WebSocketException):
                    await asyncio.sleep(0.1)
                    continue
            try:
                while not self.stop.is_set():
                    serial += 1
                    reply = await request(
                        ws,
                        {
                            "action": "create",
                            "data": {"username": f"{self.name}-{serial}"},
                            "request_id": serial,
                        },
                        TIMEOUT,
                    )
                    assert reply["response_status"] == 201, reply
                    self.acknowledged.append(reply["data"]["id"])
            except websockets.exceptions.ConnectionClosed:
                self.reconnects += 1
            finally:
                await ws.close()


async def test_nginx_two_servers_redis_postgres_and_a_killed_server(deployment):
    """CRUD through nginx; saves reach subscribers across processes; a killed process's
    clients move to the survivor; no acknowledged write is lost."""
    url = deployment["ws_url"]
    ports = [server["port"] for server in deployment["servers"]]

    # CRUD through nginx.
    ws = await connect(url)
    created = await request(
        ws, {"action": "create", "data": {"username": "via nginx"}, "request_id": 1}, TIMEOUT
    )
    assert created["response_status"] == 201
    pk = created["data"]["id"]
    steps = [
        ({"action": "retrieve", "pk": pk}, 200),
        ({"action": "patch", "pk": pk, "data": {"email": "n@example.com"}}, 200),
        ({"action": "list"}, 200),
        ({"action": "delete", "pk": pk}, 204),
        ({"action": "retrieve", "pk": pk}, 404),
    ]
    for number, (message, status) in enumerate(steps, start=2):
        reply = await request(ws, {**message, "request_id": number}, TIMEOUT)
        assert (reply["request_id"], reply["response_status"]) == (number, status), reply
    await ws.close()

    # A subscriber on one process sees a save made through the other, and a worker's.
    clients = await one_client_per_process(url, ports)
    doomed_port, survivor_port = ports
    subscriber, editor = clients[doomed_port], clients[survivor_port]
    await subscribe(subscriber, 2, "watch")
    patched = await request(
        editor, {"action": "patch", "pk": 2, "data": {"email": "b@example.com"}}, TIMEOUT
    )
    assert patched["response_status"] == 200
    assert (await next_update(subscriber, 2))["data"]["email"] == "b@example.com"
    await asyncio.to_thread(save_from_a_worker, deployment, 2, "worker@example.com")
    assert (await next_update(subscriber, 2))["data"]["email"] == "worker@example.com"

    # Writers on both processes keep creating users while one process is killed.
    first_sockets = [
        ws
        for _ in range(WRITERS // 2)
        for ws in (await one_client_per_process(url, ports)).values()
    ]
    writers = [Writer(url, f"writer{i}", ws) for i, ws in enumerate(first_sockets)]
    tasks = [asyncio.create_task(w.run()) for w in writers]
    await asyncio.sleep(2)
    doomed_pid = next(s["pid"] for s in deployment["servers"] if s["port"] == doomed_port)
    os.kill(doomed_pid, signal.SIGKILL)

    # The subscriber is cut; it reconnects through nginx, lands on the survivor and
    # resubscribes.
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        await asyncio.wait_for(subscriber.recv(), TIMEOUT)
    subscriber = await connect(url)
    assert upstream(subscriber) == f"127.0.0.1:{survivor_port}"
    await subscribe(subscriber, 2, "watch again")
    await asyncio.to_thread(save_from_a_worker, deployment, 2, "after@example.com")
    update = await next_update(subscriber, 2)
    assert (update["request_id"], update["data"]["email"]) == ("watch again", "after@example.com")

    await asyncio.sleep(2)  # writers go on through the survivor alone
    for writer in writers:
        writer.stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)
    assert sum(w.reconnects for w in writers) >= WRITERS // 2

    # Every acknowledged write is in PostgreSQL, read back through nginx.
    acknowledged = {pk for writer in writers for pk in writer.acknowledged}
    assert len(acknowledged) >= 10
    listed = await request(editor, {"action": "list", "request_id": "all"}, TIMEOUT)
    assert acknowledged <= {user["id"] for user in listed["data"]}
    await subscriber.close()
    await editor.close()
