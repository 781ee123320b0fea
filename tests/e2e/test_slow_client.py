"""A client that stops reading: the server neither stalls nor grows without bound.

When a client stops reading, the kernel buffers fill, uvicorn's ``send`` waits (flow
control), and so does that connection's consumer: it stops taking messages from its
channel-layer queue. The queue holds at most ``capacity`` messages (100 by default);
``group_send`` drops what does not fit. So the oldest events are delivered, in order, once
the client reads again; events published while its queue was full are lost (the delivered
sequence has gaps); and the server holds a bounded amount per client.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests.e2e.servers import Server, run_server

pytestmark = pytest.mark.e2e

EVENT_SIZE = 64 * 1024
EVENTS = 1000
LAYER_CAPACITY = 100


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with run_server(app="tests.e2e.slow_client_app:application") as running:
        yield running


def small_receive_buffer_socket(server: Server) -> socket.socket:
    """A client socket with a tiny receive buffer, so a stalled reader pushes back at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((server.host, server.port))
    sock.setblocking(False)
    return sock


async def request(ws, message) -> dict:
    await ws.send(json.dumps(message))
    return json.loads(await asyncio.wait_for(ws.recv(), 30))


async def drain(ws) -> list[int]:
    """Read news events until none arrives for a second; return their sequence numbers."""
    seqs = []
    while True:
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
        except TimeoutError:
            return seqs
        seqs.append(message["data"]["seq"])


async def test_a_client_that_stops_reading_loses_the_newest_events_only(server: Server):
    """Events published while a subscriber does not read: it later receives the oldest
    ones (at least the layer's capacity) in order, misses those that arrived while its
    queue was full, holds bounded memory, and then receives new events again."""
    slow = await connect(
        server.ws_url(), sock=small_receive_buffer_socket(server), max_queue=1, max_size=None
    )
    fast = await connect(server.ws_url(), max_size=None)
    assert (await request(slow, {"action": "watch", "request_id": "w"}))["response_status"] == 201
    rss_before = rss_kib(server.process.pid)

    published = await request(fast, {"action": "publish", "count": EVENTS, "size": EVENT_SIZE})
    assert published["data"] == {"published": EVENTS}
    await asyncio.sleep(1)
    rss_after = rss_kib(server.process.pid)

    seqs = await drain(slow)
    # In order, the oldest complete, then gaps: what arrived while the queue was full.
    assert seqs == sorted(set(seqs))
    assert seqs[:LAYER_CAPACITY] == list(range(LAYER_CAPACITY))
    assert len(seqs) < EVENTS
    # Everything held for the stalled client fits in the layer's queue plus socket buffers;
    # keeping all 1000 events would take over 64 MiB.
    assert rss_after - rss_before < 32 * 1024, (rss_before, rss_after, len(seqs))

    await request(fast, {"action": "publish", "count": 3, "size": 10, "start": EVENTS})
    assert await drain(slow) == [EVENTS, EVENTS + 1, EVENTS + 2]
    await slow.close()
    await fast.close()


async def test_other_clients_are_served_while_one_is_stalled(server: Server):
    """A stalled subscriber blocks only its own connection: others get prompt replies."""
    slow = await connect(
        server.ws_url(), sock=small_receive_buffer_socket(server), max_queue=1, max_size=None
    )
    fast = await connect(server.ws_url(), max_size=None)
    await request(slow, {"action": "watch", "request_id": "w"})
    await request(fast, {"action": "publish", "count": 300, "size": EVENT_SIZE})
    for _ in range(20):
        reply = await asyncio.wait_for(
            request(fast, {"action": "publish", "count": 0, "size": 0}), 2
        )
        assert reply["response_status"] == 200
    await slow.close()
    await fast.close()
