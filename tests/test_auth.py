"""Authentication: Channels sessions and DRF tokens in the handshake, and who is anonymous."""

import asyncio
from urllib.parse import quote_from_bytes, urlencode

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.test import Client, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework import permissions as drf_permissions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from djangochannelsrestframework.auth import TokenAuthMiddleware, TokenAuthMiddlewareStack
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import IsAuthenticated
from djangochannelsrestframework.protocol import WS_1013_TRY_AGAIN_LATER, WS_4401_UNAUTHORIZED
from djangochannelsrestframework.settings import api_settings

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()

DENIED = ["You do not have permission to perform this action."]


class WhoAmI(AsyncAPIConsumer):
    """Reports the user it sees; only authenticated users may ask (our IsAuthenticated)."""

    permission_classes = [IsAuthenticated]

    @action()
    async def whoami(self, **kwargs):
        return {
            "username": self.scope["user"].username,
            "subprotocols": self.scope.get("subprotocols", []),
        }, 200


class WhoAmIDRF(AsyncAPIConsumer):
    """The same with DRF's own ``IsAuthenticated``, on the action only: on the consumer
    it would also be asked at the handshake, which it refuses to anonymous clients."""

    @action(permission_classes=[drf_permissions.IsAuthenticated])
    async def whoami(self, **kwargs):
        return await WhoAmI.whoami(self, **kwargs)


class DRFProtected(AsyncAPIConsumer):
    permission_classes = [drf_permissions.IsAuthenticated]


class BearerAuthentication(TokenAuthentication):
    keyword = "Bearer"


@pytest.fixture
async def alice():
    return await User.objects.acreate(username="alice", password="unused")


@pytest.fixture
async def alice_token(alice):
    return (await Token.objects.acreate(user=alice)).key


async def session_cookie(user):
    """The ``Cookie`` header of a browser logged in as ``user`` (a real session row)."""
    client = Client()
    await sync_to_async(client.force_login)(user)
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_id}".encode())


async def whoami(app, path="/ws/", headers=None, subprotocols=None):
    """Connect, ask ``whoami`` and return (reply, accepted subprotocol)."""
    communicator = WebsocketCommunicator(app, path, headers=headers, subprotocols=subprotocols)
    connected, subprotocol = await communicator.connect()
    assert connected
    await communicator.send_json_to({"action": "whoami", "request_id": 1})
    answer = await communicator.receive_json_from()
    await communicator.disconnect()
    return answer, subprotocol


async def refused(app, path="/ws/", headers=None, subprotocols=None):
    """Connect and return the close message that follows the handshake."""
    communicator = WebsocketCommunicator(app, path, headers=headers, subprotocols=subprotocols)
    connected, subprotocol = await communicator.connect()
    assert connected
    closing = await communicator.receive_output()
    await communicator.wait()
    return closing, subprotocol


# Sessions (Channels' AuthMiddlewareStack) ----------------------------------------------------


@pytest.mark.parametrize("consumer", [WhoAmI, WhoAmIDRF])
async def test_a_session_cookie_authenticates_the_socket(consumer, alice):
    """A logged-in browser's session cookie makes its user the scope's user for actions."""
    cookie = await session_cookie(alice)
    answer, _ = await whoami(AuthMiddlewareStack(consumer.as_asgi()), headers=[cookie])
    assert answer["response_status"] == 200
    assert answer["data"]["username"] == "alice"


@pytest.mark.parametrize("consumer", [WhoAmI, WhoAmIDRF])
async def test_without_a_session_every_action_is_refused(consumer):
    """An anonymous browser connects, but IsAuthenticated (ours or DRF's) answers 403."""
    answer, _ = await whoami(AuthMiddlewareStack(consumer.as_asgi()))
    assert answer["response_status"] == 403
    assert answer["errors"] == DENIED


@pytest.mark.parametrize("consumer", [WhoAmI, WhoAmIDRF])
async def test_a_forged_session_cookie_is_anonymous(consumer, alice):
    """A session id that is not in the session store gives no user."""
    cookie = (b"cookie", f"{settings.SESSION_COOKIE_NAME}=forged0123456789".encode())
    answer, _ = await whoami(AuthMiddlewareStack(consumer.as_asgi()), headers=[cookie])
    assert answer["response_status"] == 403


@pytest.mark.parametrize("consumer", [WhoAmI, WhoAmIDRF])
@pytest.mark.parametrize("user", [None, AnonymousUser()], ids=["no user", "anonymous"])
async def test_a_scope_without_an_authenticated_user_gets_403(consumer, user):
    """No middleware (no ``user`` key) or an AnonymousUser: 403, also with DRF's permission.

    1.3 built DRF's request with the ``AnonymousUser`` class, whose ``is_authenticated`` is
    a truthy property object, so DRF's IsAuthenticated let such a scope through.
    """
    communicator = WebsocketCommunicator(consumer.as_asgi(), "/ws/")
    if user is not None:
        communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"action": "whoami", "request_id": 1})
    assert (await communicator.receive_json_from())["response_status"] == 403
    await communicator.disconnect()


