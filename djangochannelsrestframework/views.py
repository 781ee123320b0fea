"""``view_as_consumer``: serve an existing Django or DRF view over a WebSocket.

Each message becomes one request to the view: the action picks the HTTP method
(``mapped_actions``), ``query`` becomes ``request.GET``, ``parameters`` the view's URL
keyword arguments and ``data`` the JSON request body that DRF's ``request.data`` reads.
The view's response becomes the reply: its status, and its data (DRF) or text (Django).
"""

from __future__ import annotations

import inspect
import io
import warnings
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, cast

from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from rest_framework.response import Response

from djangochannelsrestframework import encoders
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.db import database_sync_to_async
from djangochannelsrestframework.exceptions import InvalidMessage
from djangochannelsrestframework.filters import query_params
from djangochannelsrestframework.protocol import DEFAULT_MAPPED_ACTIONS, QUERY_KEY
from djangochannelsrestframework.scope_utils import request_from_scope, set_query_params
from djangochannelsrestframework.types import ActionResult, RequestId

__all__ = ["DjangoViewAsConsumer", "view_as_consumer", "DEFAULT_MAPPED_ACTIONS"]


def _object_key(kwargs: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The message's ``key`` as a dict (``{}`` when absent); anything else is a 400."""
    value = kwargs.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidMessage(f'"{key}" must be an object.')
    return value


class DjangoViewAsConsumer(AsyncAPIConsumer):
    """Runs the Django view ``view`` for each action listed in ``actions``.

    Usually built with ``view_as_consumer()``; subclass it to change how the request is
    made (``get_view_args``, ``get_request``) or how the response becomes a reply.
    """

    view: Callable[..., Any] | None = None
    actions: Mapping[str, str] = MappingProxyType({})

    @property
    def dumpy_url_config(self) -> None:
        """Kept for 1.3 compatibility; always ``None`` (reading it warns)."""
        warnings.warn(
            "DjangoViewAsConsumer.dumpy_url_config is always None and will be removed.",
            PendingDeprecationWarning,
            stacklevel=2,
        )
        return None

    def has_action(self, action: str) -> bool:
        """Whether ``action`` is mapped to a view method (``actions``)."""
        return action in self.actions

    def check_action_arguments(self, action: str, arguments: dict[str, Any]) -> None:
        """Nothing to check: ``get_view_args`` and ``get_request`` read the keys they know."""

    async def run_action(
        self, action: str, request_id: RequestId, arguments: dict[str, Any]
    ) -> ActionResult:
        """Check the request, then call the view for ``action``."""
        await self.check_request(action, arguments)
        return cast("tuple[Any, int] | None", await self.call_view(action=action, **arguments))

    @database_sync_to_async
    def call_view(self, action: str, **kwargs: Any) -> tuple[Any, int]:
        """Call the view with a request built from the message; return ``(data, status)``."""
        args, view_kwargs = self.get_view_args(action=action, **kwargs)
        request = self.get_request(action=action, **kwargs)
        response = self.get_view()(request, *args, **view_kwargs)
        if inspect.isawaitable(response):
            pending = response

            async def wait() -> Any:
                return await pending

            response = async_to_sync(wait)()
        return self.response_data(response), response.status_code

    def get_view(self) -> Callable[..., Any]:
        """The view callable, whether ``view`` was set as a plain class attribute or not."""
        view = inspect.getattr_static(self, "view", None)
        if isinstance(view, staticmethod):
            view = view.__func__
        if view is None:
            raise ImproperlyConfigured(
                f"'{type(self).__name__}' needs a `view`: use view_as_consumer(MyView.as_view())."
            )
        return cast("Callable[..., Any]", view)

    def get_view_args(self, action: str, **kwargs: Any) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments for the view: ``parameters`` are its URL kwargs."""
        return [], _object_key(kwargs, "parameters")

    def get_request(self, action: str, **kwargs: Any) -> HttpRequest:
        """The request for one message: method from ``actions``, ``query`` as ``GET``,
        ``data`` as a JSON body.

        The request carries no CSRF token, so CSRF checks are turned off for it, as for a
        test client: the WebSocket handshake (origin validation) is the boundary instead.
        """
        request = request_from_scope(self.scope)
        request.method = self.actions[action]
        # Values as HTTP would carry them (text), with the consumers' own ``query`` rules:
        # objects, or lists holding them, are a 400 and never reach the view.
        _object_key(kwargs, QUERY_KEY)
        set_query_params(request, query_params(kwargs))
        if "data" in kwargs:
            body = encoders.dumps(kwargs["data"]).encode("utf-8")
            request._body = body
            request._stream = io.BytesIO(body)
            # ``cast``: private flags of Django's request that its type does not declare.
            cast(Any, request)._read_started = False
            request.META["CONTENT_TYPE"] = "application/json"
            request.META["CONTENT_LENGTH"] = str(len(body))
        cast(Any, request)._dont_enforce_csrf_checks = True
        return request

    def response_data(self, response: Any) -> Any:
        """The reply data for ``response``: DRF's ``data``, else the body as text.

        A body that is not UTF-8 is sent as a hex string (1.3 behaviour).
        """
        if isinstance(response, Response):
            data = response.data
            if isinstance(data, MultiValueDict):
                # Rendered as JSON would render it: one (the last) value per key.
                data = dict(data.items())
            return data
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        content = b"".join(response.streaming_content) if response.streaming else response.content
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            return content.hex()


def view_as_consumer(
    wrapped_view: Callable[..., Any], mapped_actions: Mapping[str, str] | None = None
) -> DjangoViewAsConsumer:
    """Serve ``wrapped_view`` (e.g. ``MyAPIView.as_view()``) as a WebSocket consumer.

    ``mapped_actions`` maps action names to HTTP methods and replaces the default
    ``{"create": "PUT", "update": "PATCH", "list": "GET", "retrieve": "GET"}``. The result
    goes straight into a URL router (no ``.as_asgi()``); each connection gets its own
    consumer.
    """
    # Each generated class owns its dict, as in 1.3, so changing one affects no other.
    actions = dict(DEFAULT_MAPPED_ACTIONS if mapped_actions is None else mapped_actions)
    name = getattr(wrapped_view, "__name__", "View")
    consumer_class = type(
        f"{name}Consumer",
        (DjangoViewAsConsumer,),
        {"view": staticmethod(wrapped_view), "actions": actions},
    )
    return cast("DjangoViewAsConsumer", consumer_class())
