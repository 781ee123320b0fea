"""``@model_observer``: committed model changes reach subscribed consumers, once.

Every test runs twice: on the in-memory channel layer and on channels_redis.
"""

import datetime
import decimal

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.db import transaction

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import model_observer, notify
from tests.app.models import Comment, Measurement, Note, Post, ProxyNote, Tag
from tests.app.observer_consumers import (
    CommentsOfUserConsumer,
    MeasurementConsumer,
    NoteChangesConsumer,
    PostChangesConsumer,
    UserChangesConsumer,
    UserDataConsumer,
    UsernameGroupsConsumer,
)
from tests.helpers import connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_channel_layer")]
User = get_user_model()


async def test_create_and_delete_arrive_with_the_default_body():
    """Without a serializer the body is ``{"pk": pk}`` and the type is the handler name."""
    client = await connect(UserChangesConsumer)
    user = await User.objects.acreate(username="test")
    assert await client.receive_json_from() == {
        "action": "create",
        "body": {"pk": user.pk},
        "type": "user.change.observer.wrapper",
    }
    pk = user.pk
    await user.adelete()
    assert await client.receive_json_from() == {
        "action": "delete",
        "body": {"pk": pk},
        "type": "user.change.observer.wrapper",
    }
    assert await client.receive_nothing()
    await client.disconnect()


async def test_serializer_class_builds_the_body():
    """``serializer_class=`` serializes the instance (write-only fields left out)."""
    client = await connect(UserDataConsumer)
    user = await User.objects.acreate(username="test", email="t@example.com")
    reply = await client.receive_json_from()
    assert reply == {
        "action": "create",
        "errors": [],
        "response_status": 200,
        "request_id": None,
        "data": {"id": user.pk, "username": "test", "email": "t@example.com"},
    }
    user.email = "new@example.com"
    await user.asave()
    reply = await client.receive_json_from()
    assert (reply["action"], reply["data"]["email"]) == ("update", "new@example.com")
    await client.disconnect()


async def test_custom_groups_deliver_only_subscribed_groups_with_request_ids():
    """Subscribers get only their groups' events, with the request ids they subscribed with."""
    client = await connect(UsernameGroupsConsumer)
    await client.send_json_to({"action": "watch", "username": "test", "request_id": 5})
    assert (await client.receive_json_from())["response_status"] == 201
    await User.objects.acreate(username="test2")
    await User.objects.acreate(username="test")
    assert await client.receive_json_from() == {
        "action": "create",
        "body": {"username": "test", "kind": "create"},
        "request_ids": [5],
    }
    assert await client.receive_nothing()
    await client.disconnect()


async def test_unsubscribe_stops_delivery_for_that_request_id_only():
    """After ``unsubscribe(request_id=5)`` nothing more arrives for 5; 6 still receives."""
    client = await connect(UsernameGroupsConsumer)
    await client.send_json_to({"action": "watch", "username": "a", "request_id": 5})
    await client.send_json_to({"action": "watch", "username": "b", "request_id": 6})
    await client.send_json_to({"action": "unwatch", "username": "a", "request_id": 5})
    for _ in range(3):
        await client.receive_json_from()
    await User.objects.acreate(username="a")
    await User.objects.acreate(username="b")
    reply = await client.receive_json_from()
    assert (reply["body"]["username"], reply["request_ids"]) == ("b", [6])
    assert await client.receive_nothing()
    await client.disconnect()


async def test_moving_between_groups_is_a_delete_for_the_old_and_a_create_for_the_new():
    """A change that moves an object to another group reaches each group as what it is
    for that group: it left one (delete) and entered the other (create)."""
    old_group = await connect(UsernameGroupsConsumer)
    new_group = await connect(UsernameGroupsConsumer)
    await old_group.send_json_to({"action": "watch", "username": "before", "request_id": 1})
    await new_group.send_json_to({"action": "watch", "username": "after", "request_id": 2})
    await old_group.receive_json_from()
    await new_group.receive_json_from()
    user = await User.objects.acreate(username="before")
    assert (await old_group.receive_json_from())["action"] == "create"
    user.username = "after"
    await user.asave()
    assert await old_group.receive_json_from() == {
        "action": "delete",
        "body": {"username": "after", "kind": "delete"},
        "request_ids": [1],
    }
    assert await new_group.receive_json_from() == {
        "action": "create",
        "body": {"username": "after", "kind": "create"},
        "request_ids": [2],
    }
    await old_group.disconnect()
    await new_group.disconnect()


