"""The floor for observer fan-out: serialize once per save, one group_send per instance.

Importing this module connects the ``post_save`` receiver. The consumer joins a
per-instance group on ``subscribe_instance`` and forwards each group message to its
client with the subscription's request id. No djangochannelsrestframework involved.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.db.models.signals import post_save
from django.dispatch import receiver

from project.serializers import UserSerializer


def group_for(pk: Any) -> str:
    return f"floor-user-{pk}"


@receiver(post_save, sender=User, dispatch_uid="bench-floor-observer")
def user_saved(sender: type, instance: User, created: bool, **kwargs: Any) -> None:
    message = {
        "type": "user.changed",
        "action": "create" if created else "update",
        "data": UserSerializer(instance).data,
    }
    async_to_sync(get_channel_layer().group_send)(group_for(instance.pk), message)


class FloorObserverConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.request_ids: dict[str, list[Any]] = {}
        await self.accept()

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        request_id = content.get("request_id")
        if content.get("action") != "subscribe_instance":
            await self._reply(content.get("action"), None, 405, request_id)
            return
        group = group_for(content["pk"])
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)
        self.request_ids.setdefault(group, []).append(request_id)
        await self._reply("subscribe_instance", None, 201, request_id)

    async def user_changed(self, message: dict[str, Any]) -> None:
        group = group_for(message["data"]["id"])
        for request_id in self.request_ids.get(group, ()):
            await self._reply(message["action"], message["data"], 200, request_id)

    async def _reply(self, action: Any, data: Any, status: int, request_id: Any) -> None:
        await self.send_json(
            {
                "errors": [],
                "data": data,
                "action": action,
                "response_status": status,
                "request_id": request_id,
            }
        )
