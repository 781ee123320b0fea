"""Per-action options, object permissions and the serializer context, as in DRF views."""

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path
from rest_framework import permissions as drf_permissions
from rest_framework import serializers

from djangochannelsrestframework import permissions
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import CreateModelMixin, RetrieveModelMixin
from tests.app.consumers import NoteConsumer
from tests.app.models import Note
from tests.helpers import ask, connect

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


@pytest.fixture
async def users():
    return await User.objects.acreate(username="ada"), await User.objects.acreate(username="bob")


# @action(permission_classes=...) and @action(serializer_class=...) ---------------------------


class DenyAll(permissions.BasePermission):
    async def has_permission(self, scope, consumer, action, **kwargs):
        return False


class TitleOnlySerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["title"]


class OptionsConsumer(NoteConsumer):
    permission_classes = [DenyAll]

    @action(permission_classes=[permissions.AllowAny])
    async def open_door(self, **kwargs):
        return "open", 200

    @action(permission_classes=[drf_permissions.IsAuthenticated])
    async def members_only(self, **kwargs):
        return "welcome", 200

    @action(permission_classes=[permissions.AllowAny], serializer_class=TitleOnlySerializer)
    async def list(self, **kwargs):
        return await super().list(**kwargs)

    @action(permission_classes=[permissions.AllowAny])
    def first_title(self, **kwargs):
        """Uses the consumer's serializer: options of other actions do not leak here."""
        serializer = self.get_serializer(instance=Note.objects.first(), action_kwargs=kwargs)
        return serializer.data, 200


async def test_action_permission_classes_replace_the_consumers(users):
    """An action's ``permission_classes`` apply instead of the consumer's, for it only."""
    client = await connect(OptionsConsumer.as_asgi())
    assert (await ask(client, action="open_door"))["data"] == "open"
    assert (await ask(client, action="retrieve", pk=1))["response_status"] == 403
    await client.disconnect()


async def test_action_permission_classes_may_be_drf_permissions(users):
    """DRF permission classes work per action too."""
    anonymous = await connect(OptionsConsumer.as_asgi())
    assert (await ask(anonymous, action="members_only"))["response_status"] == 403
    await anonymous.disconnect()
    member = await connect(OptionsConsumer.as_asgi(), user=users[0])
    assert (await ask(member, action="members_only"))["data"] == "welcome"
    await member.disconnect()


async def test_action_serializer_class_replaces_the_consumers():
    """``@action(serializer_class=...)`` is used for that action and no other."""
    await Note.objects.acreate(title="t", body="b")
    client = await connect(OptionsConsumer.as_asgi())
    assert (await ask(client, action="list"))["data"] == [{"title": "t"}]
    assert set((await ask(client, action="first_title"))["data"]) == {
        "id",
        "title",
        "body",
        "owner",
    }
    await client.disconnect()


# Object permissions --------------------------------------------------------------------------


