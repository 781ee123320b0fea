"""The AsyncAPI generator: routes, serializer shapes, actions, lists, observers and hooks.

The strongest checks send real frames to the consumers and validate the replies and events
against the schemas the document gives for them.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jsonschema
import pytest
from django.contrib.auth import get_user_model

from djangochannelsrestframework import mixins
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.schema import SchemaGenerator, get_schema
from djangochannelsrestframework.schema.fields import Mode, SchemaRegistry
from djangochannelsrestframework.schema.routes import find_routes
from tests.app import routing
from tests.app.models import Author, Book, Comment
from tests.app.schema_consumers import LibraryConsumer
from tests.app.serializers import UserSerializer
from tests.helpers import ask, connect

User = get_user_model()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The document of every consumer of the test app."""
    return get_schema(routing.application)


def channel_of(document: dict[str, Any], consumer: type) -> tuple[str, dict[str, Any]]:
    name = f"{consumer.__module__}.{consumer.__qualname__}"
    for channel_id, channel in document["channels"].items():
        if channel["x-dcrf-consumer"] == name and channel["address"].endswith(
            f"/{consumer.__name__.lower()}/"
        ):
            return channel_id, channel
    raise AssertionError(f"{name} has no channel")


def payload(document: dict[str, Any], consumer: type, message: str) -> dict[str, Any]:
    """The payload schema of ``message``, able to resolve the document's ``$ref``s."""
    _, channel = channel_of(document, consumer)
    return {**channel["messages"][message]["payload"], "components": document["components"]}


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def check(document: dict[str, Any], consumer: type, message: str, frame: Any) -> None:
    """Fail unless ``frame`` is valid for ``message`` of ``consumer``'s channel."""
    jsonschema.validate(frame, payload(document, consumer, message))


# Serializers ---------------------------------------------------------------------------


def test_write_only_fields_are_only_in_requests_and_read_only_only_in_replies():
    """``password`` (write-only) is in the write shape; ``id`` (read-only) in the read one."""
    registry = SchemaRegistry()
    read = registry.resolve(registry.ref(UserSerializer, Mode.READ))
    write = registry.resolve(registry.ref(UserSerializer, Mode.WRITE))
    assert "password" not in read["properties"] and "id" in read["properties"]
    assert "password" in write["properties"] and "id" not in write["properties"]
    assert "username" in write["required"] and "password" not in write["required"]
    assert read["additionalProperties"] is False


def test_partial_shape_requires_nothing():
    """``patch`` data may carry any subset of the writable fields."""
    registry = SchemaRegistry()
    partial = registry.resolve(registry.ref(UserSerializer, Mode.PARTIAL))
    assert "required" not in partial
    assert set(partial["properties"]) == {"username", "email", "password"}


def test_field_types_follow_the_model(document):
    """Lookup keys and related fields take the type of the model's primary key."""
    book = document["components"]["schemas"]["BookRead"]["properties"]
    assert book["author"]["type"] == "integer"
    assert book["year"]["type"] == "integer"
    nested = document["components"]["schemas"]["NestedBookRead"]["properties"]
    assert nested["genres"]["type"] == "array"
    assert nested["genres"]["items"] == {"$ref": "#/components/schemas/GenreRead"}


# Routes --------------------------------------------------------------------------------


def test_every_consumer_of_the_test_app_is_routed_and_described(document):
    """Each routed consumer gets a channel with one operation per action it has."""
    for consumer in routing.CONSUMERS:
        channel_id, _ = channel_of(document, consumer)
        for name in consumer.available_actions:
            assert f"{channel_id}_{name}" in document["operations"], (consumer, name)


def test_the_routing_lists_every_consumer_class_of_the_test_app():
    """No consumer defined in tests/app is left out of the described application."""
    import inspect

    from djangochannelsrestframework.consumers import AsyncAPIConsumer

    defined = {
        value
        for module in routing.MODULES
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, AsyncAPIConsumer)
        and value.__module__ == module.__name__
    }
    assert defined <= set(routing.CONSUMERS), defined - set(routing.CONSUMERS)


def test_path_parameters_become_channel_parameters():
    """``path()`` converters and ``re_path()`` named groups become ``{name}`` parameters,
    through nested routers."""
    addresses = {route.address: route for route in find_routes(routing.application)}
    assert addresses["/ws/users/{team}/"].parameters == ["team"]
    assert addresses["/ws/session/notes/{owner}/"].parameters == ["owner"]


def test_security_follows_the_middleware(document):
    """Token middleware routes list the three token places and the session cookie."""
    operation = document["operations"]["ws_users_team_list"]
    schemes = [ref["$ref"].rsplit("/", 1)[-1] for ref in operation["security"]]
    assert schemes == ["session", "tokenSubprotocol", "tokenHeader", "tokenQuery"]
    assert document["components"]["securitySchemes"]["tokenQuery"]["in"] == "query"


