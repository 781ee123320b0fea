"""Settings for the library, read from the ``DJANGO_CHANNELS_REST_API`` Django setting.

Usage mirrors Django REST framework::

    from djangochannelsrestframework.settings import api_settings
    api_settings.DEFAULT_PERMISSION_CLASSES

Values are resolved lazily and cached; dotted paths listed in ``IMPORT_STRINGS`` are
imported. The cache is cleared whenever the Django setting changes (``override_settings``
in tests), and, unlike 1.3, consumers read the defaults when they are used rather than when
their module is imported, so a reload is seen everywhere.
"""

from __future__ import annotations

import warnings
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from rest_framework.settings import perform_import

SETTINGS_NAME = "DJANGO_CHANNELS_REST_API"

DEFAULTS: dict[str, Any] = {
    "DEFAULT_PERMISSION_CLASSES": ("djangochannelsrestframework.permissions.AllowAny",),
    "DEFAULT_PAGINATION_CLASS": None,
    "PAGE_SIZE": None,
    # Kept for compatibility with 1.3, where it is declared but never read.
    "DEFAULT_PAGE_SIZE": 25,
    # Largest inbound text or binary frame (in bytes) that is parsed; larger ones get a 413.
    "MAX_MESSAGE_SIZE": 1024 * 1024,
    # Wrap sync write actions of the CRUD mixins in a transaction even without ATOMIC_REQUESTS.
    "ATOMIC_WRITES": True,
    # Modules imported from every installed app when Django starts, so that the observers
    # they declare are connected in every process (workers and commands included).
    "AUTODISCOVER_MODULES": ("consumers",),
    # Seconds between two closings of stale database connections by the message loop (the
    # sync actions' own thread hop closes them before and after every action anyway).
    "CONNECTION_CLEANUP_INTERVAL": 1.0,
    # Build a plain ModelSerializer's fields from model metadata once per class, not once
    # per message (see serializer_cache.py).
    "CACHE_SERIALIZER_FIELDS": True,
    # Seconds a reply or event may wait for a client that does not read before the
    # connection is closed with code 4429 (None: wait for ever, relying on the channel
    # layer's capacity to drop what does not fit).
    "SEND_TIMEOUT": 30.0,
    # DRF authentication classes run by ``auth.TokenAuthMiddleware`` during the handshake.
    "AUTHENTICATION_CLASSES": ("rest_framework.authentication.TokenAuthentication",),
    # DRF throttle classes checked before every action (``AsyncAPIConsumer.throttle_classes``).
    "DEFAULT_THROTTLE_CLASSES": (),
    # Detached actions one connection may run at once; one more is refused with a 429.
    "MAX_DETACHED_TASKS": 64,
    # Observer subscriptions (group and request id pairs) one connection may hold; one more
    # is refused with a 429 (None: no limit).
    "MAX_SUBSCRIPTIONS": 1000,
    # Seconds past CONN_MAX_AGE that the database thread may keep its connection open for
    # calls already queued behind the current one, instead of reconnecting between them
    # (see db.py); 0 closes and reopens between calls as Channels does.
    "BUSY_DB_CONNECTION_REUSE": 1.0,
    # Refusals carry the refusing permission's ``message`` and ``code``, as DRF does (off:
    # DRF's default text for every refusal, as 1.3 sent).
    "PERMISSION_MESSAGES": False,
    # Channel-layer group joins and leaves one process runs at once (see membership.py):
    # thousands at once exhaust channels_redis' connection pool during connection storms.
    "GROUP_MEMBERSHIP_CONCURRENCY": 32,
    # Attempts for one group join or leave, with exponential back-off between them.
    "GROUP_MEMBERSHIP_ATTEMPTS": 6,
    # Seconds over which retried and failed group operations are summed up in one log line.
    "GROUP_MEMBERSHIP_LOG_INTERVAL": 10.0,
    # Database threads for read actions (@action(read_only=True): list, retrieve); 1 runs
    # them on the one database thread with everything else (see read_threads.py).
    "DB_READ_THREADS": 1,
    # Input bounds (limits.py); over one is a 400 reply. None turns a bound off.
    # Levels of nested lists and objects in a message.
    "MAX_JSON_DEPTH": 32,
    # Bytes of a request_id as JSON (it is echoed, and kept per subscription).
    "MAX_REQUEST_ID_SIZE": 256,
    # Bytes of a message's ``query`` object as JSON, and values in it (list items count).
    "MAX_QUERY_SIZE": 8192,
    "MAX_QUERY_VALUES": 64,
    # Terms of a SearchFilter search, and fields of an OrderingFilter ordering.
    "MAX_SEARCH_TERMS": 16,
    "MAX_ORDERING_FIELDS": 8,
    # Channel-layer outages (layers.py): seconds one channel-layer operation may take, and
    # seconds between attempts to reach a layer known to be down.
    "CHANNEL_LAYER_TIMEOUT": 5.0,
    "CHANNEL_LAYER_RETRY_INTERVAL": 1.0,
    # Seconds between re-checks of a token-authenticated socket's credentials (auth.py);
    # None checks them at the handshake only.
    "TOKEN_RECHECK_INTERVAL": None,
    # DRF permission classes of the schema view and the explorer page (schema/views.py):
    # admin users, and anyone while DEBUG is on.
    "SCHEMA_PERMISSION_CLASSES": ("djangochannelsrestframework.schema.views.IsAdminUserOrDebug",),
    # Seconds a live-list engine waits after the first announced change before it re-runs
    # the affected lists, so that changes committed close together cost one query per list.
    "LIVE_LIST_BATCH_WINDOW": 0.01,
    # Most rows an unpaginated live list may hold; a larger one is refused with a 400 that
    # suggests a page size (None: no limit).
    "MAX_LIVE_LIST_ROWS": 10_000,
}

