"""Throttling: DRF's throttle classes (``AnonRateThrottle``, ``ScopedRateThrottle`` …)
applied to consumer actions.

A DRF throttle is given a request and a view. Here the request is built from the
handshake (user, client address) and the view is the consumer seen through one action
(``scope_utils.ConsumerAsView``), so that ``ScopedRateThrottle`` finds the action's
``throttle_scope``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rest_framework.exceptions import Throttled

from djangochannelsrestframework.db import database_sync_to_async
from djangochannelsrestframework.scope_utils import ConsumerAsView
from djangochannelsrestframework.settings import SettingDefault

__all__ = ["ThrottlingMixin", "throttle_wait"]

if TYPE_CHECKING:
    # For the type checker the mixin is the Channels consumer it is mixed into.
    from channels.generic.websocket import AsyncJsonWebsocketConsumer as _ConsumerBase
else:
    _ConsumerBase = object


def throttle_wait(throttles: Iterable[Any], request: Any, view: Any) -> None:
    """Ask every throttle (each records the request, as in DRF); raise ``Throttled`` with
    the longest wait if any refuses. Sync: throttles read and write Django's cache."""
    durations = [
        throttle.wait() for throttle in throttles if not throttle.allow_request(request, view)
    ]
    if durations:
        waits = [duration for duration in durations if duration is not None]
        raise Throttled(wait=max(waits, default=None))


class ThrottlingMixin(_ConsumerBase):
    """A consumer's throttles, checked after the permissions of every action (part of every
    ``AsyncAPIConsumer``)."""

    #: DRF throttle classes checked after the permissions of every action (default: the
    #: ``DEFAULT_THROTTLE_CLASSES`` setting); ``@action(throttle_classes=...)`` overrides.
    throttle_classes: Any = SettingDefault("DEFAULT_THROTTLE_CLASSES")
    #: The rate name ``ScopedRateThrottle`` uses; ``@action(throttle_scope=...)`` overrides.
    throttle_scope: str | None = None

    def get_throttles(self, action: str) -> list[Any]:
        """Instantiate the throttles for ``action``: ``@action(throttle_classes=[...])`` or
        the consumer's ``throttle_classes``."""
        throttle_classes = self.get_action_option(action, "throttle_classes", self.throttle_classes)
        return [throttle() for throttle in throttle_classes]

    async def check_throttles(self, action: str, **kwargs: Any) -> None:
        """Raise DRF's ``Throttled`` (429, with the wait) if a throttle refuses ``action``.

        Throttles keep their history in Django's cache, whose API is sync (and may be
        Redis or a database), so they run in a worker thread; without throttles this costs
        nothing.
        """
        throttles = self.get_throttles(action)
        if not throttles:
            return
        # The connection's request (built once): throttles read its user and address only.
        request = self.get_scope_request()
        view = ConsumerAsView(self, action, request, kwargs)
        await database_sync_to_async(throttle_wait)(throttles, request, view)
