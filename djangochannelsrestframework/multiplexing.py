"""``Demultiplexer``: one WebSocket carrying several consumers, one per named stream.

A client sends ``{"stream": "users", "payload": {"action": "list", "request_id": 1}}``; the
payload goes to the consumer of the ``users`` stream as if it had its own socket, and what
that consumer sends comes back as ``{"stream": "users", "payload": <reply or event>}``. This is
the framing of ``channelsmultiplexer`` and of the ``dcrf-client`` npm package's default mode.

Each stream is a full consumer application with its own copy of the scope, its own channel
name (so its own groups and subscriptions), its own permissions and limits. The handshake is
accepted once every stream has accepted it; a stream that closes closes the socket with its
code, and disconnecting ends every stream.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Mapping
from typing import Any

from rest_framework import status

from djangochannelsrestframework import encoders, limits
from djangochannelsrestframework.protocol import WS_1011_INTERNAL_ERROR, envelope
from djangochannelsrestframework.settings import api_settings

logger = logging.getLogger("djangochannelsrestframework.multiplexing")

#: Seconds each stream gets to finish after the disconnect before it is cancelled.
STREAM_SHUTDOWN_TIMEOUT = 10.0


class _Stream:
    """One stream's consumer: its task, its inbox and its handshake answer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.handshake: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[Any] | None = None


