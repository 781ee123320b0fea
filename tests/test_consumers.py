"""``AsyncAPIConsumer``: dispatch, the reply envelope, the error path and connection state."""

import asyncio
import json
import logging

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import NotFound, Throttled, ValidationError

from djangochannelsrestframework import consumers, db
from djangochannelsrestframework.consumers import APIConsumerMetaclass, AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import AllowAny, BasePermission
from djangochannelsrestframework.testing import APICommunicator, connected
from tests.helpers import error

pytestmark = pytest.mark.django_db(transaction=True)


class DenyForbidden(BasePermission):
    """Allows every action except the one named ``forbidden`` (which does not exist)."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        return action != "forbidden"


class EchoConsumer(AsyncAPIConsumer):
    """Custom actions that exercise each dispatch rule."""

    permission_classes = [DenyForbidden]

    @action()
    async def ping(self, **kwargs):
        return {"pong": True}, 200

    @action()
    async def echo(self, **kwargs):
        return kwargs, 200

    @action()
    def sync_echo(self, **kwargs):
        return kwargs, 200

    @action()
    async def strict(self, value, action=None, request_id=None):
        return {"value": value}, 200

    @action()
    async def silent(self, **kwargs):
        return {"this": "is not a tuple"}

    @action()
    async def push(self, action, request_id, **kwargs):
        await self.reply(action="pushed", data={"n": 1}, status=202, request_id=request_id)

    @action()
    async def fail(self, kind, **kwargs):
        raise FAILURES[kind]()

    @action()
    async def unencodable(self, **kwargs):
        return {"value": object()}, 200

    @action()
    async def triple(self, **kwargs):
        return {}, 200, "extra"


FAILURES = {
    "not_found": lambda: NotFound(),
    "http404": lambda: Http404("gone"),
    "validation": lambda: ValidationError("text"),
    "field_validation": lambda: ValidationError({"field": ["bad value"]}),
    "throttled": lambda: Throttled(),
    "django_validation": lambda: DjangoValidationError("bad"),
    "django_field_validation": lambda: DjangoValidationError({"field": ["bad"]}),
    "does_not_exist": lambda: ObjectDoesNotExist("no row"),
    "integrity": lambda: IntegrityError("UNIQUE constraint failed"),
    "django_permission": lambda: DjangoPermissionDenied("no"),
    "bug": lambda: RuntimeError("secret internal detail"),
}


class MemoryConsumer(AsyncAPIConsumer):
    """Keeps one value per connection, to show that connections never share state."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.remembered = None

    @action()
    async def remember(self, value, **kwargs):
        self.remembered = value
        return {"path": self.scope["path"]}, 200

    @action()
    async def recall(self, **kwargs):
        return {"value": self.remembered, "path": self.scope["path"]}, 200


async def assert_still_usable(client):
    """A normal request on the same socket is answered after an error."""
    assert await client.request({"action": "ping", "request_id": "after"}) == {
        "errors": [],
        "data": {"pong": True},
        "action": "ping",
        "response_status": 200,
        "request_id": "after",
    }


@pytest.fixture
async def client():
    async with connected(EchoConsumer.as_asgi()) as communicator:
        yield communicator


# The import surface of 1.3 ---------------------------------------------------------------


def test_consumers_module_exposes_the_13_names():
    """Every public and incidental name 1.3 users import from ``consumers`` is there."""
    from djangochannelsrestframework.consumers import (  # noqa: F401
        ActionMissingException,
        APIConsumerMetaclass,
        APIException,
        AsyncAPIConsumer,
        AsyncJsonWebsocketConsumer,
        BasePermission,
        MethodNotAllowed,
        PermissionDenied,
        Response,
        WrappedDRFPermission,
        api_settings,
        database_sync_to_async,
        ensure_async,
        logger,
        request_from_scope,
    )

    assert logger.name == "djangochannelsrestframework.consumers"


def test_generic_consumer_is_importable_from_consumers_as_the_docs_show():
    """``consumers.GenericAsyncAPIConsumer`` (shown in the 1.3 docs) is the generics class."""
    from djangochannelsrestframework.consumers import GenericAsyncAPIConsumer
    from djangochannelsrestframework.generics import GenericAsyncAPIConsumer as generic

    assert GenericAsyncAPIConsumer is generic


