"""Bridges from a Channels connection scope to Django's request world."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, QueryDict

from djangochannelsrestframework.db import database_sync_to_async

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict


def ensure_async(method: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``method`` if it is a coroutine function, else a thread-hopping async wrapper."""
    if inspect.iscoroutinefunction(method):
        return method
    return database_sync_to_async(method)


def _set_query_params(request: HttpRequest, params: QueryDict) -> None:
    """Make ``params`` the request's ``GET``.

    Django types ``GET`` as the immutable ``QueryDict`` a parsed request has; a bare
    ``HttpRequest()`` starts with a mutable one, and so may the requests built here.
    """
    request.GET = cast("_ImmutableQueryDict", params)


def request_from_scope(scope: dict[str, Any]) -> HttpRequest:
    """Build a Django ``HttpRequest`` describing the WebSocket handshake of ``scope``.

    DRF permissions, authentication classes and serializers expect a request; this one has
    the handshake's path, query string (as ``GET``), headers (as ``HTTP_*`` keys, decoded
    as latin-1 the way ASGI specifies), cookies, session and user. Without a user in the
    scope the user is an ``AnonymousUser`` instance, so ``is_authenticated`` is ``False``.
    """
    request = HttpRequest()
    request.path = request.path_info = scope.get("path") or ""
    # ``None`` without a session middleware, which Django's type does not allow for.
    request.session = cast(Any, scope.get("session"))
    request.user = scope.get("user") or AnonymousUser()

    meta = request.META
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        # 1.3 stored headers under their raw names; keep those keys for code that reads them.
        meta[name] = value
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
        meta[key] = value
    meta["HTTP_CONTENT_TYPE"] = "application/json"
    meta["HTTP_ACCEPT"] = "application/json"

    query_string = scope.get("query_string", b"")
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    meta["QUERY_STRING"] = query_string
    _set_query_params(request, QueryDict(query_string, mutable=True))

    # Without a Host header Django builds absolute URLs from these (test communicators
    # send neither a Host header nor a server address).
    server = scope.get("server") or ("localhost", 80)
    meta["SERVER_NAME"], meta["SERVER_PORT"] = str(server[0]), str(server[1] or "")
    if scope.get("scheme") in ("wss", "https"):
        # A secure socket means a secure page: links built from this request use https.
        # A private hook of ``HttpRequest`` that Django's type does not declare.
        cast(Any, request)._get_scheme = lambda: "https"
    client = scope.get("client")
    if client:
        meta["REMOTE_ADDR"] = client[0]

    if "cookies" in scope:
        request.COOKIES = scope["cookies"]
    return request


class ConsumerAsView:
    """The consumer as DRF permissions and throttles expect a view to look, for one action.

    DRF code reads ``view.action``, ``view.kwargs``, ``view.request`` and ``view.args``,
    which a consumer serving many messages cannot hold itself (a detached action may run
    while the next message is checked). Every other attribute, and ``isinstance`` checks,
    go to the consumer.
    """

    def __init__(
        self, consumer: Any, action: str, request: HttpRequest, kwargs: dict[str, Any]
    ) -> None:
        self.consumer = consumer
        self.action = action
        self.request = request
        self.kwargs = kwargs
        self.args: tuple[Any, ...] = ()

    @property
    def throttle_scope(self) -> str | None:
        """The rate name ``ScopedRateThrottle`` uses: ``@action(throttle_scope=...)``, else
        the consumer's ``throttle_scope``."""
        default = getattr(self.consumer, "throttle_scope", None)
        return self.consumer.get_action_option(self.action, "throttle_scope", default)

    # Read-only, so that ``isinstance(view, ConsumerClass)`` holds. Assigned rather than
    # decorated: ``object.__class__`` is writable, and a property without a setter may not
    # override it in the type checker's eyes.
    __class__ = property(lambda self: type(self.consumer))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.consumer, name)
