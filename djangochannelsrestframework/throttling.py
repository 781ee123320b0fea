"""Throttling: DRF's throttle classes (``AnonRateThrottle``, ``ScopedRateThrottle`` …)
applied to consumer actions.

A DRF throttle is given a request and a view. Here the request is built from the
handshake (user, client address) and the view is the consumer seen through one action
(``scope_utils.ConsumerAsView``), so that ``ScopedRateThrottle`` finds the action's
``throttle_scope``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import Throttled

__all__ = ["throttle_wait"]


def throttle_wait(throttles: Iterable[Any], request: Any, view: Any) -> None:
    """Ask every throttle (each records the request, as in DRF); raise ``Throttled`` with
    the longest wait if any refuses. Sync: throttles read and write Django's cache."""
    durations = [
        throttle.wait() for throttle in throttles if not throttle.allow_request(request, view)
    ]
    if durations:
        waits = [duration for duration in durations if duration is not None]
        raise Throttled(wait=max(waits, default=None))
