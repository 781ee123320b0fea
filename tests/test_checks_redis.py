"""System checks for channels_redis configurations, on both of its layers."""

import pytest
from django.test import override_settings

from djangochannelsrestframework.checks import (
    check_redis_pubsub_config,
    check_redis_socket_timeout,
)
from tests.conftest import REDIS_LAYERS

REDIS = REDIS_LAYERS["redis"]
PUBSUB = REDIS_LAYERS["redis-pubsub"]


def layers(*hosts, backend=REDIS, **config):
    return {"default": {"BACKEND": backend, "CONFIG": {"hosts": list(hosts), **config}}}


@pytest.fixture(params=[REDIS, PUBSUB], ids=["redis", "redis-pubsub"])
def backend(request):
    return request.param


def test_a_host_url_without_socket_timeout_is_warned_about_with_the_fix():
    """A plain URL host gets warning W001 whose hint shows the dict form with the fix."""
    with override_settings(CHANNEL_LAYERS=layers("redis://127.0.0.1:6379/0")):
        messages = check_redis_socket_timeout()
    assert [m.id for m in messages] == ["djangochannelsrestframework.W001"]
    assert '"socket_timeout": None' in messages[0].hint


def test_the_socket_timeout_warning_does_not_show_the_password():
    """W001 names the host as the start-up check does, with a URL's password masked."""
    with override_settings(CHANNEL_LAYERS=layers("redis://user:s3cret@127.0.0.1:6379/0")):
        messages = check_redis_socket_timeout()
    assert "s3cret" not in messages[0].msg
    assert "redis://user:***@127.0.0.1:6379/0" in messages[0].msg


def test_the_pubsub_layer_needs_no_socket_timeout():
    """The pub/sub layer polls with its own short timeout, so a plain URL host is fine."""
    with override_settings(CHANNEL_LAYERS=layers("redis://127.0.0.1:6379/0", backend=PUBSUB)):
        assert check_redis_socket_timeout() == []


def test_a_host_dict_with_socket_timeout_passes(backend):
    """A host dict that sets ``socket_timeout`` (to ``None``) is not warned about."""
    host = {"address": "redis://127.0.0.1:6379/0", "socket_timeout": None}
    with override_settings(CHANNEL_LAYERS=layers(host, backend=backend)):
        assert check_redis_socket_timeout() == []


def test_the_in_memory_layer_is_not_checked():
    """Only channels_redis layers are inspected."""
    memory = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=memory):
        assert check_redis_socket_timeout() == []
        assert check_redis_pubsub_config() == []


def test_default_hosts_are_warned_about():
    """A Redis layer without ``hosts`` uses localhost with the default timeout: warned."""
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": REDIS}}):
        assert len(check_redis_socket_timeout()) == 1


def test_queue_settings_on_the_pubsub_layer_are_warned_about():
    """``capacity`` and ``group_expiry`` do nothing on pub/sub: warning W003 names them."""
    host = {"address": "redis://127.0.0.1:6379/0", "socket_timeout": None}
    config = layers(host, backend=PUBSUB, capacity=500, group_expiry=60, prefix="app")
    with override_settings(CHANNEL_LAYERS=config):
        messages = check_redis_pubsub_config()
    assert [m.id for m in messages] == ["djangochannelsrestframework.W003"]
    assert "'capacity', 'group_expiry'" in messages[0].msg


def test_queue_settings_on_the_queue_layer_pass():
    """The same keys on ``RedisChannelLayer``, which honours them, are not warned about."""
    host = {"address": "redis://127.0.0.1:6379/0", "socket_timeout": None}
    with override_settings(CHANNEL_LAYERS=layers(host, capacity=500, group_expiry=60)):
        assert check_redis_pubsub_config() == []


def test_a_plain_pubsub_config_passes():
    """A pub/sub layer configured with hosts and a prefix only is not warned about."""
    host = {"address": "redis://127.0.0.1:6379/0", "socket_timeout": None}
    with override_settings(CHANNEL_LAYERS=layers(host, backend=PUBSUB, prefix="app")):
        assert check_redis_pubsub_config() == []
