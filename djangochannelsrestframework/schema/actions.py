"""What a consumer class accepts and answers, read from the class itself.

``describe_consumer(cls, registry)`` returns one ``ActionDescription`` per action in
``available_actions``: the message keys it takes (from the signature the consumer uses to
check arguments, and for the CRUD, list and subscription actions from the queryset, the
serializer, the lookup field, the filter backends and the paginator), the ``data`` of its
success reply, the statuses it can answer and the events a subscription sends. What
introspection cannot see comes from options given to ``@action(...)`` (see ``HOOK_OPTIONS``).
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from typing import Any

from rest_framework import status

from djangochannelsrestframework.schema import observers
from djangochannelsrestframework.schema.fields import (
    JsonSchema,
    Mode,
    SchemaRegistry,
    annotation_schema,
    as_json_schema,
    model_field_schema,
)
from djangochannelsrestframework.schema.lists import ListShape, list_shape
from djangochannelsrestframework.schema.observers import EventFrame, ObserverDescription

__all__ = ["ActionDescription", "ConsumerDescription", "describe_consumer", "HOOK_OPTIONS"]

#: ``@action(...)`` options read by the schema generator (they change nothing at run time).
HOOK_OPTIONS = (
    "request_schema",  # serializer or JSON Schema of the message keys (besides action, ...)
    "reply_schema",  # serializer or JSON Schema of the success reply's data
    "reply_status",  # the success status (default 200 for custom actions)
    "error_statuses",  # extra error statuses the action can answer
    "event_schema",  # serializer or JSON Schema of the data of the events it subscribes to
    "subscribes",  # names of the observers (consumer attributes) the action subscribes to
)

_DISPATCH_KEYS = frozenset({"action", "request_id", "self"})
_LOOKUP_ACTIONS = frozenset(
    {"retrieve", "update", "patch", "delete", "subscribe_instance", "unsubscribe_instance"}
)
_WRITE_ACTIONS = frozenset({"create", "update", "patch", "delete"})


@dataclass
class ActionDescription:
    """One action of a consumer, as the schema shows it."""

    name: str
    description: str
    #: Object schema of the message (``action`` and ``request_id`` included).
    request: JsonSchema
    #: Schema of the success reply's ``data`` (``None``: the action sends no reply itself).
    reply_data: JsonSchema | None
    reply_statuses: list[int]
    error_statuses: list[int]
    events: list[EventFrame] = field(default_factory=list)
    #: ``True`` when one request gets several success replies (a stream of pages).
    streams: bool = False
    permissions: list[str] = field(default_factory=list)


def _option(consumer: Any, action: str, name: str, default: Any = None) -> Any:
    return consumer.get_action_option(action, name, default)


def _signature_arguments(
    consumer: Any, action: str
) -> tuple[dict[str, JsonSchema], list[str], bool]:
    """Properties, required keys and whether any other key is accepted, from the signature."""
    try:
        signature = consumer.get_action_signature(action)
    except (TypeError, ValueError):
        return {}, [], True
    method = getattr(consumer, consumer.available_actions[action])
    try:
        hints = typing.get_type_hints(inspect.unwrap(method))
    except Exception:
        hints = {}
    properties: dict[str, JsonSchema] = {}
    required: list[str] = []
    open_ended = False
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_KEYWORD:
            open_ended = True
            continue
        if parameter.kind is parameter.VAR_POSITIONAL or parameter.name in _DISPATCH_KEYS:
            continue
        if parameter.name in consumer.reserved_message_keys:
            continue
        schema = annotation_schema(hints.get(parameter.name, parameter.annotation))
        if parameter.default is not parameter.empty:
            if parameter.default is None or isinstance(parameter.default, bool | int | float | str):
                schema["default"] = parameter.default
        else:
            required.append(parameter.name)
        properties[parameter.name] = schema
    return properties, required, open_ended


def request_schema(
    action: str,
    properties: dict[str, JsonSchema],
    required: list[str],
    open_ended: bool,
    request_id_required: bool = False,
) -> JsonSchema:
    """The object schema of a whole request frame."""
    request_id: JsonSchema = {
        "description": "Any JSON value; echoed in every reply and event for this request.",
    }
    if request_id_required:
        request_id = {
            "type": ["string", "integer"],
            "description": "Names the subscription: every event it sends carries it.",
        }
    schema: JsonSchema = {
        "type": "object",
        "properties": {
            "action": {"type": "string", "const": action},
            "request_id": request_id,
            **properties,
        },
        "required": ["action", *(["request_id"] if request_id_required else []), *required],
    }
    if not open_ended:
        schema["additionalProperties"] = False
    return schema


def _permission_names(consumer: Any, action: str) -> list[str]:
    try:
        classes = _option(consumer, action, "permission_classes", consumer.permission_classes)
        return [getattr(p, "__name__", type(p).__name__) for p in classes]
    except Exception:
        return []


def _has_throttles(consumer: Any, action: str) -> bool:
    try:
        return bool(list(_option(consumer, action, "throttle_classes", consumer.throttle_classes)))
    except Exception:
        return False


def _base_errors(consumer: Any, action: str) -> list[int]:
    errors = [400, 403, 500]
    if _has_throttles(consumer, action):
        errors.append(429)
    return errors


def _lookup(consumer: Any, model: Any) -> tuple[str, JsonSchema]:
    key = consumer.get_lookup_key()
    schema = model_field_schema(model, consumer.lookup_field) if model is not None else {}
    schema["description"] = f"The instance's {consumer.lookup_field}."
    return key, schema


def _model_of(consumer: Any) -> Any:
    queryset = inspect.getattr_static(type(consumer), "queryset", None)
    model = getattr(queryset, "model", None)
    if model is None:
        try:
            model = getattr(consumer.get_queryset(), "model", None)
        except Exception:
            model = None
    return model


def _serializer_class(consumer: Any, action: str) -> Any:
    try:
        return consumer.get_serializer_class(action=action)
    except Exception:
        fallback = getattr(consumer, "serializer_class", None)
        return _option(consumer, action, "serializer_class", fallback)


def _builtin(consumer: Any, action: str, registry: SchemaRegistry) -> ActionDescription | None:
    """The description of a CRUD, list or instance-subscription action, or ``None``."""
    from djangochannelsrestframework import mixins
    from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin

    cls = type(consumer)
    defined_by: dict[str, type] = {
        "create": mixins.CreateModelMixin,
        "list": mixins.ListModelMixin,
        "retrieve": mixins.RetrieveModelMixin,
        "update": mixins.UpdateModelMixin,
        "patch": mixins.PatchModelMixin,
        "delete": mixins.DeleteModelMixin,
        "list_cancel": mixins.StreamedPaginatedListMixin,
        "subscribe_instance": ObserverModelInstanceMixin,
        "unsubscribe_instance": ObserverModelInstanceMixin,
    }
    live = observers.live_list_mixin()
    if live is not None:
        defined_by["subscribe_list"] = live
        defined_by["unsubscribe_list"] = live
    owner = defined_by.get(action)
    if owner is None or not issubclass(cls, owner) or consumer.available_actions[action] != action:
        return None
    serializer = _serializer_class(consumer, action)
    model = _model_of(consumer)
    read = registry.ref(serializer, Mode.READ) if serializer is not None else {}
    properties: dict[str, JsonSchema] = {}
    required: list[str] = []
    errors = _base_errors(consumer, action)
    reply: JsonSchema | None = read
    statuses: list[int] = [status.HTTP_200_OK]
    events: list[EventFrame] = []
    streams = False
    request_id_required = False
    description = ""
    if action in _LOOKUP_ACTIONS:
        key, schema = _lookup(consumer, model)
        properties[key] = schema
        required.append(key)
        errors.append(404)
    if action in _WRITE_ACTIONS:
        errors.append(409)
    if action in ("create", "update", "patch") and serializer is not None:
        mode = Mode.PARTIAL if action == "patch" else Mode.WRITE
        properties["data"] = registry.ref(serializer, mode)
        required.append("data")
    if action == "create":
        statuses = [status.HTTP_201_CREATED]
        description = "Validate `data` and save a new instance."
    elif action == "update":
        description = "Replace the instance with `data` (required fields must be present)."
    elif action == "patch":
        description = "Change only the fields present in `data`."
    elif action == "retrieve":
        description = "The instance named by the lookup key."
    elif action == "delete":
        statuses, reply = [status.HTTP_204_NO_CONTENT], {"type": "null"}
        description = "Delete the instance."
    elif action in ("list", "subscribe_list"):
        shape: ListShape = list_shape(consumer, read)
        properties.update(shape.properties)
        reply = shape.reply
        streams = shape.streams and action == "list"
        description = shape.description
        if action == "subscribe_list":
            statuses, request_id_required = [status.HTTP_201_CREATED], True
            errors.append(429)
            events = observers.live_list_events(shape.paginated, shape.row)
            description = (
                "Subscribe to this list (same keys as `list`): the reply is what `list` "
                "answers now, then one event per change to the list."
            )
    elif action == "list_cancel":
        properties["stream_request_id"] = {
            "description": "Cancel only the stream started with this request_id."
        }
        reply, description = {"type": "null"}, "Stop this connection's list streams."
    elif action == "subscribe_instance":
        statuses, reply, request_id_required = [status.HTTP_201_CREATED], {"type": "null"}, True
        errors.append(429)
        events = observers.instance_events(consumer, model, read)
        description = "Receive every committed change to the instance."
    elif action in ("unsubscribe_instance", "unsubscribe_list"):
        statuses, reply = [status.HTTP_204_NO_CONTENT], {"type": "null"}
        request_id_required = action == "unsubscribe_list"
        description = "End the subscription made with this request_id."
    return ActionDescription(
        name=action,
        description=description,
        request=request_schema(action, properties, required, True, request_id_required),
        reply_data=reply,
        reply_statuses=statuses,
        error_statuses=errors,
        events=events,
        streams=streams,
    )


def _custom(
    consumer: Any, action: str, registry: SchemaRegistry, watched: list[ObserverDescription]
) -> ActionDescription:
    """A custom ``@action``: its signature, plus whatever the hook options declare."""
    properties, required, open_ended = _signature_arguments(consumer, action)
    declared = _option(consumer, action, "request_schema")
    if declared is not None:
        schema = as_json_schema(declared, registry, Mode.WRITE)
        schema = registry.resolve(schema)
        properties.update(schema.get("properties", {}))
        required = list(dict.fromkeys([*required, *schema.get("required", [])]))
    reply_value = _option(consumer, action, "reply_schema")
    reply = as_json_schema(reply_value, registry, Mode.READ) if reply_value is not None else {}
    reply_status = _option(consumer, action, "reply_status")
    # Undeclared, the success status is whatever the action returns: any integer.
    statuses: list[int] = [int(reply_status)] if reply_status is not None else []
    errors = _base_errors(consumer, action)
    errors += [int(s) for s in _option(consumer, action, "error_statuses", ()) or ()]
    method = getattr(type(consumer), consumer.available_actions[action], None)
    if "self.get_object(" in observers.source_of(method):
        errors.append(404)  # get_object() answers 404 when the lookup finds nothing
    events = observers.custom_action_events(consumer, action, watched, registry)
    if events:
        errors.append(429)  # MAX_SUBSCRIPTIONS
    return ActionDescription(
        name=action,
        description="",
        request=request_schema(action, properties, required, open_ended),
        reply_data=reply,
        reply_statuses=statuses,
        error_statuses=errors,
        events=events,
    )


@dataclass
class ConsumerDescription:
    """A consumer's actions, and its observers with the events they send."""

    consumer_class: type
    description: str
    actions: list[ActionDescription]
    observers: list[ObserverDescription]


