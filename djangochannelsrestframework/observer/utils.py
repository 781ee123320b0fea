"""Small helpers for observers."""

from __future__ import annotations

import functools
from typing import Any


class ObjPartial(functools.partial[Any]):
    """An observer bound to a consumer instance.

    Calling it calls the observer with ``consumer=<instance>``; any other attribute is
    looked up on the observer and, if callable, bound the same way, so
    ``self.comment_activity.subscribe(request_id=1)`` calls
    ``observer.subscribe(consumer=self, request_id=1)``.
    """

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.func, name)
        if callable(value):
            return ObjPartial(value, *self.args, **self.keywords)
        return value