def test_route_filter_keeps_one_route():
    """``route`` keeps only the channel at that address."""
    document = SchemaGenerator(routing.application, route="/ws/users/{team}/").get_schema()
    assert [c["address"] for c in document["channels"].values()] == ["/ws/users/{team}/"]


# Actions -------------------------------------------------------------------------------


def test_crud_statuses(document):
    """create answers 201, delete 204 with null data; lookups can answer 404."""
    channel_id, channel = channel_of(document, routing.consumers.UserConsumer)
    create = channel["messages"]["create_reply"]["payload"]["properties"]
    assert create["response_status"] == {"type": "integer", "const": 201}
    delete = channel["messages"]["delete_reply"]["payload"]["properties"]
    assert delete["data"] == {"type": "null"}
    errors = document["operations"][f"{channel_id}_retrieve"]["x-dcrf-statuses"]["error"]
    assert 404 in errors and 409 not in errors
    assert 409 in document["operations"][f"{channel_id}_create"]["x-dcrf-statuses"]["error"]


def test_custom_action_arguments_come_from_its_signature(document):
    """Annotated parameters are typed; those without a default are required."""
    schema = payload(document, LibraryConsumer, "rename_request")
    assert schema["properties"]["pk"] == {"type": "integer"}
    assert schema["properties"]["dry_run"] == {"type": "boolean", "default": False}
    assert schema["required"] == ["action", "pk", "title"]
    channel_id, _ = channel_of(document, LibraryConsumer)
    # It reads the instance with get_object(), which answers 404 when there is none.
    assert 404 in document["operations"][f"{channel_id}_rename"]["x-dcrf-statuses"]["error"]
    assert (
        404
        not in document["operations"][f"{channel_id}_watch_comments"]["x-dcrf-statuses"]["error"]
    )


def test_declared_hooks_describe_what_introspection_cannot(document):
    """``request_schema``/``reply_schema`` give a custom action's keys and reply data."""
    consumer = routing.schema_consumers.DeclaredConsumer
    request = payload(document, consumer, "ranking_request")
    assert request["required"] == ["action", "genre"]
    assert request["properties"]["top"]["default"] == 10
    reply = payload(document, consumer, "ranking_reply")["properties"]["data"]
    assert reply == {"type": "array", "items": {"$ref": "#/components/schemas/RankingRead"}}
    event = payload(document, consumer, "follow_book_titles")
    assert event["required"] == ["title_changed"]


def test_list_query_describes_filters_and_pages(document):
    """Search, ordering and django-filter fields go in ``query``; limit/offset at the top."""
    consumer = routing.consumers.BookSearchConsumer
    request = payload(document, consumer, "list_request")["properties"]
    assert {"search", "ordering", "author", "year"} <= set(request["query"]["properties"])
    library = payload(document, LibraryConsumer, "list_request")["properties"]
    assert {"limit", "offset"} <= set(library)


def test_drf_paginator_pages_are_described(document):
    """A DRF paginator's parameters go in ``query`` and its page shape is the reply."""
    consumer = routing.schema_consumers.DeclaredConsumer
    request = payload(document, consumer, "list_request")["properties"]
    assert "page" in request["query"]["properties"]
    data = payload(document, consumer, "list_reply")["properties"]["data"]
    assert {"count", "next", "previous", "results"} <= set(data["properties"])
    assert data["properties"]["next"]["type"] == ["string", "null"]


def test_observer_events_are_tied_to_the_action_that_subscribes(document):
    """``watch_comments`` subscribes to ``comments``: its event carries a CommentRead."""
    channel_id, _ = channel_of(document, LibraryConsumer)
    operation = document["operations"][f"{channel_id}_watch_comments_events"]
    assert operation["action"] == "send"
    event = payload(document, LibraryConsumer, "watch_comments_comments")
    assert event["properties"]["data"] == {"$ref": "#/components/schemas/CommentRead"}


def test_observers_subscribed_on_connect_are_channel_events(document):
    """An observer subscribed in ``accept`` is described as an event of the channel."""
    channel_id, _ = channel_of(document, routing.observer_consumers.UserDataConsumer)
    operation = document["operations"][f"{channel_id}_user_data_events"]
    assert "on connect" in operation["summary"]


def test_live_list_mixin_is_recognised():
    """A consumer with ``LiveListMixin``: subscribe_list takes list's keys and its events
    carry change, pk, index, row and (paginated) count."""
    consumer = LibraryConsumer
    assert issubclass(consumer, mixins.LiveListMixin)
    document = get_schema(consumer)
    messages = document["channels"]["root"]["messages"]
    request = messages["subscribe_list_request"]["payload"]
    assert {"limit", "offset", "query"} <= set(request["properties"])
    assert "request_id" in request["required"]
    change = messages["subscribe_list_change"]["payload"]["properties"]["data"]
    assert change["required"] == ["change", "pk", "index", "row", "count"]
    assert messages["unsubscribe_list_reply"]["payload"]["properties"]["response_status"] == {
        "type": "integer",
        "const": 204,
    }


