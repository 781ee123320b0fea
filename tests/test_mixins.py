"""The six CRUD actions over a WebSocket, with the 1.3 reply shapes."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    DeleteModelMixin,
    ListModelMixin,
    PatchModelMixin,
    RetrieveModelMixin,
    UpdateModelMixin,
)
from djangochannelsrestframework.protocol import envelope
from djangochannelsrestframework.testing import connected
from tests.app.consumers import NoteConsumer, UserConsumer
from tests.app.models import Note, SlugItem
from tests.app.serializers import NoteSerializer, SlugItemSerializer
from tests.helpers import error

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


class SlugItemConsumer(
    RetrieveModelMixin, UpdateModelMixin, PatchModelMixin, DeleteModelMixin, GenericAsyncAPIConsumer
):
    """Looks instances up by ``slug`` instead of ``pk``."""

    queryset = SlugItem.objects.all()
    serializer_class = SlugItemSerializer
    lookup_field = "slug"


class ItemKeyConsumer(SlugItemConsumer):
    """Matches the model's ``slug`` against the message key ``item``."""

    lookup_url_kwarg = "item"


class CreateThenFail(NoteConsumer):
    def perform_create(self, serializer, **kwargs):
        serializer.save()
        raise RuntimeError("after the save")


class UpdateThenFail(NoteConsumer):
    def perform_update(self, serializer, **kwargs):
        serializer.save()
        raise RuntimeError("after the save")

    def perform_patch(self, serializer, **kwargs):
        serializer.save()
        raise RuntimeError("after the save")


class DeleteThenFail(NoteConsumer):
    def perform_delete(self, instance, **kwargs):
        instance.delete()
        raise RuntimeError("after the delete")


class CreateTwice(NoteConsumer):
    """Saves a row, then hits a unique constraint in the same action."""

    def perform_create(self, serializer, **kwargs):
        serializer.save()
        SlugItem.objects.create(slug="taken")
        SlugItem.objects.create(slug="taken")


class OwnedNoteConsumer(NoteConsumer):
    """Sets the owner from the message, as a ``perform_create`` override usually does."""

    def perform_create(self, serializer, owner_name=None, **kwargs):
        serializer.save(owner=User.objects.get(username=owner_name))


class TitledNoteConsumer(NoteConsumer):
    """Overrides ``create`` asynchronously and calls the mixin's, as in the 1.3 tutorial."""

    @action()
    async def create(self, data, **kwargs):
        data = {**data, "title": data["title"].upper()}
        return await super().create(data, **kwargs)


async def assert_still_usable(client):
    """A normal ``list`` on the same socket is answered after an error."""
    reply = await client.request({"action": "list", "request_id": "after"})
    assert reply["response_status"] == 200
    assert reply["request_id"] == "after"


def ok(action, data, status=200, request_id=1):
    return envelope(action, data, status=status, request_id=request_id)


@pytest.fixture
async def client():
    async with connected(UserConsumer) as communicator:
        yield communicator


@pytest.fixture
async def notes():
    async with connected(NoteConsumer) as communicator:
        yield communicator


def test_mixins_module_exposes_the_13_names():
    """The six CRUD mixins and the names 1.3 imported into ``mixins`` are importable."""
    from djangochannelsrestframework.mixins import (  # noqa: F401
        AsyncAPIConsumer,
        DeleteModelMixin,
        ListModelMixin,
        PatchModelMixin,
        RetrieveModelMixin,
        UpdateModelMixin,
        action,
        api_settings,
        status,
    )

    assert status.HTTP_201_CREATED == 201


def test_each_mixin_contributes_its_action():
    """Each mixin adds exactly one action, named as in 1.3."""
    assert set(UserConsumer.available_actions) == {
        "create",
        "list",
        "retrieve",
        "update",
        "patch",
        "delete",
    }

    class OnlyList(ListModelMixin, GenericAsyncAPIConsumer):
        pass

    assert OnlyList.available_actions == {"list": "list"}


