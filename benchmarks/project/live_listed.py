"""``subscribe_list`` on User: ten distinct lists, one per ``last_name`` group (ours only).

A page of 20 users of one group (``{"query": {"group": "g3"}, "limit": 20}``), ordered by
id. Kept apart from ``consumers`` because defining it watches User for live lists, which
would tax every other workload. The Redis stage's live workload
(``benchmarks/redis_fanout.py --observer live``) serves it and its worker imports it, so
that the worker's saves are announced.
"""

from typing import Any

from django.contrib.auth.models import User
from rest_framework.filters import BaseFilterBackend

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import LiveListMixin, PaginatedModelListMixin
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination
from project.serializers import UserSerializer

#: The distinct lists: users are spread over them by ``last_name``.
GROUPS = [f"g{n}" for n in range(10)]


class TwentyPerPage(WebsocketLimitOffsetPagination):
    default_limit = 20


class GroupFilter(BaseFilterBackend):
    """``?group=g3``: the users whose ``last_name`` is that group."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        group = request.query_params.get("group")
        return queryset.filter(last_name=group) if group else queryset


class LiveUsersConsumer(LiveListMixin, PaginatedModelListMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    pagination_class = TwentyPerPage
    filter_backends = [GroupFilter]
    live_list_user_independent = True
