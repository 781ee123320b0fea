"""``GenericAsyncAPIConsumer``: queryset, lookup and serializer hooks, as on a DRF generic view."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest
from rest_framework import serializers

from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.exceptions import InvalidMessage
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import CreateModelMixin, ListModelMixin, RetrieveModelMixin
from djangochannelsrestframework.testing import connected
from tests.app.consumers import NoteConsumer
from tests.app.models import Note, SlugItem
from tests.app.serializers import NoteSerializer, SlugItemSerializer

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()
SCOPE = {"type": "websocket", "path": "/ws/", "headers": [], "query_string": b""}


class TitleOnlySerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["title"]


class OwnedNoteSerializer(serializers.ModelSerializer):
    """Fills ``owner`` from ``context["request"].user``, as DRF's docs recommend."""

    owner = serializers.HiddenField(default=serializers.CurrentUserDefault())

    class Meta:
        model = Note
        fields = ["id", "title", "owner"]


class MyNotesConsumer(CreateModelMixin, ListModelMixin, GenericAsyncAPIConsumer):
    """Each user sees only their own notes; the owner comes from the connection's user."""

    serializer_class = OwnedNoteSerializer

    def get_queryset(self, **kwargs):
        return Note.objects.filter(owner=self.scope["user"])


class TitlesConsumer(RetrieveModelMixin, GenericAsyncAPIConsumer):
    """``titles`` uses a smaller serializer, chosen with ``@action(serializer_class=...)``."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer

    @action(serializer_class=TitleOnlySerializer)
    def titles(self, **kwargs):
        queryset = self.get_queryset(**kwargs)
        serializer = self.get_serializer(instance=queryset, many=True, action_kwargs=kwargs)
        return serializer.data, 200


class VisibleNotesConsumer(RetrieveModelMixin, ListModelMixin, GenericAsyncAPIConsumer):
    """``filter_queryset`` hides notes whose title starts with an underscore."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer

    def filter_queryset(self, queryset, **kwargs):
        return queryset.exclude(title__startswith="_")


class DocsStyleConsumer(GenericAsyncAPIConsumer):
    """The custom actions of the 1.3 docs: ``get_object`` from async and from sync code."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer

    @action()
    async def async_title(self, pk=None, **kwargs):
        note = await database_sync_to_async(self.get_object)(pk=pk)
        return {"title": note.title}, 200

    @action()
    def sync_title(self, pk=None, **kwargs):
        return {"title": self.get_object(pk=pk).title}, 200


def make(consumer_class, **attributes):
    """An instance of ``consumer_class`` with a scope, outside any connection."""
    consumer = type(consumer_class.__name__, (consumer_class,), attributes)()
    consumer.scope = dict(SCOPE)
    return consumer


def test_generics_module_exposes_the_13_names():
    """``GenericAsyncAPIConsumer`` and 1.3's incidental names are importable from generics."""
    from rest_framework.generics import get_object_or_404 as drf_get_object_or_404

    from djangochannelsrestframework.consumers import AsyncAPIConsumer as base
    from djangochannelsrestframework.generics import (
        AsyncAPIConsumer,
        get_object_or_404,
    )

    assert AsyncAPIConsumer is base
    assert issubclass(GenericAsyncAPIConsumer, base)
    assert get_object_or_404 is drf_get_object_or_404


def test_class_attributes_have_the_13_defaults():
    """``queryset`` and ``serializer_class`` default to ``None``, ``lookup_field`` to ``pk``."""
    assert GenericAsyncAPIConsumer.queryset is None
    assert GenericAsyncAPIConsumer.serializer_class is None
    assert GenericAsyncAPIConsumer.lookup_field == "pk"
    assert GenericAsyncAPIConsumer.lookup_url_kwarg is None


# get_queryset ----------------------------------------------------------------------------


def test_get_queryset_is_fresh_on_every_call():
    """``get_queryset`` returns a new queryset each time, so results are never stale."""
    consumer = make(NoteConsumer)
    first = consumer.get_queryset()
    assert list(first) == []
    Note.objects.create(title="new")
    second = consumer.get_queryset()
    assert second is not first
    assert [note.title for note in second] == ["new"]


def test_get_queryset_without_queryset_names_the_fix():
    """Without ``queryset`` the error says to set it or override ``get_queryset()``."""
    consumer = make(GenericAsyncAPIConsumer)
    with pytest.raises(ImproperlyConfigured, match="override the `get_queryset\\(\\)` method"):
        consumer.get_queryset()


