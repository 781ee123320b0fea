"""Permission policies for consumers: who may connect and who may run which action.

A permission answers three questions, each as a method that may be sync or async:
``can_connect`` during the handshake, ``has_permission`` before every action, and
``has_object_permission`` when an action reads one instance. Classes combine with ``&``,
``|`` and ``~`` to any depth, and DRF permission classes can be used directly: they are
wrapped so that they see a DRF-style request built from the connection scope.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rest_framework import permissions as drf_permissions
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission as DRFBasePermission

from djangochannelsrestframework.db import database_sync_to_async
from djangochannelsrestframework.protocol import DEFAULT_MAPPED_ACTIONS
from djangochannelsrestframework.scope_utils import (
    ConsumerAsView,
    call_sync,
    ensure_async,
    request_from_scope,
)
from djangochannelsrestframework.settings import api_settings
from djangochannelsrestframework.types import Scope

if TYPE_CHECKING:
    from djangochannelsrestframework.consumers import AsyncAPIConsumer


async def _call(method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call a permission method that may be sync (run in a worker thread) or async.

    ``method`` is positional-only: ``kwargs`` are message keys, which may include "method".
    """
    return await ensure_async(method)(*args, **kwargs)


class OperationHolderMixin:
    """Gives permission classes (and their combinations) the ``&``, ``|`` and ``~`` operators."""

    def __and__(self, other: Any) -> OperandHolder:
        return OperandHolder(AND, self, other)

    def __or__(self, other: Any) -> OperandHolder:
        return OperandHolder(OR, self, other)

    def __rand__(self, other: Any) -> OperandHolder:
        return OperandHolder(AND, other, self)

    def __ror__(self, other: Any) -> OperandHolder:
        return OperandHolder(OR, other, self)

    def __invert__(self) -> SingleOperandHolder:
        return SingleOperandHolder(NOT, self)


class SingleOperandHolder(OperationHolderMixin):
    """``~Permission``: instantiates ``NOT(Permission())`` when called."""

    def __init__(self, operator_class: type, op1_class: Any) -> None:
        self.operator_class = operator_class
        self.op1_class = op1_class

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.operator_class(ensure_base_permission(self.op1_class))


class OperandHolder(OperationHolderMixin):
    """``A & B`` / ``A | B``: instantiates ``AND(A(), B())`` / ``OR(A(), B())`` when called."""

    def __init__(self, operator_class: type, op1_class: Any, op2_class: Any) -> None:
        self.operator_class = operator_class
        self.op1_class = op1_class
        self.op2_class = op2_class

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.operator_class(
            ensure_base_permission(self.op1_class), ensure_base_permission(self.op2_class)
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, OperandHolder)
            and self.operator_class == other.operator_class
            and self.op1_class == other.op1_class
            and self.op2_class == other.op2_class
        )

    def __hash__(self) -> int:
        return hash((self.operator_class, self.op1_class, self.op2_class))


