"""Fuzzing: whatever a client sends, every frame gets exactly one well-formed reply.

Hypothesis generates text frames, binary frames, arbitrary JSON and structurally valid
requests with values of the wrong types, and sends them in batches over one connection
per example to a consumer with every CRUD action, instance subscriptions and a paginated
list. For each frame: one reply with the five envelope keys, ``errors`` a list, an
integer status that is never 500, the request id echoed; nothing is logged at ERROR; and
the table changes only through successful creates and deletes. The module sends well over
10,000 frames.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.limits import encoded_size, nesting_exceeds
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    DeleteModelMixin,
    PaginatedModelListMixin,
    PatchModelMixin,
    UpdateModelMixin,
)
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination
from djangochannelsrestframework.settings import api_settings
from tests.app.models import Note
from tests.app.serializers import NoteSerializer

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)

ENVELOPE_KEYS = ["errors", "data", "action", "response_status", "request_id"]
#: Frames sent by each test, to check the module's total at the end.
FRAMES_SENT: dict[str, int] = {}
#: (action, status) pairs seen, printed at the end to show which paths were reached.
OUTCOMES: Counter[tuple[Any, int]] = Counter()
FUZZ_SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: ``DCRF_FUZZ_SCALE=10`` runs ten times the examples (see ``HYPOTHESIS_PROFILE`` in conftest).
FUZZ_SCALE = float(os.environ.get("DCRF_FUZZ_SCALE", "1"))


def examples(count: int) -> int:
    """The number of examples for a test that runs ``count`` at the default scale."""
    return max(1, round(count * FUZZ_SCALE))


class ThreePerPage(WebsocketLimitOffsetPagination):
    default_limit = 3
    max_limit = 10


class FuzzedNoteConsumer(
    ObserverModelInstanceMixin,
    PaginatedModelListMixin,
    CreateModelMixin,
    UpdateModelMixin,
    PatchModelMixin,
    DeleteModelMixin,
    GenericAsyncAPIConsumer,
):
    """Every CRUD action, subscriptions and a paginated list on ``Note``."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    pagination_class = ThreePerPage
    # Subscribers read changes themselves, so this consumer adds no work to other tests'
    # saves of notes.
    observer_serialize_once = False


ACTIONS = sorted(FuzzedNoteConsumer.available_actions)

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
NOTE_FIELDS = st.sampled_from(["id", "title", "body", "owner", "pk", "x"])
NOTE_DATA = st.dictionaries(NOTE_FIELDS, JSON_VALUES | st.text(max_size=120), max_size=4)


class Recorder(logging.Handler):
    """Collects ERROR records of the library's loggers."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def acount() -> int:
    return await Note.objects.acount()


def is_event(message: dict[str, Any], subscriptions: list[Any]) -> bool:
    """An observer delivery to one of this connection's subscriptions (not a reply)."""
    return message["action"] in ("update", "delete") and message["request_id"] in subscriptions


async def exchange(frames: list[dict[str, Any]], test_name: str) -> None:
    """Send each frame and check its one reply; keep the table consistent throughout."""
    FRAMES_SENT[test_name] = FRAMES_SENT.get(test_name, 0) + len(frames)
    recorder = Recorder()
    library_logger = logging.getLogger("djangochannelsrestframework")
    library_logger.addHandler(recorder)
    communicator = WebsocketCommunicator(FuzzedNoteConsumer.as_asgi(), "/ws/")
    try:
        connected, _ = await communicator.connect()
        assert connected
        expected_rows = await acount()
        subscriptions: list[Any] = []
        for frame in frames:
            frame = await with_existing_pk(frame)
            # send_input, not send_to: empty frames are frames too.
            kind = "bytes" if "bytes" in frame else "text"
            await communicator.send_input({"type": "websocket.receive", kind: frame[kind]})
            reply = await communicator.receive_json_from(timeout=5)
            while frame.get("action") not in ("update", "delete") and is_event(
                reply, subscriptions
            ):
                reply = await communicator.receive_json_from(timeout=5)
            check_reply(reply, frame)
            status = reply["response_status"]
            OUTCOMES[(reply["action"], status)] += 1
            if frame.get("action") == "subscribe_instance" and status == 201:
                subscriptions.append(frame["request_id"])
            if frame.get("action") == "create" and status == 201:
                expected_rows += 1
            if frame.get("action") == "delete" and status == 204:
                expected_rows -= 1
            if (
                subscriptions
                and status in (200, 204)
                and frame.get("action")
                in (
                    "update",
                    "patch",
                    "delete",
                )
            ):
                # A write to a subscribed note is followed by its delivery: drain it.
                while not await communicator.receive_nothing(timeout=0.05):
                    assert is_event(await communicator.receive_json_from(), subscriptions)
            assert await acount() == expected_rows
        await communicator.disconnect()
    finally:
        library_logger.removeHandler(recorder)
    assert [r.getMessage() for r in recorder.records] == []


