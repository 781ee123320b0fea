"""Helpers for testing consumers: connect, send a request, read its reply.

Built on Channels' ``WebsocketCommunicator``, so tests drive the consumer in-process with
no server::

    from djangochannelsrestframework.testing import connected

    @pytest.mark.django_db(transaction=True)
    async def test_retrieve():
        async with connected(UserConsumer) as client:
            reply = await client.request(action="retrieve", pk=1, request_id=1)
        assert reply["response_status"] == 200

Use ``transaction=True``: actions run in a worker thread, and observers only send after a
real commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, cast

try:
    from channels.testing import WebsocketCommunicator
except ModuleNotFoundError as exc:
    # channels.testing imports Daphne (for its live-server test case) even to test in-process.
    if exc.name != "daphne":
        raise
    raise ModuleNotFoundError(
        "djangochannelsrestframework.testing uses channels.testing, which needs Daphne: "
        'pip install daphne (or "djangochannelsrestframework[testing]").',
        name=exc.name,
    ) from exc

__all__ = ["APICommunicator", "connected"]

#: ``request()`` called without a message: send its keyword arguments.
_FROM_KEYWORDS: Any = object()


class APICommunicator(WebsocketCommunicator):
    """A ``WebsocketCommunicator`` that speaks the request/reply protocol.

    ``user`` puts a user in the scope, as ``AuthMiddlewareStack`` would.
    """

    def __init__(
        self,
        application: Any,
        path: str = "/ws/",
        headers: Iterable[tuple[bytes, bytes]] | None = None,
        subprotocols: Iterable[str] | None = None,
        user: Any = None,
    ) -> None:
        if isinstance(application, type) and hasattr(application, "as_asgi"):
            application = application.as_asgi()
        super().__init__(application, path, headers=headers, subprotocols=subprotocols)
        if user is not None:
            self.scope["user"] = user

    async def request(
        self, message: Any = _FROM_KEYWORDS, /, *, timeout: float = 1, **keys: Any
    ) -> dict[str, Any]:
        """Send ``message`` (or the keyword arguments as one) and return the next reply."""
        await self.send_json_to(keys if message is _FROM_KEYWORDS else message)
        return cast("dict[str, Any]", await self.receive_json_from(timeout=timeout))


@asynccontextmanager
async def connected(
    application: Any,
    path: str = "/ws/",
    *,
    user: Any = None,
    headers: Iterable[tuple[bytes, bytes]] | None = None,
) -> AsyncIterator[APICommunicator]:
    """Connect to ``application`` (an ASGI app or a consumer class) for the ``with`` block.

    Raises ``AssertionError`` if the consumer refuses the connection.
    """
    communicator = APICommunicator(application, path, headers=headers, user=user)
    accepted, close_code = await communicator.connect()
    if not accepted:
        raise AssertionError(f"the consumer refused the connection (close code {close_code})")
    try:
        yield communicator
    finally:
        await communicator.disconnect()
