"""``DB_READ_THREADS``: read actions on a pool of database threads, writes where they were.

A read held up on one connection (``blocked_read`` waits for the test, like a slow query)
stalls every other connection of the process when all database work shares one thread
(the default, ``1``); with a pool, other reads get through meanwhile. Writes always run on
the one database thread, in their transaction.
"""

import asyncio

import pytest
from django.test import override_settings

from djangochannelsrestframework import read_threads
from tests.app.consumers import (
    READ_GATE,
    READ_STARTED,
    THREADS_SEEN,
    ThreadRecordingNoteConsumer,
)
from tests.app.models import Note
from tests.helpers import ask, connect

pytestmark = pytest.mark.django_db(transaction=True)

POOL = {"DB_READ_THREADS": 3}


@pytest.fixture(autouse=True)
def _fresh_records():
    THREADS_SEEN.clear()
    READ_GATE.clear()
    READ_STARTED.clear()
    yield
    READ_GATE.set()  # never leave a thread waiting


def threads_of(action):
    return {thread for seen_action, thread in THREADS_SEEN if seen_action == action}


async def test_reads_and_writes_share_the_database_thread_by_default():
    """With the default of 1, ``retrieve`` and ``create`` run on the same thread."""
    assert read_threads.read_executor() is None
    client = await connect(ThreadRecordingNoteConsumer)
    created = await ask(client, action="create", data={"title": "a"})
    await ask(client, action="retrieve", pk=created["data"]["id"], request_id=2)
    await client.disconnect()
    assert threads_of("retrieve") == threads_of("create")
    assert not any(name.startswith("dcrf-db-read") for _, name in THREADS_SEEN)


@override_settings(DJANGO_CHANNELS_REST_API=POOL)
async def test_with_a_pool_reads_run_on_read_threads_and_writes_do_not():
    """``list`` and ``retrieve`` run on the read pool; ``create`` and ``patch`` do not."""
    client = await connect(ThreadRecordingNoteConsumer)
    created = await ask(client, action="create", data={"title": "a"})
    pk = created["data"]["id"]
    assert (await ask(client, action="retrieve", pk=pk, request_id=2))["response_status"] == 200
    assert (await ask(client, action="list", request_id=3))["data"][0]["title"] == "a"
    patched = await ask(client, action="patch", pk=pk, data={"title": "b"}, request_id=4)
    assert patched["data"]["title"] == "b"
    await client.disconnect()
    for read in ("retrieve", "list"):
        assert threads_of(read) and all(t.startswith("dcrf-db-read") for t in threads_of(read))
    for write in ("create", "patch"):
        assert threads_of(write) and not any(
            t.startswith("dcrf-db-read") for t in threads_of(write)
        )


@override_settings(DJANGO_CHANNELS_REST_API=POOL)
async def test_a_slow_read_does_not_hold_up_other_clients_with_a_pool():
    """While one client's read is held up, another client's retrieve is answered."""
    note = await Note.objects.acreate(title="fast")
    slow, fast = (
        await connect(ThreadRecordingNoteConsumer),
        await connect(ThreadRecordingNoteConsumer),
    )
    await slow.send_json_to({"action": "blocked_read", "request_id": "slow"})
    assert await asyncio.to_thread(READ_STARTED.wait, 10)  # the slow read holds its thread
    reply = await ask(fast, action="retrieve", pk=note.pk, request_id="fast")
    assert (reply["request_id"], reply["data"]["title"]) == ("fast", "fast")
    assert await slow.receive_nothing(timeout=0.2)  # still held up
    READ_GATE.set()
    assert (await slow.receive_json_from(timeout=10))["data"] == [note.pk]
    await slow.disconnect()
    await fast.disconnect()


async def test_without_a_pool_a_slow_read_holds_up_every_client():
    """The default: the other client's retrieve waits until the slow read is done."""
    note = await Note.objects.acreate(title="fast")
    slow, fast = (
        await connect(ThreadRecordingNoteConsumer),
        await connect(ThreadRecordingNoteConsumer),
    )
    await slow.send_json_to({"action": "blocked_read", "request_id": "slow"})
    assert await asyncio.to_thread(READ_STARTED.wait, 10)  # the slow read holds its thread
    await fast.send_json_to({"action": "retrieve", "pk": note.pk, "request_id": "fast"})
    assert await fast.receive_nothing(timeout=1.0)
    READ_GATE.set()
    assert (await slow.receive_json_from(timeout=10))["request_id"] == "slow"
    assert (await fast.receive_json_from(timeout=10))["request_id"] == "fast"
    await slow.disconnect()
    await fast.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API=POOL)
async def test_a_failed_write_still_rolls_back_with_a_pool():
    """Writes keep their transaction: an invalid create leaves nothing behind."""
    client = await connect(ThreadRecordingNoteConsumer)
    reply = await ask(client, action="create", data={})
    await client.disconnect()
    assert reply["response_status"] == 400
    assert await Note.objects.acount() == 0
