"""Observers across processes: two demo servers and a plain Python process sharing Redis.

A client subscribed through server A sees a change made through server B and a change
saved by a separate process that runs no server at all, after staying idle for 30 seconds
(long enough to catch the redis-py 8 socket timeout that tears idle consumers down), on
each of channels_redis' layers.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid

import pytest
import websockets

from tests.e2e.conftest import prepare_demo_database
from tests.e2e.servers import EXAMPLE_DIR, REPO_ROOT, receive, run_server

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

IDLE_SECONDS = 30


def save_from_a_plain_process(env: dict[str, str], email: str) -> None:
    """Change user 2 with the ORM in a new Python process that serves nothing."""
    script = (
        "import django; django.setup();"
        "from django.contrib.auth.models import User;"
        "user = User.objects.get(pk=2);"
        f"user.email = {email!r};"
        "user.save()"
    )
    full_env = {**os.environ, **env, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{EXAMPLE_DIR}"}
    subprocess.run(
        [sys.executable, "-c", script], cwd=EXAMPLE_DIR, env=full_env, check=True, timeout=60
    )


async def test_changes_from_another_server_and_another_process_reach_an_idle_subscriber(
    tmp_path, redis_url, redis_layer
):
    """Subscribe on A, stay idle 30 s, then see B's patch and a worker's save."""
    env = prepare_demo_database(tmp_path / "demo.sqlite3")
    env.update(
        {
            "DCRF_CHANNEL_LAYER": redis_layer,
            "DCRF_REDIS_URL": redis_url,
            "DCRF_REDIS_PREFIX": f"dcrf-test-{uuid.uuid4().hex[:12]}",
        }
    )
    with run_server(env=env) as server_a, run_server(env=env) as server_b:
        async with websockets.connect(server_a.ws_url()) as subscriber:
            await subscriber.send(
                json.dumps({"action": "subscribe_instance", "pk": 2, "request_id": "watch"})
            )
            assert (await receive(subscriber))["response_status"] == 201

            await asyncio.sleep(IDLE_SECONDS)

            async with websockets.connect(server_b.ws_url()) as editor:
                await editor.send(
                    json.dumps(
                        {
                            "action": "patch",
                            "pk": 2,
                            "data": {"email": "b@example.com"},
                            "request_id": 1,
                        }
                    )
                )
                assert (await receive(editor))["response_status"] == 200
            update = await receive(subscriber)
            assert update == {
                "action": "update",
                "errors": [],
                "response_status": 200,
                "request_id": "watch",
                "data": {"id": 2, "username": "user 2", "email": "b@example.com"},
            }

            await asyncio.to_thread(save_from_a_plain_process, env, "worker@example.com")
            update = await receive(subscriber)
            assert (update["request_id"], update["data"]["email"]) == (
                "watch",
                "worker@example.com",
            )
