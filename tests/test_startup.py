"""Start-up checks: can each configured channel layer be reached? (the probe and W004)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from djangochannelsrestframework.checks import check_channel_layers_reachable
from djangochannelsrestframework.startup import describe_address, unreachable_channel_layers

REDIS = "channels_redis.core.RedisChannelLayer"
PUBSUB = "channels_redis.pubsub.RedisPubSubChannelLayer"
MEMORY = {"BACKEND": "channels.layers.InMemoryChannelLayer"}


def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_layer(url: str, backend: str = REDIS) -> dict[str, Any]:
    return {
        "BACKEND": backend,
        "CONFIG": {"hosts": [{"address": url, "socket_timeout": None}], "prefix": "dcrf-probe"},
    }


def test_an_unreachable_redis_is_named_with_its_address():
    """A Redis layer on a closed port is reported with its alias, backend, address and error."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CHANNEL_LAYERS={"default": redis_layer(url)}):
        [layer] = asyncio.run(unreachable_channel_layers())
    assert (layer.alias, layer.backend, layer.address) == ("default", REDIS, url)
    assert "ConnectionError" in layer.error
    assert layer.message.startswith(f"Channel layer 'default' ({REDIS}) cannot be reached at {url}")
    assert url in layer.hint and "CHANNEL_LAYERS['default']" in layer.hint


def test_the_pubsub_layer_is_probed_too():
    """channels_redis' pub/sub layer on a closed port is reported as well."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CHANNEL_LAYERS={"default": redis_layer(url, PUBSUB)}):
        [layer] = asyncio.run(unreachable_channel_layers())
    assert layer.backend == PUBSUB and "ConnectionError" in layer.error


@pytest.mark.redis
@pytest.mark.parametrize("backend", [REDIS, PUBSUB])
def test_a_running_redis_is_reachable(redis_url, backend):
    """Layers on the test Redis server are not reported."""
    with override_settings(CHANNEL_LAYERS={"default": redis_layer(redis_url, backend)}):
        assert asyncio.run(unreachable_channel_layers()) == []


def test_the_in_memory_layer_is_not_probed():
    """The in-memory layer lives in the process: there is nothing to reach."""
    with override_settings(CHANNEL_LAYERS={"default": MEMORY}):
        assert asyncio.run(unreachable_channel_layers()) == []


def test_a_backend_that_cannot_be_imported_is_reported():
    """A misspelt BACKEND is reported instead of raising out of the probe."""
    layers = {"default": {"BACKEND": "channels_redis.core.NoSuchLayer"}}
    with override_settings(CHANNEL_LAYERS=layers):
        [layer] = asyncio.run(unreachable_channel_layers())
    assert "NoSuchLayer" in layer.error


def test_passwords_are_not_shown():
    """The address in the message keeps the user name and hides the password."""
    config = redis_layer("redis://worker:s3cret@redis.internal:6380/2")
    assert describe_address(config) == "redis://worker:***@redis.internal:6380/2"
    config["CONFIG"]["hosts"] = [("10.0.0.5", 6379), "rediss://:s3cret@cache:6379"]
    assert describe_address(config) == "10.0.0.5:6379, rediss://:***@cache:6379"


def test_the_deploy_check_reports_an_unreachable_layer():
    """check --deploy gives W004 with the address and what to check."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CHANNEL_LAYERS={"default": redis_layer(url)}):
        [warning] = check_channel_layers_reachable()
    assert warning.id == "djangochannelsrestframework.W004"
    assert url in warning.msg and "is running and reachable" in warning.hint


def test_the_check_runs_only_with_deploy():
    """Plain checks (migrate, runserver) do not wait for the layer; --deploy checks do."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CHANNEL_LAYERS={"default": redis_layer(url)}):
        plain = [m.id for m in run_checks(include_deployment_checks=False)]
        deploy = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "djangochannelsrestframework.W004" not in plain
    assert "djangochannelsrestframework.W004" in deploy


async def test_the_check_works_where_an_event_loop_runs():
    """Called from async code (a test, a custom command), the check still probes."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CHANNEL_LAYERS={"default": redis_layer(url)}):
        assert len(check_channel_layers_reachable()) == 1
