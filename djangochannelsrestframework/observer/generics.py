"""``ObserverModelInstanceMixin``: let clients subscribe to single instances of a consumer's
model and receive every committed change to them.

A change is serialized once for all subscribers when the consumer's data cannot depend on
who is asking (see ``observer_serialize_once``); otherwise each subscribed connection reads
the instance through its own ``get_object`` and serializer, once per change.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, cast

from channels.db import database_sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db.models import Model
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import PermissionDenied

from djangochannelsrestframework.consumers import APIConsumerMetaclass
from djangochannelsrestframework.db import DatabaseSyncToAsync
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.exceptions import InvalidMessage
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import RetrieveModelMixin
from djangochannelsrestframework.observer.base_observer import check_subscription_limit
from djangochannelsrestframework.observer.model_observer import Action, ModelObserver
from djangochannelsrestframework.permissions import has_object_rules
from djangochannelsrestframework.serializer_cache import prime_fields

__all__ = [
    "ObserverConsumerMixin",
    "ObserverModelInstanceMixin",
    "ObserverAPIConsumerMetaclass",
    "_GenericModelObserver",
    "action",
    "GenericAsyncAPIConsumer",
    "RetrieveModelMixin",
    "ModelObserver",
    "APIConsumerMetaclass",
    "database_sync_to_async",
    "status",
]

logger = logging.getLogger("djangochannelsrestframework.observer")

#: ``serializes_observed_once()`` per consumer class, forgotten when settings change.
_serializes_once: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def _forget_serialize_once(**kwargs: Any) -> None:
    _serializes_once.clear()


setting_changed.connect(_forget_serialize_once)

#: Body key carrying data serialized once for every subscriber (removed before delivery).
SHARED_DATA_KEY = "_dcrf_shared_data"
#: The shared data of the change being delivered, handed from ``handle_instance_change`` to
#: ``handle_observed_action`` beside its arguments: a 1.3 override of the latter receives
#: the body ``{"pk": ...}`` as its keyword arguments, as it always did.
_delivered_shared_data: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "dcrf_delivered_shared_data", default=None
)

# Hooks whose customisation can make the data or its visibility depend on the subscriber.
_SUBSCRIBER_DEPENDENT_HOOKS = (
    "get_queryset",
    "filter_queryset",
    "get_object",
    "check_object_permissions",
    "get_permissions",
    "get_serializer",
    "get_serializer_class",
    "get_serializer_context",
    "retrieve",
)


class _GenericModelObserver:
    """A model observer declared on a mixin, bound to each consumer's model later."""

    def __init__(self, func: Callable[..., Any], **kwargs: Any) -> None:
        self.func = func
        self._group_names: Callable[..., Any] | None = None
        self._serializer: Callable[..., Any] | None = None
        self.groups_depend_only_on_pk = bool(kwargs.pop("groups_depend_only_on_pk", False))
        self.kwargs = kwargs

    def groups(self, func: Callable[..., Any]) -> _GenericModelObserver:
        self._group_names = func
        return self

    def serializer(self, func: Callable[..., Any]) -> _GenericModelObserver:
        self._serializer = func
        return self

    def bind_to_model(
        self,
        model_cls: type[Model],
        name: str,
        many_to_many: bool = False,
        consumer_class: type | None = None,
    ) -> ModelObserver:
        """Create the real observer for ``model_cls`` (``name`` partitions its groups)."""
        observer = ModelObserver(
            self.func,
            model_cls=model_cls,
            partition=name,
            many_to_many=many_to_many,
            channel_layer_alias=getattr(consumer_class, "channel_layer_alias", "default"),
            **self.kwargs,
        )
        if self._group_names is not None:
            observer.groups(self._group_names)
        if self._serializer is not None:
            observer.serializer(self._serializer)
        observer.groups_depend_only_on_pk = self.groups_depend_only_on_pk
        observer.consumer_class = consumer_class
        observer.generic_observer = self
        return observer


def _generic_of(value: Any) -> _GenericModelObserver | None:
    if isinstance(value, _GenericModelObserver):
        return value
    return getattr(value, "generic_observer", None) if isinstance(value, ModelObserver) else None


class ObserverAPIConsumerMetaclass(APIConsumerMetaclass):
    """Binds the mixins' generic observers to the model of each consumer's ``queryset``.

    A subclass that sets its own ``queryset`` (or ``observer_many_to_many_relationships``)
    gets its own observer; one that inherits them shares its parent's.
    """

    def __new__(mcs, name: str, bases: tuple[type, ...], body: dict[str, Any]) -> type:
        cls = super().__new__(mcs, name, bases, body)
        queryset = inspect.getattr_static(cls, "queryset", None)
        model = getattr(queryset, "model", None)
        many_to_many = bool(
            inspect.getattr_static(cls, "observer_many_to_many_relationships", False)
        )
        rebind = "queryset" in body or "observer_many_to_many_relationships" in body
        for attribute in dir(cls):
            value = inspect.getattr_static(cls, attribute, None)
            generic = _generic_of(value)
            if generic is None or model is None:
                continue
            if isinstance(value, ModelObserver) and not rebind:
                continue
            bound = generic.bind_to_model(
                model_cls=model,
                name=f"{cls.__module__}.{cls.__qualname__}.{attribute}",
                many_to_many=many_to_many,
                consumer_class=cls,
            )
            setattr(cls, attribute, bound)
        return cls


