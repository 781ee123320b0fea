"""Concurrent writes to one row from many sockets: no acknowledged write is lost.

A patch reads the row, changes some fields and saves every field. Two sockets patching
different fields of one row at the same time could each save the other's field with the
value it read before, silently undoing an acknowledged write. ``get_object`` therefore
locks the row (``SELECT ... FOR UPDATE``) for write actions inside their transaction.

On PostgreSQL every connection here runs its database work on its own thread (its own
database session), as connections served by several worker processes would. SQLite
cannot run concurrent writers (its in-memory test database refuses them, and a file
database serializes them with its lock), so there the connections share Channels' one
database thread, as they do within one server process: the test then shows the same
outcome without real parallelism.
"""

import asyncio

import pytest
from asgiref.sync import ThreadSensitiveContext
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction
from django.db.models import Count
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer, write_database
from djangochannelsrestframework.mixins import (
    DeleteModelMixin,
    PatchModelMixin,
    RetrieveModelMixin,
    UpdateModelMixin,
    write_transaction,
)
from tests.app.models import Note, Scoreboard
from tests.app.serializers import NoteSerializer

pytestmark = pytest.mark.django_db(transaction=True)

SOCKETS = 20
WRITES = 10
FIELDS = [f"s{n}" for n in range(SOCKETS)]
POSTGRES = connection.vendor == "postgresql"


class ScoreboardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scoreboard
        fields = ["id", *FIELDS]


class ScoreboardConsumer(
    RetrieveModelMixin, PatchModelMixin, UpdateModelMixin, DeleteModelMixin, GenericAsyncAPIConsumer
):
    queryset = Scoreboard.objects.all()
    serializer_class = ScoreboardSerializer
    select_for_update_actions = GenericAsyncAPIConsumer.select_for_update_actions | {"increment"}

    @action()
    def increment(self, field, **kwargs):
        """A read-modify-write of one counter: safe because ``get_object`` locks the row."""
        with write_transaction(self, **kwargs):
            board = self.get_object(**kwargs)
            setattr(board, field, getattr(board, field) + 1)
            board.save(update_fields=[field])
        return getattr(board, field), 200


def per_connection_threads(app):
    """Give each connection its own thread for sync work (and so its own DB session)."""

    async def application(scope, receive, send):
        async with ThreadSensitiveContext():
            return await app(scope, receive, send)

    return application


def application():
    app = ScoreboardConsumer.as_asgi()
    return per_connection_threads(app) if POSTGRES else app


async def open_sockets(count):
    sockets = [WebsocketCommunicator(application(), "/ws/") for _ in range(count)]
    for socket in sockets:
        assert (await socket.connect())[0]
    return sockets


async def send_all_then_read(socket, messages):
    """Pipeline ``messages`` on one socket and return its replies."""
    for message in messages:
        await socket.send_json_to(message)
    return [await socket.receive_json_from(timeout=30) for _ in messages]


async def test_concurrent_patches_of_different_fields_all_survive():
    """Twenty sockets each patch their own field ten times at once; every last value stays."""
    board = await Scoreboard.objects.acreate()
    sockets = await open_sockets(SOCKETS)
    batches = [
        [
            {"action": "patch", "pk": board.pk, "data": {field: value}, "request_id": value}
            for value in range(1, WRITES + 1)
        ]
        for field in FIELDS
    ]
    replies = await asyncio.gather(*map(send_all_then_read, sockets, batches))
    for field, field_replies in zip(FIELDS, replies, strict=True):
        assert [r["response_status"] for r in field_replies] == [200] * WRITES
        assert field_replies[-1]["data"][field] == WRITES
    await board.arefresh_from_db()
    assert {field: getattr(board, field) for field in FIELDS} == dict.fromkeys(FIELDS, WRITES)
    for socket in sockets:
        await socket.disconnect()


async def test_concurrent_increments_through_a_custom_action_all_count():
    """A custom read-modify-write action listed in ``select_for_update_actions`` loses no
    increment when twenty sockets run it at once."""
    board = await Scoreboard.objects.acreate()
    sockets = await open_sockets(SOCKETS)
    message = {"action": "increment", "pk": board.pk, "field": "s0"}
    replies = await asyncio.gather(
        *(send_all_then_read(socket, [message] * WRITES) for socket in sockets)
    )
    values = sorted(reply["data"] for batch in replies for reply in batch)
    assert values == list(range(1, SOCKETS * WRITES + 1))
    await board.arefresh_from_db()
    assert board.s0 == SOCKETS * WRITES
    for socket in sockets:
        await socket.disconnect()


