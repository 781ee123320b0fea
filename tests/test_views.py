"""``view_as_consumer``: Django and DRF views served over a WebSocket, one request per message."""

import asyncio

import pytest
from channels.routing import URLRouter
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import re_path
from rest_framework import status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from djangochannelsrestframework.consumers import DjangoViewAsConsumer, view_as_consumer
from djangochannelsrestframework.views import DEFAULT_MAPPED_ACTIONS
from tests.app.models import Note
from tests.app.serializers import NoteSerializer
from tests.helpers import ask, connect

pytestmark = pytest.mark.django_db(transaction=True)


class ListView(APIView):
    def get(self, request, *args, **kwargs):
        return Response(["test1", "test2"])


class EchoView(APIView):
    """Returns what the view received: query, body, URL kwargs, method and user."""

    def get(self, request, *args, **kwargs):
        return Response(request.GET)

    def put(self, request, *args, **kwargs):
        return Response({"method": "PUT", "data": request.data, "kwargs": kwargs})

    def patch(self, request, *args, **kwargs):
        return Response({"method": "PATCH", "data": request.data}, status=status.HTTP_202_ACCEPTED)


class PkViewSet(viewsets.ViewSet):
    def retrieve(self, request, pk=None):
        return Response({"pk": pk, "type": type(pk).__name__})


class NoteViewSet(viewsets.ModelViewSet):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer


class MissingView(APIView):
    def get(self, request, *args, **kwargs):
        raise NotFound()


class WhoAmI(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request, *args, **kwargs):
        return Response({"username": request.user.username})

    def post(self, request, *args, **kwargs):
        return Response({"username": request.user.username, "data": request.data})


def plain_view(request, *args, **kwargs):
    if kwargs.get("missing"):
        raise Http404("nope")
    if kwargs.get("binary"):
        return HttpResponse(b"\xff\x00")
    return HttpResponse(f"hello {request.method}")


async def async_view(request, *args, **kwargs):
    return JsonResponse({"async": True})


async def test_an_api_view_answers_retrieve():
    """``retrieve`` is a GET; the view's ``Response.data`` is the reply data (1.3 test)."""
    client = await connect(view_as_consumer(ListView.as_view()), "/")
    assert await ask(client, action="retrieve") == {
        "errors": [],
        "data": ["test1", "test2"],
        "action": "retrieve",
        "response_status": 200,
        "request_id": 1,
    }
    await client.disconnect()


async def test_query_becomes_request_get_as_the_text_http_would_carry():
    """``query`` fills ``request.GET`` with text, as a URL would (1.3 kept JSON types,
    which DRF's filters crash on); objects are a 400."""
    client = await connect(view_as_consumer(EchoView.as_view()), "/")
    reply = await ask(
        client, action="retrieve", query={"value": 1, "othervalue": 42, "flag": True, "n": None}
    )
    assert reply["data"] == {"value": "1", "othervalue": "42", "flag": "true"}
    reply = await ask(client, action="retrieve", query={"value": {"a": 1}})
    assert reply["response_status"] == 400
    await client.disconnect()


async def test_parameters_become_view_kwargs():
    """``parameters`` are the view's URL keyword arguments (1.3 test, a ViewSet mapping)."""
    client = await connect(view_as_consumer(PkViewSet.as_view({"get": "retrieve"})), "/")
    reply = await ask(client, action="retrieve", parameters={"pk": 42})
    assert reply["data"] == {"pk": 42, "type": "int"}
    await client.disconnect()


async def test_data_is_the_body_drf_reads_as_request_data():
    """``data`` arrives as a JSON body: DRF's ``request.data`` sees it (1.3 lost it)."""
    client = await connect(view_as_consumer(EchoView.as_view()), "/")
    reply = await ask(
        client, action="create", data={"title": "x", "tags": [1, 2]}, parameters={"pk": 3}
    )
    assert reply["data"] == {
        "method": "PUT",
        "data": {"title": "x", "tags": [1, 2]},
        "kwargs": {"pk": 3},
    }
    reply = await ask(client, action="update", data={"title": "y"})
    assert (reply["response_status"], reply["data"]["method"]) == (202, "PATCH")
    await client.disconnect()


