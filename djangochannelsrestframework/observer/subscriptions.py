"""Subscription state: which request ids of one connection receive which observer groups.

One ``Subscriptions`` object per connection owns that state; observers change it through
its methods when a client subscribes or unsubscribes, and read it to address each event
to the request ids that asked for it. ``SubscriptionsMixin`` gives every consumer one, its
limit (``get_max_subscriptions``) and the check of that limit (``check_subscription_limit``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, cast

from djangochannelsrestframework.exceptions import TooManySubscriptions
from djangochannelsrestframework.settings import api_settings
from djangochannelsrestframework.types import RequestId

__all__ = ["Subscriptions", "SubscriptionsMixin"]


def _new_observer_map() -> defaultdict[str, set[RequestId]]:
    return defaultdict(set)


class Subscriptions:
    """Which request ids of one connection receive which groups of which observer.

    A group subscribed without a request id is held with an empty set: the connection
    stays in the group (events reach the handler with no request ids) until it is
    unsubscribed.
    """

    def __init__(self) -> None:
        #: observer id → group → request ids (1.3's ``_observer_group_to_request_id``).
        self.by_observer: defaultdict[str, defaultdict[str, set[RequestId]]] = defaultdict(
            _new_observer_map
        )

    def groups(self, observer_id: str) -> dict[str, set[RequestId]]:
        """The groups of one observer and their request ids (a live view; may be empty)."""
        return self.by_observer[observer_id]

    def request_ids(self, observer_id: str, group: str | None) -> set[RequestId]:
        """The request ids subscribed to ``group`` of an observer (empty if none)."""
        by_group: Mapping[str, set[RequestId]] = self.by_observer.get(observer_id, {})
        return by_group.get(group, set()) if group is not None else set()

    def added_count(self, observer_id: str, groups: Iterable[str], request_id: RequestId) -> int:
        """How many subscriptions ``add(observer_id, groups, request_id)`` would add.

        A group not held yet adds one; a held group adds one for a new request id, unless
        it is held without request ids (it already counts once).
        """
        held: Mapping[str, set[RequestId]] = self.by_observer.get(observer_id, {})
        added = 0
        for group in dict.fromkeys(groups):
            existing = held.get(group)
            if existing is None or (
                request_id is not None and existing and request_id not in existing
            ):
                added += 1
        return added

    def add(self, observer_id: str, groups: Iterable[str], request_id: RequestId) -> None:
        """Subscribe ``request_id`` (which may be ``None``) to ``groups`` of an observer."""
        by_group = self.by_observer[observer_id]
        for group in groups:
            # An entry even without a request id, so that ``remove`` finds the group.
            entry = by_group.setdefault(group, set())
            if request_id is not None:
                entry.add(request_id)

    def remove(self, observer_id: str, groups: Iterable[str], request_id: RequestId) -> list[str]:
        """Unsubscribe ``request_id`` (every request id, if ``None``) from ``groups``.

        Returns the groups no request id of this observer needs any more: the connection
        leaves those.
        """
        by_group: dict[str, set[RequestId]] = self.by_observer.get(observer_id, {})
        to_leave = []
        for group in groups:
            entry = by_group.get(group)
            if entry is not None and request_id is not None:
                entry.discard(request_id)
                if entry:
                    continue
            by_group.pop(group, None)
            to_leave.append(group)
        if not by_group:
            self.by_observer.pop(observer_id, None)
        return to_leave

    def count(self) -> int:
        """Subscriptions held: one per group and request id of every observer (a group
        held without a request id counts once)."""
        return sum(
            max(len(request_ids), 1)
            for by_group in self.by_observer.values()
            for request_ids in by_group.values()
        )


class SubscriptionsMixin:
    """A consumer's ``subscriptions`` and their bound (part of every ``AsyncAPIConsumer``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subscriptions = Subscriptions()

    @property
    def _observer_group_to_request_id(self) -> defaultdict[str, defaultdict[str, set[Any]]]:
        """1.3's name for the subscription map: observer id → group → request ids."""
        return self.subscriptions.by_observer

    def get_max_subscriptions(self) -> int | None:
        """How many observer subscriptions this connection may hold (``MAX_SUBSCRIPTIONS``);
        one more is refused with a 429 reply. ``None`` for no limit."""
        return cast("int | None", api_settings.MAX_SUBSCRIPTIONS)

    def get_subscription_count(self) -> int:
        """How many observer subscriptions this connection holds: one per group and request
        id of every observer (a group subscribed without a request id counts once)."""
        return self.subscriptions.count()

    def check_subscription_limit(self, added: int) -> None:
        """Raise ``TooManySubscriptions`` (429) if ``added`` more subscriptions would take
        this connection past ``get_max_subscriptions()``.

        Each subscription costs a channel-layer group membership and bookkeeping for as
        long as the socket is open; without a bound one client could make the server hold
        any number of them. Observers check before subscribing, so a refusal subscribes
        nothing. You may want to override this to bound subscriptions per user instead.
        """
        limit = self.get_max_subscriptions()
        if limit is None or not added:
            return
        if self.get_subscription_count() + added > limit:
            raise TooManySubscriptions()
