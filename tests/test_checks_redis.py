"""The system check for channels_redis hosts that would drop idle consumers."""

from django.test import override_settings

from djangochannelsrestframework.checks import check_redis_socket_timeout

REDIS = "channels_redis.core.RedisChannelLayer"


def layers(*hosts):
    return {"default": {"BACKEND": REDIS, "CONFIG": {"hosts": list(hosts)}}}


def test_a_host_url_without_socket_timeout_is_warned_about_with_the_fix():
    """A plain URL host gets warning W001 whose hint shows the dict form with the fix."""
    with override_settings(CHANNEL_LAYERS=layers("redis://127.0.0.1:6379/0")):
        messages = check_redis_socket_timeout()
    assert [m.id for m in messages] == ["djangochannelsrestframework.W001"]
    assert '"socket_timeout": None' in messages[0].hint


def test_a_host_dict_with_socket_timeout_passes():
    """A host dict that sets ``socket_timeout`` (to ``None``) is not warned about."""
    host = {"address": "redis://127.0.0.1:6379/0", "socket_timeout": None}
    with override_settings(CHANNEL_LAYERS=layers(host)):
        assert check_redis_socket_timeout() == []


def test_the_in_memory_layer_is_not_checked():
    """Only channels_redis layers are inspected."""
    memory = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=memory):
        assert check_redis_socket_timeout() == []


def test_default_hosts_are_warned_about():
    """A Redis layer without ``hosts`` uses localhost with the default timeout: warned."""
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": REDIS}}):
        assert len(check_redis_socket_timeout()) == 1
