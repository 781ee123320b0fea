"""Settings for the demo deployed behind nginx (``deploy/``, ``scripts/deployment``).

The demo's settings with PostgreSQL instead of SQLite, a Redis channel layer (required
with more than one process) and ``DEBUG`` off. Everything that differs between hosts
comes from the environment:

* ``DCRF_SECRET_KEY`` (required);
* ``DCRF_DB_NAME`` and libpq's ``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``;
* ``DCRF_CHANNEL_LAYER`` (``redis``, the default, or ``redis-pubsub``), ``DCRF_REDIS_URL``,
  ``DCRF_REDIS_PREFIX``;
* ``DCRF_DB_READ_THREADS``: database threads for read actions (``DB_READ_THREADS``, 1).
"""

import os

os.environ.setdefault("DCRF_CHANNEL_LAYER", "redis")

from demo.settings import *  # noqa: F403

SECRET_KEY = os.environ["DCRF_SECRET_KEY"]
DEBUG = False

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DCRF_DB_NAME", "dcrf"),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
        "USER": os.environ.get("PGUSER", "dcrf"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        # Keep connections between messages; checked before reuse after an error.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}

DJANGO_CHANNELS_REST_API = {"DB_READ_THREADS": int(os.environ.get("DCRF_DB_READ_THREADS", "1"))}

# nginx terminates TLS in front and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