class Demultiplexer:
    """Route ``{"stream", "payload"}`` frames to one consumer application per stream.

    Declare the streams as a class attribute or pass them to ``as_asgi``::

        class APIDemultiplexer(Demultiplexer):
            consumers = {"users": UserConsumer, "rooms": RoomConsumer}

        websocket_urlpatterns = [re_path(r"^ws/$", APIDemultiplexer.as_asgi())]
        # or: Demultiplexer.as_asgi(consumers={"users": UserConsumer})

    A value may be a consumer class (its ``as_asgi()`` is used) or any ASGI application.
    """

    #: Stream name → consumer class or ASGI application.
    consumers: Mapping[str, Any] = {}
    #: The frame's keys (those of ``channelsmultiplexer`` and ``dcrf-client``).
    stream_key: str = "stream"
    payload_key: str = "payload"

    def __init__(self, consumers: Mapping[str, Any] | None = None) -> None:
        chosen = self.consumers if consumers is None else consumers
        self.applications = {name: self.get_application(app) for name, app in chosen.items()}
        self.streams: dict[str, _Stream] = {}
        self.accepted = False

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Any:
        """An ASGI application that serves each connection with a new demultiplexer."""

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            await cls(**initkwargs)(scope, receive, send)

        app.consumer_class = cls  # type: ignore[attr-defined]
        app.consumer_initkwargs = initkwargs  # type: ignore[attr-defined]
        return app

    def get_application(self, consumer: Any) -> Any:
        """The ASGI application for one stream: ``as_asgi()`` of a consumer class."""
        if isinstance(consumer, type) and hasattr(consumer, "as_asgi"):
            return consumer.as_asgi()
        return consumer

    def get_stream_scope(self, scope: dict[str, Any], name: str) -> dict[str, Any]:
        """A copy of the connection's scope for stream ``name`` (``scope["stream"]`` names it).

        Streams may change their scope (Channels' session middleware does) without seeing
        each other's changes.
        """
        stream_scope = copy.copy(scope)
        for key in ("url_route", "subprotocols", "headers"):
            if key in scope:
                stream_scope[key] = copy.copy(scope[key])
        stream_scope["stream"] = name
        return stream_scope

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.send = send
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.connect":
                    await self.connect(scope, message)
                elif kind == "websocket.receive":
                    await self.receive(message.get("text"), message.get("bytes"))
                elif kind == "websocket.disconnect":
                    await self.disconnect(message)
                    return
        finally:
            await self.stop_streams()

    # Handshake and shutdown ----------------------------------------------------------------

    async def connect(self, scope: dict[str, Any], message: dict[str, Any]) -> None:
        """Start every stream with the connect message; accept when all have accepted."""
        for name, app in self.applications.items():
            stream = _Stream(name)
            self.streams[name] = stream
            stream.inbox.put_nowait(message)
            stream.task = asyncio.create_task(
                self.run_stream(stream, app, self.get_stream_scope(scope, name))
            )
        answers = [await stream.handshake for stream in self.streams.values()]
        refused = [answer for answer in answers if answer["type"] != "websocket.accept"]
        if refused:
            close: dict[str, Any] = {"type": "websocket.close"}
            if "code" in refused[0]:
                close["code"] = refused[0]["code"]
            await self.send(close)
            await self.stop_streams()
            return
        accept: dict[str, Any] = {"type": "websocket.accept"}
        subprotocol = next((a["subprotocol"] for a in answers if a.get("subprotocol")), None)
        if subprotocol:
            accept["subprotocol"] = subprotocol
        self.accepted = True
        await self.send(accept)

    async def disconnect(self, message: dict[str, Any]) -> None:
        """Hand the disconnect to every stream and wait for them to finish."""
        for stream in self.streams.values():
            stream.inbox.put_nowait(message)
        await self.stop_streams()

    async def stop_streams(self) -> None:
        """Wait for the streams to end (cancelling those that take too long)."""
        tasks = [s.task for s in self.streams.values() if s.task is not None and not s.task.done()]
        if tasks:
            for stream in self.streams.values():
                stream.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
            done, pending = await asyncio.wait(tasks, timeout=STREAM_SHUTDOWN_TIMEOUT)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        self.streams.clear()

    async def run_stream(self, stream: _Stream, app: Any, scope: dict[str, Any]) -> None:
        """Run one stream's application; a stream that crashes closes the socket (1011)."""
        try:
            await app(scope, stream.inbox.get, self.stream_sender(stream))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Stream %r failed; closing the connection", stream.name)
            if not stream.handshake.done():
                stream.handshake.set_result({"type": "websocket.close"})
            elif self.accepted:
                await self.close(WS_1011_INTERNAL_ERROR)
        finally:
            if not stream.handshake.done():
                stream.handshake.set_result({"type": "websocket.close"})

    def stream_sender(self, stream: _Stream) -> Any:
        """The ``send`` a stream's application gets: frames come out wrapped in its name."""
        prefix = (
            "{"
            + encoders.dumps(self.stream_key)
            + ":"
            + encoders.dumps(stream.name)
            + ","
            + encoders.dumps(self.payload_key)
            + ":"
        )

        async def send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind in ("websocket.accept", "websocket.close") and not stream.handshake.done():
                stream.handshake.set_result(message)
            elif kind == "websocket.send":
                text = message.get("text")
                if text is None:
                    logger.warning("Stream %r sent a binary frame; dropped", stream.name)
                    return
                await self.send({"type": "websocket.send", "text": prefix + text + "}"})
            elif kind == "websocket.close" and self.accepted:
                await self.close(message.get("code", 1000))

        return send

    async def close(self, code: int) -> None:
        """Close the socket; the server's disconnect message then ends every stream."""
        if self.accepted:
            self.accepted = False
            await self.send({"type": "websocket.close", "code": code})

    # Frames ---------------------------------------------------------------------------------

    async def receive(self, text: str | None, data: bytes | None) -> None:
        """Forward a frame's payload to its stream, or answer why it cannot be."""
        # The same test as ``AsyncAPIConsumer.parse_frame``: bytes are counted only when
        # the length in characters leaves it open.
        if limits.frame_exceeds(text, data, api_settings.MAX_MESSAGE_SIZE):
            await self.reply_error(None, None, ["Message too large."], 413)
            return
        if text is None:
            await self.reply_error(
                None, None, ["Binary frames are not supported; send JSON text."], 400
            )
            return
        try:
            frame = encoders.loads(text)
        except ValueError as exc:
            await self.reply_error(None, None, [f"Invalid JSON: {exc}"], 400)
            return
        name = frame.get(self.stream_key) if isinstance(frame, dict) else None
        if not isinstance(name, str) or self.payload_key not in frame:
            expected = f'Expected {{"{self.stream_key}": name, "{self.payload_key}": {{...}}}}.'
            await self.reply_error(None, None, [expected], 400)
            return
        payload = frame[self.payload_key]
        stream = self.streams.get(name)
        if stream is None:
            action = payload.get("action") if isinstance(payload, dict) else None
            request_id = payload.get("request_id") if isinstance(payload, dict) else None
            await self.reply_error(
                name, action, [f'Unknown stream "{name}".'], status.HTTP_404_NOT_FOUND, request_id
            )
            return
        await stream.inbox.put({"type": "websocket.receive", "text": encoders.dumps(payload)})

    async def reply_error(
        self,
        stream: str | None,
        action: Any,
        errors: list[Any],
        status_code: int,
        request_id: Any = None,
    ) -> None:
        """Send an error envelope, wrapped with ``stream`` when the frame named one."""
        reply: Any = envelope(action, errors=errors, status=status_code, request_id=request_id)
        if stream is not None:
            reply = {self.stream_key: stream, self.payload_key: reply}
        await self.send({"type": "websocket.send", "text": encoders.dumps(reply)})
