"""``AsyncAPIConsumer``: turns JSON frames into action calls and their results into replies.

A frame ``{"action": "retrieve", "pk": 2, "request_id": 7}`` runs the action named
``retrieve`` with ``pk=2`` (plus ``action`` and ``request_id``) after the permission checks;
a returned ``(data, status)`` becomes one reply envelope. Every failure, whether bad client
input or a bug in an action, becomes one error envelope and the connection stays open.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import defaultdict
from collections.abc import Coroutine, Iterable
from typing import Any

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, close_old_connections
from django.http import Http404
from rest_framework.exceptions import APIException, MethodNotAllowed, PermissionDenied
from rest_framework.response import Response

from djangochannelsrestframework import encoders
from djangochannelsrestframework.db import DatabaseSyncToAsync
from djangochannelsrestframework.exceptions import (
    ActionMissingException,
    Conflict,
    InvalidMessage,
    MessageTooLarge,
    ServerError,
    TooManyDetachedTasks,
)
from djangochannelsrestframework.permissions import (
    BasePermission,
    WrappedDRFPermission,
    _ensure_base,
)
from djangochannelsrestframework.protocol import (
    RESERVED_MESSAGE_KEYS,
    WS_4429_TOO_MANY_PENDING,
    envelope,
)
from djangochannelsrestframework.scope_utils import (
    ConsumerAsView,
    ensure_async,
    request_from_scope,
)
from djangochannelsrestframework.settings import SettingDefault, api_settings
from djangochannelsrestframework.throttling import throttle_wait

logger = logging.getLogger("djangochannelsrestframework.consumers")


async def _within(awaitable: Coroutine[Any, Any, Any], seconds: float) -> Any:
    """Await ``awaitable``, raising ``asyncio.TimeoutError`` after ``seconds``.

    ``asyncio.timeout`` (3.11+) adds no task per call, unlike ``wait_for`` on 3.10/3.11;
    sends are on the hot path.
    """
    timeout = getattr(asyncio, "timeout", None)
    if timeout is None:
        return await asyncio.wait_for(awaitable, seconds)
    async with timeout(seconds):
        return await awaitable


#: How many lists of permission classes a connection keeps instances of.
_PERMISSION_CACHE_SIZE = 16

#: When this process next closes stale database connections from ``dispatch``.
_connection_cleanup = {"due": 0.0}

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
    "DjangoViewAsConsumer",  # noqa: F822
    "view_as_consumer",  # noqa: F822
]


def _find_actions(cls: type) -> dict[str, str]:
    """Map wire name → method name for every ``@action()`` method of ``cls`` and its bases.

    Attributes are read statically so that descriptors (settings-backed defaults,
    observers) are not evaluated while the class is being created.
    """
    actions: dict[str, str] = {}
    for method_name in dir(cls):
        attribute = inspect.getattr_static(cls, method_name, None)
        if isinstance(attribute, staticmethod | classmethod):
            attribute = attribute.__func__
        if callable(attribute) and getattr(attribute, "action", False) is True:
            options = getattr(attribute, "kwargs", None) or {}
            actions[options.get("name", method_name)] = method_name
    return actions


class APIConsumerMetaclass(type):
    """Builds ``available_actions`` (wire name → method name) for each consumer class."""

    # Declared for the type checker: ``__new__`` sets them on every class it creates.
    available_actions: dict[str, str]
    _action_argument_rules: dict[str, ArgumentRules]

    def __new__(mcs, name: str, bases: tuple[type, ...], body: dict[str, Any]) -> type:
        cls = super().__new__(mcs, name, bases, body)
        cls.available_actions = _find_actions(cls)
        cls._action_argument_rules = {}
        return cls


#: Keys the consumer itself passes to every action.
_DISPATCH_KEYS = frozenset({"action", "request_id"})


class ArgumentRules:
    """Which message keys an action's signature requires and accepts, read once per action.

    ``action`` and ``request_id`` are always passed by the consumer, so they are never
    reported as missing or unexpected: a signature without them is a bug in the action,
    not in the client's message.
    """

    def __init__(self, signature: inspect.Signature) -> None:
        parameters = signature.parameters.values()
        named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        self.required = [
            p.name
            for p in parameters
            if p.kind in named and p.default is p.empty and p.name not in _DISPATCH_KEYS
        ]
        takes_any_key = any(p.kind == p.VAR_KEYWORD for p in parameters)
        self.accepted: frozenset[str] | None = (
            None if takes_any_key else frozenset(p.name for p in parameters if p.kind in named)
        )

    def problems(self, keys: Iterable[str]) -> list[str]:
        """Why ``keys`` cannot be passed to the action (empty when they can)."""
        problems = [f'Missing required key "{name}".' for name in self.required if name not in keys]
        if self.accepted is not None:
            unexpected = sorted(set(keys) - self.accepted - _DISPATCH_KEYS)
            problems += [f'Unexpected key "{key}".' for key in unexpected]
        return problems


class AsyncAPIConsumer(AsyncJsonWebsocketConsumer, metaclass=APIConsumerMetaclass):
    """Base consumer for JSON actions, with permissions and one error path.

    Set ``permission_classes`` to protect it (default: the ``DEFAULT_PERMISSION_CLASSES``
    setting, read when used) and mark methods with ``@action()`` to expose them.
    """

    permission_classes: Any = SettingDefault("DEFAULT_PERMISSION_CLASSES")
    #: DRF throttle classes checked after the permissions of every action (default: the
    #: ``DEFAULT_THROTTLE_CLASSES`` setting); ``@action(throttle_classes=...)`` overrides.
    throttle_classes: Any = SettingDefault("DEFAULT_THROTTLE_CLASSES")
    #: The rate name ``ScopedRateThrottle`` uses; ``@action(throttle_scope=...)`` overrides.
    throttle_scope: str | None = None
    #: Channel-layer groups joined on connect (Channels' attribute); a set per instance.
    groups: Any = ()
    #: Message keys refused with a 400: they name parameters that the dispatch path or the
    #: hooks pass by name, so a client sending them would collide with those arguments.
    reserved_message_keys: frozenset[str] = RESERVED_MESSAGE_KEYS
    available_actions: dict[str, str]
    _action_argument_rules: dict[str, ArgumentRules]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_arguments = (args, kwargs)
        self._serving = False
        self._permissions_cache: dict[int, tuple[Any, list[Any]]] = {}
        self._closing_unread = False
        self._scope_request: tuple[Any, Any, Any] | None = None
        self.groups = set(self.groups or ())
        self.detached_tasks: defaultdict[str, list[asyncio.Task[Any]]] = defaultdict(list)
        self._observer_group_to_request_id: defaultdict[str, defaultdict[str, set[Any]]] = (
            defaultdict(lambda: defaultdict(set))
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve one connection; an instance already serving one hands a new one to a copy.

        1.3 let a consumer *instance* be mounted directly (tests do, and so does
        ``view_as_consumer``), which made concurrent connections share its state. A copy
        made with the same constructor arguments keeps every connection's state apart.
        """
        if self._serving:
            args, kwargs = self._init_arguments
            return await type(self)(*args, **kwargs)(scope, receive, send)
        self._serving = True
        await super().__call__(scope, receive, send)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Route a message to its handler, closing stale database connections at most once
        per ``CONNECTION_CLEANUP_INTERVAL`` seconds instead of before every message.

        Channels closes old connections through a thread hop before every message; the
        sync actions' own hop already does it before and after the action's queries, so
        here it only needs to happen now and then, for async ORM use.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        now = time.monotonic()
        if now >= _connection_cleanup["due"]:
            _connection_cleanup["due"] = now + api_settings.CONNECTION_CLEANUP_INTERVAL
            await sync_to_async(close_old_connections)()
        await handler(message)

    # Connection lifecycle ------------------------------------------------------------------

    async def websocket_connect(self, message: dict[str, Any]) -> None:
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

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """Cancel this connection's detached tasks, then leave every joined group."""
        await self.cancel_detached_tasks()
        await super().websocket_disconnect(message)

    async def add_group(self, name: str) -> None:
        """Join channel-layer group ``name`` (left automatically on disconnect)."""
        if name not in self.groups:
            await self.channel_layer.group_add(name, self.channel_name)
            self.groups.add(name)

    async def remove_group(self, name: str) -> None:
        """Leave channel-layer group ``name`` if this connection joined it."""
        if name in self.groups:
            await self.channel_layer.group_discard(name, self.channel_name)
            self.groups.discard(name)

    # Permissions ---------------------------------------------------------------------------

    def get_action_option(self, action: str, option: str, default: Any = None) -> Any:
        """Return an option given to ``@action(...)`` for ``action``, else ``default``."""
        method_name = self.available_actions.get(action) if isinstance(action, str) else None
        if method_name is None:
            return default
        options = getattr(getattr(type(self), method_name, None), "kwargs", None) or {}
        return options.get(option, default)

    def get_permissions(self, action: str, **kwargs: Any) -> list[Any]:
        """The permission instances that apply to ``action``.

        ``@action(permission_classes=[...])`` replaces the consumer's list for that action.
        DRF permission classes are wrapped so they can be used as they are. Instances are
        created once per connection and list of classes, not for every message.
        """
        permission_classes = self.get_action_option(
            action, "permission_classes", self.permission_classes
        )
        cached = self._permissions_cache.get(id(permission_classes))
        if cached is None or cached[0] is not permission_classes:
            if len(self._permissions_cache) >= _PERMISSION_CACHE_SIZE:
                # A ``permission_classes`` property may build a new list each time.
                self._permissions_cache.clear()
            cached = (permission_classes, [_ensure_base(p) for p in permission_classes])
            self._permissions_cache[id(permission_classes)] = cached
        return cached[1]

    def get_scope_request(self) -> Any:
        """A Django request describing this connection's handshake (built once, and again
        only if the scope's user changes, e.g. after ``login()``)."""
        user = self.scope.get("user")
        cached = self._scope_request
        if cached is None or cached[0] is not self.scope or cached[1] is not user:
            cached = (self.scope, user, request_from_scope(self.scope))
            self._scope_request = cached
        return cached[2]

    async def check_permissions(self, action: str, **kwargs: Any) -> None:
        """Raise ``PermissionDenied`` unless every permission allows ``action``."""
        for permission in self.get_permissions(action=action, **kwargs):
            allowed = await ensure_async(permission.has_permission)(
                scope=self.scope, consumer=self, action=action, **kwargs
            )
            if not allowed:
                raise PermissionDenied()

    # Throttling ----------------------------------------------------------------------------

    def get_throttles(self, action: str) -> list[Any]:
        """Instantiate the throttles for ``action``: ``@action(throttle_classes=[...])`` or
        the consumer's ``throttle_classes``."""
        throttle_classes = self.get_action_option(action, "throttle_classes", self.throttle_classes)
        return [throttle() for throttle in throttle_classes]

    async def check_throttles(self, action: str, **kwargs: Any) -> None:
        """Raise DRF's ``Throttled`` (429, with the wait) if a throttle refuses ``action``.

        Throttles keep their history in Django's cache, whose API is sync (and may be
        Redis or a database), so they run in a worker thread; without throttles this costs
        nothing.
        """
        throttles = self.get_throttles(action)
        if not throttles:
            return
        # The connection's request (built once): throttles read its user and address only.
        request = self.get_scope_request()
        view = ConsumerAsView(self, action, request, kwargs)
        await DatabaseSyncToAsync(throttle_wait)(throttles, request, view)

    # Receiving -----------------------------------------------------------------------------

    def get_max_message_size(self) -> int | None:
        """Largest frame (bytes) that is parsed; ``None`` for no limit."""
        return api_settings.MAX_MESSAGE_SIZE

    def _frame_too_large(self, text_data: str | None, bytes_data: bytes | None) -> bool:
        limit = self.get_max_message_size()
        if limit is None:
            return False
        if bytes_data is not None:
            return len(bytes_data) > limit
        assert text_data is not None
        # A character is at least one byte: only count bytes when it could matter.
        return len(text_data) > limit or (
            len(text_data) * 4 > limit and len(text_data.encode("utf-8")) > limit
        )

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Decode a frame and hand it to ``receive_json``; unreadable frames get a 400/413."""
        try:
            if self._frame_too_large(text_data, bytes_data):
                raise MessageTooLarge()
            if text_data is None:
                raise InvalidMessage("Binary frames are not supported; send JSON text.")
            try:
                content = await self.decode_json(text_data)
            except ValueError as exc:
                raise InvalidMessage(f"Invalid JSON: {exc}") from None
        except APIException as exc:
            await self.handle_exception(exc, action=None, request_id=None)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Find the action and request id in a decoded message and run the action."""
        if not isinstance(content, dict):
            await self.handle_exception(
                InvalidMessage('Expected a JSON object with an "action" key.'),
                action=None,
                request_id=None,
            )
            return
        request_id = content.pop("request_id", None)
        try:
            action, content = await self.get_action_name(content, **kwargs)
        except KeyError:
            await self.handle_exception(
                ActionMissingException(), action=None, request_id=request_id
            )
            return
        except Exception as exc:
            await self.handle_exception(exc, action=None, request_id=request_id)
            return
        if not isinstance(action, str):
            await self.handle_exception(
                InvalidMessage('"action" must be a string.'), action=None, request_id=request_id
            )
            return
        try:
            # Checked before the call too: a "self" key would collide with the method's own
            # parameter (in any override of ``handle_action``) before its body could refuse it.
            self.check_reserved_keys(content)
        except InvalidMessage as exc:
            await self.handle_exception(exc, action=action, request_id=request_id)
            return
        await self.handle_action(action, request_id=request_id, **content)

    async def get_action_name(self, content: dict[str, Any], **kwargs: Any) -> tuple[Any, dict]:
        """Remove and return the action name; override to read it from another key."""
        return content.pop("action"), content

    def get_action_signature(self, action: str) -> inspect.Signature:
        """The call signature of ``action``'s method (read once per consumer class, when
        ``check_action_arguments`` first builds its rules)."""
        return inspect.signature(getattr(self, self.available_actions[action]))

    def check_reserved_keys(self, arguments: dict[str, Any]) -> None:
        """Raise ``InvalidMessage`` for keys that would collide with dispatch parameters."""
        if self.reserved_message_keys.isdisjoint(arguments):
            return
        reserved = sorted(self.reserved_message_keys.intersection(arguments))
        raise InvalidMessage(f'Message key "{reserved[0]}" is reserved.')

    def check_action_arguments(self, action: str, arguments: dict[str, Any]) -> None:
        """Raise ``InvalidMessage`` if the message keys do not fit the action's signature."""
        rules = type(self)._action_argument_rules.get(action)
        if rules is None:
            rules = ArgumentRules(self.get_action_signature(action))
            type(self)._action_argument_rules[action] = rules
        problems = rules.problems(arguments)
        if problems:
            raise InvalidMessage(" ".join(problems))

    def has_action(self, action: str) -> bool:
        """Whether ``action`` names an action of this consumer."""
        return action in self.available_actions

    async def check_request(self, action: str, arguments: dict[str, Any]) -> None:
        """The checks every request passes before its action runs, in this order: reserved
        keys, permissions, throttles (so unknown actions count against the rate too), then
        a known action. Raises the exception that becomes the error reply."""
        self.check_reserved_keys(arguments)
        await self.check_permissions(action, **arguments)
        await self.check_throttles(action, **arguments)
        if not self.has_action(action):
            raise MethodNotAllowed(method=action)

    async def handle_action(self, action: str, request_id: Any, **kwargs: Any) -> None:
        """Check the request, run the action and reply with its ``(data, status)``."""
        try:
            await self.check_request(action, kwargs)
            self.check_action_arguments(action, kwargs)
            method = getattr(self, self.available_actions[action])
            result = await method(request_id=request_id, action=action, **kwargs)
            if isinstance(result, tuple):
                data, status = result
                await self.reply(action=action, request_id=request_id, data=data, status=status)
        except Exception as exc:
            await self.handle_exception(exc, action=action, request_id=request_id)

    # Sending ---------------------------------------------------------------------------------

    def get_send_timeout(self) -> float | None:
        """Seconds a frame may wait for the client to read (``SEND_TIMEOUT``); ``None`` for
        no limit. You may want to override this for clients on very slow links."""
        return api_settings.SEND_TIMEOUT

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Send a frame; a client that leaves it unread for ``get_send_timeout()`` seconds
        is disconnected with close code 4429.

        A client that stops reading makes the server's sends wait (flow control); while
        they wait, this connection takes nothing from its channel-layer queue, whose
        capacity then drops new events. Closing tells the client it missed events, so
        that it reconnects and reloads instead of silently showing stale data.
        """
        if self._closing_unread:
            return  # the connection is being closed: nothing more reaches the client
        timeout = self.get_send_timeout()
        sending = super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        if timeout is None:
            await sending
            return
        try:
            await _within(sending, timeout)
        except asyncio.TimeoutError:
            self._closing_unread = True
            logger.warning(
                "Client did not read for %s s; closing with code %s",
                timeout,
                WS_4429_TOO_MANY_PENDING,
            )
            # The close frame goes out after what the client has not read yet; the server
            # gives it its own close timeout, then drops the connection. Its disconnect
            # message follows, and with it the usual clean-up.
            await self.close(code=WS_4429_TOO_MANY_PENDING)

    async def send_json(self, content: Any, close: bool = False) -> None:
        """Encode ``content`` with ``encode_json`` and send it through ``send``.

        (Channels' own ``send_json`` skips subclasses' ``send``, and so the send timeout.)
        """
        await self.send(text_data=await self.encode_json(content), close=close)

    # Errors and replies --------------------------------------------------------------------

    async def handle_exception(self, exc: BaseException, action: Any, request_id: Any) -> None:
        """Turn any exception from an action into one error reply.

        DRF exceptions keep their status and detail; ``Http404`` and ``DoesNotExist`` are
        404 ``["Not found"]``; Django's ``PermissionDenied`` is 403 and its
        ``ValidationError`` 400; an ``IntegrityError`` is 409. Anything else is logged with
        its traceback and answered with a generic 500 that reveals nothing.
        """
        if isinstance(exc, APIException):
            api_exc = exc
        elif exc is Http404 or isinstance(exc, Http404 | ObjectDoesNotExist):
            await self.reply(action=action, errors=["Not found"], status=404, request_id=request_id)
            return
        elif isinstance(exc, DjangoPermissionDenied):
            api_exc = PermissionDenied()
        elif isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            api_exc = InvalidMessage(detail)
        elif isinstance(exc, IntegrityError):
            logger.warning("Integrity error for request %r, action %r: %s", request_id, action, exc)
            api_exc = Conflict()
        else:
            logger.error(
                "Error when handling request: %r from client for action: %r",
                request_id,
                action,
                exc_info=exc,
            )
            api_exc = ServerError()
        await self.reply(
            action=action,
            errors=self._format_errors(api_exc.detail),
            status=api_exc.status_code,
            request_id=request_id,
        )

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
        return encoders.loads(text_data)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return encoders.dumps(content)

    # Detached tasks ------------------------------------------------------------------------

    def get_max_subscriptions(self) -> int | None:
        """How many observer subscriptions this connection may hold (``MAX_SUBSCRIPTIONS``);
        one more is refused with a 429 reply. ``None`` for no limit."""
        return api_settings.MAX_SUBSCRIPTIONS

    def get_subscription_count(self) -> int:
        """How many observer subscriptions this connection holds: one per group and request
        id of every observer (a group subscribed without a request id counts once)."""
        return sum(
            max(len(request_ids), 1)
            for by_group in self._observer_group_to_request_id.values()
            for request_ids in by_group.values()
        )

    def get_max_detached_tasks(self) -> int | None:
        """How many detached tasks this connection may run at once; ``None`` for no limit."""
        return api_settings.MAX_DETACHED_TASKS

    def start_detached_task(
        self, function_name: str, coroutine: Coroutine[Any, Any, Any]
    ) -> asyncio.Task[Any]:
        """Run ``coroutine`` in the background of this connection, tracked by function name.

        Raises ``TooManyDetachedTasks`` (a 429 reply to the request that asked) when the
        connection already runs ``get_max_detached_tasks()`` of them: without a bound, one
        client could start work without end. Running tasks are not affected.
        """
        limit = self.get_max_detached_tasks()
        if limit is not None:
            running = sum(not t.done() for tasks in self.detached_tasks.values() for t in tasks)
            if running >= limit:
                coroutine.close()
                raise TooManyDetachedTasks()
        task = asyncio.ensure_future(coroutine)
        self.detached_tasks[function_name].append(task)

        def completed(finished: asyncio.Task[Any]) -> None:
            asyncio.ensure_future(self.handle_detached_task_completion(function_name, finished))

        task.add_done_callback(completed)
        return task

    async def handle_detached_task_completion(
        self, function_name: str, task: asyncio.Task[Any]
    ) -> None:
        """Collect a finished detached task: log its error, forget it."""
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("Error while waiting for detached task to finish")
        finally:
            tasks = self.detached_tasks.get(function_name, [])
            if task in tasks:
                tasks.remove(task)

    async def cancel_detached_tasks(self, function_name: str | None = None) -> None:
        """Cancel the detached tasks of one function (or all) and wait until they end."""
        names = [function_name] if function_name else list(self.detached_tasks)
        for name in names:
            for task in list(self.detached_tasks.get(name, ())):
                task.cancel()
                await self.handle_detached_task_completion(name, task)


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