async def test_a_stale_object_still_reports_the_right_transition():
    """Old groups come from the stored row, so a copy loaded before a rename still leaves
    the group the row was really in."""
    watcher = await connect(UsernameGroupsConsumer)
    await watcher.send_json_to({"action": "watch", "username": "renamed", "request_id": 1})
    await watcher.receive_json_from()
    user = await User.objects.acreate(username="original")
    stale_copy = await User.objects.aget(pk=user.pk)
    user.username = "renamed"
    await user.asave()
    assert (await watcher.receive_json_from())["action"] == "create"
    stale_copy.username = "gone"
    await stale_copy.asave()
    reply = await watcher.receive_json_from()
    assert (reply["action"], reply["body"]["username"]) == ("delete", "gone")
    await watcher.disconnect()


async def test_single_groups_hook_serves_both_sides():
    """One ``groups`` hook names the groups for signals and for subscriptions."""
    alice = await User.objects.acreate(username="alice")
    bob = await User.objects.acreate(username="bob")
    client = await connect(CommentsOfUserConsumer)
    await client.send_json_to(
        {"action": "subscribe_comments", "user_pk": alice.pk, "request_id": 3}
    )
    await client.receive_json_from()
    await Comment.objects.acreate(user=bob, text="not for alice")
    comment = await Comment.objects.acreate(user=alice, text="hello")
    reply = await client.receive_json_from()
    assert reply["request_id"] == 3
    assert reply["data"] == {"pk": comment.pk, "text": "hello", "user": alice.pk}
    assert await client.receive_nothing()
    await client.disconnect()


@database_sync_to_async
def create_then_update_in_one_transaction():
    with transaction.atomic():
        user = User.objects.create(username="in-transaction")
        user.email = "changed@example.com"
        user.save()
        user.save()
    return user


async def test_one_message_per_object_per_transaction_with_the_first_action():
    """A create and two updates in one transaction arrive as one ``create``, after commit."""
    client = await connect(UserDataConsumer)
    user = await create_then_update_in_one_transaction()
    reply = await client.receive_json_from()
    assert reply["action"] == "create"
    assert reply["data"] == {
        "id": user.pk,
        "username": "in-transaction",
        "email": "changed@example.com",
    }
    assert await client.receive_nothing()
    await client.disconnect()


@database_sync_to_async
def save_then_roll_back():
    with transaction.atomic():
        User.objects.create(username="rolled-back")
        transaction.set_rollback(True)


async def test_rolled_back_changes_send_nothing():
    """A transaction that rolls back sends no message."""
    client = await connect(UserChangesConsumer)
    await save_then_roll_back()
    assert await client.receive_nothing()
    await client.disconnect()


@database_sync_to_async
def commit_outer_change_and_roll_back_savepoint(user):
    with transaction.atomic():
        user.email = "committed@example.com"
        user.save()
        try:
            with transaction.atomic():
                user.email = "rolled-back@example.com"
                user.save()
                raise RuntimeError("undo the savepoint")
        except RuntimeError:
            user.email = "committed@example.com"


async def test_savepoint_rollback_publishes_the_committed_state():
    """A save in a rolled-back savepoint is forgotten; the earlier committed save is sent
    with its own body (1.3 sent the rolled-back body)."""
    user = await User.objects.acreate(username="savepoint")
    client = await connect(UserDataConsumer)
    await commit_outer_change_and_roll_back_savepoint(user)
    reply = await client.receive_json_from()
    assert (reply["action"], reply["data"]["email"]) == ("update", "committed@example.com")
    assert await client.receive_nothing()
    await client.disconnect()


@database_sync_to_async
def save_again_after_a_rolled_back_savepoint(user):
    with transaction.atomic():
        user.email = "first@example.com"
        user.save()
        try:
            with transaction.atomic():
                user.save()
                raise RuntimeError("undo the savepoint")
        except RuntimeError:
            pass
        user.email = "last@example.com"
        user.save()


async def test_saves_around_a_rolled_back_savepoint_send_one_message():
    """Saves before and after a rolled-back savepoint still make one message, with the
    last committed state (rolling back a savepoint rebuilds Django's list of commit
    callbacks, which once split the transaction's events in two)."""
    user = await User.objects.acreate(username="around")
    client = await connect(UserDataConsumer)
    await save_again_after_a_rolled_back_savepoint(user)
    reply = await client.receive_json_from()
    assert (reply["action"], reply["data"]["email"]) == ("update", "last@example.com")
    assert await client.receive_nothing()
    await client.disconnect()


