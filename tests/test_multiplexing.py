"""``Demultiplexer``: several consumers on one socket, each stream kept apart."""

from __future__ import annotations

import json

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model

from djangochannelsrestframework.multiplexing import Demultiplexer
from djangochannelsrestframework.testing import APICommunicator
from tests.app.models import Note
from tests.app.multiplexing_consumers import (
    NotesDemultiplexer,
    RefusingConsumer,
    ScopeConsumer,
    fragile_app,
)
from tests.helpers import connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_channel_layer")]

User = get_user_model()


async def ask(client: APICommunicator, stream: str, **payload):
    """Send ``payload`` on ``stream`` and return the next frame."""
    return await client.request({"stream": stream, "payload": {"request_id": 1, **payload}})


async def test_replies_come_back_wrapped_with_their_stream():
    """A payload reaches its stream's consumer; the reply is ``{"stream", "payload"}``."""
    note = await Note.objects.acreate(title="first")
    client = await connect(NotesDemultiplexer.as_asgi())
    reply = await ask(client, "notes", action="retrieve", pk=note.pk)
    assert reply == {
        "stream": "notes",
        "payload": {
            "errors": [],
            "data": {"id": note.pk, "title": "first", "body": "", "owner": None},
            "action": "retrieve",
            "response_status": 200,
            "request_id": 1,
        },
    }
    created = await ask(client, "notes", action="create", data={"title": "second"})
    assert created["stream"] == "notes" and created["payload"]["response_status"] == 201
    assert await Note.objects.filter(title="second").aexists()
    await client.disconnect()


async def test_consumers_can_be_passed_to_as_asgi():
    """``Demultiplexer.as_asgi(consumers={...})`` routes like the class attribute."""
    client = await connect(Demultiplexer.as_asgi(consumers={"s": ScopeConsumer}))
    reply = await ask(client, "s", action="remember", value=1)
    assert reply["payload"]["data"] == {"stream": "s"}
    await client.disconnect()


async def test_an_unknown_stream_gets_a_404_in_the_same_envelope():
    """The error names the stream, echoes action and request id; the socket stays usable."""
    client = await connect(NotesDemultiplexer.as_asgi())
    reply = await ask(client, "nope", action="list", request_id=9)
    assert reply == {
        "stream": "nope",
        "payload": {
            "errors": ['Unknown stream "nope".'],
            "data": None,
            "action": "list",
            "response_status": 404,
            "request_id": 9,
        },
    }
    assert (await ask(client, "notes", action="list"))["payload"]["response_status"] == 200
    await client.disconnect()


@pytest.mark.parametrize(
    "frame, error",
    [
        ("not json", "Invalid JSON"),
        ("[1, 2]", 'Expected {"stream": name, "payload": {...}}.'),
        ('{"payload": {}}', 'Expected {"stream": name, "payload": {...}}.'),
        ('{"stream": 5, "payload": {}}', 'Expected {"stream": name, "payload": {...}}.'),
        ('{"stream": "notes"}', 'Expected {"stream": name, "payload": {...}}.'),
    ],
)
async def test_frames_without_a_stream_get_a_400(frame, error):
    """Malformed frames are answered with a bare 400 envelope; the socket stays open."""
    client = await connect(NotesDemultiplexer.as_asgi())
    await client.send_to(text_data=frame)
    reply = await client.receive_json_from()
    assert reply["response_status"] == 400 and reply["errors"][0].startswith(error)
    assert reply["action"] is None and reply["request_id"] is None
    assert (await ask(client, "notes", action="list"))["payload"]["response_status"] == 200
    await client.disconnect()


async def test_binary_frames_get_a_400():
    """A binary frame cannot name a stream: 400, and the socket stays open."""
    client = await connect(NotesDemultiplexer.as_asgi())
    await client.send_to(bytes_data=b"\x00")
    reply = await client.receive_json_from()
    assert reply["response_status"] == 400
    assert reply["errors"] == ["Binary frames are not supported; send JSON text."]
    await client.disconnect()


async def test_a_payload_the_consumer_rejects_is_answered_by_that_consumer():
    """A payload that is not an action message gets the consumer's own 400, wrapped."""
    client = await connect(NotesDemultiplexer.as_asgi())
    await client.send_json_to({"stream": "notes", "payload": [1]})
    reply = await client.receive_json_from()
    assert reply["stream"] == "notes"
    assert reply["payload"]["response_status"] == 400
    await client.disconnect()


async def test_each_stream_has_its_own_scope():
    """A stream that writes to its scope does not change another stream's scope."""
    client = await connect(NotesDemultiplexer.as_asgi())
    first = await ask(client, "scope_a", action="remember", value="a")
    assert first["payload"]["data"] == {"stream": "scope_a"}
    assert (await ask(client, "scope_b", action="recall"))["payload"]["data"] == {
        "remembered": None
    }
    assert (await ask(client, "scope_a", action="recall"))["payload"]["data"] == {"remembered": "a"}
    await client.disconnect()


