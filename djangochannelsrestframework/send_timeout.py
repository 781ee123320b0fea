"""Flow control: a client that stops reading is disconnected instead of silently lagging.

``SendTimeoutMixin`` is part of every ``AsyncAPIConsumer``: every frame goes through its
``send``, which gives the client ``get_send_timeout()`` seconds to read it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, cast

from djangochannelsrestframework.protocol import WS_4429_TOO_MANY_PENDING
from djangochannelsrestframework.settings import api_settings

__all__ = ["SendTimeoutMixin"]

logger = logging.getLogger("djangochannelsrestframework.consumers")


async def _within(awaitable: Coroutine[Any, Any, None], seconds: float) -> None:
    """Await ``awaitable``, raising ``asyncio.TimeoutError`` after ``seconds``.

    ``asyncio.timeout`` (3.11+) adds no task per call, unlike ``wait_for`` on 3.10/3.11;
    sends are on the hot path.
    """
    timeout = getattr(asyncio, "timeout", None)
    if timeout is None:
        await asyncio.wait_for(awaitable, seconds)
        return
    async with timeout(seconds):
        await awaitable


if TYPE_CHECKING:
    # For the type checker the mixin is the Channels consumer it is mixed into.
    from channels.generic.websocket import AsyncJsonWebsocketConsumer as _ConsumerBase
else:
    _ConsumerBase = object


class SendTimeoutMixin(_ConsumerBase):
    """Closes (code 4429) a connection whose client leaves a frame unread too long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._closing_unread = False

    def get_send_timeout(self) -> float | None:
        """Seconds a frame may wait for the client to read (``SEND_TIMEOUT``); ``None`` for
        no limit. You may want to override this for clients on very slow links."""
        return cast("float | None", api_settings.SEND_TIMEOUT)

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Send a frame; a client that leaves it unread for ``get_send_timeout()`` seconds
        is disconnected with close code 4429.

        A client that stops reading makes the server's sends wait (flow control); while
        they wait, this connection takes nothing from its channel-layer queue, whose
        capacity then drops new events. Closing tells the client it missed events, so
        that it reconnects and reloads instead of silently showing stale data.
        """
        if self._closing_unread:
            return  # the connection is being closed: nothing more reaches the client
        timeout = self.get_send_timeout()
        sending = super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        if timeout is None:
            await sending
            return
        try:
            await _within(sending, timeout)
        except asyncio.TimeoutError:
            self._closing_unread = True
            logger.warning(
                "Client did not read for %s s; closing with code %s",
                timeout,
                WS_4429_TOO_MANY_PENDING,
            )
            # The close frame goes out after what the client has not read yet; the server
            # gives it its own close timeout, then drops the connection. Its disconnect
            # message follows, and with it the usual clean-up.
            await self.close(code=WS_4429_TOO_MANY_PENDING)

    async def send_json(self, content: Any, close: bool = False) -> None:
        """Encode ``content`` with ``encode_json`` and send it through ``send``.

        (Channels' own ``send_json`` skips subclasses' ``send``, and so the send timeout.)
        """
        await self.send(text_data=await self.encode_json(content), close=close)
