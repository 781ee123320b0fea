"""The test helpers shipped for users: ``connected`` and ``APICommunicator``."""

import pytest

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import BasePermission
from djangochannelsrestframework.testing import connected

pytestmark = pytest.mark.django_db(transaction=True)


class Refuse(BasePermission):
    async def can_connect(self, scope, consumer, message=None):
        return False


class WhoConsumer(AsyncAPIConsumer):
    @action()
    async def who(self, **kwargs):
        user = self.scope.get("user")
        return {"user": getattr(user, "username", None)}, 200


class RefusingConsumer(WhoConsumer):
    permission_classes = [Refuse]


async def test_connected_accepts_a_consumer_class_and_keyword_requests():
    """A consumer class is mounted with ``as_asgi()``; ``request(**keys)`` sends the keys."""
    async with connected(WhoConsumer) as client:
        reply = await client.request(action="who", request_id=3)
    assert reply == {
        "errors": [],
        "data": {"user": None},
        "action": "who",
        "response_status": 200,
        "request_id": 3,
    }


async def test_connected_puts_the_user_in_the_scope():
    """``user=`` plays the part of ``AuthMiddlewareStack``."""

    class FakeUser:
        username = "ann"

    async with connected(WhoConsumer, user=FakeUser()) as client:
        assert (await client.request({"action": "who"}))["data"] == {"user": "ann"}


async def test_connected_fails_when_the_consumer_refuses_the_handshake():
    """A refused handshake is an ``AssertionError`` naming the close code."""
    with pytest.raises(AssertionError, match="refused the connection"):
        async with connected(RefusingConsumer):
            pass
