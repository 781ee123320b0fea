"""``ObserverModelInstanceMixin``: subscribe to single instances and receive their changes.

Every test runs on the in-memory channel layer and on channels_redis.
"""

import asyncio
import contextlib

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.db.backends.utils import CursorWrapper

from tests.app.models import Note
from tests.app.observer_consumers import (
    NoteInstanceConsumer,
    NoUpdatesNoteConsumer,
    OwnerNoteConsumer,
    PerSubscriberNoteConsumer,
    UserInstanceConsumer,
)
from tests.helpers import connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_channel_layer")]
User = get_user_model()


async def subscribe(client, pk, request_id):
    return await client.request(action="subscribe_instance", pk=pk, request_id=request_id)


async def test_subscribe_instance_acknowledges_with_201():
    """``subscribe_instance`` replies 201 with ``data: null``."""
    user = await User.objects.acreate(username="u1")
    client = await connect(UserInstanceConsumer)
    assert await subscribe(client, user.pk, 4) == {
        "action": "subscribe_instance",
        "errors": [],
        "response_status": 201,
        "request_id": 4,
        "data": None,
    }
    await client.disconnect()


async def test_updates_and_deletion_reach_the_subscriber():
    """A committed change arrives as ``update`` 200 with fresh data; deletion as 204."""
    user = await User.objects.acreate(username="u1", email="a@example.com")
    client = await connect(UserInstanceConsumer)
    await subscribe(client, user.pk, 4)
    user.email = "b@example.com"
    await user.asave()
    assert await client.receive_json_from() == {
        "action": "update",
        "errors": [],
        "response_status": 200,
        "request_id": 4,
        "data": {"id": user.pk, "username": "u1", "email": "b@example.com"},
    }
    pk = user.pk
    await user.adelete()
    assert await client.receive_json_from() == {
        "action": "delete",
        "errors": [],
        "response_status": 204,
        "request_id": 4,
        "data": {"pk": pk},
    }
    await client.disconnect()


async def test_other_instances_and_models_do_not_leak_in():
    """Only the subscribed instance of the subscribed model is delivered."""
    user = await User.objects.acreate(username="watched")
    other = await User.objects.acreate(username="other")
    note = await Note.objects.acreate(pk=user.pk, title="same pk, other model")
    client = await connect(UserInstanceConsumer)
    await subscribe(client, user.pk, 1)
    other.email = "x@example.com"
    await other.asave()
    note.title = "changed"
    await note.asave()
    assert await client.receive_nothing()
    await client.disconnect()


async def test_unsubscribe_instance_stops_delivery():
    """``unsubscribe_instance`` replies 204 and no further events arrive."""
    user = await User.objects.acreate(username="u1")
    client = await connect(UserInstanceConsumer)
    await subscribe(client, user.pk, 4)
    await client.send_json_to({"action": "unsubscribe_instance", "pk": user.pk, "request_id": 4})
    assert await client.receive_json_from() == {
        "action": "unsubscribe_instance",
        "errors": [],
        "response_status": 204,
        "request_id": 4,
        "data": None,
    }
    await user.asave()
    assert await client.receive_nothing()
    await client.disconnect()


async def test_unsubscribing_one_request_id_keeps_the_others():
    """Two subscriptions to one instance: ending one leaves the other receiving, and
    other instances' subscriptions with the same request id are untouched."""
    first = await User.objects.acreate(username="first")
    second = await User.objects.acreate(username="second")
    client = await connect(UserInstanceConsumer)
    await subscribe(client, first.pk, 1)
    await subscribe(client, first.pk, 2)
    await subscribe(client, second.pk, 1)
    await client.send_json_to({"action": "unsubscribe_instance", "pk": first.pk, "request_id": 1})
    await client.receive_json_from()
    await first.asave()
    assert (await client.receive_json_from())["request_id"] == 2
    await second.asave()
    assert (await client.receive_json_from())["request_id"] == 1
    assert await client.receive_nothing()
    await client.disconnect()


async def test_every_subscribing_request_id_gets_its_own_message():
    """Two request ids on one instance each get the update."""
    user = await User.objects.acreate(username="u1")
    client = await connect(UserInstanceConsumer)
    await subscribe(client, user.pk, 1)
    await subscribe(client, user.pk, 2)
    await user.asave()
    replies = [await client.receive_json_from(), await client.receive_json_from()]
    assert sorted(r["request_id"] for r in replies) == [1, 2]
    await client.disconnect()


