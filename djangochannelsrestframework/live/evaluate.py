"""One evaluation of a live list, in one hop to the database thread: exactly ``list``.

The consumer's own hooks run, as ``list`` runs them (``get_queryset``, ``filter_queryset``,
``paginate_queryset``): one page query plus the paginator's count, or one query for an
unpaginated list, capped at ``MAX_LIVE_LIST_ROWS`` rows. Only rows that are dirty or new to
the list are serialized; the others keep the data the list already holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound

from djangochannelsrestframework.observer.sending import jsonable
from djangochannelsrestframework.settings import api_settings

__all__ = ["Evaluation", "TooManyRows", "evaluate", "LIST_ACTION"]

#: The action name the consumer's hooks see while a live list runs: ``list``'s, so that
#: ``get_queryset``, ``get_serializer_class`` and the paginator behave exactly as for it.
LIST_ACTION = "list"


class TooManyRows(APIException):
    """An unpaginated live list would hold more than ``MAX_LIVE_LIST_ROWS`` rows."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "too_many_rows"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This list has more than {limit} rows, too many to keep live: ask for a page "
            f'(for example "limit": 100) or narrow the query.'
        )


@dataclass
class Evaluation:
    """The list as it is now: its rows in order and the rows serialized this time."""

    order: list[Any]
    serialized: dict[Any, Any]
    wire_pks: dict[Any, Any]
    paginated: bool
    count: Any
    #: What ``list`` replies to the message (only when asked for, for a snapshot).
    reply: Any = None


def evaluate(
    consumer: Any,
    message: dict[str, Any],
    cached: Collection[Any],
    dirty: Collection[Any] | None,
    with_reply: bool,
) -> Evaluation:
    """Run the list for ``consumer`` and serialize the rows that are ``dirty`` (``None``:
    all) or not ``cached``."""
    kwargs = {**message, "action": LIST_ACTION}
    queryset = consumer.filter_queryset(consumer.get_queryset(**kwargs), **kwargs)
    if not isinstance(queryset, QuerySet):
        raise ImproperlyConfigured(
            f"'{type(consumer).__name__}' is a live-list consumer: `get_queryset()` must "
            "return a QuerySet."
        )
    paginate = getattr(consumer, "paginate_queryset", None)
    count = None
    try:
        page = paginate(queryset, **kwargs) if paginate is not None else None
    except NotFound:
        if with_reply:
            raise  # ``list`` answers 404 too
        # A DRF page number past the end after rows were deleted: the window is empty.
        page, count = [], queryset.count()
    paginated = page is not None
    if page is None:
        limit = api_settings.MAX_LIVE_LIST_ROWS
        page = list(queryset if limit is None else queryset[: limit + 1])
        if limit is not None and len(page) > limit:
            raise TooManyRows(limit)
    elif count is None:
        count = _count(consumer)
    order = [obj.pk for obj in page]
    fresh = [obj for obj in page if dirty is None or obj.pk in dirty or obj.pk not in cached]
    data = consumer.get_serializer(instance=fresh, many=True, action_kwargs=kwargs).data
    serialized = {obj.pk: row for obj, row in zip(fresh, jsonable(list(data)), strict=True)}
    wire_pks = dict(zip(order, jsonable(order), strict=True))
    reply = None
    if with_reply:
        rows = [serialized[pk] for pk in order]
        reply = consumer.get_paginated_response(rows) if paginated else rows
        reply = jsonable(reply)
    return Evaluation(order, serialized, wire_pks, paginated, count, reply)


def _count(consumer: Any) -> Any:
    """The page's ``count`` as the paginator reports it (``None`` if it reports none)."""
    try:
        response = consumer.get_paginated_response([])
    except Exception:
        response = None
    if isinstance(response, Mapping) and "count" in response:
        return response["count"]
    return None
