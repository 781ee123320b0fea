"""Consumers for the demultiplexer tests (tests/test_multiplexing.py)."""

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.multiplexing import Demultiplexer
from djangochannelsrestframework.permissions import BasePermission
from djangochannelsrestframework.protocol import WS_4429_TOO_MANY_PENDING
from tests.app.consumers import NoteConsumer
from tests.app.observer_consumers import NoteInstanceConsumer, OwnerNoteConsumer


class ScopeConsumer(AsyncAPIConsumer):
    """Writes to and reads from its own scope, and can close the socket."""

    @action()
    async def remember(self, value, **kwargs):
        self.scope["remembered"] = value
        return {"stream": self.scope.get("stream")}, 200

    @action()
    async def recall(self, **kwargs):
        return {"remembered": self.scope.get("remembered")}, 200

    @action()
    async def hang_up(self, **kwargs):
        await self.close(code=WS_4429_TOO_MANY_PENDING)
        return None, 200


class RefuseConnections(BasePermission):
    async def can_connect(self, scope, consumer, message=None):
        return False


class RefusingConsumer(AsyncAPIConsumer):
    permission_classes = [RefuseConnections]


class NotesDemultiplexer(Demultiplexer):
    """Notes through three consumers on one socket, with different permissions."""

    consumers = {
        "notes": NoteConsumer,
        "watch": NoteInstanceConsumer,
        "owned": OwnerNoteConsumer,
        "scope_a": ScopeConsumer,
        "scope_b": ScopeConsumer,
    }


async def fragile_app(scope, receive, send):
    """A plain ASGI stream: accepts, answers ``"binary"`` with a binary frame, and crashes on
    ``"boom"`` (or at once when its path ends in ``/refuse/``)."""
    await receive()
    if scope["path"].endswith("/refuse/"):
        raise RuntimeError("cannot start")
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == '"boom"':
            raise RuntimeError("boom")
        if message.get("text") == '"binary"':
            await send({"type": "websocket.send", "bytes": b"\x00"})
        await send({"type": "websocket.send", "text": message["text"]})