async def test_subscribe_needs_a_request_id_and_an_existing_instance():
    """No request id → 400; an unknown pk → 404; the socket stays usable."""
    client = await connect(UserInstanceConsumer)
    await client.send_json_to({"action": "subscribe_instance", "pk": 1})
    reply = await client.receive_json_from()
    assert reply["response_status"] == 400
    assert reply["errors"] == ["A subscription needs a request_id: its events carry it."]
    assert (await subscribe(client, 999, 1))["errors"] == ["Not found"]
    await client.send_json_to({"action": "subscribe_instance", "pk": 1, "request_id": [1]})
    assert (await client.receive_json_from())["response_status"] == 400
    await client.disconnect()


async def test_reply_arrives_before_the_change_it_causes():
    """A ``patch`` by a subscriber is answered before its own subscription's update."""
    note = await Note.objects.acreate(title="before")
    client = await connect(NoteInstanceConsumer)
    await subscribe(client, note.pk, 1)
    await client.send_json_to(
        {"action": "patch", "pk": note.pk, "data": {"title": "after"}, "request_id": 2}
    )
    first, second = await client.receive_json_from(), await client.receive_json_from()
    assert (first["action"], first["request_id"]) == ("patch", 2)
    assert (second["action"], second["request_id"], second["data"]["title"]) == (
        "update",
        1,
        "after",
    )
    await client.disconnect()


async def test_a_subscriber_denied_the_event_gets_nothing():
    """If the permission check for ``update`` fails, no data is sent (1.3 sent it)."""
    note = await Note.objects.acreate(title="secret")
    client = await connect(NoUpdatesNoteConsumer)
    await subscribe(client, note.pk, 1)
    note.title = "changed"
    await note.asave()
    assert await client.receive_nothing()
    await client.disconnect()


async def test_object_permissions_are_checked_at_subscribe_time():
    """A subscriber who could not retrieve the instance cannot subscribe to it."""
    owner = await User.objects.acreate(username="owner")
    stranger = await User.objects.acreate(username="stranger")
    note = await Note.objects.acreate(title="mine", owner=owner)
    client = await connect(OwnerNoteConsumer, user=stranger)
    reply = await subscribe(client, note.pk, 1)
    assert reply["response_status"] == 403
    owner_client = await connect(OwnerNoteConsumer, user=owner)
    assert (await subscribe(owner_client, note.pk, 1))["response_status"] == 201
    note.title = "changed"
    await note.asave()
    assert (await owner_client.receive_json_from())["data"]["title"] == "changed"
    assert await client.receive_nothing()
    await client.disconnect()
    await owner_client.disconnect()


@contextlib.contextmanager
def counted_queries():
    """Count the SQL statements run on any connection of any thread while the block runs.

    Django keeps connections per thread and context, and consumers run their queries in
    worker threads, so the count is taken where every statement passes: the cursor.
    """
    statements = []
    original = CursorWrapper._execute

    def execute(self, sql, params, *args):
        statements.append(sql)
        return original(self, sql, params, *args)

    CursorWrapper._execute = execute
    try:
        yield statements
    finally:
        CursorWrapper._execute = original


async def queries_for_update_seen_by(consumer_class, subscribers):
    note = await Note.objects.acreate(title="popular")
    clients = []
    for index in range(subscribers):
        client = await connect(consumer_class)
        await subscribe(client, note.pk, index)
        clients.append(client)
    note.title = "changed"
    with counted_queries() as statements:
        await database_sync_to_async(note.save)()
        # Generous: 100 deliveries on a loaded machine under coverage tracing are slow.
        replies = await asyncio.gather(
            *(client.receive_json_from(timeout=30) for client in clients)
        )
        await asyncio.sleep(0.05)
    assert {reply["data"]["title"] for reply in replies} == {"changed"}
    for client in clients:
        await client.disconnect()
    return len(statements)


async def test_one_serialization_for_many_subscribers():
    """An update seen by 100 subscribers costs the save's queries and no read per
    subscriber when the data cannot depend on who asks."""
    assert await queries_for_update_seen_by(NoteInstanceConsumer, 100) == 1


