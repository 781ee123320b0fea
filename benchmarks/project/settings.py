"""Benchmark settings: a SQLite file in a temporary directory (tmpfs when available) and
the in-memory channel layer.

``BENCH_DB_PATH`` names the database file (the benchmark scripts always set it); without it
a fresh temporary directory is made, for manual use.
DEBUG is off so that Django does not record queries, as in production.
"""

import os
import tempfile

from project.tmp import bench_tmpdir

SECRET_KEY = "benchmarks-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "project.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "channels",
]


DB_PATH = os.environ.get("BENCH_DB_PATH") or os.path.join(
    tempfile.mkdtemp(prefix="dcrf-bench-", dir=bench_tmpdir()), "db.sqlite3"
)
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB_PATH}}
if os.environ.get("BENCH_PG_NAME"):
    # PostgreSQL (benchmarks/read_threads.py and the Redis stage): libpq's PG* variables.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["BENCH_PG_NAME"],
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "USER": os.environ.get("PGUSER", "dcrf"),
            "PASSWORD": os.environ.get("PGPASSWORD", ""),
            "CONN_MAX_AGE": float(os.environ.get("BENCH_CONN_MAX_AGE", "0")),
        }
    }
if os.environ.get("BENCH_DB_READ_THREADS"):
    DJANGO_CHANNELS_REST_API = {"DB_READ_THREADS": int(os.environ["BENCH_DB_READ_THREADS"])}

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
_REDIS_LAYERS = {
    "redis": "channels_redis.core.RedisChannelLayer",
    "redis-pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
if os.environ.get("BENCH_CHANNEL_LAYER") in _REDIS_LAYERS:
    # The Redis stage (benchmarks/redis_fanout.py): a prefix of its own on a shared server.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _REDIS_LAYERS[os.environ["BENCH_CHANNEL_LAYER"]],
            "CONFIG": {
                "hosts": [{"address": os.environ["BENCH_REDIS_URL"], "socket_timeout": None}],
                "prefix": os.environ.get("BENCH_REDIS_PREFIX", "dcrf-bench"),
            },
        }
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
