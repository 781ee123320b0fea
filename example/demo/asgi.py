"""ASGI entry point: Django for HTTP, the user consumer at ``/ws/`` for WebSockets, and the
start-up checks for the lifespan protocol."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
# Set up Django before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import re_path  # noqa: E402

from demo.consumers import UserConsumer  # noqa: E402
from djangochannelsrestframework.auth import TokenAuthMiddlewareStack  # noqa: E402
from djangochannelsrestframework.lifespan import Lifespan  # noqa: E402

if settings.DEBUG:
    # The admin's style sheets and scripts: uvicorn serves no static files itself.
    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Session cookies (Channels' AuthMiddlewareStack) and DRF tokens (preferably the
        # subprotocols ``["token", key]`` or the ``Authorization`` header; ``?token=`` ends
        # up in access logs) both authenticate;
        # clients without either are anonymous, which the demo's consumer allows.
        "websocket": TokenAuthMiddlewareStack(
            URLRouter([re_path(r"^ws/$", UserConsumer.as_asgi())])
        ),
        # Says once at start-up if the channel layer (Redis) cannot be reached.
        "lifespan": Lifespan(),
    }
)