@pytest.mark.parametrize("action_name", ["patch", "update", "delete"])
def test_write_actions_lock_the_row_where_the_database_can(action_name):
    """Write actions read the instance with FOR UPDATE on PostgreSQL, plainly on SQLite."""
    board = Scoreboard.objects.create()
    consumer = ScoreboardConsumer()
    consumer.scope = {"type": "websocket"}
    with CaptureQueriesContext(connection) as queries, write_transaction(consumer):
        consumer.get_object(pk=board.pk, action=action_name)
    [select] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert ("FOR UPDATE" in select) is POSTGRES


def test_reads_never_lock():
    """``retrieve`` (and subscriptions, which read as retrieve) take no row lock."""
    board = Scoreboard.objects.create()
    consumer = ScoreboardConsumer()
    consumer.scope = {"type": "websocket"}
    with CaptureQueriesContext(connection) as queries, write_transaction(consumer):
        consumer.get_object(pk=board.pk, action="retrieve")
    assert not any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)


def test_outside_a_transaction_nothing_is_locked():
    """Without a transaction (``ATOMIC_WRITES`` off) a lock would end at once: none is taken."""
    board = Scoreboard.objects.create()
    consumer = ScoreboardConsumer()
    consumer.scope = {"type": "websocket"}
    with CaptureQueriesContext(connection) as queries:
        consumer.get_object(pk=board.pk, action="patch")
    assert not any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)


class CountedNoteSerializer(NoteSerializer):
    owner_notes = serializers.IntegerField(read_only=True)

    class Meta(NoteSerializer.Meta):
        fields = [*NoteSerializer.Meta.fields, "owner_notes"]


class CountedNotes(PatchModelMixin, GenericAsyncAPIConsumer):
    """An aggregate annotation: GROUP BY, which cannot take FOR UPDATE on PostgreSQL."""

    serializer_class = CountedNoteSerializer

    def get_queryset(self, **kwargs):
        return Note.objects.annotate(owner_notes=Count("owner__note"))


class DistinctNotes(PatchModelMixin, GenericAsyncAPIConsumer):
    """DISTINCT, as filter backends spanning relations add: no FOR UPDATE either."""

    queryset = Note.objects.distinct()
    serializer_class = NoteSerializer


@pytest.mark.parametrize("consumer", [CountedNotes, DistinctNotes])
async def test_patch_works_on_querysets_that_cannot_take_for_update(consumer):
    """GROUP BY and DISTINCT querysets lock the row by key instead; the patch succeeds and
    the reply keeps the queryset's annotations."""
    note = await Note.objects.acreate(title="before")
    communicator = WebsocketCommunicator(consumer.as_asgi(), "/ws/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to(
        {"action": "patch", "pk": note.pk, "data": {"title": "after"}, "request_id": 1}
    )
    reply = await communicator.receive_json_from()
    assert reply["response_status"] == 200
    assert reply["data"]["title"] == "after"
    if consumer is CountedNotes:
        assert reply["data"]["owner_notes"] == 0
    await communicator.disconnect()


def test_a_group_by_queryset_is_locked_by_primary_key():
    """With an aggregate annotation the lock is a separate ``FOR UPDATE`` on the row."""
    note = Note.objects.create(title="x")
    consumer = CountedNotes()
    consumer.scope = {"type": "websocket"}
    with CaptureQueriesContext(connection) as queries, write_transaction(consumer):
        found = consumer.get_object(pk=note.pk, action="patch")
    assert found.owner_notes == 0
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == (1 if POSTGRES else 0)
    assert all("GROUP BY" not in sql for sql in locks)


class ReadsFromAReplica:
    """A primary/replica router: reads go to a database named "replica"."""

    def db_for_read(self, model, **hints):
        return "replica"

    def db_for_write(self, model, **hints):
        return "default"


@override_settings(DATABASE_ROUTERS=[ReadsFromAReplica()])
def test_write_transactions_and_locks_use_the_write_database():
    """Under a router, a write action's transaction is opened on the database written to
    (``queryset.db`` would name the read replica); an explicit ``using()`` wins."""
    assert Scoreboard.objects.all().db == "replica"
    assert write_database(Scoreboard.objects.all()) == "default"
    assert write_database(Scoreboard.objects.using("other")) == "other"
    consumer = ScoreboardConsumer()
    consumer.scope = {"type": "websocket"}
    with write_transaction(consumer):
        assert transaction.get_connection("default").in_atomic_block
