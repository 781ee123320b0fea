"""The wire protocol, named once: the reply envelope, message keys, the action → HTTP
method map and the WebSocket close codes we use."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypedDict

# Close codes (RFC 6455 and the 4000-4999 private range).
WS_1000_NORMAL_CLOSURE = 1000
WS_1008_POLICY_VIOLATION = 1008
WS_1011_INTERNAL_ERROR = 1011
#: The server cannot serve the connection now (its database is down); retry later.
WS_1013_TRY_AGAIN_LATER = 1013
#: The handshake carried credentials that failed authentication.
WS_4401_UNAUTHORIZED = 4401
#: The client did not read its messages and the server's queue for it overflowed.
WS_4429_TOO_MANY_PENDING = 4429

#: Message keys that cannot be action arguments: they name parameters of the dispatch path.
RESERVED_MESSAGE_KEYS = frozenset({"self", "scope", "consumer"})

#: The message key holding query parameters, the WebSocket counterpart of a URL's query
#: string (filters, pagination links and ``view_as_consumer`` read it).
QUERY_KEY = "query"

#: 1.3's mapping of actions to HTTP methods, for DRF code that reads ``request.method``
#: (``create`` is ``PUT``; there is no ``delete``).
DEFAULT_MAPPED_ACTIONS: Mapping[str, str] = MappingProxyType(
    {"create": "PUT", "update": "PATCH", "list": "GET", "retrieve": "GET"}
)


class Envelope(TypedDict):
    """One reply frame; every reply has exactly these keys."""

    errors: list[Any]
    data: Any
    action: Any
    response_status: int
    request_id: Any


def envelope(
    action: Any,
    data: Any = None,
    errors: list[Any] | None = None,
    status: int = 200,
    request_id: Any = None,
) -> Envelope:
    """Build a reply envelope; ``errors=None`` becomes ``[]`` (1.3 never sends ``null``)."""
    return {
        "errors": [] if errors is None else errors,
        "data": data,
        "action": action,
        "response_status": status,
        "request_id": request_id,
    }