EXISTING = "__index_of_an_existing_pk__"


async def with_existing_pk(frame: dict[str, Any]) -> dict[str, Any]:
    """Give a plausible request the primary key of a row that exists right now."""
    message = frame.get("message")
    if not isinstance(message, dict) or EXISTING not in message:
        return frame
    index = message.pop(EXISTING)
    pks = [pk async for pk in Note.objects.values_list("pk", flat=True)]
    if pks:
        message["pk"] = pks[index % len(pks)]
    return json_frame(message)


def check_reply(reply: dict[str, Any], frame: dict[str, Any]) -> None:
    """The reply is one envelope, never a 500; its request id is the frame's."""
    assert list(reply) == ENVELOPE_KEYS
    assert isinstance(reply["errors"], list)
    status = reply["response_status"]
    assert isinstance(status, int) and not isinstance(status, bool)
    assert status != 500, reply
    if status >= 400:
        assert reply["errors"], reply
    if frame.get("too_large"):
        assert status == 413
        return
    if frame.get("unechoed"):
        assert (status, reply["request_id"]) == (400, None), reply
    elif "request_id" in frame:
        assert reply["request_id"] == frame["request_id"]
    if "action" in frame and isinstance(frame["action"], str) and status != 400:
        assert reply["action"] == frame["action"]


def text_frame(text: str) -> dict[str, Any]:
    return {"text": text}


def json_frame(value: Any) -> dict[str, Any]:
    """The frame for ``value``; a request id over a bound (or in a message nested too deeply)
    is not echoed: such frames are answered 400 with ``request_id: null``."""
    frame: dict[str, Any] = {"text": json.dumps(value), "message": value}
    if isinstance(value, dict):
        frame.update({k: value[k] for k in ("request_id", "action") if k in value})
        too_deep = nesting_exceeds(value, api_settings.MAX_JSON_DEPTH)
        too_large = encoded_size(value.get("request_id")) > api_settings.MAX_REQUEST_ID_SIZE
        if too_deep or too_large:
            frame["unechoed"] = True
    return frame


@st.composite
def requests(draw: Any, existing: tuple[int, ...] = (1, 2, 3)) -> dict[str, Any]:
    """A request with a real action name and the usual keys, holding any JSON values."""
    message: dict[str, Any] = {"action": draw(st.sampled_from([*ACTIONS, "nope"]))}
    keys = draw(st.sets(st.sampled_from(["pk", "data", "request_id", "limit", "offset", "query"])))
    for key in keys:
        if key == "pk":
            message[key] = draw(st.sampled_from(existing) | JSON_VALUES)
        elif key == "data":
            message[key] = draw(NOTE_DATA | JSON_VALUES)
        elif key == "request_id":
            message[key] = draw(st.integers(0, 50) | JSON_VALUES)
        elif key in ("limit", "offset"):
            message[key] = draw(st.integers(-5, 20) | JSON_VALUES)
        else:
            message[key] = draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3))
    if draw(st.booleans()) and draw(st.booleans()):
        message[draw(st.text(min_size=1, max_size=8))] = draw(JSON_VALUES)
    return message


def plausible_requests() -> st.SearchStrategy[dict[str, Any]]:
    """Well-formed requests on likely primary keys, so success paths (and the observer
    deliveries they cause) are reached too."""
    return st.fixed_dictionaries(
        {
            "action": st.sampled_from(ACTIONS),
            EXISTING: st.integers(0, 10),
            "request_id": st.integers(0, 1000),
        },
        optional={
            "data": st.fixed_dictionaries(
                {"title": st.text(min_size=1, max_size=100)}, optional={"body": st.text()}
            ),
            "limit": st.integers(0, 12),
            "offset": st.integers(0, 12),
        },
    )


@pytest.fixture
def notes():
    """A few notes to hit with real primary keys (ids 1-3 on a fresh table)."""
    Note.objects.bulk_create([Note(title=f"note {n}") for n in range(3)])


JSONISH_TEXT = st.text(
    alphabet=st.sampled_from('{}[]",: 0123456789.-eE+actionpkdrequst_inf\\/'), max_size=80
)


@settings(FUZZ_SETTINGS, max_examples=examples(150))
@given(frames=st.lists(st.text(max_size=200) | JSONISH_TEXT, min_size=10, max_size=30))
def test_any_text_frame_gets_one_reply(notes, frames):
    """Arbitrary text, JSON-looking or not, is answered once and never with a 500."""
    async_to_sync(exchange)([text_frame(text) for text in frames], "text")


