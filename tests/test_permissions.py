"""Permissions: who may connect and run which action, alone, combined, or borrowed from DRF."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from rest_framework import permissions as drf

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import PatchModelMixin, RetrieveModelMixin
from djangochannelsrestframework.permissions import (
    AND,
    NOT,
    OR,
    AllowAny,
    BasePermission,
    IsAuthenticated,
    OperandHolder,
    SingleOperandHolder,
    WrappedDRFPermission,
    _ensure_base,
)
from djangochannelsrestframework.testing import APICommunicator, connected
from tests.app.consumers import NoteConsumer
from tests.app.models import Note
from tests.app.serializers import NoteSerializer

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()

DENIED = ["You do not have permission to perform this action."]


class Allow(BasePermission):
    async def has_permission(self, scope, consumer, action, **kwargs):
        return True


class Deny(BasePermission):
    async def has_permission(self, scope, consumer, action, **kwargs):
        return False


class SyncAllow(BasePermission):
    def has_permission(self, scope, consumer, action, **kwargs):
        return True


class SyncDeny(BasePermission):
    def has_permission(self, scope, consumer, action, **kwargs):
        return False


class Everybody(BasePermission):
    """Allows connecting and acting: a permission that ``~`` turns into "nobody"."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        return True

    async def can_connect(self, scope, consumer, message=None):
        return True


class Nobody(BasePermission):
    """Refuses connecting and acting: a permission that ``~`` turns into "everybody"."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        return False

    async def can_connect(self, scope, consumer, message=None):
        return False


class SyncNobody(BasePermission):
    def has_permission(self, scope, consumer, action, **kwargs):
        return False

    def can_connect(self, scope, consumer, message=None):
        return False


class Exploding(BasePermission):
    """Fails the test if it is ever asked: the combination should have short-circuited."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        raise AssertionError("short-circuit expected")


class RefuseConnect(Allow):
    async def can_connect(self, scope, consumer, message=None):
        return False


class DRFAllow(drf.BasePermission):
    def has_permission(self, request, view):
        return True


class DRFDeny(drf.BasePermission):
    def has_permission(self, request, view):
        return request.method == "HEAD"


SEEN_METHODS = []


class RecordMethod(drf.BasePermission):
    """A DRF permission that records the request method it is shown."""

    def has_permission(self, request, view):
        SEEN_METHODS.append(request.method)
        return True


class PingConsumer(AsyncAPIConsumer):
    @action()
    async def ping(self, **kwargs):
        return "pong", 200


class RecordingNoteConsumer(NoteConsumer):
    permission_classes = [RecordMethod]

    @action()
    async def do_thing(self, **kwargs):
        return None, 200


class OwnerOnly(BasePermission):
    """Allows every action, but hides notes that belong to someone else."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        return True

    def has_object_permission(self, scope, consumer, action, obj, **kwargs):
        return obj.owner_id is None


class DRFOwnerOnly(drf.BasePermission):
    """A DRF permission with an object rule: notes with an owner are hidden."""

    def has_object_permission(self, request, view, obj):
        return obj.owner_id is None


class OwnerOnlyNoteConsumer(RetrieveModelMixin, GenericAsyncAPIConsumer):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    permission_classes = [OwnerOnly]


def consumer_with(*permission_classes, base=PingConsumer):
    return type("Guarded", (base,), {"permission_classes": list(permission_classes)})


async def ping_status(*permission_classes, user=None):
    """Connect with ``permission_classes`` and return the status of one ``ping``."""
    async with connected(consumer_with(*permission_classes).as_asgi(), user=user) as client:
        reply = await client.request({"action": "ping", "request_id": 1})
        if reply["response_status"] == 403:
            assert reply["errors"] == DENIED
        return reply["response_status"]


async def connects(*permission_classes, user=None):
    """Whether the handshake is accepted with ``permission_classes``."""
    communicator = APICommunicator(consumer_with(*permission_classes).as_asgi(), "/ws/")
    if user is not None:
        communicator.scope["user"] = user
    accepted, _ = await communicator.connect()
    await communicator.disconnect()
    return accepted


def test_permissions_module_exposes_the_13_names():
    """Every public and incidental name of 1.3's ``permissions`` module is importable."""
    from djangochannelsrestframework.permissions import (  # noqa: F401
        AND,
        NOT,
        OR,
        AllowAny,
        BasePermission,
        BasePermissionMetaclass,
        IsAuthenticated,
        OperandHolder,
        OperationHolderMixin,
        SingleOperandHolder,
        WrappedDRFPermission,
        _ensure_base,
        ensure_async,
        request_from_scope,
    )


