"""``LiveListMixin``: ``subscribe_list`` snapshots, change messages and their limits.

Every test runs on the in-memory channel layer and on channels_redis.
"""

import asyncio
import contextlib

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.backends.utils import CursorWrapper

from djangochannelsrestframework.live.engine import get_engine
from tests.app.live_consumers import (
    LiveItemConsumer,
    OwnLiveItemConsumer,
    PagedLiveItemConsumer,
    ThrottledLiveItemConsumer,
    UnpaginatedLiveItemConsumer,
)
from tests.app.models import LiveItem, LiveTag, ProxyLiveItem
from tests.helpers import connect
from tests.live_helpers import LiveClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_channel_layer")]
User = get_user_model()


async def ask(communicator, **message):
    """The reply to ``message`` (request id 1 unless named), allowing for a loaded machine."""
    return await communicator.request({"request_id": 1, **message}, timeout=10)


def row(item, tag_name=None):
    return {
        "id": item.pk,
        "name": item.name,
        "score": item.score,
        "team": item.team,
        "owner": item.owner_id,
        "tag_name": tag_name,
    }


async def next_change(communicator, timeout=10):
    frame = await communicator.receive_json_from(timeout=timeout)
    assert frame["action"] == "subscribe_list" and frame["response_status"] == 200, frame
    return frame["data"]


async def test_snapshot_is_what_list_answers():
    """The 201 reply's data is exactly the ``list`` reply to the same message."""
    for i in range(5):
        await LiveItem.objects.acreate(name=f"item {i}", score=i)
    client = await connect(LiveItemConsumer)
    message = {"query": {"ordering": "-score"}, "limit": 2, "offset": 1}
    listed = await ask(client, action="list", **message)
    reply = await ask(client, action="subscribe_list", request_id=7, **message)
    assert reply == {**listed, "action": "subscribe_list", "request_id": 7, "response_status": 201}
    await client.disconnect()


async def test_a_created_row_enters_at_its_index_with_the_new_count():
    """A row created inside the page is an ``enter`` at its position, with the new total."""
    first = await LiveItem.objects.acreate(name="a", score=10)
    await LiveItem.objects.acreate(name="c", score=30)
    client = await connect(LiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=7, query={"ordering": "score"}, limit=5)
    created = await LiveItem.objects.acreate(name="b", score=20)
    assert await next_change(client) == {
        "change": "enter",
        "pk": created.pk,
        "index": 1,
        "row": row(created),
        "count": 3,
    }
    first.score = 40
    await first.asave()
    assert await next_change(client) == {
        "change": "update",
        "pk": first.pk,
        "index": 2,
        "row": row(first),
        "count": 3,
    }
    await client.disconnect()


async def test_a_row_changed_out_of_the_filter_leaves_from_its_old_index():
    """A row that no longer matches the filter is a ``leave`` with its index before."""
    await LiveItem.objects.acreate(name="x", team="red")
    moved = await LiveItem.objects.acreate(name="y", team="red")
    client = await connect(UnpaginatedLiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=3, query={"team": "red"})
    moved.team = "blue"
    await moved.asave()
    assert await next_change(client) == {
        "change": "leave",
        "pk": moved.pk,
        "index": 1,
        "row": None,
    }
    await client.disconnect()


async def test_a_row_created_beyond_the_page_sends_only_the_count():
    """A paginated list whose window did not change gets one ``count`` message."""
    for i in range(2):
        await LiveItem.objects.acreate(name=f"item {i}", score=i)
    client = await connect(LiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=1, query={"ordering": "score"}, limit=2)
    await LiveItem.objects.acreate(name="late", score=99)
    assert await next_change(client) == {
        "change": "count",
        "pk": None,
        "index": None,
        "row": None,
        "count": 3,
    }
    await client.disconnect()


async def test_a_save_that_changes_nothing_visible_sends_nothing():
    """Saving a row without changing its data or position sends no message."""
    item = await LiveItem.objects.acreate(name="same")
    client = await connect(LiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=1, limit=5)
    await item.asave()
    item.name = "changed"
    await item.asave()
    # The first save would have arrived first: the next message is the second save's.
    assert (await next_change(client))["row"]["name"] == "changed"
    await client.disconnect()


