"""JSON Schema of the reply envelope every frame from the server shares.

``{"errors": [...], "data": ..., "action": ..., "response_status": ..., "request_id": ...}``
(``djangochannelsrestframework.protocol.envelope``): success replies have no errors, error
replies have ``data: null`` and at least one error.
"""

from __future__ import annotations

from djangochannelsrestframework.schema.fields import JsonSchema

__all__ = ["envelope_schema", "error_schema", "ENVELOPE_KEYS", "STATUS_MEANINGS"]

#: Why each status may be answered, for the documents' descriptions.
STATUS_MEANINGS = {
    200: "OK",
    201: "Created (or subscribed)",
    204: "Done; data is null (or the deleted instance's pk in an event)",
    400: "Invalid message: malformed keys, a missing or unexpected key, or serializer errors",
    403: "Permission denied",
    404: "Not found",
    409: "Conflict: the database refused the write (integrity error)",
    413: "Message too large",
    429: "Too many requests: throttled, or too many subscriptions or detached tasks",
    500: "Server error (details are logged, never sent)",
}

ENVELOPE_KEYS = ["errors", "data", "action", "response_status", "request_id"]

_REQUEST_ID = {"description": "The request's request_id (null if it had none)."}
_ERROR_ITEM = {
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "description": "Serializer errors: field name → list of messages.",
            "additionalProperties": {},
        },
    ]
}


def _status(statuses: list[int]) -> JsonSchema:
    if not statuses:
        return {"type": "integer"}
    if len(statuses) == 1:
        return {"type": "integer", "const": statuses[0]}
    return {"type": "integer", "enum": sorted(statuses)}


def envelope_schema(
    action: JsonSchema,
    data: JsonSchema | None,
    statuses: list[int],
    request_id: JsonSchema | None = None,
) -> JsonSchema:
    """A success frame: ``errors`` empty, ``data`` as given."""
    return {
        "type": "object",
        "properties": {
            "errors": {"type": "array", "maxItems": 0},
            "data": data if data is not None else {},
            "action": action,
            "response_status": _status(statuses),
            "request_id": request_id if request_id is not None else dict(_REQUEST_ID),
        },
        "required": list(ENVELOPE_KEYS),
        "additionalProperties": False,
    }


def error_schema(action: str | JsonSchema | None, statuses: list[int]) -> JsonSchema:
    """An error frame: one or more errors, ``data`` null, one of ``statuses``.

    ``action`` is the action's name, ``None`` (frames that name none), or a schema.
    """
    action_schema: JsonSchema
    if action is None:
        action_schema = {"type": "null"}
    elif isinstance(action, str):
        action_schema = {"const": action}
    else:
        action_schema = action
    return {
        "type": "object",
        "properties": {
            "errors": {"type": "array", "minItems": 1, "items": _ERROR_ITEM},
            "data": {"type": "null"},
            "action": action_schema,
            "response_status": _status(statuses),
            "request_id": dict(_REQUEST_ID),
        },
        "required": list(ENVELOPE_KEYS),
        "additionalProperties": False,
    }
