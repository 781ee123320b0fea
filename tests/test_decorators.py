"""``@action()`` and ``@detached``: sync and async actions, atomicity, names, background work."""

import asyncio
import inspect
import logging
import threading

import pytest
from django.db import connection, connections
from rest_framework.exceptions import NotFound

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action, detached
from djangochannelsrestframework.testing import APICommunicator, connected
from tests.app.models import Note

pytestmark = pytest.mark.django_db(transaction=True)


class ActionKinds(AsyncAPIConsumer):
    """One action of each kind the decorator produces."""

    @action()
    async def async_thread(self, **kwargs):
        return {"thread": threading.get_ident()}, 200

    @action()
    def sync_thread(self, **kwargs):
        return {"thread": threading.get_ident()}, 200

    @action()
    def default_atomicity(self, **kwargs):
        return {"atomic": connection.in_atomic_block}, 200

    @action(atomic=True)
    def always_atomic(self, **kwargs):
        return {"atomic": connection.in_atomic_block}, 200

    @action(atomic=False)
    def never_atomic(self, **kwargs):
        return {"atomic": connection.in_atomic_block}, 200

    @action(atomic=True)
    def atomic_then_fail(self, **kwargs):
        Note.objects.create(title="rolled back")
        raise RuntimeError("after the save")

    @action()
    def default_then_fail(self, **kwargs):
        Note.objects.create(title="kept")
        raise RuntimeError("after the save")

    @action()
    async def async_default(self, **kwargs):
        return {"ok": True}, 200

    @action(name="wire_name")
    async def python_name(self, **kwargs):
        return {"called": "python_name"}, 200

    @action(name="sync_wire")
    def sync_python_name(self, **kwargs):
        return {"called": "sync_python_name"}, 200

    @action()
    def sync_orm(self, title, **kwargs):
        note = Note.objects.create(title=title)
        return {"id": note.pk, "count": Note.objects.count()}, 201