class AND:
    """Both operands must allow; the second is not asked when the first refuses."""

    def __init__(self, op1: Any, op2: Any) -> None:
        self.op1 = op1
        self.op2 = op2

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        return bool(
            await _call(self.op1.has_permission, scope, consumer, action, **kwargs)
            and await _call(self.op2.has_permission, scope, consumer, action, **kwargs)
        )

    async def can_connect(self, scope: Scope, consumer: Any, message: Any = None) -> bool:
        return bool(
            await _call(self.op1.can_connect, scope, consumer, message)
            and await _call(self.op2.can_connect, scope, consumer, message)
        )

    def has_object_permission(
        self, scope: Scope, consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        return bool(
            call_sync(self.op1.has_object_permission, scope, consumer, action, obj, **kwargs)
            and call_sync(self.op2.has_object_permission, scope, consumer, action, obj, **kwargs)
        )


class OR:
    """Either operand may allow; the second is not asked when the first allows."""

    def __init__(self, op1: Any, op2: Any) -> None:
        self.op1 = op1
        self.op2 = op2

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        return bool(
            await _call(self.op1.has_permission, scope, consumer, action, **kwargs)
            or await _call(self.op2.has_permission, scope, consumer, action, **kwargs)
        )

    async def can_connect(self, scope: Scope, consumer: Any, message: Any = None) -> bool:
        return bool(
            await _call(self.op1.can_connect, scope, consumer, message)
            or await _call(self.op2.can_connect, scope, consumer, message)
        )

    def has_object_permission(
        self, scope: Scope, consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        # As in DRF: an object check under OR only counts for an operand that allowed the
        # action, otherwise ``A | B`` would let B's object rule grant what only A allowed.
        return any(
            call_sync(op.has_permission, scope, consumer, action, **kwargs)
            and call_sync(op.has_object_permission, scope, consumer, action, obj, **kwargs)
            for op in (self.op1, self.op2)
        )


class NOT:
    """Inverts its operand."""

    def __init__(self, op1: Any) -> None:
        self.op1 = op1

    async def has_permission(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        return not await _call(self.op1.has_permission, scope, consumer, action, **kwargs)

    async def can_connect(self, scope: Scope, consumer: Any, message: Any = None) -> bool:
        return not await _call(self.op1.can_connect, scope, consumer, message)

    def has_object_permission(
        self, scope: Scope, consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        # ``~A`` where A has no object rule must not turn A's "no opinion" into a refusal.
        if not has_object_rules(self.op1):
            return True
        return not call_sync(self.op1.has_object_permission, scope, consumer, action, obj, **kwargs)


class BasePermissionMetaclass(OperationHolderMixin, type):
    """Lets permission *classes* be combined: ``IsAuthenticated & IsOwner``."""

    if TYPE_CHECKING:
        # On classes ``|`` would build a ``types.UnionType``; here it combines permissions.
        # Typed loosely so that the type checker accepts replacing ``type``'s operators.
        def __or__(self, other: Any) -> Any: ...
        def __ror__(self, other: Any) -> Any: ...


class BasePermission(metaclass=BasePermissionMetaclass):
    """Base class for consumer permissions; override the checks you need.

    ``has_permission`` returns ``None`` (deny) unless overridden, as in 1.3, so a permission
    that forgets to implement it fails closed.
    """

    async def has_permission(
        self, scope: dict[str, Any], consumer: AsyncAPIConsumer, action: str, **kwargs: Any
    ) -> bool | None:
        """Return ``True`` to allow ``action``; ``kwargs`` are the message's other keys."""
        return None

    async def can_connect(
        self, scope: dict[str, Any], consumer: AsyncAPIConsumer, message: Any = None
    ) -> bool:
        """Return ``False`` to refuse the WebSocket handshake (closed before accept)."""
        return True

    def has_object_permission(
        self,
        scope: dict[str, Any],
        consumer: AsyncAPIConsumer,
        action: str,
        obj: Any,
        **kwargs: Any,
    ) -> bool:
        """Return ``False`` to hide ``obj`` from ``action``; may also be ``async``.

        Called by ``get_object`` (retrieve, update, patch, delete, subscriptions) after the
        instance was found. Override this for owner-only rules.
        """
        return True


class AllowAny(BasePermission):
    """Allow every connection and every action."""

    async def has_permission(
        self, scope: dict[str, Any], consumer: AsyncAPIConsumer, action: str, **kwargs: Any
    ) -> bool:
        return True


class IsAuthenticated(BasePermission):
    """Allow actions only for an authenticated user in ``scope["user"]``.

    Anonymous clients may still connect (as in 1.3); combine with a ``can_connect`` rule
    to refuse them at the handshake.
    """

    async def has_permission(
        self, scope: dict[str, Any], consumer: AsyncAPIConsumer, action: str, **kwargs: Any
    ) -> bool:
        user = scope.get("user")
        return bool(user and user.pk and user.is_authenticated)


# DRF permissions that only read the request's user and method: safe to run on the event
# loop, saving the thread hop that an arbitrary (possibly ORM-reading) permission needs.
_INLINE_DRF_PERMISSIONS: tuple[type, ...] = (
    drf_permissions.AllowAny,
    drf_permissions.IsAuthenticated,
    drf_permissions.IsAdminUser,
    drf_permissions.IsAuthenticatedOrReadOnly,
)


class WrappedDRFPermission:
    """Adapts a DRF permission instance to the consumer permission interface.

    The DRF permission sees a request built from the scope whose ``method`` stands for the
    action (``mapped_actions``, else the action name upper-cased) and the consumer as view.
    """

    #: A dict, as in 1.3 (subclasses may change it); the handshake is checked as ``HEAD``.
    mapped_actions: ClassVar[dict[str, str]] = {**DEFAULT_MAPPED_ACTIONS, "connect": "HEAD"}

    def __init__(self, permission: Any) -> None:
        self.permission = permission

    def get_request(self, scope: dict[str, Any], action: str) -> Any:
        request = request_from_scope(scope)
        request.method = self.mapped_actions.get(action, action.upper())
        return request

    def _runs_inline(self) -> bool:
        return type(self.permission) in _INLINE_DRF_PERMISSIONS

    def get_view(self, consumer: Any, action: str, request: Any, kwargs: dict[str, Any]) -> Any:
        """The consumer seen as a DRF view, with this message's ``action`` and ``kwargs``."""
        return ConsumerAsView(consumer, action, request, kwargs)

    async def _check(
        self, scope: dict[str, Any], consumer: Any, action: str, kwargs: dict[str, Any]
    ) -> bool:
        request = self.get_request(scope, action)
        view = self.get_view(consumer, action, request, kwargs)
        if self._runs_inline():
            return bool(self.permission.has_permission(request, view))
        return bool(await database_sync_to_async(self.permission.has_permission)(request, view))

    async def has_permission(
        self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any
    ) -> bool:
        return await self._check(scope, consumer, action, kwargs)

    async def can_connect(self, scope: dict[str, Any], consumer: Any, message: Any = None) -> bool:
        return await self._check(scope, consumer, "connect", {})

    def has_object_permission(
        self, scope: dict[str, Any], consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        if not _drf_object_rules(self.permission):
            return True
        request = self.get_request(scope, action)
        view = self.get_view(consumer, action, request, kwargs)
        return bool(self.permission.has_object_permission(request, view, obj))

    def __repr__(self) -> str:
        return f"WrappedDRFPermission({self.permission!r})"


_DRF_OPERATORS = (drf_permissions.AND, drf_permissions.OR, drf_permissions.NOT)
_HOLDERS = (OperandHolder, SingleOperandHolder)


def _operands(operator: Any) -> list[Any]:
    """The operands of an ``AND``, ``OR`` or ``NOT``, ours or DRF's (whose stubs omit them)."""
    return [operator.op1] + ([operator.op2] if hasattr(operator, "op2") else [])


def _contains_consumer_permission(permission: Any) -> bool:
    """True if a DRF operator tree (``DRFPerm | OurPerm``) holds one of our permissions."""
    if isinstance(permission, _DRF_OPERATORS):
        return any(_contains_consumer_permission(op) for op in _operands(permission))
    return not isinstance(permission, DRFBasePermission)


def _from_drf_operator(permission: Any) -> Any:
    """Rebuild a DRF operator tree that mixes in our permissions with our operators.

    ``DRFPerm & OurPerm`` is built by DRF's metaclass (it comes first), and DRF's ``AND``
    would call our async methods with DRF arguments; rebuilding it keeps both kinds working.
    """
    operators: dict[type, type] = {
        drf_permissions.AND: AND,
        drf_permissions.OR: OR,
        drf_permissions.NOT: NOT,
    }
    return operators[type(permission)](
        *[ensure_base_permission(op) for op in _operands(permission)]
    )


def ensure_base_permission(permission: Any) -> Any:
    """Turn a permission class, holder or instance into an object with our interface."""
    if isinstance(permission, _HOLDERS):
        return permission()
    drf_holders = (drf_permissions.OperandHolder, drf_permissions.SingleOperandHolder)
    if inspect.isclass(permission) or isinstance(permission, drf_holders):
        permission = permission()
    if isinstance(permission, _DRF_OPERATORS):
        if _contains_consumer_permission(permission):
            return _from_drf_operator(permission)
        return WrappedDRFPermission(permission)
    if isinstance(permission, DRFBasePermission):
        return WrappedDRFPermission(permission)
    return permission


def _drf_object_rules(permission: Any) -> bool:
    """Whether a DRF permission (or DRF operator tree) defines an object-level rule."""
    if isinstance(permission, _DRF_OPERATORS):
        return any(_drf_object_rules(op) for op in _operands(permission))
    method = getattr(type(permission), "has_object_permission", None)
    return method is not None and method is not DRFBasePermission.has_object_permission


#: 1.3's name for ``ensure_base_permission``.
_ensure_base = ensure_base_permission


def has_object_rules(permission: Any) -> bool:
    """Whether ``permission`` (a class, combination or instance) can refuse an object.

    Used to skip object checks that cannot fail, and by observers to know whether data
    serialized once may be shown to every subscriber.
    """
    permission = ensure_base_permission(permission)
    if isinstance(permission, AND | OR | NOT):
        return any(has_object_rules(op) for op in _operands(permission))
    if isinstance(permission, WrappedDRFPermission):
        return _drf_object_rules(permission.permission)
    method = getattr(type(permission), "has_object_permission", None)
    return method is not None and method is not BasePermission.has_object_permission


def permission_denied(permission: Any) -> PermissionDenied:
    """The ``PermissionDenied`` for a refusal by ``permission``.

    With the ``PERMISSION_MESSAGES`` setting, its ``message`` and ``code`` (a wrapped DRF
    permission's own) become the reply's detail, as DRF does; by default every refusal has
    DRF's default text, as in 1.3.
    """
    if not api_settings.PERMISSION_MESSAGES:
        return PermissionDenied()
    source = permission.permission if isinstance(permission, WrappedDRFPermission) else permission
    return PermissionDenied(getattr(source, "message", None), getattr(source, "code", None))
