"""Per-connection limits: how many detached actions one client may keep running."""

import asyncio

import pytest
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.settings import api_settings

# Channels closes stale database connections around each consumer, which needs the db.
pytestmark = pytest.mark.django_db(transaction=True)

TOO_MANY = ["Too many actions are running on this connection; wait for one to finish."]


class Waiter(AsyncAPIConsumer):
    """Detached actions that wait until the client opens the gate."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate = asyncio.Event()

    @action(detached=True)
    async def wait(self, **kwargs):
        await self.gate.wait()
        return "done", 200

    @action()
    async def open(self, **kwargs):
        self.gate.set()
        return None, 204

    @action()
    async def ping(self, **kwargs):
        return "pong", 200


async def connect():
    communicator = WebsocketCommunicator(Waiter.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def test_the_default_bound_is_64():
    """A connection may run 64 detached actions at once unless configured otherwise."""
    assert api_settings.MAX_DETACHED_TASKS == 64


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": 2})
async def test_a_detached_action_beyond_the_bound_gets_429():
    """The third concurrent detached action is refused with a 429 carrying its request id."""
    client = await connect()
    await client.send_json_to({"action": "wait", "request_id": 1})
    await client.send_json_to({"action": "wait", "request_id": 2})
    await client.send_json_to({"action": "wait", "request_id": 3})
    assert await client.receive_json_from() == {
        "errors": TOO_MANY,
        "data": None,
        "action": "wait",
        "response_status": 429,
        "request_id": 3,
    }
    await client.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": 2})
async def test_running_tasks_are_unaffected_by_a_refusal():
    """The tasks already running finish and reply normally after a refused one."""
    client = await connect()
    for request_id in (1, 2, 3):
        await client.send_json_to({"action": "wait", "request_id": request_id})
    assert (await client.receive_json_from())["request_id"] == 3
    await client.send_json_to({"action": "open", "request_id": "open"})
    replies = [await client.receive_json_from() for _ in range(3)]
    done = sorted(r["request_id"] for r in replies if r["action"] == "wait")
    assert done == [1, 2]
    assert all(r["response_status"] == 200 for r in replies if r["action"] == "wait")
    await client.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": 1})
async def test_a_finished_task_frees_its_place():
    """Once a detached action has finished, a new one is accepted."""
    client = await connect()
    await client.send_json_to({"action": "wait", "request_id": 1})
    await client.send_json_to({"action": "open"})
    replies = [await client.receive_json_from() for _ in range(2)]
    assert {r["action"] for r in replies} == {"wait", "open"}
    await client.send_json_to({"action": "wait", "request_id": 2})
    assert (await client.receive_json_from())["request_id"] == 2
    await client.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": 1})
async def test_inline_actions_are_not_counted():
    """Only detached work counts: ordinary actions are answered while the bound is reached."""
    client = await connect()
    await client.send_json_to({"action": "wait", "request_id": 1})
    await client.send_json_to({"action": "ping", "request_id": 2})
    assert (await client.receive_json_from())["data"] == "pong"
    await client.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": None})
async def test_none_means_no_bound():
    """``MAX_DETACHED_TASKS = None`` lets a connection run any number of detached actions."""
    client = await connect()
    for request_id in range(100):
        await client.send_json_to({"action": "wait", "request_id": request_id})
    await client.send_json_to({"action": "open"})
    replies = [await client.receive_json_from() for _ in range(101)]
    assert sum(r["action"] == "wait" and r["response_status"] == 200 for r in replies) == 100
    await client.disconnect()