async def test_drfs_is_authenticated_on_the_consumer_refuses_anonymous_handshakes():
    """DRF permissions are also asked at connect (as HEAD): anonymous clients are refused."""
    communicator = WebsocketCommunicator(AuthMiddlewareStack(DRFProtected.as_asgi()), "/ws/")
    connected, _ = await communicator.connect()
    assert not connected


async def test_drfs_is_authenticated_on_the_consumer_admits_a_session_user(alice):
    """The same consumer accepts the handshake of a logged-in browser."""
    cookie = await session_cookie(alice)
    app = AuthMiddlewareStack(DRFProtected.as_asgi())
    communicator = WebsocketCommunicator(app, "/ws/", headers=[cookie])
    connected, _ = await communicator.connect()
    assert connected
    await communicator.disconnect()


# Tokens (TokenAuthMiddleware) ---------------------------------------------------------------


async def test_a_token_in_the_query_string_authenticates(alice_token):
    """``?token=<key>`` makes the token's user the scope's user."""
    answer, _ = await whoami(TokenAuthMiddleware(WhoAmI.as_asgi()), f"/ws/?token={alice_token}")
    assert answer["data"]["username"] == "alice"


async def test_a_token_in_the_authorization_header_authenticates(alice_token):
    """``Authorization: Token <key>`` works for clients that can set headers."""
    header = (b"authorization", f"Token {alice_token}".encode())
    answer, _ = await whoami(TokenAuthMiddleware(WhoAmIDRF.as_asgi()), headers=[header])
    assert answer["data"]["username"] == "alice"


async def test_a_token_subprotocol_authenticates_and_is_accepted(alice_token):
    """Offering ``["token", key]`` authenticates; the handshake selects "token", and the
    application never sees the key."""
    answer, subprotocol = await whoami(
        TokenAuthMiddleware(WhoAmI.as_asgi()), subprotocols=["token", alice_token]
    )
    assert subprotocol == "token"
    assert answer["data"] == {"username": "alice", "subprotocols": ["token"]}


async def test_the_token_user_and_token_are_in_the_scope(alice, alice_token):
    """``scope["user"]`` and ``scope["auth"]`` hold DRF's (user, token) result."""
    seen = {}

    async def app(scope, receive, send):
        seen.update(user=scope["user"], auth=scope["auth"])
        await receive()
        await send({"type": "websocket.accept"})

    communicator = WebsocketCommunicator(TokenAuthMiddleware(app), f"/ws/?token={alice_token}")
    assert (await communicator.connect())[0]
    assert seen["user"] == alice
    assert seen["auth"].key == alice_token


@pytest.mark.parametrize("place", ["query", "header", "subprotocol"])
async def test_a_bad_token_closes_the_socket_with_4401(place, alice_token):
    """An unknown token, wherever it travels, ends the connection with close code 4401."""
    bad = "0" * 40
    path = f"/ws/?token={bad}" if place == "query" else "/ws/"
    headers = [(b"authorization", f"Token {bad}".encode())] if place == "header" else None
    subprotocols = ["token", bad] if place == "subprotocol" else None
    closing, subprotocol = await refused(
        TokenAuthMiddleware(WhoAmI.as_asgi()), path, headers, subprotocols
    )
    assert closing == {"type": "websocket.close", "code": WS_4401_UNAUTHORIZED}
    assert subprotocol == ("token" if place == "subprotocol" else None)


async def test_a_bad_token_never_reaches_the_application():
    """A refused handshake does not run the consumer at all (no anonymous fallback)."""
    calls = []

    async def app(scope, receive, send):
        calls.append(scope)

    closing, _ = await refused(TokenAuthMiddleware(app), "/ws/?token=nope")
    assert closing["code"] == WS_4401_UNAUTHORIZED
    assert calls == []


async def test_the_token_of_an_inactive_user_is_refused(alice, alice_token):
    """DRF refuses tokens of inactive users; so does the handshake."""
    alice.is_active = False
    await alice.asave()
    closing, _ = await refused(TokenAuthMiddleware(WhoAmI.as_asgi()), f"/ws/?token={alice_token}")
    assert closing["code"] == WS_4401_UNAUTHORIZED


