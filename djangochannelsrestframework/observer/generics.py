"""``ObserverModelInstanceMixin``: let clients subscribe to single instances of a consumer's
model and receive every committed change to them.

A change is serialized once for all subscribers when the consumer's data cannot depend on
who is asking (``observer/serialize_once.py``); otherwise each subscribed connection reads
the instance through its own ``get_object`` and serializer, once per change.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, cast

from channels.layers import DEFAULT_CHANNEL_LAYER
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import PermissionDenied

from djangochannelsrestframework.actions import APIConsumerMetaclass
from djangochannelsrestframework.db import database_sync_to_async
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.exceptions import InvalidMessage
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import RetrieveModelMixin
from djangochannelsrestframework.observer.model_observer import Action, ModelObserver
from djangochannelsrestframework.observer.serialize_once import (
    SHARED_DATA_KEY,
    SharedDataDelivery,
    decide_serialize_once,
    delivered_shared_data,
)
from djangochannelsrestframework.serializer_cache import prime_fields
from djangochannelsrestframework.types import RequestId

__all__ = [
    "ObserverConsumerMixin",
    "ObserverModelInstanceMixin",
    "ObserverAPIConsumerMetaclass",
    "BoundModelObserver",
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
    ) -> BoundModelObserver:
        """Create the real observer for ``model_cls`` (``name`` partitions its groups)."""
        return BoundModelObserver(self, model_cls, name, many_to_many, consumer_class)


class BoundModelObserver(ModelObserver):
    """A mixin's model observer bound to one consumer class's model (made by the metaclass).

    It knows the consumer class it serves, so that its body hook can serialize a change
    once for every subscriber of that class.
    """

    def __init__(
        self,
        generic: _GenericModelObserver,
        model_cls: type[Model],
        name: str,
        many_to_many: bool = False,
        consumer_class: Any = None,
    ) -> None:
        super().__init__(
            generic.func,
            model_cls=model_cls,
            partition=name,
            many_to_many=many_to_many,
            channel_layer_alias=getattr(
                consumer_class, "channel_layer_alias", DEFAULT_CHANNEL_LAYER
            ),
            **generic.kwargs,
        )
        self.generic_observer = generic
        #: The consumer class this observer serves (an ``ObserverModelInstanceMixin``).
        self.consumer_class: Any = consumer_class
        self.groups_depend_only_on_pk = generic.groups_depend_only_on_pk
        if generic._group_names is not None:
            self.groups(generic._group_names)
        if generic._serializer is not None:
            self.serializer(generic._serializer)


def _generic_of(value: Any) -> _GenericModelObserver | None:
    if isinstance(value, _GenericModelObserver):
        return value
    return value.generic_observer if isinstance(value, BoundModelObserver) else None


#: The ``subscriptions`` key of ``subscribed_requests`` on a consumer without an instance
#: observer (``ObserverConsumerMixin`` used on its own).
_NO_INSTANCE_OBSERVER = "ObserverConsumerMixin.subscribed_requests"


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
            if isinstance(value, BoundModelObserver) and not rebind:
                continue
            bound = generic.bind_to_model(
                model_cls=model,
                name=f"{cls.__module__}.{cls.__qualname__}.{attribute}",
                many_to_many=many_to_many,
                consumer_class=cls,
            )
            setattr(cls, attribute, bound)
        instance_observer = inspect.getattr_static(cls, "handle_instance_change", None)
        cast(Any, cls)._subscribed_requests_key = (
            instance_observer._stable_observer_id
            if isinstance(instance_observer, ModelObserver)
            else _NO_INSTANCE_OBSERVER
        )
        return cls


class ObserverConsumerMixin(metaclass=ObserverAPIConsumerMetaclass):
    """Which request ids subscribed to which instance groups (1.3's ``subscribed_requests``).

    A view over the consumer's ``subscriptions``: the groups of its instance observer.
    """

    observer_many_to_many_relationships = False
    subscriptions: Any
    #: The instance observer's id in ``subscriptions`` (set by the metaclass).
    _subscribed_requests_key: str

    @property
    def subscribed_requests(self) -> dict[str, set[RequestId]]:
        """Group → request ids subscribed to it (1.3 name; a live view)."""
        groups: dict[str, set[RequestId]] = self.subscriptions.groups(self._subscribed_requests_key)
        return groups

    def _subscribe(self, request_id: RequestId, groups: Iterable[str]) -> None:
        for group in groups:
            self.subscribed_requests.setdefault(group, set()).add(request_id)

    def _unsubscribe(self, request_id: RequestId, groups: Iterable[str] | None = None) -> None:
        """Remove ``request_id`` from ``groups`` (default: from every group)."""
        subscribed = self.subscribed_requests
        for group in list(subscribed if groups is None else groups):
            request_ids = subscribed.get(group)
            if request_ids is None:
                continue
            request_ids.discard(request_id)
            if not request_ids:
                del subscribed[group]

    def _unsubscribe_groups(self, groups: Iterable[str]) -> None:
        subscribed = self.subscribed_requests
        for group in groups:
            subscribed.pop(group, None)

    def _requests_for(self, group: str | None) -> set[RequestId]:
        subscribed = self.subscribed_requests
        if not group:
            return set().union(*subscribed.values())
        return set(subscribed.get(group, ()))


def _check_subscription_request_id(request_id: RequestId) -> None:
    if request_id is None:
        raise InvalidMessage("A subscription needs a request_id: its events carry it.")
    if not isinstance(request_id, Hashable) or isinstance(request_id, list | dict):
        raise InvalidMessage("request_id must be a string or a number.")


# The hooks of ``ObserverModelInstanceMixin.handle_instance_change``, registered by calls in
# the class body rather than stacked decorators reusing the handler's name (which the type
# checker reads as redefinitions). They run on the signal side and receive the observer.


def _instance_change_groups(
    observer: ModelObserver, instance: Any = None, *args: Any, **kwargs: Any
) -> Iterator[str]:
    # One group per instance of this model.
    yield f"{observer.message_type}-model-{observer.model_label}-pk-{instance.pk}"


def _instance_change_body(
    observer: ModelObserver, instance: Model, action: Action, **kwargs: Any
) -> Any:
    body: dict[str, Any] = {"pk": instance.pk}
    consumer_class = observer.consumer_class if isinstance(observer, BoundModelObserver) else None
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
        """Whether a change's data is the same for every subscriber of this consumer."""
        return decide_serialize_once(cls, _default_implementers())

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
        return cast(
            "Model",
            await database_sync_to_async(self.get_object)(**{**kwargs, "action": "retrieve"}),
        )

    @action()
    async def subscribe_instance(
        self, request_id: RequestId = None, **kwargs: Any
    ) -> tuple[None, int]:
        _check_subscription_request_id(request_id)
        observer = self._instance_observer()
        instance = await self._get_subscription_target(**kwargs)
        await observer.subscribe(instance=instance, request_id=request_id)
        return None, status.HTTP_201_CREATED

    @action()
    async def unsubscribe_instance(
        self, request_id: RequestId = None, **kwargs: Any
    ) -> tuple[None, int]:
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
        await observer.unsubscribe(instance=instance, request_id=request_id)
        return None, status.HTTP_204_NO_CONTENT

    @_GenericModelObserver
    async def handle_instance_change(
        self, message: dict[str, Any], observer: Any = None, **kwargs: Any
    ) -> None:
        # Model observers always send the action.
        action = cast(str, kwargs.get("action"))
        with SharedDataDelivery(message) as body:
            await self.handle_observed_action(action=action, group=kwargs.get("group"), **body)

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
        request_ids = self._requests_for(group)
        if not request_ids:
            return
        try:
            await self.check_permissions(action, **kwargs)
        except PermissionDenied:
            return
        if action == Action.DELETE.value:
            await self._deliver_delete(action, request_ids, kwargs)
        else:
            await self._deliver_update(action, request_ids, kwargs)

    async def _deliver_delete(
        self, action: str, request_ids: set[RequestId], body: dict[str, Any]
    ) -> None:
        """Each subscriber gets the deleted instance's ``{"pk": ...}`` with a 204."""
        for request_id in request_ids:
            await self.reply(
                action=action, data=body, status=status.HTTP_204_NO_CONTENT, request_id=request_id
            )

    async def _deliver_update(
        self, action: str, request_ids: set[RequestId], body: dict[str, Any]
    ) -> None:
        """Each subscriber gets the instance's data with a 200: the data serialized once,
        or read by this connection (an error then goes to every subscriber)."""
        # A subclass may share its parent's observer but not its serialization rules.
        data = delivered_shared_data() if self.serializes_observed_once() else None
        if data is None:
            try:
                data, _ = await self.retrieve(action="retrieve", request_id=None, **body)
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


@functools.cache
def _default_implementers() -> tuple[type, ...]:
    """The classes whose hooks are the defaults ``serializes_observed_once`` compares with."""
    return (GenericAsyncAPIConsumer, ObserverModelInstanceMixin, RetrieveModelMixin)
