"""Database work from async code, without reconnecting between back-to-back hops.

Channels' ``database_sync_to_async`` runs ``close_old_connections()`` before and after
every call, as Django does around every HTTP request. With Django's default
``CONN_MAX_AGE = 0`` that closes the database thread's connection after each call and
opens a new one for the next: under load, when calls from many sockets queue up behind
each other on that one thread, the thread spends much of its time connecting (a quarter
of a busy server's database thread on SQLite, far more per connect on PostgreSQL).

:class:`DatabaseSyncToAsync` is a drop-in replacement that keeps the connection open
for the next call when one is already waiting for the same thread, for at most
``BUSY_DB_CONNECTION_REUSE`` seconds past the connection's ``CONN_MAX_AGE``. Everything
else stays as Django decides: a connection with errors or a changed autocommit is
closed as usual, and the connection is closed as soon as the queue is empty.
``BUSY_DB_CONNECTION_REUSE = 0`` restores Channels' behaviour exactly.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from asgiref.sync import SyncToAsync, sync_to_async
from channels import db as channels_db
from django.db import close_old_connections, connections

from djangochannelsrestframework.settings import api_settings

__all__ = ["DatabaseSyncToAsync", "close_old_connections_at_most_every", "database_sync_to_async"]


class _ThreadState(threading.local):
    #: Whether the last call on this thread left its connections open for the next one.
    kept_open = False
    #: The work queue of the executor this thread serves, if it is asgiref's single
    #: thread for thread-sensitive code (``False`` once known not to be).
    work_queue: Any = None


_state = _ThreadState()


def _work_queue() -> queue.SimpleQueue[Any] | None:
    """The queue of calls waiting for this thread, if this is asgiref's database thread.

    It reads ``ThreadPoolExecutor._threads`` and ``_work_queue``, internals that CPython
    has kept since 3.2; if they are missing, no queue is found and every call closes its
    connections as Channels does.
    """
    if _state.work_queue is None:
        executor = SyncToAsync.single_thread_executor
        threads = getattr(executor, "_threads", ())
        work_queue = getattr(executor, "_work_queue", None)
        mine = threading.current_thread() in threads and work_queue is not None
        _state.work_queue = work_queue if mine else False
    return _state.work_queue or None


def _more_work_queued() -> bool:
    work_queue = _work_queue()
    return work_queue is not None and not work_queue.empty()


def _within_reuse_window() -> bool:
    """Whether every open connection is less than the reuse window past its max age."""
    window = api_settings.BUSY_DB_CONNECTION_REUSE
    if not window:
        return False
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        close_at = connection.close_at
        if close_at is not None and now - close_at >= window:
            return False
    return True


@contextmanager
def _max_age_ignored() -> Iterator[None]:
    """Let ``close_old_connections`` close unusable connections but not aged ones."""
    saved = [(c, c.close_at) for c in connections.all(initialized_only=True)]
    for connection, _ in saved:
        connection.close_at = None
    try:
        yield
    finally:
        for connection, close_at in saved:
            connection.close_at = close_at


def _close_old_connections(keep_open: bool) -> None:
    """Django's ``close_old_connections``; with ``keep_open`` only unusable connections
    are closed, not those past their age."""
    if keep_open:
        with _max_age_ignored():
            channels_db.close_old_connections()
        return
    channels_db.close_old_connections()


def _close_before_call() -> None:
    # A connection the previous call kept open for this one is reused unless it became
    # unusable meanwhile; past the window (other work ran in between, or the thread sat
    # idle) Django's rules apply again.
    kept_open, _state.kept_open = _state.kept_open, False
    _close_old_connections(keep_open=kept_open and _within_reuse_window())


def _close_after_call() -> None:
    _state.kept_open = _more_work_queued() and _within_reuse_window()
    _close_old_connections(keep_open=_state.kept_open)


if TYPE_CHECKING:
    _SyncToAsync = SyncToAsync[..., Any]
else:
    _SyncToAsync = SyncToAsync


class DatabaseSyncToAsync(_SyncToAsync):
    """``channels.db.database_sync_to_async`` that reuses the connection for queued calls.

    Use it as Channels' one: ``await database_sync_to_async(function)(*args)`` or as a
    decorator. Calls run on asgiref's thread for thread-sensitive code, as Channels' do.
    """

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        _close_before_call()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            _close_after_call()


database_sync_to_async = DatabaseSyncToAsync


class _CleanupTimer:
    """When this process next closes stale connections from the message loop."""

    due = 0.0


_cleanup_timer = _CleanupTimer()


async def close_old_connections_at_most_every(interval: float) -> None:
    """Close stale database connections if ``interval`` seconds passed since the last time.

    Channels closes old connections through a thread hop before every message; the sync
    actions' own hop already does it before and after their queries, so the message loop
    only needs to do it now and then, for async ORM use. One timer per process: the
    connections belong to the process's database thread, not to a socket.
    """
    now = time.monotonic()
    if now >= _cleanup_timer.due:
        _cleanup_timer.due = now + interval
        await sync_to_async(close_old_connections)()