async def test_a_rolled_back_transaction_sends_nothing():
    """Only committed changes are sent: a rollback leaves the list untouched."""
    client = await connect(LiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=1, limit=5)

    def write_and_roll_back():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            LiveItem.objects.create(name="ghost")
            raise RuntimeError("roll back")

    await sync_to_async(write_and_roll_back)()
    kept = await LiveItem.objects.acreate(name="kept")
    data = await next_change(client)
    assert (data["change"], data["pk"], data["count"]) == ("enter", kept.pk, 1)
    await client.disconnect()


async def test_unsubscribe_replies_204_and_ends_the_messages():
    """After the 204 nothing of that subscription arrives; without a request id it is a 400;
    an id that is not subscribed gets a 204 too."""
    client = await connect(LiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=5, limit=5)
    assert await client.request(action="unsubscribe_list", timeout=10) == {
        "action": "unsubscribe_list",
        "request_id": None,
        "response_status": 400,
        "errors": ['"unsubscribe_list" needs the "request_id" of the subscription.'],
        "data": None,
    }
    reply = await ask(client, action="unsubscribe_list", request_id=5)
    assert (reply["response_status"], reply["data"]) == (204, None)
    await LiveItem.objects.acreate(name="unseen")
    assert await client.receive_nothing(timeout=0.5)
    # Unsubscribing what is not subscribed ends in the same state: 204 as well.
    assert (await ask(client, action="unsubscribe_list", request_id=99))["response_status"] == 204
    await client.disconnect()


async def test_subscribe_without_a_request_id_is_a_400():
    """Change messages are matched by request id, so one is required."""
    client = await connect(LiveItemConsumer)
    reply = await client.request(action="subscribe_list", limit=5, timeout=10)
    assert (reply["response_status"], reply["errors"]) == (
        400,
        ['"subscribe_list" needs a "request_id".'],
    )
    await client.disconnect()


async def test_each_user_sees_only_their_own_rows():
    """A per-user queryset: no message carries another user's row or its pk."""
    ann = await User.objects.acreate(username="ann")
    bob = await User.objects.acreate(username="bob")
    ann_client = await connect(OwnLiveItemConsumer, user=ann)
    bob_client = await connect(OwnLiveItemConsumer, user=bob)
    await ask(ann_client, action="subscribe_list", request_id=1, limit=5)
    await ask(bob_client, action="subscribe_list", request_id=1, limit=5)
    bobs = await LiveItem.objects.acreate(name="bob's", owner=bob)
    anns = await LiveItem.objects.acreate(name="ann's", owner=ann)
    assert (await next_change(ann_client))["pk"] == anns.pk
    assert (await next_change(bob_client))["pk"] == bobs.pk
    assert await ann_client.receive_nothing(timeout=0.3)
    assert await bob_client.receive_nothing(timeout=0.3)
    await ann_client.disconnect()
    await bob_client.disconnect()


async def test_permissions_apply_to_subscribe_list():
    """An anonymous client is refused by ``IsAuthenticated`` as for any action."""
    client = await connect(OwnLiveItemConsumer)
    reply = await ask(client, action="subscribe_list", limit=5)
    assert reply["response_status"] == 403
    await client.disconnect()


async def test_an_unpaginated_list_over_the_row_limit_is_refused(settings):
    """More than ``MAX_LIVE_LIST_ROWS`` rows without a page: a 400 suggesting a page size."""
    settings.DJANGO_CHANNELS_REST_API = {"MAX_LIVE_LIST_ROWS": 2}
    for i in range(3):
        await LiveItem.objects.acreate(name=f"item {i}")
    client = await connect(UnpaginatedLiveItemConsumer)
    reply = await ask(client, action="subscribe_list")
    assert reply["response_status"] == 400
    assert "more than 2 rows" in reply["errors"][0] and '"limit"' in reply["errors"][0]
    await client.disconnect()


