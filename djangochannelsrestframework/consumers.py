"""``AsyncAPIConsumer``: turns JSON frames into action calls and their results into replies.

A frame ``{"action": "retrieve", "pk": 2, "request_id": 7}`` runs the action named
``retrieve`` with ``pk=2`` (plus ``action`` and ``request_id``) after the permission checks;
a returned ``(data, status)`` becomes one reply envelope. Every failure, whether bad client
input or a bug in an action, becomes one error envelope and the connection stays open.

The request pipeline, in order (``docs/architecture.md`` names every step):
``receive`` → ``parse_frame`` → ``receive_json`` → ``parse_request`` → ``handle_action`` →
``finalize(run_action(...))`` → ``check_request`` → the action → ``reply`` or
``handle_exception``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, cast

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import IntegrityError
from rest_framework.exceptions import APIException, MethodNotAllowed, PermissionDenied

from djangochannelsrestframework import encoders, limits, membership
from djangochannelsrestframework.access import PermissionChecksMixin
from djangochannelsrestframework.actions import ActionTableMixin, APIConsumerMetaclass
from djangochannelsrestframework.db import (
    close_old_connections_at_most_every,
    database_sync_to_async,
)
from djangochannelsrestframework.exceptions import (
    ActionMissingException,
    InvalidMessage,
    MessageTooLarge,
    ServerError,
    as_api_exception,
)
from djangochannelsrestframework.layers import LayerOutageMixin
from djangochannelsrestframework.observer.subscriptions import SubscriptionsMixin
from djangochannelsrestframework.protocol import envelope
from djangochannelsrestframework.scope_utils import ensure_async, request_from_scope
from djangochannelsrestframework.send_timeout import SendTimeoutMixin
from djangochannelsrestframework.settings import api_settings
from djangochannelsrestframework.tasks import DetachedTasksMixin
from djangochannelsrestframework.throttling import ThrottlingMixin
from djangochannelsrestframework.types import ActionResult, Message, Receive, RequestId, Scope, Send

if TYPE_CHECKING:
    # Served at run time by the module ``__getattr__`` below, without an import cycle.
    from djangochannelsrestframework.generics import (
        GenericAsyncAPIConsumer as GenericAsyncAPIConsumer,
    )
    from djangochannelsrestframework.views import DjangoViewAsConsumer as DjangoViewAsConsumer
    from djangochannelsrestframework.views import view_as_consumer as view_as_consumer

logger = logging.getLogger("djangochannelsrestframework.consumers")

__all__ = [
    "APIConsumerMetaclass",
    "AsyncAPIConsumer",
    "AsyncJsonWebsocketConsumer",
    "database_sync_to_async",
    "PermissionDenied",
    "MethodNotAllowed",
    "APIException",
    "Response",
    "api_settings",
    "BasePermission",
    "WrappedDRFPermission",
    "request_from_scope",
    "ensure_async",
    "ActionMissingException",
    "logger",
    # Served lazily by the module ``__getattr__`` below (``import *`` asks it too).
    "DjangoViewAsConsumer",
    "view_as_consumer",
]


class AsyncAPIConsumer(
    ActionTableMixin,
    PermissionChecksMixin,
    ThrottlingMixin,
    DetachedTasksMixin,
    SubscriptionsMixin,
    SendTimeoutMixin,
    LayerOutageMixin,
    AsyncJsonWebsocketConsumer,
    metaclass=APIConsumerMetaclass,
):
    """Base consumer for JSON actions, with permissions and one error path.

    Set ``permission_classes`` to protect it (default: the ``DEFAULT_PERMISSION_CLASSES``
    setting, read when used) and mark methods with ``@action()`` to expose them. An outage
    of the channel layer does not end the connection (``layers.LayerOutageMixin``).
    """

    #: Channel-layer groups joined on connect (Channels' attribute); a set per instance.
    groups: Any = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_arguments = (args, kwargs)
        self._serving = False
        self.groups = set(self.groups or ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection; an instance already serving one hands a new one to a copy.

        1.3 let a consumer *instance* be mounted directly (tests do, and so does
        ``view_as_consumer``), which made concurrent connections share its state. A copy
        made with the same constructor arguments keeps every connection's state apart.
        """
        if self._serving:
            args, kwargs = self._init_arguments
            await type(self)(*args, **kwargs)(scope, receive, send)
            return
        self._serving = True
        await super().__call__(scope, receive, send)

    async def dispatch(self, message: Message) -> None:
        """Route a message to its handler, closing stale database connections at most once
        per ``CONNECTION_CLEANUP_INTERVAL`` seconds instead of before every message
        (``db.close_old_connections_at_most_every`` says why)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await close_old_connections_at_most_every(api_settings.CONNECTION_CLEANUP_INTERVAL)
        await handler(message)

    # Connection lifecycle ------------------------------------------------------------------

    async def websocket_connect(self, message: Message) -> None:
        """Ask every permission's ``can_connect``; refuse the handshake if one says no."""
        try:
            for permission in self.get_permissions(action="connect"):
                allowed = await ensure_async(permission.can_connect)(
                    scope=self.scope, consumer=self, message=message
                )
                if not allowed:
                    raise PermissionDenied()
        except PermissionDenied:
            await self.close()
            return
        except Exception:
            logger.exception("Error while checking connect permissions; handshake refused")
            await self.close()
            return
        await super().websocket_connect(message)

    async def websocket_disconnect(self, message: Message) -> None:
        """Cancel this connection's detached tasks, then leave every joined group."""
        await self.cancel_detached_tasks()
        await self.leave_groups()
        await super().websocket_disconnect(message)

    async def leave_groups(self) -> None:
        """Leave every joined group, bounded and retried per process (``membership.py``),
        so that a storm of disconnects neither exhausts the layer nor leaves memberships
        behind."""
        if self.groups and self.channel_layer is not None:
            await membership.discard_groups(self.channel_layer, self.groups, self.channel_name)
        self.groups.clear()

    async def add_group(self, name: str) -> None:
        """Join channel-layer group ``name`` (left automatically on disconnect); a 503
        (``ChannelLayerUnavailable``) while the channel layer is unavailable."""
        self.check_channel_layer()
        if name not in self.groups:
            await membership.group_add(self.channel_layer, name, self.channel_name)
            self.groups.add(name)

    async def remove_group(self, name: str) -> None:
        """Leave channel-layer group ``name`` if this connection joined it (if that fails
        even after retries, the group stays listed, to be left again on disconnect)."""
        if name in self.groups and await membership.group_discard(
            self.channel_layer, name, self.channel_name
        ):
            self.groups.discard(name)

    # The request pipeline: parse, check, run, finalize ----------------------------------

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Decode a frame and hand it to ``receive_json``; unreadable frames get a 400/413."""
        try:
            content = await self.parse_frame(text_data, bytes_data)
        except APIException as exc:
            await self.handle_exception(exc, action=None, request_id=None)
            return
        await self.receive_json(content, **kwargs)

    async def parse_frame(self, text_data: str | None, bytes_data: bytes | None) -> Any:
        """The decoded JSON of a frame; raises ``MessageTooLarge`` (413) for a frame over
        ``get_max_message_size()`` and ``InvalidMessage`` (400) for binary or bad JSON, or
        JSON nested deeper than ``MAX_JSON_DEPTH`` (``limits.check_nesting``)."""
        if limits.frame_exceeds(text_data, bytes_data, self.get_max_message_size()):
            raise MessageTooLarge()
        if text_data is None:
            raise InvalidMessage("Binary frames are not supported; send JSON text.")
        try:
            content = await self.decode_json(text_data)
        except (RecursionError, encoders.NestingTooDeep):
            raise limits.too_deep() from None
        except ValueError as exc:
            raise InvalidMessage(f"Invalid JSON: {exc}") from None
        limits.check_nesting(content, text_data)
        return content

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Find the action and its arguments in a decoded message and run the action."""
        request_id = content.pop("request_id", None) if isinstance(content, dict) else None
        try:
            limits.check_request_id(request_id)
        except InvalidMessage as exc:
            # Not echoed: the id over the bound is what the client must not make us keep.
            await self.handle_exception(exc, action=None, request_id=None)
            return
        action = None
        try:
            action, arguments = await self.parse_request(content, **kwargs)
            # Here rather than in ``check_request``: a "self" key would collide with the
            # method's own parameter (in any override of ``handle_action``) before its body
            # could refuse it.
            self.check_reserved_keys(arguments)
        except Exception as exc:
            await self.handle_exception(exc, action=action, request_id=request_id)
            return
        await self.handle_action(action, request_id=request_id, **arguments)

    async def parse_request(self, content: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        """The action name and its arguments, from a decoded message without ``request_id``.

        Raises ``InvalidMessage`` for a message that is not an object or whose action is
        not a string, and ``ActionMissingException`` for one without an action.
        """
        if not isinstance(content, dict):
            raise InvalidMessage('Expected a JSON object with an "action" key.')
        try:
            action, arguments = await self.get_action_name(content, **kwargs)
        except KeyError:
            raise ActionMissingException() from None
        if not isinstance(action, str):
            raise InvalidMessage('"action" must be a string.')
        return action, arguments

    async def get_action_name(
        self, content: dict[str, Any], **kwargs: Any
    ) -> tuple[Any, dict[str, Any]]:
        """Remove and return the action name; override to read it from another key."""
        return content.pop("action"), content

    async def handle_action(self, action: str, request_id: RequestId, **kwargs: Any) -> None:
        """Check the request, run the action and reply with its ``(data, status)``.

        The 1.3 override point for the whole of one request; ``run_action`` and
        ``finalize`` are its two halves.
        """
        await self.finalize(action, request_id, self.run_action(action, request_id, kwargs))

    async def run_action(
        self, action: str, request_id: RequestId, arguments: dict[str, Any]
    ) -> ActionResult:
        """Check the request (``check_request``), then call the action's method."""
        await self.check_request(action, arguments)
        method = getattr(self, self.available_actions[action])
        result: ActionResult = await method(request_id=request_id, action=action, **arguments)
        return result

    async def finalize(
        self, action: Any, request_id: RequestId, work: Awaitable[ActionResult]
    ) -> None:
        """Await ``work``: a ``(data, status)`` result becomes a reply, any exception (from
        the work or from sending its reply) one error reply (``handle_exception``), ``None``
        nothing.

        The one place that says what an action's result means; detached actions, views
        and streamed lists end through it too.
        """
        try:
            result = await work
            if isinstance(result, tuple):
                data, status = result
                # Inside the ``try``: data that cannot be encoded is a 500 reply too.
                await self.reply(action=action, request_id=request_id, data=data, status=status)
        except Exception as exc:
            await self.handle_exception(exc, action=action, request_id=request_id)

    async def check_request(self, action: str, arguments: dict[str, Any]) -> None:
        """The checks every request passes before its action runs (DRF's ``initial``), in
        this order: permissions, throttles (so unknown actions count against the rate
        too), a known action, then arguments that fit its signature. Raises the exception
        that becomes the error reply."""
        await self.check_permissions(action, **arguments)
        await self.check_throttles(action, **arguments)
        if not self.has_action(action):
            raise MethodNotAllowed(method=action)
        self.check_action_arguments(action, arguments)

    def get_max_message_size(self) -> int | None:
        """Largest frame (bytes) that is parsed; ``None`` for no limit."""
        return cast("int | None", api_settings.MAX_MESSAGE_SIZE)

    # Errors and replies --------------------------------------------------------------------

    async def handle_exception(
        self, exc: BaseException, action: Any, request_id: RequestId
    ) -> None:
        """Turn any exception from an action into one error reply.

        ``exceptions.as_api_exception`` says which status and detail each kind of failure
        gets; anything unexpected is logged with its traceback and answered with a
        generic 500 that reveals nothing.
        """
        api_exc = as_api_exception(exc)
        if api_exc is None:
            # Client-chosen values are quoted cut short (``limits.quote``).
            logger.error(
                "Error when handling request: %s from client for action: %s",
                limits.quote(request_id),
                limits.quote(action),
                exc_info=exc,
            )
            api_exc = ServerError()
        elif isinstance(exc, IntegrityError) and not isinstance(api_exc, InvalidMessage):
            logger.warning(
                "Integrity error for request %s, action %s: %s",
                limits.quote(request_id),
                limits.quote(action),
                # PostgreSQL quotes the offending (client-chosen) value in its message.
                limits.quote(str(exc), 200),
            )
        errors = self._format_errors(api_exc.detail)
        try:
            await self.reply(
                action=action, errors=errors, status=api_exc.status_code, request_id=request_id
            )
        except (TypeError, ValueError, RecursionError):
            # The echoed request id or action cannot be encoded: answer without them, so
            # the error path itself never fails.
            await self.reply(action=None, errors=errors, status=api_exc.status_code)

    def _format_errors(self, errors: Any) -> list[Any]:
        """Errors are always a list: a string or a dict of field errors is wrapped in one."""
        if isinstance(errors, list):
            return errors
        if isinstance(errors, str | dict):
            return [errors]
        if errors is None:
            return []
        return [str(errors)]

    async def reply(
        self,
        action: Any,
        data: Any = None,
        errors: list[Any] | None = None,
        status: int = 200,
        request_id: Any = None,
    ) -> None:
        """Send one reply envelope; users call this to push messages from handlers."""
        await self.send_json(
            envelope(action=action, data=data, errors=errors, status=status, request_id=request_id)
        )

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        """Parse one text frame (``encoders.loads``); override to accept another format."""
        return encoders.loads(text_data)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        """Encode one reply (``encoders.dumps``); override to send another format."""
        return encoders.dumps(content)


def __getattr__(name: str) -> Any:
    """Lazy re-exports the 1.3 docs use (``consumers.GenericAsyncAPIConsumer``) and the
    view adapter, without import cycles."""
    if name == "GenericAsyncAPIConsumer":
        from djangochannelsrestframework.generics import GenericAsyncAPIConsumer

        return GenericAsyncAPIConsumer
    if name in ("DjangoViewAsConsumer", "view_as_consumer"):
        from djangochannelsrestframework import views

        return getattr(views, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---- 1.3 import surface: names 1.3 users import from this module; not used here ----------
# ``database_sync_to_async`` above is the package's (``db.py``), not Channels' as in 1.3:
# the same call, reusing the database connection for queued calls (README, compatibility).
from rest_framework.response import Response  # noqa: E402

from djangochannelsrestframework.permissions import (  # noqa: E402
    BasePermission,
    WrappedDRFPermission,
)
