"""The action table: which methods of a consumer class are actions, and which keys they take.

``APIConsumerMetaclass`` reads the ``@action()`` methods of every consumer class once, when
the class is created; ``ArgumentRules`` reads an action's signature once, when the action is
first called, so that a message whose keys do not fit gets a 400 naming them instead of a
``TypeError`` from the call.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from djangochannelsrestframework.exceptions import InvalidMessage
from djangochannelsrestframework.protocol import RESERVED_MESSAGE_KEYS

__all__ = [
    "APIConsumerMetaclass",
    "ActionTableMixin",
    "ArgumentRules",
    "DISPATCH_KEYS",
    "find_actions",
]

#: Keys the consumer itself passes to every action.
DISPATCH_KEYS = frozenset({"action", "request_id"})


def find_actions(cls: type) -> dict[str, str]:
    """Map wire name → method name for every ``@action()`` method of ``cls`` and its bases.

    Attributes are read statically so that descriptors (settings-backed defaults,
    observers) are not evaluated while the class is being created.
    """
    actions: dict[str, str] = {}
    for method_name in dir(cls):
        attribute = inspect.getattr_static(cls, method_name, None)
        if isinstance(attribute, staticmethod | classmethod):
            attribute = attribute.__func__
        if callable(attribute) and getattr(attribute, "action", False) is True:
            options = getattr(attribute, "kwargs", None) or {}
            actions[options.get("name", method_name)] = method_name
    return actions


class ArgumentRules:
    """Which message keys an action's signature requires and accepts, read once per action.

    ``action`` and ``request_id`` are always passed by the consumer, so they are never
    reported as missing or unexpected: a signature without them is a bug in the action,
    not in the client's message.
    """

    def __init__(self, signature: inspect.Signature) -> None:
        parameters = signature.parameters.values()
        named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        self.required = [
            p.name
            for p in parameters
            if p.kind in named and p.default is p.empty and p.name not in DISPATCH_KEYS
        ]
        takes_any_key = any(p.kind == p.VAR_KEYWORD for p in parameters)
        self.accepted: frozenset[str] | None = (
            None if takes_any_key else frozenset(p.name for p in parameters if p.kind in named)
        )

    def problems(self, keys: Iterable[str]) -> list[str]:
        """Why ``keys`` cannot be passed to the action (empty when they can)."""
        problems = [f'Missing required key "{name}".' for name in self.required if name not in keys]
        if self.accepted is not None:
            unexpected = sorted(set(keys) - self.accepted - DISPATCH_KEYS)
            problems += [f'Unexpected key "{key}".' for key in unexpected]
        return problems


class APIConsumerMetaclass(type):
    """Builds ``available_actions`` (wire name → method name) for each consumer class."""

    # Declared for the type checker: ``__new__`` sets them on every class it creates.
    available_actions: dict[str, str]
    _action_argument_rules: dict[str, ArgumentRules]

    def __new__(mcs, name: str, bases: tuple[type, ...], body: dict[str, Any]) -> type:
        cls = super().__new__(mcs, name, bases, body)
        cls.available_actions = find_actions(cls)
        cls._action_argument_rules = {}
        return cls


class ActionTableMixin:
    """A consumer's questions to its action table: which actions exist, their ``@action``
    options, and whether a message's keys fit one (part of every ``AsyncAPIConsumer``)."""

    #: Message keys refused with a 400: they name parameters that the dispatch path or the
    #: hooks pass by name, so a client sending them would collide with those arguments.
    reserved_message_keys: frozenset[str] = RESERVED_MESSAGE_KEYS
    available_actions: dict[str, str]
    _action_argument_rules: dict[str, ArgumentRules]

    def has_action(self, action: str) -> bool:
        """Whether ``action`` names an action of this consumer."""
        return action in self.available_actions

    def get_action_option(self, action: str, option: str, default: Any = None) -> Any:
        """Return an option given to ``@action(...)`` for ``action``, else ``default``."""
        method_name = self.available_actions.get(action) if isinstance(action, str) else None
        if method_name is None:
            return default
        options = getattr(getattr(type(self), method_name, None), "kwargs", None) or {}
        return options.get(option, default)

    def check_reserved_keys(self, arguments: dict[str, Any]) -> None:
        """Raise ``InvalidMessage`` for keys that would collide with dispatch parameters."""
        if self.reserved_message_keys.isdisjoint(arguments):
            return
        reserved = sorted(self.reserved_message_keys.intersection(arguments))
        raise InvalidMessage(f'Message key "{reserved[0]}" is reserved.')

    def get_action_signature(self, action: str) -> inspect.Signature:
        """The call signature of ``action``'s method (read once per consumer class, when
        ``check_action_arguments`` first builds its rules)."""
        return inspect.signature(getattr(self, self.available_actions[action]))

    def check_action_arguments(self, action: str, arguments: dict[str, Any]) -> None:
        """Raise ``InvalidMessage`` if the message keys do not fit the action's signature."""
        rules = type(self)._action_argument_rules.get(action)
        if rules is None:
            rules = ArgumentRules(self.get_action_signature(action))
            type(self)._action_argument_rules[action] = rules
        problems = rules.problems(arguments)
        if problems:
            raise InvalidMessage(" ".join(problems))
