"""Settings for the test suite: SQLite (or PostgreSQL with DCRF_TEST_DATABASE=postgres) and
the in-memory channel layer (or Redis with DCRF_TEST_CHANNEL_LAYER=redis, or Redis pub/sub with
DCRF_TEST_CHANNEL_LAYER=redis-pubsub)."""

import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "channels",
    # TokenAuthentication's Token model (djangochannelsrestframework.auth tests).
    "rest_framework.authtoken",
    "djangochannelsrestframework",
    "tests.app",
]

if os.environ.get("DCRF_TEST_DATABASE") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "dcrf"),
            "USER": os.environ.get("PGUSER", "dcrf"),
            "PASSWORD": os.environ.get("PGPASSWORD", "dcrf"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            # Checkouts that share one server (git worktrees) name their test databases apart.
            "TEST": {"NAME": os.environ.get("DCRF_TEST_PG_NAME") or None},
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

_REDIS_LAYERS = {
    "redis": "channels_redis.core.RedisChannelLayer",
    "redis-pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}

if os.environ.get("DCRF_TEST_CHANNEL_LAYER") in _REDIS_LAYERS:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _REDIS_LAYERS[os.environ["DCRF_TEST_CHANNEL_LAYER"]],
            "CONFIG": {
                "hosts": [
                    {
                        "address": os.environ.get("DCRF_REDIS_URL", "redis://127.0.0.1:6379/0"),
                        "socket_timeout": None,
                    }
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"djangochannelsrestframework": {"handlers": ["console"], "level": "WARNING"}},
}
