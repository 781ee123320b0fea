"""Input bounds (``limits.py``): nesting, request ids, numbers beyond 64 bits, query size,
and what a log line quotes. Over a bound is a 400 and the socket keeps working."""

from __future__ import annotations

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from django.db import DataError
from django.test import override_settings
from django_filters.rest_framework import DjangoFilterBackend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination

from djangochannelsrestframework.consumers import AsyncAPIConsumer, view_as_consumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.limits import (
    MAX_DATABASE_INTEGER,
    nesting_exceeds,
    quote,
)
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination
from djangochannelsrestframework.settings import api_settings
from tests.app.consumers import BookSearchConsumer
from tests.app.models import Author, Book
from tests.app.serializers import BookSerializer
from tests.helpers import ask, connect

pytestmark = pytest.mark.django_db(transaction=True)

GENERATED = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


class PagedBooks(BookSearchConsumer):
    """Books with the 1.3 paginator (top-level ``limit``/``offset``)."""

    class pagination_class(WebsocketLimitOffsetPagination):
        default_limit = 2


class LimitOffsetBooks(BookSearchConsumer):
    pagination_class = LimitOffsetPagination


class PageNumberBooks(BookSearchConsumer):
    class pagination_class(PageNumberPagination):
        page_size = 2
        page_size_query_param = "size"


class Failing(AsyncAPIConsumer):
    @action()
    async def data_error(self, **kwargs):
        raise DataError("value out of range")

    @action()
    async def boom(self, **kwargs):
        raise RuntimeError("boom")


@pytest.fixture
async def shelf():
    author = await Author.objects.acreate(name="Ursula Le Guin")
    for year, title in ((1969, "The Left Hand of Darkness"), (1974, "The Dispossessed")):
        await Book.objects.acreate(title=title, year=year, author=author)
    return author


async def still_answers(client) -> None:
    """The socket is open and answers a plain request."""
    reply = await ask(client, action="list", request_id="after")
    assert (reply["response_status"], reply["request_id"]) == (200, "after")


# Nesting ----------------------------------------------------------------------------------


def nested(depth: int, leaf: object = 1) -> object:
    """``depth`` levels of alternating lists and objects around ``leaf``."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


#: Where a deep value can hide in a message.
PLACES = ("top", "query", "data", "request_id")


def nested_text(depth: int, leaf: str = "1") -> str:
    """``nested(depth)`` as JSON text, written out without a (recursive) encoder."""
    openers = ['{"k":' if level % 2 == 0 else "[" for level in range(depth)]
    closers = ["}" if level % 2 == 0 else "]" for level in range(depth)]
    return "".join(reversed(openers)) + leaf + "".join(closers)


def message_with(place: str, value: str) -> str:
    """A list request with the JSON text ``value`` in ``place``."""
    if place == "top":
        return '{"action":"list","request_id":1,"extra":' + value + "}"
    if place == "query":
        return '{"action":"list","request_id":1,"query":{"search":' + value + "}}"
    if place == "data":
        return '{"action":"list","request_id":1,"data":' + value + "}"
    return '{"action":"list","request_id":' + value + "}"


def test_nesting_is_measured_without_recursion():
    """A value nested far beyond the interpreter's recursion limit is measured all the same."""
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert nesting_exceeds(deep, 32)
    assert not nesting_exceeds(nested(31), 32)
    assert nesting_exceeds(nested(34), 32)
    assert json.loads(nested_text(5)) == nested(5)


@GENERATED
@given(
    place=st.sampled_from(PLACES),
    depth=st.integers(34, 200) | st.integers(1_000, 50_000),
    wide_integer=st.booleans(),
)
def test_deep_nesting_anywhere_is_a_400_and_the_socket_stays(shelf, place, depth, wide_integer):
    """Beyond ``MAX_JSON_DEPTH`` levels, at the top, in ``query``, ``data`` or the request
    id, by either parser (a 20-digit integer selects the standard library's), is a 400."""
    leaf = str(10**20) if wide_integer else "1"

    async def run() -> None:
        client = await connect(PagedBooks.as_asgi())
        await client.send_to(text_data=message_with(place, nested_text(depth, leaf)))
        reply = await client.receive_json_from(timeout=10)
        assert reply["response_status"] == 400, reply
        assert reply["request_id"] is None
        assert "nested too deeply" in reply["errors"][0]
        await still_answers(client)
        await client.disconnect()

    async_to_sync(run)()


async def test_nesting_up_to_the_bound_is_served(shelf):
    """A message exactly ``MAX_JSON_DEPTH`` levels deep is an ordinary request."""
    client = await connect(Failing.as_asgi())
    # The message object is level 1, so its "data" may hold 31 more.
    reply = await ask(client, action="data_error", data=nested(api_settings.MAX_JSON_DEPTH - 1))
    assert reply["response_status"] == 400
    assert reply["errors"] == ["A value is out of range or of the wrong type for the database."]
    await client.disconnect()


