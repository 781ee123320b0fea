"""Joining and leaving channel-layer groups without exhausting the layer under storms.

When thousands of clients drop at once (a network blip, a deploy, a load balancer
restart), every connection leaves its groups at the same moment. With channels_redis each
``group_discard`` takes a connection from the process's Redis pool (redis-py 8 allows 100
by default): thousands of them at once fail with ``MaxConnectionsError: Too many
connections``, one traceback each, and every membership whose removal failed stays in
Redis until the layer's ``group_expiry`` (a day by default), so events keep being sent to
channels nobody reads. The same happens to ``group_add`` when the same clients reconnect
and resubscribe together.

So group operations of one process go through one gate: at most
``GROUP_MEMBERSHIP_CONCURRENCY`` at a time, and a failed one is retried with exponential
back-off and jitter, up to ``GROUP_MEMBERSHIP_ATTEMPTS`` attempts. Problems are not logged
one by one: a single summary line per ``GROUP_MEMBERSHIP_LOG_INTERVAL`` says how many
operations were retried and how many finally failed (with the last error).
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from djangochannelsrestframework.exceptions import ChannelLayerUnavailable
from djangochannelsrestframework.settings import api_settings

__all__ = ["discard_groups", "group_add", "group_discard", "membership_summary"]

logger = logging.getLogger("djangochannelsrestframework.membership")

#: Delay before the second attempt; it doubles for each further attempt, up to the cap.
BACKOFF_BASE = 0.05
BACKOFF_CAP = 2.0

_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def _gate() -> asyncio.Semaphore:
    """The semaphore bounding group operations on the running event loop.

    One per loop (a semaphore belongs to the loop it first waits on); rebuilt when the
    setting changes, so tests that override it see the new bound.
    """
    loop = asyncio.get_running_loop()
    size = max(int(api_settings.GROUP_MEMBERSHIP_CONCURRENCY), 1)
    entry = _gates.get(loop)
    if entry is None or entry[0] != size:
        entry = (size, asyncio.Semaphore(size))
        _gates[loop] = entry
    return entry[1]


class _Summary:
    """Counts retried and failed group operations; logs them in one line per interval."""

    def __init__(self) -> None:
        self.retried = 0
        self.failed = 0
        self.last_error: BaseException | None = None
        self._scheduled = False
        #: Totals since the process started, for monitoring and tests.
        self.total_retried = 0
        self.total_failed = 0

    def record(self, *, retried: bool, error: BaseException | None) -> None:
        if retried:
            self.retried += 1
            self.total_retried += 1
        if error is not None:
            self.failed += 1
            self.total_failed += 1
            self.last_error = error
        if not self._scheduled:
            self._scheduled = True
            loop = asyncio.get_running_loop()
            loop.call_later(api_settings.GROUP_MEMBERSHIP_LOG_INTERVAL, self.flush)

    def flush(self) -> None:
        """Log the counts gathered since the last line, if any, and start over."""
        self._scheduled = False
        retried, failed, error = self.retried, self.failed, self.last_error
        self.retried = self.failed = 0
        self.last_error = None
        if failed:
            logger.warning(
                "Channel-layer group operations: %d retried, %d failed after %d attempts "
                "(last error: %r); memberships not removed stay until the layer's group "
                "expiry.",
                retried,
                failed,
                api_settings.GROUP_MEMBERSHIP_ATTEMPTS,
                error,
            )
        elif retried:
            logger.info("Channel-layer group operations: %d retried, all succeeded.", retried)


membership_summary = _Summary()


async def _with_retries(operation: Callable[[], Awaitable[Any]]) -> None:
    """Run ``operation`` through the gate, retrying failures with back-off.

    Raises the last error once every attempt has failed (after recording it).
    """
    attempts = max(int(api_settings.GROUP_MEMBERSHIP_ATTEMPTS), 1)
    gate = _gate()
    for attempt in range(1, attempts + 1):
        try:
            async with gate:
                await operation()
        except (asyncio.CancelledError, ChannelLayerUnavailable):
            # ChannelLayerUnavailable: the layer is down (layers.py, which retried already
            # and logs the outage once); retrying here would only delay the 503.
            raise
        except Exception as exc:
            if attempt == attempts:
                membership_summary.record(retried=attempt > 1, error=exc)
                raise
            # Full jitter: retries of a storm spread out instead of colliding again.
            delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
            await asyncio.sleep(random.uniform(0, delay))
        else:
            if attempt > 1:
                membership_summary.record(retried=True, error=None)
            return


async def group_add(layer: Any, group: str, channel: str) -> None:
    """``layer.group_add(group, channel)``, bounded and retried; raises if it never works.

    The caller (a subscription) reports the failure to its client.
    """
    await _with_retries(lambda: layer.group_add(group, channel))


async def group_discard(layer: Any, group: str, channel: str) -> bool:
    """``layer.group_discard(group, channel)``, bounded and retried.

    Returns whether the membership was removed. Never raises (but for cancellation): a
    connection that is going away cannot do more about it, and the failure is counted in
    the summary line.
    """
    try:
        await _with_retries(lambda: layer.group_discard(group, channel))
    except Exception:
        return False
    return True


async def discard_groups(layer: Any, groups: Iterable[str], channel: str) -> int:
    """Leave every group in ``groups`` concurrently (within the gate); return how many of
    them could not be left."""
    results = await asyncio.gather(*(group_discard(layer, g, channel) for g in groups))
    return results.count(False)