def test_unknown_module_attribute_raises_attribute_error():
    """Names the module does not define still raise ``AttributeError``."""
    with pytest.raises(AttributeError):
        consumers.NoSuchThing  # noqa: B018


def test_action_missing_exception_has_the_13_status_text_and_code():
    """``exceptions.ActionMissingException`` is a 405 with the 1.3 text and code."""
    from djangochannelsrestframework.exceptions import ActionMissingException

    exc = ActionMissingException()
    assert exc.status_code == 405
    assert str(exc.detail) == "Unable to find action in message body."
    assert exc.default_code == "method_not_allowed"


# The action table ------------------------------------------------------------------------


def test_metaclass_maps_wire_names_to_method_names():
    """``available_actions`` maps every ``@action()`` method, and only those, by name."""
    assert isinstance(EchoConsumer, APIConsumerMetaclass)
    assert EchoConsumer.available_actions == {
        name: name
        for name in (
            "ping",
            "echo",
            "sync_echo",
            "strict",
            "silent",
            "push",
            "fail",
            "unencodable",
            "triple",
        )
    }


def test_available_actions_include_inherited_actions():
    """A subclass keeps the actions of its bases and adds its own."""

    class Child(EchoConsumer):
        @action()
        async def extra(self, **kwargs):
            return None, 200

    assert {"ping", "echo", "extra"} <= set(Child.available_actions)
    assert "extra" not in EchoConsumer.available_actions


def test_overriding_an_action_with_a_plain_method_removes_it():
    """An undecorated override is not an action; re-decorate overrides with ``@action()``."""

    class Child(EchoConsumer):
        async def ping(self, **kwargs):
            return {"pong": False}, 200

    assert "ping" not in Child.available_actions
    assert "echo" in Child.available_actions


def test_action_name_option_sets_the_wire_name():
    """``@action(name="wire")`` exposes the method as ``wire``, not under its Python name."""

    class Named(AsyncAPIConsumer):
        @action(name="wire")
        async def python_name(self, **kwargs):
            return None, 200

    assert Named.available_actions == {"wire": "python_name"}


def test_plain_attributes_are_not_actions():
    """Class attributes and undecorated methods never become actions."""

    class Plain(AsyncAPIConsumer):
        value = 3

        async def helper(self):
            return None

    assert Plain.available_actions == {}


def test_default_permission_classes_come_from_the_setting():
    """Without ``permission_classes`` a consumer uses ``DEFAULT_PERMISSION_CLASSES``."""
    assert list(AsyncAPIConsumer.permission_classes) == [AllowAny]


def test_per_instance_state_is_created_in_init():
    """``groups`` and ``detached_tasks`` are fresh per instance, never shared."""

    class Grouped(AsyncAPIConsumer):
        groups = ["news"]

    first, second = Grouped(), Grouped()
    assert first.groups == {"news"}
    first.groups.add("other")
    first.detached_tasks["x"].append(None)
    assert second.groups == {"news"}
    assert second.detached_tasks == {}


# Dispatch and replies --------------------------------------------------------------------


async def test_reply_envelope_has_exactly_five_keys_in_13_order(client):
    """A reply holds ``errors``, ``data``, ``action``, ``response_status``, ``request_id``."""
    await client.send_json_to({"action": "ping", "request_id": 1})
    text = await client.receive_from()
    assert list(json.loads(text)) == ["errors", "data", "action", "response_status", "request_id"]


@pytest.mark.parametrize("request_id", [7, "abc", None, 2.5, -(2**63) - 1, 2**64, 10**30])
async def test_request_id_is_echoed_as_sent(client, request_id):
    """The reply carries the request's ``request_id`` whatever its JSON type."""
    reply = await client.request({"action": "ping", "request_id": request_id})
    assert reply["request_id"] == request_id


async def test_absent_request_id_is_echoed_as_null(client):
    """A request without ``request_id`` gets ``request_id: null``."""
    reply = await client.request({"action": "ping"})
    assert reply == {
        "errors": [],
        "data": {"pong": True},
        "action": "ping",
        "response_status": 200,
        "request_id": None,
    }