async def test_a_model_viewset_creates_and_lists_with_a_custom_mapping():
    """``mapped_actions`` replaces the default mapping, e.g. ``create`` as ``POST``."""
    view = NoteViewSet.as_view({"get": "list", "post": "create"})
    client = await connect(view_as_consumer(view, {"list": "GET", "create": "POST"}), "/")
    created = await ask(client, action="create", data={"title": "hello"})
    assert created["response_status"] == 201
    note = await Note.objects.aget()
    assert created["data"] == {"id": note.pk, "title": "hello", "body": "", "owner": None}
    listed = await ask(client, action="list")
    assert listed["data"] == [created["data"]]
    retrieve = await ask(client, action="retrieve")
    assert retrieve["response_status"] == 405
    assert retrieve["errors"] == ['Method "retrieve" not allowed.']
    await client.disconnect()


async def test_view_validation_errors_arrive_as_the_views_data():
    """DRF error responses keep their status; their body is the data, ``errors`` is empty."""
    view = NoteViewSet.as_view({"post": "create"})
    client = await connect(view_as_consumer(view, {"create": "POST"}), "/")
    reply = await ask(client, action="create", data={"body": "no title"})
    assert reply["response_status"] == 400
    assert reply["errors"] == []
    assert reply["data"] == {"title": ["This field is required."]}
    assert not await Note.objects.aexists()
    await client.disconnect()


async def test_drf_exceptions_in_the_view_arrive_as_detail():
    """An ``APIException`` raised by the view is ``{"detail": ...}`` with its status."""
    client = await connect(view_as_consumer(MissingView.as_view()), "/")
    reply = await ask(client, action="retrieve")
    assert (reply["response_status"], reply["data"], reply["errors"]) == (
        404,
        {"detail": "Not found."},
        [],
    )
    await client.disconnect()


async def test_a_plain_django_view_raising_http404_is_the_standard_404():
    """A Django view's ``Http404`` is the usual ``["Not found"]`` error reply."""
    client = await connect(view_as_consumer(plain_view), "/")
    reply = await ask(client, action="retrieve", parameters={"missing": True})
    assert (reply["response_status"], reply["errors"], reply["data"]) == (404, ["Not found"], None)
    await client.disconnect()


async def test_a_plain_django_view_body_is_sent_as_text():
    """A non-DRF response is sent as its decoded text, or hex when it is not UTF-8."""
    client = await connect(view_as_consumer(plain_view), "/")
    assert (await ask(client, action="list"))["data"] == "hello GET"
    assert (await ask(client, action="list", parameters={"binary": 1}))["data"] == "ff00"
    await client.disconnect()


async def test_an_async_django_view_works():
    """``async def`` views are awaited."""
    client = await connect(view_as_consumer(async_view), "/")
    assert (await ask(client, action="list"))["data"] == '{"async": true}'
    await client.disconnect()


async def test_unknown_actions_are_405():
    """Only the mapped actions exist; ``delete`` is not in the default mapping."""
    client = await connect(view_as_consumer(ListView.as_view()), "/")
    reply = await ask(client, action="delete")
    assert (reply["response_status"], reply["errors"]) == (405, ['Method "delete" not allowed.'])
    await client.disconnect()


@pytest.mark.parametrize("key", ["query", "parameters"])
@pytest.mark.parametrize("value", [[1, 2], "a=b", 3, True])
async def test_non_object_query_or_parameters_are_a_400(key, value):
    """``query`` and ``parameters`` must be objects; anything else is a 400, not a crash."""
    client = await connect(view_as_consumer(EchoView.as_view()), "/")
    reply = await ask(client, action="retrieve", **{key: value})
    assert reply["response_status"] == 400
    assert (await ask(client, action="retrieve"))["response_status"] == 200
    await client.disconnect()