# BasePermission and the built-ins --------------------------------------------------------


async def test_base_permission_denies_by_default():
    """``BasePermission.has_permission`` returns ``None``, so a bare subclass denies."""

    class Forgetful(BasePermission):
        pass

    assert await BasePermission().has_permission({}, None, "list") is None
    assert await ping_status(Forgetful) == 403


async def test_base_permission_allows_connecting_by_default():
    """``BasePermission.can_connect`` returns ``True``."""
    assert await BasePermission().can_connect({}, None) is True


async def test_allow_any_allows_everything():
    """``AllowAny`` allows connecting and every action."""
    assert await ping_status(AllowAny) == 200


async def test_is_authenticated_denies_a_scope_without_user():
    """``IsAuthenticated`` answers 403 when the scope has no ``user`` at all."""
    assert await ping_status(IsAuthenticated) == 403


async def test_is_authenticated_denies_an_anonymous_user():
    """``IsAuthenticated`` answers 403 for an ``AnonymousUser``."""
    assert await ping_status(IsAuthenticated, user=AnonymousUser()) == 403


async def test_is_authenticated_allows_a_logged_in_user():
    """``IsAuthenticated`` lets an authenticated user run actions."""
    user = await User.objects.acreate(username="alice")
    assert await ping_status(IsAuthenticated, user=user) == 200


async def test_is_authenticated_still_lets_anonymous_clients_connect():
    """``IsAuthenticated`` does not restrict the handshake, as in 1.3."""
    assert await connects(IsAuthenticated)


async def test_sync_has_permission_is_supported():
    """A permission may implement ``has_permission`` as a plain function."""
    assert await ping_status(SyncAllow) == 200
    assert await ping_status(SyncDeny) == 403


async def test_every_listed_permission_must_allow():
    """With several permission classes, any one refusing gives a 403."""
    assert await ping_status(Allow, Deny) == 403
    assert await ping_status(Allow, SyncAllow) == 200


async def test_has_permission_receives_the_message_keys():
    """``has_permission`` gets ``action`` and the message's other top-level keys."""
    seen = {}

    class Spy(BasePermission):
        async def has_permission(self, scope, consumer, action, **kwargs):
            seen.update(action=action, consumer=consumer, scope=scope, **kwargs)
            return True

    async with connected(consumer_with(Spy).as_asgi()) as client:
        await client.request({"action": "ping", "request_id": 1, "pk": 3})
    assert seen["action"] == "ping"
    assert seen["pk"] == 3
    assert isinstance(seen["consumer"], PingConsumer)
    assert seen["scope"]["path"] == "/ws/"


# Connecting ------------------------------------------------------------------------------


async def test_can_connect_false_rejects_the_handshake():
    """A permission whose ``can_connect`` returns ``False`` closes the socket before accept."""
    communicator = APICommunicator(consumer_with(RefuseConnect).as_asgi(), "/ws/")
    accepted, _ = await communicator.connect()
    assert accepted is False


async def test_can_connect_receives_the_connect_message():
    """``can_connect`` gets the scope, the consumer and the ``websocket.connect`` message."""
    seen = {}

    class Spy(Allow):
        async def can_connect(self, scope, consumer, message=None):
            seen.update(scope=scope, consumer=consumer, message=message)
            return True

    assert await connects(Spy)
    assert seen["message"] == {"type": "websocket.connect"}
    assert isinstance(seen["consumer"], PingConsumer)


async def test_sync_can_connect_is_supported():
    """``can_connect`` may be a plain function."""

    class SyncRefuse(Allow):
        def can_connect(self, scope, consumer, message=None):
            return False

    assert not await connects(SyncRefuse)


async def test_failing_can_connect_refuses_the_handshake(caplog):
    """An exception in ``can_connect`` refuses the handshake and is logged."""

    class Broken(Allow):
        async def can_connect(self, scope, consumer, message=None):
            raise RuntimeError("broken")

    assert not await connects(Broken)
    assert any(record.exc_info for record in caplog.records)


