"""The demo's ``UserConsumer`` served by uvicorn, driven by a real WebSocket client."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
import websockets

from djangochannelsrestframework.protocol import envelope
from tests.e2e.conftest import prepare_demo_database
from tests.e2e.servers import Server, receive, request, run_server

pytestmark = pytest.mark.e2e

TIMEOUT = 10
SEEDED = [
    {"id": 1, "username": "user 1", "email": "1@example.com"},
    {"id": 2, "username": "user 2", "email": "2@example.com"},
    {"id": 3, "username": "user 3", "email": "3@example.com"},
]


def reply(action: Any, status: int, data: Any = None, errors: Any = (), request_id: Any = None):
    """The full envelope expected from the server."""
    return envelope(action, data=data, errors=list(errors), status=status, request_id=request_id)


async def assert_still_usable(ws) -> None:
    """A normal request on the same socket still gets its normal reply."""
    answer = await request(ws, {"action": "retrieve", "pk": 1, "request_id": "after"})
    assert answer == reply("retrieve", 200, SEEDED[0], request_id="after")


def test_page_and_its_script_are_served(demo_server: Server):
    """The page, its ES module and the client module it imports are served over plain HTTP."""
    with urllib.request.urlopen(demo_server.http_url + "/", timeout=TIMEOUT) as response:
        page = response.read().decode()
    assert response.status == 200
    assert 'id="users"' in page and 'id="create-submit"' in page and 'id="log"' in page
    assert '<script type="module"' in page
    with urllib.request.urlopen(
        demo_server.http_url + "/static/demo/demo.js", timeout=TIMEOUT
    ) as response:
        assert response.status == 200
        assert b'from "./dcrf-client.js"' in response.read()
    with urllib.request.urlopen(
        demo_server.http_url + "/static/demo/dcrf-client.js", timeout=TIMEOUT
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert b"WebSocket" in response.read()


async def test_crud_walkthrough(demo_server: Server):
    """list, retrieve, patch, update, create and delete answer 200/200/200/200/201/204."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        assert await request(ws, {"action": "list", "request_id": 1}) == reply(
            "list", 200, SEEDED, request_id=1
        )
        assert await request(ws, {"action": "retrieve", "pk": 2, "request_id": 2}) == reply(
            "retrieve", 200, SEEDED[1], request_id=2
        )
        patched = {"id": 2, "username": "user 2", "email": "00@example.com"}
        assert await request(
            ws, {"action": "patch", "pk": 2, "data": {"email": "00@example.com"}, "request_id": 3}
        ) == reply("patch", 200, patched, request_id=3)
        assert await request(
            ws, {"action": "update", "pk": 2, "data": {"username": "user 2"}, "request_id": 4}
        ) == reply("update", 200, patched, request_id=4)

        created = await request(
            ws,
            {
                "action": "create",
                "data": {
                    "username": "new user 4",
                    "password1": "xyz-secret-1",
                    "password2": "xyz-secret-1",
                    "email": "4@example.com",
                },
                "request_id": 5,
            },
        )
        new_id = created["data"]["id"]
        assert isinstance(new_id, int) and new_id not in (1, 2, 3)
        assert created == reply(
            "create",
            201,
            {"id": new_id, "username": "new user 4", "email": "4@example.com"},
            request_id=5,
        )
        assert await request(ws, {"action": "delete", "pk": new_id, "request_id": 6}) == reply(
            "delete", 204, None, request_id=6
        )
        assert await request(ws, {"action": "retrieve", "pk": new_id, "request_id": 7}) == reply(
            "retrieve", 404, errors=["Not found"], request_id=7
        )
        # Put user 2 back as seeded, for the other tests of this module.
        assert (
            await request(ws, {"action": "patch", "pk": 2, "data": {"email": "2@example.com"}})
        )["response_status"] == 200


async def test_request_id_may_be_any_json_value(demo_server: Server):
    """request_id is echoed as sent, whether a string, an object or absent."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        for request_id in ("abc", {"n": [1, 2]}, 0):
            answer = await request(ws, {"action": "retrieve", "pk": 3, "request_id": request_id})
            assert answer == reply("retrieve", 200, SEEDED[2], request_id=request_id)
        answer = await request(ws, {"action": "retrieve", "pk": 3})
        assert answer == reply("retrieve", 200, SEEDED[2])


async def test_non_json_text_is_a_400(demo_server: Server):
    """A text frame that is not JSON gets a 400 and the socket stays open."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(ws, "this is not json")
        assert answer["response_status"] == 400
        assert answer["action"] is None and answer["data"] is None
        assert answer["request_id"] is None
        assert len(answer["errors"]) == 1 and answer["errors"][0].startswith("Invalid JSON")
        await assert_still_usable(ws)


async def test_binary_frame_is_a_400(demo_server: Server):
    """A binary frame gets a 400 and the socket stays open."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(ws, b'{"action": "list"}')
        assert answer == reply(
            None, 400, errors=["Binary frames are not supported; send JSON text."]
        )
        await assert_still_usable(ws)


async def test_json_that_is_not_an_object_is_a_400(demo_server: Server):
    """JSON arrays, strings, numbers and null get a 400 and the socket stays open."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        for text in ("[1, 2]", '"list"', "42", "null"):
            answer = await request(ws, text)
            assert answer == reply(
                None, 400, errors=['Expected a JSON object with an "action" key.']
            ), text
        await assert_still_usable(ws)


