"""Paginated and streamed lists: the 1.3 limit/offset paginator, DRF paginators, streams."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.pagination import CursorPagination, LimitOffsetPagination, PageNumberPagination

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import PaginatedModelListMixin, StreamedPaginatedListMixin
from djangochannelsrestframework.pagination import (
    WebsocketLimitOffsetPagination,
    _positive_int,
    query_from_link,
)
from tests.app.consumers import BookListConsumer, BookStreamConsumer
from tests.app.models import Author, Book, Genre
from tests.app.serializers import BookSerializer
from tests.helpers import ask, connect

pytestmark = pytest.mark.django_db(transaction=True)


class OnePerPage(WebsocketLimitOffsetPagination):
    default_limit = 1


class BookConsumer(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    pagination_class = OnePerPage


def make_books(count, title="book"):
    author = Author.objects.create(name="ann")
    return Book.objects.bulk_create(
        Book(title=f"{title}{i}", year=2000 + i, author=author) for i in range(count)
    )


def book(row):
    return {"id": row.pk, "title": row.title, "year": row.year, "author": row.author_id}


# WebsocketLimitOffsetPagination --------------------------------------------------------------


async def test_offset_pages_have_the_1_3_shape():
    """Each offset gives one page ``{"count", "results", "limit", "offset"}``, in that order."""
    rows = await database_sync_to_async(make_books)(2)
    client = await connect(BookConsumer.as_asgi())
    first = await ask(client, action="list")
    assert first == {
        "action": "list",
        "errors": [],
        "response_status": 200,
        "request_id": 1,
        "data": {"count": 2, "results": [book(rows[0])], "limit": 1, "offset": 0},
    }
    assert list(first["data"]) == ["count", "results", "limit", "offset"]
    assert (await ask(client, action="list", offset=1))["data"]["results"] == [book(rows[1])]
    past_end = await ask(client, action="list", offset=2)
    assert past_end["data"] == {"count": 2, "results": [], "limit": 1, "offset": 2}
    await client.disconnect()


async def test_an_empty_table_is_one_empty_page():
    """An empty table gives ``count`` 0 and no results."""
    client = await connect(BookConsumer.as_asgi())
    reply = await ask(client, action="list")
    assert reply["data"] == {"count": 0, "results": [], "limit": 1, "offset": 0}
    await client.disconnect()


async def test_the_client_chooses_the_limit():
    """``limit`` sets the page size; a numeric string is accepted, as in a query string."""
    await database_sync_to_async(make_books)(5)
    client = await connect(BookConsumer.as_asgi())
    assert len((await ask(client, action="list", limit=3))["data"]["results"]) == 3
    assert (await ask(client, action="list", limit="4", offset="1"))["data"]["limit"] == 4
    await client.disconnect()


async def test_paging_keys_may_also_be_sent_in_query():
    """``limit``/``offset`` inside ``query`` work too; top-level keys win."""
    await database_sync_to_async(make_books)(5)
    client = await connect(BookConsumer.as_asgi())
    data = (await ask(client, action="list", query={"limit": 2, "offset": 2}))["data"]
    assert (data["limit"], data["offset"]) == (2, 2)
    data = (await ask(client, action="list", limit=3, query={"limit": 2}))["data"]
    assert data["limit"] == 3
    await client.disconnect()


@pytest.mark.parametrize("bad", ["abc", 1.5, -1, 0, True, None, [2], {"n": 2}, ""])
async def test_a_malformed_limit_falls_back_to_the_default(bad):
    """Strings, floats, negatives, zero, booleans, null and objects give the default limit."""
    await database_sync_to_async(make_books)(3)
    client = await connect(BookConsumer.as_asgi())
    reply = await ask(client, action="list", limit=bad)
    assert reply["response_status"] == 200
    assert reply["data"]["limit"] == 1
    await client.disconnect()


@pytest.mark.parametrize("bad", ["abc", 1.5, -1, True, None, [2], {"n": 2}])
async def test_a_malformed_offset_falls_back_to_zero(bad):
    """A malformed offset reads the first page instead of failing."""
    await database_sync_to_async(make_books)(3)
    client = await connect(BookConsumer.as_asgi())
    reply = await ask(client, action="list", offset=bad)
    assert reply["response_status"] == 200
    assert reply["data"]["offset"] == 0
    await client.disconnect()


async def test_without_any_limit_the_list_is_not_paginated():
    """No ``limit`` and no default (``PAGE_SIZE`` unset) returns the whole list (1.3 crashed)."""

    class NoDefault(BookConsumer):
        pagination_class = WebsocketLimitOffsetPagination

    rows = await database_sync_to_async(make_books)(3)
    client = await connect(NoDefault.as_asgi())
    reply = await ask(client, action="list")
    assert reply["data"] == [book(row) for row in rows]
    assert (await ask(client, action="list", limit=2))["data"]["count"] == 3
    await client.disconnect()


async def test_max_limit_caps_the_page_size():
    """A client cannot ask for more than ``max_limit`` rows."""

    class Capped(WebsocketLimitOffsetPagination):
        default_limit = 2
        max_limit = 3

    class CappedConsumer(BookConsumer):
        pagination_class = Capped

    await database_sync_to_async(make_books)(10)
    client = await connect(CappedConsumer.as_asgi())
    data = (await ask(client, action="list", limit=1000))["data"]
    assert (data["limit"], len(data["results"])) == (3, 3)
    await client.disconnect()


async def test_page_size_and_pagination_class_come_from_settings_when_used():
    """``PAGE_SIZE`` and ``DEFAULT_PAGINATION_CLASS`` are read when used, not at import."""

    class Defaults(PaginatedModelListMixin, GenericAsyncAPIConsumer):
        queryset = Book.objects.all()
        serializer_class = BookSerializer

    await database_sync_to_async(make_books)(3)
    settings = {
        "DEFAULT_PAGINATION_CLASS": "djangochannelsrestframework.pagination."
        "WebsocketLimitOffsetPagination",
        "PAGE_SIZE": 2,
    }
    with override_settings(DJANGO_CHANNELS_REST_API=settings):
        client = await connect(Defaults.as_asgi())
        data = (await ask(client, action="list"))["data"]
        await client.disconnect()
    assert (data["count"], data["limit"], len(data["results"])) == (3, 2, 2)
    assert Defaults.pagination_class is None


@pytest.mark.parametrize("consumer", [BookConsumer, BookStreamConsumer])
async def test_message_keys_named_like_internal_arguments_are_harmless(consumer):
    """Keys such as ``view``, ``data`` or ``backends`` do not collide with hook arguments."""
    await database_sync_to_async(make_books)(1)
    client = await connect(consumer.as_asgi())
    reply = await ask(client, action="list", view=1, data=2, backends=3, scope_=4)
    assert (reply["response_status"], reply["data"]["count"]) == (200, 1)
    await client.disconnect()


def test_positive_int_keeps_the_1_3_rules():
    """``_positive_int`` refuses negatives (and zero when strict) and caps at ``cutoff``."""
    assert _positive_int("7") == 7
    assert _positive_int(0) == 0
    assert _positive_int(9, strict=True, cutoff=5) == 5
    for value, strict in (("-1", False), (0, True), ("x", False)):
        with pytest.raises(ValueError):
            _positive_int(value, strict=strict)


def test_the_paginator_is_created_once_per_consumer():
    """``paginator`` is cached on the consumer instance."""
    first, second = BookConsumer(), BookConsumer()
    assert isinstance(first.paginator, OnePerPage)
    assert first.paginator is first.paginator
    assert first.paginator is not second.paginator


# DRF paginators ------------------------------------------------------------------------------


class TwoPages(PageNumberPagination):
    page_size = 2


class TwoLimit(LimitOffsetPagination):
    default_limit = 2


class TwoCursor(CursorPagination):
    page_size = 2
    ordering = "pk"


def drf_consumer(paginator):
    return type("DRFPaged", (BookConsumer,), {"pagination_class": paginator})


async def test_page_number_pagination_reads_query_and_links_to_the_next_query():
    """A DRF ``PageNumberPagination`` takes ``page`` from ``query``; links carry the query."""
    rows = await database_sync_to_async(make_books)(5)
    client = await connect(drf_consumer(TwoPages).as_asgi())
    reply = await ask(client, action="list", query={"page": 2})
    assert reply["data"] == {
        "count": 5,
        "next": "/ws/?page=3",
        "previous": "/ws/",
        "results": [book(row) for row in rows[2:4]],
    }
    assert query_from_link(reply["data"]["next"]) == {"page": "3"}
    last = await ask(client, action="list", query={"page": 3})
    assert last["data"]["next"] is None
    await client.disconnect()


async def test_page_number_pagination_answers_an_invalid_page_with_404():
    """A page that does not exist is DRF's 404 ``Invalid page.``, not a crash."""
    await database_sync_to_async(make_books)(1)
    client = await connect(drf_consumer(TwoPages).as_asgi())
    reply = await ask(client, action="list", query={"page": 9})
    assert (reply["response_status"], reply["errors"]) == (404, ["Invalid page."])
    await client.disconnect()


