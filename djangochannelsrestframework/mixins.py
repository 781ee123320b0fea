"""The CRUD actions, one per mixin; combine them with ``GenericAsyncAPIConsumer``.

Each action is a sync ``@action()``: its queries and serializer work run in one hop to the
database thread. Write actions run in a transaction (setting ``ATOMIC_WRITES``), so a
failure part-way through leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import builtins
import weakref
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from rest_framework import status
from rest_framework.response import Response

from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.filters import query_params
from djangochannelsrestframework.generics import write_database
from djangochannelsrestframework.live.mixins import LiveListMixin
from djangochannelsrestframework.pagination import query_from_link, takes_scope
from djangochannelsrestframework.protocol import QUERY_KEY
from djangochannelsrestframework.scope_utils import request_for_message
from djangochannelsrestframework.settings import SettingDefault, api_settings

if TYPE_CHECKING:
    from djangochannelsrestframework.generics import GenericAsyncAPIConsumer

    # The mixins call the hooks of the consumer they are combined with; to the type checker
    # they are consumers. At run time they stay plain classes, so the MRO is unchanged.
    _ConsumerBase = GenericAsyncAPIConsumer
else:
    _ConsumerBase = object

__all__ = [
    "CreateModelMixin",
    "ListModelMixin",
    "RetrieveModelMixin",
    "UpdateModelMixin",
    "PatchModelMixin",
    "DeleteModelMixin",
    "PaginatedModelListMixin",
    "StreamedPaginatedListMixin",
    "LiveListMixin",
    "action",
    "api_settings",
    "AsyncAPIConsumer",
    "status",
]


def write_transaction(consumer: Any, **kwargs: Any) -> AbstractContextManager[Any]:
    """A transaction on the consumer's database for one write action (or no-op if disabled)."""
    if not api_settings.ATOMIC_WRITES:
        return nullcontext()
    try:
        queryset = consumer.get_queryset(**kwargs)
        using = write_database(queryset) if isinstance(queryset, QuerySet) else None
    except ImproperlyConfigured:
        # A create-only consumer needs no queryset (as in 1.3): use the default database.
        using = None
    return transaction.atomic(using=using)


class CreateModelMixin(_ConsumerBase):
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


class ListModelMixin(_ConsumerBase):
    """``list``: every instance of the filtered queryset; replies 200 with a list."""

    @action(read_only=True)
    def list(self, **kwargs: Any) -> tuple[Any, int]:
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        serializer = self.get_serializer(instance=queryset, many=True, action_kwargs=kwargs)
        return serializer.data, status.HTTP_200_OK


