"""System check for live-list consumers whose model other processes cannot know."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.core import checks
from django.core.checks import CheckMessage, register
from django.db.models import QuerySet

__all__ = ["check_live_list_querysets"]


def _subclasses(cls: type) -> Iterator[type]:
    subclasses: list[type] = cls.__subclasses__()
    for subclass in subclasses:
        yield subclass
        yield from _subclasses(subclass)


@register()
def check_live_list_querysets(
    app_configs: Any = None, consumers: Iterable[type] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """A live-list consumer without a ``queryset`` attribute names its model only when it
    serves a subscription, so a worker (which never does) would not announce that model's
    changes and its writes would not reach the lists."""
    from djangochannelsrestframework.live.mixins import LiveListMixin

    if consumers is None:
        consumers = set(_subclasses(LiveListMixin))
    return [
        checks.Warning(
            f"{consumer.__module__}.{consumer.__qualname__} has no `queryset`: processes "
            "that never serve it (workers, shells) will not announce its model's changes.",
            hint="Set `queryset` on the consumer (get_queryset() may still narrow it), or "
            "call djangochannelsrestframework.live.announce.watch_model(Model) in an "
            "AppConfig.ready().",
            obj=consumer,
            id="djangochannelsrestframework.W101",
        )
        for consumer in sorted(consumers, key=lambda c: (c.__module__, c.__qualname__))
        if not isinstance(getattr(consumer, "queryset", None), QuerySet)
        and "subscribe_list" in getattr(consumer, "available_actions", {})
    ]
