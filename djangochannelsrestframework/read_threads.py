"""A bounded pool of database threads for read actions (setting ``DB_READ_THREADS``).

Channels runs every ``database_sync_to_async`` call of a process on one thread, so one
slow query (or a locked SQLite file) makes every other connection of the process wait
for its turn, however fast its own query. With ``DB_READ_THREADS = N`` (N > 1), actions
marked ``@action(read_only=True)`` (``list`` and ``retrieve`` of the mixins) run on a pool
of N threads instead, each with its own database connection, so N slow reads can run
while others still get through; everything else (writes, their transactions, custom
actions) stays on the one database thread, exactly as before. ``1`` (the default) keeps
every action on that thread.

The cost is database connections: up to N more per process, each opened when its thread
first runs a query and closed after each call unless ``CONN_MAX_AGE`` keeps it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from djangochannelsrestframework.db import DatabaseSyncToAsync
from djangochannelsrestframework.settings import api_settings

__all__ = ["read_executor", "run_on"]

_lock = threading.Lock()
_pool: dict[str, Any] = {"size": 0, "executor": None}


def read_executor() -> ThreadPoolExecutor | None:
    """The process's pool for read actions, or ``None`` when ``DB_READ_THREADS`` <= 1.

    Created on first use; a changed setting replaces it (the old one finishes its work).
    """
    size = int(api_settings.DB_READ_THREADS or 1)
    if size <= 1:
        return None
    with _lock:
        if _pool["size"] != size:
            old = _pool["executor"]
            _pool["executor"] = ThreadPoolExecutor(
                max_workers=size, thread_name_prefix="dcrf-db-read"
            )
            _pool["size"] = size
            if old is not None:
                old.shutdown(wait=False)
        executor: ThreadPoolExecutor = _pool["executor"]
        return executor


async def run_on(executor: ThreadPoolExecutor, function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the sync ``function`` on a thread of ``executor`` (from ``read_executor()``);
    connections are closed around the call as ``database_sync_to_async`` does."""
    return await DatabaseSyncToAsync(function, thread_sensitive=False, executor=executor)(
        *args, **kwargs
    )
