"""Settings for the demo: SQLite and the in-memory channel layer, Redis on request.

Environment variables:

* ``DCRF_DEMO_DB`` — path of the SQLite file (default ``example/db.sqlite3``);
* ``DCRF_CHANNEL_LAYER=redis`` (``RedisChannelLayer``) or ``redis-pubsub``
  (``RedisPubSubChannelLayer``) with ``DCRF_REDIS_URL`` — use channels_redis instead of the
  in-memory layer (needed when several server processes share groups); ``DCRF_REDIS_PREFIX``
  names its keys (default ``asgi``).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DCRF_DEMO_SECRET_KEY", "demo-only-not-secret")
DEBUG = os.environ.get("DCRF_DEMO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    # Django's admin at /admin/: log in with an account from `manage.py createsuperuser`;
    # changes made there reach the page's subscriptions like any other save.
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "djangochannelsrestframework",
    "rest_framework",
    # Tokens for djangochannelsrestframework.auth.TokenAuthMiddleware (see asgi.py).
    "rest_framework.authtoken",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "demo.urls"
ASGI_APPLICATION = "demo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DCRF_DEMO_DB", str(BASE_DIR / "db.sqlite3")),
    }
}

_REDIS_LAYERS = {
    "redis": "channels_redis.core.RedisChannelLayer",
    "redis-pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}

if os.environ.get("DCRF_CHANNEL_LAYER") in _REDIS_LAYERS:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _REDIS_LAYERS[os.environ["DCRF_CHANNEL_LAYER"]],
            "CONFIG": {
                "hosts": [
                    {
                        "address": os.environ.get("DCRF_REDIS_URL", "redis://127.0.0.1:6379/0"),
                        # No read timeout: redis-py would otherwise drop idle consumers.
                        "socket_timeout": None,
                    }
                ],
                # Keys (and pub/sub channels) start with this, so that several projects
                # can share one Redis server.
                "prefix": os.environ.get("DCRF_REDIS_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "static/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"djangochannelsrestframework": {"handlers": ["console"], "level": "INFO"}},
}