class RetrieveModelMixin(_ConsumerBase):
    """``retrieve``: the instance named by the lookup key; replies 200 or 404."""

    @action(read_only=True)
    def retrieve(self, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(**kwargs)
        serializer = self.get_serializer(instance=instance, action_kwargs=kwargs)
        return serializer.data, status.HTTP_200_OK


class _SaveInstanceMixin(_ConsumerBase):
    """Shared body of ``update`` and ``patch``: they differ in partiality and hook only."""

    def _save_instance(
        self, data: Any, partial: bool, perform: Any, /, **kwargs: Any
    ) -> tuple[Any, int]:
        # Positional-only, so that message keys named "partial" or "perform" stay in kwargs.
        with write_transaction(self, **kwargs):
            # Any: the prefetch cache below is a Django internal that Model does not declare.
            instance: Any = self.get_object(data=data, **kwargs)
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


class DeleteModelMixin(_ConsumerBase):
    """``delete``: remove the instance; replies 204 with ``data: null``."""

    @action()
    def delete(self, **kwargs: Any) -> tuple[None, int]:
        with write_transaction(self, **kwargs):
            instance = self.get_object(**kwargs)
            self.perform_delete(instance, **kwargs)
        return None, status.HTTP_204_NO_CONTENT

    def perform_delete(self, instance: Any, **kwargs: Any) -> None:
        instance.delete()


class PaginatedModelListMixin(ListModelMixin):
    """``list`` in pages of ``pagination_class`` (default: ``DEFAULT_PAGINATION_CLASS``).

    With ``WebsocketLimitOffsetPagination`` the client sends top-level ``limit``/``offset``;
    with a DRF paginator it sends that paginator's parameters in ``query``. Without a
    paginator (or without a page size) the whole list is returned, as ``ListModelMixin``.
    """

    pagination_class: Any = SettingDefault("DEFAULT_PAGINATION_CLASS")

    @action(read_only=True)
    def list(self, **kwargs: Any) -> tuple[Any, int]:
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        page = self.paginate_queryset(queryset, **kwargs)
        if page is None:
            serializer = self.get_serializer(instance=queryset, many=True, action_kwargs=kwargs)
            return serializer.data, status.HTTP_200_OK
        serializer = self.get_serializer(instance=page, many=True, action_kwargs=kwargs)
        return self.get_paginated_response(serializer.data), status.HTTP_200_OK

    @property
    def paginator(self) -> Any:
        """The paginator instance of this connection, or ``None`` without ``pagination_class``."""
        if not hasattr(self, "_paginator"):
            pagination_class = self.pagination_class
            self._paginator = None if pagination_class is None else pagination_class()
        return self._paginator

    def paginate_queryset(self, queryset: Any, **kwargs: Any) -> builtins.list[Any] | None:
        """The rows of the requested page, or ``None`` if the list is not paginated.

        Unordered querysets are ordered by primary key first, so that pages never overlap.
        """
        paginator = self.paginator
        if paginator is None:
            return None
        if isinstance(queryset, QuerySet) and not queryset.ordered:
            queryset = queryset.order_by("pk")
        if takes_scope(paginator):
            # A message key named "view" must not collide with the paginator's argument.
            message = {key: value for key, value in kwargs.items() if key != "view"}
            return cast(
                "list[Any] | None",
                paginator.paginate_queryset(queryset, self.scope, view=self, **message),
            )
        request = request_for_message(self.scope, query_params(kwargs))
        return cast("list[Any] | None", paginator.paginate_queryset(queryset, request, view=self))

    def get_paginated_response(self, data: Any) -> Any:
        """The reply data for one page: the paginator's response data."""
        if self.paginator is None:
            raise ImproperlyConfigured(
                f"'{type(self).__name__}' has no paginator: set `pagination_class`."
            )
        response = self.paginator.get_paginated_response(data)
        return response.data if isinstance(response, Response) else response


class StreamedPaginatedListMixin(PaginatedModelListMixin):
    """``list`` that sends every page, one reply each, until the last; ``list_cancel`` stops.

    Pages are read one at a time, so a stream's memory is bounded by the page size. The
    last page is the one where ``offset + limit >= count`` (``WebsocketLimitOffsetPagination``)
    or whose ``next`` is ``null`` (DRF paginators).
    """

    #: Seconds to wait before each page (also the first), letting other messages through.
    sleep_time_between_pages: float = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stream_request_ids: weakref.WeakKeyDictionary[asyncio.Task[Any], Any] = (
            weakref.WeakKeyDictionary()
        )

    @action()
    async def list(self, action: str, request_id: Any, **kwargs: Any) -> None:
        """Start the stream in the background; the pages are its replies."""
        task = self.start_detached_task(
            "list", self.stream_pages(action=action, request_id=request_id, **kwargs)
        )
        self._stream_request_ids[task] = request_id

    async def stream_pages(self, action: str, request_id: Any, **kwargs: Any) -> None:
        """Reply with each page in turn; an error ends the stream with one error reply."""
        await self.finalize(action, request_id, self._send_pages(action, request_id, kwargs))

    async def _send_pages(self, action: str, request_id: Any, kwargs: dict[str, Any]) -> None:
        page_kwargs: dict[str, Any] | None = kwargs
        while page_kwargs is not None:
            await asyncio.sleep(self.sleep_time_between_pages)
            data, status_code = await super().list(
                action=action, request_id=request_id, **page_kwargs
            )
            await self.reply(action=action, data=data, status=status_code, request_id=request_id)
            page_kwargs = self.get_next_page_kwargs(data, **page_kwargs)

    def get_next_page_kwargs(self, data: Any, /, **kwargs: Any) -> dict[str, Any] | None:
        """The message keys for the page after ``data``, or ``None`` if it was the last.

        Override this for a paginator whose replies are neither 1.3-shaped
        (``count``/``limit``/``offset``) nor DRF-shaped (``next``).
        """
        if not isinstance(data, Mapping):
            return None
        if "next" in data:
            link = data["next"]
            return {**kwargs, QUERY_KEY: query_from_link(link)} if link else None
        if {"count", "limit", "offset"} <= data.keys():
            limit, offset = data["limit"], data["offset"]
            if not limit or offset + limit >= data["count"]:
                return None
            return {**kwargs, "limit": limit, "offset": offset + limit}
        return None

    @action()
    async def list_cancel(self, action: str, request_id: Any, **kwargs: Any) -> tuple[None, int]:
        """Stop this connection's streams; with ``stream_request_id``, only that stream.

        Replies once the streams have ended, so no page arrives after this reply.
        """
        if "stream_request_id" not in kwargs:
            await self.cancel_detached_tasks("list")
            return None, status.HTTP_200_OK
        target = kwargs["stream_request_id"]
        missing = object()
        for task in list(self.detached_tasks.get("list", ())):
            if self._stream_request_ids.get(task, missing) == target:
                task.cancel()
                await self.handle_detached_task_completion("list", task)
        return None, status.HTTP_200_OK


# ---- 1.3 import surface: names 1.3 users import from this module; not used here ----------
from djangochannelsrestframework.consumers import AsyncAPIConsumer  # noqa: E402
