"""``GenericAsyncAPIConsumer``: the queryset, serializer and lookup of a DRF generic view.

Its hooks are synchronous, like DRF's, because they run inside an action's single hop
to the database thread; from async code call them with ``database_sync_to_async``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.http import Http404
from rest_framework.generics import get_object_or_404
from rest_framework.serializers import BaseSerializer

from djangochannelsrestframework import filters
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.exceptions import InvalidMessage
from djangochannelsrestframework.limits import MAX_DATABASE_INTEGER
from djangochannelsrestframework.permissions import permission_denied
from djangochannelsrestframework.protocol import RESERVED_MESSAGE_KEYS
from djangochannelsrestframework.scope_utils import call_sync
from djangochannelsrestframework.serializer_cache import prime_fields

__all__ = ["GenericAsyncAPIConsumer", "AsyncAPIConsumer", "get_object_or_404"]


def _is_lookup_value(value: Any) -> bool:
    """Whether ``value`` can name one row: a string or a whole number.

    Objects, lists and booleans cannot, and neither can ``1.5``, which the database would
    silently truncate to ``1`` and so act on another row, nor a number beyond 64 bits,
    which no database key holds.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer() and abs(value) <= MAX_DATABASE_INTEGER
    if isinstance(value, int):
        return abs(value) <= MAX_DATABASE_INTEGER
    return isinstance(value, str)


def _get_or_404(queryset: Any, lookup: dict[str, Any]) -> Any:
    try:
        return get_object_or_404(queryset, **lookup)
    except OverflowError:
        # Integer text beyond the database's integers (Django 4.2 hands it to the driver):
        # no row has that key.
        raise Http404 from None


def _can_lock_in_place(queryset: QuerySet[Any]) -> bool:
    """Whether ``SELECT ... FOR UPDATE`` may be added to ``queryset``'s own query."""
    query = queryset.query
    return not (query.distinct or query.group_by is not None or query.combinator)


def write_database(queryset: QuerySet[Any]) -> str:
    """The database alias that writes (and row locks) for ``queryset``'s model go to.

    ``queryset.db`` names the *read* database, which differs from the write database
    under a primary/replica router; a transaction or lock must be on the one written to.
    """
    # The same rule as ``QuerySet.db`` for a queryset that writes: an explicit ``using()``
    # first, else the router's write database.
    state: Any = queryset
    return str(state._db or router.db_for_write(queryset.model, **state._hints))


