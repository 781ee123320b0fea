"""``PermissionChecksMixin``: which permissions apply to an action, and the check that asks them.

Split from ``consumers.py`` (DRF keeps the same hooks on ``APIView``). The permission
instances and the Django request that DRF permissions read are built once per connection,
not for every message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from djangochannelsrestframework.permissions import ensure_base_permission, permission_denied
from djangochannelsrestframework.scope_utils import ensure_async, request_from_scope
from djangochannelsrestframework.settings import SettingDefault

__all__ = ["PermissionChecksMixin"]

if TYPE_CHECKING:
    # For the type checker the mixin is the Channels consumer it is mixed into.
    from channels.generic.websocket import AsyncJsonWebsocketConsumer as _ConsumerBase
else:
    _ConsumerBase = object

#: How many lists of permission classes a connection keeps instances of.
_PERMISSION_CACHE_SIZE = 16


class PermissionChecksMixin(_ConsumerBase):
    """``get_permissions``, ``get_scope_request`` and ``check_permissions`` of a consumer."""

    permission_classes: Any = SettingDefault("DEFAULT_PERMISSION_CLASSES")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._permissions_cache: dict[int, tuple[Any, list[Any]]] = {}
        self._scope_request: tuple[Any, Any, Any] | None = None

    def get_permissions(self, action: str, **kwargs: Any) -> list[Any]:
        """The permission instances that apply to ``action``.

        ``@action(permission_classes=[...])`` replaces the consumer's list for that action.
        DRF permission classes are wrapped so they can be used as they are. Instances are
        created once per connection and list of classes, not for every message.
        """
        permission_classes = self.get_action_option(
            action, "permission_classes", self.permission_classes
        )
        cached = self._permissions_cache.get(id(permission_classes))
        if cached is None or cached[0] is not permission_classes:
            if len(self._permissions_cache) >= _PERMISSION_CACHE_SIZE:
                # A ``permission_classes`` property may build a new list each time.
                self._permissions_cache.clear()
            cached = (permission_classes, [ensure_base_permission(p) for p in permission_classes])
            self._permissions_cache[id(permission_classes)] = cached
        return cached[1]

    def get_scope_request(self) -> Any:
        """A Django request describing this connection's handshake (built once, and again
        only if the scope's user changes, e.g. after ``login()``)."""
        user = self.scope.get("user")
        cached = self._scope_request
        if cached is None or cached[0] is not self.scope or cached[1] is not user:
            cached = (self.scope, user, request_from_scope(self.scope))
            self._scope_request = cached
        return cached[2]

    async def check_permissions(self, action: str, **kwargs: Any) -> None:
        """Raise ``PermissionDenied`` unless every permission allows ``action``."""
        for permission in self.get_permissions(action=action, **kwargs):
            allowed = await ensure_async(permission.has_permission)(
                scope=self.scope, consumer=self, action=action, **kwargs
            )
            if not allowed:
                raise permission_denied(permission)
