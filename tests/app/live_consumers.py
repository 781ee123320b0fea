"""Live-list consumers for tests/test_live_lists.py and tests/test_live_oracle.py."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.throttling import AnonRateThrottle

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    ListModelMixin,
    LiveListMixin,
    PaginatedModelListMixin,
)
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination
from djangochannelsrestframework.permissions import IsAuthenticated
from tests.app.models import LiveItem, LiveTag
from tests.app.serializers import LiveItemSerializer


class TwoPerPage(PageNumberPagination):
    page_size = 2


class LiveItemConsumer(
    LiveListMixin, PaginatedModelListMixin, CreateModelMixin, GenericAsyncAPIConsumer
):
    """Pages (limit/offset) of items with search, ordering and a ``team`` filter."""

    queryset = LiveItem.objects.select_related("tag")
    serializer_class = LiveItemSerializer
    pagination_class = WebsocketLimitOffsetPagination
    filter_backends = (DjangoFilterBackend, SearchFilter, OrderingFilter)
    filterset_fields = ["team"]
    search_fields = ["name"]
    ordering_fields = ["score", "name", "id"]
    live_list_user_independent = True
    live_list_dependencies = (LiveTag,)


class UnpaginatedLiveItemConsumer(LiveListMixin, ListModelMixin, GenericAsyncAPIConsumer):
    """The whole (filtered) list, without pages."""

    queryset = LiveItem.objects.select_related("tag")
    serializer_class = LiveItemSerializer
    filter_backends = (DjangoFilterBackend, OrderingFilter)
    filterset_fields = ["team"]
    ordering_fields = ["score", "name", "id"]
    live_list_dependencies = (LiveTag,)


class OwnLiveItemConsumer(LiveListMixin, PaginatedModelListMixin, GenericAsyncAPIConsumer):
    """Each user sees only their own items (``get_queryset`` reads the user)."""

    queryset = LiveItem.objects.all()
    serializer_class = LiveItemSerializer
    pagination_class = WebsocketLimitOffsetPagination
    permission_classes = [IsAuthenticated]
    filter_backends = (OrderingFilter,)
    ordering_fields = ["score", "id"]
    live_list_dependencies = (LiveTag,)

    def get_queryset(self, **kwargs):
        return LiveItem.objects.select_related("tag").filter(owner=self.scope["user"])


class PagedLiveItemConsumer(LiveListMixin, PaginatedModelListMixin, GenericAsyncAPIConsumer):
    """DRF's ``PageNumberPagination`` (two a page), parameters in ``query``."""

    queryset = LiveItem.objects.select_related("tag")
    serializer_class = LiveItemSerializer
    pagination_class = TwoPerPage
    live_list_user_independent = True


class TwoPerMinute(AnonRateThrottle):
    rate = "2/min"


class ThrottledLiveItemConsumer(LiveItemConsumer):
    """At most two actions a minute per client."""

    throttle_classes = [TwoPerMinute]