async def test_a_token_that_no_class_recognises_is_refused(alice_token):
    """A token the configured classes return ``None`` for is refused, not anonymous."""

    class NeverRecognises:
        keyword = "Token"

        def authenticate(self, request):
            return None

    app = TokenAuthMiddleware(WhoAmI.as_asgi(), authentication_classes=[NeverRecognises])
    closing, _ = await refused(app, f"/ws/?token={alice_token}")
    assert closing["code"] == WS_4401_UNAUTHORIZED


async def test_no_token_means_anonymous():
    """Without any credentials the socket opens anonymously and permissions decide."""
    answer, subprotocol = await whoami(TokenAuthMiddleware(WhoAmI.as_asgi()))
    assert answer["response_status"] == 403
    assert subprotocol is None


async def test_other_authorization_schemes_are_not_token_credentials():
    """A proxy's ``Authorization: Basic`` header is not a token: the socket is anonymous."""
    header = (b"authorization", b"Basic dXNlcjpwYXNz")
    answer, _ = await whoami(TokenAuthMiddleware(WhoAmI.as_asgi()), headers=[header])
    assert answer["response_status"] == 403


async def test_the_stack_keeps_the_session_user_without_a_token(alice):
    """``TokenAuthMiddlewareStack`` accepts session cookies too."""
    cookie = await session_cookie(alice)
    answer, _ = await whoami(TokenAuthMiddlewareStack(WhoAmI.as_asgi()), headers=[cookie])
    assert answer["data"]["username"] == "alice"


async def test_in_the_stack_a_token_wins_over_the_session(alice, alice_token):
    """When both are sent, the token decides who the user is."""
    bob = await User.objects.acreate(username="bob")
    cookie = await session_cookie(bob)
    answer, _ = await whoami(
        TokenAuthMiddlewareStack(WhoAmI.as_asgi()), f"/ws/?token={alice_token}", [cookie]
    )
    assert answer["data"]["username"] == "alice"


async def test_in_the_stack_a_bad_token_is_refused_despite_a_session(alice):
    """A valid session does not rescue a bad token."""
    cookie = await session_cookie(alice)
    closing, _ = await refused(
        TokenAuthMiddlewareStack(WhoAmI.as_asgi()), "/ws/?token=bad", [cookie]
    )
    assert closing["code"] == WS_4401_UNAUTHORIZED


def test_authentication_classes_default_to_drfs_token_authentication():
    """The ``AUTHENTICATION_CLASSES`` setting defaults to DRF's TokenAuthentication."""
    assert list(api_settings.AUTHENTICATION_CLASSES) == [TokenAuthentication]


async def test_authentication_classes_setting_is_read_per_connection(alice_token):
    """A custom class from the setting (``Bearer`` keyword) is used for query tokens."""
    path = f"{__name__}.BearerAuthentication"
    with override_settings(DJANGO_CHANNELS_REST_API={"AUTHENTICATION_CLASSES": [path]}):
        header = (b"authorization", f"Bearer {alice_token}".encode())
        by_header, _ = await whoami(TokenAuthMiddleware(WhoAmI.as_asgi()), headers=[header])
        by_query, _ = await whoami(
            TokenAuthMiddleware(WhoAmI.as_asgi()), f"/ws/?token={alice_token}"
        )
    assert by_header["data"]["username"] == by_query["data"]["username"] == "alice"


async def test_http_requests_pass_through_untouched():
    """Only WebSocket scopes are authenticated; HTTP goes straight to the inner app."""
    seen = []

    async def app(scope, receive, send):
        seen.append(scope)

    await TokenAuthMiddleware(app)({"type": "http", "query_string": b"token=x"}, None, None)
    assert seen == [{"type": "http", "query_string": b"token=x"}]


class HeaderBearerAuthentication(TokenAuthentication):
    """A class that, like simplejwt's, names its scheme only in ``authenticate_header``."""

    keyword = None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'

    def authenticate_credentials(self, key):
        return super().authenticate_credentials(key)

    def authenticate(self, request):
        auth = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(auth) != 2 or auth[0] != "Bearer":
            return None
        return self.authenticate_credentials(auth[1])


async def test_a_scheme_announced_by_authenticate_header_is_used(alice_token):
    """Classes without ``keyword`` (simplejwt) get their scheme from ``authenticate_header``:
    a ``Bearer`` header and a query-string token both authenticate."""
    app = TokenAuthMiddleware(WhoAmI.as_asgi(), authentication_classes=[HeaderBearerAuthentication])
    header = (b"authorization", f"Bearer {alice_token}".encode())
    answer, _ = await whoami(app, headers=[header])
    assert answer["data"]["username"] == "alice"
    answer, _ = await whoami(app, path=f"/ws/?token={alice_token}")
    assert answer["data"]["username"] == "alice"


# Credentials of any text -------------------------------------------------------------------