async def test_a_list_that_grows_past_the_row_limit_ends_with_a_400(settings):
    """An unpaginated list that outgrows ``MAX_LIVE_LIST_ROWS`` ends with one 400 reply."""
    settings.DJANGO_CHANNELS_REST_API = {"MAX_LIVE_LIST_ROWS": 2}
    await LiveItem.objects.acreate(name="one")
    client = await connect(UnpaginatedLiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=4)
    await LiveItem.objects.acreate(name="two")
    assert (await next_change(client))["change"] == "enter"
    await LiveItem.objects.acreate(name="three")
    ended = await client.receive_json_from(timeout=10)
    assert (ended["request_id"], ended["response_status"], ended["data"]) == (4, 400, None)
    assert "more than 2 rows" in ended["errors"][0]
    await LiveItem.objects.acreate(name="four")
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()


async def test_live_lists_count_against_max_subscriptions(settings):
    """A live list is a subscription: one more than ``MAX_SUBSCRIPTIONS`` gets a 429."""
    settings.DJANGO_CHANNELS_REST_API = {"MAX_SUBSCRIPTIONS": 2}
    client = await connect(LiveItemConsumer)
    for request_id in (1, 2):
        assert (await ask(client, action="subscribe_list", request_id=request_id))[
            "response_status"
        ] == 201
    assert (await ask(client, action="subscribe_list", request_id=3))["response_status"] == 429
    await ask(client, action="unsubscribe_list", request_id=1)
    assert (await ask(client, action="subscribe_list", request_id=3))["response_status"] == 201
    await client.disconnect()


async def test_a_declared_dependency_updates_the_rows_that_show_it():
    """Renaming a ``LiveTag`` (in ``live_list_dependencies``) updates the rows showing it."""
    tag = await LiveTag.objects.acreate(name="old")
    item = await LiveItem.objects.acreate(name="tagged", tag=tag)
    client = await connect(LiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=1, limit=5)
    tag.name = "new"
    await tag.asave()
    assert await next_change(client) == {
        "change": "update",
        "pk": item.pk,
        "index": 0,
        "row": row(item, tag_name="new"),
        "count": 1,
    }
    await client.disconnect()


async def test_bulk_updates_through_an_observable_manager_are_seen():
    """``QuerySet.update()`` on an ``ObservableManager`` announces the rows it changed."""
    for i in range(3):
        await LiveItem.objects.acreate(name=f"item {i}", team="red")
    client = await connect(UnpaginatedLiveItemConsumer)
    live = LiveClient(client)
    await live.subscribe(1, query={"team": "red"})
    await sync_to_async(LiveItem.objects.filter(name="item 1").update)(team="blue")
    while not live.views[1].messages:
        assert await live.pump(10)
    assert [r["name"] for r in live.views[1].rows] == ["item 0", "item 2"]
    await client.disconnect()


@contextlib.contextmanager
def select_statements():
    """Every SELECT run while the block runs (any thread)."""
    statements = []
    original = CursorWrapper._execute

    def execute(self, sql, params, *args):
        if sql.lstrip().upper().startswith("SELECT") and "live" in sql:
            statements.append(sql)
        return original(self, sql, params, *args)

    CursorWrapper._execute = execute
    try:
        yield statements
    finally:
        CursorWrapper._execute = original


async def test_queries_per_change_do_not_grow_with_subscribers():
    """Twenty subscribers of one list cost the same two queries per change as one."""
    for i in range(3):
        await LiveItem.objects.acreate(name=f"item {i}", score=i)
    clients = [await connect(LiveItemConsumer) for _ in range(20)]
    for client in clients:
        await ask(
            client, action="subscribe_list", request_id=1, query={"ordering": "score"}, limit=2
        )
    engine = get_engine()
    batches = engine.batches
    with select_statements() as statements:
        await LiveItem.objects.acreate(name="new", score=-1)
        for client in clients:
            changes = [(await next_change(client))["change"] for _ in range(2)]
            assert changes == ["leave", "enter"]  # the new first row pushes the last out
    assert engine.batches == batches + 1
    # One COUNT and one page query (the new row's tag is joined in the page query).
    assert len(statements) == 2, statements
    for client in clients:
        await client.disconnect()
    await asyncio.sleep(0)


