"""Live lists end to end: two uvicorn servers and a worker process sharing Redis.

Clients subscribed through server A and server B keep their lists of the demo's users in
sync while users are created through B and renamed and deleted by a plain Python process
that serves nothing (it only imports the demo's consumers at start-up, as every Django
process does). After each step every client's view equals a fresh ``list`` on its server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid

import pytest
import websockets

from tests.e2e.conftest import prepare_demo_database
from tests.e2e.servers import EXAMPLE_DIR, REPO_ROOT, receive, request, run_server
from tests.live_helpers import LiveView

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


def run_worker(env: dict[str, str], code: str) -> None:
    """Run ORM ``code`` in a new Python process that serves nothing."""
    script = "import django; django.setup()\nfrom django.contrib.auth.models import User\n" + code
    full_env = {**os.environ, **env, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{EXAMPLE_DIR}"}
    subprocess.run(
        [sys.executable, "-c", script], cwd=EXAMPLE_DIR, env=full_env, check=True, timeout=60
    )


class Subscriber:
    """One WebSocket with one live list, and another on the same server to ask ``list``."""

    def __init__(self, ws, oracle, message):
        self.ws, self.oracle, self.message = ws, oracle, message
        self.view: LiveView | None = None

    async def subscribe(self) -> None:
        reply = await request(
            self.ws, {"action": "subscribe_list", "request_id": "live", **self.message}
        )
        assert reply["response_status"] == 201, reply
        self.view = LiveView(reply["data"])

    async def fresh_list(self):
        reply = await request(self.oracle, {"action": "list", "request_id": 1, **self.message})
        return reply["data"]

    async def converge(self, timeout: float = 20) -> None:
        """Apply messages until the view equals a fresh ``list``; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.view.as_list_reply() != await self.fresh_list():
            remaining = deadline - time.monotonic()
            assert remaining > 0, (self.view.as_list_reply(), await self.fresh_list())
            try:
                frame = await receive(self.ws, timeout=min(remaining, 1))
            except asyncio.TimeoutError:
                continue
            assert (frame["request_id"], frame["response_status"]) == ("live", 200), frame
            self.view.apply(frame["data"])


async def test_lists_stay_in_sync_across_two_servers_and_a_worker(tmp_path, redis_url):
    """Creates through server B and a worker's renames and deletes reach lists on A and B."""
    env = prepare_demo_database(tmp_path / "demo.sqlite3")
    env.update(
        {
            "DCRF_CHANNEL_LAYER": "redis",
            "DCRF_REDIS_URL": redis_url,
            "DCRF_REDIS_PREFIX": f"dcrf-e2e-live-{uuid.uuid4().hex[:8]}",
        }
    )
    with run_server(env=env) as server_a, run_server(env=env) as server_b:
        async with (
            websockets.connect(server_a.ws_url()) as ws_a,
            websockets.connect(server_a.ws_url()) as oracle_a,
            websockets.connect(server_b.ws_url()) as ws_b,
            websockets.connect(server_b.ws_url()) as oracle_b,
            websockets.connect(server_b.ws_url()) as editor,
        ):
            searched = Subscriber(
                ws_a, oracle_a, {"query": {"search": "user", "ordering": "-id"}, "limit": 2}
            )
            everyone = Subscriber(ws_b, oracle_b, {"query": {"ordering": "username"}})
            for subscriber in (searched, everyone):
                await subscriber.subscribe()
            initial = [row["username"] for row in everyone.view.rows]
            assert initial == ["user 1", "user 2", "user 3"]

            created = await request(
                editor,
                {"action": "create", "request_id": 2, "data": {"username": "user 4"}},
            )
            assert created["response_status"] == 201, created
            for subscriber in (searched, everyone):
                await subscriber.converge()
            assert [row["username"] for row in searched.view.rows] == ["user 4", "user 3"]
            assert searched.view.count == 4

            code = (
                "user = User.objects.get(username='user 3')\n"
                "user.username = 'zed'\n"
                "user.save()\n"
                "User.objects.filter(username='user 1').delete()\n"
            )
            await asyncio.to_thread(run_worker, env, code)
            for subscriber in (searched, everyone):
                await subscriber.converge()
            assert [row["username"] for row in searched.view.rows] == ["user 4", "user 2"]
            assert searched.view.count == 2
            assert [row["username"] for row in everyone.view.rows] == ["user 2", "user 4", "zed"]
            kinds = [message["change"] for message in searched.view.messages]
            assert "leave" in kinds and "enter" in kinds