class GenericAsyncAPIConsumer(AsyncAPIConsumer):
    """Base class for model consumers; combine with the action mixins.

    Set ``queryset`` and ``serializer_class`` (or override ``get_queryset()`` /
    ``get_serializer_class()``); ``lookup_field`` names the model field matched against
    the message key ``lookup_url_kwarg`` (default: the same name).
    """

    queryset: QuerySet[Any] | None = None
    serializer_class: type[BaseSerializer[Any]] | None = None
    lookup_field: str = "pk"
    lookup_url_kwarg: str | None = None
    #: DRF filter backends (``SearchFilter``, ``OrderingFilter``, ``DjangoFilterBackend``).
    #: DRF's ``DEFAULT_FILTER_BACKENDS`` setting is not read: filtering is opt-in per consumer.
    filter_backends: Sequence[type] = ()
    #: Actions whose ``get_object`` locks the row (``SELECT ... FOR UPDATE``) when it runs
    #: inside a transaction, as the write actions of the mixins do: concurrent writes to one
    #: instance then apply one after another instead of overwriting each other's fields.
    select_for_update_actions: frozenset[str] = frozenset({"update", "patch", "delete"})
    reserved_message_keys = RESERVED_MESSAGE_KEYS | {
        "queryset",
        "serializer",
        "instance",
        "obj",
        "page",
        "action_kwargs",
    }

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        """The rows this consumer may act on; override to filter by ``self.scope["user"]``."""
        if self.queryset is None:
            raise ImproperlyConfigured(
                f"'{type(self).__name__}' should either include a `queryset` attribute, "
                "or override the `get_queryset()` method."
            )
        queryset = self.queryset
        if isinstance(queryset, QuerySet):
            # A fresh queryset per call, so results are never cached between messages.
            queryset = queryset.all()
        return cast("QuerySet[Any, Any]", queryset)

    def get_lookup_key(self) -> str:
        """The message key that names the instance (``lookup_url_kwarg`` or ``lookup_field``)."""
        return self.lookup_url_kwarg or self.lookup_field

    def get_object(self, **kwargs: Any) -> Model:
        """Find the instance named by the message's lookup key, or raise ``Http404``.

        Object permissions of the action's permission classes are checked on it.
        """
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        lookup_key = self.get_lookup_key()
        if lookup_key not in kwargs:
            raise InvalidMessage(f'Missing lookup key "{lookup_key}".')
        value = kwargs[lookup_key]
        if not _is_lookup_value(value):
            raise Http404
        lookup = {self.lookup_field: value}
        locking = self.should_lock_object(queryset, **kwargs)
        if locking and _can_lock_in_place(queryset):
            queryset = queryset.select_for_update(**self._lock_options(queryset))
            locking = False
        obj = _get_or_404(queryset, lookup)
        if locking:
            # FOR UPDATE cannot be combined with DISTINCT, GROUP BY (aggregate annotations)
            # or UNION: lock the row by primary key, then read it again as the queryset
            # shapes it; nobody can change it between the two reads.
            model = type(obj)
            list(model._base_manager.select_for_update().filter(pk=obj.pk).values_list("pk"))
            obj = _get_or_404(queryset, lookup)
        self.check_object_permissions(obj, **kwargs)
        return cast("Model", obj)

    def should_lock_object(self, queryset: QuerySet[Any], **kwargs: Any) -> bool:
        """Whether ``get_object`` should lock the row it reads until the transaction ends.

        True for ``select_for_update_actions`` inside a transaction, on databases that
        support row locks (not SQLite, whose writers are serialized by the database lock).
        Override to lock for custom write actions too.
        """
        if kwargs.get("action") not in self.select_for_update_actions:
            return False
        if not isinstance(queryset, QuerySet):
            return False
        connection = connections[write_database(queryset)]
        return connection.features.has_select_for_update and connection.in_atomic_block

    @staticmethod
    def _lock_options(queryset: QuerySet[Any]) -> dict[str, Any]:
        # Lock only this model's row, not rows joined by select_related (and PostgreSQL
        # refuses FOR UPDATE on the nullable side of an outer join).
        if connections[write_database(queryset)].features.has_select_for_update_of:
            return {"of": ("self",)}
        return {}

    def check_object_permissions(self, obj: Any, action: str | None = None, **kwargs: Any) -> None:
        """Raise ``PermissionDenied`` unless every permission allows ``action`` on ``obj``."""
        action = action or "retrieve"
        extra = {key: value for key, value in kwargs.items() if key != "obj"}
        for permission in self.get_permissions(action=action, **kwargs):
            check = getattr(permission, "has_object_permission", None)
            if check is not None and not call_sync(check, self.scope, self, action, obj, **extra):
                raise permission_denied(permission)

    def get_serializer(
        self, action_kwargs: dict[str, Any] | None = None, *args: Any, **kwargs: Any
    ) -> BaseSerializer[Any]:
        """Instantiate the serializer for the current action with its context."""
        action_kwargs = action_kwargs or {}
        serializer_class = self.get_serializer_class(**action_kwargs)
        kwargs["context"] = self.get_serializer_context(**action_kwargs)
        return cast("BaseSerializer[Any]", prime_fields(serializer_class(*args, **kwargs)))

    def get_serializer_class(self, **kwargs: Any) -> type[BaseSerializer[Any]]:
        """The serializer for ``kwargs["action"]``: ``@action(serializer_class=...)`` or the
        consumer's ``serializer_class``. Override to choose per action or per user."""
        serializer_class = self.get_action_option(
            kwargs.get("action", ""), "serializer_class", self.serializer_class
        )
        if serializer_class is None:
            raise ImproperlyConfigured(
                f"'{type(self).__name__}' should either include a `serializer_class` "
                "attribute, or override the `get_serializer_class()` method."
            )
        return cast("type[BaseSerializer[Any]]", serializer_class)

    def get_serializer_context(self, **kwargs: Any) -> dict[str, Any]:
        """Context for serializers: ``scope``, ``consumer``, and a ``request`` and ``view``
        so that DRF fields reading ``context["request"]`` work as in a view."""
        return {
            "scope": self.scope,
            "consumer": self,
            "request": self.get_scope_request(),
            "view": self,
        }

    def filter_queryset(self, queryset: QuerySet[Any], **kwargs: Any) -> QuerySet[Any]:
        """Narrow ``queryset`` with each of ``filter_backends``, fed by the message's ``query``.

        Used by ``list`` and ``get_object``, as in DRF. Unchanged without backends.
        """
        return filters.filter_queryset(self, queryset, self.filter_backends, **kwargs)
