"""The six CRUD actions over a WebSocket, with the 1.3 reply shapes."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model

from tests.app.consumers import UserConsumer

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


@pytest.fixture
async def client():
    communicator = WebsocketCommunicator(UserConsumer.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    yield communicator
    await communicator.disconnect()


async def test_create_replies_201_with_the_new_object(client):
    """``create`` validates ``data``, saves it and replies 201 without write-only fields."""
    await client.send_json_to(
        {"action": "create", "data": {"username": "test101", "email": "42@example.com",
                                      "password": "s3cret"}, "request_id": 1}
    )
    reply = await client.receive_json_from()
    user = await User.objects.aget(username="test101")
    assert reply == {
        "action": "create",
        "errors": [],
        "response_status": 201,
        "request_id": 1,
        "data": {"id": user.pk, "username": "test101", "email": "42@example.com"},
    }
