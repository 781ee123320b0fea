"""A small run of ``benchmarks/load.py``: 50 clients x 20 requests against the demo."""

from __future__ import annotations

import pytest

from benchmarks.load import run_load
from tests.e2e.servers import Server

pytestmark = pytest.mark.e2e


async def test_every_request_gets_exactly_its_own_reply_under_load(demo_server: Server):
    """50 concurrent connections x 20 mixed requests: no reply lost, duplicated or mismatched."""
    figures = await run_load(
        demo_server.ws_url(), connections=50, requests=20, pid=demo_server.process.pid
    )
    assert figures["failed_connections"] == []
    assert (figures["lost"], figures["duplicated"], figures["mismatched"]) == (0, 0, 0), figures
    assert figures["replies"] == 50 * 20
