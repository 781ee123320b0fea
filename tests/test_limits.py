"""Per-connection limits: how many detached actions one client may keep running, and how
many observer subscriptions it may hold."""

import asyncio

import pytest
from django.test import override_settings

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.settings import api_settings
from djangochannelsrestframework.testing import connected
from tests.app.models import Note
from tests.app.observer_consumers import CommentsOfUserConsumer, NoteInstanceConsumer
from tests.helpers import connect

# Channels closes stale database connections around each consumer, which needs the db.
pytestmark = pytest.mark.django_db(transaction=True)

TOO_MANY = ["Too many actions are running on this connection; wait for one to finish."]


class Waiter(AsyncAPIConsumer):
    """Detached actions that wait until the client opens the gate."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate = asyncio.Event()

    @action(detached=True)
    async def wait(self, **kwargs):
        await self.gate.wait()
        return "done", 200

    @action()
    async def open(self, **kwargs):
        self.gate.set()
        return None, 204

    @action()
    async def ping(self, **kwargs):
        return "pong", 200


def test_the_default_bound_is_64():
    """A connection may run 64 detached actions at once unless configured otherwise."""
    assert api_settings.MAX_DETACHED_TASKS == 64


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": 2})
async def test_a_detached_action_beyond_the_bound_gets_429():
    """The third concurrent detached action is refused with a 429 carrying its request id."""
    client = await connect(Waiter)
    await client.send_json_to({"action": "wait", "request_id": 1})
    await client.send_json_to({"action": "wait", "request_id": 2})
    await client.send_json_to({"action": "wait", "request_id": 3})
    assert await client.receive_json_from() == {
        "errors": TOO_MANY,
        "data": None,
        "action": "wait",
        "response_status": 429,
        "request_id": 3,
    }
    await client.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": 2})
async def test_running_tasks_are_unaffected_by_a_refusal():
    """The tasks already running finish and reply normally after a refused one."""
    client = await connect(Waiter)
    for request_id in (1, 2, 3):
        await client.send_json_to({"action": "wait", "request_id": request_id})
    assert (await client.receive_json_from())["request_id"] == 3
    await client.send_json_to({"action": "open", "request_id": "open"})
    replies = [await client.receive_json_from() for _ in range(3)]
    done = sorted(r["request_id"] for r in replies if r["action"] == "wait")
    assert done == [1, 2]
    assert all(r["response_status"] == 200 for r in replies if r["action"] == "wait")
    await client.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": 1})
async def test_a_finished_task_frees_its_place():
    """Once a detached action has finished, a new one is accepted."""
    client = await connect(Waiter)
    await client.send_json_to({"action": "wait", "request_id": 1})
    await client.send_json_to({"action": "open"})
    replies = [await client.receive_json_from() for _ in range(2)]
    assert {r["action"] for r in replies} == {"wait", "open"}
    await client.send_json_to({"action": "wait", "request_id": 2})
    assert (await client.receive_json_from())["request_id"] == 2
    await client.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": 1})
async def test_inline_actions_are_not_counted():
    """Only detached work counts: ordinary actions are answered while the bound is reached."""
    client = await connect(Waiter)
    await client.send_json_to({"action": "wait", "request_id": 1})
    await client.send_json_to({"action": "ping", "request_id": 2})
    assert (await client.receive_json_from())["data"] == "pong"
    await client.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_DETACHED_TASKS": None})
async def test_none_means_no_bound():
    """``MAX_DETACHED_TASKS = None`` lets a connection run any number of detached actions."""
    client = await connect(Waiter)
    for request_id in range(100):
        await client.send_json_to({"action": "wait", "request_id": request_id})
    await client.send_json_to({"action": "open"})
    replies = [await client.receive_json_from() for _ in range(101)]
    assert sum(r["action"] == "wait" and r["response_status"] == 200 for r in replies) == 100
    await client.disconnect()


# Subscriptions -----------------------------------------------------------------------------

TOO_MANY_SUBSCRIPTIONS = ["Too many subscriptions on this connection; unsubscribe from some first."]


def test_the_default_subscription_bound_is_1000():
    """A connection may hold 1,000 subscriptions unless configured otherwise."""
    assert api_settings.MAX_SUBSCRIPTIONS == 1000


async def notes(count):
    return [await Note.objects.acreate(title=f"note {n}") for n in range(count)]


async def subscribe(client, note, request_id, action="subscribe_instance"):
    """The status of a ``subscribe_instance`` (or ``unsubscribe_instance``) of ``note``."""
    reply = await client.request(action=action, pk=note.pk, request_id=request_id)
    return reply["response_status"]


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_SUBSCRIPTIONS": 3})
async def test_a_subscription_beyond_the_bound_gets_429_and_joins_nothing():
    """The fourth instance subscription is refused with a 429; the connection receives no
    change of that instance, keeps its three subscriptions and stays usable."""
    first, second, third, fourth = await notes(4)
    async with connected(NoteInstanceConsumer) as client:
        statuses = [
            await subscribe(client, note, n) for n, note in enumerate([first, second, third], 1)
        ]
        assert statuses == [201, 201, 201]
        assert await client.request(action="subscribe_instance", pk=fourth.pk, request_id=4) == {
            "errors": TOO_MANY_SUBSCRIPTIONS,
            "data": None,
            "action": "subscribe_instance",
            "response_status": 429,
            "request_id": 4,
        }
        fourth.title = "changed"
        await fourth.asave()
        assert await client.receive_nothing(timeout=0.1)
        first.title = "changed"
        await first.asave()
        event = await client.receive_json_from()
        assert (event["action"], event["request_id"], event["data"]["title"]) == (
            "update",
            1,
            "changed",
        )


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_SUBSCRIPTIONS": 2})
async def test_unsubscribing_frees_a_place():
    """After an ``unsubscribe_instance`` the next subscription is accepted."""
    notes_ = first, _, third = await notes(3)
    async with connected(NoteInstanceConsumer) as client:
        assert [await subscribe(client, note, n) for n, note in enumerate(notes_)] == [
            201,
            201,
            429,
        ]
        assert await subscribe(client, first, 0, action="unsubscribe_instance") == 204
        assert await subscribe(client, third, 2) == 201


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_SUBSCRIPTIONS": 1})
async def test_subscribing_again_with_the_same_request_id_is_not_counted_twice():
    """Repeating a subscription at the bound is accepted: it adds nothing."""
    (note,) = await notes(1)
    async with connected(NoteInstanceConsumer) as client:
        assert [await subscribe(client, note, 1) for _ in range(3)] == [201, 201, 201]
        assert await subscribe(client, note, 2) == 429


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_SUBSCRIPTIONS": 2})
async def test_the_bound_applies_to_model_observer_subscriptions():
    """A custom action subscribing through ``@model_observer`` is bounded the same way."""
    async with connected(CommentsOfUserConsumer) as client:
        for user_pk in (1, 2):
            reply = await client.request(
                action="subscribe_comments", user_pk=user_pk, request_id=user_pk
            )
            assert reply["response_status"] == 201
        refused = await client.request(action="subscribe_comments", user_pk=3, request_id=3)
        assert (refused["response_status"], refused["errors"]) == (429, TOO_MANY_SUBSCRIPTIONS)


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_SUBSCRIPTIONS": None})
async def test_none_means_no_subscription_bound():
    """``MAX_SUBSCRIPTIONS = None`` accepts any number of subscriptions."""
    consumer_notes = await notes(5)
    async with connected(NoteInstanceConsumer) as client:
        statuses = [await subscribe(client, note, n) for n, note in enumerate(consumer_notes)]
        assert statuses == [201] * 5


def test_subscription_count_counts_groups_and_request_ids():
    """One per group and request id; a group joined without a request id counts once."""
    consumer = AsyncAPIConsumer()
    consumer._observer_group_to_request_id.update(
        {"observer-a": {"g1": {1, 2}, "g2": set()}, "observer-b": {"g3": {7}}}
    )
    assert consumer.get_subscription_count() == 4


async def test_instance_subscriptions_count_each_request_id():
    """``subscribe_instance`` of one note with two request ids holds two subscriptions
    (the same request id again adds none)."""
    (note,) = await notes(1)
    consumer = NoteInstanceConsumer()
    async with connected(consumer) as client:
        assert [await subscribe(client, note, n) for n in (1, 2, 2)] == [201, 201, 201]
        # The first connection to a mounted instance is served by the instance itself.
        assert consumer.get_subscription_count() == 2
