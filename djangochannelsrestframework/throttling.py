"""Throttling: DRF's throttle classes (``AnonRateThrottle``, ``ScopedRateThrottle`` …)
applied to consumer actions.

A DRF throttle is given a request and a view. Here the request is built from the
handshake (user, client address) and the view is the consumer seen through one action,
so that ``ScopedRateThrottle`` finds the action's ``throttle_scope``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import Throttled

__all__ = ["ActionView", "throttle_wait"]


class ActionView:
    """The consumer as a DRF view for one action: ``action`` and ``throttle_scope`` are the
    action's (``@action(throttle_scope=...)``, else the consumer's); the rest is the consumer's.
    """

    def __init__(self, consumer: Any, action: str) -> None:
        self._consumer = consumer
        self.action = action
        self.throttle_scope = consumer.get_action_option(
            action, "throttle_scope", getattr(consumer, "throttle_scope", None)
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


def throttle_wait(throttles: Iterable[Any], request: Any, view: Any) -> None:
    """Ask every throttle (each records the request, as in DRF); raise ``Throttled`` with
    the longest wait if any refuses. Sync: throttles read and write Django's cache."""
    durations = [
        throttle.wait() for throttle in throttles if not throttle.allow_request(request, view)
    ]
    if durations:
        waits = [duration for duration in durations if duration is not None]
        raise Throttled(wait=max(waits, default=None))
