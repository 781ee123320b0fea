"""JSON encoding for frames: orjson when installed, the standard library otherwise.

Both paths accept what DRF serializers and model observers produce (UUID, Decimal, dates,
lazy translation strings), so a payload that encodes for one client encodes for all.
"""

from __future__ import annotations

import json
import math
import re
from importlib import import_module
from types import ModuleType
from typing import Any, cast

from rest_framework.utils.encoders import JSONEncoder as DRFJSONEncoder


def _import_orjson() -> ModuleType | None:
    try:
        return import_module("orjson")
    except ImportError:
        return None


orjson = _import_orjson()


def _default(value: Any) -> Any:
    """Fallback for types orjson does not know, delegated to DRF's encoder rules."""
    return DRFJSONEncoder().default(value)


# Datetimes go through DRF's rules (like the standard-library path) for identical output.
_ORJSON_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME) if orjson else 0


def dumps(content: Any) -> str:
    """Encode ``content`` as compact JSON text; raises ``TypeError`` if it cannot."""
    if orjson is not None:
        try:
            return cast(
                "str", orjson.dumps(content, default=_default, option=_ORJSON_OPTIONS).decode()
            )
        except orjson.JSONEncodeError:
            # orjson refuses some valid data (integers beyond 64 bits); the standard library
            # encodes it identically, and raises ``TypeError`` for what truly is not JSON.
            pass
    try:
        return _stdlib_dumps(content)
    except ValueError:
        # NaN or an infinity: JSON has no such numbers. orjson writes ``null`` for them,
        # and so does this path, instead of the ``NaN`` that browsers refuse to parse.
        return _stdlib_dumps(_finite(content))


def _stdlib_dumps(content: Any) -> str:
    return json.dumps(
        content, cls=DRFJSONEncoder, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _finite(value: Any) -> Any:
    """``value`` with every NaN and infinite float (in lists, tuples and dicts) as ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_finite_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise ValueError(f"{literal} is out of range for a JSON number")
    return value


#: A run of 19 digits: the shortest integer literal that may not fit in 64 bits. orjson reads
#: such integers as floats, so ``request_id: -9223372036854775809`` would come back rounded.
_MAYBE_WIDE_INTEGER = re.compile(r"\d{19}")
_MAYBE_WIDE_INTEGER_BYTES = re.compile(rb"\d{19}")


def _may_hold_wide_integer(text: str | bytes) -> bool:
    if isinstance(text, str):
        return _MAYBE_WIDE_INTEGER.search(text) is not None
    return _MAYBE_WIDE_INTEGER_BYTES.search(text) is not None


class NestingTooDeep(ValueError):
    """The JSON text nests lists and objects deeper than the parser goes."""


def loads(text: str | bytes) -> Any:
    """Decode JSON text; raises ``ValueError`` on invalid input (``NestingTooDeep`` when
    it nests beyond the parser: about 1,000 levels).

    Both paths give the same result: integers of any size stay exact (the standard library
    decodes frames that may hold one beyond 64 bits, so an echoed ``request_id`` is the one
    sent), and ``NaN``, ``Infinity`` and numbers too large for a float are refused.
    """
    try:
        if orjson is not None and not _may_hold_wide_integer(text):
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                if "depth" in str(exc) or "recursion" in str(exc):
                    raise NestingTooDeep(str(exc)) from None
                raise
        return json.loads(text, parse_constant=_reject_constant, parse_float=_parse_finite_float)
    except RecursionError:
        raise NestingTooDeep("JSON nested too deeply to parse.") from None


def using_orjson() -> bool:
    """Whether the fast encoder is in use (reported by the benchmarks)."""
    return orjson is not None
