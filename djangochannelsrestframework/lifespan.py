"""An ASGI application for the lifespan protocol: start-up checks, said once per process.

Channels' ``ProtocolTypeRouter`` routes the ``lifespan`` scope like any other, so mounting
``Lifespan()`` under that key gives the project a start-up hook: each server process checks
its channel layers when it starts and logs one clear error for each that cannot be reached,
instead of a traceback per WebSocket connection later. It also answers the protocol, so
uvicorn no longer logs "ASGI 'lifespan' protocol appears unsupported". Servers without the
lifespan protocol (Daphne) never call it: run ``manage.py check --deploy`` there.
"""

from __future__ import annotations

import logging
from typing import Any

from djangochannelsrestframework.startup import PROBE_TIMEOUT, unreachable_channel_layers

logger = logging.getLogger(__name__)


class Lifespan:
    """Answers ``lifespan.startup`` and ``lifespan.shutdown``; checks the layers at start-up.

    A layer that cannot be reached is logged as an error, and the server starts anyway:
    the layer may come up later, and HTTP does not need it. ``check_channel_layers=False``
    skips the check; ``timeout`` is how long each layer may take to answer.
    """

    def __init__(self, *, check_channel_layers: bool = True, timeout: float = PROBE_TIMEOUT):
        self.check_channel_layers = check_channel_layers
        self.timeout = timeout

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            raise ValueError(f"Lifespan() handles the lifespan scope, not {scope['type']!r}.")
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        """Run the start-up checks. Override to add your own (call ``super()``)."""
        if not self.check_channel_layers:
            return
        for layer in await unreachable_channel_layers(self.timeout):
            logger.error("%s %s", layer.message, layer.hint)
