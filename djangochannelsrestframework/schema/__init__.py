"""Machine-readable schema (AsyncAPI 3.0) of a project's consumers, and the explorer page.

``SchemaGenerator`` walks the ASGI application's routes and describes each consumer from
its actions, serializers, paginator, filter backends and observers; ``event_schema`` and
the ``@action(request_schema=..., reply_schema=..., ...)`` options declare what
introspection cannot see. ``python manage.py dcrf_schema`` prints the document;
``djangochannelsrestframework.schema.urls`` serves it and the explorer.
"""

from __future__ import annotations

from typing import Any

from djangochannelsrestframework.schema.actions import HOOK_OPTIONS
from djangochannelsrestframework.schema.asyncapi import SchemaGenerator
from djangochannelsrestframework.schema.observers import event_schema

__all__ = ["SchemaGenerator", "event_schema", "get_schema", "HOOK_OPTIONS"]


def get_schema(application: Any = None, **kwargs: Any) -> dict[str, Any]:
    """The AsyncAPI document of ``application`` (default: ``ASGI_APPLICATION``)."""
    return SchemaGenerator(application, **kwargs).get_schema()