class DRFIsOwner(drf_permissions.BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj.owner_id == request.user.pk


class IsOwner(permissions.BasePermission):
    async def has_permission(self, scope, consumer, action, **kwargs):
        return True

    def has_object_permission(self, scope, consumer, action, obj, **kwargs):
        return obj.owner_id == scope["user"].pk


class AsyncIsOwner(IsOwner):
    async def has_object_permission(self, scope, consumer, action, obj, **kwargs):
        return obj.owner_id == scope["user"].pk


OWNER_PERMISSIONS = [DRFIsOwner, IsOwner, AsyncIsOwner]
WRITES = {
    "retrieve": {},
    "update": {"data": {"title": "changed", "body": "changed"}},
    "patch": {"data": {"title": "changed"}},
    "delete": {},
}


def owner_consumer(permission):
    return type("Owned", (NoteConsumer,), {"permission_classes": [permission]})


@pytest.mark.parametrize("permission", OWNER_PERMISSIONS)
@pytest.mark.parametrize("action_name", list(WRITES))
async def test_a_foreign_object_is_403_and_left_unchanged(users, permission, action_name):
    """``has_object_permission`` is checked by retrieve, update, patch and delete."""
    ada, bob = users
    theirs = await Note.objects.acreate(title="bob's", body="", owner=bob)
    client = await connect(owner_consumer(permission).as_asgi(), user=ada)
    reply = await ask(client, action=action_name, pk=theirs.pk, **WRITES[action_name])
    assert (reply["response_status"], reply["data"]) == (403, None)
    assert reply["errors"] == ["You do not have permission to perform this action."]
    unchanged = await Note.objects.aget(pk=theirs.pk)
    assert (unchanged.title, unchanged.owner_id) == ("bob's", bob.pk)
    await client.disconnect()


@pytest.mark.parametrize("permission", OWNER_PERMISSIONS)
@pytest.mark.parametrize("action_name", list(WRITES))
async def test_an_own_object_is_allowed(users, permission, action_name):
    """The same permission lets the owner act on their object."""
    ada, _ = users
    mine = await Note.objects.acreate(title="ada's", body="", owner=ada)
    client = await connect(owner_consumer(permission).as_asgi(), user=ada)
    reply = await ask(client, action=action_name, pk=mine.pk, **WRITES[action_name])
    assert reply["response_status"] in (200, 204)
    await client.disconnect()


async def test_action_permission_classes_also_decide_object_access(users):
    """An action's own ``permission_classes`` supply its object check."""

    class Consumer(NoteConsumer):
        @action(permission_classes=[IsOwner])
        def peek(self, pk, **kwargs):
            return self.get_object(pk=pk, **kwargs).title, 200

    ada, bob = users
    theirs = await Note.objects.acreate(title="bob's", owner=bob)
    client = await connect(Consumer.as_asgi(), user=ada)
    assert (await ask(client, action="retrieve", pk=theirs.pk))["response_status"] == 200
    assert (await ask(client, action="peek", pk=theirs.pk))["response_status"] == 403
    await client.disconnect()


async def test_combined_permissions_check_objects_too(users):
    """``IsAuthenticated & IsOwner`` checks both parts on the object."""
    ada, bob = users
    theirs = await Note.objects.acreate(title="bob's", owner=bob)
    consumer = owner_consumer(permissions.IsAuthenticated & IsOwner)
    client = await connect(consumer.as_asgi(), user=ada)
    assert (await ask(client, action="retrieve", pk=theirs.pk))["response_status"] == 403
    await client.disconnect()


# Serializer context --------------------------------------------------------------------------


def note_detail(request, pk):
    return HttpResponse()


urlpatterns = [path("notes/<int:pk>/", note_detail, name="note-detail")]


class ContextNoteSerializer(serializers.ModelSerializer):
    """Fields that need ``context["request"]``: a hyperlink, the current user, a user check."""

    url = serializers.HyperlinkedIdentityField(view_name="note-detail")
    owner = serializers.HiddenField(default=serializers.CurrentUserDefault())
    mine = serializers.SerializerMethodField()

    class Meta:
        model = Note
        fields = ["id", "url", "title", "owner", "mine"]

    def get_mine(self, obj):
        return obj.owner_id == self.context["request"].user.pk


class ContextConsumer(CreateModelMixin, RetrieveModelMixin, GenericAsyncAPIConsumer):
    queryset = Note.objects.all()
    serializer_class = ContextNoteSerializer

    @action()
    def context_keys(self, **kwargs):
        context = self.get_serializer_context(**kwargs)
        return {
            "keys": sorted(context),
            "view_is_consumer": context["view"] is self,
            "user": context["request"].user.username,
        }, 200


@override_settings(ROOT_URLCONF=__name__)
async def test_serializers_get_a_request_with_the_connection_user(users):
    """``CurrentUserDefault``, ``request.user`` and hyperlinked fields work in serializers."""
    ada, _ = users
    client = await connect(ContextConsumer.as_asgi(), user=ada, headers=[(b"host", b"testserver")])
    created = await ask(client, action="create", data={"title": "mine"})
    assert created["response_status"] == 201
    note = await Note.objects.aget()
    assert note.owner_id == ada.pk
    assert created["data"] == {
        "id": note.pk,
        "url": f"http://testserver/notes/{note.pk}/",
        "title": "mine",
        "mine": True,
    }
    assert (await ask(client, action="retrieve", pk=note.pk))["data"]["mine"] is True
    await client.disconnect()


async def test_the_serializer_context_holds_scope_consumer_request_and_view(users):
    """``get_serializer_context`` gives ``scope``, ``consumer``, ``request`` and ``view``."""
    client = await connect(ContextConsumer.as_asgi(), user=users[0])
    assert (await ask(client, action="context_keys"))["data"] == {
        "keys": ["consumer", "request", "scope", "view"],
        "view_is_consumer": True,
        "user": "ada",
    }
    await client.disconnect()
