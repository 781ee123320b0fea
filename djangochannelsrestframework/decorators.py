"""``@action()`` marks consumer methods as actions clients can call; ``@detached`` runs work
in the background of a connection.

Sync actions run in one database-thread hop, so their bodies may use the ORM directly;
async actions run on the event loop. Both are awaited the same way by the consumer.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from djangochannelsrestframework import read_threads
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.db import database_sync_to_async
from djangochannelsrestframework.types import ActionMethod

__all__ = [
    "action",
    "detached",
    "AsyncAPIConsumer",
    "database_sync_to_async",
    "settings",
    "transaction",
]

F = TypeVar("F", bound=Callable[..., Any])

# ``ActionMethod`` (``types.py``) is what ``@action()`` makes of a method, sync or async: a
# coroutine function called with the message's keys whose result is ``(data, status)`` or
# ``None``. Parameters and result are left open so that subclasses may override an action
# with another signature, as ``StreamedPaginatedListMixin.list`` does.


def _atomic_requests() -> bool:
    """Whether the default database asks for every request to be atomic (read per call)."""
    return bool(connections[DEFAULT_DB_ALIAS].settings_dict.get("ATOMIC_REQUESTS", False))


def _sync_action(
    func: Callable[..., Any], atomic: bool | None, read_only: bool = False
) -> Callable[..., Any]:
    """Wrap a sync action so that it runs, whole, in one hop to the database thread (or,
    for ``read_only`` actions with ``DB_READ_THREADS`` > 1, to a read thread)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        if atomic or (atomic is None and _atomic_requests()):
            with transaction.atomic():
                return func(*args, **kwargs)
        return func(*args, **kwargs)

    run_in_database_thread = database_sync_to_async(run)

    @functools.wraps(func)
    async def async_action(*args: Any, **kwargs: Any) -> Any:
        executor = read_threads.read_executor() if read_only else None
        if executor is not None:
            return await read_threads.run_on(executor, run, *args, **kwargs)
        return await run_in_database_thread(*args, **kwargs)

    return async_action


def _detached_action(func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """Wrap an async action so that it runs as a task and replies when it finishes."""

    async def run(self: AsyncAPIConsumer, *args: Any, **kwargs: Any) -> None:
        work = func(self, *args, **kwargs)
        await self.finalize(kwargs.get("action"), kwargs.get("request_id"), work)

    @functools.wraps(func)
    async def detached_action(self: AsyncAPIConsumer, *args: Any, **kwargs: Any) -> None:
        self.start_detached_task(func.__name__, run(self, *args, **kwargs))

    return detached_action


def action(
    atomic: bool | None = None, detached: bool | None = None, **kwargs: Any
) -> Callable[[Callable[..., Any]], ActionMethod]:
    """Mark a consumer method as an action; ``name=`` sets the name clients send.

    ``atomic`` (sync actions only) wraps the body in ``transaction.atomic()``; when
    ``None``, the default database's ``ATOMIC_REQUESTS`` decides at call time.
    ``detached`` (async actions only) runs the action as a background task so that the
    connection keeps answering other requests meanwhile. ``read_only=True`` (sync actions
    that only read) lets the action run on the pool of ``DB_READ_THREADS`` database
    threads. Other keyword arguments (``permission_classes``, ``serializer_class``)
    override the consumer's for this action.
    """

    def decorator(func: Callable[..., Any]) -> ActionMethod:
        if inspect.iscoroutinefunction(func):
            if atomic:
                raise ValueError("Only synchronous actions can be atomic")
            wrapped: Any = _detached_action(func) if detached else func
        else:
            if detached:
                raise ValueError("Only asynchronous actions can be detached")
            wrapped = _sync_action(func, atomic, read_only=bool(kwargs.get("read_only")))
        wrapped.action = True
        wrapped.kwargs = kwargs
        return cast(ActionMethod, wrapped)

    return decorator


def detached(func: F) -> F:
    """Run an async consumer method as a background task of the connection.

    Calling the method schedules it and returns ``None`` at once; the task is cancelled
    when the client disconnects and its return value is discarded.
    """
    if not inspect.iscoroutinefunction(func):
        raise TypeError(f"@detached needs an async method; {func.__qualname__} is sync.")

    @functools.wraps(func)
    async def detached_method(self: AsyncAPIConsumer, *args: Any, **kwargs: Any) -> None:
        self.start_detached_task(func.__name__, func(self, *args, **kwargs))

    return cast(F, detached_method)


# ---- 1.3 import surface: names 1.3 users import from this module; not used here ----------
# (``AsyncAPIConsumer``, ``database_sync_to_async`` and ``transaction`` are used above.)
from django.conf import settings  # noqa: E402