# Combinations ----------------------------------------------------------------------------


def test_operators_build_holders_that_instantiate_operators():
    """``&``, ``|`` and ``~`` on classes build holders; calling one builds the operator."""
    assert isinstance(Allow & Deny, OperandHolder)
    assert isinstance(Allow | Deny, OperandHolder)
    assert isinstance(~Allow, SingleOperandHolder)
    assert isinstance((Allow & Deny)(), AND)
    assert isinstance((Allow | Deny)(), OR)
    assert isinstance((~Allow)(), NOT)


async def test_and_needs_both():
    """``A & B`` allows only when both allow."""
    assert await ping_status(Allow & Allow) == 200
    assert await ping_status(Allow & Deny) == 403
    assert await ping_status(Deny & Allow) == 403


async def test_or_needs_either():
    """``A | B`` allows when either allows."""
    assert await ping_status(Deny | Allow) == 200
    assert await ping_status(Allow | Deny) == 200
    assert await ping_status(Deny | Deny) == 403


async def test_not_inverts():
    """``~A`` allows what ``A`` denies and denies what it allows."""
    assert await ping_status(~Nobody) == 200
    assert not await connects(~Everybody)


async def test_not_inverts_can_connect_too():
    """``~A`` also inverts ``can_connect``: negating a permission that lets everyone
    connect refuses every handshake, so negate permissions that answer both questions."""
    assert not await connects(~Deny)
    assert not await connects(~Allow)


async def test_combinations_short_circuit():
    """``Deny & X`` and ``Allow | X`` never ask ``X``."""
    assert await ping_status(Deny & Exploding) == 403
    assert await ping_status(Allow | Exploding) == 200


async def test_combinations_nest():
    """Combinations combine again: ``(A & B) | C``, ``A & (B | C)`` and ``~(A | B)``."""
    assert await ping_status((Allow & Deny) | Allow) == 200
    assert await ping_status((Allow & Deny) | Deny) == 403
    assert await ping_status(Allow & (Deny | Allow)) == 200
    assert await ping_status(~(Nobody | Nobody)) == 200
    assert not await connects(~(Everybody | Nobody))
    assert await ping_status(~(Everybody & Nobody) & ~~Everybody) == 200
    assert await ping_status((Nobody | ~Nobody) & (Allow | Deny)) == 200


async def test_sync_permissions_work_inside_combinations():
    """Sync ``has_permission`` implementations can be combined with ``&``, ``|``, ``~``."""
    assert await ping_status(SyncAllow & Allow) == 200
    assert await ping_status(SyncDeny | SyncAllow) == 200
    assert await ping_status(~SyncNobody) == 200
    assert await ping_status((SyncAllow & SyncDeny) | ~SyncNobody) == 200
    assert await ping_status(SyncAllow & SyncDeny) == 403


async def test_combinations_apply_to_connecting():
    """``can_connect`` follows the same operators."""
    assert not await connects(RefuseConnect & Allow)
    assert await connects(RefuseConnect | Allow)
    assert await connects(~RefuseConnect)
    assert not await connects(~Allow)


async def test_a_message_key_named_method_does_not_break_combinations():
    """Message keys are passed through combinations without colliding with helper names."""
    async with connected(consumer_with(Allow & SyncAllow).as_asgi()) as client:
        reply = await client.request({"action": "ping", "method": "x", "request_id": 1})
    assert reply["response_status"] == 200


# DRF permissions -------------------------------------------------------------------------


def test_drf_permissions_are_wrapped():
    """A DRF permission class becomes a ``WrappedDRFPermission`` around an instance."""
    wrapped = _ensure_base(drf.IsAuthenticated)
    assert isinstance(wrapped, WrappedDRFPermission)
    assert isinstance(wrapped.permission, drf.IsAuthenticated)
    assert isinstance(_ensure_base(Allow), Allow)


def test_drf_mapped_actions_are_the_13_ones():
    """``WrappedDRFPermission.mapped_actions`` keeps 1.3's action → method table."""
    assert WrappedDRFPermission.mapped_actions == {
        "create": "PUT",
        "update": "PATCH",
        "list": "GET",
        "retrieve": "GET",
        "connect": "HEAD",
    }


