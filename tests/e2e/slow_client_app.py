"""ASGI app for the slow-client test: group messages delivered like observer events.

``watch`` joins the "news" group; ``publish`` sends ``count`` group messages of ``size``
bytes through the channel layer, as a model observer does for every change. Served with
the demo's settings (in-memory channel layer); no database is used.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from djangochannelsrestframework.consumers import AsyncAPIConsumer  # noqa: E402
from djangochannelsrestframework.decorators import action  # noqa: E402


class NewsConsumer(AsyncAPIConsumer):
    @action()
    async def watch(self, request_id, **kwargs):
        await self.add_group("news")
        return None, 201

    @action()
    async def publish(self, count, size, start=0, **kwargs):
        for seq in range(start, start + count):
            await self.channel_layer.group_send(
                "news", {"type": "news.item", "seq": seq, "text": "x" * size}
            )
        return {"published": count}, 200

    async def news_item(self, event):
        await self.reply(action="news", data={"seq": event["seq"], "text": event["text"]})


class ImpatientNewsConsumer(NewsConsumer):
    """Closes (4429) a client that leaves a frame unread for 2 seconds."""

    def get_send_timeout(self):
        return 2.0


class PatientNewsConsumer(NewsConsumer):
    """Waits for ever: only the channel layer's capacity bounds what is queued."""

    def get_send_timeout(self):
        return None


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                re_path(r"^impatient/$", ImpatientNewsConsumer.as_asgi()),
                re_path(r"", PatientNewsConsumer.as_asgi()),
            ]
        ),
    }
)
