"""The floor: what the users example costs with no framework at all.

A plain Channels ``AsyncJsonWebsocketConsumer`` that runs the same ORM query and the same
DRF serializer in one ``database_sync_to_async`` hop per request and replies with the same
envelope shape. Nothing here imports djangochannelsrestframework.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.models import User
from rest_framework.exceptions import ValidationError

from project.serializers import UserSerializer


def _retrieve(content: dict[str, Any]) -> tuple[Any, int]:
    return UserSerializer(User.objects.get(pk=content["pk"])).data, 200


def _list(content: dict[str, Any]) -> tuple[Any, int]:
    return UserSerializer(User.objects.all(), many=True).data, 200


def _create(content: dict[str, Any]) -> tuple[Any, int]:
    serializer = UserSerializer(data=content["data"])
    serializer.is_valid(raise_exception=True)
    serializer.save()
    return serializer.data, 201


def _patch(content: dict[str, Any]) -> tuple[Any, int]:
    instance = User.objects.get(pk=content["pk"])
    serializer = UserSerializer(instance, data=content["data"], partial=True)
    serializer.is_valid(raise_exception=True)
    serializer.save()
    return serializer.data, 200


HANDLERS = {"retrieve": _retrieve, "list": _list, "create": _create, "patch": _patch}


def _run(action: str, content: dict[str, Any]) -> tuple[Any, list[Any], int]:
    handler = HANDLERS.get(action)
    if handler is None:
        return None, [f'Method "{action}" not allowed.'], 405
    try:
        data, status = handler(content)
    except User.DoesNotExist:
        return None, ["Not found"], 404
    except ValidationError as exc:
        return None, [exc.detail], 400
    return data, [], status


class FloorUserConsumer(AsyncJsonWebsocketConsumer):
    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        action = content.get("action")
        data, errors, status = await database_sync_to_async(_run)(action, content)
        await self.send_json(
            {
                "errors": errors,
                "data": data,
                "action": action,
                "response_status": status,
                "request_id": content.get("request_id"),
            }
        )