class DetachedConsumer(AsyncAPIConsumer):
    """Detached actions waiting on an event the test controls."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    @action(detached=True)
    async def slow(self, **kwargs):
        self.started.set()
        await self.release.wait()
        return {"slow": "done"}, 200

    @action()
    async def fast(self, **kwargs):
        return {"fast": "done"}, 200

    @action()
    async def release_slow(self, **kwargs):
        self.release.set()
        return None, 204

    @action(detached=True)
    async def detached_not_found(self, **kwargs):
        raise NotFound()

    @action(detached=True)
    async def detached_bug(self, **kwargs):
        raise RuntimeError("bug in background")

    @action()
    async def count_tasks(self, **kwargs):
        return {"tasks": sum(len(tasks) for tasks in self.detached_tasks.values())}, 200

    @detached
    async def background(self, value):
        await self.send_json({"background": value})

    @action()
    async def start_background(self, value, **kwargs):
        result = await self.background(value)
        return {"returned": result}, 200


@pytest.fixture
async def client():
    async with connected(ActionKinds.as_asgi()) as communicator:
        yield communicator


@pytest.fixture
def atomic_requests(monkeypatch):
    """Turn ``ATOMIC_REQUESTS`` on for the default database during one test."""
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)


def test_decorators_module_exposes_the_13_names():
    """``action``, ``detached`` and the names 1.3 imported into ``decorators`` are there."""
    from djangochannelsrestframework.decorators import (  # noqa: F401
        AsyncAPIConsumer,
        action,
        database_sync_to_async,
        detached,
        settings,
        transaction,
    )


def test_action_marks_the_function_and_keeps_its_options():
    """``@action(...)`` sets ``.action = True`` and stores the extra options in ``.kwargs``."""

    @action(name="wire", other=1)
    async def handler(self, **kwargs):
        return None

    assert handler.action is True
    assert handler.kwargs == {"name": "wire", "other": 1}


def test_sync_actions_become_coroutine_functions_with_the_same_metadata():
    """A sync action is wrapped in an async function that keeps its name and docstring."""

    def handler(self, **kwargs):
        """Docs."""

    wrapped = action()(handler)
    assert inspect.iscoroutinefunction(wrapped)
    assert wrapped.__name__ == "handler"
    assert wrapped.__doc__ == "Docs."
    assert wrapped.action is True


def test_async_actions_are_returned_unchanged():
    """An async action without ``detached`` is the original function, marked."""

    async def handler(self, **kwargs):
        return None

    assert action()(handler) is handler


def test_atomic_async_action_is_refused():
    """``atomic=True`` on an async function raises ``ValueError`` at decoration."""
    with pytest.raises(ValueError, match="Only synchronous actions can be atomic"):

        @action(atomic=True)
        async def handler(self, **kwargs):
            return None


def test_detached_sync_action_is_refused():
    """``detached=True`` on a sync function raises ``ValueError`` at decoration."""
    with pytest.raises(ValueError, match="Only asynchronous actions can be detached"):

        @action(detached=True)
        def handler(self, **kwargs):
            return None


def test_detached_decorator_refuses_sync_functions():
    """``@detached`` on a sync function is a ``TypeError`` at decoration, not at call time."""
    with pytest.raises(TypeError, match="needs an async method"):

        @detached
        def handler(self):
            return None


async def test_sync_action_can_be_called_outside_a_class():
    """A decorated sync function is awaitable on its own: ``await f(None)``."""

    @action()
    def handler(self, value=2):
        return value * 21, self

    assert await handler(None) == (42, None)


async def test_async_action_can_be_called_outside_a_class():
    """A decorated async function is awaitable on its own: ``await f()``."""

    @action()
    async def handler(*args, **kwargs):
        return "called", args, kwargs

    assert await handler() == ("called", (), {})


async def test_sync_actions_run_in_a_worker_thread(client):
    """A sync action's body runs outside the event loop's thread."""
    loop_thread = threading.get_ident()
    reply = await client.request({"action": "sync_thread"})
    assert reply["data"]["thread"] != loop_thread


async def test_async_actions_run_on_the_event_loop(client):
    """An async action's body runs in the event loop's thread."""
    reply = await client.request({"action": "async_thread"})
    assert reply["data"]["thread"] == threading.get_ident()


async def test_sync_actions_may_use_the_orm_directly(client):
    """The body of a sync action can query the database without any wrapper."""
    reply = await client.request({"action": "sync_orm", "title": "t"})
    assert reply["response_status"] == 201
    assert reply["data"]["count"] == 1


async def test_sync_actions_are_not_atomic_by_default(client):
    """Without ``atomic`` and ``ATOMIC_REQUESTS`` a sync action is not in a transaction."""
    reply = await client.request({"action": "default_atomicity"})
    assert reply["data"] == {"atomic": False}


async def test_atomic_true_wraps_a_sync_action_in_a_transaction(client):
    """``@action(atomic=True)`` runs the body inside ``transaction.atomic()``."""
    reply = await client.request({"action": "always_atomic"})
    assert reply["data"] == {"atomic": True}


async def test_atomic_action_that_fails_is_rolled_back(client):
    """A failing ``atomic=True`` action leaves nothing it wrote."""
    reply = await client.request({"action": "atomic_then_fail"})
    assert reply["response_status"] == 500
    assert await Note.objects.acount() == 0


async def test_non_atomic_action_that_fails_keeps_its_writes(client):
    """Without a transaction, what a failing action saved before the error stays."""
    reply = await client.request({"action": "default_then_fail"})
    assert reply["response_status"] == 500
    assert await Note.objects.acount() == 1


@pytest.mark.usefixtures("atomic_requests")
async def test_atomic_requests_makes_sync_actions_atomic(client):
    """With ``ATOMIC_REQUESTS`` on, a sync action without ``atomic`` runs in a transaction."""
    assert (await client.request({"action": "default_atomicity"}))["data"] == {"atomic": True}
    assert (await client.request({"action": "default_then_fail"}))["response_status"] == 500
    assert await Note.objects.acount() == 0


@pytest.mark.usefixtures("atomic_requests")
async def test_atomic_false_overrides_atomic_requests(client):
    """``@action(atomic=False)`` is never atomic, whatever ``ATOMIC_REQUESTS`` says."""
    assert (await client.request({"action": "never_atomic"}))["data"] == {"atomic": False}


async def test_atomic_requests_is_read_when_the_action_runs(client, monkeypatch):
    """``ATOMIC_REQUESTS`` is read per call, not when the action was decorated."""
    assert (await client.request({"action": "default_atomicity"}))["data"] == {"atomic": False}
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)
    assert (await client.request({"action": "default_atomicity"}))["data"] == {"atomic": True}


@pytest.mark.usefixtures("atomic_requests")
async def test_atomic_requests_does_not_affect_async_actions(client):
    """Async actions work unchanged when ``ATOMIC_REQUESTS`` is on."""
    assert (await client.request({"action": "async_default"}))["data"] == {"ok": True}


async def test_name_option_exposes_a_different_wire_name(client):
    """``@action(name="wire_name")`` is called as ``wire_name``, not by its Python name."""
    reply = await client.request({"action": "wire_name", "request_id": 1})
    assert reply["action"] == "wire_name"
    assert reply["data"] == {"called": "python_name"}
    assert (await client.request({"action": "sync_wire"}))["data"] == {"called": "sync_python_name"}
    reply = await client.request({"action": "python_name"})
    assert reply["response_status"] == 405


# Detached actions ------------------------------------------------------------------------


async def test_detached_action_does_not_block_other_actions():
    """While a detached action waits, later actions are answered first."""
    async with connected(DetachedConsumer.as_asgi()) as client:
        await client.send_json_to({"action": "slow", "request_id": "slow"})
        fast = await client.request({"action": "fast", "request_id": "fast"})
        assert fast["data"] == {"fast": "done"}
        release = await client.request({"action": "release_slow", "request_id": "release"})
        assert release["response_status"] == 204
        slow = await client.receive_json_from()
        assert slow == {
            "errors": [],
            "data": {"slow": "done"},
            "action": "slow",
            "response_status": 200,
            "request_id": "slow",
        }


async def test_detached_action_errors_become_replies():
    """An API error inside a detached action is an error reply with its request id."""
    async with connected(DetachedConsumer.as_asgi()) as client:
        reply = await client.request({"action": "detached_not_found", "request_id": 3})
        assert reply["response_status"] == 404
        assert reply["errors"] == ["Not found."]
        assert reply["request_id"] == 3


async def test_detached_action_bug_is_a_logged_500_and_the_socket_stays_open(caplog):
    """An unexpected exception in a detached action is logged and answered with a 500."""
    async with connected(DetachedConsumer.as_asgi()) as client:
        with caplog.at_level(logging.ERROR, logger="djangochannelsrestframework.consumers"):
            reply = await client.request({"action": "detached_bug", "request_id": 4})
        assert reply["response_status"] == 500
        assert reply["errors"] == ["A server error occurred."]
        assert any(record.exc_info for record in caplog.records)
        assert (await client.request({"action": "fast"}))["response_status"] == 200


async def test_finished_detached_tasks_are_forgotten():
    """A detached task is tracked while it runs and dropped once it has finished."""
    async with connected(DetachedConsumer.as_asgi()) as client:
        await client.send_json_to({"action": "slow"})
        assert (await client.request({"action": "count_tasks"}))["data"] == {"tasks": 1}
        await client.request({"action": "release_slow"})
        await client.receive_json_from()
        await asyncio.sleep(0.01)
        assert (await client.request({"action": "count_tasks"}))["data"] == {"tasks": 0}


async def test_detached_tasks_are_cancelled_on_disconnect():
    """Disconnecting cancels the connection's running detached actions."""
    instance = DetachedConsumer()
    client = APICommunicator(instance, "/ws/")
    await client.connect()
    await client.send_json_to({"action": "slow"})
    await asyncio.wait_for(instance.started.wait(), 1)
    [task] = instance.detached_tasks["slow"]
    await client.disconnect()
    assert task.cancelled()
    assert instance.detached_tasks["slow"] == []


async def test_detached_method_returns_none_at_once_and_runs_in_the_background():
    """Calling a ``@detached`` method schedules it and returns ``None`` immediately."""
    async with connected(DetachedConsumer.as_asgi()) as client:
        reply = await client.request({"action": "start_background", "value": 5})
        assert reply["data"] == {"returned": None}
        assert await client.receive_json_from() == {"background": 5}
