"""Detached actions and ``@detached`` helpers: background work that never blocks the socket."""

import asyncio
import logging

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from rest_framework.exceptions import ValidationError

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action, detached
from tests.helpers import connect

pytestmark = pytest.mark.django_db(transaction=True)


class Worker(AsyncAPIConsumer):
    """Detached actions that wait on a per-connection gate the client can open."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate = asyncio.Event()
        self.running = 0
        self.finished = []

    @action(detached=True)
    async def wait_for_gate(self, request_id, **kwargs):
        self.running += 1
        await self.gate.wait()
        return {"waited": request_id}, 200

    @action()
    async def open_gate(self, **kwargs):
        self.gate.set()
        return None, 204

    @action()
    async def ping(self, **kwargs):
        return "pong", 200

    @action(detached=True, name="renamed")
    async def python_name(self, **kwargs):
        await self.gate.wait()
        return "renamed", 200

    @action(detached=True)
    async def invalid(self, **kwargs):
        await asyncio.sleep(0)
        raise ValidationError({"field": ["bad"]})

    @action(detached=True)
    async def duplicate_user(self, **kwargs):
        User = get_user_model()
        await database_sync_to_async(User.objects.create)(username="same")
        await database_sync_to_async(User.objects.create)(username="same")

    @action(detached=True)
    async def no_reply(self, **kwargs):
        return {"not": "a tuple"}

    @action()
    async def start_helpers(self, count, **kwargs):
        for index in range(count):
            await self.helper(index)
        return {"started": count}, 200

    @detached
    async def helper(self, index):
        await self.gate.wait()
        await self.send_json({"helper": index})
        return "discarded"

    @action()
    async def start_failing_helper(self, **kwargs):
        await self.failing_helper()
        return None, 202

    @detached
    async def failing_helper(self):
        raise RuntimeError("helper bug")

    @action()
    async def cancel_helpers(self, **kwargs):
        await self.cancel_detached_tasks("helper")
        return None, 200


async def until(condition, timeout=1.0):
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_a_second_action_is_answered_while_a_detached_one_runs():
    """The second action's reply arrives first; the detached reply follows with its id."""
    client = await connect(Worker.as_asgi())
    await client.send_json_to({"action": "wait_for_gate", "request_id": "slow"})
    await client.send_json_to({"action": "ping", "request_id": "fast"})
    assert (await client.receive_json_from())["request_id"] == "fast"
    await client.send_json_to({"action": "open_gate", "request_id": "gate"})
    replies = [await client.receive_json_from() for _ in range(2)]
    assert {reply["request_id"] for reply in replies} == {"gate", "slow"}
    [slow] = [reply for reply in replies if reply["request_id"] == "slow"]
    assert slow == {
        "errors": [],
        "data": {"waited": "slow"},
        "action": "wait_for_gate",
        "response_status": 200,
        "request_id": "slow",
    }
    await client.disconnect()


async def test_request_ids_of_any_json_type_are_echoed():
    """A detached reply carries the request_id exactly as sent, whatever its JSON type."""
    client = await connect(Worker.as_asgi())
    for request_id in (7, "x", {"n": 1}, [1, 2], None):
        await client.send_json_to({"action": "wait_for_gate", "request_id": request_id})
    await client.send_json_to({"action": "open_gate"})
    replies = [await client.receive_json_from() for _ in range(6)]
    waited = [reply["request_id"] for reply in replies if reply["action"] == "wait_for_gate"]
    assert sorted(map(repr, waited)) == sorted(map(repr, [7, "x", {"n": 1}, [1, 2], None]))
    await client.disconnect()


async def test_an_api_error_inside_is_an_error_reply_and_the_socket_survives():
    """A DRF exception in a detached action becomes its error reply."""
    client = await connect(Worker.as_asgi())
    await client.send_json_to({"action": "invalid", "request_id": 5})
    reply = await client.receive_json_from()
    assert (reply["response_status"], reply["errors"], reply["request_id"]) == (
        400,
        [{"field": ["bad"]}],
        5,
    )
    await client.send_json_to({"action": "ping", "request_id": 6})
    assert (await client.receive_json_from())["data"] == "pong"
    await client.disconnect()