async def test_action_receives_every_message_key_plus_action_and_request_id(client):
    """Top-level keys become keyword arguments, with ``action`` and ``request_id`` added."""
    reply = await client.request({"action": "echo", "request_id": 3, "a": 1, "b": [2]})
    assert reply["data"] == {"a": 1, "b": [2], "action": "echo", "request_id": 3}


async def test_sync_actions_are_dispatched_like_async_ones(client):
    """A sync ``@action()`` is awaited and replies the same way."""
    reply = await client.request({"action": "sync_echo", "request_id": 4, "x": "y"})
    assert reply["response_status"] == 200
    assert reply["data"] == {"x": "y", "action": "sync_echo", "request_id": 4}


async def test_returning_a_non_tuple_sends_nothing(client):
    """Only a ``(data, status)`` tuple is a reply; any other return value is not sent."""
    await client.send_json_to({"action": "silent", "request_id": 1})
    assert await client.receive_nothing()
    await assert_still_usable(client)


async def test_actions_may_reply_themselves(client):
    """An action can call ``self.reply(...)``; that is the only message sent."""
    reply = await client.request({"action": "push", "request_id": 9})
    assert reply == {
        "errors": [],
        "data": {"n": 1},
        "action": "pushed",
        "response_status": 202,
        "request_id": 9,
    }
    assert await client.receive_nothing()


async def test_pipelined_requests_are_answered_in_order(client):
    """Twenty requests sent without waiting get twenty replies, in order, with their ids."""
    for request_id in range(20):
        name = "sync_echo" if request_id % 2 else "echo"
        await client.send_json_to({"action": name, "request_id": request_id})
    replies = [await client.receive_json_from() for _ in range(20)]
    assert [reply["request_id"] for reply in replies] == list(range(20))
    assert all(reply["response_status"] == 200 for reply in replies)


# Connections -----------------------------------------------------------------------------


async def test_a_consumer_instance_can_be_mounted_directly():
    """``APICommunicator(Consumer(), "/")`` works, as in the 1.3 test-suite."""
    async with connected(EchoConsumer(), "/") as communicator:
        await assert_still_usable(communicator)


async def test_two_connections_to_one_instance_never_share_state():
    """Connections to one mounted instance each get only their own replies and state."""
    instance = MemoryConsumer()
    first = APICommunicator(instance, "/first/")
    second = APICommunicator(instance, "/second/")
    results = await asyncio.gather(first.connect(), second.connect())
    assert [accepted for accepted, _ in results] == [True, True]

    await first.send_json_to({"action": "remember", "value": "A", "request_id": 1})
    await second.send_json_to({"action": "remember", "value": "B", "request_id": 2})
    assert (await first.receive_json_from())["data"] == {"path": "/first/"}
    assert (await second.receive_json_from())["data"] == {"path": "/second/"}

    assert (await first.request({"action": "recall"}))["data"] == {
        "value": "A",
        "path": "/first/",
    }
    assert await second.receive_nothing()
    assert (await second.request({"action": "recall"}))["data"] == {
        "value": "B",
        "path": "/second/",
    }
    assert await first.receive_nothing()
    await first.disconnect()
    await second.disconnect()


async def test_as_asgi_connections_never_share_state():
    """Each ``as_asgi()`` connection has its own consumer instance."""
    application = MemoryConsumer.as_asgi()
    async with connected(application, "/one/") as one, connected(application, "/two/") as two:
        await one.request({"action": "remember", "value": 1})
        assert (await two.request({"action": "recall"}))["data"] == {
            "value": None,
            "path": "/two/",
        }
        assert (await one.request({"action": "recall"}))["data"] == {"value": 1, "path": "/one/"}


# Errors: every one is a reply, and the socket stays usable ------------------------------


async def test_missing_action_is_a_405_with_null_action(client):
    """A message without ``action`` gets the 1.3 405 reply with ``action: null``."""
    reply = await client.request({"request_id": 1, "pk": 2})
    assert reply == error(405, ["Unable to find action in message body."], None)
    await assert_still_usable(client)


