"""Find the consumers an ASGI application serves, as DRF's schema generator walks URL patterns.

``find_routes(application)`` follows ``ProtocolTypeRouter`` to its ``"websocket"``
application, through middleware (anything with an ``inner`` or ``application``
attribute: Channels' auth and origin checks, ``TokenAuthMiddleware``) and nested
``URLRouter``s, down to each consumer, and reports the path it is served at and the
middleware in front of it (which tells what authentication the route expects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from djangochannelsrestframework.consumers import AsyncAPIConsumer

__all__ = ["Route", "find_routes", "address_of", "load_application"]


@dataclass
class Route:
    """One consumer and where it is served."""

    #: The AsyncAPI channel address: ``/ws/rooms/{room}/``.
    address: str
    consumer_class: type[AsyncAPIConsumer]
    #: Arguments given to ``as_asgi()`` (or the mounted instance's constructor).
    initkwargs: dict[str, Any] = field(default_factory=dict)
    #: Path parameters (``room``) in the order they appear.
    parameters: list[str] = field(default_factory=list)
    #: Middleware instances between the server and the consumer, outermost first.
    middleware: list[Any] = field(default_factory=list)


_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def _regex_to_address(regex: str) -> str:
    """``^rooms/(?P<room>[^/]+)/$`` → ``rooms/{room}/``; groups may nest parentheses."""
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    out: list[str] = []
    index = 0
    while index < len(regex):
        match = _NAMED_GROUP.match(regex, index)
        if match is None:
            char = regex[index]
            if char == "\\" and index + 1 < len(regex):
                out.append(regex[index + 1])
                index += 2
                continue
            out.append(char)
            index += 1
            continue
        depth, index = 1, match.end()
        while index < len(regex) and depth:
            if regex[index] == "\\":
                index += 2
                continue
            depth += {"(": 1, ")": -1}.get(regex[index], 0)
            index += 1
        out.append("{" + match.group(1) + "}")
    return "".join(out)


def address_of(pattern: Any) -> str:
    """The address part contributed by one ``path()``/``re_path()`` pattern."""
    regex = getattr(pattern, "_regex", None)
    if isinstance(regex, str):
        return _regex_to_address(regex)
    return _CONVERTER.sub(r"{\1}", str(getattr(pattern, "_route", pattern)))


def _consumer_of(app: Any) -> tuple[type[AsyncAPIConsumer], dict[str, Any]] | None:
    consumer_class = getattr(app, "consumer_class", None)
    if isinstance(consumer_class, type) and issubclass(consumer_class, AsyncAPIConsumer):
        return consumer_class, dict(getattr(app, "consumer_initkwargs", None) or {})
    if isinstance(app, AsyncAPIConsumer):
        args, kwargs = getattr(app, "_init_arguments", ((), {}))
        return type(app), dict(kwargs)
    return None


def _walk(app: Any, prefix: str, middleware: list[Any], routes: list[Route], depth: int) -> None:
    if depth > 50 or app is None:
        return
    found = _consumer_of(app)
    if found is not None:
        address = "/" + prefix.lstrip("/")
        routes.append(
            Route(
                address=address,
                consumer_class=found[0],
                initkwargs=found[1],
                parameters=re.findall(r"\{(\w+)\}", address),
                middleware=list(middleware),
            )
        )
        return
    mapping = getattr(app, "application_mapping", None)
    if isinstance(mapping, dict):  # ProtocolTypeRouter
        _walk(mapping.get("websocket"), prefix, middleware, routes, depth + 1)
        return
    url_routes = getattr(app, "routes", None)
    if isinstance(url_routes, list | tuple):  # URLRouter
        for route in url_routes:
            pattern = getattr(route, "pattern", None)
            callback = getattr(route, "callback", None)
            if pattern is None or callback is None:
                continue
            _walk(callback, prefix + address_of(pattern), middleware, routes, depth + 1)
        return
    for attribute in ("inner", "application", "app"):
        inner = getattr(app, attribute, None)
        if inner is not None and inner is not app:
            _walk(inner, prefix, [*middleware, app], routes, depth + 1)
            return


def find_routes(application: Any) -> list[Route]:
    """Every consumer ``application`` serves over WebSockets, in routing order.

    ``application`` may also be a single consumer class, served at ``/``.
    """
    if isinstance(application, type) and issubclass(application, AsyncAPIConsumer):
        return [Route(address="/", consumer_class=application)]
    routes: list[Route] = []
    _walk(application, "", [], routes, 0)
    return routes


def load_application(dotted_path: str | None = None) -> Any:
    """The ASGI application at ``dotted_path`` (default: the ``ASGI_APPLICATION`` setting)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string

    path = dotted_path or getattr(settings, "ASGI_APPLICATION", None)
    if not path:
        raise ImproperlyConfigured(
            "Set ASGI_APPLICATION (or pass the application's dotted path) so that the "
            "schema generator can find the routed consumers."
        )
    return import_string(path)
