"""The CRUD actions, one per mixin; combine them with ``GenericAsyncAPIConsumer``.

Each action is a sync ``@action()``: its queries and serializer work run in one hop to the
database thread. Write actions run in a transaction (setting ``ATOMIC_WRITES``), so a
failure part-way through leaves nothing half-written.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.db import transaction
from rest_framework import status

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.settings import api_settings

__all__ = [
    "CreateModelMixin",
    "ListModelMixin",
    "RetrieveModelMixin",
    "UpdateModelMixin",
    "PatchModelMixin",
    "DeleteModelMixin",
    "action",
    "api_settings",
    "AsyncAPIConsumer",
    "status",
]


def write_transaction(consumer: Any, **kwargs: Any) -> AbstractContextManager[Any]:
    """A transaction on the consumer's database for one write action (or no-op if disabled)."""
    if not api_settings.ATOMIC_WRITES:
        return nullcontext()
    return transaction.atomic(using=consumer.get_queryset(**kwargs).db)


class CreateModelMixin:
    """``create``: validate ``data`` and save a new instance; replies 201 with it."""

    @action()
    def create(self, data: dict[str, Any], **kwargs: Any) -> tuple[Any, int]:
        serializer = self.get_serializer(data=data, action_kwargs=kwargs)
        serializer.is_valid(raise_exception=True)
        with write_transaction(self, **kwargs):
            self.perform_create(serializer, **kwargs)
        return serializer.data, status.HTTP_201_CREATED

    def perform_create(self, serializer: Any, **kwargs: Any) -> None:
        """Save the new instance; override to add fields such as the owner."""
        serializer.save()


class ListModelMixin:
    """``list``: every instance of the filtered queryset; replies 200 with a list."""

    @action()
    def list(self, **kwargs: Any) -> tuple[Any, int]:
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        serializer = self.get_serializer(instance=queryset, many=True, action_kwargs=kwargs)
        return serializer.data, status.HTTP_200_OK


class RetrieveModelMixin:
    """``retrieve``: the instance named by the lookup key; replies 200 or 404."""

    @action()
    def retrieve(self, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(**kwargs)
        serializer = self.get_serializer(instance=instance, action_kwargs=kwargs)
        return serializer.data, status.HTTP_200_OK


class _SaveInstanceMixin:
    """Shared body of ``update`` and ``patch``: they differ in partiality and hook only."""

    def _save_instance(
        self, data: Any, partial: bool, perform: Any, /, **kwargs: Any
    ) -> tuple[Any, int]:
        # Positional-only, so that message keys named "partial" or "perform" stay in kwargs.
        with write_transaction(self, **kwargs):
            instance = self.get_object(data=data, **kwargs)
            serializer = self.get_serializer(
                instance=instance, data=data, partial=partial, action_kwargs=kwargs
            )
            serializer.is_valid(raise_exception=True)
            perform(serializer, **kwargs)
        if getattr(instance, "_prefetched_objects_cache", None):
            # Prefetched relations are stale after the save; forget them, as DRF does.
            instance._prefetched_objects_cache = {}
        return serializer.data, status.HTTP_200_OK


class UpdateModelMixin(_SaveInstanceMixin):
    """``update``: replace the instance with ``data`` (required fields must be present)."""

    @action()
    def update(self, data: dict[str, Any], **kwargs: Any) -> tuple[Any, int]:
        return self._save_instance(data, False, self.perform_update, **kwargs)

    def perform_update(self, serializer: Any, **kwargs: Any) -> None:
        serializer.save()


class PatchModelMixin(_SaveInstanceMixin):
    """``patch``: change only the fields present in ``data``."""

    @action()
    def patch(self, data: dict[str, Any], **kwargs: Any) -> tuple[Any, int]:
        return self._save_instance(data, True, self.perform_patch, **kwargs)

    def perform_patch(self, serializer: Any, **kwargs: Any) -> None:
        serializer.save()


class DeleteModelMixin:
    """``delete``: remove the instance; replies 204 with ``data: null``."""

    @action()
    def delete(self, **kwargs: Any) -> tuple[None, int]:
        with write_transaction(self, **kwargs):
            instance = self.get_object(**kwargs)
            self.perform_delete(instance, **kwargs)
        return None, status.HTTP_204_NO_CONTENT

    def perform_delete(self, instance: Any, **kwargs: Any) -> None:
        instance.delete()
