"""The live-list oracle: applying the messages to the snapshot gives what ``list`` returns.

Seeded random sequences of creates, updates that move rows across filters and the page
boundary, deletes, bulk changes, dependency changes and rolled-back transactions (whole and
savepoints), some racing a new ``subscribe_list``, run against several subscriptions at
once (paginated and not, shared and per user). After each round, once the system is quiet,
every client's view must equal a fresh ``list`` with the same message, and no further
message may arrive. It runs on the in-memory layer and on both channels_redis layers, and
on SQLite and PostgreSQL (``scripts/test`` runs the suite on both).

``DCRF_LIVE_SEEDS=1,2,3`` and ``DCRF_LIVE_ROUNDS=200`` explore further; a failure names its
seed.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F

from tests.app.live_consumers import (
    LiveItemConsumer,
    OwnLiveItemConsumer,
    UnpaginatedLiveItemConsumer,
)
from tests.app.models import LiveItem, LiveTag
from tests.conftest import channel_layer_settings, require_redis_url
from tests.helpers import connect
from tests.live_helpers import LiveClient, LiveView, settle

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()

SEEDS = [int(seed) for seed in os.environ.get("DCRF_LIVE_SEEDS", "1").split(",")]
ROUNDS = int(os.environ.get("DCRF_LIVE_ROUNDS", "15"))
NAMES = ["ann", "anna", "bob", "cat", "dan", "eve", "fay", "gus"]


@pytest.fixture(params=["memory", "redis", "redis-pubsub"])
def layer(request, settings):
    """The in-memory layer, ``RedisChannelLayer`` and ``RedisPubSubChannelLayer``."""
    if request.param == "memory":
        settings.CHANNEL_LAYERS = channel_layer_settings("memory")
    elif request.param == "redis":
        settings.CHANNEL_LAYERS = channel_layer_settings("redis")
    else:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [require_redis_url()],
                    "prefix": f"dcrf-test-{uuid.uuid4().hex[:12]}",
                },
            }
        }
    channel_layers.backends.clear()
    return request.param


class World:
    """The random writer: every operation a client could cause, chosen by one seed."""

    def __init__(self, rng: random.Random, users: list[Any], tags: list[LiveTag]) -> None:
        self.rng = rng
        self.users = users
        self.tags = tags

    def fields(self) -> dict[str, Any]:
        rng = self.rng
        return {
            "name": rng.choice(NAMES),
            "score": rng.randint(0, 12),
            "team": rng.choice(["red", "blue"]),
            "owner": rng.choice([None, *self.users]),
            "tag": rng.choice([None, *self.tags]),
        }

    def one_write(self) -> None:
        rng = self.rng
        items = list(LiveItem.objects.all())
        kind = rng.choice(
            ["create", "create", "update", "update", "update", "delete", "bulk", "tag"]
        )
        if kind == "create" or not items:
            LiveItem.objects.create(**self.fields())
        elif kind == "update":
            item = rng.choice(items)
            changes = self.fields()
            for name in rng.sample(sorted(changes), rng.randint(1, 3)):
                setattr(item, name, changes[name])
            item.save()
        elif kind == "delete":
            rng.choice(items).delete()
        elif kind == "bulk":
            choice = rng.choice(["update", "create", "bulk_update", "delete"])
            if choice == "update":
                team = rng.choice(["red", "blue"])
                LiveItem.objects.filter(team=team).update(score=F("score") + rng.randint(-3, 3))
            elif choice == "create":
                LiveItem.objects.bulk_create([LiveItem(**self.fields()) for _ in range(2)])
            elif choice == "bulk_update":
                chosen = rng.sample(items, min(3, len(items)))
                for item in chosen:
                    item.team = rng.choice(["red", "blue"])
                LiveItem.objects.bulk_update(chosen, ["team"])
            else:
                LiveItem.objects.filter(score=rng.randint(0, 12)).delete()
        else:
            tag = rng.choice(self.tags)
            tag.name = rng.choice(NAMES)
            tag.save()

    def round(self) -> None:
        """A few writes: alone, in a transaction, in a rolled-back one, or in a savepoint."""
        rng = self.rng
        shape = rng.choice(["autocommit", "atomic", "rolled back", "savepoint"])
        writes = rng.randint(1, 4)
        if shape == "autocommit":
            for _ in range(writes):
                self.one_write()
        elif shape == "atomic":
            with transaction.atomic():
                for _ in range(writes):
                    self.one_write()
        elif shape == "rolled back":
            try:
                with transaction.atomic():
                    for _ in range(writes):
                        self.one_write()
                    raise _RollBack()
            except _RollBack:
                pass
        else:
            with transaction.atomic():
                self.one_write()
                try:
                    with transaction.atomic():
                        for _ in range(writes):
                            self.one_write()
                        raise _RollBack()
                except _RollBack:
                    pass
                self.one_write()


class _RollBack(Exception):
    pass


def random_message(rng: random.Random) -> dict[str, Any]:
    """A ``list`` message for ``LiveItemConsumer``: filter, search, total ordering, page."""
    ordering = rng.choice(["score,id", "-score,id", "name,-id", "-id"])
    query: dict[str, Any] = {"ordering": ordering}
    if rng.random() < 0.5:
        query["team"] = rng.choice(["red", "blue"])
    if rng.random() < 0.3:
        query["search"] = rng.choice(["an", "a", "e"])
    return {"query": query, "limit": rng.randint(1, 5), "offset": rng.choice([0, 0, 1, 3])}


async def run_oracle(seed: int) -> None:
    rng = random.Random(seed)
    ann = await User.objects.acreate(username=f"ann-{seed}")
    bob = await User.objects.acreate(username=f"bob-{seed}")
    tags = [await LiveTag.objects.acreate(name=name) for name in ("t1", "t2")]
    world = World(rng, [ann, bob], tags)
    # The writes share the consumers' database thread on SQLite (one writer at a time);
    # on PostgreSQL they run in their own threads, truly concurrent with the queries.
    write = sync_to_async(world.round, thread_sensitive=connection.vendor == "sqlite")
    for _ in range(3):
        await write()

    shared = {"query": {"ordering": "score,id"}, "limit": 4, "offset": 2}
    plans: list[tuple[Any, Any, list[dict[str, Any]]]] = [
        (LiveItemConsumer, None, [shared, random_message(rng), random_message(rng)]),
        (LiveItemConsumer, None, [shared]),
        (
            UnpaginatedLiveItemConsumer,
            None,
            [{"query": {"team": "blue", "ordering": "-score,id"}}, {}],
        ),
        (OwnLiveItemConsumer, ann, [{"query": {"ordering": "score,id"}, "limit": 3}]),
        (OwnLiveItemConsumer, bob, [{"query": {"ordering": "-id"}, "limit": 4, "offset": 1}]),
    ]
    clients: list[LiveClient] = []
    oracles: list[Any] = []
    messages: list[dict[Any, dict[str, Any]]] = []
    for consumer, user, plan in plans:
        live = LiveClient(await connect(consumer, user=user))
        for request_id, message in enumerate(plan, start=1):
            assert (await live.subscribe(request_id, **message))["response_status"] == 201
        clients.append(live)
        oracles.append(await connect(consumer, user=user))
        messages.append(dict(enumerate(plan, start=1)))

    async def expected() -> dict[Any, Any]:
        wanted = {}
        for i, oracle in enumerate(oracles):
            for request_id, message in messages[i].items():
                reply = await oracle.request(
                    {"action": "list", "request_id": request_id, **message}, timeout=10
                )
                assert reply["response_status"] == 200, reply
                wanted[(i, request_id)] = reply["data"]
        return wanted

    next_request_id = 100
    try:
        for round_number in range(ROUNDS):
            if rng.random() < 0.3:
                # Writes racing a new subscription on the first client (sometimes replacing
                # one): the snapshot and the messages after it must still add up.
                client = clients[0]
                if rng.random() < 0.5 and len(messages[0]) > 2:
                    gone = rng.choice(sorted(messages[0]))
                    reply = await client.communicator.request(
                        action="unsubscribe_list", request_id=gone, timeout=10
                    )
                    while reply["action"] != "unsubscribe_list":
                        client.views[reply["request_id"]].apply(reply["data"])
                        reply = await client.communicator.receive_json_from(timeout=10)
                    assert reply["response_status"] == 204
                    del messages[0][gone], client.views[gone]
                message = random_message(rng)
                next_request_id += 1
                subscribing = asyncio.ensure_future(
                    _subscribe_among_changes(client, next_request_id, message)
                )
                await write()
                await subscribing
                messages[0][next_request_id] = message
            else:
                await write()
            try:
                await settle(clients, expected)
            except AssertionError as exc:
                raise AssertionError(f"seed {seed}, round {round_number}: {exc}") from None
    finally:
        for live in clients:
            await live.communicator.disconnect()
        for oracle in oracles:
            await oracle.disconnect()


async def _subscribe_among_changes(client: LiveClient, request_id: int, message: dict) -> None:
    """Subscribe while change messages for the other subscriptions may arrive first."""
    await client.communicator.send_json_to(
        {"action": "subscribe_list", "request_id": request_id, **message}
    )
    while True:
        frame = await client.communicator.receive_json_from(timeout=10)
        if frame["request_id"] == request_id:
            assert frame["response_status"] == 201, frame
            client.views[request_id] = LiveView(frame["data"])
            return
        client.views[frame["request_id"]].apply(frame["data"])


@pytest.mark.parametrize("seed", SEEDS)
async def test_messages_applied_to_the_snapshot_equal_a_fresh_list(layer, seed):
    """Random writes (see the module docstring): every view converges to ``list``."""
    await run_oracle(seed)