#: Any character a token could carry, weighted towards the ones outside latin-1.
ANY_TOKEN_TEXT = st.text(
    st.characters(codec="utf-8") | st.sampled_from("€ā中😀\u2028ÿ\x00"),
    min_size=1,
    max_size=60,
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(token=ANY_TOKEN_TEXT, place=st.sampled_from(["query", "header", "subprotocol"]))
def test_a_token_of_any_text_from_any_source_is_refused_with_4401(token, place):
    """Non-latin-1 (and any other) text as a token, in the query string, the
    ``Authorization`` header or the subprotocol, ends in 4401, never in a server error."""
    path, headers, subprotocols = "/ws/", None, None
    if place == "query":
        path = f"/ws/?{urlencode({'token': token})}"
    elif place == "header":
        headers = [(b"authorization", f"Token {token}".encode())]
    else:
        subprotocols = ["token", token]
    closing, _ = async_to_sync(refused)(
        TokenAuthMiddleware(WhoAmI.as_asgi()), path, headers, subprotocols
    )
    assert closing == {"type": "websocket.close", "code": WS_4401_UNAUTHORIZED}


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(min_size=1, max_size=40))
def test_a_token_of_any_bytes_is_refused_with_4401(raw):
    """Every byte value, raw in the header or percent-encoded in the query string."""
    for path, headers in (
        ("/ws/?token=" + quote_from_bytes(raw), None),
        ("/ws/", [(b"authorization", b"Token " + raw)]),
    ):
        closing, _ = async_to_sync(refused)(TokenAuthMiddleware(WhoAmI.as_asgi()), path, headers)
        assert closing == {"type": "websocket.close", "code": WS_4401_UNAUTHORIZED}


# Re-checking open sockets (TOKEN_RECHECK_INTERVAL) ------------------------------------------


async def test_without_recheck_a_revoked_token_keeps_its_open_socket(alice_token):
    """The default: credentials are checked at the handshake only."""
    communicator = WebsocketCommunicator(
        TokenAuthMiddleware(WhoAmI.as_asgi()), f"/ws/?token={alice_token}"
    )
    assert (await communicator.connect())[0]
    await Token.objects.filter(key=alice_token).adelete()
    await communicator.send_json_to({"action": "whoami", "request_id": 1})
    assert (await communicator.receive_json_from())["data"]["username"] == "alice"
    await communicator.disconnect()


async def test_with_recheck_a_revoked_token_closes_its_socket_with_4401(alice_token):
    """With ``TOKEN_RECHECK_INTERVAL`` the socket works until its token is deleted, then
    is closed with 4401 within about one interval."""
    with override_settings(DJANGO_CHANNELS_REST_API={"TOKEN_RECHECK_INTERVAL": 0.1}):
        communicator = WebsocketCommunicator(
            TokenAuthMiddleware(WhoAmI.as_asgi()), f"/ws/?token={alice_token}"
        )
        assert (await communicator.connect())[0]
        await asyncio.sleep(0.35)  # several re-checks pass: the socket stays
        await communicator.send_json_to({"action": "whoami", "request_id": 1})
        assert (await communicator.receive_json_from())["data"]["username"] == "alice"
        await Token.objects.filter(key=alice_token).adelete()
        closing = await communicator.receive_output(timeout=10)
        assert closing == {"type": "websocket.close", "code": WS_4401_UNAUTHORIZED}
        await communicator.wait(timeout=10)


async def test_with_recheck_a_deactivated_user_is_closed_too(alice, alice_token):
    with override_settings(DJANGO_CHANNELS_REST_API={"TOKEN_RECHECK_INTERVAL": 0.1}):
        communicator = WebsocketCommunicator(
            TokenAuthMiddleware(WhoAmI.as_asgi()), f"/ws/?token={alice_token}"
        )
        assert (await communicator.connect())[0]
        await User.objects.filter(pk=alice.pk).aupdate(is_active=False)
        closing = await communicator.receive_output(timeout=10)
        assert closing["code"] == WS_4401_UNAUTHORIZED
        await communicator.wait(timeout=10)


class DatabaseDownAuthentication(TokenAuthentication):
    """Fails the way ``TokenAuthentication`` does when the database cannot be reached."""

    def authenticate_credentials(self, key):
        raise OperationalError("connection refused")


async def test_credentials_that_cannot_be_checked_close_with_1013_not_4401(alice_token):
    """A failing check (the database is down) is "try again later" (1013), not "log in
    again" (4401), and not a server error."""
    middleware = TokenAuthMiddleware(WhoAmI.as_asgi(), [DatabaseDownAuthentication])
    closing, _ = await refused(middleware, f"/ws/?token={alice_token}")
    assert closing == {"type": "websocket.close", "code": WS_1013_TRY_AGAIN_LATER}