async def test_per_subscriber_reads_cost_one_query_per_connection():
    """When serializing once is switched off, each connection reads the instance once."""
    assert await queries_for_update_seen_by(PerSubscriberNoteConsumer, 10) == 1 + 10


async def test_no_group_or_bookkeeping_is_left_after_500_connections():
    """500 connect → subscribe → disconnect cycles leave the layer's groups empty."""
    note = await Note.objects.acreate(title="busy")
    for index in range(500):
        client = await connect(NoteInstanceConsumer)
        await subscribe(client, note.pk, index)
        await client.disconnect()
    layer = get_channel_layer()
    if hasattr(layer, "groups"):
        assert layer.groups == {}
    else:
        connection_ = layer.connection(0)
        keys = await connection_.keys(f"{layer.prefix}:group:*")
        assert keys == []


class RecordingNoteConsumer(NoteInstanceConsumer):
    """A 1.3-style override that looks at the keyword arguments of each delivery."""

    seen: list = []

    async def handle_observed_action(self, action, group=None, **kwargs):
        self.seen.append(dict(kwargs))
        await super().handle_observed_action(action, group, **kwargs)


async def test_an_override_of_handle_observed_action_receives_the_13_body():
    """``handle_observed_action`` overrides get the body ``{"pk": ...}`` as keyword
    arguments, as in 1.3; the data serialized once for everyone travels beside them."""
    RecordingNoteConsumer.seen = []
    note = await Note.objects.acreate(title="watched")
    client = await connect(RecordingNoteConsumer)
    assert (await subscribe(client, note.pk, 1))["response_status"] == 201
    note.title = "changed"
    await note.asave()
    reply = await client.receive_json_from()
    assert (reply["action"], reply["data"]["title"]) == ("update", "changed")
    assert RecordingNoteConsumer.seen == [{"pk": note.pk}]
    await client.disconnect()


#: Hooks of ``GenericAsyncAPIConsumer`` that cannot make a change's data differ between
#: subscribers, each with the reason (the others are in ``SUBSCRIBER_DEPENDENT_HOOKS``).
HOOKS_THAT_CANNOT_CHANGE_THE_DATA = {
    "check_permissions": "asked per connection before every delivery",
    "check_request": "runs before actions, not deliveries",
    "check_action_arguments": "runs before actions, not deliveries",
    "check_channel_layer": "runs when subscribing",
    "check_reserved_keys": "runs before actions, not deliveries",
    "check_subscription_limit": "runs when subscribing",
    "check_throttles": "runs before actions, not deliveries",
    "get_action_name": "reads incoming messages",
    "get_action_option": "reads @action options",
    "get_action_signature": "reads action signatures",
    "get_lookup_key": "events carry the primary key",
    "get_max_detached_tasks": "a limit",
    "get_max_message_size": "a limit",
    "get_max_subscriptions": "a limit",
    "get_send_timeout": "a limit",
    "get_subscription_count": "a count",
    "get_throttles": "runs before actions, not deliveries",
}


def test_every_generic_hook_is_classified_for_serialize_once():
    """Each ``get_*``/``check_*``/``filter_*`` hook of the generic consumer is either in
    ``SUBSCRIBER_DEPENDENT_HOOKS`` or listed here as unable to change the data: a new hook
    must be classified before it can slip past the serialize-once decision."""
    from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
    from djangochannelsrestframework.observer.serialize_once import SUBSCRIBER_DEPENDENT_HOOKS

    hooks = {
        name
        for name in dir(GenericAsyncAPIConsumer)
        if name.startswith(("get_", "check_", "filter_"))
        and callable(getattr(GenericAsyncAPIConsumer, name))
    }
    assert hooks - set(SUBSCRIBER_DEPENDENT_HOOKS) == set(HOOKS_THAT_CANNOT_CHANGE_THE_DATA)


def test_every_subscriber_dependent_hook_exists():
    """``SUBSCRIBER_DEPENDENT_HOOKS`` names methods the instance mixin really has."""
    from djangochannelsrestframework.observer.serialize_once import SUBSCRIBER_DEPENDENT_HOOKS

    assert all(
        callable(getattr(NoteInstanceConsumer, hook, None)) for hook in SUBSCRIBER_DEPENDENT_HOOKS
    )
