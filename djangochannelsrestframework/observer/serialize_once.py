"""Serialize an observed change once for every subscriber, when no subscriber can differ.

``observer_serialize_once`` decides whether a consumer's data can depend on who asks. When
it cannot, the signal side serializes the instance once and ships the data in the event's
body under ``SHARED_DATA_KEY``; each receiving consumer takes it out before delivery
(``SharedDataDelivery``) and reads it back while it delivers (``delivered_shared_data``).
"""

from __future__ import annotations

import contextvars
import inspect
import weakref
from typing import Any

from django.core.signals import setting_changed

from djangochannelsrestframework.permissions import has_object_rules

__all__ = [
    "SHARED_DATA_KEY",
    "SUBSCRIBER_DEPENDENT_HOOKS",
    "decide_serialize_once",
    "SharedDataDelivery",
    "delivered_shared_data",
]

#: Body key carrying data serialized once for every subscriber (removed before delivery).
SHARED_DATA_KEY = "_dcrf_shared_data"

#: Hooks whose customisation can make the data or its visibility depend on the subscriber
#: (``tests/test_observer_generics.py`` checks they are hooks the mixin really has).
SUBSCRIBER_DEPENDENT_HOOKS = (
    "get_queryset",
    "filter_queryset",
    "get_object",
    "check_object_permissions",
    "get_permissions",
    "get_serializer",
    "get_serializer_class",
    "get_serializer_context",
    "get_scope_request",
    "retrieve",
)

#: The decision per consumer class, forgotten when settings change.
_decided: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def _forget_decisions(**kwargs: Any) -> None:
    _decided.clear()


setting_changed.connect(_forget_decisions)


def decide_serialize_once(cls: Any, default_implementers: tuple[type, ...]) -> bool:
    """Whether a change's data is the same for every subscriber of consumer class ``cls``.

    ``observer_serialize_once`` decides when set; otherwise ``True`` unless ``cls``
    overrides a hook of ``default_implementers`` that could tell subscribers apart, filters
    its queryset, or has permissions with object rules. Decided once per class (and again
    after a settings change), since every delivery asks.
    """
    decided = _decided.get(cls)
    if decided is None:
        decided = _decided[cls] = _decide(cls, default_implementers)
    return decided


def _decide(cls: Any, default_implementers: tuple[type, ...]) -> bool:
    if cls.observer_serialize_once is not None:
        return bool(cls.observer_serialize_once)
    for hook in SUBSCRIBER_DEPENDENT_HOOKS:
        implementation = getattr(cls, hook, None)
        defaults = [getattr(base, hook, None) for base in default_implementers]
        if implementation is not None and all(implementation is not d for d in defaults):
            return False
    queryset = inspect.getattr_static(cls, "queryset", None)
    if queryset is None or getattr(getattr(queryset, "query", None), "where", None):
        return False
    if getattr(cls, "filter_backends", None) or getattr(cls, "serializer_class", None) is None:
        return False
    try:
        permissions = list(cls.permission_classes)
    except TypeError:
        return False
    return not any(has_object_rules(permission) for permission in permissions)


#: The shared data of the change being delivered, handed from ``handle_instance_change`` to
#: ``handle_observed_action`` beside its arguments: a 1.3 override of the latter receives
#: the body ``{"pk": ...}`` as its keyword arguments, as it always did.
_delivered: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "dcrf_delivered_shared_data", default=None
)


class SharedDataDelivery:
    """Takes the shared data out of an event ``body`` for the duration of its delivery.

    ``with SharedDataDelivery(body) as rest:`` gives the body without it;
    ``delivered_shared_data()`` returns it meanwhile. (A class, not a generator-based
    context manager: it runs once per event and subscribed connection.)
    """

    __slots__ = ("body", "_token")

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = dict(body)
        self._token = _delivered.set(self.body.pop(SHARED_DATA_KEY, None))

    def __enter__(self) -> dict[str, Any]:
        return self.body

    def __exit__(self, *exc_info: object) -> None:
        _delivered.reset(self._token)


def delivered_shared_data() -> Any:
    """The data serialized once for the change being delivered (``None`` if there is none)."""
    return _delivered.get()