#: Settings kept for 1.3 that do nothing: reading one warns (``PendingDeprecationWarning``,
#: the first step of the deprecation ladder in ``docs/release-notes.md``) with the fix.
DEPRECATED_SETTINGS: dict[str, str] = {
    "DEFAULT_PAGE_SIZE": "DEFAULT_PAGE_SIZE has no effect (as in 1.3); use PAGE_SIZE.",
}

IMPORT_STRINGS: tuple[str, ...] = (
    "DEFAULT_PERMISSION_CLASSES",
    "DEFAULT_PAGINATION_CLASS",
    "AUTHENTICATION_CLASSES",
    "DEFAULT_THROTTLE_CLASSES",
    "SCHEMA_PERMISSION_CLASSES",
)


class APISettings:
    """Lazy, cached access to the library's settings with defaults and dotted-path imports.

    Unknown names raise ``AttributeError`` so that typos fail loudly instead of silently
    reading ``None``.
    """

    def __init__(
        self,
        user_settings: dict[str, Any] | None = None,
        defaults: dict[str, Any] | None = None,
        import_strings: tuple[str, ...] | None = None,
    ) -> None:
        if user_settings is not None:
            self._user_settings = user_settings
        self.defaults = defaults or DEFAULTS
        self.import_strings = import_strings or IMPORT_STRINGS
        self._cached_attrs: set[str] = set()

    @property
    def user_settings(self) -> dict[str, Any]:
        if not hasattr(self, "_user_settings"):
            self._user_settings = getattr(settings, SETTINGS_NAME, {}) or {}
        return self._user_settings

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_") or attr not in self.defaults:
            raise AttributeError(f"Invalid API setting: '{attr}'")
        if attr in DEPRECATED_SETTINGS:
            warnings.warn(DEPRECATED_SETTINGS[attr], PendingDeprecationWarning, stacklevel=2)
        try:
            value = self.user_settings[attr]
        except KeyError:
            value = self.defaults[attr]
        if attr in self.import_strings:
            value = perform_import(value, attr)
        self._cached_attrs.add(attr)
        setattr(self, attr, value)
        return value

    def reload(self) -> None:
        """Forget cached values so the next access reads the Django setting again."""
        for attr in self._cached_attrs:
            delattr(self, attr)
        self._cached_attrs.clear()
        if hasattr(self, "_user_settings"):
            delattr(self, "_user_settings")


api_settings = APISettings(None, DEFAULTS, IMPORT_STRINGS)


def reload_api_settings(*args: Any, **kwargs: Any) -> None:
    """Receiver for ``setting_changed``: reload when our setting is the one that changed."""
    if kwargs.get("setting") == SETTINGS_NAME:
        api_settings.reload()


setting_changed.connect(reload_api_settings)


class SettingDefault:
    """Class attribute that reads its value from ``api_settings`` each time it is accessed.

    Used for attributes such as ``permission_classes`` whose 1.3 default was frozen at
    import time; assigning a value in a subclass body replaces the descriptor as usual.
    """

    def __init__(self, setting_name: str) -> None:
        self.setting_name = setting_name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return getattr(api_settings, self.setting_name)
