"""Throttling: DRF's throttle classes limit how often a client may run actions."""

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import override_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import BasePermission

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()

THROTTLED = ["Request was throttled. Expected available in 60 seconds."]


# DRF binds ``THROTTLE_RATES`` from its settings when the throttle module is imported, so
# test throttles carry their own rates instead of relying on REST_FRAMEWORK overrides.
class TwoPerMinuteAnon(AnonRateThrottle):
    rate = "2/min"


class TwoPerMinuteUser(UserRateThrottle):
    rate = "2/min"


class Scoped(ScopedRateThrottle):
    THROTTLE_RATES = {"uploads": "1/min", "reads": "3/min"}


class Pinger(AsyncAPIConsumer):
    throttle_classes = [TwoPerMinuteAnon]

    @action()
    async def ping(self, **kwargs):
        return "pong", 200

    @action(throttle_classes=[])
    async def free(self, **kwargs):
        return "free", 200


class PerUser(AsyncAPIConsumer):
    throttle_classes = [TwoPerMinuteUser]

    @action()
    async def ping(self, **kwargs):
        return "pong", 200


class Uploads(AsyncAPIConsumer):
    throttle_classes = [Scoped]
    throttle_scope = "reads"

    @action(throttle_scope="uploads")
    async def upload(self, **kwargs):
        return "stored", 201

    @action(throttle_scope="uploads")
    async def upload_again(self, **kwargs):
        return "stored", 201

    @action()
    async def read(self, **kwargs):
        return "read", 200


class DenyAll(BasePermission):
    async def has_permission(self, scope, consumer, action, **kwargs):
        return False


class DeniedPinger(Pinger):
    permission_classes = [DenyAll]


class DefaultThrottled(AsyncAPIConsumer):
    @action()
    async def ping(self, **kwargs):
        return "pong", 200


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle histories live in Django's cache (LocMemCache here): start each test empty."""
    cache.clear()
    yield
    cache.clear()


async def connect(app, user=None, client=("10.0.0.1", 5000)):
    communicator = WebsocketCommunicator(app, "/ws/")
    communicator.scope["client"] = client
    if user is not None:
        communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def ask(communicator, action, request_id=None):
    await communicator.send_json_to({"action": action, "request_id": request_id})
    return await communicator.receive_json_from()


async def test_requests_beyond_the_rate_get_429_with_the_wait():
    """The third ping within a minute is refused with DRF's Throttled detail and the wait."""
    client = await connect(Pinger.as_asgi())
    assert (await ask(client, "ping", 1))["response_status"] == 200
    assert (await ask(client, "ping", 2))["response_status"] == 200
    assert await ask(client, "ping", 3) == {
        "errors": THROTTLED,
        "data": None,
        "action": "ping",
        "response_status": 429,
        "request_id": 3,
    }
    await client.disconnect()


async def test_a_throttled_connection_stays_usable():
    """After a 429 the socket still answers, for example an unthrottled action."""
    client = await connect(Pinger.as_asgi())
    for request_id in range(3):
        await ask(client, "ping", request_id)
    assert (await ask(client, "free", "after"))["response_status"] == 200
    await client.disconnect()


async def test_anon_rate_is_per_client_address_across_connections():
    """Anonymous clients are counted by address: a new socket does not reset the count."""
    first = await connect(Pinger.as_asgi())
    await ask(first, "ping")
    await ask(first, "ping")
    await first.disconnect()
    again = await connect(Pinger.as_asgi())
    assert (await ask(again, "ping"))["response_status"] == 429
    other_address = await connect(Pinger.as_asgi(), client=("10.0.0.2", 5000))
    assert (await ask(other_address, "ping"))["response_status"] == 200
    await again.disconnect()
    await other_address.disconnect()


async def test_anon_rate_does_not_apply_to_authenticated_users():
    """AnonRateThrottle lets authenticated users through, as in DRF."""
    user = await User.objects.acreate(username="alice")
    client = await connect(Pinger.as_asgi(), user=user)
    statuses = [(await ask(client, "ping"))["response_status"] for _ in range(4)]
    assert statuses == [200, 200, 200, 200]
    await client.disconnect()


async def test_user_rate_is_per_user_whatever_the_address():
    """UserRateThrottle counts a user's requests from every address together."""
    alice = await User.objects.acreate(username="alice")
    bob = await User.objects.acreate(username="bob")
    home = await connect(PerUser.as_asgi(), user=alice, client=("10.0.0.1", 1))
    work = await connect(PerUser.as_asgi(), user=alice, client=("10.0.0.9", 1))
    bobs = await connect(PerUser.as_asgi(), user=bob, client=("10.0.0.1", 2))
    assert (await ask(home, "ping"))["response_status"] == 200
    assert (await ask(work, "ping"))["response_status"] == 200
    assert (await ask(home, "ping"))["response_status"] == 429
    assert (await ask(bobs, "ping"))["response_status"] == 200
    for communicator in (home, work, bobs):
        await communicator.disconnect()


async def test_scoped_rate_uses_the_actions_throttle_scope():
    """``@action(throttle_scope="uploads")`` selects the "uploads" rate for that action."""
    client = await connect(Uploads.as_asgi())
    assert (await ask(client, "upload"))["response_status"] == 201
    assert (await ask(client, "upload"))["response_status"] == 429
    await client.disconnect()


async def test_actions_sharing_a_scope_share_its_budget():
    """Two actions with the same throttle scope draw on the same rate, as DRF views do."""
    client = await connect(Uploads.as_asgi())
    assert (await ask(client, "upload"))["response_status"] == 201
    assert (await ask(client, "upload_again"))["response_status"] == 429
    await client.disconnect()


async def test_scoped_rate_falls_back_to_the_consumers_throttle_scope():
    """An action without its own scope uses the consumer's ``throttle_scope``."""
    client = await connect(Uploads.as_asgi())
    statuses = [(await ask(client, "read"))["response_status"] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert (await ask(client, "upload"))["response_status"] == 201
    await client.disconnect()


async def test_permissions_are_checked_before_throttles():
    """A refused action is a 403 and does not use up the client's rate, as in DRF."""
    client = await connect(DeniedPinger.as_asgi())
    statuses = [(await ask(client, "ping"))["response_status"] for _ in range(3)]
    assert statuses == [403, 403, 403]
    await client.disconnect()
    allowed = await connect(Pinger.as_asgi())
    assert (await ask(allowed, "ping"))["response_status"] == 200
    await allowed.disconnect()


async def test_unknown_actions_are_throttled_too():
    """Throttles run before the 405, as DRF checks throttles before finding the handler."""
    client = await connect(Pinger.as_asgi())
    await ask(client, "nope")
    await ask(client, "nope")
    assert (await ask(client, "nope"))["response_status"] == 429
    await client.disconnect()


async def test_default_throttle_classes_setting_is_read_when_used():
    """``DEFAULT_THROTTLE_CLASSES`` applies to consumers without ``throttle_classes``."""
    throttle = f"{__name__}.TwoPerMinuteAnon"
    with override_settings(DJANGO_CHANNELS_REST_API={"DEFAULT_THROTTLE_CLASSES": [throttle]}):
        client = await connect(DefaultThrottled.as_asgi())
        statuses = [(await ask(client, "ping"))["response_status"] for _ in range(3)]
        await client.disconnect()
    assert statuses == [200, 200, 429]


async def test_no_throttles_by_default():
    """Without throttle classes a client may send as many requests as it likes."""
    client = await connect(DefaultThrottled.as_asgi())
    statuses = [(await ask(client, "ping"))["response_status"] for _ in range(20)]
    assert set(statuses) == {200}
    await client.disconnect()