@settings(FUZZ_SETTINGS, max_examples=examples(60))
@given(frames=st.lists(st.binary(max_size=200), min_size=5, max_size=20))
def test_any_binary_frame_gets_one_reply(notes, frames):
    """Binary frames are answered with a 400 each."""
    async_to_sync(exchange)([{"bytes": data} for data in frames], "binary")


@settings(FUZZ_SETTINGS, max_examples=examples(150))
@given(frames=st.lists(JSON_VALUES, min_size=10, max_size=30))
def test_any_json_value_gets_one_reply(notes, frames):
    """Any JSON document (objects with any keys included) is answered once."""
    async_to_sync(exchange)([json_frame(value) for value in frames], "json")


@settings(FUZZ_SETTINGS, max_examples=examples(300))
@given(frames=st.lists(requests() | plausible_requests(), min_size=20, max_size=40))
def test_requests_with_wrong_types_get_one_reply_and_keep_the_table_consistent(notes, frames):
    """Real action names with the usual keys holding any JSON: one reply each, no 500,
    rows change only through successful creates and deletes."""
    async_to_sync(exchange)([json_frame(message) for message in frames], "requests")


@settings(FUZZ_SETTINGS, max_examples=examples(100))
@given(frames=st.lists(requests(), min_size=10, max_size=20))
def test_frames_over_the_size_limit_get_413(notes, frames):
    """With a small MAX_MESSAGE_SIZE, longer frames get the documented 413 and the rest
    are processed as usual."""
    limit = 120
    prepared = []
    for message in frames:
        frame = json_frame(message)
        frame["too_large"] = len(frame["text"].encode()) > limit
        prepared.append(frame)
    with override_settings(DJANGO_CHANNELS_REST_API={"MAX_MESSAGE_SIZE": limit}):
        async_to_sync(exchange)(prepared, "oversized")


# Hostile values (issue 14): deep nesting, numbers beyond 64 bits, text outside latin-1.

#: Characters outside latin-1 (and some that are not printable), for every text field.
NON_LATIN1_TEXT = st.text(
    st.characters(min_codepoint=0x100, codec="utf-8") | st.sampled_from("€中😀\u2028\ufeff"),
    min_size=1,
    max_size=40,
)
HUGE_NUMBERS = (
    st.integers(min_value=2**63, max_value=10**80)
    | st.integers(min_value=-(10**80), max_value=-(2**63) - 1)
    | st.floats(min_value=1e19, max_value=1e300)
    | st.integers(min_value=2**63, max_value=10**40).map(str)
)


def deeply_nested(leaf: Any, depth: int) -> Any:
    for level in range(depth):
        leaf = [leaf] if level % 2 else {"k": leaf}
    return leaf


DEEP_VALUES = st.builds(deeply_nested, JSON_LEAVES, st.integers(30, 400))
HOSTILE_VALUES = NON_LATIN1_TEXT | HUGE_NUMBERS | DEEP_VALUES


@st.composite
def hostile_requests(draw: Any) -> dict[str, Any]:
    """A request whose every field may hold a hostile value, ``query`` values included."""
    message: dict[str, Any] = {"action": draw(st.sampled_from(ACTIONS) | NON_LATIN1_TEXT)}
    for key in draw(st.sets(st.sampled_from(["pk", "data", "request_id", "limit", "offset"]))):
        message[key] = draw(HOSTILE_VALUES | st.integers(1, 3))
    if draw(st.booleans()):
        names = st.sampled_from(["limit", "offset", "search", "ordering", "x"]) | NON_LATIN1_TEXT
        message["query"] = draw(st.dictionaries(names, HOSTILE_VALUES, max_size=3))
    if draw(st.booleans()):
        message["data"] = draw(
            st.dictionaries(NOTE_FIELDS | NON_LATIN1_TEXT, HOSTILE_VALUES, max_size=3)
        )
    return message


@settings(FUZZ_SETTINGS, max_examples=examples(150))
@given(frames=st.lists(hostile_requests(), min_size=10, max_size=25))
def test_hostile_values_in_every_field_get_one_reply(notes, frames):
    """Deep nesting, numbers beyond 64 bits and non-latin-1 text, in the action, the
    lookup, ``data``, paging keys, ``query`` and the request id: one reply each, never a
    500; the socket keeps working."""
    async_to_sync(exchange)([json_frame(message) for message in frames], "hostile")


def test_the_module_sent_at_least_10000_frames():
    """The fuzz tests above sent 10,000 frames or more in total (when all of them ran)."""
    if len(FRAMES_SENT) < 6:
        pytest.skip("only part of the module ran")
    print(f"fuzz frames sent: {sum(FRAMES_SENT.values())} {FRAMES_SENT}")
    print("replies by (action, status):", dict(OUTCOMES.most_common()))
    assert sum(FRAMES_SENT.values()) >= 10_000, FRAMES_SENT