class ObserverConsumerMixin(metaclass=ObserverAPIConsumerMetaclass):
    """Bookkeeping of which request ids subscribed to which observer groups."""

    observer_many_to_many_relationships = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subscribed_requests: dict[str, set[Any]] = {}

    def get_subscription_count(self) -> int:
        """Instance subscriptions count once per group and request id."""
        extra_request_ids = sum(
            len(request_ids) - 1 for request_ids in self.subscribed_requests.values() if request_ids
        )
        # The consumer class this is mixed into counts the observers' own bookkeeping.
        base: Any = super()
        return int(base.get_subscription_count()) + extra_request_ids

    def _subscribe(self, request_id: Any, groups: Iterable[str]) -> None:
        for group in groups:
            self.subscribed_requests.setdefault(group, set()).add(request_id)

    def _unsubscribe(self, request_id: Any, groups: Iterable[str] | None = None) -> None:
        """Remove ``request_id`` from ``groups`` (default: from every group)."""
        for group in list(self.subscribed_requests if groups is None else groups):
            request_ids = self.subscribed_requests.get(group)
            if request_ids is None:
                continue
            request_ids.discard(request_id)
            if not request_ids:
                del self.subscribed_requests[group]

    def _unsubscribe_groups(self, groups: Iterable[str]) -> None:
        for group in groups:
            self.subscribed_requests.pop(group, None)

    def _requests_for(self, group: str | None) -> set[Any]:
        if not group:
            return set().union(*self.subscribed_requests.values())
        return set(self.subscribed_requests.get(group, ()))


def _check_subscription_request_id(request_id: Any) -> None:
    if request_id is None:
        raise InvalidMessage("A subscription needs a request_id: its events carry it.")
    if not isinstance(request_id, Hashable) or isinstance(request_id, list | dict):
        raise InvalidMessage("request_id must be a string or a number.")


# The hooks of ``ObserverModelInstanceMixin.handle_instance_change``, registered by calls in
# the class body rather than stacked decorators reusing the handler's name (which the type
# checker reads as redefinitions). They receive the observer, not the consumer.


def _instance_change_groups(
    observer: Any, instance: Any = None, *args: Any, **kwargs: Any
) -> Iterator[str]:
    # One group per instance of this model.
    yield f"{observer.message_type}-model-{observer.model_label}-pk-{instance.pk}"


def _instance_change_body(observer: Any, instance: Model, action: Action, **kwargs: Any) -> Any:
    body: dict[str, Any] = {"pk": instance.pk}
    consumer_class = getattr(observer, "consumer_class", None)
    if action is Action.DELETE or consumer_class is None:
        return body
    if consumer_class.serializes_observed_once():
        try:
            body[SHARED_DATA_KEY] = consumer_class.serialize_observed_instance(instance)
        except Exception:
            logger.debug("Shared serialization failed; subscribers will read", exc_info=True)
    return body