async def test_drf_permission_sees_the_13_request_methods():
    """A DRF permission sees HEAD on connect, PUT for create, PATCH for update, GET for reads,
    DELETE for delete, and the upper-cased name for any other action."""
    SEEN_METHODS.clear()
    note = await Note.objects.acreate(title="t")
    async with connected(RecordingNoteConsumer.as_asgi()) as client:
        messages = [
            {"action": "create", "data": {"title": "n"}},
            {"action": "update", "pk": note.pk, "data": {"title": "u"}},
            {"action": "patch", "pk": note.pk, "data": {"title": "p"}},
            {"action": "list"},
            {"action": "retrieve", "pk": note.pk},
            {"action": "do_thing"},
            {"action": "delete", "pk": note.pk},
        ]
        for message in messages:
            assert (await client.request(message))["response_status"] < 300
    assert SEEN_METHODS == ["HEAD", "PUT", "PATCH", "PATCH", "GET", "GET", "DO_THING", "DELETE"]


async def test_drf_is_authenticated_refuses_a_scope_without_user():
    """DRF ``IsAuthenticated`` refuses a scope with no ``user`` (the 1.3 bypass is fixed)."""
    assert not await connects(drf.IsAuthenticated)
    wrapped = WrappedDRFPermission(drf.IsAuthenticated())
    assert await wrapped.has_permission({"type": "websocket"}, None, "list") is False


async def test_drf_is_authenticated_allows_a_logged_in_user():
    """DRF ``IsAuthenticated`` lets an authenticated user connect and act."""
    user = await User.objects.acreate(username="bob")
    assert await ping_status(drf.IsAuthenticated, user=user) == 200


async def test_drf_is_admin_user_checks_is_staff():
    """DRF ``IsAdminUser`` allows staff users only."""
    staff = await User.objects.acreate(username="staff", is_staff=True)
    member = await User.objects.acreate(username="member")
    assert await ping_status(drf.IsAdminUser, user=staff) == 200
    assert not await connects(drf.IsAdminUser, user=member)


async def test_drf_operators_between_drf_permissions_work():
    """DRF's own ``|``, ``&`` and ``~`` between DRF classes are honoured."""
    assert await ping_status(DRFDeny | DRFAllow) == 200
    assert await ping_status(DRFAllow & DRFDeny) == 403
    assert not await connects(~DRFDeny)


async def test_drf_permission_first_combines_with_ours():
    """``DRFPerm & OurPerm`` and ``DRFPerm | OurPerm`` (DRF class first) both work."""
    assert await ping_status(DRFAllow & Allow) == 200
    assert await ping_status(DRFAllow & Deny) == 403
    assert await ping_status(DRFDeny | Allow) == 200
    assert await ping_status(DRFDeny | Deny) == 403


async def test_our_permission_first_combines_with_drf():
    """``OurPerm & DRFPerm`` and ``OurPerm | DRFPerm`` (ours first) both work."""
    assert await ping_status(Allow & DRFAllow) == 200
    assert await ping_status(Allow & DRFDeny) == 403
    assert await ping_status(Deny | DRFAllow) == 200
    assert await ping_status(Deny | DRFDeny) == 403


async def test_mixed_combinations_refuse_anonymous_drf_is_authenticated():
    """Combined with ours, DRF ``IsAuthenticated`` still refuses an anonymous scope."""
    assert not await connects(Allow & drf.IsAuthenticated)
    assert not await connects(drf.IsAuthenticated & Allow)
    assert await ping_status(drf.IsAuthenticated | Deny) == 403


# Object permissions ----------------------------------------------------------------------


async def test_object_permission_hides_an_instance():
    """``has_object_permission`` returning ``False`` turns a found instance into a 403."""
    owner = await User.objects.acreate(username="owner")
    public = await Note.objects.acreate(title="public")
    private = await Note.objects.acreate(title="private", owner=owner)
    async with connected(OwnerOnlyNoteConsumer.as_asgi()) as client:
        assert (await client.request({"action": "retrieve", "pk": public.pk}))[
            "response_status"
        ] == 200
        reply = await client.request({"action": "retrieve", "pk": private.pk})
        assert reply["response_status"] == 403
        assert reply["errors"] == DENIED
        reply = await client.request({"action": "retrieve", "pk": public.pk, "method": 1})
        assert reply["response_status"] == 200


