"""Filter backends on consumers, fed by the message's ``query`` object, as on a DRF view."""

import subprocess
import sys

import django_filters
import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.filters import BaseFilterBackend, SearchFilter

from djangochannelsrestframework.filters import query_params
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import ListModelMixin, RetrieveModelMixin
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination
from tests.app.consumers import BookSearchConsumer, BookStreamConsumer
from tests.app.models import Author, Book, Note
from tests.app.serializers import BookSerializer, NoteSerializer
from tests.helpers import ask, connect

pytestmark = pytest.mark.django_db(transaction=True)


def make_shelf():
    """Five books by two authors."""
    frank = Author.objects.create(name="Frank Herbert")
    ursula = Author.objects.create(name="Ursula Le Guin")
    rows = [
        Book.objects.create(title="Dune", year=1965, author=frank),
        Book.objects.create(title="Dune Messiah", year=1969, author=frank),
        Book.objects.create(title="The Dispossessed", year=1974, author=ursula),
        Book.objects.create(title="The Left Hand of Darkness", year=1969, author=ursula),
        Book.objects.create(title="Lavinia", year=2008, author=ursula),
    ]
    return {"frank": frank, "ursula": ursula, "books": rows}


@pytest.fixture
async def shelf():
    return await database_sync_to_async(make_shelf)()


def titles(reply):
    return [row["title"] for row in reply["data"]]


async def test_search_filter_reads_search_from_query(shelf):
    """``query.search`` searches ``search_fields``, across relations too."""
    client = await connect(BookSearchConsumer.as_asgi())
    assert titles(await ask(client, action="list", query={"search": "dune"})) == [
        "Dune",
        "Dune Messiah",
    ]
    assert len(titles(await ask(client, action="list", query={"search": "le guin"}))) == 3
    await client.disconnect()


async def test_ordering_filter_reads_ordering_from_query(shelf):
    """``query.ordering`` orders by the allowed fields; unknown fields are ignored (DRF)."""
    client = await connect(BookSearchConsumer.as_asgi())
    reply = await ask(client, action="list", query={"ordering": "-year,title"})
    assert titles(reply)[:3] == ["Lavinia", "The Dispossessed", "Dune Messiah"]
    reply = await ask(client, action="list", query={"ordering": "author__name"})
    assert titles(reply) == [row.title for row in shelf["books"]]
    await client.disconnect()


async def test_django_filter_fields_read_from_query(shelf):
    """``filterset_fields`` filter by exact values; numbers may be sent as JSON numbers."""
    client = await connect(BookSearchConsumer.as_asgi())
    reply = await ask(client, action="list", query={"author": shelf["frank"].pk})
    assert titles(reply) == ["Dune", "Dune Messiah"]
    reply = await ask(client, action="list", query={"year": 1969, "ordering": "-title"})
    assert titles(reply) == ["The Left Hand of Darkness", "Dune Messiah"]
    await client.disconnect()


async def test_invalid_filter_values_are_a_400_with_the_filterset_errors(shelf):
    """A value the filterset cannot parse is answered 400 with its errors, per field."""
    client = await connect(BookSearchConsumer.as_asgi())
    reply = await ask(client, action="list", query={"year": "nineteen", "author": 999})
    assert reply["response_status"] == 400
    assert reply["data"] is None
    [errors] = reply["errors"]
    assert set(errors) == {"year", "author"}
    assert errors["year"] == ["Enter a number."]
    await client.disconnect()


class BookFilter(django_filters.FilterSet):
    from_year = django_filters.NumberFilter(field_name="year", lookup_expr="gte")
    author_name = django_filters.CharFilter(field_name="author__name", lookup_expr="icontains")

    class Meta:
        model = Book
        fields = ["from_year", "author_name"]


class BookFilterSetConsumer(BookSearchConsumer):
    filterset_class = BookFilter


async def test_a_filterset_class_is_used_when_given(shelf):
    """``filterset_class`` replaces ``filterset_fields``, as with django-filter on a view."""
    client = await connect(BookFilterSetConsumer.as_asgi())
    reply = await ask(client, action="list", query={"from_year": 1969, "author_name": "guin"})
    assert titles(reply) == ["The Dispossessed", "The Left Hand of Darkness", "Lavinia"]
    await client.disconnect()


async def test_filters_apply_before_pagination(shelf):
    """A paginated list counts and pages the filtered rows."""

    class Paged(BookSearchConsumer):
        pagination_class = WebsocketLimitOffsetPagination

    client = await connect(Paged.as_asgi())
    reply = await ask(client, action="list", limit=1, offset=1, query={"search": "dune"})
    assert reply["data"]["count"] == 2
    assert [row["title"] for row in reply["data"]["results"]] == ["Dune Messiah"]
    await client.disconnect()


async def test_filters_apply_to_every_page_of_a_stream(shelf):
    """A stream pages through the filtered rows only."""

    class Streamed(BookStreamConsumer):
        filter_backends = (SearchFilter,)
        search_fields = ["author__name"]

    client = await connect(Streamed.as_asgi())
    await client.send_json_to({"action": "list", "request_id": 1, "query": {"search": "guin"}})
    pages = [await client.receive_json_from() for _ in range(2)]
    assert [r["title"] for p in pages for r in p["data"]["results"]] == [
        "The Dispossessed",
        "The Left Hand of Darkness",
        "Lavinia",
    ]
    assert await client.receive_nothing(timeout=0.2)
    await client.disconnect()