async def test_drf_limit_offset_pagination_reads_query():
    """DRF's own ``LimitOffsetPagination`` works with ``limit``/``offset`` in ``query``."""
    rows = await database_sync_to_async(make_books)(5)
    client = await connect(drf_consumer(TwoLimit).as_asgi())
    data = (await ask(client, action="list", query={"offset": 2}))["data"]
    assert data["results"] == [book(row) for row in rows[2:4]]
    assert query_from_link(data["next"]) == {"limit": "2", "offset": "4"}
    await client.disconnect()


async def test_cursor_pagination_follows_its_next_link():
    """``CursorPagination`` pages are reached by sending the ``next`` link's query."""
    rows = await database_sync_to_async(make_books)(3)
    client = await connect(drf_consumer(TwoCursor).as_asgi())
    first = (await ask(client, action="list"))["data"]
    assert first["results"] == [book(row) for row in rows[:2]]
    second = (await ask(client, action="list", query=query_from_link(first["next"])))["data"]
    assert second["results"] == [book(rows[2])]
    assert second["next"] is None
    await client.disconnect()


# Streams -------------------------------------------------------------------------------------


async def receive_pages(client, count):
    return [await client.receive_json_from(timeout=3) for _ in range(count)]


async def test_a_stream_sends_every_page_then_stops():
    """One ``list`` gives one reply per page, same request_id; the last has
    ``offset + limit >= count``."""
    rows = await database_sync_to_async(make_books)(5)
    client = await connect(BookStreamConsumer.as_asgi())
    await client.send_json_to({"action": "list", "request_id": 7})
    pages = await receive_pages(client, 3)
    assert {(p["action"], p["request_id"], p["response_status"]) for p in pages} == {
        ("list", 7, 200)
    }
    assert [p["data"]["offset"] for p in pages] == [0, 2, 4]
    assert [r["id"] for p in pages for r in p["data"]["results"]] == [r.pk for r in rows]
    last = pages[-1]["data"]
    assert last["offset"] + last["limit"] >= last["count"]
    assert await client.receive_nothing(timeout=0.2)
    await client.disconnect()