def test_get_queryset_returns_non_querysets_as_they_are():
    """A ``queryset`` that is not a ``QuerySet`` (e.g. a manager or list) is returned as is."""
    rows = [1, 2]
    consumer = make(GenericAsyncAPIConsumer, queryset=rows)
    assert consumer.get_queryset() is rows


async def test_get_queryset_override_can_filter_by_user():
    """Overriding ``get_queryset`` with ``self.scope["user"]`` limits what a user sees."""
    alice = await User.objects.acreate(username="alice")
    bob = await User.objects.acreate(username="bob")
    await Note.objects.acreate(title="bob's", owner=bob)
    async with connected(MyNotesConsumer, user=alice) as client:
        created = await client.request({"action": "create", "data": {"title": "alice's"}})
        assert created["response_status"] == 201
        listing = await client.request({"action": "list"})
    assert [note["title"] for note in listing["data"]] == ["alice's"]
    assert (await Note.objects.aget(title="alice's")).owner_id == alice.pk


# get_object ------------------------------------------------------------------------------


def test_get_object_finds_the_instance_by_pk():
    """``get_object(pk=...)`` returns the matching instance."""
    note = Note.objects.create(title="t")
    assert make(NoteConsumer).get_object(pk=note.pk) == note


def test_get_object_accepts_a_string_pk():
    """A pk sent as a numeric string is coerced by the lookup, as in a URL."""
    note = Note.objects.create(title="t")
    assert make(NoteConsumer).get_object(pk=str(note.pk)) == note


def test_get_object_raises_http404_when_absent():
    """An unknown lookup value raises ``Http404``."""
    with pytest.raises(Http404):
        make(NoteConsumer).get_object(pk=12345)


@pytest.mark.parametrize("value", ["abc", None, [1], {"pk": 1}, True, False])
def test_get_object_raises_http404_for_values_that_cannot_name_a_row(value):
    """Values of the wrong type are a 404, never a server error."""
    Note.objects.create(title="t")
    with pytest.raises(Http404):
        make(NoteConsumer).get_object(pk=value)


def test_get_object_without_the_lookup_key_is_an_invalid_message():
    """A missing lookup key raises a 400 ``InvalidMessage`` naming the key, not an assert."""
    with pytest.raises(InvalidMessage) as raised:
        make(NoteConsumer).get_object(action="retrieve")
    assert raised.value.status_code == 400
    assert raised.value.detail == 'Missing lookup key "pk".'


def test_lookup_field_selects_the_model_field_and_message_key():
    """With ``lookup_field = "slug"`` the instance is found by the message's ``slug``."""
    item = SlugItem.objects.create(slug="a")
    consumer = make(
        GenericAsyncAPIConsumer,
        queryset=SlugItem.objects.all(),
        serializer_class=SlugItemSerializer,
        lookup_field="slug",
    )
    assert consumer.get_lookup_key() == "slug"
    assert consumer.get_object(slug="a") == item


def test_lookup_url_kwarg_renames_only_the_message_key():
    """``lookup_url_kwarg`` is read from the message; ``lookup_field`` is the model field."""
    item = SlugItem.objects.create(slug="a")
    consumer = make(
        GenericAsyncAPIConsumer,
        queryset=SlugItem.objects.all(),
        lookup_field="slug",
        lookup_url_kwarg="item",
    )
    assert consumer.get_lookup_key() == "item"
    assert consumer.get_object(item="a") == item
    with pytest.raises(InvalidMessage):
        consumer.get_object(slug="a")


def test_get_object_goes_through_filter_queryset():
    """``get_object`` only finds instances that ``filter_queryset`` keeps."""
    hidden = Note.objects.create(title="_hidden")
    visible = Note.objects.create(title="visible")
    consumer = make(VisibleNotesConsumer)
    assert consumer.get_object(pk=visible.pk) == visible
    with pytest.raises(Http404):
        consumer.get_object(pk=hidden.pk)


async def test_filter_queryset_applies_to_list_and_retrieve():
    """An overridden ``filter_queryset`` narrows ``list`` and makes ``retrieve`` 404."""
    hidden = await Note.objects.acreate(title="_hidden")
    await Note.objects.acreate(title="visible")
    async with connected(VisibleNotesConsumer) as client:
        listing = await client.request({"action": "list"})
        assert [note["title"] for note in listing["data"]] == ["visible"]
        reply = await client.request({"action": "retrieve", "pk": hidden.pk})
        assert reply["response_status"] == 404


async def test_get_object_works_from_async_and_sync_actions():
    """As in the 1.3 docs: ``database_sync_to_async(self.get_object)`` or a direct call."""
    note = await Note.objects.acreate(title="docs")
    async with connected(DocsStyleConsumer) as client:
        for name in ("async_title", "sync_title"):
            reply = await client.request({"action": name, "pk": note.pk})
            assert reply["data"] == {"title": "docs"}
        reply = await client.request({"action": "sync_title", "pk": note.pk + 1})
        assert reply["response_status"] == 404


