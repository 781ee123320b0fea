"""``encoders``: frames encode the same with orjson and with the standard library."""

import datetime
import decimal
import json
import uuid

import pytest
from django.utils.translation import gettext_lazy

from djangochannelsrestframework import encoders

VALUES = {
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "decimal": decimal.Decimal("12.50"),
    "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc),
    "naive_datetime": datetime.datetime(2024, 1, 2, 3, 4, 5),
    "date": datetime.date(2024, 1, 2),
    "time": datetime.time(3, 4, 5),
    "lazy": gettext_lazy("This field is required."),
    "text": "héllo ✓",
    "nested": {"list": [1, 2.5, None, True], "int_key": {1: "one"}},
    "big_int": 2**70,
    "non_finite": [float("nan"), float("inf"), {"x": -float("inf")}, 1.5],
}

EXPECTED = {
    "uuid": '"12345678-1234-5678-1234-567812345678"',
    "decimal": "12.5",
    "datetime": '"2024-01-02T03:04:05.678901Z"',
    "naive_datetime": '"2024-01-02T03:04:05"',
    "date": '"2024-01-02"',
    "time": '"03:04:05"',
    "lazy": '"This field is required."',
    "text": '"héllo ✓"',
    "nested": '{"list":[1,2.5,null,true],"int_key":{"1":"one"}}',
    "big_int": "1180591620717411303424",
    "non_finite": '[null,null,{"x":null},1.5]',
}


@pytest.fixture
def without_orjson(monkeypatch):
    """Encode with the standard-library fallback, as when orjson is not installed."""
    monkeypatch.setattr(encoders, "orjson", None)


def test_orjson_is_used_when_installed():
    """With orjson installed (it is in the test environment) the fast path is used."""
    assert encoders.using_orjson()


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_encode_as_drf_would_with_orjson(name):
    """orjson encodes UUIDs, decimals, dates and lazy strings as DRF's encoder does."""
    assert encoders.dumps(VALUES[name]) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(VALUES))
@pytest.mark.usefixtures("without_orjson")
def test_values_encode_the_same_without_orjson(name):
    """The standard-library fallback gives byte-for-byte the same text."""
    assert not encoders.using_orjson()
    assert encoders.dumps(VALUES[name]) == EXPECTED[name]


def test_a_whole_payload_encodes_the_same_both_ways(monkeypatch):
    """A reply mixing every type encodes identically with and without orjson."""
    fast = encoders.dumps(VALUES)
    monkeypatch.setattr(encoders, "orjson", None)
    assert encoders.dumps(VALUES) == fast
    assert json.loads(fast)["decimal"] == 12.5


def test_unencodable_values_raise_type_error():
    """An object that is not JSON data raises ``TypeError`` with orjson."""
    with pytest.raises(TypeError):
        encoders.dumps({"value": object()})


@pytest.mark.usefixtures("without_orjson")
def test_unencodable_values_raise_type_error_without_orjson():
    """An object that is not JSON data raises ``TypeError`` without orjson too."""
    with pytest.raises(TypeError):
        encoders.dumps({"value": object()})


def test_loads_decodes_json_text_and_bytes():
    """``loads`` accepts text and bytes."""
    assert encoders.loads('{"a": [1, "é"]}') == {"a": [1, "é"]}
    assert encoders.loads(b'{"a": 1}') == {"a": 1}


INVALID_JSON = [
    "{not json",
    "",
    "[1,",
    "NaN",
    '{"a": Infinity}',
    "1e400",
    '{"a": -1e999}',
    "[1e400, 12345678901234567890]",
]
WIDE_INTEGERS = [2**63, -(2**63) - 1, 2**64, 10**30, -(10**40)]


@pytest.mark.parametrize("number", WIDE_INTEGERS)
def test_loads_keeps_integers_beyond_64_bits_exact(number):
    """An integer too wide for orjson is decoded exactly, not rounded to a float."""
    decoded = encoders.loads(f'{{"request_id": {number}, "pk": 1}}')
    assert decoded == {"request_id": number, "pk": 1}
    assert type(decoded["request_id"]) is int
    assert encoders.loads(str(number).encode()) == number


@pytest.mark.parametrize("number", WIDE_INTEGERS)
@pytest.mark.usefixtures("without_orjson")
def test_loads_keeps_integers_beyond_64_bits_exact_without_orjson(number):
    """The standard-library path keeps them exact too."""
    assert encoders.loads(f"[{number}]") == [number]


def test_long_digit_runs_in_strings_decode_the_same():
    """A string of digits takes the exact path too, and decodes as a string."""
    assert encoders.loads('{"phone": "00441234567890123456789", "n": 1.5}') == {
        "phone": "00441234567890123456789",
        "n": 1.5,
    }


@pytest.mark.parametrize("text", INVALID_JSON)
def test_loads_raises_value_error_on_invalid_json(text):
    """Invalid JSON raises ``ValueError`` with orjson."""
    with pytest.raises(ValueError):
        encoders.loads(text)


@pytest.mark.parametrize("text", INVALID_JSON)
@pytest.mark.usefixtures("without_orjson")
def test_loads_raises_value_error_without_orjson(text):
    """Invalid JSON raises ``ValueError`` without orjson too."""
    with pytest.raises(ValueError):
        encoders.loads(text)