async def test_a_stream_of_an_empty_table_is_one_empty_page():
    """With no rows the stream sends one page with ``count`` 0 and ends."""
    client = await connect(BookStreamConsumer.as_asgi())
    await client.send_json_to({"action": "list", "request_id": 1})
    reply = await client.receive_json_from()
    assert reply["data"] == {"count": 0, "results": [], "limit": 2, "offset": 0}
    assert await client.receive_nothing(timeout=0.2)
    await client.disconnect()


class SlowStream(StreamedPaginatedListMixin, GenericAsyncAPIConsumer):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    pagination_class = OnePerPage
    sleep_time_between_pages = 0.3


async def until_reply(client, request_id):
    """Read up to the reply with ``request_id``; return the stream pages read before it."""
    before = []
    while True:
        message = await client.receive_json_from(timeout=3)
        if message["request_id"] == request_id:
            return message, before
        before.append(message)


async def test_list_cancel_stops_the_stream():
    """After ``list_cancel``'s reply no further page arrives (the 1.3 test)."""
    await database_sync_to_async(make_books)(10)
    client = await connect(SlowStream.as_asgi())
    await client.send_json_to({"action": "list", "request_id": 1})
    pages = await receive_pages(client, 2)
    assert [p["data"]["offset"] for p in pages] == [0, 1]
    await client.send_json_to({"action": "list_cancel", "request_id": 2})
    reply, late_pages = await until_reply(client, 2)
    assert reply == {
        "action": "list_cancel",
        "errors": [],
        "response_status": 200,
        "request_id": 2,
        "data": None,
    }
    assert len(late_pages) < 8
    assert await client.receive_nothing(timeout=0.6)
    await client.disconnect()


