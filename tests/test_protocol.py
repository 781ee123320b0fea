"""The wire protocol named once: the reply envelope, reserved keys and close codes."""

from djangochannelsrestframework import protocol
from djangochannelsrestframework.protocol import RESERVED_MESSAGE_KEYS, Envelope, envelope


def test_envelope_has_the_five_keys_in_13_order():
    """An envelope has ``errors``, ``data``, ``action``, ``response_status``, ``request_id``."""
    reply = envelope(action="list", data=[1], errors=[], status=200, request_id=3)
    assert list(reply) == ["errors", "data", "action", "response_status", "request_id"]
    assert reply == {
        "errors": [],
        "data": [1],
        "action": "list",
        "response_status": 200,
        "request_id": 3,
    }


def test_envelope_defaults():
    """By default an envelope is a 200 with no data, no errors and a null request id."""
    assert envelope(action="x") == {
        "errors": [],
        "data": None,
        "action": "x",
        "response_status": 200,
        "request_id": None,
    }


def test_errors_none_becomes_an_empty_list():
    """``errors=None`` is sent as ``[]``: 1.3 never sends ``null`` errors."""
    assert envelope(action=None, errors=None)["errors"] == []


def test_envelope_type_names_the_same_keys():
    """The ``Envelope`` type declares exactly the envelope's keys."""
    assert list(Envelope.__annotations__) == list(envelope(action=None))


def test_reserved_keys_are_the_dispatch_parameter_names():
    """``self``, ``scope`` and ``consumer`` cannot be message keys."""
    assert frozenset({"self", "scope", "consumer"}) == RESERVED_MESSAGE_KEYS


def test_close_codes_are_named_constants():
    """Close codes have names with their RFC 6455 / private-range numbers."""
    assert protocol.WS_1000_NORMAL_CLOSURE == 1000
    assert protocol.WS_1008_POLICY_VIOLATION == 1008
    assert protocol.WS_1011_INTERNAL_ERROR == 1011
    assert 4000 <= protocol.WS_4401_UNAUTHORIZED < 5000
    assert 4000 <= protocol.WS_4429_TOO_MANY_PENDING < 5000
