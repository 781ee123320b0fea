"""Channel-layer outages: CRUD keeps working, live updates degrade visibly and come back alone.

The channel layer (Redis, with channels_redis) carries observer events between processes.
When it goes away, only those events can stop; this module keeps everything else going:

* every consumer's channel layer is wrapped in ``ResilientChannelLayer``: a failed
  ``receive`` no longer ends the connection. The consumer tells its client (when it holds
  subscriptions), then tries again with a growing pause, re-joins its groups once the layer
  answers (a restarted Redis has forgotten them) and tells the client that live updates are
  back;
* group operations are bounded by ``CHANNEL_LAYER_TIMEOUT`` and retried once at once, since a
  pooled connection that died with the server fails on its first use after the server is
  back. What still fails raises ``ChannelLayerUnavailable``: a subscribe request gets a 503;
* observer events that cannot be sent are counted and dropped: a ``save()`` never fails
  because its notification could not be delivered (see ``observer/sending.py``);
* the process logs one warning when a layer becomes unavailable and one line when it is
  back (with the number of events dropped meanwhile), never one per message. While a layer
  is known to be down it is tried at most once per ``CHANNEL_LAYER_RETRY_INTERVAL``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from djangochannelsrestframework.exceptions import ChannelLayerUnavailable
from djangochannelsrestframework.settings import api_settings

__all__ = [
    "LIVE_UPDATES_ACTION",
    "LayerHealth",
    "LayerOutageMixin",
    "ResilientChannelLayer",
    "guarded",
    "health",
    "is_layer_failure",
]

logger = logging.getLogger("djangochannelsrestframework.layers")

#: The ``action`` of the notices a subscribed client gets when live updates stop (status
#: 503, ``data: {"state": "interrupted"}``) and when they are back (200, ``"resumed"``).
LIVE_UPDATES_ACTION = "live_updates"
#: The longest pause between two attempts of one connection to reach a layer that is down.
MAX_RETRY_PAUSE = 10.0


@functools.cache
def _failure_types() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the layer cannot be reached", not "the call was wrong"."""
    types: list[type[BaseException]] = [OSError, asyncio.TimeoutError, EOFError]
    try:
        from redis import exceptions as redis_exceptions
    except ImportError:
        pass
    else:
        types += [redis_exceptions.ConnectionError, redis_exceptions.TimeoutError]
    return tuple(types)


def is_layer_failure(exc: BaseException) -> bool:
    """Whether ``exc``, raised by a channel-layer call, means the layer is unreachable."""
    return isinstance(exc, _failure_types())


class LayerHealth:
    """Whether one channel layer (by alias) answers in this process, and since when not.

    Logs the change of state once each way; counts the events dropped while it was down.
    """

    def __init__(self, alias: str) -> None:
        self.alias = alias
        #: ``time.monotonic()`` of the failure that began the current outage, else ``None``.
        self.down_since: float | None = None
        self.last_attempt = 0.0
        #: Events not sent during the current outage, and in this process's lifetime.
        self.dropped_now = 0
        self.dropped_total = 0
        #: How many outages began in this process.
        self.outages = 0

    @property
    def available(self) -> bool:
        return self.down_since is None

    def should_try(self) -> bool:
        """Whether to call the layer now: always while it is up, else once per interval."""
        if self.down_since is None:
            return True
        interval = float(api_settings.CHANNEL_LAYER_RETRY_INTERVAL)
        return time.monotonic() - self.last_attempt >= interval

    def failed(self, exc: BaseException) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.outages += 1
            logger.warning(
                "Channel layer %r is unavailable (%s: %s): live updates stop, subscribe "
                "requests get 503 and observer events are dropped until it is back",
                self.alias,
                type(exc).__name__,
                exc,
            )

    def recovered(self) -> None:
        if self.down_since is not None:
            logger.warning(
                "Channel layer %r is back after %.1f s; %d observer event(s) could not be sent",
                self.alias,
                time.monotonic() - self.down_since,
                self.dropped_now,
            )
            self.down_since = None
            self.dropped_now = 0

    def dropped(self, count: int = 1) -> None:
        self.dropped_now += count
        self.dropped_total += count


_health: dict[str, LayerHealth] = {}


async def _within(awaitable: Awaitable[Any], seconds: float) -> Any:
    """``awaitable`` bounded by ``seconds``; ``asyncio.timeout`` (3.11+) adds no task per
    call, unlike ``wait_for``: observer events go through here."""
    timeout = getattr(asyncio, "timeout", None)
    if timeout is None:
        return await asyncio.wait_for(awaitable, seconds)
    async with timeout(seconds):
        return await awaitable


def health(alias: str = "default") -> LayerHealth:
    """The ``LayerHealth`` of channel layer ``alias`` in this process."""
    state = _health.get(alias)
    if state is None:
        state = _health[alias] = LayerHealth(alias)
    return state


