"""Group joins and leaves bounded per process and retried (membership.py), on real Redis.

The storm is made small by giving channels_redis a pool of two connections: hundreds of
concurrent group operations then exhaust it exactly as thousands do with redis-py's
default of 100.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
import redis
from channels_redis.core import RedisChannelLayer
from django.test import override_settings

from djangochannelsrestframework import membership
from tests.conftest import configured_redis_url

pytestmark = pytest.mark.redis

GROUP = "storm"
MEMBERS = 200
#: A gate 32 times wider than the pool: only retries can make every operation land. Many
#: attempts, so that a loaded machine (slow Redis round trips) cannot use them all up.
WIDE_GATE = {"GROUP_MEMBERSHIP_CONCURRENCY": 64, "GROUP_MEMBERSHIP_ATTEMPTS": 30}


@pytest.fixture
def small_pool_layer(redis_url):
    """A ``RedisChannelLayer`` on a private prefix whose pool holds two connections."""
    prefix = f"dcrf-test-{uuid.uuid4().hex[:12]}"
    layer = RedisChannelLayer(
        hosts=[{"address": redis_url, "socket_timeout": None, "max_connections": 2}],
        prefix=prefix,
    )
    yield layer
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def members_in_redis(layer: RedisChannelLayer, group: str) -> int:
    """How many channels Redis lists in ``group`` (read directly, not through the layer)."""
    client = redis.Redis.from_url(configured_redis_url())
    try:
        return client.zcard(layer._group_key(group))
    finally:
        client.close()


async def fill_group(layer: RedisChannelLayer, count: int) -> list[str]:
    channels = [f"specific.{uuid.uuid4().hex}!" for _ in range(count)]
    for channel in channels:
        await layer.group_add(GROUP, channel)
    return channels


async def test_unbounded_discards_exhaust_a_small_pool(small_pool_layer):
    """The problem itself: concurrent plain ``group_discard`` calls fail and leave members."""
    channels = await fill_group(small_pool_layer, MEMBERS)
    results = await asyncio.gather(
        *(small_pool_layer.group_discard(GROUP, c) for c in channels), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors and "Too many connections" in str(errors[0])
    assert members_in_redis(small_pool_layer, GROUP) == len(errors)


@override_settings(DJANGO_CHANNELS_REST_API={"GROUP_MEMBERSHIP_CONCURRENCY": 2})
async def test_bounded_discards_remove_every_membership_without_retries(small_pool_layer):
    """With the gate no wider than the pool, every discard succeeds at the first attempt."""
    channels = await fill_group(small_pool_layer, MEMBERS)
    retried_before = membership.membership_summary.total_retried
    results = await asyncio.gather(
        *(membership.group_discard(small_pool_layer, GROUP, c) for c in channels)
    )
    assert results == [True] * MEMBERS
    assert members_in_redis(small_pool_layer, GROUP) == 0
    assert membership.membership_summary.total_retried == retried_before


@override_settings(DJANGO_CHANNELS_REST_API=WIDE_GATE)
async def test_a_gate_wider_than_the_pool_still_removes_everything_by_retrying(
    small_pool_layer,
):
    """Retries with back-off absorb the pool's refusals: no membership is left behind."""
    channels = await fill_group(small_pool_layer, MEMBERS)
    retried_before = membership.membership_summary.total_retried
    results = await asyncio.gather(
        *(membership.group_discard(small_pool_layer, GROUP, c) for c in channels)
    )
    assert results == [True] * MEMBERS
    assert members_in_redis(small_pool_layer, GROUP) == 0
    assert membership.membership_summary.total_retried > retried_before


@override_settings(DJANGO_CHANNELS_REST_API=WIDE_GATE)
async def test_one_connection_leaves_all_its_groups_at_once(small_pool_layer):
    """``discard_groups`` (what a disconnect runs) leaves many groups of one channel."""
    groups = [f"group-{i}" for i in range(MEMBERS)]
    for group in groups:
        await small_pool_layer.group_add(group, "specific.leaving!")
    assert await membership.discard_groups(small_pool_layer, groups, "specific.leaving!") == 0
    assert sum(members_in_redis(small_pool_layer, g) for g in groups) == 0


@override_settings(DJANGO_CHANNELS_REST_API=WIDE_GATE)
async def test_bounded_adds_of_a_reconnect_storm_all_land(small_pool_layer):
    """Joins go through the same gate: a burst of subscriptions all end up in Redis."""
    channels = [f"specific.{uuid.uuid4().hex}!" for _ in range(MEMBERS)]
    await asyncio.gather(*(membership.group_add(small_pool_layer, GROUP, c) for c in channels))
    assert members_in_redis(small_pool_layer, GROUP) == MEMBERS


@override_settings(
    DJANGO_CHANNELS_REST_API={
        "GROUP_MEMBERSHIP_ATTEMPTS": 2,
        "GROUP_MEMBERSHIP_LOG_INTERVAL": 3600,
    }
)
async def test_failures_are_summed_up_in_one_log_line(caplog):
    """Fifty discards that can never succeed produce one warning line that counts them."""
    from tests.e2e.servers import free_port

    unreachable = RedisChannelLayer(
        hosts=[{"address": f"redis://127.0.0.1:{free_port()}/0", "socket_timeout": None}]
    )
    membership.membership_summary.flush()  # start from an empty summary
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="djangochannelsrestframework.membership"):
        failures = await membership.discard_groups(
            unreachable, [f"group-{i}" for i in range(50)], "specific.gone!"
        )
        membership.membership_summary.flush()
    assert failures == 50
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("membership")]
    assert len(lines) == 1
    assert "50 failed after 2 attempts" in lines[0]


@override_settings(DJANGO_CHANNELS_REST_API={"GROUP_MEMBERSHIP_ATTEMPTS": 1})
async def test_a_join_that_never_works_raises_for_the_caller_to_report():
    """``group_add`` raises its last error, so that a subscription can answer with an error."""
    from tests.e2e.servers import free_port

    unreachable = RedisChannelLayer(
        hosts=[{"address": f"redis://127.0.0.1:{free_port()}/0", "socket_timeout": None}]
    )
    with pytest.raises(redis.exceptions.ConnectionError):
        await membership.group_add(unreachable, "group", "specific.x!")
    membership.membership_summary.flush()
