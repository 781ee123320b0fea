"""``@observer(signal)``: any Django signal pushed to subscribed consumers."""

import django.dispatch
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db import transaction

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import observer
from tests.helpers import connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_channel_layer")]
User = get_user_model()

joined_chat = django.dispatch.Signal()


class LoginConsumer(AsyncAPIConsumer):
    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        await self.handle_user_logged_in.subscribe()

    @observer(user_logged_in)
    async def handle_user_logged_in(self, message, observer=None, **kwargs):
        await self.send_json({"message": message, "observer": observer is not None})


class ChatConsumer(AsyncAPIConsumer):
    @observer(joined_chat)
    async def joined(self, message, subscribing_request_ids=(), **kwargs):
        for request_id in subscribing_request_ids:
            await self.reply(action="joined", data=message, request_id=request_id)

    @joined.serializer
    def joined(self, signal, sender=None, chat_id=None, username=None, **kwargs):
        return {"chat": chat_id, "user": username}

    @joined.groups_for_signal
    def joined(self, chat_id=None, **kwargs):
        yield f"chat-{chat_id}"

    @joined.groups_for_consumer
    def joined(self, chat_id=None, **kwargs):
        yield f"chat-{chat_id}"

    @action()
    async def subscribe_joined(self, chat_id, request_id=None, **kwargs):
        await self.joined.subscribe(chat_id=chat_id, request_id=request_id)
        return None, 201

    @action()
    async def join(self, chat_id, username, **kwargs):
        joined_chat.send(sender=type(self), chat_id=chat_id, username=username)
        return None, 200


async def test_a_django_signal_reaches_subscribers():
    """``user_logged_in`` sent anywhere reaches the subscribed handler with an empty body."""
    client = await connect(LoginConsumer)
    user = await User.objects.acreate(username="u")
    await database_sync_to_async(user_logged_in.send)(sender=User, request=None, user=user)
    assert await client.receive_json_from() == {"message": {}, "observer": True}
    await client.disconnect()


async def test_custom_signal_with_groups_and_serializer():
    """Only the chat subscribed to is delivered, with the subscribing request id."""
    client = await connect(ChatConsumer)
    await client.send_json_to({"action": "subscribe_joined", "chat_id": 7, "request_id": 3})
    await client.receive_json_from()
    await database_sync_to_async(joined_chat.send)(sender=None, chat_id=8, username="x")
    await database_sync_to_async(joined_chat.send)(sender=None, chat_id=7, username="ann")
    assert await client.receive_json_from() == {
        "action": "joined",
        "errors": [],
        "response_status": 200,
        "request_id": 3,
        "data": {"chat": 7, "user": "ann"},
    }
    assert await client.receive_nothing()
    await client.disconnect()


async def test_a_signal_sent_from_async_code_is_delivered():
    """Sending the signal on the event loop (an async action) works (1.3 raised)."""
    client = await connect(ChatConsumer)
    await client.send_json_to({"action": "subscribe_joined", "chat_id": 1, "request_id": 1})
    await client.receive_json_from()
    await client.send_json_to({"action": "join", "chat_id": 1, "username": "bo", "request_id": 2})
    replies = [await client.receive_json_from(), await client.receive_json_from()]
    assert {(r["action"], r["request_id"]) for r in replies} == {("join", 2), ("joined", 1)}
    await client.disconnect()


@database_sync_to_async
def send_inside_rolled_back_transaction():
    with transaction.atomic():
        joined_chat.send(sender=None, chat_id=5, username="ghost")
        transaction.set_rollback(True)


async def test_a_signal_sent_in_a_rolled_back_transaction_is_dropped():
    """Inside a transaction the signal's messages wait for the commit."""
    client = await connect(ChatConsumer)
    await client.send_json_to({"action": "subscribe_joined", "chat_id": 5, "request_id": 1})
    await client.receive_json_from()
    await send_inside_rolled_back_transaction()
    assert await client.receive_nothing()
    await client.disconnect()


unencodable_signal = django.dispatch.Signal()


class UnencodableConsumer(AsyncAPIConsumer):
    @observer(unencodable_signal)
    async def odd(self, message, subscribing_request_ids=(), **kwargs):
        await self.send_json(message)

    @odd.serializer
    def odd(self, signal, value=None, **kwargs):
        return {"value": value}

    @action()
    async def listen(self, request_id=None, **kwargs):
        await self.odd.subscribe(request_id=request_id)
        return None, 201


async def test_a_body_that_is_not_json_is_logged_and_the_sender_goes_on(caplog):
    """A serializer hook returning something JSON cannot carry does not make
    ``signal.send()`` raise: the error is logged and that one message is not sent."""
    client = WebsocketCommunicator(UnencodableConsumer.as_asgi(), "/ws/")
    await client.connect()
    await client.send_json_to({"action": "listen", "request_id": 1})
    assert (await client.receive_json_from())["response_status"] == 201
    await database_sync_to_async(unencodable_signal.send)(sender=None, value=object())
    assert await client.receive_nothing()
    assert "produced a body that is not JSON" in caplog.text
    await database_sync_to_async(unencodable_signal.send)(sender=None, value=5)
    assert await client.receive_json_from() == {"value": 5}
    await client.disconnect()
