"""Bridges from a Channels connection scope to Django's request world: every request the
package builds is built here, and sync and async code call each other through here."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin

from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, QueryDict
from rest_framework.request import Request

from djangochannelsrestframework.db import database_sync_to_async
from djangochannelsrestframework.types import Scope

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict


def ensure_async(method: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``method`` if it is a coroutine function, else a thread-hopping async wrapper."""
    if inspect.iscoroutinefunction(method):
        return method
    return database_sync_to_async(method)


def call_sync(method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call ``method`` from sync code, waiting for its result if it is a coroutine (the sync
    twin of ``ensure_async``; object permission checks run in the database thread).

    ``method`` is positional-only: ``kwargs`` are message keys, which may include "method".
    """
    result = method(*args, **kwargs)
    if inspect.isawaitable(result):

        async def wait() -> Any:
            return await result

        return async_to_sync(wait)()
    return result


def set_query_params(request: HttpRequest, params: QueryDict) -> None:
    """Make ``params`` the request's ``GET``.

    Django types ``GET`` as the immutable ``QueryDict`` a parsed request has; a bare
    ``HttpRequest()`` starts with a mutable one, and so may the requests built here.
    """
    request.GET = cast("_ImmutableQueryDict", params)


def request_from_scope(scope: Scope) -> HttpRequest:
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
    set_query_params(request, QueryDict(query_string, mutable=True))

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


class MessageRequest(HttpRequest):
    """The ``HttpRequest`` behind a message: links it builds are relative to the socket.

    DRF paginators build ``next``/``previous`` links with ``build_absolute_uri``. A
    WebSocket has no HTTP host to point at, so links are the socket path plus the query
    string (``/ws/?page=3&search=ada``): that query string is what to send as ``query`` to
    get the page.
    """

    def build_absolute_uri(self, location: str | None = None) -> str:
        path = self.get_full_path()
        return path if location is None else urljoin(path, location)


def request_for_message(scope: Scope, params: QueryDict) -> Request:
    """A DRF ``Request`` for the connection of ``scope`` whose query parameters are ``params``.

    The scope's user is the request's user (no authentication classes run again), and
    ``build_absolute_uri`` returns relative links (see ``MessageRequest``).
    """
    http_request = request_from_scope(scope)
    http_request.__class__ = MessageRequest
    http_request.method = "GET"
    set_query_params(http_request, params)
    http_request.META["QUERY_STRING"] = params.urlencode()
    request = Request(http_request, authenticators=())
    request.user = http_request.user
    request.auth = None
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
        return cast(
            "str | None", self.consumer.get_action_option(self.action, "throttle_scope", default)
        )

    # Read-only, so that ``isinstance(view, ConsumerClass)`` holds. Assigned rather than
    # decorated: ``object.__class__`` is writable, and a property without a setter may not
    # override it in the type checker's eyes.
    __class__ = property(lambda self: type(self.consumer))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.consumer, name)
