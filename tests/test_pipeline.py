"""The request pipeline of ``AsyncAPIConsumer``, step by step: parse, check, run, finalize.

Each step is a method a subclass may override; these tests call the steps directly (no
connection) and then check that a whole request goes through them.
"""

import pytest
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.exceptions import (
    ActionMissingException,
    InvalidMessage,
    MessageTooLarge,
)
from djangochannelsrestframework.permissions import BasePermission
from djangochannelsrestframework.protocol import envelope
from djangochannelsrestframework.testing import connected

pytestmark = pytest.mark.django_db(transaction=True)


class DenyForbidden(BasePermission):
    async def has_permission(self, scope, consumer, action, **kwargs):
        return action != "forbidden"


class Steps(AsyncAPIConsumer):
    """Records what it would send instead of sending it."""

    permission_classes = [DenyForbidden]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = {"type": "websocket", "path": "/ws/"}
        self.sent = []

    async def send_json(self, content, close=False):
        self.sent.append(content)

    @action()
    async def add(self, a, b, **kwargs):
        return a + b, 200

    @action()
    async def quiet(self, **kwargs):
        return None

    @action()
    async def fail(self, **kwargs):
        raise PermissionDenied()


# Parse -------------------------------------------------------------------------------------


async def test_parse_frame_decodes_json_text():
    """``parse_frame`` returns the decoded JSON of a text frame."""
    assert await Steps().parse_frame('{"action": "add"}', None) == {"action": "add"}


@pytest.mark.parametrize(
    ("text", "data", "error"),
    [
        (None, b"{}", InvalidMessage),
        ("{not json", None, InvalidMessage),
        ("x" * (1024 * 1024 + 1), None, MessageTooLarge),
    ],
)
async def test_parse_frame_raises_typed_errors(text, data, error):
    """Binary frames and bad JSON raise ``InvalidMessage``; frames over the size limit
    raise ``MessageTooLarge``."""
    with pytest.raises(error):
        await Steps().parse_frame(text, data)


async def test_parse_request_splits_the_action_from_its_arguments():
    """``parse_request`` returns the action name and the remaining keys."""
    assert await Steps().parse_request({"action": "add", "a": 1, "b": 2}) == (
        "add",
        {"a": 1, "b": 2},
    )


@pytest.mark.parametrize(
    ("content", "error"),
    [([1, 2], InvalidMessage), ({"a": 1}, ActionMissingException), ({"action": 3}, InvalidMessage)],
)
async def test_parse_request_raises_typed_errors(content, error):
    """A message that is not an object, has no action or a non-string action raises the
    exception that becomes its error reply."""
    with pytest.raises(error):
        await Steps().parse_request(content)


# Check -------------------------------------------------------------------------------------


async def test_check_request_asks_permissions_before_looking_the_action_up():
    """A refused unknown action is a 403, not a 405: the action table is not revealed."""
    with pytest.raises(PermissionDenied):
        await Steps().check_request("forbidden", {})


async def test_check_request_refuses_unknown_actions():
    """An allowed action that does not exist raises ``MethodNotAllowed``."""
    with pytest.raises(MethodNotAllowed):
        await Steps().check_request("missing", {})


async def test_check_request_checks_the_arguments_last():
    """Keys that do not fit the action's signature raise ``InvalidMessage`` naming them."""
    with pytest.raises(InvalidMessage, match='Missing required key "b"'):
        await Steps().check_request("add", {"a": 1})


# Run and finalize ----------------------------------------------------------------------------


async def test_run_action_returns_the_result_and_sends_nothing():
    """``run_action`` checks and calls the action; replying is ``finalize``'s job."""
    consumer = Steps()
    assert await consumer.run_action("add", 7, {"a": 1, "b": 2}) == (3, 200)
    assert consumer.sent == []


async def test_finalize_turns_a_result_into_one_reply():
    """A ``(data, status)`` result becomes one reply envelope with the request id."""
    consumer = Steps()
    await consumer.finalize("add", 7, consumer.run_action("add", 7, {"a": 1, "b": 2}))
    assert consumer.sent == [envelope("add", data=3, status=200, request_id=7)]


async def test_finalize_turns_an_exception_into_one_error_reply():
    """An exception from the work becomes its error reply (here a 403)."""
    consumer = Steps()
    await consumer.finalize("fail", 7, consumer.run_action("fail", 7, {}))
    assert [(m["response_status"], m["request_id"]) for m in consumer.sent] == [(403, 7)]


async def test_finalize_sends_nothing_for_a_none_result():
    """An action returning ``None`` (it replied itself, or not at all) sends nothing."""
    consumer = Steps()
    await consumer.finalize("quiet", 7, consumer.run_action("quiet", 7, {}))
    assert consumer.sent == []


class Finalized(AsyncAPIConsumer):
    """Counts what reaches ``finalize``."""

    results = []

    async def finalize(self, action, request_id, work):
        async def recorded():
            result = await work
            self.results.append((action, result))
            return result

        await super().finalize(action, request_id, recorded())

    @action()
    async def now(self, **kwargs):
        return "now", 200

    @action(detached=True)
    async def later(self, **kwargs):
        return "later", 200


async def test_plain_and_detached_actions_end_in_finalize():
    """``finalize`` is the one exit: a detached action's request ends there at once (with
    ``None``: nothing to send yet), and its task's result goes through it when it is done."""
    Finalized.results = []
    async with connected(Finalized) as client:
        assert (await client.request(action="now"))["data"] == "now"
        assert (await client.request(action="later"))["data"] == "later"
    assert Finalized.results == [
        ("now", ("now", 200)),
        ("later", None),
        ("later", ("later", 200)),
    ]


class Overridden(AsyncAPIConsumer):
    """``run_action`` overridden: every request answers with its action's name."""

    async def run_action(self, action, request_id, arguments):
        return {"ran": action, **arguments}, 200


async def test_handle_action_runs_an_overridden_run_action():
    """``handle_action`` (the 1.3 override point) is ``finalize(run_action(...))``."""
    async with connected(Overridden) as client:
        reply = await client.request(action="anything", x=1)
    assert (reply["data"], reply["response_status"]) == ({"ran": "anything", "x": 1}, 200)
