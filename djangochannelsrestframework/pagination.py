"""Pagination for list actions: ``WebsocketLimitOffsetPagination`` and DRF paginators.

``WebsocketLimitOffsetPagination`` is the 1.3 paginator: it reads ``limit`` and ``offset``
from the message's top-level keys and replies ``{"count", "results", "limit", "offset"}``.
Any DRF paginator (``PageNumberPagination``, ``LimitOffsetPagination``,
``CursorPagination`` and subclasses) also works as a consumer's ``pagination_class``: it
reads its parameters from the message's ``query`` object, exactly as it would read them
from a URL's query string, and replies with its usual ``get_paginated_response`` data.
"""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
from typing import Any, cast
from urllib.parse import urlsplit

from django.http import QueryDict
from rest_framework.pagination import LimitOffsetPagination, _positive_int

from djangochannelsrestframework.limits import check_database_integer
from djangochannelsrestframework.protocol import QUERY_KEY
from djangochannelsrestframework.settings import SettingDefault

__all__ = [
    "WebsocketLimitOffsetPagination",
    "_positive_int",
    "takes_scope",
    "query_from_link",
    "api_settings",
    "LimitOffsetPagination",
]


def _whole_number(value: Any) -> int | str:
    """Accept what a client means as a whole number: an int or its decimal text.

    Booleans, floats, ``null``, objects and lists are refused (``ValueError``) instead of
    being coerced as ``int()`` would (``int(True) == 1``, ``int(2.7) == 2``).
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not a whole number.")
    return value


def takes_scope(paginator: Any) -> bool:
    """Whether ``paginator`` uses the 1.3 signature ``paginate_queryset(queryset, scope, ...)``
    rather than DRF's ``paginate_queryset(queryset, request, view)``."""
    paginator_class: Any = type(paginator)
    return _takes_scope(paginator_class)


@functools.cache
def _takes_scope(paginator_class: Any) -> bool:
    # Once per class: reading a signature costs more than a small page query.
    return "scope" in inspect.signature(paginator_class.paginate_queryset).parameters


def query_from_link(link: str) -> dict[str, Any]:
    """The ``query`` object to send for a DRF paginator's ``next``/``previous`` link."""
    params = QueryDict(urlsplit(link).query)
    return {key: values[0] if len(values) == 1 else values for key, values in params.lists()}


class WebsocketLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset pages over a socket, with the 1.3 message keys and reply shape.

    ``default_limit`` is the ``PAGE_SIZE`` setting (read when used); set ``max_limit`` to
    cap what a client may ask for. A missing or malformed ``limit`` (not a positive whole
    number) falls back to ``default_limit``, a malformed ``offset`` to 0, as DRF does for
    query strings; with no limit at all the list is not paginated. A ``limit`` or
    ``offset`` beyond 64 bits, which no database can take, is a 400.
    """

    default_limit: Any = SettingDefault("PAGE_SIZE")

    def paginate_queryset(
        self, queryset: Any, scope: dict[str, Any], view: Any = None, **kwargs: Any
    ) -> list[Any] | None:
        """The rows of the requested page, or ``None`` when there is no limit to page by."""
        self.scope = scope
        self.request = None
        self.limit = self.get_limit(**kwargs)
        if self.limit is None:
            return None
        self.offset = self.get_offset(**kwargs)
        self.count = self.get_count(queryset)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        if self.count == 0 or self.offset > self.count:
            return []
        return list(queryset[self.offset : self.offset + self.limit])

    def get_parameter(self, name: str, **kwargs: Any) -> Any:
        """A paging parameter: the top-level key (1.3), else the same key in ``query``."""
        value = kwargs.get(name)
        if value is None:
            query = kwargs.get(QUERY_KEY)
            if isinstance(query, dict):
                value = query.get(name)
        return value

    def get_limit(self, **kwargs: Any) -> int | None:
        default = self.default_limit
        if default is not None and self.max_limit:
            default = min(default, self.max_limit)
        value = self.get_parameter(self.limit_query_param, **kwargs)
        if value is None:
            return cast("int | None", default)
        try:
            limit = _positive_int(str(_whole_number(value)), strict=True, cutoff=self.max_limit)
        except ValueError:
            return cast("int | None", default)
        return check_database_integer(self.limit_query_param, limit)

    def get_offset(self, **kwargs: Any) -> int:
        value = self.get_parameter(self.offset_query_param, **kwargs)
        if value is None:
            return 0
        try:
            offset = _positive_int(str(_whole_number(value)))
        except ValueError:
            return 0
        return check_database_integer(self.offset_query_param, offset)

    def get_paginated_response(self, data: Any) -> OrderedDict[str, Any]:
        """The page as ``{"count", "results", "limit", "offset"}`` (1.3 key order)."""
        return OrderedDict(
            [
                ("count", self.count),
                ("results", data),
                ("limit", self.limit),
                ("offset", self.offset),
            ]
        )


# ---- 1.3 import surface: names 1.3 users import from this module; not used here ----------
from djangochannelsrestframework.settings import api_settings  # noqa: E402