def test_generic_hooks_names_are_reserved_message_keys():
    """Keys that would collide with the hooks' own parameters are reserved."""
    reserved = GenericAsyncAPIConsumer.reserved_message_keys
    assert {"self", "scope", "consumer", "queryset", "serializer", "instance"} <= reserved


async def test_reserved_generic_key_is_a_400():
    """Sending ``queryset`` as a message key is refused with a 400."""
    async with connected(NoteConsumer) as client:
        reply = await client.request({"action": "list", "queryset": 1, "request_id": 1})
    assert reply["response_status"] == 400
    assert reply["errors"] == ['Message key "queryset" is reserved.']


# Serializers -----------------------------------------------------------------------------


def test_get_serializer_class_without_serializer_class_names_the_fix():
    """Without ``serializer_class`` the error says to set it or override the getter."""
    consumer = make(GenericAsyncAPIConsumer, queryset=Note.objects.all())
    with pytest.raises(ImproperlyConfigured, match="`serializer_class`"):
        consumer.get_serializer_class(action="list")


def test_get_serializer_passes_the_context():
    """``get_serializer`` instantiates the class with ``get_serializer_context()``."""
    consumer = make(NoteConsumer)
    serializer = consumer.get_serializer(action_kwargs={"action": "create"}, data={"title": "t"})
    assert isinstance(serializer, NoteSerializer)
    assert serializer.context["consumer"] is consumer
    assert serializer.context["scope"] is consumer.scope


def test_get_serializer_works_without_action_kwargs():
    """``action_kwargs`` may be omitted (1.3 raised ``TypeError``)."""
    note = Note.objects.create(title="t")
    serializer = make(NoteConsumer).get_serializer(instance=note)
    assert serializer.data["title"] == "t"


def test_serializer_context_has_scope_consumer_request_and_view():
    """The context holds ``scope`` and ``consumer`` as in 1.3, plus a ``request`` and ``view``."""
    consumer = make(NoteConsumer)
    context = consumer.get_serializer_context(action="list")
    assert context["scope"] is consumer.scope
    assert context["consumer"] is consumer
    assert context["view"] is consumer
    assert isinstance(context["request"], HttpRequest)
    assert context["request"].path == "/ws/"


def test_action_serializer_class_option_overrides_per_action():
    """``@action(serializer_class=...)`` is used by ``get_serializer_class`` for that action."""
    consumer = make(TitlesConsumer)
    assert consumer.get_serializer_class(action="titles") is TitleOnlySerializer
    assert consumer.get_serializer_class(action="retrieve") is NoteSerializer


async def test_action_serializer_class_option_shapes_the_reply():
    """A per-action serializer changes that action's reply only."""
    note = await Note.objects.acreate(title="t", body="b")
    async with connected(TitlesConsumer) as client:
        assert (await client.request({"action": "titles"}))["data"] == [{"title": "t"}]
        retrieved = await client.request({"action": "retrieve", "pk": note.pk})
    assert retrieved["data"] == {"id": note.pk, "title": "t", "body": "b", "owner": None}


def test_get_object_is_one_query(django_assert_num_queries):
    """Finding an instance costs exactly one query."""
    note = Note.objects.create(title="t")
    consumer = make(NoteConsumer)
    with django_assert_num_queries(1):
        consumer.get_object(pk=note.pk)


def test_serializing_a_list_is_one_query(django_assert_num_queries):
    """Serializing the whole queryset for ``list`` costs one query, however many rows."""
    Note.objects.bulk_create(Note(title=str(n)) for n in range(5))
    consumer = make(NoteConsumer)
    with django_assert_num_queries(1):
        queryset = consumer.filter_queryset(consumer.get_queryset())
        data = consumer.get_serializer(instance=queryset, many=True).data
    assert len(data) == 5


@pytest.mark.django_db
def test_a_fractional_lookup_value_names_no_row():
    """``pk: 1.5`` is not found (the database would truncate it to 1); ``1.0`` is 1."""
    from django.http import Http404

    from tests.app.consumers import NoteConsumer
    from tests.app.models import Note

    note = Note.objects.create(pk=1, title="one")
    consumer = NoteConsumer()
    consumer.scope = {"type": "websocket"}
    with pytest.raises(Http404):
        consumer.get_object(pk=1.5, action="retrieve")
    assert consumer.get_object(pk=1.0, action="retrieve") == note