async def guarded(alias: str, operation: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Await ``operation(*args)`` on layer ``alias``, bounded in time and retried once.

    Raises ``ChannelLayerUnavailable`` when the layer cannot be reached, at once (without
    calling it) while it is known to be down and was tried less than
    ``CHANNEL_LAYER_RETRY_INTERVAL`` seconds ago.
    """
    state = health(alias)
    if not state.should_try():
        raise ChannelLayerUnavailable()
    state.last_attempt = time.monotonic()
    timeout = api_settings.CHANNEL_LAYER_TIMEOUT
    error: BaseException | None = None
    for _attempt in range(2):
        try:
            if timeout is None:
                result = await operation(*args)
            else:
                result = await _within(operation(*args), timeout)
        except Exception as exc:
            if not is_layer_failure(exc):
                raise
            error = exc
            continue
        state.recovered()
        return result
    assert error is not None
    state.failed(error)
    raise ChannelLayerUnavailable() from error


class ResilientChannelLayer:
    """A consumer's channel layer that survives the layer's outages (see module doc).

    Everything not overridden here is the wrapped layer's own (``layer`` is the original).
    """

    def __init__(self, layer: Any, alias: str, consumer: Any = None) -> None:
        self.layer = layer
        self.alias = alias
        self.consumer = consumer

    def __getattr__(self, name: str) -> Any:
        if name == "layer":  # not set yet (copying): no recursion through __getattr__
            raise AttributeError(name)
        return getattr(self.layer, name)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await guarded(self.alias, self.layer.send, channel, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await guarded(self.alias, self.layer.group_send, group, message)

    async def group_add(self, group: str, channel: str) -> None:
        await guarded(self.alias, self.layer.group_add, group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        """Leave ``group``; during an outage there is nothing to leave (a restarted server
        has forgotten its groups, and memberships expire), so this never fails."""
        with contextlib.suppress(ChannelLayerUnavailable):
            await guarded(self.alias, self.layer.group_discard, group, channel)

    async def receive(self, channel: str) -> Any:
        """The next message for ``channel``, waiting out outages of the layer.

        A failure is retried once at once (a pooled connection that died with the server
        fails on its first use after the server is back); a second one is an outage.
        """
        retried = False
        while True:
            try:
                return await self.layer.receive(channel)
            except Exception as exc:
                if not is_layer_failure(exc):
                    raise
                if not retried:
                    retried = True
                    continue
                health(self.alias).failed(exc)
                await self._wait_for_layer(channel)
                retried = False

    async def _wait_for_layer(self, channel: str) -> None:
        """Tell the consumer, wait until the layer answers again, rejoin, tell it again."""
        consumer = self.consumer
        if consumer is not None:
            await consumer.layer_interrupted()
        pause = api_settings.CHANNEL_LAYER_RETRY_INTERVAL or 1.0
        while True:
            # Jitter: the connections of a process must not all try at the same instant.
            await asyncio.sleep(pause * random.uniform(0.5, 1.0))
            pause = min(pause * 2, MAX_RETRY_PAUSE)
            try:
                await self._rejoin(channel)
            except ChannelLayerUnavailable:
                continue
            break
        if consumer is not None:
            await consumer.layer_resumed()

    async def _rejoin(self, channel: str) -> None:
        """Join the consumer's groups again (the probe that the layer is back)."""
        groups = list(getattr(self.consumer, "groups", None) or ())
        if not groups:
            # Nothing to rejoin: leaving a group nobody is in shows the layer answers.
            await guarded(self.alias, self.layer.group_discard, "dcrf.probe", channel)
        for group in groups:
            await guarded(self.alias, self.layer.group_add, group, channel)


class LayerOutageMixin:
    """The consumer side: its ``channel_layer`` is resilient; hooks for outage notices."""

    channel_layer_alias: str
    groups: Any
    #: Whether this connection lost its channel layer and has not rejoined its groups yet.
    layer_interrupted_since: float | None = None

    @property
    def channel_layer(self) -> Any:
        return self.__dict__.get("_channel_layer")

    @channel_layer.setter
    def channel_layer(self, layer: Any) -> None:
        if layer is not None and not isinstance(layer, ResilientChannelLayer):
            alias = getattr(self, "channel_layer_alias", "default")
            layer = ResilientChannelLayer(layer, alias, consumer=self)
        self.__dict__["_channel_layer"] = layer

    def check_channel_layer(self) -> None:
        """Raise ``ChannelLayerUnavailable`` (503) while this connection's layer is down:
        a subscription made now would receive nothing."""
        if self.layer_interrupted_since is not None:
            raise ChannelLayerUnavailable()

    async def layer_interrupted(self) -> None:
        """The channel layer failed: tell a subscribed client that live updates stopped.

        You may want to override this to close the socket with a code of your own instead
        (call ``super()``, which also makes subscribe requests a 503 until it is back).
        """
        self.layer_interrupted_since = time.monotonic()
        if self.groups:
            await self._send_live_updates_notice(
                503,
                ["Live updates are interrupted; they resume by themselves. Reload after."],
                "interrupted",
            )

    async def layer_resumed(self) -> None:
        """The layer answers again and the groups are rejoined: events flow again. Events
        sent meanwhile were lost, so the client should reload what it shows."""
        self.layer_interrupted_since = None
        if self.groups:
            await self._send_live_updates_notice(200, [], "resumed")

    async def _send_live_updates_notice(self, status: int, errors: list[str], state: str) -> None:
        reply: Any = getattr(self, "reply", None)
        if reply is not None:
            await reply(
                action=LIVE_UPDATES_ACTION, data={"state": state}, errors=errors, status=status
            )