async def test_missing_action_is_a_405(demo_server: Server):
    """A message without "action" gets the 1.3 405 reply with the request_id echoed."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(ws, {"pk": 1, "request_id": 9})
        assert answer == reply(
            None, 405, errors=["Unable to find action in message body."], request_id=9
        )
        await assert_still_usable(ws)


async def test_unknown_action_is_a_405(demo_server: Server):
    """An action the consumer does not have gets 405 "Method ... not allowed."."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(ws, {"action": "nope", "request_id": 10})
        assert answer == reply("nope", 405, errors=['Method "nope" not allowed.'], request_id=10)
        await assert_still_usable(ws)


async def test_non_string_action_is_a_400(demo_server: Server):
    """A number, list or object as the action gets a 400."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        for action in (5, ["list"], {"name": "list"}):
            answer = await request(ws, {"action": action, "request_id": 11})
            assert answer == reply(
                None, 400, errors=['"action" must be a string.'], request_id=11
            ), action
        await assert_still_usable(ws)


async def test_retrieve_without_pk_is_a_400(demo_server: Server):
    """retrieve without its lookup key gets a 400 naming the key."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(ws, {"action": "retrieve", "request_id": 12})
        assert answer == reply("retrieve", 400, errors=['Missing lookup key "pk".'], request_id=12)
        await assert_still_usable(ws)


async def test_create_without_data_is_a_400(demo_server: Server):
    """create without "data" gets a 400 naming the missing key."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(ws, {"action": "create", "request_id": 13})
        assert answer == reply(
            "create", 400, errors=['Missing required key "data".'], request_id=13
        )
        await assert_still_usable(ws)


async def test_data_that_is_not_an_object_is_a_400(demo_server: Server):
    """A list as "data" gets DRF's non_field_errors reply."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(ws, {"action": "create", "data": [1, 2], "request_id": 14})
        assert answer == reply(
            "create",
            400,
            errors=[{"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}],
            request_id=14,
        )
        await assert_still_usable(ws)


async def test_serializer_errors_are_a_400(demo_server: Server):
    """Differing passwords and a taken username are reported per field."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(
            ws,
            {
                "action": "create",
                "data": {"username": "someone", "password1": "a-1", "password2": "b-2"},
                "request_id": 15,
            },
        )
        assert answer == reply(
            "create", 400, errors=[{"password2": ["The two passwords differ."]}], request_id=15
        )
        answer = await request(
            ws, {"action": "create", "data": {"username": "user 1"}, "request_id": 16}
        )
        assert answer == reply(
            "create", 400, errors=[{"username": ["This field must be unique."]}], request_id=16
        )
        await assert_still_usable(ws)


async def test_pk_of_the_wrong_type_is_a_404(demo_server: Server):
    """A pk that cannot be an integer ("abc") is simply not found."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(ws, {"action": "retrieve", "pk": "abc", "request_id": 17})
        assert answer == reply("retrieve", 404, errors=["Not found"], request_id=17)
        await assert_still_usable(ws)


async def test_reserved_key_is_a_400(demo_server: Server):
    """A message key that would collide with a dispatch parameter ("scope") gets a 400."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        answer = await request(ws, {"action": "list", "scope": {}, "request_id": 18})
        assert answer == reply(
            "list", 400, errors=['Message key "scope" is reserved.'], request_id=18
        )
        await assert_still_usable(ws)


async def test_pipelined_requests_are_answered_in_order(demo_server: Server):
    """Twenty requests sent without waiting get twenty replies, in order, with their ids."""
    async with websockets.connect(demo_server.ws_url()) as ws:
        messages = [
            {"action": "retrieve", "pk": n % 3 + 1, "request_id": f"p{n}"}
            if n % 4
            else {"action": "list", "request_id": f"p{n}"}
            for n in range(20)
        ]
        for message in messages:
            await ws.send(json.dumps(message))
        answers = [await receive(ws) for _ in messages]
        assert [a["request_id"] for a in answers] == [m["request_id"] for m in messages]
        for message, answer in zip(messages, answers, strict=True):
            if message["action"] == "list":
                assert answer == reply("list", 200, SEEDED, request_id=message["request_id"])
            else:
                expected = SEEDED[message["pk"] - 1]
                assert answer == reply("retrieve", 200, expected, request_id=message["request_id"])


@pytest.mark.redis
async def test_two_servers_share_the_database_and_redis(
    tmp_path: Path, redis_url: str, redis_layer: str
):
    """Two demo processes on a Redis channel layer serve the same data side by side."""
    env = prepare_demo_database(tmp_path / "shared.sqlite3")
    env |= {
        "DCRF_CHANNEL_LAYER": redis_layer,
        "DCRF_REDIS_URL": redis_url,
        "DCRF_REDIS_PREFIX": f"dcrf-test-{uuid.uuid4().hex[:12]}",
    }
    with run_server(env=env) as first, run_server(env=env) as second:
        assert first.port != second.port
        async with (
            websockets.connect(first.ws_url()) as ws1,
            websockets.connect(second.ws_url()) as ws2,
        ):
            created = await request(
                ws1, {"action": "create", "data": {"username": "shared"}, "request_id": 1}
            )
            assert created["response_status"] == 201
            listed = await request(ws2, {"action": "list", "request_id": 2})
            assert [user["username"] for user in listed["data"]] == [
                "user 1",
                "user 2",
                "user 3",
                "shared",
            ]