async def test_list_cancel_stops_every_stream_of_the_connection():
    """Three concurrent streams all stop (1.3 skipped every second one)."""
    await database_sync_to_async(make_books)(10)
    client = await connect(SlowStream.as_asgi())
    for request_id in (1, 2, 3):
        await client.send_json_to({"action": "list", "request_id": request_id})
    await client.send_json_to({"action": "list_cancel", "request_id": 9})
    await until_reply(client, 9)
    assert await client.receive_nothing(timeout=0.8)
    await client.disconnect()


async def test_list_cancel_with_stream_request_id_stops_only_that_stream():
    """``stream_request_id`` names the one stream to stop; the others go on."""
    await database_sync_to_async(make_books)(3)
    client = await connect(SlowStream.as_asgi())
    await client.send_json_to({"action": "list", "request_id": "a"})
    await client.send_json_to({"action": "list", "request_id": "b"})
    await client.send_json_to({"action": "list_cancel", "request_id": 9, "stream_request_id": "a"})
    _, early = await until_reply(client, 9)
    early = [page for page in early if page["request_id"] == "b"]
    pages = early + await receive_pages(client, 3 - len(early))
    assert [(p["request_id"], p["data"]["offset"]) for p in pages] == [("b", 0), ("b", 1), ("b", 2)]
    assert await client.receive_nothing(timeout=0.5)
    await client.disconnect()


async def test_list_cancel_without_streams_still_replies():
    """``list_cancel`` with nothing running replies 200 with ``data: null``."""
    client = await connect(BookStreamConsumer.as_asgi())
    reply = await ask(client, action="list_cancel")
    assert (reply["response_status"], reply["data"]) == (200, None)
    await client.disconnect()


async def test_a_stream_does_not_block_other_actions():
    """While a stream waits between pages the connection answers other actions."""
    rows = await database_sync_to_async(make_books)(3)

    class SlowRetrieve(SlowStream, BookStreamConsumer):
        pass

    client = await connect(SlowRetrieve.as_asgi())
    await client.send_json_to({"action": "list", "request_id": 1})
    await client.send_json_to({"action": "retrieve", "pk": rows[0].pk, "request_id": 2})
    assert (await client.receive_json_from())["request_id"] == 2
    await client.disconnect()


async def test_disconnect_stops_the_stream():
    """A stream ends with its connection."""
    await database_sync_to_async(make_books)(3)
    consumer = SlowStream()
    client = await connect(consumer)
    await client.send_json_to({"action": "list", "request_id": 1})
    for _ in range(200):
        if consumer.detached_tasks["list"]:
            break
        await asyncio.sleep(0.01)
    [task] = consumer.detached_tasks["list"]
    await client.disconnect()
    assert task.cancelled()
    assert not consumer.detached_tasks["list"]


@pytest.mark.parametrize("paginator", [TwoPages, TwoLimit, TwoCursor])
async def test_streams_work_with_drf_paginators(paginator):
    """With a DRF paginator the stream follows ``next`` and ends on ``next: null``."""
    rows = await database_sync_to_async(make_books)(5)
    consumer = type("S", (BookStreamConsumer,), {"pagination_class": paginator})
    client = await connect(consumer.as_asgi())
    await client.send_json_to({"action": "list", "request_id": 1})
    pages = await receive_pages(client, 3)
    assert [r["id"] for p in pages for r in p["data"]["results"]] == [r.pk for r in rows]
    assert pages[-1]["data"]["next"] is None
    assert await client.receive_nothing(timeout=0.2)
    await client.disconnect()