# create ----------------------------------------------------------------------------------


async def test_create_replies_201_with_the_new_object(client):
    """``create`` validates ``data``, saves it and replies 201 without write-only fields."""
    await client.send_json_to(
        {
            "action": "create",
            "data": {"username": "test101", "email": "42@example.com", "password": "s3cret"},
            "request_id": 1,
        }
    )
    reply = await client.receive_json_from()
    user = await User.objects.aget(username="test101")
    assert reply == ok(
        "create", {"id": user.pk, "username": "test101", "email": "42@example.com"}, 201
    )
    assert user.check_password("s3cret")


async def test_create_with_invalid_data_is_a_400_with_field_errors(client):
    """Serializer errors arrive as ``[{"field": [...]}]`` and nothing is saved."""
    reply = await client.request(
        {"action": "create", "data": {"username": "x", "email": "nope"}, "request_id": 1}
    )
    assert reply == error(400, [{"email": ["Enter a valid email address."]}], "create")
    assert await User.objects.acount() == 0


async def test_create_with_a_duplicate_is_a_400_from_the_validator(client):
    """A unique field that is taken is reported by the serializer, not the database."""
    await User.objects.acreate(username="taken")
    reply = await client.request({"action": "create", "data": {"username": "taken"}})
    assert reply["response_status"] == 400
    assert reply["errors"] == [{"username": ["A user with that username already exists."]}]
    await assert_still_usable(client)


async def test_create_without_data_is_a_400(client):
    """``create`` needs ``data``; without it the reply names the missing key."""
    reply = await client.request({"action": "create", "request_id": 1})
    assert reply == error(400, ['Missing required key "data".'], "create")
    await assert_still_usable(client)


