"""Settings for the test suite: SQLite (or PostgreSQL with DCRF_TEST_DATABASE=postgres) and
the in-memory channel layer (or Redis with DCRF_TEST_CHANNEL_LAYER=redis)."""

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

if os.environ.get("DCRF_TEST_CHANNEL_LAYER") == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
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
