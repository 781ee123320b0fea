"""``scope_utils``: a Django request built from a WebSocket scope, and ``ensure_async``."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest

from djangochannelsrestframework.scope_utils import ensure_async, request_from_scope

SCOPE = {
    "type": "websocket",
    "path": "/ws/room/",
    "query_string": b"a=1&b=2&b=3&name=caf%C3%A9",
    "headers": [
        (b"host", b"example.com"),
        (b"x-custom-header", "café".encode("latin-1")),
        (b"authorization", b"Token abc"),
        (b"content-type", b"text/plain"),
    ],
    "server": ("127.0.0.1", 8000),
    "client": ("10.0.0.1", 54321),
}


def test_scope_utils_module_exposes_the_13_names():
    """``ensure_async`` and ``request_from_scope`` are importable from ``scope_utils``."""
    assert callable(ensure_async)
    assert callable(request_from_scope)


def test_request_is_an_http_request_with_the_path():
    """The request is a Django ``HttpRequest`` whose path is the scope's path."""
    request = request_from_scope(SCOPE)
    assert isinstance(request, HttpRequest)
    assert request.path == "/ws/room/"
    assert request.path_info == "/ws/room/"


def test_headers_are_http_meta_keys_decoded_as_latin1():
    """Headers land in ``META`` as ``HTTP_*`` keys, decoded as latin-1 (as ASGI specifies)."""
    request = request_from_scope(SCOPE)
    assert request.META["HTTP_HOST"] == "example.com"
    assert request.META["HTTP_X_CUSTOM_HEADER"] == "café"
    assert request.META["HTTP_AUTHORIZATION"] == "Token abc"
    assert request.headers["X-Custom-Header"] == "café"
    assert request.headers["Authorization"] == "Token abc"


def test_content_type_header_uses_the_cgi_key():
    """``content-type`` goes to ``CONTENT_TYPE`` (no ``HTTP_`` prefix), as in Django."""
    request = request_from_scope(SCOPE)
    assert request.META["CONTENT_TYPE"] == "text/plain"


def test_headers_keep_their_13_raw_names_too():
    """1.3 stored headers under their raw lower-case names; those keys still exist."""
    request = request_from_scope(SCOPE)
    assert request.META["x-custom-header"] == "café"


def test_request_accepts_json():
    """The request says it sends and accepts JSON, as in 1.3."""
    request = request_from_scope(SCOPE)
    assert request.META["HTTP_ACCEPT"] == "application/json"
    assert request.META["HTTP_CONTENT_TYPE"] == "application/json"


def test_query_string_is_parsed_into_get():
    """The handshake's query string becomes ``request.GET`` (1.3 ignored it)."""
    request = request_from_scope(SCOPE)
    assert request.GET["a"] == "1"
    assert request.GET.getlist("b") == ["2", "3"]
    assert request.GET["name"] == "café"
    assert request.META["QUERY_STRING"] == "a=1&b=2&b=3&name=caf%C3%A9"


def test_server_and_client_addresses_are_in_meta():
    """``server`` and ``client`` from the scope fill ``SERVER_*`` and ``REMOTE_ADDR``."""
    request = request_from_scope(SCOPE)
    assert request.META["SERVER_NAME"] == "127.0.0.1"
    assert request.META["SERVER_PORT"] == "8000"
    assert request.META["REMOTE_ADDR"] == "10.0.0.1"


def test_missing_user_is_an_anonymous_user_instance():
    """Without a user in the scope, ``request.user`` is an ``AnonymousUser`` *instance*."""
    request = request_from_scope({"type": "websocket"})
    assert isinstance(request.user, AnonymousUser)
    assert request.user.is_authenticated is False


@pytest.mark.django_db
def test_user_comes_from_the_scope():
    """``request.user`` is ``scope["user"]``."""
    user = get_user_model().objects.create(username="u")
    assert request_from_scope({"type": "websocket", "user": user}).user == user


def test_cookies_come_from_the_scope():
    """``scope["cookies"]`` (set by Channels' cookie middleware) becomes ``request.COOKIES``."""
    request = request_from_scope({"type": "websocket", "cookies": {"sessionid": "abc"}})
    assert request.COOKIES == {"sessionid": "abc"}


def test_session_comes_from_the_scope():
    """``scope["session"]`` becomes ``request.session``."""
    session = SessionStore()
    assert request_from_scope({"type": "websocket", "session": session}).session is session


def test_a_minimal_scope_is_enough():
    """A scope with no path, headers or query string still gives a usable request."""
    request = request_from_scope({"type": "websocket"})
    assert request.path == ""
    assert dict(request.GET) == {}
    assert request.COOKIES == {}


async def test_ensure_async_returns_coroutine_functions_unchanged():
    """``ensure_async`` hands back an async function as it is."""

    async def handler():
        return 1

    assert ensure_async(handler) is handler


async def test_ensure_async_runs_sync_functions_in_a_worker_thread():
    """A sync function becomes awaitable and runs outside the event loop's thread."""

    def handler(value):
        return value, threading.get_ident()

    value, thread = await ensure_async(handler)(5)
    assert value == 5
    assert thread != threading.get_ident()


def test_absolute_urls_work_without_host_header_or_server(settings):
    """A scope with neither a Host header nor a server address still builds absolute URLs."""
    settings.ALLOWED_HOSTS = ["localhost"]
    request = request_from_scope({"type": "websocket", "path": "/ws/", "headers": []})
    assert request.build_absolute_uri("/users/1/") == "http://localhost/users/1/"


def test_a_secure_socket_builds_https_urls(settings):
    """On ``wss`` the request is secure, so absolute URLs use https."""
    settings.ALLOWED_HOSTS = ["example.com"]
    scope = {"type": "websocket", "scheme": "wss", "headers": [(b"host", b"example.com")]}
    request = request_from_scope(scope)
    assert request.is_secure()
    assert request.build_absolute_uri("/x/") == "https://example.com/x/"
