"""Observers: push Django signals and model changes to the consumers that subscribed.

``@model_observer(Model)`` and ``@observer(signal)`` replace a consumer's async handler
method with an observer; ``await self.<handler>.subscribe(...)`` joins its groups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model

from djangochannelsrestframework.observer.bulk import (
    ObservableManager,
    ObservableQuerySet,
    notify,
)
from djangochannelsrestframework.observer.model_observer import Action, ModelObserver
from djangochannelsrestframework.observer.observer import Observer

__all__ = [
    "observer",
    "model_observer",
    "Observer",
    "ModelObserver",
    "Action",
    "notify",
    "ObservableManager",
    "ObservableQuerySet",
]


def observer(signal: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Observer]:
    """Observe a Django signal; ``kwargs`` go to ``signal.connect`` (e.g. ``sender=``)."""

    def decorator(func: Callable[..., Any]) -> Observer:
        return Observer(func, signal=signal, kwargs=kwargs)

    return decorator


def model_observer(
    model: type[Model], serializer_class: Any = None, many_to_many: bool = False, **kwargs: Any
) -> Callable[[Callable[..., Any]], ModelObserver]:
    """Observe saves and deletes of ``model``; ``kwargs`` may set ``partition=`` or
    ``channel_layer_alias=``."""

    def decorator(func: Callable[..., Any]) -> ModelObserver:
        return ModelObserver(
            func,
            model_cls=model,
            serializer_class=serializer_class,
            many_to_many=many_to_many,
            **kwargs,
        )

    return decorator
