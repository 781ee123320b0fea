"""``LiveListMixin``: ``subscribe_list`` keeps a client's list exactly in sync.

The snapshot is what ``list`` answers to the same message; then one message per change to
that list: ``enter``, ``update``, ``leave`` (and ``count`` for a paginated list whose total
changed while its page did not). See the "Live lists" how-to for the protocol.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet
from rest_framework import status

from djangochannelsrestframework.db import database_sync_to_async
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.exceptions import InvalidMessage
from djangochannelsrestframework.live import checks  # noqa: F401  (registers the check)
from djangochannelsrestframework.live.announce import model_label, watch_model
from djangochannelsrestframework.live.engine import LiveList, Subscriber, get_engine
from djangochannelsrestframework.live.evaluate import LIST_ACTION
from djangochannelsrestframework.types import RequestId

if TYPE_CHECKING:
    from djangochannelsrestframework.generics import GenericAsyncAPIConsumer

    _ConsumerBase = GenericAsyncAPIConsumer
else:
    _ConsumerBase = object

logger = logging.getLogger("djangochannelsrestframework.live")

__all__ = ["LiveListMixin"]

#: The action name of every live-list message (snapshot, changes and errors).
SUBSCRIBE_ACTION = "subscribe_list"


class LiveListMixin(_ConsumerBase):
    """``subscribe_list`` / ``unsubscribe_list`` for a consumer that lists
    (``ListModelMixin`` or ``PaginatedModelListMixin``).

    Subscribers share one list (one query per batch of changes) when their consumer class,
    message and user are equal; set ``live_list_user_independent`` when ``get_queryset``
    does not depend on the user, so that all users with the same message share.
    """

    #: ``get_queryset`` and the serializer do not depend on ``scope["user"]``.
    live_list_user_independent: bool = False
    #: Other models whose changes may change this consumer's serialized rows (a related
    #: author's name in a book row): any change to them re-serializes every row of every list.
    live_list_dependencies: Sequence[type[Model]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Watched when the class is defined, so that every process that imports consumers
        # (workers too, through AUTODISCOVER_MODULES) announces changes of these models.
        queryset = getattr(cls, "queryset", None)
        if isinstance(queryset, QuerySet):
            watch_model(queryset.model)
        for model in cls.live_list_dependencies:
            watch_model(model)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._live_lists: dict[Any, tuple[LiveList, Subscriber]] = {}
        self._live_outbox: asyncio.Queue[tuple[Any, Any, int, Any]] | None = None
        self._live_sender: asyncio.Task[None] | None = None

    # Hooks ---------------------------------------------------------------------------------

    def get_live_list_key(self, **kwargs: Any) -> Hashable:
        """Which subscribers share one list: equal keys must mean equal ``list`` results.

        The default is the consumer class, the message, the URL route's arguments and (unless
        ``live_list_user_independent``) the user. You may want to override this if
        ``get_queryset`` reads something else from the scope.
        """
        message = json.dumps(kwargs, sort_keys=True, default=str)
        route = json.dumps(self.scope.get("url_route", {}), sort_keys=True, default=str)
        user: Any = None
        if not self.live_list_user_independent:
            scope_user = self.scope.get("user")
            authenticated = getattr(scope_user, "is_authenticated", False)
            user = ("user", scope_user.pk) if authenticated and scope_user else ("anonymous",)
        return (type(self), message, route, user)

    def get_live_list_models(self, **kwargs: Any) -> tuple[type[Model], list[type[Model]]]:
        """The listed model and the models it depends on (``live_list_dependencies``)."""
        model = self.get_queryset(**{**kwargs, "action": LIST_ACTION}).model
        return model, list(self.live_list_dependencies)

    # Actions -------------------------------------------------------------------------------

    @action()
    async def subscribe_list(self, request_id: RequestId = None, **kwargs: Any) -> None:
        """Reply (201) with what ``list`` answers, then one message per change to it."""
        if request_id is None:
            raise InvalidMessage('"subscribe_list" needs a "request_id".')
        # A 503 while this connection's channel layer is down, as for ``subscribe_instance``.
        self.check_channel_layer()
        if request_id in self._live_lists:
            # A new message for the same request id replaces the subscription (a new page).
            await self._end_live_list(request_id)
        self.check_subscription_limit(1)
        message = {key: value for key, value in kwargs.items() if key != "action"}
        model, dependencies = await database_sync_to_async(self.get_live_list_models)(**message)
        for watched in (model, *dependencies):
            watch_model(watched)
        labels = frozenset(model_label(m) for m in (model, *dependencies))
        subscriber = Subscriber(self, request_id)
        self._ensure_live_sender()
        live_list = await get_engine().subscribe(
            subscriber, self.get_live_list_key(**message), message, model_label(model), labels
        )
        self._live_lists[request_id] = (live_list, subscriber)

    @action()
    async def unsubscribe_list(self, request_id: RequestId = None, **kwargs: Any) -> None:
        """End the subscription ``request_id`` (204); nothing of it arrives after the reply."""
        if request_id is None:
            raise InvalidMessage('"unsubscribe_list" needs the "request_id" of the subscription.')
        await self._end_live_list(request_id)
        self.queue_live_list_reply(
            request_id, None, status.HTTP_204_NO_CONTENT, None, action="unsubscribe_list"
        )

    # Subscriptions -------------------------------------------------------------------------

    def get_subscription_count(self) -> int:
        """Observer subscriptions plus live lists (both count against ``MAX_SUBSCRIPTIONS``)."""
        return super().get_subscription_count() + len(self._live_lists)

    def forget_live_list(self, request_id: RequestId) -> None:
        """Called by the engine when it ended a list (after an error reply)."""
        self._live_lists.pop(request_id, None)

    async def _end_live_list(self, request_id: RequestId) -> None:
        entry = self._live_lists.pop(request_id, None)
        if entry is not None:
            live_list, subscriber = entry
            await get_engine().unsubscribe(live_list, subscriber)

    async def layer_interrupted(self) -> None:
        """Tell a client that holds live lists (and no group) that updates stopped, as
        subscribers of instances are told (``layers.LayerOutageMixin``)."""
        await super().layer_interrupted()
        if self._live_lists and not self.groups:
            await self._send_live_updates_notice(
                503,
                ["Live updates are interrupted; they resume by themselves. Reload after."],
                "interrupted",
            )

    async def layer_resumed(self) -> None:
        """Tell it that they are back; the engine re-evaluates every list once it has
        rejoined its groups, so live lists catch up on what changed meanwhile."""
        await super().layer_resumed()
        if self._live_lists and not self.groups:
            await self._send_live_updates_notice(200, [], "resumed")

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """End every live list of this connection, then disconnect as usual."""
        for request_id in list(self._live_lists):
            try:
                await self._end_live_list(request_id)
            except Exception:
                logger.exception("Could not end live list %r on disconnect", request_id)
        if self._live_sender is not None:
            self._live_sender.cancel()
        await super().websocket_disconnect(message)

    # Sending -------------------------------------------------------------------------------

    def queue_live_list_reply(
        self,
        request_id: RequestId,
        data: Any,
        status_code: int = status.HTTP_200_OK,
        errors: Any = None,
        action: str = SUBSCRIBE_ACTION,
    ) -> None:
        """Queue one live-list reply; they are sent in the order queued, without making the
        engine wait for a slow client."""
        self._ensure_live_sender()
        assert self._live_outbox is not None
        self._live_outbox.put_nowait((action, request_id, status_code, (data, errors)))

    def _ensure_live_sender(self) -> None:
        if self._live_outbox is None:
            self._live_outbox = asyncio.Queue()
        if self._live_sender is None or self._live_sender.done():
            self._live_sender = asyncio.ensure_future(self._send_live_replies(self._live_outbox))

    async def _send_live_replies(self, outbox: asyncio.Queue[tuple[Any, Any, int, Any]]) -> None:
        while True:
            action_name, request_id, status_code, (data, errors) = await outbox.get()
            try:
                await self.reply(
                    action=action_name,
                    data=data,
                    errors=errors,
                    status=status_code,
                    request_id=request_id,
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Could not send a live-list message")
