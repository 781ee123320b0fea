"""Consumers used by the tests."""

from django.contrib.auth import get_user_model

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    DeleteModelMixin,
    ListModelMixin,
    PatchModelMixin,
    RetrieveModelMixin,
    UpdateModelMixin,
)
from tests.app.models import Note
from tests.app.serializers import NoteSerializer, UserSerializer


class UserConsumer(
    ListModelMixin,
    RetrieveModelMixin,
    PatchModelMixin,
    UpdateModelMixin,
    CreateModelMixin,
    DeleteModelMixin,
    GenericAsyncAPIConsumer,
):
    """The canonical 1.3 example, unchanged."""

    queryset = get_user_model().objects.all()
    serializer_class = UserSerializer


class NoteConsumer(
    ListModelMixin,
    RetrieveModelMixin,
    PatchModelMixin,
    UpdateModelMixin,
    CreateModelMixin,
    DeleteModelMixin,
    GenericAsyncAPIConsumer,
):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer


# Lists, pagination, streams and filters (tests/test_pagination.py, tests/test_filters.py).

from django_filters.rest_framework import DjangoFilterBackend  # noqa: E402
from rest_framework.filters import OrderingFilter, SearchFilter  # noqa: E402

from djangochannelsrestframework.mixins import (  # noqa: E402
    PaginatedModelListMixin,
    StreamedPaginatedListMixin,
)
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination  # noqa: E402
from tests.app.models import Book  # noqa: E402
from tests.app.serializers import BookSerializer, NestedBookSerializer  # noqa: E402


class TwoPerPage(WebsocketLimitOffsetPagination):
    default_limit = 2


class BookListConsumer(PaginatedModelListMixin, RetrieveModelMixin, GenericAsyncAPIConsumer):
    """Pages of books with author and genres nested, read without N+1 queries."""

    serializer_class = NestedBookSerializer
    pagination_class = TwoPerPage

    def get_queryset(self, **kwargs):
        return Book.objects.select_related("author").prefetch_related("genres")


class BookStreamConsumer(StreamedPaginatedListMixin, RetrieveModelMixin, GenericAsyncAPIConsumer):
    """Streams every page of books, two per page."""

    queryset = Book.objects.all()
    serializer_class = BookSerializer
    pagination_class = TwoPerPage


class BookSearchConsumer(
    PaginatedModelListMixin,
    RetrieveModelMixin,
    PatchModelMixin,
    GenericAsyncAPIConsumer,
):
    """Search, ordering and django-filter fields, as on a DRF ``ListAPIView``."""

    queryset = Book.objects.all()
    serializer_class = BookSerializer
    filter_backends = (DjangoFilterBackend, SearchFilter, OrderingFilter)
    filterset_fields = ["author", "year"]
    search_fields = ["title", "author__name"]
    ordering_fields = ["title", "year", "id"]


# Observer consumers live in their own module; importing it here makes the start-up
# discovery of ``<app>.consumers`` connect them, as it would in a project.
# Database threads for read actions (tests/test_read_threads.py).
import threading  # noqa: E402

from djangochannelsrestframework.decorators import action  # noqa: E402
from tests.app import live_consumers, observer_consumers  # noqa: E402, F401

#: (action, thread name) for every ``get_queryset`` call of ``ThreadRecordingNoteConsumer``.
THREADS_SEEN: list[tuple[str, str]] = []
#: ``blocked_read`` sets this when it starts, then waits for ``READ_GATE`` before it queries.
READ_STARTED = threading.Event()
READ_GATE = threading.Event()


class ThreadRecordingNoteConsumer(NoteConsumer):
    """Notes, recording which thread runs each action's queries; ``blocked_read`` is a read
    that takes as long as the test wants (a slow query)."""

    def get_queryset(self, **kwargs):
        THREADS_SEEN.append((kwargs.get("action"), threading.current_thread().name))
        return super().get_queryset(**kwargs)

    @action(read_only=True)
    def blocked_read(self, **kwargs):
        READ_STARTED.set()
        READ_GATE.wait(60)
        return list(self.get_queryset(**kwargs).values_list("pk", flat=True)), 200
