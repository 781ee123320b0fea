"""Filter backends for consumers: DRF's ``filter_backends`` fed from the message's ``query``.

A message carries its query parameters in one key, ``query``, the WebSocket counterpart of
a URL's query string::

    {"action": "list", "query": {"search": "ada", "ordering": "-id", "author": 3}}

DRF filter backends (``SearchFilter``, ``OrderingFilter``, django-filter's
``DjangoFilterBackend``, your own ``BaseFilterBackend`` subclasses) read
``request.query_params``; this module builds a DRF request whose query parameters are that
object, so the backends run unchanged. django-filter stays optional: nothing here imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from djangochannelsrestframework.exceptions import InvalidMessage
from djangochannelsrestframework.limits import check_filter_request, check_query
from djangochannelsrestframework.protocol import QUERY_KEY
from djangochannelsrestframework.scope_utils import MessageRequest, request_for_message

__all__ = ["QUERY_KEY", "MessageRequest", "query_params", "request_for_message", "filter_queryset"]

_SCALARS = (str, int, float, bool)


def _query_value(key: str, value: Any) -> str:
    """One query-string value as text, the way it would arrive over HTTP."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _SCALARS):
        return str(value)
    raise InvalidMessage(
        f'"{QUERY_KEY}.{key}" must be a string, a number, a boolean or a list of those.'
    )


def query_params(kwargs: Mapping[str, Any], key: str = QUERY_KEY) -> QueryDict:
    """The message's ``query`` object as a ``QueryDict`` of strings.

    Values are turned into the text a browser would send (``true``/``false`` for
    booleans), lists become repeated parameters and ``null`` means "absent". Anything else
    is a client mistake answered with a 400, so backends never see values they cannot parse;
    so is a ``query`` beyond the bounds of ``limits.check_query``.
    """
    raw = kwargs.get(key)
    params = QueryDict(mutable=True)
    if raw is None:
        return params
    if not isinstance(raw, Mapping):
        raise InvalidMessage(f'"{key}" must be an object of query parameters.')
    check_query(raw, key)
    for name, value in raw.items():
        if value is None:
            continue
        if isinstance(value, list):
            params.setlist(name, [_query_value(name, item) for item in value if item is not None])
        else:
            params[name] = _query_value(name, value)
    return params


def filter_queryset(
    view: Any, queryset: QuerySet[Any], backends: Iterable[type], /, **kwargs: Any
) -> QuerySet[Any]:
    """Run ``queryset`` through each backend, as DRF's ``GenericAPIView.filter_queryset``.

    Backends receive ``view`` (the consumer) so that attributes such as ``search_fields``,
    ``ordering_fields``, ``filterset_fields`` and ``filterset_class`` are read from it.
    Invalid filter values raise DRF's ``ValidationError`` (a 400 reply with the errors);
    too many search terms or ordering fields (``limits.check_filter_request``) a 400 too.
    """
    backends = list(backends)
    if not backends:
        return queryset
    request = request_for_message(view.scope, query_params(kwargs))
    for backend_class in backends:
        backend = backend_class()
        check_filter_request(backend, request)
        queryset = backend.filter_queryset(request, queryset, view)
    return queryset