async def test_create_with_non_object_data_is_drf_non_field_error(client):
    """``data`` that is not an object gets DRF's ``non_field_errors`` message."""
    reply = await client.request({"action": "create", "data": [1], "request_id": 1})
    assert reply == error(
        400,
        [{"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}],
        "create",
    )
    await assert_still_usable(client)


async def test_perform_create_receives_the_message_keys():
    """``perform_create(serializer, **kwargs)`` sees the other keys of the message."""
    owner = await User.objects.acreate(username="owner")
    async with connected(OwnedNoteConsumer) as notes:
        message = {"action": "create", "data": {"title": "t"}, "owner_name": "owner"}
        reply = await notes.request(message)
    assert reply["response_status"] == 201
    assert reply["data"]["owner"] == owner.pk


async def test_an_async_override_can_call_the_mixin_create():
    """``await super().create(data, **kwargs)`` from an async ``@action()`` works."""
    async with connected(TitledNoteConsumer) as notes:
        reply = await notes.request({"action": "create", "data": {"title": "hi"}})
    assert reply["response_status"] == 201
    assert reply["data"]["title"] == "HI"


# list ------------------------------------------------------------------------------------


async def test_list_of_an_empty_table_is_an_empty_list(client):
    """``list`` replies 200 with ``[]`` when there are no rows."""
    assert await client.request({"action": "list", "request_id": 1}) == ok("list", [])


async def test_list_returns_every_row_in_queryset_order(notes):
    """``list`` replies 200 with every row serialized, in the queryset's order."""
    first = await Note.objects.acreate(title="b")
    second = await Note.objects.acreate(title="a")
    reply = await notes.request({"action": "list", "request_id": 1})
    assert reply == ok(
        "list",
        [
            {"id": first.pk, "title": "b", "body": "", "owner": None},
            {"id": second.pk, "title": "a", "body": "", "owner": None},
        ],
    )


# retrieve --------------------------------------------------------------------------------


async def test_retrieve_replies_200_with_the_object(client):
    """``retrieve`` with ``pk`` replies 200 with the serialized instance."""
    user = await User.objects.acreate(username="u1", email="u1@example.com")
    reply = await client.request({"action": "retrieve", "pk": user.pk, "request_id": 1})
    assert reply == ok("retrieve", {"id": user.pk, "username": "u1", "email": "u1@example.com"})


async def test_retrieve_of_an_absent_object_is_a_404(client):
    """An unknown pk gets the 1.3 404 reply ``["Not found"]``."""
    reply = await client.request({"action": "retrieve", "pk": 100, "request_id": 1})
    assert reply == error(404, ["Not found"], "retrieve")
    await assert_still_usable(client)


@pytest.mark.parametrize("pk", ["abc", [1], {"id": 1}, True, None])
async def test_retrieve_with_a_pk_of_the_wrong_type_is_a_404(client, pk):
    """A lookup value that cannot name a row is a 404, as in 1.3."""
    reply = await client.request({"action": "retrieve", "pk": pk, "request_id": 1})
    assert reply == error(404, ["Not found"], "retrieve")
    await assert_still_usable(client)


async def test_retrieve_without_the_lookup_key_is_a_400(client):
    """A ``retrieve`` without ``pk`` names the missing key instead of crashing."""
    reply = await client.request({"action": "retrieve", "request_id": 1})
    assert reply == error(400, ['Missing lookup key "pk".'], "retrieve")
    await assert_still_usable(client)


async def test_retrieve_list_and_delete_accept_extra_keys(notes):
    """Extra keys such as ``data: {}`` are accepted by actions that do not use them."""
    note = await Note.objects.acreate(title="n")
    retrieve = await notes.request({"action": "retrieve", "pk": note.pk, "data": {}})
    assert retrieve["response_status"] == 200
    listing = await notes.request({"action": "list", "data": {}, "extra": 1})
    assert listing["response_status"] == 200
    delete = await notes.request({"action": "delete", "pk": note.pk, "data": {}})
    assert delete["response_status"] == 204


# update and patch ------------------------------------------------------------------------


async def test_update_replies_200_with_the_whole_object(client):
    """``update`` saves ``data`` on the instance and replies 200 with it."""
    user = await User.objects.acreate(username="old", email="old@example.com")
    reply = await client.request(
        {"action": "update", "pk": user.pk, "data": {"username": "test101"}, "request_id": 2},
    )
    assert reply == ok(
        "update", {"id": user.pk, "username": "test101", "email": "old@example.com"}, 200, 2
    )
    assert (await User.objects.aget(pk=user.pk)).username == "test101"


async def test_update_has_put_semantics(notes):
    """``update`` requires every required field: a missing one is a 400."""
    note = await Note.objects.acreate(title="t", body="b")
    reply = await notes.request({"action": "update", "pk": note.pk, "data": {"body": "new"}})
    assert reply["response_status"] == 400
    assert reply["errors"] == [{"title": ["This field is required."]}]
    assert (await Note.objects.aget(pk=note.pk)).body == "b"


async def test_patch_changes_only_the_given_fields(client):
    """``patch`` is partial: fields not in ``data`` keep their values."""
    user = await User.objects.acreate(username="keep", email="old@example.com")
    reply = await client.request(
        {"action": "patch", "pk": user.pk, "data": {"email": "00@example.com"}, "request_id": 2},
    )
    assert reply == ok(
        "patch", {"id": user.pk, "username": "keep", "email": "00@example.com"}, 200, 2
    )


async def test_update_and_patch_of_an_absent_object_are_404(client):
    """``update`` and ``patch`` of an unknown pk reply 404 ``["Not found"]``."""
    for name in ("update", "patch"):
        reply = await client.request({"action": name, "pk": 99, "data": {}, "request_id": 1})
        assert reply == error(404, ["Not found"], name)
    await assert_still_usable(client)


async def test_update_and_patch_without_data_are_400(client):
    """``update`` and ``patch`` need ``data``; the reply names the missing key."""
    user = await User.objects.acreate(username="u")
    for name in ("update", "patch"):
        reply = await client.request({"action": name, "pk": user.pk, "request_id": 1})
        assert reply == error(400, ['Missing required key "data".'], name)
    await assert_still_usable(client)


async def test_update_with_non_object_data_is_drf_non_field_error(notes):
    """``data`` that is not an object gets DRF's ``non_field_errors`` message."""
    note = await Note.objects.acreate(title="t")
    reply = await notes.request({"action": "patch", "pk": note.pk, "data": "x", "request_id": 1})
    assert reply == error(
        400,
        [{"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}],
        "patch",
    )
    await assert_still_usable(notes)


async def test_update_without_the_lookup_key_is_a_400(notes):
    """``update``, ``patch`` and ``delete`` without ``pk`` name the missing key."""
    for name in ("update", "patch", "delete"):
        reply = await notes.request({"action": name, "data": {"title": "t"}, "request_id": 1})
        assert reply == error(400, ['Missing lookup key "pk".'], name)
    await assert_still_usable(notes)


@pytest.mark.parametrize("key", ["partial", "perform", "instance_kwargs"])
async def test_update_ignores_extra_keys_named_like_internal_arguments(notes, key):
    """A client key named like an internal argument is ignored, as any extra key is."""
    note = await Note.objects.acreate(title="t", body="b")
    message = {"action": "update", "pk": note.pk, "data": {"title": "new"}, key: True}
    reply = await notes.request(message)
    assert reply["response_status"] == 200
    assert reply["data"]["title"] == "new"


# delete ----------------------------------------------------------------------------------


async def test_delete_replies_204_with_null_data(client):
    """``delete`` removes the instance and replies 204 with ``data: null``."""
    user = await User.objects.acreate(username="gone")
    reply = await client.request({"action": "delete", "pk": user.pk, "request_id": 1})
    assert reply == ok("delete", None, 204)
    assert not await User.objects.filter(pk=user.pk).aexists()


async def test_delete_of_an_absent_object_is_a_404(client):
    """Deleting an unknown pk replies 404 ``["Not found"]``."""
    reply = await client.request({"action": "delete", "pk": 5, "request_id": 1})
    assert reply == error(404, ["Not found"], "delete")
    await assert_still_usable(client)


# Lookup ----------------------------------------------------------------------------------


async def test_lookup_field_names_the_message_key():
    """With ``lookup_field = "slug"`` the message carries ``slug`` instead of ``pk``."""
    item = await SlugItem.objects.acreate(slug="first", value=1)
    async with connected(SlugItemConsumer) as items:
        reply = await items.request({"action": "retrieve", "slug": "first", "request_id": 1})
        assert reply == ok("retrieve", {"id": item.pk, "slug": "first", "value": 1})
        reply = await items.request({"action": "retrieve", "pk": item.pk, "request_id": 2})
        assert reply == error(400, ['Missing lookup key "slug".'], "retrieve", 2)


async def test_lookup_url_kwarg_renames_the_message_key():
    """``lookup_url_kwarg`` names the message key; ``lookup_field`` the model field."""
    item = await SlugItem.objects.acreate(slug="first", value=1)
    async with connected(ItemKeyConsumer) as items:
        reply = await items.request({"action": "patch", "item": "first", "data": {"value": 7}})
        assert reply["response_status"] == 200
        assert reply["data"] == {"id": item.pk, "slug": "first", "value": 7}
        reply = await items.request({"action": "delete", "slug": "first"})
        assert reply["errors"] == ['Missing lookup key "item".']


# Transactions ----------------------------------------------------------------------------


async def test_create_that_fails_after_saving_leaves_nothing():
    """A ``perform_create`` that saves and then raises leaves no row behind."""
    async with connected(CreateThenFail) as notes:
        reply = await notes.request({"action": "create", "data": {"title": "t"}, "request_id": 1})
        assert reply == error(500, ["A server error occurred."], "create")
        await assert_still_usable(notes)
    assert await Note.objects.acount() == 0


async def test_update_and_patch_that_fail_after_saving_change_nothing():
    """A ``perform_update``/``perform_patch`` that saves and then raises is rolled back."""
    note = await Note.objects.acreate(title="before")
    async with connected(UpdateThenFail) as notes:
        for name in ("update", "patch"):
            message = {"action": name, "pk": note.pk, "data": {"title": "after"}}
            assert (await notes.request(message))["response_status"] == 500
    assert (await Note.objects.aget(pk=note.pk)).title == "before"


async def test_delete_that_fails_after_deleting_keeps_the_row():
    """A ``perform_delete`` that deletes and then raises is rolled back."""
    note = await Note.objects.acreate(title="kept")
    async with connected(DeleteThenFail) as notes:
        reply = await notes.request({"action": "delete", "pk": note.pk})
        assert reply["response_status"] == 500
    assert await Note.objects.filter(pk=note.pk).aexists()


async def test_integrity_error_in_a_write_is_a_409_and_rolls_back():
    """A constraint violation part-way through ``create`` is 409 and nothing is saved."""
    async with connected(CreateTwice) as notes:
        reply = await notes.request({"action": "create", "data": {"title": "t"}, "request_id": 1})
        assert reply == error(
            409, ["The request conflicts with the current state of the data."], "create"
        )
        await assert_still_usable(notes)
    assert await Note.objects.acount() == 0
    assert await SlugItem.objects.acount() == 0


async def test_atomic_writes_setting_can_turn_the_transaction_off():
    """With ``ATOMIC_WRITES: False`` a write that fails part-way keeps what it saved."""
    with override_settings(DJANGO_CHANNELS_REST_API={"ATOMIC_WRITES": False}):
        async with connected(CreateThenFail) as notes:
            reply = await notes.request({"action": "create", "data": {"title": "t"}})
            assert reply["response_status"] == 500
    assert await Note.objects.acount() == 1


class CreateOnlyConsumer(CreateModelMixin, GenericAsyncAPIConsumer):
    """A create-only consumer with no queryset, which 1.3 allowed."""

    serializer_class = NoteSerializer


class CreateOnlyThenFail(CreateOnlyConsumer):
    def perform_create(self, serializer, **kwargs):
        serializer.save()
        raise RuntimeError("after the save")


async def test_create_needs_no_queryset():
    """``create`` works on a consumer with only a ``serializer_class``, as in 1.3."""
    async with connected(CreateOnlyConsumer) as client:
        reply = await client.request({"action": "create", "data": {"title": "t"}})
    assert reply["response_status"] == 201
    assert await Note.objects.acount() == 1


async def test_create_without_queryset_is_still_atomic():
    """Without a queryset, a failing create is rolled back on the default database."""
    async with connected(CreateOnlyThenFail) as client:
        reply = await client.request({"action": "create", "data": {"title": "t"}})
    assert reply["response_status"] == 500
    assert await Note.objects.acount() == 0


JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
MESSAGE_KEYS = st.sampled_from(["pk", "data", "request_id", "self", "queryset", "x"]) | st.text(
    max_size=6
)
ACTIONS = st.sampled_from(["create", "list", "retrieve", "update", "patch", "delete", "nope"])


async def _one_reply_then_usable(message):
    async with connected(NoteConsumer) as notes:
        await notes.send_json_to(message)
        reply = await notes.receive_json_from()
        assert list(reply) == ["errors", "data", "action", "response_status", "request_id"]
        assert reply["request_id"] == message.get("request_id")
        assert reply["response_status"] in {200, 201, 204, 400, 404, 405}
        assert await notes.receive_nothing(timeout=0.01)
        await assert_still_usable(notes)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=ACTIONS,
    message=st.dictionaries(MESSAGE_KEYS.filter(lambda key: key != "action"), JSON_VALUES),
)
def test_any_message_gets_one_reply_and_the_socket_survives(name, message):
    """Whatever keys and values a CRUD message carries, it gets one reply, never a 500."""
    async_to_sync(_one_reply_then_usable)({"action": name, **message})
