"""Channel-layer outages (``layers.py``), with an in-memory layer that can be switched off.

The same behaviour against a real Redis stopped under a real server is in
``tests/e2e/test_redis_outage.py``.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.test import override_settings

from djangochannelsrestframework import layers
from djangochannelsrestframework.exceptions import ChannelLayerUnavailable
from djangochannelsrestframework.layers import LIVE_UPDATES_ACTION, guarded, health
from djangochannelsrestframework.observer.sending import send_group_messages
from tests.app.models import Note
from tests.app.observer_consumers import NoteInstanceConsumer
from tests.helpers import ask, connect

pytestmark = pytest.mark.django_db(transaction=True)


class FlakyLayer(InMemoryChannelLayer):
    """The in-memory layer, failing like an unreachable Redis while ``down`` is set."""

    down = False
    #: Calls left that fail although the layer is up (a dead pooled connection).
    stale_calls = 0

    def _check(self) -> None:
        if FlakyLayer.down:
            raise ConnectionError("Connection refused")
        if FlakyLayer.stale_calls:
            FlakyLayer.stale_calls -= 1
            raise ConnectionResetError("Connection closed by server")

    async def receive(self, channel):
        # A blocked receive notices the outage too: poll the switch while waiting.
        while True:
            self._check()
            try:
                return await asyncio.wait_for(super().receive(channel), 0.02)
            except asyncio.TimeoutError:
                continue

    async def group_add(self, group, channel):
        self._check()
        await super().group_add(group, channel)

    async def group_discard(self, group, channel):
        self._check()
        await super().group_discard(group, channel)

    async def group_send(self, group, message):
        self._check()
        await super().group_send(group, message)

    async def flush(self):
        # A restarted Redis without persistence has forgotten every group.
        self.groups = {}
        self.channels = {}


@pytest.fixture(autouse=True)
def flaky_layer():
    FlakyLayer.down, FlakyLayer.stale_calls = False, 0
    layers._health.clear()
    with (
        override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "tests.test_layers.FlakyLayer"}}),
        override_settings(DJANGO_CHANNELS_REST_API={"CHANNEL_LAYER_RETRY_INTERVAL": 0.05}),
    ):
        yield
    FlakyLayer.down, FlakyLayer.stale_calls = False, 0
    layers._health.clear()


async def outage(on: bool) -> None:
    FlakyLayer.down = on
    if not on:
        await get_channel_layer().flush()


async def next_reply(client, action, timeout=10):
    while True:
        reply = await client.receive_json_from(timeout=timeout)
        if reply["action"] == action:
            return reply


# guarded() ------------------------------------------------------------------------------


async def test_the_first_call_on_a_dead_connection_is_retried_at_once(caplog):
    """A call that fails once (a pooled connection that died) succeeds on its retry, and
    nothing is logged."""
    layer = get_channel_layer()
    FlakyLayer.stale_calls = 1
    with caplog.at_level(logging.WARNING, logger="djangochannelsrestframework"):
        await guarded("default", layer.group_add, "g", "c")
    assert "c" in layer.groups["g"]
    assert caplog.records == []


async def test_an_unreachable_layer_is_a_503_logged_once_and_then_not_called(caplog):
    """Two failures in a row raise ``ChannelLayerUnavailable``; the outage is logged once;
    within the retry interval the layer is not called at all."""
    layer = get_channel_layer()
    calls = []

    async def counted(*args):
        calls.append(args)
        await layer.group_add(*args)

    await outage(True)
    with (
        override_settings(DJANGO_CHANNELS_REST_API={"CHANNEL_LAYER_RETRY_INTERVAL": 60}),
        caplog.at_level(logging.WARNING, logger="djangochannelsrestframework"),
    ):
        for _ in range(50):
            with pytest.raises(ChannelLayerUnavailable) as raised:
                await guarded("default", counted, "g", "c")
    assert raised.value.status_code == 503
    assert len(calls) == 2
    assert [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()] == [
        "Channel layer 'default' is unavailable (ConnectionError: Connection refused): live "
        "updates stop, subscribe requests get 503 and observer events are dropped until it "
        "is back"
    ]


async def test_programming_errors_are_not_outages():
    """Only failures to reach the layer count; a wrong call raises as it is."""

    async def wrong(*args):
        raise TypeError("bad message")

    with pytest.raises(TypeError):
        await guarded("default", wrong)
    assert health("default").available


# Sending events -----------------------------------------------------------------------------


async def test_events_that_cannot_be_sent_are_counted_and_logged_once_never_raised(caplog):
    """``save()`` of an observed model stands while the layer is down; the dropped events
    are counted and the recovery line reports them."""
    await outage(True)
    with caplog.at_level(logging.WARNING, logger="djangochannelsrestframework"):
        for n in range(5):
            await asyncio.to_thread(send_group_messages, [("g", {"type": "x", "n": n})], "default")
        await asyncio.sleep(0.06)
        await outage(False)
        await asyncio.to_thread(send_group_messages, [("g", {"type": "x"})], "default")
    state = health("default")
    assert state.available and state.dropped_total == 5 and state.outages == 1
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert messages[1].endswith("5 observer event(s) could not be sent")


async def test_a_save_succeeds_while_the_layer_is_down():
    """A plain autocommit save of an observed model (subscribers exist) does not raise."""
    client = await connect(NoteInstanceConsumer.as_asgi())
    note = await Note.objects.acreate(title="a")
    assert (await ask(client, action="subscribe_instance", pk=note.pk))["response_status"] == 201
    await outage(True)
    note.title = "b"
    await asyncio.to_thread(note.save)
    assert (await Note.objects.aget(pk=note.pk)).title == "b"
    await client.disconnect()


# Consumers ----------------------------------------------------------------------------------


async def test_subscribers_are_told_and_their_subscriptions_come_back():
    """An outage is announced (503 ``live_updates``), the socket stays, CRUD answers; once
    the layer is back the groups are rejoined, announced (200) and events flow again."""
    note = await Note.objects.acreate(title="a")
    client = await connect(NoteInstanceConsumer.as_asgi())
    reply = await ask(client, action="subscribe_instance", pk=note.pk, request_id="w")
    assert reply["response_status"] == 201

    await outage(True)
    notice = await next_reply(client, LIVE_UPDATES_ACTION)
    assert (notice["response_status"], notice["data"], notice["request_id"]) == (
        503,
        {"state": "interrupted"},
        None,
    )
    reply = await ask(client, action="patch", pk=note.pk, data={"title": "during"})
    assert reply["response_status"] == 200
    reply = await ask(client, action="subscribe_instance", pk=note.pk, request_id="x")
    assert reply["response_status"] == 503
    assert reply["errors"] == ["Live updates are unavailable right now; retry in a few seconds."]

    await outage(False)
    notice = await next_reply(client, LIVE_UPDATES_ACTION)
    assert (notice["response_status"], notice["data"]) == (200, {"state": "resumed"})
    await ask(client, action="patch", pk=note.pk, data={"title": "after"}, request_id="p")
    update = await next_reply(client, "update")
    assert (update["request_id"], update["data"]["title"]) == ("w", "after")
    await client.disconnect()


async def test_a_refused_subscription_keeps_no_bookkeeping():
    """A subscribe refused with 503 takes no place: with ``MAX_SUBSCRIPTIONS`` 1, another
    note can be subscribed to once the layer is back."""
    first, second = [await Note.objects.acreate(title=t) for t in ("a", "b")]
    client = await connect(NoteInstanceConsumer.as_asgi())
    await outage(True)
    settings = {"CHANNEL_LAYER_RETRY_INTERVAL": 0.05, "MAX_SUBSCRIPTIONS": 1}
    with override_settings(DJANGO_CHANNELS_REST_API=settings):
        reply = await ask(client, action="subscribe_instance", pk=first.pk, request_id="x")
        assert reply["response_status"] == 503
        await outage(False)
        for _ in range(200):
            reply = await ask(client, action="subscribe_instance", pk=second.pk, request_id="y")
            if reply["response_status"] != 503:
                break
            await asyncio.sleep(0.05)
        assert reply["response_status"] == 201
    await client.disconnect()


async def test_connections_without_subscriptions_get_no_notice():
    client = await connect(NoteInstanceConsumer.as_asgi())
    await outage(True)
    await asyncio.sleep(0.1)
    await outage(False)
    assert await client.receive_nothing(timeout=0.3)
    assert (await ask(client, action="retrieve", pk=1))["response_status"] == 404
    await client.disconnect()


async def test_a_receive_that_fails_once_is_retried_without_a_notice():
    """One failed receive (a dead pooled connection) is not an outage: no notice, no log,
    and the subscription keeps delivering."""
    note = await Note.objects.acreate(title="a")
    client = await connect(NoteInstanceConsumer.as_asgi())
    assert (await ask(client, action="subscribe_instance", pk=note.pk, request_id="w"))[
        "response_status"
    ] == 201
    FlakyLayer.stale_calls = 1
    await asyncio.sleep(0.1)  # the blocked receive polls, fails once, and is retried
    assert FlakyLayer.stale_calls == 0
    await ask(client, action="patch", pk=note.pk, data={"title": "b"}, request_id="p")
    update = await next_reply(client, "update")
    assert update["data"]["title"] == "b"
    assert health("default").outages == 0
    await client.disconnect()