# Request ids ------------------------------------------------------------------------------


@GENERATED
@given(
    request_id=st.text(min_size=257, max_size=5_000)
    | st.lists(st.text(min_size=3, max_size=20), min_size=60, max_size=200)
    | st.integers(min_value=10**300, max_value=10**1000)
)
def test_a_request_id_over_the_size_bound_is_a_400_without_echo(request_id):
    """A request id larger than ``MAX_REQUEST_ID_SIZE`` is refused and not echoed back."""

    async def run() -> None:
        client = await connect(Failing.as_asgi())
        await client.send_json_to({"action": "boom", "request_id": request_id})
        reply = await client.receive_json_from(timeout=10)
        assert (reply["response_status"], reply["request_id"]) == (400, None)
        assert "request_id is too large" in reply["errors"][0]
        await client.disconnect()

    async_to_sync(run)()


async def test_a_request_id_at_the_bound_is_echoed():
    """A 254-character string is 256 bytes of JSON: accepted and echoed."""
    client = await connect(Failing.as_asgi())
    request_id = "é" * 127  # two bytes each, plus the quotes
    reply = await ask(client, action="data_error", request_id=request_id)
    assert reply["request_id"] == request_id
    await client.disconnect()


async def test_the_error_path_answers_even_when_the_request_id_cannot_be_encoded():
    """An id that the encoder refuses still gets its error reply, without the id."""
    consumer = Failing()
    sent: list[dict] = []

    async def send_json(content, close=False):
        json.dumps(content)  # what the real encoder would refuse, refused here too
        sent.append(content)

    consumer.send_json = send_json  # type: ignore[method-assign]
    await consumer.handle_exception(RuntimeError("x"), action="boom", request_id=object())
    assert [(m["response_status"], m["request_id"]) for m in sent] == [(500, None)]


# Numbers beyond 64 bits -------------------------------------------------------------------

HUGE = st.integers(min_value=MAX_DATABASE_INTEGER + 1, max_value=10**60) | st.integers(
    min_value=-(10**60), max_value=-MAX_DATABASE_INTEGER - 2
)


@GENERATED
@given(
    number=HUGE,
    as_text=st.booleans(),
    where=st.sampled_from(
        [
            (PagedBooks, "limit"),
            (PagedBooks, "offset"),
            (PagedBooks, "query.limit"),
            (LimitOffsetBooks, "query.limit"),
            (LimitOffsetBooks, "query.offset"),
            (PageNumberBooks, "query.page"),
            (PageNumberBooks, "query.size"),
            (BookSearchConsumer, "query.year"),
            (BookSearchConsumer, "query.author"),
        ]
    ),
)
def test_integers_beyond_64_bits_are_a_400_before_sql(shelf, number, as_text, where):
    """A number no database column holds, as a JSON number or as text, wherever a paginator
    or a filter reads it, is a 400: never the 409 or 500 of a failed query."""
    consumer, key = where
    value = str(number) if as_text else number
    message: dict = {"action": "list"}
    if key.startswith("query."):
        message["query"] = {key.removeprefix("query."): value}
    else:
        message[key] = value

    async def run() -> None:
        client = await connect(consumer.as_asgi())
        reply = await ask(client, **message)
        if key in ("limit", "offset") and number < 0:
            # Negative paging values are malformed and fall back to the defaults (DRF).
            assert reply["response_status"] == 200, reply
        else:
            assert reply["response_status"] == 400, reply
            assert "out of range" in reply["errors"][0]
        await client.disconnect()

    async_to_sync(run)()


async def test_a_data_error_is_a_400_not_a_conflict():
    """The database refusing a value (``DataError``) is the client's mistake: 400."""
    client = await connect(Failing.as_asgi())
    reply = await ask(client, action="data_error")
    assert reply["response_status"] == 400
    await client.disconnect()


# Query bounds -------------------------------------------------------------------------------


async def test_search_terms_up_to_the_bound_are_served_and_beyond_are_a_400(shelf):
    """``MAX_SEARCH_TERMS`` terms (split as DRF splits them) search; one more is a 400."""
    client = await connect(BookSearchConsumer.as_asgi())
    at_bound = " ".join(["le"] * api_settings.MAX_SEARCH_TERMS)
    assert (await ask(client, action="list", query={"search": at_bound}))["response_status"] == 200
    over = ",".join(["le"] * (api_settings.MAX_SEARCH_TERMS + 1))
    reply = await ask(client, action="list", query={"search": over})
    assert reply["response_status"] == 400
    assert reply["errors"] == ['"search" has too many terms: at most 16.']
    await client.disconnect()


