"""Group-sending observer messages from any context: sync code, worker threads or the loop.

Bodies are made plain JSON data first (UUIDs and dates become strings, ``Decimal`` a JSON
number as DRF's encoder makes it, serializer objects their ``.data``), so that every message
crosses every channel layer the same way: the in-memory layer keeps Python objects, but
channels_redis can only carry msgpack types.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from rest_framework.serializers import BaseSerializer

from djangochannelsrestframework import encoders, layers
from djangochannelsrestframework.exceptions import ChannelLayerUnavailable

logger = logging.getLogger("djangochannelsrestframework.observer")

#: Keeps scheduled sends alive until they finish (the loop only holds weak references).
_pending_sends: set[asyncio.Task[Any]] = set()


class UnencodableBody(TypeError):
    """An observer's body holds something JSON cannot carry; the message is not sent."""


def jsonable(body: Any) -> Any:
    """Return ``body`` as plain JSON data (dicts, lists, strings, numbers, booleans, None).

    Raises ``UnencodableBody`` if it cannot be encoded.
    """
    if isinstance(body, BaseSerializer):
        body = body.data
    try:
        return encoders.loads(encoders.dumps(body))
    except (TypeError, ValueError) as exc:
        raise UnencodableBody(str(exc)) from exc


def log_unencodable(observer: Any, error: UnencodableBody) -> None:
    """Log a body that cannot be sent. The change that caused it stands: a notification
    must never make the user's save, delete or signal fail."""
    logger.error(
        "Observer %s produced a body that is not JSON (%s); no message sent for this event",
        getattr(observer.func, "__qualname__", observer),
        error,
        exc_info=error,
    )


async def _send_all(channel_layer_alias: str, messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send each message; what the layer cannot take now is counted and dropped (the outage
    is logged once by ``layers.LayerHealth``), never raised into the code that saved."""
    channel_layer = get_channel_layer(channel_layer_alias)
    if channel_layer is None:
        return
    send = getattr(channel_layer, "layer", channel_layer).group_send
    for group, message in messages:
        try:
            await layers.guarded(channel_layer_alias, send, group, message)
        except ChannelLayerUnavailable:
            layers.health(channel_layer_alias).dropped()


def send_group_messages(
    messages: Iterable[tuple[str, dict[str, Any]]], channel_layer_alias: str
) -> None:
    """Send ``(group, message)`` pairs, in order, with one event-loop round trip in all.

    Called from sync code (signal receivers, commit hooks) it blocks until the layer has
    taken the messages (at most twice ``CHANNEL_LAYER_TIMEOUT`` when it does not answer);
    called on a running event loop (a custom signal sent from async code) it schedules the
    sends instead of failing as ``async_to_sync`` would. It never raises for a layer that
    cannot be reached: those events are counted (``layers.health(alias)``) and dropped.
    """
    messages = list(messages)
    if not messages:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None:
        async_to_sync(_send_all)(channel_layer_alias, messages)
        return
    task = loop.create_task(_send_all(channel_layer_alias, messages))
    _pending_sends.add(task)
    task.add_done_callback(_sent)


def _sent(task: asyncio.Task[Any]) -> None:
    _pending_sends.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("Could not send observer messages", exc_info=task.exception())
