"""``db.DatabaseSyncToAsync``: calls queued behind each other share one database connection.

With Django's default ``CONN_MAX_AGE = 0`` Channels closes the database thread's
connection after every call and opens a new one for the next. Here a call that finishes
while others wait for the same thread leaves the connection open for them, within
``BUSY_DB_CONNECTION_REUSE`` seconds past its max age; an unusable connection is still
closed, and the connection is closed once nothing is queued.

Connections are counted with Django's ``connection_created`` signal. SQLite's in-memory
test database ignores ``close()`` (closing would destroy it), so these tests run where a
connection really closes: in the suite's PostgreSQL run.
"""

import asyncio
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from channels import db as channels_db
from django import db as django_db
from django.db import connection, connections, transaction
from django.db.backends.signals import connection_created
from django.test import override_settings

from djangochannelsrestframework.db import DatabaseSyncToAsync
from tests.app.models import Note

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite" and connection.is_in_memory_db(),
        reason="in-memory SQLite never closes its connection; runs on PostgreSQL",
    ),
]

QUEUED_CALLS = 20


@pytest.fixture(autouse=True)
def real_close_old_connections(monkeypatch):
    """Close connections for real, as a server does.

    ``channels.testing`` swaps ``channels.db.close_old_connections`` for a no-op while a
    communicator waits; communicators waiting concurrently (as in test_concurrency.py)
    restore each other's swaps out of order and can leave the no-op in place for the rest
    of the session. The library calls it through ``channels.db`` so that it honours that
    swap in tests; these tests need Django's own function.
    """
    monkeypatch.setattr(channels_db, "close_old_connections", django_db.close_old_connections)


@pytest.fixture
def connections_opened():
    """The aliases of the database connections opened while the test runs, in order."""
    opened: list[str] = []

    def record(sender, connection, **kwargs):
        opened.append(connection.alias)

    connection_created.connect(record)
    yield opened
    connection_created.disconnect(record)


def count_notes() -> int:
    return Note.objects.count()


async def run_queued(function, calls: int = QUEUED_CALLS) -> list:
    """Run ``calls`` calls of ``function`` so that all but the first wait in the queue of
    the database thread while the first one runs."""
    first_may_finish = threading.Event()

    def first() -> object:
        first_may_finish.wait(timeout=10)
        return function()

    first_call = asyncio.ensure_future(DatabaseSyncToAsync(first)())
    others = [asyncio.ensure_future(DatabaseSyncToAsync(function)()) for _ in range(calls - 1)]
    await asyncio.sleep(0.05)  # every call is handed to the database thread
    first_may_finish.set()
    return await asyncio.gather(first_call, *others)


async def thread_connection_is_open() -> bool:
    """Whether the database thread holds an open connection (asked without closing it)."""
    return await sync_to_async(lambda: connections["default"].connection is not None)()


async def test_queued_calls_share_one_connection(connections_opened):
    """Twenty calls queued behind each other open one connection, not twenty."""
    results = await run_queued(count_notes)
    assert results == [0] * QUEUED_CALLS
    assert connections_opened == ["default"]


async def test_the_connection_is_closed_once_nothing_is_queued():
    """After the last queued call, ``CONN_MAX_AGE = 0`` closes the connection as usual."""
    await run_queued(count_notes)
    assert not await thread_connection_is_open()


async def test_calls_made_one_after_another_each_open_a_connection(connections_opened):
    """With nothing queued, every call opens and closes its connection, as in Channels."""
    for _ in range(5):
        await DatabaseSyncToAsync(count_notes)()
    assert connections_opened == ["default"] * 5


async def test_zero_reuse_window_reconnects_for_every_call(connections_opened):
    """``BUSY_DB_CONNECTION_REUSE = 0`` restores Channels' behaviour for queued calls too."""
    with override_settings(DJANGO_CHANNELS_REST_API={"BUSY_DB_CONNECTION_REUSE": 0}):
        await run_queued(count_notes)
    assert connections_opened == ["default"] * QUEUED_CALLS


async def test_a_connection_left_outside_autocommit_is_not_reused(connections_opened):
    """A call that leaves autocommit off gets its connection closed even with calls queued."""

    def leave_autocommit_off() -> int:
        transaction.set_autocommit(False)
        return count_notes()

    await run_queued(leave_autocommit_off, calls=3)
    assert connections_opened == ["default"] * 3


async def test_reuse_ends_at_the_window_past_the_max_age(connections_opened):
    """A connection is reused for at most ``BUSY_DB_CONNECTION_REUSE`` seconds past its
    ``CONN_MAX_AGE`` (0 here): with a 0.05 s window and calls of at least 0.03 s, no
    connection serves more than two calls, so ten queued calls open five or more."""

    def slow_count() -> int:
        count = count_notes()  # connects (if needed) first: the age counts from here
        time.sleep(0.03)
        return count

    with override_settings(DJANGO_CHANNELS_REST_API={"BUSY_DB_CONNECTION_REUSE": 0.05}):
        await run_queued(slow_count, calls=10)
    assert len(connections_opened) >= 5


async def test_a_connection_kept_for_other_work_is_not_reused_after_the_window(
    connections_opened,
):
    """A call that finds only someone else's work queued keeps the connection open; if the
    next library call comes after the reuse window, it opens a fresh connection."""
    first_may_finish = threading.Event()

    def first() -> int:
        first_may_finish.wait(timeout=10)
        return count_notes()

    with override_settings(DJANGO_CHANNELS_REST_API={"BUSY_DB_CONNECTION_REUSE": 0.05}):
        first_call = asyncio.ensure_future(DatabaseSyncToAsync(first)())
        queued_behind = asyncio.ensure_future(sync_to_async(lambda: None)())
        await asyncio.sleep(0.05)
        first_may_finish.set()
        await asyncio.gather(first_call, queued_behind)
        assert await thread_connection_is_open()  # kept for the work that was queued
        await asyncio.sleep(0.1)
        await DatabaseSyncToAsync(count_notes)()
    assert connections_opened == ["default", "default"]


async def test_rows_written_by_queued_calls_are_committed(connections_opened):
    """Reusing the connection keeps each call's autocommit writes: all rows are there."""

    def create_note() -> int:
        return Note.objects.create(title="queued").pk

    pks = await run_queued(create_note, calls=10)
    assert connections_opened == ["default"]
    assert len(set(pks)) == 10
    assert await Note.objects.filter(title="queued").acount() == 10
