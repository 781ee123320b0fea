"""ASGI app for the TypeScript client's tests (clients/js/test), served with the demo's settings.

``/ws/`` is the demo's users API plus a few actions the tests need (``echo``, ``slow``,
``close_with``);
``/ws/multi/`` serves the same consumer as the stream ``users`` of a ``Demultiplexer``, next
to a streamed list (``pages``); ``/ws/pages/`` is the streamed list alone. Tokens work as in
the demo (``TokenAuthMiddlewareStack``). Live lists are on when the library has them.
"""

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from demo.consumers import UserConsumer  # noqa: E402
from demo.serializers import UserSerializer  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.urls import re_path  # noqa: E402

from djangochannelsrestframework.auth import TokenAuthMiddlewareStack  # noqa: E402
from djangochannelsrestframework.decorators import action  # noqa: E402
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer  # noqa: E402
from djangochannelsrestframework.mixins import StreamedPaginatedListMixin  # noqa: E402
from djangochannelsrestframework.multiplexing import Demultiplexer  # noqa: E402
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination  # noqa: E402


class ClientTestConsumer(UserConsumer):
    """The demo's consumer with a few actions for the tests."""

    @action()
    async def echo(self, value, **kwargs):
        """Return ``value`` and the user's name: a custom action with an argument."""
        user = self.scope.get("user")
        return {"value": value, "user": getattr(user, "username", "") or None}, 200

    @action()
    async def slow(self, seconds, **kwargs):
        """Answer after ``seconds`` (at most 5): for timeouts and in-flight requests."""
        await asyncio.sleep(min(float(seconds), 5.0))
        return {"slept": seconds}, 200

    @action()
    async def close_with(self, code, **kwargs):
        """Close the socket with ``code`` (4429, as for a client that stopped reading)."""
        await self.close(code=int(code))
        return None, 200


class TwoPerPage(WebsocketLimitOffsetPagination):
    default_limit = 2
    max_limit = 10


class UserPagesConsumer(StreamedPaginatedListMixin, GenericAsyncAPIConsumer):
    """Users streamed two per page."""

    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer
    pagination_class = TwoPerPage
    sleep_time_between_pages = 0.05


class ClientTestDemultiplexer(Demultiplexer):
    consumers = {"users": ClientTestConsumer, "pages": UserPagesConsumer}


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TokenAuthMiddlewareStack(
            URLRouter(
                [
                    re_path(r"^ws/multi/$", ClientTestDemultiplexer.as_asgi()),
                    re_path(r"^ws/pages/$", UserPagesConsumer.as_asgi()),
                    re_path(r"^ws/$", ClientTestConsumer.as_asgi()),
                ]
            )
        ),
    }
)
