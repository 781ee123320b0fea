"""Helpers shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from djangochannelsrestframework.protocol import Envelope, envelope
from djangochannelsrestframework.testing import APICommunicator


def error(status: int, errors: list[Any], action: Any, request_id: Any = 1) -> Envelope:
    """The error reply to ``action``: ``errors`` with ``status`` and no data."""
    return envelope(action, errors=errors, status=status, request_id=request_id)


async def connect(
    application: Any,
    path: str = "/ws/",
    *,
    user: Any = None,
    headers: Iterable[tuple[bytes, bytes]] | None = None,
) -> APICommunicator:
    """An ``APICommunicator`` connected to ``application``; fails the test if refused.

    ``application`` is an ASGI app or a consumer class; ``user`` goes into the scope. The
    caller disconnects it.
    """
    communicator = APICommunicator(application, path, headers=headers, user=user)
    accepted, close_code = await communicator.connect()
    assert accepted, f"the consumer refused the connection (close code {close_code})"
    return communicator


async def ask(communicator: APICommunicator, **message: Any) -> dict[str, Any]:
    """The reply to ``message``, sent with ``request_id`` 1 unless it names one."""
    return await communicator.request({"request_id": 1, **message})