async def test_unknown_action_is_a_405_naming_it(client):
    """An action the consumer does not have gets 405 ``Method "<name>" not allowed.``."""
    reply = await client.request({"action": "x", "request_id": 1})
    assert reply == error(405, ['Method "x" not allowed.'], "x")
    await assert_still_usable(client)


async def test_permissions_are_checked_before_the_action_exists(client):
    """An unknown action that a permission refuses is answered 403, not 405."""
    reply = await client.request({"action": "forbidden", "request_id": 1})
    assert reply == error(403, ["You do not have permission to perform this action."], "forbidden")
    await assert_still_usable(client)


async def test_drf_not_found_keeps_drf_text(client):
    """DRF ``NotFound`` raised in an action is 404 with DRF's ``"Not found."`` text."""
    reply = await client.request({"action": "fail", "kind": "not_found", "request_id": 1})
    assert reply == error(404, ["Not found."], "fail")
    await assert_still_usable(client)


async def test_http404_is_a_404_not_found(client):
    """Django's ``Http404`` becomes 404 ``["Not found"]`` (no period, as in 1.3)."""
    reply = await client.request({"action": "fail", "kind": "http404", "request_id": 1})
    assert reply == error(404, ["Not found"], "fail")
    await assert_still_usable(client)


async def test_drf_validation_error_text_is_wrapped_in_a_list(client):
    """DRF ``ValidationError("text")`` is 400 ``["text"]``."""
    reply = await client.request({"action": "fail", "kind": "validation", "request_id": 1})
    assert reply == error(400, ["text"], "fail")
    await assert_still_usable(client)


async def test_drf_validation_error_dict_is_one_list_item(client):
    """A dict of field errors arrives as a one-element list holding the dict."""
    reply = await client.request({"action": "fail", "kind": "field_validation", "request_id": 1})
    assert reply == error(400, [{"field": ["bad value"]}], "fail")
    await assert_still_usable(client)


async def test_throttled_is_a_429(client):
    """DRF ``Throttled`` is 429 ``["Request was throttled."]``."""
    reply = await client.request({"action": "fail", "kind": "throttled", "request_id": 1})
    assert reply == error(429, ["Request was throttled."], "fail")
    await assert_still_usable(client)


async def test_django_validation_error_is_a_400(client):
    """Django's ``ValidationError`` raised in an action is 400 with its messages."""
    reply = await client.request({"action": "fail", "kind": "django_validation", "request_id": 1})
    assert reply == error(400, ["bad"], "fail")
    await assert_still_usable(client)


async def test_django_validation_error_dict_keeps_fields(client):
    """A Django ``ValidationError`` with a field dict is 400 ``[{"field": [...]}]``."""
    message = {"action": "fail", "kind": "django_field_validation", "request_id": 1}
    reply = await client.request(message)
    assert reply == error(400, [{"field": ["bad"]}], "fail")
    await assert_still_usable(client)


async def test_object_does_not_exist_is_a_404(client):
    """``ObjectDoesNotExist`` (any ``Model.DoesNotExist``) is 404 ``["Not found"]``."""
    reply = await client.request({"action": "fail", "kind": "does_not_exist", "request_id": 1})
    assert reply == error(404, ["Not found"], "fail")
    await assert_still_usable(client)


async def test_integrity_error_is_a_409(client):
    """An ``IntegrityError`` is 409 without the database's message."""
    reply = await client.request({"action": "fail", "kind": "integrity", "request_id": 1})
    assert reply == error(
        409, ["The request conflicts with the current state of the data."], "fail"
    )
    await assert_still_usable(client)


async def test_django_permission_denied_is_a_403(client):
    """Django's ``PermissionDenied`` is the same 403 as a refused permission."""
    reply = await client.request({"action": "fail", "kind": "django_permission", "request_id": 1})
    assert reply == error(403, ["You do not have permission to perform this action."], "fail")
    await assert_still_usable(client)


async def test_unexpected_exception_is_a_500_logged_with_action_and_request_id(client, caplog):
    """A bug in an action is logged with its traceback and answered with a bare 500."""
    with caplog.at_level(logging.ERROR, logger="djangochannelsrestframework.consumers"):
        reply = await client.request({"action": "fail", "kind": "bug", "request_id": "r-1"})
    assert reply == error(500, ["A server error occurred."], "fail", "r-1")
    assert "secret internal detail" not in json.dumps(reply)
    [record] = [r for r in caplog.records if r.name == "djangochannelsrestframework.consumers"]
    assert "'r-1'" in record.getMessage()
    assert "'fail'" in record.getMessage()
    assert isinstance(record.exc_info[1], RuntimeError)
    await assert_still_usable(client)


