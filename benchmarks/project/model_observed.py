"""Fan-out through ``@model_observer(User, serializer_class=...)`` (both libraries).

Kept apart from ``observed`` so that each fan-out workload registers only its own
observer. The action is named ``subscribe_instance`` so that the worker (and the floor)
send the same message; it subscribes to every change of every user.
"""

from typing import Any

from django.contrib.auth.models import User

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import model_observer
from project.serializers import UserSerializer


class ModelObservedUserConsumer(AsyncAPIConsumer):
    @model_observer(User, serializer_class=UserSerializer)
    async def user_changes(self, message: Any, action: Any = None, **kwargs: Any) -> None:
        for request_id in kwargs.get("subscribing_request_ids", ()):
            await self.reply(action=action, data=message, request_id=request_id)

    @action()
    async def subscribe_instance(self, request_id: Any = None, **kwargs: Any) -> Any:
        await self.user_changes.subscribe(request_id=request_id)
        return None, 201
