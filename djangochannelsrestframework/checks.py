"""System checks: configuration mistakes reported at start-up with the fix as the hint."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks import CheckMessage, Error, register

from djangochannelsrestframework.settings import DEFAULTS, SETTINGS_NAME


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Unknown keys in ``DJANGO_CHANNELS_REST_API`` are usually typos that would be ignored.

    A warning, not an error: 1.3 ignored extra keys, and installing the app must not stop
    a project's ``migrate`` or ``runserver`` over a key it keeps for its own use.
    """
    user_settings = getattr(settings, SETTINGS_NAME, None) or {}
    if not isinstance(user_settings, dict):
        return [
            Error(
                f"{SETTINGS_NAME} must be a dict.",
                hint=f"Set {SETTINGS_NAME} = {{...}} in your settings module.",
                id="djangochannelsrestframework.E001",
            )
        ]
    return [
        checks.Warning(
            f"Unknown key {key!r} in {SETTINGS_NAME}.",
            hint="Valid keys: " + ", ".join(sorted(DEFAULTS)) + ".",
            id="djangochannelsrestframework.W002",
        )
        for key in user_settings
        if key not in DEFAULTS
    ]


#: Settings that bound input or time: a positive number, or ``None`` (no bound) where allowed.
_BOUNDS: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "MAX_JSON_DEPTH": (int, True),
    "MAX_REQUEST_ID_SIZE": (int, True),
    "MAX_QUERY_SIZE": (int, True),
    "MAX_QUERY_VALUES": (int, True),
    "MAX_SEARCH_TERMS": (int, True),
    "MAX_ORDERING_FIELDS": (int, True),
    "CHANNEL_LAYER_TIMEOUT": ((int, float), True),
    "CHANNEL_LAYER_RETRY_INTERVAL": ((int, float), False),
    "TOKEN_RECHECK_INTERVAL": ((int, float), True),
}


def _is_positive(value: Any, kind: type | tuple[type, ...]) -> bool:
    if isinstance(value, bool) or not isinstance(value, kind):
        return False
    return isinstance(value, int | float) and value > 0


@register()
def check_bounds(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Input bounds and intervals must be positive numbers: a zero or negative bound would
    refuse every message, a string would fail on the first one."""
    user_settings = getattr(settings, SETTINGS_NAME, None) or {}
    if not isinstance(user_settings, dict):
        return []
    errors: list[CheckMessage] = []
    for name, (kind, none_allowed) in _BOUNDS.items():
        if name not in user_settings:
            continue
        value = user_settings[name]
        if value is None and none_allowed:
            continue
        if _is_positive(value, kind):
            continue
        allowed = "a positive number" + (", or None for no bound" if none_allowed else "")
        errors.append(
            Error(
                f"{SETTINGS_NAME}[{name!r}] is {value!r}.",
                hint=f"Set it to {allowed} (default {DEFAULTS[name]!r}).",
                id="djangochannelsrestframework.E003",
            )
        )
    return errors


def _redis_default_socket_timeout() -> float | None:
    """redis-py's default socket timeout (5 s since redis-py 8; ``None`` before)."""
    try:
        from redis import _defaults
    except ImportError:
        return None
    return getattr(_defaults, "DEFAULT_SOCKET_TIMEOUT", None)


def _hosts_without_socket_timeout(config: dict[str, Any]) -> list[Any]:
    hosts = config.get("CONFIG", {}).get("hosts") or [("localhost", 6379)]
    missing = []
    for host in hosts:
        if isinstance(host, dict):
            address = str(host.get("address", ""))
            if "socket_timeout" in host or "socket_timeout=" in address:
                continue
        elif isinstance(host, str) and "socket_timeout=" in host:
            continue
        missing.append(host)
    return missing


@register()
def check_redis_socket_timeout(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """channels_redis with redis-py 8 drops idle consumers after 5 s unless told not to.

    redis-py 8 gives every connection a 5-second socket timeout; the layer's blocking
    read waits longer than that when nothing happens, so an idle WebSocket is torn down
    (close code 1011). Subscribers of observers are idle most of the time.
    ``RedisPubSubChannelLayer`` is not affected: its reader polls with a short timeout of
    its own.
    """
    from djangochannelsrestframework.startup import describe_redis_host

    if _redis_default_socket_timeout() is None:
        return []
    messages: list[CheckMessage] = []
    for alias, config in (getattr(settings, "CHANNEL_LAYERS", None) or {}).items():
        backend = str(config.get("BACKEND", ""))
        if "channels_redis" not in backend or backend.startswith("channels_redis.pubsub."):
            continue
        for host in _hosts_without_socket_timeout(config):
            messages.append(
                checks.Warning(
                    # Described as the start-up check does: a URL's password masked.
                    f"Channel layer {alias!r}: Redis host {describe_redis_host(host)} uses "
                    "redis-py's default 5-second socket timeout, which disconnects idle "
                    "WebSocket consumers.",
                    hint=(
                        'Give each host as a dict with "socket_timeout": None, e.g. '
                        '"hosts": [{"address": "redis://127.0.0.1:6379/0", '
                        '"socket_timeout": None}].'
                    ),
                    id="djangochannelsrestframework.W001",
                )
            )
    return messages


#: ``CONFIG`` keys of ``RedisChannelLayer`` that ``RedisPubSubChannelLayer`` accepts and
#: ignores: pub/sub keeps no queues, so it has no capacity and nothing expires.
_PUBSUB_IGNORED_KEYS = ("capacity", "channel_capacity", "expiry", "group_expiry")


@register()
def check_redis_pubsub_config(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``RedisPubSubChannelLayer`` silently ignores the queue settings of ``RedisChannelLayer``.

    Switching a project from one layer to the other keeps its ``CONFIG``; a ``capacity``
    or ``expiry`` that the project relies on would then do nothing, without a word.
    """
    messages: list[CheckMessage] = []
    for alias, config in (getattr(settings, "CHANNEL_LAYERS", None) or {}).items():
        if not str(config.get("BACKEND", "")).startswith("channels_redis.pubsub."):
            continue
        ignored = [key for key in _PUBSUB_IGNORED_KEYS if key in (config.get("CONFIG") or {})]
        if ignored:
            messages.append(
                checks.Warning(
                    f"Channel layer {alias!r}: RedisPubSubChannelLayer ignores "
                    + ", ".join(repr(key) for key in ignored)
                    + "; pub/sub has no queues, so no capacity and no expiry.",
                    hint=(
                        "Remove these keys, or use channels_redis.core.RedisChannelLayer "
                        "if you need bounded queues (see docs/deploying.md, 'Choosing a "
                        "channel layer')."
                    ),
                    id="djangochannelsrestframework.W003",
                )
            )
    return messages


@register(deploy=True)
def check_channel_layers_reachable(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A layer that cannot be reached breaks every WebSocket, yet Django starts without it.

    Only with ``check --deploy``: it connects to the layer's server, which ``migrate`` and
    ``runserver`` should not wait for. A warning, as Django's deploy checks are: the build
    that runs it may have no Redis; ``--fail-level WARNING`` makes it fail the command.
    """
    from djangochannelsrestframework.startup import unreachable_channel_layers

    # A thread of its own: the check may be called where an event loop is running.
    with ThreadPoolExecutor(max_workers=1) as executor:
        unreachable = executor.submit(asyncio.run, unreachable_channel_layers()).result()
    return [
        checks.Warning(layer.message, hint=layer.hint, id="djangochannelsrestframework.W004")
        for layer in unreachable
    ]