async def test_unencodable_data_is_a_500_and_the_connection_survives(client, caplog):
    """Data that cannot be encoded as JSON is a logged 500 reply, not a dropped socket."""
    with caplog.at_level(logging.ERROR, logger="djangochannelsrestframework.consumers"):
        reply = await client.request({"action": "unencodable", "request_id": 1})
    assert reply == error(500, ["A server error occurred."], "unencodable")
    await assert_still_usable(client)


async def test_return_tuple_of_the_wrong_length_is_a_500(client, caplog):
    """A return tuple that is not ``(data, status)`` is a logged 500."""
    with caplog.at_level(logging.ERROR, logger="djangochannelsrestframework.consumers"):
        reply = await client.request({"action": "triple", "request_id": 1})
    assert reply == error(500, ["A server error occurred."], "triple")
    assert caplog.records
    await assert_still_usable(client)


async def test_non_json_text_is_a_400(client):
    """Text that is not JSON is answered 400 with ``action: null``."""
    await client.send_to(text_data="{not json")
    reply = await client.receive_json_from()
    assert reply["response_status"] == 400
    assert reply["action"] is None
    assert reply["errors"][0].startswith("Invalid JSON")
    await assert_still_usable(client)


async def test_binary_frame_is_a_400(client):
    """A binary frame is answered 400: the protocol is JSON text."""
    await client.send_to(bytes_data=b'{"action": "ping"}')
    reply = await client.receive_json_from()
    assert reply == error(400, ["Binary frames are not supported; send JSON text."], None, None)
    await assert_still_usable(client)


async def test_empty_frame_is_a_400(client):
    """An empty text frame is answered 400."""
    await client.send_input({"type": "websocket.receive", "text": ""})
    reply = await client.receive_json_from()
    assert reply["response_status"] == 400
    assert reply["request_id"] is None
    await assert_still_usable(client)


@pytest.mark.parametrize("content", [[1, 2], "text", 5, None])
async def test_json_that_is_not_an_object_is_a_400(client, content):
    """An array, string, number or null is answered 400, not a crash."""
    reply = await client.request(content)
    assert reply == error(400, ['Expected a JSON object with an "action" key.'], None, None)
    await assert_still_usable(client)


@pytest.mark.parametrize("name", [5, ["ping"], {"a": 1}, True])
async def test_non_string_action_is_a_400(client, name):
    """An ``action`` that is not a string is answered 400, with the request id echoed."""
    reply = await client.request({"action": name, "request_id": 1})
    assert reply == error(400, ['"action" must be a string.'], None)
    await assert_still_usable(client)


@pytest.mark.parametrize("key", ["self", "scope", "consumer"])
async def test_reserved_keys_are_a_400(client, key):
    """Keys that would collide with dispatch parameters are refused with a 400."""
    reply = await client.request({"action": "echo", key: 1, "request_id": 1})
    assert reply == error(400, [f'Message key "{key}" is reserved.'], "echo")
    await assert_still_usable(client)


async def test_keys_the_action_does_not_accept_are_a_400_naming_them(client):
    """A key not in a custom action's signature is refused, naming the key."""
    reply = await client.request({"action": "strict", "value": 1, "other": 2, "request_id": 1})
    assert reply == error(400, ['Unexpected key "other".'], "strict")
    await assert_still_usable(client)


async def test_missing_required_action_argument_is_a_400_naming_it(client):
    """A required parameter of a custom action that the message lacks is named in a 400."""
    reply = await client.request({"action": "strict", "request_id": 1})
    assert reply == error(400, ['Missing required key "value".'], "strict")
    assert (await client.request({"action": "strict", "value": 5}))["data"] == {"value": 5}


