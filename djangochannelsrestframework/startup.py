"""Start-up checks: can each configured channel layer be reached?

A channel layer that cannot be reached (Redis not started, a wrong address) does not stop
Django or the ASGI server from starting: pages load and actions are answered, but no live
update ever arrives (subscriptions are refused, observer events dropped), which looks like
an outage that never ends (see ``layers``).
``unreachable_channel_layers()`` tries each configured layer once, so that the system check
(``manage.py check --deploy``) and the ASGI start-up (``djangochannelsrestframework.
lifespan``) can say so once, naming the layer, its address and what to check.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from channels.layers import channel_layers
from django.conf import settings

#: How long a layer may take to accept one message before it counts as unreachable.
PROBE_TIMEOUT = 5.0

# Layers that live inside the process and have nothing to reach.
_IN_PROCESS_BACKENDS = frozenset({"channels.layers.InMemoryChannelLayer"})


@dataclass(frozen=True)
class UnreachableLayer:
    """A channel layer that did not accept a message: which, where, and what went wrong."""

    alias: str
    backend: str
    address: str
    error: str

    @property
    def message(self) -> str:
        return (
            f"Channel layer {self.alias!r} ({self.backend}) cannot be reached at "
            f"{self.address}: {self.error.rstrip('.')}."
        )

    @property
    def hint(self) -> str:
        return (
            f"Check that the server at {self.address} is running and reachable from this "
            f"host, and the settings in CHANNEL_LAYERS[{self.alias!r}]. Until it is, live "
            "updates do not reach clients (subscriptions are refused, observer events "
            "dropped). For a single process, channels.layers.InMemoryChannelLayer needs no "
            "server."
        )


def describe_address(config: dict[str, Any]) -> str:
    """Where a layer's configuration points, without passwords.

    channels_redis takes ``hosts`` as URLs, ``(host, port)`` pairs or dicts with an
    ``address`` (or sentinel settings); other layers are named by their ``CONFIG`` keys.
    """
    layer_config = config.get("CONFIG") or {}
    if "channels_redis" in str(config.get("BACKEND", "")):
        hosts = layer_config.get("hosts") or ["redis://localhost:6379"]
        return ", ".join(describe_redis_host(host) for host in hosts)
    if not layer_config:
        return "its default address"
    return "CONFIG " + ", ".join(sorted(map(str, layer_config)))


def describe_redis_host(host: Any) -> str:
    """One channels_redis ``hosts`` entry as ``host:port`` or a URL, its password masked."""
    if isinstance(host, dict):
        if "address" in host:
            return describe_redis_host(host["address"])
        if "sentinels" in host:
            sentinels = ", ".join(f"{h}:{p}" for h, p in host["sentinels"])
            return f"sentinels {sentinels} (master {host.get('master_name')!r})"
        return f"{host.get('host', 'localhost')}:{host.get('port', 6379)}"
    if isinstance(host, tuple | list) and len(host) == 2:
        return f"{host[0]}:{host[1]}"
    return _without_password(str(host))


def _without_password(url: str) -> str:
    """``redis://user:secret@host/0`` as ``redis://user:***@host/0``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))


async def probe(alias: str, timeout: float = PROBE_TIMEOUT) -> UnreachableLayer | None:
    """Send one message through a fresh instance of layer ``alias``; ``None`` if it went.

    The message goes to a new channel that nobody reads (channels_redis lets it expire
    after the layer's ``expiry``), so the layer the server uses is left untouched. The
    probe's connections are closed afterwards.
    """
    config = (getattr(settings, "CHANNEL_LAYERS", None) or {})[alias]
    backend = str(config.get("BACKEND", ""))
    layer = None
    try:
        layer = channel_layers.make_backend(alias)
        channel = await layer.new_channel("dcrf-probe.")
        await asyncio.wait_for(
            layer.send(channel, {"type": "dcrf.probe", "id": uuid.uuid4().hex}), timeout
        )
    except asyncio.TimeoutError:
        error = f"no answer within {timeout:g} s"
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    else:
        error = ""
    finally:
        if layer is not None:
            await _close(layer, timeout)
    if not error:
        return None
    return UnreachableLayer(alias, backend, describe_address(config), error)


async def _close(layer: Any, timeout: float) -> None:
    """Close the probe's connections (channels_redis keeps a pool per event loop)."""
    close = getattr(layer, "close_pools", None)
    if close is None and type(layer).__name__ == "RedisPubSubChannelLayer":
        # For the pub/sub layer, flush() only drops this instance's connections.
        close = layer.flush
    if close is None:
        return
    # An unreachable layer may fail to close too; the probe has said so already.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(close(), timeout)


def aliases_to_probe(aliases: Iterable[str] | None = None) -> list[str]:
    """The configured layers that live outside the process (in-memory layers are skipped)."""
    configured = getattr(settings, "CHANNEL_LAYERS", None) or {}
    return [
        alias
        for alias in (configured if aliases is None else aliases)
        if str(configured[alias].get("BACKEND", "")) not in _IN_PROCESS_BACKENDS
    ]


async def unreachable_channel_layers(timeout: float = PROBE_TIMEOUT) -> list[UnreachableLayer]:
    """Probe every configured layer that lives outside the process, all at once."""
    results = await asyncio.gather(*(probe(alias, timeout) for alias in aliases_to_probe()))
    return [result for result in results if result is not None]