async def test_each_stream_checks_its_own_permissions():
    """The same note is readable on a stream that allows it and refused on one that does not."""
    owner = await User.objects.acreate(username="owner")
    other = await User.objects.acreate(username="other")
    note = await Note.objects.acreate(title="private", owner=owner)
    client = await connect(NotesDemultiplexer.as_asgi(), user=other)
    refused = await ask(client, "owned", action="retrieve", pk=note.pk)
    assert refused["stream"] == "owned" and refused["payload"]["response_status"] == 403
    allowed = await ask(client, "watch", action="retrieve", pk=note.pk)
    assert allowed["stream"] == "watch" and allowed["payload"]["response_status"] == 200
    await client.disconnect()


async def test_subscription_events_come_back_on_the_stream_that_subscribed():
    """An instance event reaches only the stream that subscribed, wrapped with its name."""
    note = await Note.objects.acreate(title="watched")
    client = await connect(NotesDemultiplexer.as_asgi())
    subscribed = await ask(client, "watch", action="subscribe_instance", pk=note.pk, request_id=5)
    assert subscribed["payload"]["response_status"] == 201
    note.title = "changed"
    await note.asave()
    event = await client.receive_json_from(timeout=5)
    assert event["stream"] == "watch"
    assert event["payload"]["action"] == "update" and event["payload"]["request_id"] == 5
    assert event["payload"]["data"]["title"] == "changed"
    assert await client.receive_nothing()
    await client.disconnect()


async def test_disconnect_ends_every_stream_and_its_subscriptions():
    """After the client leaves, no stream's channel is left in any group."""
    note = await Note.objects.acreate(title="watched")
    client = await connect(NotesDemultiplexer.as_asgi())
    for stream in ("watch", "owned"):
        reply = await ask(client, stream, action="subscribe_instance", pk=note.pk, request_id=2)
        assert reply["payload"]["response_status"] in (201, 403)
    layer = get_channel_layer()
    await client.disconnect()
    if hasattr(layer, "groups"):  # the in-memory layer shows its groups
        assert all(not members for members in layer.groups.values()), layer.groups
    # Nothing reaches a channel after the disconnect: the save below must not fail either.
    note.title = "after"
    await note.asave()


async def test_a_stream_refusing_the_handshake_refuses_the_socket():
    """If one stream's consumer refuses to connect, the whole handshake is refused."""
    app = Demultiplexer.as_asgi(consumers={"ok": ScopeConsumer, "no": RefusingConsumer})
    communicator = APICommunicator(app, "/ws/")
    accepted, _ = await communicator.connect()
    assert not accepted
    await communicator.disconnect()


async def test_a_stream_closing_closes_the_socket_with_its_code():
    """A stream that closes (here with 4429) closes the socket with the same code."""
    client = await connect(NotesDemultiplexer.as_asgi())
    await client.send_json_to({"stream": "scope_a", "payload": {"action": "hang_up"}})
    closed = await client.receive_output(timeout=2)
    while closed["type"] == "websocket.send":
        closed = await client.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4429}
    await client.disconnect()


async def test_messages_too_large_get_a_413(settings):
    """A frame over ``MAX_MESSAGE_SIZE`` is refused before it is parsed."""
    settings.DJANGO_CHANNELS_REST_API = {"MAX_MESSAGE_SIZE": 100}
    client = await connect(NotesDemultiplexer.as_asgi())
    await client.send_to(text_data=json.dumps({"stream": "notes", "payload": {"x": "y" * 200}}))
    reply = await client.receive_json_from()
    assert reply["response_status"] == 413 and reply["errors"] == ["Message too large."]
    await client.disconnect()


async def test_a_plain_asgi_application_can_be_a_stream():
    """A stream may be any ASGI application; its text frames come back wrapped, binary
    frames are dropped."""
    app = Demultiplexer.as_asgi(consumers={"raw": fragile_app})
    client = await connect(app)
    await client.send_json_to({"stream": "raw", "payload": "binary"})
    assert await client.receive_json_from() == {"stream": "raw", "payload": "binary"}
    assert await client.receive_nothing()
    await client.disconnect()


async def test_a_stream_that_crashes_closes_the_socket_with_1011(caplog):
    """An exception escaping a stream's application is logged and closes the socket (1011)."""
    app = Demultiplexer.as_asgi(consumers={"raw": fragile_app, "notes": ScopeConsumer})
    client = await connect(app)
    await client.send_json_to({"stream": "raw", "payload": "boom"})
    assert await client.receive_output(timeout=2) == {"type": "websocket.close", "code": 1011}
    assert "Stream 'raw' failed" in caplog.text
    await client.disconnect()


async def test_a_stream_that_crashes_during_the_handshake_refuses_it():
    """An application that fails before accepting refuses the whole handshake."""
    app = Demultiplexer.as_asgi(consumers={"raw": fragile_app, "notes": ScopeConsumer})
    communicator = APICommunicator(app, "/ws/refuse/")
    accepted, _ = await communicator.connect()
    assert not accepted
    await communicator.disconnect()