async def test_a_stream_without_pagination_sends_the_list_once():
    """With no page size the stream is the plain list, sent once (1.3 then crashed)."""
    rows = await database_sync_to_async(make_books)(3)
    consumer = type("S", (BookStreamConsumer,), {"pagination_class": None})
    client = await connect(consumer.as_asgi())
    reply = await ask(client, action="list")
    assert reply["data"] == [book(row) for row in rows]
    assert await client.receive_nothing(timeout=0.2)
    await client.disconnect()


async def test_an_error_ends_the_stream_with_one_error_reply():
    """An exception while reading a page is one error reply; the connection survives."""

    class Broken(BookStreamConsumer):
        def get_queryset(self, **kwargs):
            raise RuntimeError("boom")

    client = await connect(Broken.as_asgi())
    reply = await ask(client, action="list")
    assert (reply["response_status"], reply["request_id"]) == (500, 1)
    assert (await ask(client, action="list_cancel"))["response_status"] == 200
    await client.disconnect()


# Query counts --------------------------------------------------------------------------------


def make_library(count):
    genres = Genre.objects.bulk_create(Genre(name=f"g{i}") for i in range(3))
    books = make_books(count)
    for row in books:
        row.genres.set(genres[: row.pk % 3 + 1])
    for index, row in enumerate(books):
        row.author = Author.objects.create(name=f"a{index}")
        row.save()


def run_list(consumer_class, **message):
    """Run the ``list`` action's body in this thread, where the query counter listens."""
    consumer = consumer_class()
    consumer.scope = {"type": "websocket", "path": "/ws/"}
    body = consumer_class.list.__wrapped__
    return body(consumer, action="list", request_id=1, **message)


class NaiveBookList(BookListConsumer):
    def get_queryset(self, **kwargs):
        return Book.objects.all()


@pytest.mark.django_db
def test_a_page_of_100_nested_objects_costs_three_queries(django_assert_num_queries):
    """COUNT, the page, and the prefetched genres: no query per row."""
    make_library(120)
    with django_assert_num_queries(3):
        data, status = run_list(BookListConsumer, limit=100)
    assert status == 200 and len(data["results"]) == 100
    assert all(row["author"]["name"] and row["genres"] for row in data["results"])


@pytest.mark.django_db
def test_a_full_list_of_nested_objects_costs_two_queries(django_assert_num_queries):
    """Without pagination: the rows (with authors joined) and the prefetched genres."""
    make_library(100)
    consumer = type("Unpaged", (BookListConsumer,), {"pagination_class": None})
    with django_assert_num_queries(2):
        data, _ = run_list(consumer)
    assert len(data) == 100


@pytest.mark.django_db
def test_the_query_count_check_catches_n_plus_1():
    """Control: the same page without select/prefetch costs a query per row."""
    make_library(120)
    with CaptureQueriesContext(connection) as queries:
        run_list(NaiveBookList, limit=100)
    assert len(queries) > 100


async def test_a_paginated_list_over_the_socket_costs_three_queries():
    """The same pin through a real connection, counted inside the action's thread hop."""
    await database_sync_to_async(make_library)(120)
    counted = {}

    class Counting(BookListConsumer):
        def filter_queryset(self, queryset, **kwargs):
            counted["context"] = CaptureQueriesContext(connection).__enter__()
            return super().filter_queryset(queryset, **kwargs)

        def get_paginated_response(self, data):
            counted["context"].__exit__(None, None, None)
            counted["queries"] = len(counted["context"])  # read in the thread that ran them
            return super().get_paginated_response(data)

    client = await connect(Counting.as_asgi())
    reply = await ask(client, action="list", limit=100)
    assert len(reply["data"]["results"]) == 100
    assert counted["queries"] == 3
    await client.disconnect()
