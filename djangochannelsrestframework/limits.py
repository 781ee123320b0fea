"""Input bounds: how much one message may ask of the server, checked before any work is done.

A frame is bounded in bytes by ``MAX_MESSAGE_SIZE``, but bytes alone do not bound the cost
of a message: a few kilobytes of nested brackets exhaust the parser's recursion, a
``request_id`` is kept for as long as a subscription lives and copied into every event, a
query with thousands of search terms holds the database thread for seconds, and an integer
beyond 64 bits fails inside the database. Each bound here is a setting (``None`` turns it
off); going over one is a 400 reply, like an HTTP front end refusing an over-long URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from djangochannelsrestframework import encoders
from djangochannelsrestframework.exceptions import InvalidMessage, is_data_error
from djangochannelsrestframework.settings import api_settings

__all__ = [
    "MAX_DATABASE_INTEGER",
    "LOG_QUOTE_LENGTH",
    "check_nesting",
    "frame_exceeds",
    "nesting_exceeds",
    "check_request_id",
    "check_database_integer",
    "check_query",
    "check_filter_request",
    "is_data_error",
    "quote",
]

#: The largest integer every supported database stores (a signed 64-bit ``bigint``).
MAX_DATABASE_INTEGER = 2**63 - 1
#: How many characters of a client's value a log line quotes.
LOG_QUOTE_LENGTH = 80

#: An integer as text, the way a query string carries one.
_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*")
#: How DRF's ``SearchFilter`` splits ``search`` into terms (whitespace and commas).
_SEARCH_TERM_SEPARATORS = re.compile(r"[\s,]+")


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` levels deep.

    Iterative, so that no input can exhaust the interpreter's recursion: ``[]`` is one
    level, ``{"a": [1]}`` two, a scalar none.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def check_nesting(content: Any, text: str | bytes | None = None) -> None:
    """Raise ``InvalidMessage`` if a decoded message nests deeper than ``MAX_JSON_DEPTH``.

    ``text`` is the frame it was decoded from: a frame with fewer brackets than the bound
    cannot exceed it, which saves walking the message in the usual case.
    """
    limit = api_settings.MAX_JSON_DEPTH
    if limit is None:
        return
    if text is not None:
        brackets = text.count("[") + text.count("{") if isinstance(text, str) else None
        if brackets is not None and brackets <= limit:
            return
    if nesting_exceeds(content, limit):
        raise too_deep()


def frame_exceeds(text_data: str | None, bytes_data: bytes | None, limit: int | None) -> bool:
    """Whether a WebSocket frame is larger than ``limit`` bytes (``None``: no limit)."""
    if limit is None:
        return False
    if bytes_data is not None:
        return len(bytes_data) > limit
    text = text_data or ""
    # A character is at least one byte: only count bytes when it could matter.
    return len(text) > limit or (len(text) * 4 > limit and len(text.encode("utf-8")) > limit)


def too_deep() -> InvalidMessage:
    """The 400 for a message nested beyond ``MAX_JSON_DEPTH`` (or beyond the parser)."""
    return InvalidMessage(
        f"Message nested too deeply: at most {api_settings.MAX_JSON_DEPTH} levels of "
        "lists and objects."
    )


def encoded_size(value: Any) -> int:
    """Bytes ``value`` takes as compact JSON (strings and integers without encoding them)."""
    if isinstance(value, str):
        # Every character is 1 to 4 bytes; count exactly only when it could matter.
        return len(value.encode("utf-8", "surrogatepass")) + 2
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() // 3 + 2  # an upper bound on its decimal digits
    try:
        return len(encoders.dumps(value).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError, RecursionError):
        return MAX_DATABASE_INTEGER


def check_request_id(request_id: Any) -> None:
    """Raise ``InvalidMessage`` if ``request_id`` is larger than ``MAX_REQUEST_ID_SIZE``.

    A request id is echoed in the reply, kept for as long as a subscription lives and
    copied into every event of it; its size bounds what a connection pins in memory.
    """
    limit = api_settings.MAX_REQUEST_ID_SIZE
    if limit is None or request_id is None:
        return
    if encoded_size(request_id) > limit:
        raise InvalidMessage(f"request_id is too large: at most {limit} bytes of JSON.")


def check_database_integer(name: str, value: int) -> int:
    """Return ``value``, or raise ``InvalidMessage`` if no database column could hold it."""
    if -MAX_DATABASE_INTEGER - 1 <= value <= MAX_DATABASE_INTEGER:
        return value
    raise InvalidMessage(f'"{name}" is out of range: at most {MAX_DATABASE_INTEGER}.')


def _check_query_value(name: str, value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        check_database_integer(f"query.{name}", value)
    elif isinstance(value, str) and len(value) > 18 and _INTEGER_TEXT.fullmatch(value):
        text = value.strip()
        digits = text.lstrip("+-").lstrip("0") or "0"
        if len(digits) > 19:
            # Not converted: Python refuses to read integers of more than 4,300 digits.
            raise InvalidMessage(f'"query.{name}" is out of range: at most {MAX_DATABASE_INTEGER}.')
        check_database_integer(
            f"query.{name}", int(f"{text[0]}{digits}" if text[0] in "+-" else digits)
        )


def check_query(raw: Mapping[str, Any], key: str = "query") -> None:
    """Bound the ``query`` object of a message, as a front end bounds a URL's query string.

    Raises ``InvalidMessage`` when it holds more than ``MAX_QUERY_VALUES`` values (list
    items counted one by one), takes more than ``MAX_QUERY_SIZE`` bytes as JSON, or holds
    an integer (a number or its text) beyond 64 bits, which a paginator, filter or lookup
    would hand to the database.
    """
    max_values = api_settings.MAX_QUERY_VALUES
    count = 0
    for name, value in raw.items():
        values = value if isinstance(value, list) else (value,)
        count += len(values)
        if max_values is not None and count > max_values:
            raise InvalidMessage(f'"{key}" holds too many values: at most {max_values}.')
        for item in values:
            _check_query_value(name, item)
    max_size = api_settings.MAX_QUERY_SIZE
    if max_size is not None and encoded_size(dict(raw)) > max_size:
        raise InvalidMessage(f'"{key}" is too large: at most {max_size} bytes of JSON.')


def check_filter_request(backend: Any, request: Any) -> None:
    """Bound what ``backend`` (a DRF filter backend) is asked to combine.

    DRF's ``SearchFilter`` builds one condition per search term and field, and its
    ``OrderingFilter`` one ``ORDER BY`` term per field: ``MAX_SEARCH_TERMS`` and
    ``MAX_ORDERING_FIELDS`` keep both to what a person would type. The parameter names are
    the backend's own (``search_param``, ``ordering_param``).
    """
    params = request.query_params
    search_param = getattr(backend, "search_param", None)
    limit = api_settings.MAX_SEARCH_TERMS
    if search_param and limit is not None:
        for value in params.getlist(search_param):
            terms = [t for t in _SEARCH_TERM_SEPARATORS.split(value) if t]
            if len(terms) > limit:
                raise InvalidMessage(f'"{search_param}" has too many terms: at most {limit}.')
    ordering_param = getattr(backend, "ordering_param", None)
    limit = api_settings.MAX_ORDERING_FIELDS
    if ordering_param and limit is not None:
        for value in params.getlist(ordering_param):
            if len([f for f in value.split(",") if f.strip()]) > limit:
                raise InvalidMessage(f'"{ordering_param}" names too many fields: at most {limit}.')


def quote(value: Any, limit: int = LOG_QUOTE_LENGTH) -> str:
    """``repr(value)`` cut to ``limit`` characters, for log lines that name client input.

    A client chooses its request ids and action names; quoting them whole would let it
    write megabytes into the server's log with every error.
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}...({len(value) - limit} more characters)"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        # An integer of more than 4,300 digits, or a structure nested beyond recursion.
        return f"<{type(value).__name__}>"
    if len(text) > limit:
        return f"{text[:limit]}...({len(text) - limit} more characters)"
    return text
