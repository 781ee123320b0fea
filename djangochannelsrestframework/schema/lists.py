"""The message keys and reply of a consumer's ``list``: filters, search, ordering and pages.

DRF filter backends and paginators describe their own query parameters
(``get_schema_operation_parameters``) and page shape (``get_paginated_response_schema``)
for OpenAPI; the parameters become properties of the message's ``query`` object here, and
OpenAPI's dialect (``nullable``, ``example``) is turned into plain JSON Schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from djangochannelsrestframework import filters, protocol
from djangochannelsrestframework.schema.fields import JsonSchema

#: The message key of query parameters (named in ``protocol`` once the wire names move there).
QUERY_KEY: str = getattr(protocol, "QUERY_KEY", filters.QUERY_KEY)

__all__ = ["ListShape", "list_shape", "openapi_to_json_schema"]


@dataclass
class ListShape:
    """What ``list`` (and ``subscribe_list``) take and answer on one consumer."""

    #: Message keys besides ``action`` and ``request_id``.
    properties: dict[str, JsonSchema] = field(default_factory=dict)
    #: The success reply's ``data``.
    reply: JsonSchema = field(default_factory=dict)
    #: One serialized row.
    row: JsonSchema = field(default_factory=dict)
    #: Whether the reply can be a page (with a ``count``) rather than a plain array.
    paginated: bool = False
    #: Whether one request gets one reply per page.
    streams: bool = False
    description: str = ""


def openapi_to_json_schema(schema: Any) -> Any:
    """Turn OpenAPI 3.0 schema keywords into JSON Schema (draft 7) ones, recursively."""
    if isinstance(schema, list):
        return [openapi_to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: openapi_to_json_schema(value) for key, value in schema.items()}
    if result.pop("nullable", False):
        kind = result.get("type")
        if isinstance(kind, str):
            result["type"] = [kind, "null"]
    if "example" in result:
        result["examples"] = [result.pop("example")]
    return result


def _filterset_parameters(backend: Any, consumer: Any) -> list[dict[str, Any]]:
    """django-filter's fields (recent versions dropped their OpenAPI description)."""
    try:
        filterset_class = backend.get_filterset_class(consumer, consumer.get_queryset())
    except Exception:
        return []
    if filterset_class is None:
        return []
    parameters = []
    for name, filter_ in filterset_class.base_filters.items():
        field_class = getattr(filter_, "field_class", None)
        field_name = getattr(field_class, "__name__", "")
        schema: JsonSchema = {"type": "string"}
        if "Boolean" in field_name:
            schema = {"type": "boolean"}
        elif field_name in ("IntegerField", "DecimalField", "FloatField"):
            schema = {"type": ["number", "string"]}
        elif field_name == "ModelChoiceField":
            schema = {"type": ["integer", "string"]}
        elif "Multiple" in field_name:
            schema = {"type": "array", "items": {"type": ["integer", "string"]}}
        description = filter_.label or getattr(filter_, "field_name", name)
        parameters.append({"name": name, "schema": schema, "description": str(description)})
    return parameters


def _parameters(source: Any, consumer: Any) -> list[dict[str, Any]]:
    get = getattr(source, "get_schema_operation_parameters", None)
    if get is None:
        if hasattr(source, "get_filterset_class"):
            return _filterset_parameters(source, consumer)
        return []
    try:
        return list(get(consumer))
    except Exception:
        return []


def _query_properties(parameters: list[dict[str, Any]]) -> dict[str, JsonSchema]:
    properties: dict[str, JsonSchema] = {}
    for parameter in parameters:
        name = parameter.get("name")
        if not isinstance(name, str):
            continue
        schema = openapi_to_json_schema(dict(parameter.get("schema") or {}))
        if parameter.get("description"):
            schema["description"] = str(parameter["description"])
        properties[name] = schema
    return properties


def _limit_offset(paginator: Any) -> dict[str, JsonSchema]:
    return {
        paginator.limit_query_param: {
            "type": ["integer", "string"],
            "minimum": 1,
            "description": "Page size, a positive whole number ("
            + (
                f"default {paginator.default_limit}"
                if paginator.default_limit is not None
                else "without it, every row"
            )
            + (f"; at most {paginator.max_limit}" if paginator.max_limit else "")
            + ").",
        },
        paginator.offset_query_param: {
            "type": ["integer", "string"],
            "minimum": 0,
            "description": "Index of the first row of the page (default 0).",
        },
    }


def list_shape(consumer: Any, row: JsonSchema) -> ListShape:
    """The ``list`` of ``consumer`` (a ``ListModelMixin`` or a paginated one)."""
    from djangochannelsrestframework import mixins
    from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination, takes_scope

    cls = type(consumer)
    shape = ListShape(row=row, reply={"type": "array", "items": row})
    parameters: list[dict[str, Any]] = []
    for backend in getattr(consumer, "filter_backends", ()) or ():
        try:
            parameters += _parameters(backend(), consumer)
        except Exception:
            continue
    notes = ["Every row of the filtered queryset."]
    paginator = consumer.paginator if issubclass(cls, mixins.PaginatedModelListMixin) else None
    if paginator is not None and isinstance(paginator, WebsocketLimitOffsetPagination):
        shape.properties.update(_limit_offset(paginator))
        page = {
            "type": "object",
            "properties": {
                "count": {"type": "integer", "description": "Rows in the whole list."},
                "results": {"type": "array", "items": row},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            },
            "required": ["count", "results", "limit", "offset"],
            "additionalProperties": False,
        }
        shape.paginated = True
        if paginator.default_limit is None:
            shape.reply = {"anyOf": [page, shape.reply]}
            notes = ["A page when `limit` is sent; without it, every row."]
        else:
            shape.reply = page
            notes = [f"A page of `{paginator.default_limit}` rows unless `limit` says otherwise."]
    elif paginator is not None and not takes_scope(paginator):
        parameters += _parameters(paginator, consumer)
        page = openapi_to_json_schema(paginator.get_paginated_response_schema(shape.reply))
        shape.paginated = True
        if getattr(paginator, "page_size", True) is None:
            shape.reply = {"anyOf": [page, shape.reply]}
        else:
            shape.reply = page
        notes = [f"A page of {type(paginator).__name__}; its parameters go in `{QUERY_KEY}`."]
    query = _query_properties(parameters)
    if query or paginator is not None:
        shape.properties[QUERY_KEY] = {
            "type": "object",
            "description": "Query parameters, as in a URL's query string.",
            "properties": query,
        }
    if issubclass(cls, mixins.StreamedPaginatedListMixin):
        shape.streams = True
        notes.append("Every page is sent, one reply each, until the last (`list_cancel` stops).")
    shape.description = " ".join(notes)
    return shape