async def test_a_subscriber_joining_a_shared_list_gets_its_current_state():
    """The second subscriber of a list (same message) gets a snapshot equal to ``list`` now,
    and both get the same messages afterwards."""
    await LiveItem.objects.acreate(name="a", score=1)
    first = await connect(LiveItemConsumer)
    message = {"query": {"ordering": "-score,id"}, "limit": 2}
    await ask(first, action="subscribe_list", request_id=1, **message)
    top = await LiveItem.objects.acreate(name="b", score=5)
    assert (await next_change(first))["pk"] == top.pk
    second = await connect(LiveItemConsumer)
    listed = await ask(second, action="list", **message)
    joined = await ask(second, action="subscribe_list", request_id=2, **message)
    assert joined["data"] == listed["data"] and len(listed["data"]["results"]) == 2
    third = await LiveItem.objects.acreate(name="c", score=9)
    for client in (first, second):
        assert [(await next_change(client))["change"] for _ in range(2)] == ["leave", "enter"]
    assert (await ask(second, action="list", **message))["data"]["results"][0]["id"] == third.pk
    await first.disconnect()
    await second.disconnect()


async def test_drf_page_number_pagination_keeps_its_page_and_count():
    """With ``PageNumberPagination`` the snapshot is the page's reply; rows leave page 2 as
    deletes shift it, and a page past the end is an empty window with the new count."""
    items = [await LiveItem.objects.acreate(name=f"item {i}") for i in range(4)]
    client = await connect(PagedLiveItemConsumer)
    reply = await ask(client, action="subscribe_list", query={"page": 2})
    assert reply["data"] == {
        "count": 4,
        "next": None,
        "previous": "/ws/",
        "results": [row(items[2]), row(items[3])],
    }
    await items[0].adelete()
    assert await next_change(client) == {
        "change": "leave",
        "pk": items[2].pk,
        "index": 0,
        "row": None,
        "count": 3,
    }
    await items[1].adelete()
    assert await next_change(client) == {
        "change": "leave",
        "pk": items[3].pk,
        "index": 0,
        "row": None,
        "count": 2,
    }
    await client.disconnect()


async def test_throttles_apply_to_subscribe_list():
    """A throttle on the consumer refuses the subscription past its rate (429)."""
    cache.clear()
    client = await connect(ThrottledLiveItemConsumer)
    statuses = [
        (await ask(client, action="subscribe_list", request_id=i, limit=1))["response_status"]
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    await client.disconnect()


async def test_disconnecting_ends_every_live_list_of_the_connection():
    """After the last subscriber disconnects, the process holds no list and no reader."""
    client = await connect(LiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=1, limit=2)
    await ask(client, action="subscribe_list", request_id=2, query={"team": "blue"})
    engine = get_engine()
    assert (len(engine.lists), engine.reading) == (2, True)
    await client.disconnect()
    assert (engine.lists, engine.reading) == ({}, False)


def test_a_live_list_consumer_without_a_queryset_is_reported():
    """System check W101: without ``queryset`` a worker cannot know the listed model."""
    from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
    from djangochannelsrestframework.live.checks import check_live_list_querysets
    from djangochannelsrestframework.mixins import ListModelMixin, LiveListMixin

    class Dynamic(LiveListMixin, ListModelMixin, GenericAsyncAPIConsumer):
        def get_queryset(self, **kwargs):
            return LiveItem.objects.all()

    messages = check_live_list_querysets(consumers=[Dynamic, LiveItemConsumer])
    assert [(m.id, m.obj) for m in messages] == [("djangochannelsrestframework.W101", Dynamic)]
    assert "watch_model" in messages[0].hint


async def test_changes_saved_through_a_proxy_model_are_seen():
    """A save through a proxy of the listed model is announced as the model's change."""
    client = await connect(LiveItemConsumer)
    await ask(client, action="subscribe_list", request_id=1, limit=5)
    created = await ProxyLiveItem.objects.acreate(name="by proxy")
    assert (await next_change(client))["pk"] == created.pk
    await client.disconnect()