async def test_oversize_frame_is_a_413_and_not_parsed(client):
    """A frame over ``MAX_MESSAGE_SIZE`` is answered 413 without being decoded."""
    with override_settings(DJANGO_CHANNELS_REST_API={"MAX_MESSAGE_SIZE": 64}):
        await client.send_to(text_data="{not json at all" + "x" * 100)
        reply = await client.receive_json_from()
        assert reply == error(413, ["Message too large."], None, None)
        await assert_still_usable(client)


async def test_oversize_binary_frame_is_a_413(client):
    """The size limit applies to binary frames too."""
    with override_settings(DJANGO_CHANNELS_REST_API={"MAX_MESSAGE_SIZE": 10}):
        await client.send_to(bytes_data=b"x" * 11)
        assert (await client.receive_json_from())["response_status"] == 413
    await assert_still_usable(client)


async def test_frame_size_is_counted_in_bytes_not_characters(client):
    """Multi-byte characters count with their UTF-8 length."""
    with override_settings(DJANGO_CHANNELS_REST_API={"MAX_MESSAGE_SIZE": 50}):
        await client.send_to(text_data="é" * 30)
        assert (await client.receive_json_from())["response_status"] == 413


async def test_frame_at_the_size_limit_is_accepted(client):
    """A frame exactly ``MAX_MESSAGE_SIZE`` bytes long is processed normally."""
    text = json.dumps({"action": "ping", "request_id": "after"})
    with override_settings(DJANGO_CHANNELS_REST_API={"MAX_MESSAGE_SIZE": len(text)}):
        await client.send_to(text_data=text)
        assert (await client.receive_json_from())["response_status"] == 200


async def test_get_action_name_can_be_overridden():
    """Overriding ``get_action_name`` changes where the action is read from."""

    class TypeKeyed(EchoConsumer):
        async def get_action_name(self, content, **kwargs):
            return content.pop("type"), content

    async with connected(TypeKeyed.as_asgi()) as communicator:
        reply = await communicator.request({"type": "ping", "request_id": 1})
        assert reply["action"] == "ping"
        assert reply["data"] == {"pong": True}


def test_format_errors_always_returns_a_list():
    """``_format_errors`` wraps strings and dicts, keeps lists and never returns ``None``."""
    consumer = AsyncAPIConsumer()
    assert consumer._format_errors(["a"]) == ["a"]
    assert consumer._format_errors("a") == ["a"]
    assert consumer._format_errors({"f": ["a"]}) == [{"f": ["a"]}]
    assert consumer._format_errors(None) == []
    assert consumer._format_errors(3) == ["3"]


async def test_no_size_limit_when_max_message_size_is_none(client):
    """``MAX_MESSAGE_SIZE: None`` turns the frame-size limit off."""
    with override_settings(DJANGO_CHANNELS_REST_API={"MAX_MESSAGE_SIZE": None}):
        reply = await client.request({"action": "echo", "blob": "x" * 2_000_000})
    assert reply["response_status"] == 200
    assert len(reply["data"]["blob"]) == 2_000_000


class PingOnly(AsyncAPIConsumer):
    @action()
    async def ping(self, **kwargs):
        return {"pong": True}, 200


async def _frame_gets_one_reply(frame):
    async with connected(PingOnly.as_asgi()) as communicator:
        key = "text" if isinstance(frame, str) else "bytes"
        await communicator.send_input({"type": "websocket.receive", key: frame})
        reply = await communicator.receive_json_from()
        assert list(reply) == ["errors", "data", "action", "response_status", "request_id"]
        assert await communicator.receive_nothing(timeout=0.01)
        await assert_still_usable(communicator)


@settings(max_examples=80, deadline=None)
@given(frame=st.text(max_size=40) | st.binary(max_size=40))
def test_any_frame_gets_exactly_one_reply(frame):
    """Whatever text or bytes a client sends, it gets one reply and the socket stays open."""
    async_to_sync(_frame_gets_one_reply)(frame)


class NewsConsumer(AsyncAPIConsumer):
    """Joins ``news`` on connect and other groups on request."""

    groups = ["news"]

    @action()
    async def join(self, group, **kwargs):
        await self.add_group(group)
        return sorted(self.groups), 200

    @action()
    async def leave(self, group, **kwargs):
        await self.remove_group(group)
        return sorted(self.groups), 200

    async def news_message(self, event):
        await self.reply(action="news", data=event["text"])