async def test_ordering_fields_beyond_the_bound_are_a_400(shelf):
    client = await connect(BookSearchConsumer.as_asgi())
    at_bound = ",".join(["year"] * api_settings.MAX_ORDERING_FIELDS)
    ok = await ask(client, action="list", query={"ordering": at_bound})
    assert ok["response_status"] == 200
    over = ",".join(["-title"] * (api_settings.MAX_ORDERING_FIELDS + 1))
    reply = await ask(client, action="list", query={"ordering": over})
    assert reply["errors"] == ['"ordering" names too many fields: at most 8.']
    await client.disconnect()


@GENERATED
@given(
    query=st.dictionaries(st.text(min_size=1, max_size=10), st.just("x"), min_size=65, max_size=80)
    | st.fixed_dictionaries({"year": st.lists(st.just(1969), min_size=65, max_size=200)})
    | st.fixed_dictionaries(
        {
            "search": st.builds(
                lambda piece, n: piece * n, st.text(min_size=1, max_size=8), st.just(9_000)
            )
        }
    )
)
def test_a_query_over_its_bounds_is_a_400(shelf, query):
    """More than ``MAX_QUERY_VALUES`` values (list items counted) or more than
    ``MAX_QUERY_SIZE`` bytes in ``query`` is a 400, and the socket keeps working."""

    async def run() -> None:
        client = await connect(BookSearchConsumer.as_asgi())
        reply = await ask(client, action="list", query=query)
        assert reply["response_status"] == 400, reply
        assert '"query"' in reply["errors"][0]
        await still_answers(client)
        await client.disconnect()

    async_to_sync(run)()


async def test_bounds_are_settings_and_none_turns_one_off(shelf):
    client = await connect(BookSearchConsumer.as_asgi())
    many = " ".join(["le"] * 40)
    with override_settings(DJANGO_CHANNELS_REST_API={"MAX_SEARCH_TERMS": None}):
        assert (await ask(client, action="list", query={"search": many}))["response_status"] == 200
    with override_settings(DJANGO_CHANNELS_REST_API={"MAX_SEARCH_TERMS": 2}):
        reply = await ask(client, action="list", query={"search": "a b c"})
        assert reply["response_status"] == 400
    await client.disconnect()


# view_as_consumer ----------------------------------------------------------------------------


class BookListView(ListAPIView):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    filter_backends = (DjangoFilterBackend, SearchFilter, OrderingFilter)
    filterset_fields = ["author", "year"]
    search_fields = ["title"]
    ordering_fields = ["title", "year"]
    pagination_class = LimitOffsetPagination


BOOK_LIST = view_as_consumer(BookListView.as_view())

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@GENERATED
@given(
    query=st.dictionaries(
        st.sampled_from(["search", "ordering", "year", "author", "limit", "offset", "x"]),
        JSONISH,
        max_size=4,
    )
)
def test_view_as_consumer_query_values_of_any_type_never_crash_the_view(shelf, query):
    """Numbers and booleans reach the view as the text HTTP would carry; objects (alone or
    in lists) are a 400 before the view runs. Nothing is a 500."""

    async def run() -> None:
        client = await connect(BOOK_LIST)
        reply = await ask(client, action="list", query=query)
        assert reply["response_status"] in (200, 400, 404), reply
        await client.disconnect()

    async_to_sync(run)()


async def test_view_as_consumer_sees_numbers_and_booleans_as_text(shelf):
    client = await connect(BOOK_LIST)
    reply = await ask(client, action="list", query={"year": 1974, "limit": 5})
    assert [row["title"] for row in reply["data"]["results"]] == ["The Dispossessed"]
    reply = await ask(client, action="list", query={"year": [{"a": 1}]})
    assert reply["response_status"] == 400
    await client.disconnect()


# Log lines --------------------------------------------------------------------------------


def test_quote_cuts_long_values():
    assert quote("abc") == "'abc'"
    assert quote("x" * 1000).endswith("...(920 more characters)")
    assert len(quote(list(range(1000)))) < 120
    assert quote(10**5000) == "<int>"


async def test_error_logs_quote_a_bounded_part_of_the_request_id(caplog):
    """A 250-character request id appears in the log cut to ``LOG_QUOTE_LENGTH``."""
    client = await connect(Failing.as_asgi())
    request_id = "r" * 250
    with caplog.at_level(logging.ERROR, logger="djangochannelsrestframework"):
        reply = await ask(client, action="boom", request_id=request_id)
    assert reply["response_status"] == 500
    (record,) = [r for r in caplog.records if r.name.startswith("djangochannelsrestframework")]
    assert "r" * 81 not in record.getMessage()
    assert "170 more characters" in record.getMessage()
    await client.disconnect()


@GENERATED
@given(number=HUGE, as_text=st.booleans())
def test_a_lookup_beyond_64_bits_is_not_found(shelf, number, as_text):
    """A primary key no row can have is a 404, never a database error."""

    async def run() -> None:
        client = await connect(BookSearchConsumer.as_asgi())
        reply = await ask(client, action="retrieve", pk=str(number) if as_text else number)
        assert reply["response_status"] == 404, reply
        await client.disconnect()

    async_to_sync(run)()
