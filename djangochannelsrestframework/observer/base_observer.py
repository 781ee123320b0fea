"""``BaseObserver``: the part shared by signal and model observers — hooks, group names,
and (un)subscribing a consumer, whose ``subscriptions`` object records who asked."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from djangochannelsrestframework.observer.sending import jsonable
from djangochannelsrestframework.observer.utils import ObjPartial

if TYPE_CHECKING:
    from djangochannelsrestframework.consumers import AsyncAPIConsumer

Hook = Callable[..., Any]


def _as_group_list(groups: Any) -> Iterable[str]:
    """Hooks may yield group names, return a list of them, or return a single name."""
    if groups is None:
        return ()
    if isinstance(groups, str):
        return (groups,)
    return cast("Iterable[str]", groups)


class BaseObserver:
    """Replaces a consumer method (the handler) and routes events to subscribed consumers.

    Group names are derived from a stable id (partition, class, handler module and name),
    never from object identity, so every process computes the same names and events
    raised in one process reach consumers in another through a shared channel layer.
    """

    def __init__(self, func: Callable[..., Any], partition: str = "*") -> None:
        self.func = func
        self._serializer: Hook | None = None
        self._group_names_for_signal: Hook | None = None
        self._group_names_for_consumer: Hook | None = None
        self._stable_observer_id = (
            f"{partition}-{type(self).__name__}-{func.__module__}.{func.__name__}"
        )

    @property
    def message_type(self) -> str:
        """The channel-layer message ``type``: the handler name with ``_`` → ``.``."""
        return self.func.__name__.replace("_", ".")

    async def __call__(
        self, message: dict[str, Any], consumer: AsyncAPIConsumer | None = None, **kwargs: Any
    ) -> Any:
        """Deliver one channel-layer message to the handler of ``consumer``."""
        message = dict(message)
        body = message.pop("body", {})
        message_type = message.pop("type", self.message_type)
        group = message.get("group")
        request_ids: Iterable[Any] = ()
        if consumer is not None:
            request_ids = consumer.subscriptions.request_ids(self._stable_observer_id, group)
        return await self.func(
            consumer,
            body,
            observer=self,
            message_type=message_type,
            subscribing_request_ids=list(request_ids),
            **message,
            **kwargs,
        )

    def __get__(self, parent: Any, objtype: type | None = None) -> Any:
        if parent is None:
            return self
        return ObjPartial(self, consumer=parent)

    # Hook registration (each returns the observer so the handler's name can be reused).

    def serializer(self, func: Hook) -> BaseObserver:
        """Register the hook that builds the event body, once per event."""
        self._serializer = func
        return self

    def groups_for_signal(self, func: Hook) -> BaseObserver:
        """Register the hook naming the groups an event is sent to."""
        self._group_names_for_signal = func
        return self

    def groups_for_consumer(self, func: Hook) -> BaseObserver:
        """Register the hook naming the groups a subscription joins."""
        self._group_names_for_consumer = func
        return self

    def groups(self, func: Hook) -> BaseObserver:
        """Register one hook for both sides; it must accept both call styles."""
        self._group_names_for_signal = func
        self._group_names_for_consumer = func
        return self

    # Group names.

    def clean_group_name(self, name: str) -> str:
        """A valid, fixed-length channels group name for any string."""
        return f"DCRF-{hashlib.sha256(name.encode()).hexdigest()}"

    def group_names(self, *args: Any, **kwargs: Any) -> Iterable[str]:
        """Default groups when no hook is registered; subclasses define them."""
        raise NotImplementedError()

    def group_names_for_consumer(
        self, consumer: AsyncAPIConsumer, *args: Any, **kwargs: Any
    ) -> Iterator[str]:
        if self._group_names_for_consumer is not None:
            hook_groups = self._group_names_for_consumer(self, *args, consumer=consumer, **kwargs)
            for group in _as_group_list(hook_groups):
                yield self.clean_group_name(f"{self._stable_observer_id}-{group}")
            return
        for group in self.group_names(*args, **kwargs):
            yield self.clean_group_name(group)

    def group_names_for_signal(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        if self._group_names_for_signal is not None:
            for group in _as_group_list(self._group_names_for_signal(self, *args, **kwargs)):
                yield self.clean_group_name(f"{self._stable_observer_id}-{group}")
            return
        for group in self.group_names(*args, **kwargs):
            yield self.clean_group_name(group)

    # Subscriptions.

    async def subscribe(
        self, consumer: AsyncAPIConsumer, *args: Any, request_id: Any = None, **kwargs: Any
    ) -> list[str]:
        """Join the groups for these arguments; ``request_id`` is passed back to the handler."""
        # ``consumer`` by keyword, as 1.3 passes it: an override may take it by keyword only.
        group_names: Callable[..., Iterable[str]] = self.group_names_for_consumer
        groups = list(group_names(*args, consumer=consumer, **kwargs))
        subscriptions = consumer.subscriptions
        consumer.check_subscription_limit(
            subscriptions.added_count(self._stable_observer_id, groups, request_id)
        )
        held: Mapping[str, set[Any]] = subscriptions.by_observer.get(self._stable_observer_id, {})
        before = {group: set(held[group]) for group in groups if group in held}
        subscriptions.add(self._stable_observer_id, groups, request_id)
        try:
            for group in groups:
                await consumer.add_group(group)
        except Exception:
            # The channel layer is down (a 503): the request subscribes nothing.
            self._undo_subscribe(consumer, groups, request_id, before)
            raise
        return groups

    def _undo_subscribe(
        self,
        consumer: AsyncAPIConsumer,
        groups: list[str],
        request_id: Any,
        before: Mapping[str, set[Any]],
    ) -> None:
        """Put the subscriptions of ``groups`` back as they were ``before`` a failed join."""
        held: Mapping[str, set[Any]] = consumer.subscriptions.by_observer.get(
            self._stable_observer_id, {}
        )
        for group in dict.fromkeys(groups):
            if group not in before:
                consumer.subscriptions.remove(self._stable_observer_id, [group], None)
            elif group in held:
                held[group].intersection_update(before[group])

    async def unsubscribe(
        self, consumer: AsyncAPIConsumer, *args: Any, request_id: Any = None, **kwargs: Any
    ) -> list[str]:
        """Stop ``request_id`` (or every request id, if ``None``) receiving these groups.

        The consumer leaves a group once no request id of this observer needs it.
        """
        group_names: Callable[..., Iterable[str]] = self.group_names_for_consumer
        groups = list(group_names(*args, consumer=consumer, **kwargs))
        for group in consumer.subscriptions.remove(self._stable_observer_id, groups, request_id):
            await consumer.remove_group(group)
        return groups

    def serialize(self, signal: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Build the channel-layer message for a signal: ``{"type", "body"}``."""
        body: Any = {}
        if self._serializer is not None:
            body = self._serializer(self, signal, *args, **kwargs)
        return {"type": self.message_type, "body": jsonable(body)}
