"""Helpers for the live-list tests: the client side of the protocol, applied strictly."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from djangochannelsrestframework.live.diff import apply_changes


class LiveView:
    """What a client shows for one ``subscribe_list``: the snapshot with changes applied."""

    def __init__(self, snapshot: Any) -> None:
        self.paginated = isinstance(snapshot, dict)
        self.reply = snapshot
        self.rows = list(snapshot["results"] if self.paginated else snapshot)
        self.count = snapshot["count"] if self.paginated else None
        self.messages: list[dict[str, Any]] = []

    def apply(self, data: dict[str, Any]) -> None:
        """Apply one change message (raises ``ValueError`` if it does not fit)."""
        self.messages.append(data)
        self.rows = apply_changes(self.rows, [data], lambda row: row["id"])
        if self.paginated:
            assert "count" in data, f"a paginated list's message has no count: {data}"
            self.count = data["count"]
        else:
            assert "count" not in data, f"an unpaginated list's message has a count: {data}"

    def as_list_reply(self) -> Any:
        """The state in the shape of ``list``'s reply, to compare with a fresh ``list``."""
        if not self.paginated:
            return self.rows
        return {**self.reply, "results": self.rows, "count": self.count}


class LiveClient:
    """Routes one connection's frames: live-list messages to their views, others kept."""

    def __init__(self, communicator: Any) -> None:
        self.communicator = communicator
        self.views: dict[Any, LiveView] = {}
        self.other: list[dict[str, Any]] = []

    async def subscribe(self, request_id: Any, **message: Any) -> dict[str, Any]:
        """Send ``subscribe_list`` and return its first reply (the snapshot or an error)."""
        await self.communicator.send_json_to(
            {"action": "subscribe_list", "request_id": request_id, **message}
        )
        reply = await self.communicator.receive_json_from(timeout=10)
        assert reply["action"] == "subscribe_list" and reply["request_id"] == request_id, reply
        if reply["response_status"] == 201:
            self.views[request_id] = LiveView(reply["data"])
        return reply

    async def pump(self, timeout: float) -> bool:
        """Apply the next frame if one arrives within ``timeout`` s; False if none did."""
        # ``receive_nothing`` polls; a timed-out ``receive_json_from`` would cancel the app.
        if await self.communicator.receive_nothing(timeout=timeout, interval=0.01):
            return False
        frame = await self.communicator.receive_json_from(timeout=10)
        if frame["action"] == "subscribe_list" and frame["response_status"] == 200:
            self.views[frame["request_id"]].apply(frame["data"])
        else:
            self.other.append(frame)
        return True


async def _drain(client: LiveClient, quiet: float) -> None:
    while await client.pump(quiet):
        pass


def _views(clients: list[LiveClient]) -> dict[Any, Any]:
    return {
        (i, request_id): view.as_list_reply()
        for i, client in enumerate(clients)
        for request_id, view in client.views.items()
    }


async def settle(clients: list[LiveClient], expected: Any, timeout: float = 20.0) -> None:
    """Apply frames until every view equals ``await expected()`` (a dict of (client index,
    request id) → ``list`` reply), then check that nothing more arrives.

    Fails with the difference if the views do not converge within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        wanted = await expected()
        actual = _views(clients)
        if actual == wanted:
            break
        if time.monotonic() > deadline:
            diffs = {k: (actual.get(k), v) for k, v in wanted.items() if actual.get(k) != v}
            raise AssertionError(f"live views did not converge (view, list): {diffs}")
        await asyncio.gather(*(_drain(client, 0.05) for client in clients))
    # Quiet now: a message arriving after convergence would be a doubled or spurious one.
    await asyncio.gather(*(_drain(client, 0.15) for client in clients))
    assert _views(clients) == await expected(), "a message arrived after the views converged"
