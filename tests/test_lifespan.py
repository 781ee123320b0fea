"""Lifespan: answers the lifespan protocol and says at start-up which layers are unreachable."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from django.test import override_settings

from djangochannelsrestframework.lifespan import Lifespan
from tests.test_startup import MEMORY, REDIS, closed_port, redis_layer


async def run_lifespan(app: Lifespan) -> list[dict[str, Any]]:
    """Drive ``app`` through start-up and shutdown as an ASGI server does; return its events."""
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[dict[str, Any]] = []
    for event in ("lifespan.startup", "lifespan.shutdown"):
        incoming.put_nowait({"type": event})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    await asyncio.wait_for(app(scope, incoming.get, send), timeout=30)
    return sent


async def test_lifespan_logs_an_unreachable_layer_once(caplog):
    """At start-up, one error names the unreachable layer; start-up still completes."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with (
        override_settings(CHANNEL_LAYERS={"default": redis_layer(url), "local": MEMORY}),
        caplog.at_level(logging.ERROR, logger="djangochannelsrestframework.lifespan"),
    ):
        sent = await run_lifespan(Lifespan())
    assert sent == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert f"Channel layer 'default' ({REDIS}) cannot be reached at {url}" in record.getMessage()


async def test_lifespan_is_quiet_when_the_layers_are_fine(caplog):
    """Nothing is logged when every layer can be reached."""
    with (
        override_settings(CHANNEL_LAYERS={"default": MEMORY}),
        caplog.at_level(logging.DEBUG, logger="djangochannelsrestframework"),
    ):
        await run_lifespan(Lifespan())
    assert caplog.records == []


async def test_lifespan_check_can_be_turned_off(caplog):
    """Lifespan(check_channel_layers=False) only answers the protocol."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with (
        override_settings(CHANNEL_LAYERS={"default": redis_layer(url)}),
        caplog.at_level(logging.ERROR, logger="djangochannelsrestframework"),
    ):
        sent = await run_lifespan(Lifespan(check_channel_layers=False))
    assert len(sent) == 2 and caplog.records == []


async def test_lifespan_refuses_other_scopes():
    """Mounted under the wrong key of ProtocolTypeRouter, it says which scope it got."""
    with pytest.raises(ValueError, match="'websocket'"):
        await Lifespan()({"type": "websocket"}, None, None)
