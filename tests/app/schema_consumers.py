"""A consumer for the schema tests: a custom action, a paginated (live) list and a model
observer, described without hand-written schema; and one whose hooks declare the rest."""

from rest_framework import serializers
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.pagination import PageNumberPagination

from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    LiveListMixin,
    PaginatedModelListMixin,
    RetrieveModelMixin,
)
from djangochannelsrestframework.observer import model_observer
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination
from djangochannelsrestframework.schema import event_schema
from tests.app.models import Book, Comment
from tests.app.serializers import BookSerializer


class ThreePerPage(WebsocketLimitOffsetPagination):
    default_limit = 3


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "user", "text"]


class LibraryConsumer(
    LiveListMixin, PaginatedModelListMixin, RetrieveModelMixin, GenericAsyncAPIConsumer
):
    """Books, three per page, searchable; ``rename`` and live comments."""

    queryset = Book.objects.order_by("id")
    serializer_class = BookSerializer
    pagination_class = ThreePerPage
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["title"]
    ordering_fields = ["title", "year"]

    @action()
    def rename(self, pk: int, title: str, dry_run: bool = False, **kwargs):
        """Give a book a new title; ``dry_run`` checks without saving."""
        book = self.get_object(pk=pk, **kwargs)
        book.title = title
        if not dry_run:
            book.save(update_fields=["title"])
        return self.get_serializer(instance=book, action_kwargs=kwargs).data, 200

    @model_observer(Comment, serializer_class=CommentSerializer)
    async def comments(self, message, action, subscribing_request_ids=(), **kwargs):
        """A comment was written, edited or deleted."""
        for request_id in subscribing_request_ids:
            await self.reply(action=action, data=message, request_id=request_id)

    @action()
    async def watch_comments(self, request_id=None, **kwargs):
        """Receive every change to comments."""
        await self.comments.subscribe(request_id=request_id)
        return None, 201


class Ranking(serializers.Serializer):
    """Where a book stands."""

    book = serializers.IntegerField()
    rank = serializers.IntegerField(min_value=1)


class RankQuery(serializers.Serializer):
    genre = serializers.CharField(help_text="Rank within this genre.")
    top = serializers.IntegerField(required=False, default=10, max_value=100)


class TwoPerPage(PageNumberPagination):
    page_size = 2


class DeclaredConsumer(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    """Pages of a DRF paginator; hooks declare what introspection cannot see."""

    queryset = Book.objects.order_by("id")
    serializer_class = BookSerializer
    pagination_class = TwoPerPage

    @action(request_schema=RankQuery, reply_schema=Ranking(many=True), reply_status=200)
    async def ranking(self, **kwargs):
        """The best books of a genre."""
        return [], 200

    @event_schema(
        {"type": "object", "properties": {"pk": {"type": "integer"}}},
        frame={
            "type": "object",
            "properties": {"title_changed": {"type": "object"}},
            "required": ["title_changed"],
        },
        description="A book's title changed.",
    )
    @model_observer(Book)
    async def book_titles(self, message, action, **kwargs):
        await self.send_json({"title_changed": message})

    @book_titles.serializer
    def book_titles(self, instance, action, **kwargs):
        return {"pk": instance.pk}

    @action(subscribes=["book_titles"])
    async def follow(self, request_id=None, **kwargs):
        await self.book_titles.subscribe(request_id=request_id)
        return None, 201
