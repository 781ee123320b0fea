"""A client that stops reading: the server neither stalls nor grows without bound.

With the ``SEND_TIMEOUT`` setting (default 30 s) such a client is disconnected with close
code 4429 once a frame has waited that long; with no timeout (``None``) the rules below
apply for as long as it stays connected.

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
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from tests.e2e.servers import Server, request, run_server

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


class StalledClient:
    """A WebSocket client on a plain socket that reads only when told to.

    Client libraries keep reading in the background; this one does not, so once it stops
    reading, only the kernel's buffers (a tiny receive buffer here) stand between the
    server and back-pressure.
    """

    def __init__(self, server: Server, path: str = "/ws/") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect((server.host, server.port))
        self.close_code: int | None = None
        self.protocol = ClientProtocol(parse_uri(server.ws_url(path)), max_size=None)
        self.protocol.send_request(self.protocol.connect())
        self.flush()
        while self.protocol.handshake_exc is None and self.protocol.state.name == "CONNECTING":
            self.protocol.receive_data(self.sock.recv(65536))
        self.protocol.events_received()

    def flush(self) -> None:
        self.sock.sendall(b"".join(self.protocol.data_to_send()))

    def send(self, message: dict) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self.flush()

    def receive(self, timeout: float) -> list[dict]:
        """Read until nothing arrives for ``timeout`` seconds; return the messages."""
        self.sock.settimeout(timeout)
        messages = []
        while True:
            try:
                data = self.sock.recv(1 << 20)
            except TimeoutError:
                return messages
            if not data:
                return messages
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    messages.append(json.loads(event.data))
                elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                    self.close_code = int.from_bytes(event.data[:2], "big")
            self.flush()  # answers pings

    def close(self) -> None:
        self.sock.close()


async def drain(client: StalledClient) -> list[int]:
    """Read news events until none arrives for a second; return their sequence numbers."""
    messages = await asyncio.to_thread(client.receive, 1.0)
    return [message["data"]["seq"] for message in messages]


async def watch(client: StalledClient) -> dict:
    client.send({"action": "watch", "request_id": "w"})
    [reply] = await asyncio.to_thread(client.receive, 0.5)
    return reply


async def test_a_client_that_stops_reading_loses_the_newest_events_only(server: Server):
    """Events published while a subscriber does not read: it later receives the oldest
    ones (at least the layer's capacity) in order, misses those that arrived while its
    queue was full, holds bounded memory, and then receives new events again."""
    slow = StalledClient(server)
    fast = await connect(server.ws_url(), max_size=None)
    assert (await watch(slow))["response_status"] == 201
    rss_before = rss_kib(server.process.pid)

    published = await request(fast, {"action": "publish", "count": EVENTS, "size": EVENT_SIZE}, 30)
    assert published["data"] == {"published": EVENTS}
    await asyncio.sleep(1)
    rss_after = rss_kib(server.process.pid)

    seqs = await drain(slow)
    # In order, the oldest complete; what arrived while the queue was full is missing
    # (all the newest ones for a client that reads nothing: about 145 of 1000 arrive).
    assert seqs == sorted(set(seqs))
    assert seqs[:LAYER_CAPACITY] == list(range(LAYER_CAPACITY))
    assert len(seqs) < EVENTS
    # Everything held for the stalled client fits in the layer's queue plus socket buffers;
    # keeping all 1000 events would take over 64 MiB.
    assert rss_after - rss_before < 32 * 1024, (rss_before, rss_after, len(seqs))

    await request(fast, {"action": "publish", "count": 3, "size": 10, "start": EVENTS}, 30)
    assert await drain(slow) == [EVENTS, EVENTS + 1, EVENTS + 2]
    slow.close()
    await fast.close()


async def test_other_clients_are_served_while_one_is_stalled(server: Server):
    """A stalled subscriber blocks only its own connection: others get prompt replies."""
    slow = StalledClient(server)
    fast = await connect(server.ws_url(), max_size=None)
    await watch(slow)
    await request(fast, {"action": "publish", "count": 300, "size": EVENT_SIZE}, 30)
    for _ in range(20):
        reply = await asyncio.wait_for(
            request(fast, {"action": "publish", "count": 0, "size": 0}, 30), 2
        )
        assert reply["response_status"] == 200
    slow.close()
    await fast.close()


async def test_a_client_that_leaves_frames_unread_is_closed_with_4429(server: Server):
    """With a send timeout, a subscriber that stops reading is disconnected with close
    code 4429 (it missed events and must reload), and the server goes on serving others."""
    slow = StalledClient(server, "/impatient/")
    fast = await connect(server.ws_url(), max_size=None)
    assert (await watch(slow))["response_status"] == 201

    # Batches the consumer can take from its queue, until the socket buffers are full and
    # its sends wait; then more than its 2-second send timeout.
    for batch in range(20):
        start = batch * LAYER_CAPACITY
        message = {"action": "publish", "count": LAYER_CAPACITY, "size": EVENT_SIZE}
        await request(fast, {**message, "start": start}, 30)
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)

    seqs = await drain(slow)
    assert seqs == sorted(set(seqs)) and len(seqs) < 20 * LAYER_CAPACITY
    assert slow.close_code == 4429, len(seqs)
    # The server is still serving other clients.
    assert (await request(fast, {"action": "watch", "request_id": 2}, 30))["response_status"] == 201
    slow.close()
    await fast.close()
