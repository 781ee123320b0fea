"""Helpers shared by the test modules."""

from __future__ import annotations

from typing import Any

from djangochannelsrestframework.protocol import Envelope, envelope


def error(status: int, errors: list[Any], action: Any, request_id: Any = 1) -> Envelope:
    """The error reply to ``action``: ``errors`` with ``status`` and no data."""
    return envelope(action, errors=errors, status=status, request_id=request_id)
