"""Shapes the package names once: the ASGI scope and callables, request ids, action results."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeAlias

#: An ASGI connection scope (Channels adds ``user``, ``session``, ``url_route``...).
Scope: TypeAlias = dict[str, Any]
#: One ASGI or channel-layer message: a dict with a ``type`` key.
Message: TypeAlias = dict[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]

#: The client's ``request_id``, echoed exactly as sent: any JSON value (or ``None``).
RequestId: TypeAlias = Any
#: What an action returns: ``(data, status)`` becomes a reply; ``None`` sends nothing
#: (the action replied itself, or runs in the background).
ActionResult: TypeAlias = tuple[Any, int] | None
#: An action method as the consumer calls it: keyword arguments are the message's keys.
ActionMethod: TypeAlias = Callable[..., Coroutine[Any, Any, Any]]

__all__ = ["ActionMethod", "ActionResult", "Message", "Receive", "RequestId", "Scope", "Send"]