async def test_the_view_sees_the_connection_user_and_no_csrf_check():
    """``request.user`` is the scope's user; session-authenticated writes are not CSRF-refused."""
    user = await get_user_model().objects.acreate(username="ada")
    consumer = view_as_consumer(WhoAmI.as_view(), {"retrieve": "GET", "create": "POST"})
    anonymous = await connect(consumer, "/")
    denied = await ask(anonymous, action="retrieve")
    assert denied["response_status"] == 403
    assert "detail" in denied["data"]
    await anonymous.disconnect()
    client = await connect(consumer, "/", user=user)
    assert (await ask(client, action="retrieve"))["data"] == {"username": "ada"}
    posted = await ask(client, action="create", data={"a": 1})
    assert posted["response_status"] == 200
    assert posted["data"] == {"username": "ada", "data": {"a": 1}}
    await client.disconnect()


async def test_it_is_an_asgi_app_for_a_url_router():
    """The result goes straight into a URL router, without ``.as_asgi()``."""
    router = URLRouter([re_path(r"^ws/notes/$", view_as_consumer(ListView.as_view()))])
    client = await connect(router, "/ws/notes/")
    assert (await ask(client, action="list"))["data"] == ["test1", "test2"]
    await client.disconnect()


async def test_concurrent_connections_keep_their_own_state():
    """Two clients of one ``view_as_consumer`` object each get their own user and replies."""
    User = get_user_model()
    ada = await User.objects.acreate(username="ada")
    bob = await User.objects.acreate(username="bob")
    consumer = view_as_consumer(WhoAmI.as_view())
    first = await connect(consumer, "/", user=ada)
    second = await connect(consumer, "/", user=bob)
    for _ in range(3):
        await asyncio.gather(
            first.send_json_to({"action": "retrieve", "request_id": "a"}),
            second.send_json_to({"action": "retrieve", "request_id": "b"}),
        )
        one, two = await first.receive_json_from(), await second.receive_json_from()
        assert (one["request_id"], one["data"]) == ("a", {"username": "ada"})
        assert (two["request_id"], two["data"]) == ("b", {"username": "bob"})
    await first.disconnect()
    await second.disconnect()


def test_it_is_a_django_view_as_consumer_with_the_1_3_defaults():
    """The result is a ``DjangoViewAsConsumer`` carrying the view and the 1.3 mapping."""
    consumer = view_as_consumer(ListView.as_view())
    assert isinstance(consumer, DjangoViewAsConsumer)
    assert dict(consumer.actions) == {
        "create": "PUT",
        "update": "PATCH",
        "list": "GET",
        "retrieve": "GET",
    }
    assert dict(DEFAULT_MAPPED_ACTIONS) == dict(consumer.actions)
    with pytest.warns(PendingDeprecationWarning, match="dumpy_url_config"):
        assert consumer.dumpy_url_config is None
    assert type(consumer).view.view_class is ListView


async def test_a_subclass_may_set_view_as_a_plain_attribute():
    """``class C(DjangoViewAsConsumer): view = MyView.as_view()`` works too."""

    class Direct(DjangoViewAsConsumer):
        view = ListView.as_view()
        actions = {"list": "GET"}

    client = await connect(Direct.as_asgi(), "/")
    assert (await ask(client, action="list"))["data"] == ["test1", "test2"]
    await client.disconnect()


async def test_a_view_error_does_not_close_the_connection():
    """An unexpected exception in the view is a 500 reply; the socket stays usable."""

    def broken(request, *args, **kwargs):
        raise RuntimeError("boom")

    client = await connect(view_as_consumer(broken), "/")
    assert (await ask(client, action="list"))["response_status"] == 500
    assert (await ask(client, action="list"))["response_status"] == 500
    await client.disconnect()


class RefuseAll(BaseThrottle):
    def allow_request(self, request, view):
        return False

    def wait(self):
        return 7


class ThrottledViewConsumer(DjangoViewAsConsumer):
    view = staticmethod(ListView.as_view())
    actions = {"retrieve": "GET"}
    throttle_classes = [RefuseAll]


async def test_throttles_apply_to_wrapped_views():
    """The consumer's ``throttle_classes`` are checked before the view is called."""
    client = await connect(ThrottledViewConsumer(), "/")
    reply = await ask(client, action="retrieve")
    assert reply["response_status"] == 429
    assert "7 seconds" in reply["errors"][0]
    await client.disconnect()