async def test_get_object_only_finds_rows_the_filters_let_through(shelf):
    """``retrieve`` and ``patch`` look the instance up in the filtered queryset (DRF)."""
    dune = shelf["books"][0]
    client = await connect(BookSearchConsumer.as_asgi())
    found = await ask(client, action="retrieve", pk=dune.pk, query={"search": "dune"})
    assert found["data"]["title"] == "Dune"
    hidden = await ask(client, action="retrieve", pk=dune.pk, query={"search": "lavinia"})
    assert (hidden["response_status"], hidden["errors"]) == (404, ["Not found"])
    patched = await ask(
        client, action="patch", pk=dune.pk, data={"title": "x"}, query={"author": 999999}
    )
    assert patched["response_status"] == 400
    assert (await Book.objects.aget(pk=dune.pk)).title == "Dune"
    await client.disconnect()


@pytest.mark.parametrize("query", [["search"], "search=dune", 5, {"search": {"a": 1}}])
async def test_a_malformed_query_is_a_400(shelf, query):
    """``query`` must be an object of strings, numbers, booleans or lists of those."""
    client = await connect(BookSearchConsumer.as_asgi())
    reply = await ask(client, action="list", query=query)
    assert reply["response_status"] == 400
    await client.disconnect()


async def test_message_keys_named_like_filter_arguments_are_harmless(shelf):
    """Keys such as ``view`` or ``backends`` reach no backend argument by mistake."""
    client = await connect(BookSearchConsumer.as_asgi())
    reply = await ask(client, action="list", view=1, backends=2, query={"search": "dune"})
    assert titles(reply) == ["Dune", "Dune Messiah"]
    await client.disconnect()


def test_query_values_become_query_string_text():
    """Numbers and booleans become their query-string text, lists repeat, null is absent."""
    params = query_params(
        {"query": {"n": 3, "f": 1.5, "yes": True, "no": False, "ids": [1, 2], "gone": None}}
    )
    assert params.dict() == {"n": "3", "f": "1.5", "yes": "true", "no": "false", "ids": "2"}
    assert params.getlist("ids") == ["1", "2"]
    assert "gone" not in params


class OwnerFilter(BaseFilterBackend):
    """The DRF pattern "only the requesting user's rows", reading ``request.user``."""

    def filter_queryset(self, request, queryset, view):
        return queryset.filter(owner=request.user)


class MyNotes(ListModelMixin, RetrieveModelMixin, GenericAsyncAPIConsumer):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    filter_backends = (OwnerFilter,)


async def test_backends_see_the_connection_user_as_request_user():
    """A backend's ``request.user`` is ``scope["user"]``."""
    User = get_user_model()
    ada = await User.objects.acreate(username="ada")
    bob = await User.objects.acreate(username="bob")
    mine = await Note.objects.acreate(title="mine", owner=ada)
    theirs = await Note.objects.acreate(title="theirs", owner=bob)
    client = await connect(MyNotes.as_asgi(), user=ada)
    assert [row["title"] for row in (await ask(client, action="list"))["data"]] == ["mine"]
    assert (await ask(client, action="retrieve", pk=mine.pk))["response_status"] == 200
    assert (await ask(client, action="retrieve", pk=theirs.pk))["response_status"] == 404
    await client.disconnect()


async def test_without_backends_query_is_ignored_and_drf_defaults_are_not_read(shelf):
    """``filter_backends`` defaults to ``()``; DRF's ``DEFAULT_FILTER_BACKENDS`` is not used."""

    class Plain(ListModelMixin, GenericAsyncAPIConsumer):
        queryset = Book.objects.all()
        serializer_class = BookSerializer

    drf = {"DEFAULT_FILTER_BACKENDS": ["rest_framework.filters.SearchFilter"]}
    with override_settings(REST_FRAMEWORK=drf):
        client = await connect(Plain.as_asgi())
        reply = await ask(client, action="list", query={"search": "dune"})
        await client.disconnect()
    assert len(reply["data"]) == 5


def test_the_package_works_without_django_filter():
    """django-filter is optional: nothing in the package imports it."""
    code = (
        "import sys; sys.modules['django_filters'] = None\n"
        "from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=['django.contrib.auth', 'django.contrib.contenttypes',"
        " 'channels', 'djangochannelsrestframework'],"
        " DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}})\n"
        "import django; django.setup()\n"
        "from django.contrib.auth.models import User\n"
        "from rest_framework.filters import SearchFilter\n"
        "from djangochannelsrestframework import filters, generics, mixins, pagination, views\n"
        "assert generics.GenericAsyncAPIConsumer.filter_backends == ()\n"
        "class Users(generics.GenericAsyncAPIConsumer):\n"
        "    filter_backends = (SearchFilter,)\n"
        "    search_fields = ['username']\n"
        "consumer = Users(); consumer.scope = {}\n"
        "queryset = consumer.filter_queryset(User.objects.all(), query={'search': 'ada'})\n"
        "assert 'LIKE' in str(queryset.query)\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": "."},
        timeout=60,
    )
    assert result.stdout.strip() == "ok", result.stderr
