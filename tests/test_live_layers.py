"""Live lists through channel-layer outages and membership storms (``live/engine.py`` with
``layers.py`` and ``membership.py``), on the switchable in-memory layer of ``test_layers``."""

from __future__ import annotations

import asyncio
import logging

import pytest
from channels.layers import get_channel_layer
from django.test import override_settings

from djangochannelsrestframework import membership
from djangochannelsrestframework.layers import LIVE_UPDATES_ACTION
from djangochannelsrestframework.live.announce import group_name, model_label
from djangochannelsrestframework.live.engine import get_engine
from tests.app.live_consumers import LiveItemConsumer
from tests.app.models import LiveItem
from tests.helpers import ask, connect
from tests.test_layers import FlakyLayer, flaky_layer, next_reply, outage

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["flaky_layer"]  # the autouse fixture, imported to apply here too

LABEL = model_label(LiveItem)


#: The reader of live lists retries with a pause that grows up to ``MAX_RETRY_PAUSE`` (10 s)
#: while the layer is down: it may take that long to come back.
RESUME_TIMEOUT = 30.0


async def wait_for(condition, timeout: float = RESUME_TIMEOUT) -> None:
    """Wait until ``condition()`` holds (polling), failing after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


def reader_in_group() -> bool:
    engine = get_engine()
    channel = engine._channel_name
    groups = get_channel_layer().groups
    return channel is not None and channel in groups.get(group_name(LABEL), {})


async def test_subscribe_list_is_a_503_while_the_layer_is_down_and_keeps_no_place():
    """While the layer is down ``subscribe_list`` gets a 503 (no snapshot) and takes no
    subscription slot; once it is back the same request succeeds."""
    client = await connect(LiveItemConsumer.as_asgi())
    await outage(True)
    settings = {"CHANNEL_LAYER_RETRY_INTERVAL": 0.05, "MAX_SUBSCRIPTIONS": 1}
    with override_settings(DJANGO_CHANNELS_REST_API=settings):
        reply = await ask(client, action="subscribe_list", request_id="l", limit=5)
        assert (reply["response_status"], reply["data"]) == (503, None)
        assert reply["errors"] == [
            "Live updates are unavailable right now; retry in a few seconds."
        ]
        assert get_engine().lists == {}
        await outage(False)
        for _ in range(200):
            reply = await ask(client, action="subscribe_list", request_id="m", limit=5)
            if reply["response_status"] != 503:
                break
            await asyncio.sleep(0.05)
        assert reply["response_status"] == 201
    await client.disconnect()


async def test_live_list_subscribers_are_told_and_their_lists_catch_up():
    """An outage is announced to a client holding only a live list (503 ``live_updates``),
    its return too (200); a row saved during the outage, whose event was lost, still reaches
    the list after it, without any further write."""
    client = await connect(LiveItemConsumer.as_asgi())
    reply = await ask(client, action="subscribe_list", request_id="l", limit=5)
    assert reply["response_status"] == 201
    assert reply["data"]["count"] == 0

    await outage(True)
    notice = await next_reply(client, LIVE_UPDATES_ACTION)
    assert (notice["response_status"], notice["data"]) == (503, {"state": "interrupted"})
    item = await LiveItem.objects.acreate(name="during")
    await wait_for(lambda: get_engine().layer_interrupted_since is not None)

    await outage(False)
    # The list may catch up before or after this connection's own notice: both arrive.
    frames = {}
    while len(frames) < 2:
        frame = await client.receive_json_from(timeout=RESUME_TIMEOUT)
        frames[frame["action"]] = frame
    notice, change = frames[LIVE_UPDATES_ACTION], frames["subscribe_list"]
    assert (notice["response_status"], notice["data"]) == (200, {"state": "resumed"})
    assert change["request_id"] == "l"
    assert (change["data"]["change"], change["data"]["pk"], change["data"]["count"]) == (
        "enter",
        item.pk,
        1,
    )
    await client.disconnect()


async def test_the_reader_rejoins_its_groups_after_an_outage():
    """A restarted layer has forgotten the reader's memberships; the reader rejoins them, so
    changes made after the outage arrive as usual."""
    client = await connect(LiveItemConsumer.as_asgi())
    assert (await ask(client, action="subscribe_list", request_id="l", limit=5))[
        "response_status"
    ] == 201
    assert reader_in_group()
    await outage(True)
    await next_reply(client, LIVE_UPDATES_ACTION)
    await wait_for(lambda: get_engine().layer_interrupted_since is not None)
    await outage(False)  # flushes the groups, as a restarted Redis
    await wait_for(reader_in_group)
    item = await LiveItem.objects.acreate(name="after")
    change = await next_reply(client, "subscribe_list", timeout=RESUME_TIMEOUT)
    assert (change["data"]["change"], change["data"]["pk"]) == ("enter", item.pk)
    await client.disconnect()


async def test_the_engine_joins_and_leaves_through_the_membership_gate(caplog, monkeypatch):
    """A join the layer refuses once for lack of connections is retried by the gate (not a
    failed subscribe), and the last subscriber's leave removes the reader's membership."""

    class PoolExhausted(Exception):
        """Not a layer outage: the pool was busy (as redis' ``MaxConnectionsError``)."""

    original = FlakyLayer.group_add
    refusals = [PoolExhausted("Too many connections")]

    async def group_add(self, group, channel):
        if refusals:
            raise refusals.pop()
        await original(self, group, channel)

    retried_before = membership.membership_summary.total_retried
    monkeypatch.setattr(FlakyLayer, "group_add", group_add)
    client = await connect(LiveItemConsumer.as_asgi())
    reply = await ask(client, action="subscribe_list", request_id="l", limit=5)
    assert reply["response_status"] == 201
    assert refusals == []
    assert membership.membership_summary.total_retried == retried_before + 1
    assert reader_in_group()
    channel = get_engine()._channel_name

    with caplog.at_level(logging.ERROR, logger="djangochannelsrestframework"):
        await client.disconnect()
    await wait_for(lambda: channel not in get_channel_layer().groups.get(group_name(LABEL), {}))
    assert get_engine().lists == {}
    assert caplog.records == []