# Real frames against the schema --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_crud_replies_match_their_schemas(document):
    """Replies (and errors) of the CRUD actions validate against the documented frames."""
    consumer = routing.consumers.UserConsumer
    user = await User.objects.acreate(username="ada", email="ada@example.com")
    client = await connect(consumer)
    try:
        check(document, consumer, "list_reply", await ask(client, action="list"))
        retrieved = await ask(client, action="retrieve", pk=user.pk)
        check(document, consumer, "retrieve_reply", retrieved)
        check(document, consumer, "retrieve_error", await ask(client, action="retrieve", pk=999))
        created = await ask(
            client, action="create", data={"username": "bob", "email": "", "password": "x"}
        )
        check(document, consumer, "create_reply", created)
        check(document, consumer, "create_error", await ask(client, action="create", data={}))
        patched = await ask(client, action="patch", pk=user.pk, data={"email": "a@b.example"})
        check(document, consumer, "patch_reply", patched)
        check(document, consumer, "delete_reply", await ask(client, action="delete", pk=user.pk))
        check(document, consumer, "unknown_action", await ask(client, action="nope"))
        await client.send_to(text_data="not json")
        check(document, consumer, "invalid_message", await client.receive_json_from())
        with pytest.raises(jsonschema.ValidationError):
            check(document, consumer, "create_reply", patched)  # 200 is not create's status
    finally:
        await client.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_paginated_list_and_custom_action_match_their_schemas(document):
    """A page of the paginated list, and a custom action's request, match the document."""
    author = await Author.objects.acreate(name="A")
    books = [await Book.objects.acreate(title=f"B{i}", author=author) for i in range(4)]
    client = await connect(LibraryConsumer)
    try:
        page = await ask(client, action="list", query={"search": "B"}, limit=2)
        assert page["data"]["count"] == 4
        check(document, LibraryConsumer, "list_reply", page)
        message = {"action": "rename", "pk": books[0].pk, "title": "C", "request_id": 1}
        jsonschema.validate(message, payload(document, LibraryConsumer, "rename_request"))
        check(document, LibraryConsumer, "rename_reply", await client.request(message))
    finally:
        await client.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_subscription_events_match_their_schemas(document):
    """Instance events and a model observer's events validate against the documented events."""
    consumer = routing.observer_consumers.UserInstanceConsumer
    user = await User.objects.acreate(username="eve")
    client = await connect(consumer)
    library = await connect(LibraryConsumer)
    try:
        reply = await ask(client, action="subscribe_instance", pk=user.pk, request_id=5)
        check(document, consumer, "subscribe_instance_reply", reply)
        user.email = "eve@example.com"
        await user.asave()
        check(document, consumer, "subscribe_instance_update", await client.receive_json_from(5))
        await user.adelete()
        check(document, consumer, "subscribe_instance_delete", await client.receive_json_from(5))

        await ask(library, action="watch_comments", request_id=9)
        other = await User.objects.acreate(username="writer")
        await Comment.objects.acreate(user=other, text="hello")
        event = await asyncio.wait_for(library.receive_json_from(5), 10)
        check(document, LibraryConsumer, "watch_comments_comments", event)
    finally:
        await client.disconnect()
        await library.disconnect()


def test_documents_are_json(document):
    """The document survives a JSON round trip unchanged (no Python-only values)."""
    assert json.loads(json.dumps(document)) == document


def test_consumer_class_as_application():
    """A single consumer class is described at ``/``."""
    document = get_schema(routing.consumers.NoteConsumer)
    assert document["channels"]["root"]["address"] == "/"


def test_actions_of_generic_consumers_without_serializer_are_still_described():
    """A consumer whose serializer cannot be found still gets its actions, untyped."""

    class Bare(mixins.RetrieveModelMixin, GenericAsyncAPIConsumer):
        queryset = User.objects.all()

    reply = get_schema(Bare)["channels"]["root"]["messages"]["retrieve_reply"]["payload"]
    assert reply["properties"]["data"] == {}


@pytest.mark.django_db(transaction=True)
async def test_live_list_frames_match_their_schemas(document):
    """subscribe_list's reply and a change event validate against the documented frames."""
    author = await Author.objects.acreate(name="A")
    client = await connect(LibraryConsumer)
    try:
        reply = await ask(client, action="subscribe_list", request_id=3)
        check(document, LibraryConsumer, "subscribe_list_reply", reply)
        await Book.objects.acreate(title="new", author=author)
        event = await asyncio.wait_for(client.receive_json_from(5), 10)
        assert event["data"]["change"] == "enter"
        check(document, LibraryConsumer, "subscribe_list_change", event)
        unsubscribed = await ask(client, action="unsubscribe_list", request_id=3)
        check(document, LibraryConsumer, "unsubscribe_list_reply", unsubscribed)
    finally:
        await client.disconnect()
