"""A user never receives, through any action or observer delivery, an instance they could
not retrieve: a per-user ``get_queryset`` hides other users' notes everywhere."""

import pytest
from django.contrib.auth import get_user_model

from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from djangochannelsrestframework.permissions import IsAuthenticated
from tests.app.consumers import NoteConsumer
from tests.app.models import Note
from tests.helpers import ask, connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_channel_layer")]
User = get_user_model()

NOT_FOUND = ["Not found"]


class OwnNotesConsumer(ObserverModelInstanceMixin, NoteConsumer):
    """Every action and subscription sees the connected user's own notes only."""

    permission_classes = [IsAuthenticated]

    def get_queryset(self, **kwargs):
        return Note.objects.filter(owner=self.scope["user"])


@pytest.fixture
async def alice():
    return await User.objects.acreate(username="alice")


@pytest.fixture
async def bob():
    return await User.objects.acreate(username="bob")


@pytest.fixture
async def alices_note(alice):
    return await Note.objects.acreate(title="alice's", owner=alice)


@pytest.fixture
async def bobs_note(bob):
    return await Note.objects.acreate(title="bob's secret", owner=bob)


async def test_retrieve_of_a_foreign_note_is_404(alice, bobs_note):
    """Another user's note is not found, exactly like a note that does not exist."""
    client = await connect(OwnNotesConsumer, user=alice)
    answer = await ask(client, action="retrieve", pk=bobs_note.pk)
    assert (answer["response_status"], answer["errors"], answer["data"]) == (404, NOT_FOUND, None)
    await client.disconnect()


async def test_list_excludes_foreign_notes(alice, alices_note, bobs_note):
    """``list`` returns only the user's own notes."""
    client = await connect(OwnNotesConsumer, user=alice)
    answer = await ask(client, action="list")
    assert [note["id"] for note in answer["data"]] == [alices_note.pk]
    await client.disconnect()


async def test_subscribing_to_a_foreign_note_is_404(alice, bobs_note):
    """``subscribe_instance`` refuses a note the user cannot retrieve."""
    client = await connect(OwnNotesConsumer, user=alice)
    answer = await ask(client, action="subscribe_instance", pk=bobs_note.pk)
    assert (answer["response_status"], answer["data"]) == (404, None)
    await client.disconnect()


@pytest.mark.parametrize(
    "message",
    [
        {"action": "patch", "data": {"title": "hijacked"}},
        {"action": "update", "data": {"title": "hijacked", "body": ""}},
        {"action": "delete"},
    ],
    ids=["patch", "update", "delete"],
)
async def test_writes_to_a_foreign_note_are_404_and_change_nothing(alice, bobs_note, message):
    """patch, update and delete of another user's note answer 404 and leave it untouched."""
    client = await connect(OwnNotesConsumer, user=alice)
    answer = await ask(client, pk=bobs_note.pk, **message)
    assert (answer["response_status"], answer["errors"], answer["data"]) == (404, NOT_FOUND, None)
    stored = await Note.objects.aget(pk=bobs_note.pk)
    assert (stored.title, stored.owner_id) == ("bob's secret", bobs_note.owner_id)
    await client.disconnect()


async def test_updates_of_foreign_notes_are_not_delivered(alice, bob, alices_note, bobs_note):
    """A subscriber of their own note receives nothing when another user's note changes."""
    client = await connect(OwnNotesConsumer, user=alice)
    assert (await ask(client, action="subscribe_instance", pk=alices_note.pk))[
        "response_status"
    ] == 201
    bobs_note.title = "bob's new secret"
    await bobs_note.asave()
    assert await client.receive_nothing(timeout=0.3)
    alices_note.title = "alice's, edited"
    await alices_note.asave()
    delivered = await client.receive_json_from()
    assert delivered["data"]["title"] == "alice's, edited"
    await client.disconnect()


async def test_a_note_given_away_is_no_longer_delivered(alice, bob, alices_note):
    """After a note changes owner, its former owner's subscription gets no data of it."""
    client = await connect(OwnNotesConsumer, user=alice)
    await ask(client, action="subscribe_instance", pk=alices_note.pk)
    alices_note.owner = bob
    alices_note.title = "now bob's secret"
    await alices_note.asave()
    while not await client.receive_nothing(timeout=0.3):
        message = await client.receive_json_from()
        assert message["data"] is None
        assert "now bob's secret" not in str(message)
    await client.disconnect()


async def test_the_owner_still_receives_their_updates(alice, bob, alices_note):
    """The rule hides foreign notes only: a second subscriber who owns the note gets it."""
    alices_client = await connect(OwnNotesConsumer, user=alice)
    bobs_client = await connect(OwnNotesConsumer, user=bob)
    await ask(alices_client, action="subscribe_instance", pk=alices_note.pk)
    answer = await ask(bobs_client, action="subscribe_instance", pk=alices_note.pk)
    assert answer["response_status"] == 404
    alices_note.body = "edited"
    await alices_note.asave()
    assert (await alices_client.receive_json_from())["data"]["body"] == "edited"
    assert await bobs_client.receive_nothing(timeout=0.3)
    await alices_client.disconnect()
    await bobs_client.disconnect()