def test_many_events_in_one_transaction_keep_one_flush_last(db):
    """Every event of a transaction goes before the one flush, which stays last."""
    with transaction.atomic():
        for n in range(50):
            User.objects.create(username=f"bulk {n}")
        callbacks = transaction.get_connection().run_on_commit
        flushes = [entry for entry in callbacks if getattr(entry[1], "__name__", "") == "flush"]
        assert len(flushes) == 1
        assert callbacks[-1] is flushes[0]


@database_sync_to_async
def change_inside_nested_blocks():
    with transaction.atomic():
        with transaction.atomic():
            user = User.objects.create(username="nested")
        with transaction.atomic():
            user.email = "nested@example.com"
            user.save()
    return user


async def test_nested_atomic_blocks_send_once_after_the_outer_commit():
    """Committed savepoints inside one transaction still give one message."""
    client = await connect(UserDataConsumer)
    await change_inside_nested_blocks()
    reply = await client.receive_json_from()
    assert (reply["action"], reply["data"]["email"]) == ("create", "nested@example.com")
    assert await client.receive_nothing()
    await client.disconnect()


@database_sync_to_async
def delete_inside_transaction(user):
    with transaction.atomic():
        user.delete()
        return "nothing sent before commit"


async def test_messages_wait_for_the_commit():
    """Inside a transaction nothing is sent; the commit sends it."""
    user = await User.objects.acreate(username="doomed")
    client = await connect(UserChangesConsumer)
    pk = user.pk
    await delete_inside_transaction(user)
    assert (await client.receive_json_from())["body"] == {"pk": pk}
    await client.disconnect()


async def test_uuid_decimal_and_dates_cross_the_layer_as_json():
    """UUID primary keys, decimals and dates reach the client as JSON strings/numbers."""
    client = await connect(MeasurementConsumer)
    taken_at = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    measurement = await Measurement.objects.acreate(
        value=decimal.Decimal("12.345"), taken_on=datetime.date(2024, 5, 6), taken_at=taken_at
    )
    reply = await client.receive_json_from()
    assert reply["action"] == "create"
    assert reply["data"]["pk"] == str(measurement.pk)
    assert reply["data"]["taken_on"] == "2024-05-06"
    assert reply["data"]["taken_at"].startswith("2024-05-06T07:08:09")
    assert decimal.Decimal(str(reply["data"]["value"])) == decimal.Decimal("12.345")
    await client.disconnect()


async def test_saves_through_a_proxy_model_are_observed():
    """An observer of ``Note`` sees saves made through its proxy model."""
    client = await connect(NoteChangesConsumer)
    note = await ProxyNote.objects.acreate(title="via proxy")
    assert await client.receive_json_from() == {
        "action": "create",
        "errors": [],
        "response_status": 200,
        "request_id": None,
        "data": {"pk": note.pk},
    }
    await client.disconnect()


async def test_queryset_delete_is_observed():
    """``QuerySet.delete()`` sends one delete per object."""
    notes = [await Note.objects.acreate(title=f"n{i}") for i in range(2)]
    client = await connect(NoteChangesConsumer)
    await Note.objects.filter(title__startswith="n").adelete()
    replies = [await client.receive_json_from() for _ in notes]
    assert sorted(r["data"]["pk"] for r in replies) == sorted(n.pk for n in notes)
    assert {r["action"] for r in replies} == {"delete"}
    await client.disconnect()


async def test_observable_queryset_update_notifies_each_object():
    """``ObservableQuerySet.update()`` sends one update per changed row."""
    posts = [await Post.objects.acreate(title="draft") for _ in range(3)]
    client = await connect(PostChangesConsumer)
    changed = await database_sync_to_async(Post.objects.filter(title="draft").update)(title="final")
    assert changed == 3
    replies = [await client.receive_json_from() for _ in posts]
    assert sorted(r["data"]["pk"] for r in replies) == sorted(p.pk for p in posts)
    assert {r["action"] for r in replies} == {"update"}
    assert await client.receive_nothing()
    await client.disconnect()


