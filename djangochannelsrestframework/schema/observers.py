"""The events subscriptions send: instance subscriptions, live lists and ``@model_observer``s.

An observer's event body comes from its ``serializer_class`` (described in its read
shape), from a ``.serializer`` hook (opaque to introspection: declare it with
``@event_schema(...)``), or is ``{"pk": ...}`` by default. The frame around the body is
whatever the handler sends: a handler that calls ``self.reply(...)`` sends the reply
envelope with the body as ``data``; any other frame must be declared to be described.
Which action subscribes to an observer is read from the action's source
(``self.<observer>.subscribe(``) or declared with ``@action(subscribes=[...])``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from djangochannelsrestframework.schema.fields import (
    JsonSchema,
    Mode,
    SchemaRegistry,
    as_json_schema,
    model_field_schema,
)
from djangochannelsrestframework.schema.frames import envelope_schema

__all__ = [
    "event_schema",
    "ObserverDescription",
    "describe_observers",
    "instance_events",
    "live_list_events",
    "live_list_mixin",
    "custom_action_events",
]

#: Attribute ``@event_schema`` sets on an observer.
EVENT_SCHEMA_ATTRIBUTE = "dcrf_event_schema"
#: Methods whose subscriptions start when the client connects.
_CONNECT_METHODS = ("accept", "connect", "websocket_connect")
_MODEL_ACTIONS = ["create", "update", "delete"]


def event_schema(
    body: Any = None, *, frame: Any = None, description: str | None = None
) -> Callable[[Any], Any]:
    """Declare an observer's events where introspection cannot see them.

    ``body`` (a serializer class or instance, or a JSON Schema dict) is what the
    observer's ``.serializer`` hook returns; ``frame`` is the whole frame the handler
    sends, for handlers that do not forward the body with ``self.reply(...)``. Put it
    above ``@model_observer(...)``/``@observer(...)``, or above the last
    ``@<name>.serializer`` of the observer. Nothing changes at run time.
    """

    def decorate(observer: Any) -> Any:
        setattr(
            observer,
            EVENT_SCHEMA_ATTRIBUTE,
            {"body": body, "frame": frame, "description": description},
        )
        return observer

    return decorate


@dataclass
class EventFrame:
    """One kind of frame a subscription pushes without being asked."""

    name: str
    description: str
    payload: JsonSchema


@dataclass
class ObserverDescription:
    """One observer attribute of a consumer and the events it sends."""

    attribute: str
    events: list[EventFrame]
    #: Actions that subscribe to it.
    subscribed_by: list[str] = field(default_factory=list)
    #: Whether the consumer subscribes to it when the client connects.
    on_connect: bool = False


def live_list_mixin() -> type | None:
    """``LiveListMixin`` when this version of the library has it."""
    from djangochannelsrestframework import mixins

    mixin = getattr(mixins, "LiveListMixin", None)
    return mixin if isinstance(mixin, type) else None


def source_of(function: Any) -> str:
    """The source of ``function`` (unwrapped), or ``""`` when it cannot be read."""
    try:
        return inspect.getsource(inspect.unwrap(function))
    except (OSError, TypeError):
        return ""


def _observers(consumer_class: type) -> dict[str, Any]:
    from djangochannelsrestframework.observer.base_observer import BaseObserver
    from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin

    found = {}
    for name in dir(consumer_class):
        value = inspect.getattr_static(consumer_class, name, None)
        if not isinstance(value, BaseObserver):
            continue
        if name == "handle_instance_change" and issubclass(
            consumer_class, ObserverModelInstanceMixin
        ):
            continue  # described by subscribe_instance
        found[name] = value
    return found


def _body(observer: Any, registry: SchemaRegistry) -> tuple[JsonSchema, str]:
    """The body schema of an observer and a sentence on where it comes from."""
    from djangochannelsrestframework.observer.model_observer import ModelObserver

    declared = getattr(observer, EVENT_SCHEMA_ATTRIBUTE, None) or {}
    if declared.get("body") is not None:
        return as_json_schema(declared["body"], registry, Mode.READ), "Declared body."
    hook = getattr(observer, "_serializer", None)
    if hook is not None:
        return {}, f"Built by the `{getattr(hook, '__name__', 'serializer')}` hook (undeclared)."
    if isinstance(observer, ModelObserver):
        serializer_class = getattr(observer, "_serializer_class", None)
        if serializer_class is not None:
            return registry.ref(serializer_class, Mode.READ), (
                f"The instance serialized with `{serializer_class.__name__}`."
            )
        pk = model_field_schema(observer.model_cls, "pk")
        return (
            {"type": "object", "properties": {"pk": pk}, "required": ["pk"]},
            "The instance's primary key.",
        )
    return {}, "Undeclared body."


def _observer_events(name: str, observer: Any, registry: SchemaRegistry) -> list[EventFrame]:
    from djangochannelsrestframework.observer.model_observer import ModelObserver

    declared = getattr(observer, EVENT_SCHEMA_ATTRIBUTE, None) or {}
    body, origin = _body(observer, registry)
    description = declared.get("description") or inspect.getdoc(observer.func) or ""
    description = f"{description}\n\nBody: {origin}".strip()
    if declared.get("frame") is not None:
        frame = as_json_schema(declared["frame"], registry, Mode.READ)
        return [EventFrame(name=name, description=description, payload=frame)]
    if "self.reply(" not in source_of(observer.func):
        frame = {
            "description": f"The frame the handler `{name}` sends (undeclared: use "
            "`@event_schema(frame=...)`). " + origin
        }
        return [EventFrame(name=name, description=description, payload=frame)]
    if isinstance(observer, ModelObserver):
        action: JsonSchema = {"enum": _MODEL_ACTIONS}
    else:
        action = {"type": "string"}
    return [
        EventFrame(
            name=name,
            description=description,
            payload=envelope_schema(action, body, [200], request_id={}),
        )
    ]


def describe_observers(
    consumer_class: type, registry: SchemaRegistry, consumer: Any
) -> list[ObserverDescription]:
    """Every observer of ``consumer_class`` (but the instance mixin's own), with its events
    and the actions that subscribe to it."""
    observers = _observers(consumer_class)
    if not observers:
        return []
    available: dict[str, str] = getattr(consumer_class, "available_actions", {})
    subscribers: dict[str, list[str]] = {name: [] for name in observers}
    for action, method_name in available.items():
        declared = consumer.get_action_option(action, "subscribes") or ()
        source = source_of(getattr(consumer_class, method_name, None))
        for name in observers:
            pattern = rf"self\.{re.escape(name)}\.subscribe\("
            if name in declared or re.search(pattern, source):
                subscribers[name].append(action)
    connect_source = "".join(
        source_of(getattr(consumer_class, method, None)) for method in _CONNECT_METHODS
    )
    return [
        ObserverDescription(
            attribute=name,
            events=_observer_events(name, observer, registry),
            subscribed_by=subscribers[name],
            on_connect=bool(re.search(rf"self\.{re.escape(name)}\.subscribe\(", connect_source)),
        )
        for name, observer in observers.items()
    ]


def custom_action_events(
    consumer: Any, action: str, observers: list[ObserverDescription], registry: SchemaRegistry
) -> list[EventFrame]:
    """The events a custom action subscribes its client to."""
    declared = consumer.get_action_option(action, "event_schema")
    if declared is not None:
        data = as_json_schema(declared, registry, Mode.READ)
        return [
            EventFrame(
                name=f"{action}_event",
                description=f"Pushed to the subscription made by `{action}`.",
                payload=envelope_schema({"type": "string"}, data, [200], request_id={}),
            )
        ]
    return [event for o in observers if action in o.subscribed_by for event in o.events]


def instance_events(consumer: Any, model: Any, read: JsonSchema) -> list[EventFrame]:
    """``subscribe_instance``: an ``update`` with the data, a ``delete`` with the pk."""
    pk = model_field_schema(model, "pk") if model is not None else {}
    subscription = {"description": "The request_id of the subscription."}
    return [
        EventFrame(
            name="update",
            description="The instance was saved; data as `retrieve` answers it.",
            payload=envelope_schema({"const": "update"}, read, [200], request_id=subscription),
        ),
        EventFrame(
            name="delete",
            description="The instance was deleted.",
            payload=envelope_schema(
                {"const": "delete"},
                {"type": "object", "properties": {"pk": pk}, "required": ["pk"]},
                [204],
                request_id=subscription,
            ),
        ),
    ]


def live_list_events(paginated: bool, row: JsonSchema) -> list[EventFrame]:
    """``subscribe_list``: one event per change to the subscribed list (issue 10 protocol)."""
    change: JsonSchema = {
        "type": "object",
        "properties": {
            "change": {"enum": ["enter", "update", "leave", "count"]},
            "pk": {"description": "The row's primary key (null for `count`)."},
            "index": {
                "type": ["integer", "null"],
                "description": "enter/update: the row's position after the change; leave: "
                "its position before (within the page's results); null for `count`.",
            },
            "row": {
                "anyOf": [row, {"type": "null"}],
                "description": "The serialized row for enter/update; null for leave/count.",
            },
        },
        "required": ["change", "pk", "index", "row"],
    }
    if paginated:
        change["properties"]["count"] = {
            "type": "integer",
            "description": "The list's new total (paginated lists only).",
        }
        change["required"].append("count")
    return [
        EventFrame(
            name="change",
            description="A row entered, changed in, or left the subscribed list (or, for a "
            "page, the total changed). Applied in order to the snapshot, they give what "
            "`list` returns.",
            payload=envelope_schema(
                {"const": "subscribe_list"},
                change,
                [200],
                request_id={"description": "The request_id of the subscription."},
            ),
        )
    ]
