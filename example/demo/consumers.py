"""The demo's users API: every CRUD action on Django's users over one WebSocket, lists that
page, search and order, live lists (``subscribe_list``) and live updates of the users a
client subscribes to."""

from django.contrib.auth.models import User
from rest_framework.filters import OrderingFilter, SearchFilter

from demo.serializers import UserSerializer
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    DeleteModelMixin,
    LiveListMixin,
    PaginatedModelListMixin,
    PatchModelMixin,
    RetrieveModelMixin,
    UpdateModelMixin,
)
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination


class UserPagination(WebsocketLimitOffsetPagination):
    """Pages only when the client sends ``limit`` (so a bare ``list`` is the 1.3 list)."""

    default_limit = None
    max_limit = 100


class UserConsumer(
    LiveListMixin,
    ObserverModelInstanceMixin,
    PaginatedModelListMixin,
    RetrieveModelMixin,
    PatchModelMixin,
    UpdateModelMixin,
    CreateModelMixin,
    DeleteModelMixin,
    GenericAsyncAPIConsumer,
):
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    pagination_class = UserPagination
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["username", "email"]
    ordering_fields = ["id", "username", "email"]
    ordering = ["id"]
    # Every user sees the same users: subscribers with equal messages share one live list.
    live_list_user_independent = True
