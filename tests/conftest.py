"""Fixtures shared by the whole suite."""

import os
import uuid

import pytest
from channels.layers import channel_layers
from hypothesis import settings as hypothesis_settings

# Property-based tests (tests/test_fuzz.py) are reproducible by default: the same examples
# on every run, so a CI result does not depend on luck. ``HYPOTHESIS_PROFILE=explore`` draws
# new examples each run (with ``DCRF_FUZZ_SCALE=10`` for ten times as many) to hunt for
# inputs nobody has tried yet; a failure prints the example to turn into a test.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _fresh_channel_layers():
    """Every test starts with empty channel layers (no groups left from an earlier test)."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def configured_redis_url():
    """The Redis server for channels_redis tests (``scripts/test`` starts one)."""
    return os.environ.get("DCRF_REDIS_URL")


def require_redis_url():
    """The Redis URL; without one a test fails in CI (where ``scripts/test`` always starts
    Redis, so a missing URL is a broken run) and is skipped elsewhere."""
    url = configured_redis_url()
    if not url:
        if os.environ.get("CI"):
            pytest.fail("DCRF_REDIS_URL is not set; scripts/test starts Redis for CI.")
        pytest.skip("no Redis server configured (set DCRF_REDIS_URL)")
    return url


@pytest.fixture
def redis_url():
    """The Redis server's URL (see ``require_redis_url``)."""
    return require_redis_url()


#: The channels_redis layers the suite runs on, by the name tests use for them.
REDIS_LAYERS = {
    "redis": "channels_redis.core.RedisChannelLayer",
    "redis-pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}


def channel_layer_settings(kind, prefix=None):
    """``CHANNEL_LAYERS`` for the in-memory layer (``"memory"``) or one of channels_redis'
    layers (``"redis"``: ``RedisChannelLayer``, ``"redis-pubsub"``:
    ``RedisPubSubChannelLayer``)."""
    if kind == "memory":
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return {
        "default": {
            "BACKEND": REDIS_LAYERS[kind],
            "CONFIG": {
                # socket_timeout=None: redis-py 8's default timeout would abort idle reads.
                "hosts": [{"address": configured_redis_url(), "socket_timeout": None}],
                # A prefix per test keeps tests apart without flushing the server.
                "prefix": prefix or f"dcrf-test-{uuid.uuid4().hex[:12]}",
            },
        }
    }


@pytest.fixture(params=["memory", *REDIS_LAYERS])
def any_channel_layer(request, settings):
    """Run the test on the in-memory layer and on both channels_redis layers."""
    if request.param != "memory":
        require_redis_url()
    settings.CHANNEL_LAYERS = channel_layer_settings(request.param)
    channel_layers.backends.clear()
    return request.param


@pytest.fixture(params=list(REDIS_LAYERS))
def redis_layer(request):
    """The name of each channels_redis layer in turn (``"redis"``, ``"redis-pubsub"``), for
    end-to-end tests whose servers choose their layer from the environment."""
    require_redis_url()
    return request.param


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, whose other sessions are ended before it is dropped.

    Consumers run their queries in worker threads (asgiref's executors, ``async_to_sync``
    loops), each with its own connection; a thread that outlives its last query keeps its
    session open, and PostgreSQL refuses to drop a database that is in use. SQLite has no
    such sessions.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
