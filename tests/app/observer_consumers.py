"""Consumers for the observer tests."""

from django.contrib.auth import get_user_model

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import PatchModelMixin
from djangochannelsrestframework.observer import model_observer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from djangochannelsrestframework.permissions import BasePermission
from tests.app.models import Comment, Measurement, Note, Post
from tests.app.serializers import NoteSerializer, UserSerializer

User = get_user_model()


class UserChangesConsumer(AsyncAPIConsumer):
    """Every change of every user, with the default ``{"pk": ...}`` body."""

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        await self.user_change_observer_wrapper.subscribe()

    @model_observer(User)
    async def user_change_observer_wrapper(
        self, message, action, message_type, observer=None, **kwargs
    ):
        await self.send_json(dict(body=message, action=action, type=message_type))


class UserDataConsumer(AsyncAPIConsumer):
    """Every change of every user, serialized with ``UserSerializer``."""

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        await self.user_data.subscribe()

    @model_observer(User, serializer_class=UserSerializer)
    async def user_data(self, message, action, **kwargs):
        await self.reply(data=message, action=action)


class UsernameGroupsConsumer(AsyncAPIConsumer):
    """Users grouped by username; clients subscribe to the usernames they want."""

    @model_observer(User)
    async def users_by_name(self, message, action, subscribing_request_ids=(), **kwargs):
        await self.send_json(
            {"action": action, "body": message, "request_ids": sorted(subscribing_request_ids)}
        )

    @users_by_name.groups_for_signal
    def users_by_name(self, instance=None, **kwargs):
        yield f"username-{instance.username}"

    @users_by_name.groups_for_consumer
    def users_by_name(self, username=None, **kwargs):
        yield f"username-{username}"

    @users_by_name.serializer
    def users_by_name(self, instance, action, **kwargs):
        return {"username": instance.username, "kind": action.value}

    @action()
    async def watch(self, username, request_id=None, **kwargs):
        await self.users_by_name.subscribe(username=username, request_id=request_id)
        return None, 201

    @action()
    async def unwatch(self, username, request_id=None, **kwargs):
        await self.users_by_name.unsubscribe(username=username, request_id=request_id)
        return None, 204


class CommentsOfUserConsumer(AsyncAPIConsumer):
    """Comments of one user, grouped with the single ``groups`` hook."""

    @model_observer(Comment)
    async def comment_activity(self, message, action, subscribing_request_ids=(), **kwargs):
        for request_id in subscribing_request_ids:
            await self.reply(action=action, data=message, request_id=request_id)

    @comment_activity.groups
    def comment_activity(self, instance=None, user_pk=None, **kwargs):
        yield f"user-{instance.user_id if instance is not None else user_pk}"

    @comment_activity.serializer
    def comment_activity(self, instance, action, **kwargs):
        return {"pk": instance.pk, "text": instance.text, "user": instance.user_id}

    @action()
    async def subscribe_comments(self, user_pk, request_id=None, **kwargs):
        await self.comment_activity.subscribe(user_pk=user_pk, request_id=request_id)
        return None, 201


class MeasurementConsumer(AsyncAPIConsumer):
    """UUID primary keys, decimals and dates in bodies (they must cross Redis)."""

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        await self.measurements.subscribe()

    @model_observer(Measurement)
    async def measurements(self, message, action, **kwargs):
        await self.reply(data=message, action=action)

    @measurements.serializer
    def measurements(self, instance, action, **kwargs):
        return {
            "pk": instance.pk,
            "value": instance.value,
            "taken_on": instance.taken_on,
            "taken_at": instance.taken_at,
        }


class NoteChangesConsumer(AsyncAPIConsumer):
    """Every change of notes (proxy-model saves included)."""

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        await self.note_changes.subscribe()

    @model_observer(Note)
    async def note_changes(self, message, action, **kwargs):
        await self.reply(data=message, action=action)


class PostChangesConsumer(AsyncAPIConsumer):
    """Every change of posts, bulk writes through ``ObservableManager`` included."""

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        await self.post_changes.subscribe()

    @model_observer(Post)
    async def post_changes(self, message, action, **kwargs):
        await self.reply(data=message, action=action)


class UserInstanceConsumer(ObserverModelInstanceMixin, PatchModelMixin, GenericAsyncAPIConsumer):
    """Subscriptions to single users (the 1.3 instance-observer example)."""

    queryset = User.objects.all()
    serializer_class = UserSerializer


class NoteInstanceConsumer(ObserverModelInstanceMixin, PatchModelMixin, GenericAsyncAPIConsumer):
    """Subscriptions to single notes; a subclass shows the per-subscriber path."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer


class PerSubscriberNoteConsumer(NoteInstanceConsumer):
    """Reads the instance once per subscribed connection, as 1.3 did."""

    observer_serialize_once = False


class DenyUpdates(BasePermission):
    """Allows everything except receiving ``update`` events."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        return action != "update"


class NoUpdatesNoteConsumer(NoteInstanceConsumer):
    queryset = Note.objects.all()
    permission_classes = [DenyUpdates]


class OwnerOnly(BasePermission):
    """Only a note's owner may see it."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        return True

    def has_object_permission(self, scope, consumer, action, obj, **kwargs):
        user = scope.get("user")
        return user is not None and obj.owner_id == user.pk


class OwnerNoteConsumer(NoteInstanceConsumer):
    queryset = Note.objects.all()
    permission_classes = [OwnerOnly]