async def send_to_group(group, text):
    from channels.layers import get_channel_layer

    await get_channel_layer().group_send(group, {"type": "news.message", "text": text})


async def test_class_groups_are_joined_on_connect():
    """Groups listed in ``groups`` are joined when the client connects."""
    async with connected(NewsConsumer.as_asgi()) as communicator:
        await send_to_group("news", "hello")
        assert (await communicator.receive_json_from())["data"] == "hello"


async def test_add_group_and_remove_group():
    """``add_group`` joins a channel-layer group and ``remove_group`` leaves it."""
    async with connected(NewsConsumer.as_asgi()) as communicator:
        reply = await communicator.request({"action": "join", "group": "sport"})
        assert reply["data"] == ["news", "sport"]
        await send_to_group("sport", "goal")
        assert (await communicator.receive_json_from())["data"] == "goal"
        reply = await communicator.request({"action": "leave", "group": "sport"})
        assert reply["data"] == ["news"]
        await send_to_group("sport", "another goal")
        assert await communicator.receive_nothing()


async def test_groups_are_left_on_disconnect(monkeypatch):
    """Every group joined, on connect or later, is left when the client disconnects."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    left = []
    discard = layer.group_discard

    async def spy(group, channel):
        left.append(group)
        await discard(group, channel)

    monkeypatch.setattr(layer, "group_discard", spy)
    async with connected(NewsConsumer.as_asgi()) as communicator:
        await communicator.request({"action": "join", "group": "sport"})
    assert sorted(left) == ["news", "sport"]


# Stale database connections ---------------------------------------------------------------


def count_connection_cleanups(monkeypatch):
    calls = []
    monkeypatch.setattr(db, "close_old_connections", lambda: calls.append(1))
    monkeypatch.setattr(db._cleanup_timer, "due", 0.0)
    return calls


async def test_stale_connections_are_closed_at_most_once_per_interval(monkeypatch):
    """The message loop closes stale database connections once per interval, not before
    every message (the sync actions' own hop closes them around each action)."""
    calls = count_connection_cleanups(monkeypatch)
    with override_settings(DJANGO_CHANNELS_REST_API={"CONNECTION_CLEANUP_INTERVAL": 3600}):
        async with connected(EchoConsumer.as_asgi()) as client:
            for _ in range(5):
                await assert_still_usable(client)
    assert len(calls) == 1


async def test_a_zero_interval_closes_stale_connections_before_every_message(monkeypatch):
    """With ``CONNECTION_CLEANUP_INTERVAL = 0`` every message is preceded by a clean-up,
    as Channels itself does."""
    calls = count_connection_cleanups(monkeypatch)
    with override_settings(DJANGO_CHANNELS_REST_API={"CONNECTION_CLEANUP_INTERVAL": 0}):
        async with connected(EchoConsumer.as_asgi()) as client:
            for _ in range(5):
                await assert_still_usable(client)
    assert len(calls) >= 6


# A client that stops reading ---------------------------------------------------------------


def stalling_after(application, frames):
    """An ASGI wrapper whose ``send`` never completes after ``frames`` text frames, as a
    server's does for a client that stopped reading."""

    async def wrapped(scope, receive, send):
        sent = 0

        async def stalled_send(message):
            nonlocal sent
            if message["type"] == "websocket.send":
                sent += 1
                if sent > frames:
                    await asyncio.Event().wait()
            await send(message)

        return await application(scope, receive, stalled_send)

    return wrapped


class ImpatientEchoConsumer(EchoConsumer):
    def get_send_timeout(self):
        return 0.2


async def test_a_client_that_does_not_read_is_closed_with_4429():
    """A frame left unsent for ``get_send_timeout()`` seconds closes the socket with 4429,
    and nothing more is sent to that client."""
    communicator = APICommunicator(stalling_after(ImpatientEchoConsumer.as_asgi(), 1), "/ws/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"action": "ping", "request_id": 1})
    assert (await communicator.receive_json_from())["request_id"] == 1
    await communicator.send_json_to({"action": "ping", "request_id": 2})
    assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 4429}
    await communicator.send_json_to({"action": "ping", "request_id": 3})
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()
