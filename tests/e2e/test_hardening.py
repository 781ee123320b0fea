"""The demo under uvicorn: token authentication in the handshake, and the frame size limit."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import prepare_demo_database
from tests.e2e.servers import Server, request, run_server

pytestmark = pytest.mark.e2e

TIMEOUT = 10


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """The demo server and the API token of "user 1" (created by ``seed_demo``)."""
    database = tmp_path_factory.mktemp("demo-hardening") / "demo.sqlite3"
    env = prepare_demo_database(database)
    with sqlite3.connect(database) as connection:
        (token,) = connection.execute(
            "SELECT key FROM authtoken_token JOIN auth_user ON auth_user.id = user_id "
            "WHERE username = 'user 1'"
        ).fetchone()
    with run_server(env=env) as server:
        yield server, token


async def test_a_token_subprotocol_is_accepted_by_a_real_client(demo):
    """A client offering ``["token", key]`` gets "token" back, as browsers require."""
    server, token = demo
    async with websockets.connect(server.ws_url(), subprotocols=["token", token]) as ws:
        assert ws.subprotocol == "token"
        answer = await request(ws, {"action": "retrieve", "pk": 1, "request_id": 1})
        assert answer["response_status"] == 200


async def test_a_token_in_the_query_string_connects(demo):
    """``?token=<key>`` opens a working socket."""
    server, token = demo
    async with websockets.connect(server.ws_url(f"/ws/?token={token}")) as ws:
        answer = await request(ws, {"action": "list", "request_id": 1})
        assert answer["response_status"] == 200


@pytest.mark.parametrize("place", ["query", "header", "subprotocol"])
async def test_a_bad_token_is_closed_with_4401(demo, place):
    """An unknown token ends the connection with close code 4401 right after the handshake."""
    server, _ = demo
    bad = "f" * 40
    options: dict = {}
    url = server.ws_url(f"/ws/?token={bad}" if place == "query" else "/ws/")
    if place == "header":
        options["additional_headers"] = {"Authorization": f"Token {bad}"}
    if place == "subprotocol":
        options["subprotocols"] = ["token", bad]
    async with websockets.connect(url, **options) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert closed.value.rcvd.code == 4401


async def test_anonymous_clients_still_use_the_demo(demo):
    """Without a token the demo's AllowAny consumer answers as before."""
    server, _ = demo
    async with websockets.connect(server.ws_url()) as ws:
        answer = await request(ws, {"action": "retrieve", "pk": 2, "request_id": 1})
        assert answer["response_status"] == 200


async def test_a_2_mib_frame_gets_413_and_the_socket_stays_usable(demo):
    """uvicorn accepts frames up to 16 MiB; ours stops at MAX_MESSAGE_SIZE (1 MiB) with a 413."""
    server, _ = demo
    async with websockets.connect(server.ws_url(), max_size=None) as ws:
        big = json.dumps({"action": "retrieve", "pk": 1, "padding": "x" * (2 * 1024 * 1024)})
        answer = await request(ws, big)
        assert answer == {
            "errors": ["Message too large."],
            "data": None,
            "action": None,
            "response_status": 413,
            "request_id": None,
        }
        answer = await request(ws, b"\x00" * (2 * 1024 * 1024))
        assert answer["response_status"] == 413
        after = await request(ws, {"action": "retrieve", "pk": 1, "request_id": "after"})
        assert after["response_status"] == 200


@pytest.mark.parametrize("token", ["Ā", "中文😀", "%FF%FE", "é" * 40, "\u2028"])
async def test_a_token_outside_latin_1_in_the_query_string_is_4401_not_a_500(demo, token):
    """Under uvicorn a query-string token of any text ends in 4401, with nothing in the
    server's error log (it used to be HTTP 500 and "Exception in ASGI application")."""
    server, _ = demo
    url = server.ws_url("/ws/?token=" + (token if "%" in token else quote(token)))
    async with websockets.connect(url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert closed.value.rcvd.code == 4401
    assert "Exception in ASGI application" not in server.output()


async def test_deep_nesting_and_a_huge_offset_are_400s_under_uvicorn(demo):
    """A frame of 5,000 nested lists and an ``offset`` beyond 64 bits each get a 400 reply
    (a huge ``limit`` is clamped to the demo's ``max_limit``); the socket stays usable and
    the server logs no traceback."""
    server, _ = demo
    async with websockets.connect(server.ws_url()) as ws:
        deep = '{"action":"list","request_id":' + "[" * 5000 + "]" * 5000 + "}"
        answer = await request(ws, deep)
        assert (answer["response_status"], answer["request_id"]) == (400, None)
        message = {"action": "list", "limit": 5, "offset": 10**30, "request_id": 2}
        answer = await request(ws, message)
        assert (answer["response_status"], answer["request_id"]) == (400, 2)
        answer = await request(ws, {"action": "list", "limit": 10**30, "request_id": 3})
        assert (answer["response_status"], answer["data"]["limit"]) == (200, 100)
        after = await request(ws, {"action": "retrieve", "pk": 1, "request_id": "after"})
        assert after["response_status"] == 200
    assert "Traceback" not in server.output()