@pytest.mark.parametrize(
    "permission", [OwnerOnly & Allow, Deny | OwnerOnly, DRFOwnerOnly, Allow & DRFOwnerOnly]
)
async def test_object_permissions_follow_combinations_and_drf(permission):
    """Object rules apply inside ``&``/``|`` and from a DRF ``has_object_permission``."""
    owner = await User.objects.acreate(username="owner")
    public = await Note.objects.acreate(title="public")
    private = await Note.objects.acreate(title="private", owner=owner)
    consumer = consumer_with(permission, base=OwnerOnlyNoteConsumer)
    async with connected(consumer.as_asgi()) as client:
        reply = await client.request({"action": "retrieve", "pk": public.pk})
        assert reply["response_status"] == 200
        reply = await client.request({"action": "retrieve", "pk": private.pk})
        assert reply["response_status"] == 403


# Settings --------------------------------------------------------------------------------


async def test_default_permission_classes_setting_is_read_when_used():
    """``DEFAULT_PERMISSION_CLASSES`` under ``override_settings`` applies without re-import."""
    async with connected(PingConsumer.as_asgi()) as client:
        assert (await client.request({"action": "ping"}))["response_status"] == 200
    setting = {
        "DEFAULT_PERMISSION_CLASSES": ["djangochannelsrestframework.permissions.IsAuthenticated"]
    }
    with override_settings(DJANGO_CHANNELS_REST_API=setting):
        async with connected(PingConsumer.as_asgi()) as client:
            reply = await client.request({"action": "ping"})
    assert reply["response_status"] == 403
    assert reply["errors"] == DENIED


async def test_empty_permission_classes_allow_everything():
    """``permission_classes = []`` checks nothing."""
    assert await ping_status() == 200


class PerActionConsumer(PingConsumer):
    """``ping`` is open to all; ``secret`` needs an authenticated user."""

    permission_classes = [Allow]

    @action(permission_classes=[IsAuthenticated])
    async def secret(self, **kwargs):
        return "secret", 200


async def test_action_permission_classes_replace_the_consumers_for_that_action():
    """``@action(permission_classes=[...])`` applies to that action instead of the consumer's."""
    user = await User.objects.acreate(username="carol")
    async with connected(PerActionConsumer.as_asgi()) as client:
        assert (await client.request({"action": "ping"}))["response_status"] == 200
        assert (await client.request({"action": "secret"}))["response_status"] == 403
    async with connected(PerActionConsumer.as_asgi(), user=user) as client:
        assert (await client.request({"action": "secret"}))["data"] == "secret"


class ActionAwareDRFPermission(drf.BasePermission):
    """A DRF permission written for a ViewSet: it reads ``view.action`` and ``view.kwargs``."""

    def has_permission(self, request, view):
        assert isinstance(view, ActionAwareConsumer)
        return view.action == "retrieve" and view.kwargs.get("pk") == 1


class ActionAwareConsumer(RetrieveModelMixin, GenericAsyncAPIConsumer):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    permission_classes = [ActionAwareDRFPermission]


async def test_drf_permissions_see_the_action_and_message_kwargs_on_the_view():
    """DRF permissions get a view with ``action`` and ``kwargs`` that is still the consumer."""
    await Note.objects.acreate(pk=1, title="one")
    await Note.objects.acreate(pk=2, title="two")
    client = APICommunicator(ActionAwareConsumer.as_asgi(), "/ws/")
    await client.connect()
    await client.send_json_to({"action": "retrieve", "pk": 1, "request_id": 1})
    assert (await client.receive_json_from())["response_status"] == 200
    await client.send_json_to({"action": "retrieve", "pk": 2, "request_id": 2})
    assert (await client.receive_json_from())["response_status"] == 403
    await client.disconnect()


class ModelPermissionNoteConsumer(RetrieveModelMixin, PatchModelMixin, GenericAsyncAPIConsumer):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    permission_classes = [drf.DjangoModelPermissions]


def as_user(application, user):
    """Wrap an ASGI application so that its scope carries ``user``."""

    async def with_user(scope, receive, send):
        return await application({**scope, "user": user}, receive, send)

    return with_user