class ObserverModelInstanceMixin(ObserverConsumerMixin, RetrieveModelMixin):
    """``retrieve``, ``subscribe_instance`` and ``unsubscribe_instance`` actions.

    Subscribers receive ``update`` (200, the instance's data) and ``delete`` (204,
    ``{"pk": ...}``) replies carrying their subscription's request id.
    """

    #: ``True``: serialize each change once, with ``serializer_class``, for everyone.
    #: ``False``: each subscribed connection reads the instance itself (as in 1.3).
    #: ``None`` (default): ``True`` unless the consumer customises how instances are found,
    #: filtered, permitted or serialized (so the data could depend on the subscriber).
    observer_serialize_once: bool | None = None
    queryset: Any
    serializer_class: Any
    lookup_field: str

    @classmethod
    def serializes_observed_once(cls) -> bool:
        """Whether a change's data is the same for every subscriber of this consumer.

        Decided once per class (and again after a settings change), since every delivery
        asks.
        """
        decided = _serializes_once.get(cls)
        if decided is None:
            decided = _serializes_once[cls] = cls._decide_serialize_once()
        return decided

    @classmethod
    def _decide_serialize_once(cls) -> bool:
        if cls.observer_serialize_once is not None:
            return cls.observer_serialize_once
        for hook in _SUBSCRIBER_DEPENDENT_HOOKS:
            implementation = getattr(cls, hook, None)
            defaults = [getattr(base, hook, None) for base in _DEFAULT_IMPLEMENTERS]
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

    @classmethod
    def serialize_observed_instance(cls, instance: Model) -> Any:
        """Data for every subscriber of ``instance``; no request or user is available."""
        context = {"scope": None, "consumer": None, "request": None, "view": None}
        return prime_fields(cls.serializer_class(instance, context=context)).data

    def _instance_observer(self) -> Any:
        observer = self.handle_instance_change
        if isinstance(
            inspect.getattr_static(type(self), "handle_instance_change"), _GenericModelObserver
        ):
            raise ImproperlyConfigured(
                f"'{type(self).__name__}' needs a `queryset` class attribute so that its "
                "instance observer can be connected to the model's signals at start-up."
            )
        return observer

    async def _get_subscription_target(self, **kwargs: Any) -> Model:
        """The instance a (un)subscription names; subscribers must be able to retrieve it."""
        return await DatabaseSyncToAsync(self.get_object)(**{**kwargs, "action": "retrieve"})

    @action()
    async def subscribe_instance(self, request_id: Any = None, **kwargs: Any) -> tuple[None, int]:
        _check_subscription_request_id(request_id)
        observer = self._instance_observer()
        instance = await self._get_subscription_target(**kwargs)
        new_groups = [
            group
            for group in dict.fromkeys(observer.group_names_for_consumer(instance=instance))
            if request_id not in self.subscribed_requests.get(group, ())
        ]
        check_subscription_limit(self, len(new_groups))
        groups = await observer.subscribe(instance=instance)
        self._subscribe(request_id, groups)
        return None, status.HTTP_201_CREATED

    @action()
    async def unsubscribe_instance(self, request_id: Any = None, **kwargs: Any) -> tuple[None, int]:
        if request_id is not None:
            _check_subscription_request_id(request_id)
        observer = self._instance_observer()
        try:
            instance = await self._get_subscription_target(**kwargs)
        except Http404:
            # A deleted instance can still be unsubscribed from by primary key.
            if self.lookup_field != "pk" or self.get_lookup_key() not in kwargs:
                raise
            instance = self.queryset.model(pk=kwargs[self.get_lookup_key()])
        groups = list(observer.group_names_for_consumer(instance=instance))
        if request_id is None:
            self._unsubscribe_groups(groups)
        else:
            self._unsubscribe(request_id, groups)
        if not any(group in self.subscribed_requests for group in groups):
            await observer.unsubscribe(instance=instance)
        return None, status.HTTP_204_NO_CONTENT

    @_GenericModelObserver
    async def handle_instance_change(
        self, message: dict[str, Any], observer: Any = None, **kwargs: Any
    ) -> None:
        # Model observers always send the action.
        action = cast(str, kwargs.get("action"))
        body = dict(message)
        token = _delivered_shared_data.set(body.pop(SHARED_DATA_KEY, None))
        try:
            await self.handle_observed_action(action=action, group=kwargs.get("group"), **body)
        finally:
            _delivered_shared_data.reset(token)

    handle_instance_change.groups(_instance_change_groups)
    # That group is a function of the primary key alone: saves need not read the stored
    # row to find the instance's previous groups.
    handle_instance_change.groups_depend_only_on_pk = True
    handle_instance_change.serializer(_instance_change_body)

    async def handle_observed_action(
        self, action: str, group: str | None = None, **kwargs: Any
    ) -> None:
        """Deliver one observed change to the request ids subscribed to ``group``.

        Subscribers that fail the permission check for the event get nothing; the data is
        read once per connection (not per request id) when it was not serialized once.
        """
        shared_data = _delivered_shared_data.get()
        if not self.serializes_observed_once():
            # A subclass may share its parent's observer but not its serialization rules.
            shared_data = None
        request_ids = self._requests_for(group)
        if not request_ids:
            return
        try:
            await self.check_permissions(action, **kwargs)
        except PermissionDenied:
            return
        if action == Action.DELETE.value:
            for request_id in request_ids:
                await self.reply(
                    action=action,
                    data=kwargs,
                    status=status.HTTP_204_NO_CONTENT,
                    request_id=request_id,
                )
            return
        data = shared_data
        if data is None:
            try:
                data, _ = await self.retrieve(action="retrieve", request_id=None, **kwargs)
            except PermissionDenied:
                return
            except Exception as exc:
                for request_id in request_ids:
                    await self.handle_exception(exc, action=action, request_id=request_id)
                return
        for request_id in request_ids:
            await self.reply(
                action=action, data=data, status=status.HTTP_200_OK, request_id=request_id
            )


_DEFAULT_IMPLEMENTERS = (GenericAsyncAPIConsumer, ObserverModelInstanceMixin, RetrieveModelMixin)