def describe_consumer(
    consumer_class: type, registry: SchemaRegistry, initkwargs: dict[str, Any] | None = None
) -> ConsumerDescription:
    """Describe every action of ``consumer_class`` (the CRUD actions first, then by name)
    and its observers."""
    consumer: Any = consumer_class(**(initkwargs or {}))
    # A scope without a user: hooks that read it see an anonymous, handshake-less client.
    consumer.scope = {"type": "websocket", "path": "/", "headers": [], "query_string": b""}
    available: dict[str, str] = consumer.available_actions
    order = ["list", "retrieve", "create", "update", "patch", "delete"]
    names = sorted(available, key=lambda n: (order.index(n) if n in order else len(order), n))
    watched = observers.describe_observers(consumer_class, registry, consumer)
    descriptions = []
    for name in names:
        description = _builtin(consumer, name, registry) or _custom(
            consumer, name, registry, watched
        )
        method = inspect.unwrap(getattr(consumer_class, available[name]))
        doc = inspect.getdoc(method)
        # The project's own docstring wins; the library's describes the generic behaviour.
        ours = getattr(method, "__module__", "").startswith("djangochannelsrestframework.")
        if doc and (not ours or not description.description):
            description.description = doc
        description.error_statuses = sorted(set(description.error_statuses))
        description.permissions = _permission_names(consumer, name)
        descriptions.append(description)
    return ConsumerDescription(
        consumer_class=consumer_class,
        description=inspect.getdoc(consumer_class) or "",
        actions=descriptions,
        observers=watched,
    )
