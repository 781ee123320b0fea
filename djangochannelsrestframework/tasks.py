"""Detached tasks: work a connection runs in the background, bounded and cancelled on close.

``DetachedTasksMixin`` is part of every ``AsyncAPIConsumer``; ``@action(detached=True)``,
``@detached`` and the streamed ``list`` start their work through ``start_detached_task``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Coroutine
from typing import Any, cast

from djangochannelsrestframework.exceptions import TooManyDetachedTasks
from djangochannelsrestframework.settings import api_settings

__all__ = ["DetachedTasksMixin"]

logger = logging.getLogger("djangochannelsrestframework.consumers")


class DetachedTasksMixin:
    """Tracks a connection's background tasks by function name (``detached_tasks``, 1.3)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.detached_tasks: defaultdict[str, list[asyncio.Task[Any]]] = defaultdict(list)
        # The tasks that collect finished ones, kept so that none is garbage-collected
        # before it has run (the event loop holds only weak references to tasks).
        self._collecting: set[asyncio.Task[None]] = set()

    def get_max_detached_tasks(self) -> int | None:
        """How many detached tasks this connection may run at once; ``None`` for no limit."""
        return cast("int | None", api_settings.MAX_DETACHED_TASKS)

    def start_detached_task(
        self, function_name: str, coroutine: Coroutine[Any, Any, Any]
    ) -> asyncio.Task[Any]:
        """Run ``coroutine`` in the background of this connection, tracked by function name.

        Raises ``TooManyDetachedTasks`` (a 429 reply to the request that asked) when the
        connection already runs ``get_max_detached_tasks()`` of them: without a bound, one
        client could start work without end. Running tasks are not affected.
        """
        limit = self.get_max_detached_tasks()
        if limit is not None:
            running = sum(not t.done() for tasks in self.detached_tasks.values() for t in tasks)
            if running >= limit:
                coroutine.close()
                raise TooManyDetachedTasks()
        task = asyncio.ensure_future(coroutine)
        self.detached_tasks[function_name].append(task)

        def completed(finished: asyncio.Task[Any]) -> None:
            collecting = asyncio.ensure_future(
                self.handle_detached_task_completion(function_name, finished)
            )
            self._collecting.add(collecting)
            collecting.add_done_callback(self._collecting.discard)

        task.add_done_callback(completed)
        return task

    async def handle_detached_task_completion(
        self, function_name: str, task: asyncio.Task[Any]
    ) -> None:
        """Collect a finished detached task: log its error, forget it."""
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("Error while waiting for detached task to finish")
        finally:
            tasks = self.detached_tasks.get(function_name, [])
            if task in tasks:
                tasks.remove(task)

    async def cancel_detached_tasks(self, function_name: str | None = None) -> None:
        """Cancel the detached tasks of one function (or all) and wait until they end."""
        names = [function_name] if function_name else list(self.detached_tasks)
        for name in names:
            for task in list(self.detached_tasks.get(name, ())):
                task.cancel()
                await self.handle_detached_task_completion(name, task)