async def test_a_database_error_inside_is_an_error_reply():
    """An ``IntegrityError`` in a detached action is a 409 reply, not a dead socket."""
    client = await connect(Worker.as_asgi())
    await client.send_json_to({"action": "duplicate_user", "request_id": 8})
    reply = await client.receive_json_from()
    assert (reply["response_status"], reply["request_id"]) == (409, 8)
    await client.send_json_to({"action": "ping"})
    assert (await client.receive_json_from())["data"] == "pong"
    await client.disconnect()


async def test_a_result_that_is_not_a_tuple_sends_nothing():
    """As for inline actions, only a ``(data, status)`` result is replied."""
    client = await connect(Worker.as_asgi())
    await client.send_json_to({"action": "no_reply"})
    assert await client.receive_nothing(timeout=0.1)
    await client.disconnect()


async def test_disconnect_cancels_every_task_of_the_same_function():
    """Five waiting tasks of one action are all cancelled (1.3 skipped every second one)."""
    consumer = Worker()
    client = await connect(consumer)
    for request_id in range(5):
        await client.send_json_to({"action": "wait_for_gate", "request_id": request_id})
    await until(lambda: consumer.running == 5)
    tasks = list(consumer.detached_tasks["wait_for_gate"])
    assert len(tasks) == 5
    await client.disconnect()
    assert all(task.cancelled() for task in tasks)
    assert consumer.detached_tasks["wait_for_gate"] == []


async def test_tasks_are_tracked_under_the_python_function_name():
    """``@action(name=...)`` changes the wire name, not the task bookkeeping key."""
    consumer = Worker()
    client = await connect(consumer)
    await client.send_json_to({"action": "renamed", "request_id": 1})
    await until(lambda: len(consumer.detached_tasks["python_name"]) == 1)
    await client.send_json_to({"action": "open_gate"})
    replies = [await client.receive_json_from() for _ in range(2)]
    assert {reply["action"] for reply in replies} == {"renamed", "open_gate"}
    await client.disconnect()


async def test_detached_helpers_run_in_the_background_and_return_none():
    """A ``@detached`` method returns at once; its return value is discarded."""
    client = await connect(Worker.as_asgi())
    await client.send_json_to({"action": "start_helpers", "count": 2, "request_id": 1})
    assert (await client.receive_json_from())["data"] == {"started": 2}
    await client.send_json_to({"action": "open_gate"})
    messages = [await client.receive_json_from() for _ in range(3)]
    assert {"helper": 0} in messages and {"helper": 1} in messages
    assert await client.receive_nothing(timeout=0.1)
    await client.disconnect()


async def test_cancel_detached_tasks_by_name_leaves_the_others_running():
    """``cancel_detached_tasks("helper")`` stops the helpers only."""
    consumer = Worker()
    client = await connect(consumer)
    await client.send_json_to({"action": "start_helpers", "count": 3})
    await client.receive_json_from()
    await client.send_json_to({"action": "wait_for_gate", "request_id": "kept"})
    await until(lambda: consumer.running == 1)
    await client.send_json_to({"action": "cancel_helpers", "request_id": "cancel"})
    assert (await client.receive_json_from())["request_id"] == "cancel"
    assert consumer.detached_tasks["helper"] == []
    await client.send_json_to({"action": "open_gate"})
    replies = [await client.receive_json_from() for _ in range(2)]
    assert "kept" in {reply["request_id"] for reply in replies}
    assert await client.receive_nothing(timeout=0.1)
    await client.disconnect()


async def test_disconnect_cancels_detached_helpers():
    """Helpers end with the connection, like detached actions."""
    consumer = Worker()
    client = await connect(consumer)
    await client.send_json_to({"action": "start_helpers", "count": 4})
    await client.receive_json_from()
    tasks = list(consumer.detached_tasks["helper"])
    await client.disconnect()
    assert len(tasks) == 4 and all(task.cancelled() for task in tasks)


async def test_a_failing_helper_is_logged_and_the_socket_stays_open(caplog):
    """A ``@detached`` helper has no request to answer: its error is logged only."""
    client = await connect(Worker.as_asgi())
    with caplog.at_level(logging.ERROR, logger="djangochannelsrestframework"):
        await client.send_json_to({"action": "start_failing_helper", "request_id": 1})
        assert (await client.receive_json_from())["response_status"] == 202
        await until(lambda: any("helper bug" in str(r.exc_info) for r in caplog.records))
    await client.send_json_to({"action": "ping"})
    assert (await client.receive_json_from())["data"] == "pong"
    await client.disconnect()