async def test_observable_bulk_create_and_bulk_update_notify():
    """``bulk_create`` sends creates and ``bulk_update`` sends updates, one per object."""
    client = await connect(PostChangesConsumer)
    posts = await database_sync_to_async(Post.objects.bulk_create)(
        [Post(title="a"), Post(title="b")]
    )
    created = [await client.receive_json_from() for _ in posts]
    assert {r["action"] for r in created} == {"create"}
    assert sorted(r["data"]["pk"] for r in created) == sorted(p.pk for p in posts)
    for post in posts:
        post.title += "!"
    await database_sync_to_async(Post.objects.bulk_update)(posts, ["title"])
    updated = [await client.receive_json_from() for _ in posts]
    assert {r["action"] for r in updated} == {"update"}
    await client.disconnect()


async def test_notify_reports_writes_that_bypass_signals():
    """``notify()`` tells observers about objects changed by raw SQL or ``update()``."""
    note = await Note.objects.acreate(title="raw")
    client = await connect(NoteChangesConsumer)
    await Note.objects.filter(pk=note.pk).aupdate(title="changed by update()")
    assert await client.receive_nothing()
    await database_sync_to_async(notify)(note, "update")
    assert (await client.receive_json_from())["action"] == "update"
    await client.disconnect()


async def test_many_to_many_changes_are_updates_when_enabled(recwarn):
    """With ``many_to_many=True`` adding a tag (from either side) updates the post."""
    from djangochannelsrestframework.consumers import AsyncAPIConsumer
    from djangochannelsrestframework.observer import model_observer
    from djangochannelsrestframework.observer.model_observer import UnsupportedWarning

    with pytest.warns(UnsupportedWarning):

        class PostTagsConsumer(AsyncAPIConsumer):
            async def accept(self, subprotocol=None, headers=None):
                await super().accept(subprotocol, headers)
                await self.post_tags.subscribe()

            @model_observer(Post, many_to_many=True)
            async def post_tags(self, message, action, **kwargs):
                await self.reply(data=message, action=action)

    post = await Post.objects.acreate(title="tagged")
    tag = await Tag.objects.acreate(name="t")
    client = await connect(PostTagsConsumer)
    await database_sync_to_async(post.tags.add)(tag)
    assert await client.receive_json_from() == {
        "action": "update",
        "errors": [],
        "response_status": 200,
        "request_id": None,
        "data": {"pk": post.pk},
    }
    await database_sync_to_async(tag.posts.remove)(post)
    assert (await client.receive_json_from())["data"] == {"pk": post.pk}
    await client.disconnect()


async def test_two_connections_both_receive_and_one_leaving_does_not_affect_the_other():
    """Each subscribed connection gets the event; disconnecting one leaves the other."""
    first = await connect(UserChangesConsumer)
    second = await connect(UserChangesConsumer)
    await User.objects.acreate(username="one")
    assert (await first.receive_json_from())["action"] == "create"
    assert (await second.receive_json_from())["action"] == "create"
    await first.disconnect()
    await User.objects.acreate(username="two")
    assert (await second.receive_json_from())["action"] == "create"
    await second.disconnect()


class TagWatcher(AsyncAPIConsumer):
    """A model observer whose serializer returns something JSON cannot carry for one tag."""

    @model_observer(Tag)
    async def tag_activity(self, message, action, subscribing_request_ids=(), **kwargs):
        await self.send_json({"action": action, "body": message})

    @tag_activity.serializer
    def tag_activity(self, instance, action, **kwargs):
        return {"name": instance.name, "odd": object() if instance.name == "odd" else None}

    @action()
    async def watch(self, request_id=None, **kwargs):
        await self.tag_activity.subscribe(request_id=request_id)
        return None, 201


async def test_a_model_body_that_is_not_json_is_logged_and_the_save_stands(caplog):
    """A serializer hook returning something JSON cannot carry does not make ``save()``
    raise or roll back: the error is logged, that change sends nothing, later ones do."""
    client = await connect(TagWatcher)
    assert (await client.request(action="watch", request_id=1))["response_status"] == 201
    await Tag.objects.acreate(name="odd")
    assert await Tag.objects.filter(name="odd").aexists()
    assert await client.receive_nothing()
    assert "produced a body that is not JSON" in caplog.text
    await Tag.objects.acreate(name="plain")
    assert await client.receive_json_from() == {
        "action": "create",
        "body": {"name": "plain", "odd": None},
    }
    await client.disconnect()