async def test_django_model_permissions_work_through_the_view_queryset():
    """``DjangoModelPermissions`` finds the model via ``view.get_queryset()``: a user with
    ``change_note`` may patch, one without may not."""
    from channels.db import database_sync_to_async
    from django.contrib.auth.models import Permission

    note = await Note.objects.acreate(title="x")
    editor = await User.objects.acreate(username="editor")
    reader = await User.objects.acreate(username="reader")
    change = await Permission.objects.aget(codename="change_note")
    await database_sync_to_async(editor.user_permissions.add)(change)
    editor = await User.objects.aget(pk=editor.pk)
    for user, expected in ((editor, 200), (reader, 403)):
        client = APICommunicator(as_user(ModelPermissionNoteConsumer.as_asgi(), user), "/ws/")
        await client.connect()
        await client.send_json_to(
            {"action": "patch", "pk": note.pk, "data": {"title": "y"}, "request_id": 1}
        )
        assert (await client.receive_json_from())["response_status"] == expected
        await client.disconnect()


class FreshListConsumer(AsyncAPIConsumer):
    """``permission_classes`` as a property that builds a new list every time."""

    @property
    def permission_classes(self):
        return [Allow]

    @action()
    async def ping(self, **kwargs):
        return len(self._permissions_cache), 200


async def test_permission_instances_are_kept_for_a_bounded_number_of_lists():
    """A property returning new lists does not grow the per-connection cache without end."""
    async with connected(FreshListConsumer) as client:
        sizes = [(await client.request(action="ping"))["data"] for _ in range(40)]
    assert max(sizes) <= 16


# Refusal messages --------------------------------------------------------------------------


class OwnersOnly(BasePermission):
    """Refuses every action, with its own message and code, as a DRF permission may."""

    message = "Only owners may do this."
    code = "owners_only"

    async def has_permission(self, scope, consumer, action, **kwargs):
        return False


class DRFOwnersOnly(drf.BasePermission):
    """Lets clients connect (``HEAD``), then refuses every action with its message."""

    message = "Only owners (DRF) may do this."

    def has_permission(self, request, view):
        return request.method == "HEAD"


class Refusing(AsyncAPIConsumer):
    permission_classes = [OwnersOnly]

    @action()
    async def ping(self, **kwargs):
        return "pong", 200


class DRFRefusing(Refusing):
    permission_classes = [DRFOwnersOnly]


async def test_refusals_keep_the_13_text_by_default():
    """Without ``PERMISSION_MESSAGES`` a permission's ``message`` is not sent (1.3 text)."""
    async with connected(Refusing) as client:
        reply = await client.request(action="ping")
    assert reply["errors"] == ["You do not have permission to perform this action."]


@override_settings(DJANGO_CHANNELS_REST_API={"PERMISSION_MESSAGES": True})
@pytest.mark.parametrize(
    ("consumer", "text"),
    [(Refusing, "Only owners may do this."), (DRFRefusing, "Only owners (DRF) may do this.")],
)
async def test_permission_messages_send_the_refusing_permissions_message(consumer, text):
    """With ``PERMISSION_MESSAGES`` the refusing permission's ``message`` is the reply's
    error (ours or a wrapped DRF one), as DRF does."""
    async with connected(consumer) as client:
        reply = await client.request(action="ping")
    assert (reply["response_status"], reply["errors"]) == (403, [text])


class NoNotes(BasePermission):
    """Allows actions but refuses every note, with its own message."""

    message = "Not your note."

    def has_object_permission(self, scope, consumer, action, obj, **kwargs):
        return False


class GuardedNotes(RetrieveModelMixin, GenericAsyncAPIConsumer):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    permission_classes = [NoNotes]


@override_settings(DJANGO_CHANNELS_REST_API={"PERMISSION_MESSAGES": True})
async def test_permission_messages_apply_to_object_refusals():
    """An object refusal carries the refusing permission's ``message`` too."""
    note = await Note.objects.acreate(title="private")
    async with connected(GuardedNotes) as client:
        reply = await client.request(action="retrieve", pk=note.pk)
    assert (reply["response_status"], reply["errors"]) == (403, ["Not your note."])
