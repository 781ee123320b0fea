"""HTTP views: the AsyncAPI document as JSON, and the explorer page that reads it.

Both are off until a project routes them (``djangochannelsrestframework.schema.urls``)
and both are gated by the ``SCHEMA_PERMISSION_CLASSES`` setting (DRF permission classes;
default ``IsAdminUserOrDebug``: admin users, and anyone while ``DEBUG`` is on), since the
schema lists every action and field a client could try.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from djangochannelsrestframework.schema.asyncapi import SchemaGenerator
from djangochannelsrestframework.settings import api_settings

__all__ = ["IsAdminUserOrDebug", "SchemaView", "ExplorerView", "explorer_asset"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "djangochannelsrestframework"
ASSET_TYPES = {"explorer.js": "text/javascript", "explorer.css": "text/css"}


class IsAdminUserOrDebug(BasePermission):
    """Staff users always; anyone while ``settings.DEBUG`` is on (development)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if settings.DEBUG:
            return True
        user = getattr(request, "user", None)
        return bool(user and user.is_staff)


class _Gated(APIView):
    renderer_classes = [JSONRenderer]

    def get_permissions(self) -> list[Any]:
        """The ``SCHEMA_PERMISSION_CLASSES`` setting, read on every request."""
        return [permission() for permission in api_settings.SCHEMA_PERMISSION_CLASSES]


class SchemaView(_Gated):
    """``GET``: the AsyncAPI 3.0 document (``?route=/ws/`` keeps one route).

    Set ``generator_class`` or ``application`` (default: ``ASGI_APPLICATION``) with
    ``as_view(...)`` to describe something else.
    """

    generator_class: type[SchemaGenerator] = SchemaGenerator
    application: Any = None

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        generator = self.generator_class(
            application=self.application,
            route=request.query_params.get("route") or None,
            server=request.get_host(),
            secure=request.is_secure(),
        )
        return Response(generator.get_schema())


class ExplorerView(_Gated):
    """``GET``: the explorer page; its script reads the schema from ``SchemaView``."""

    template_name = "djangochannelsrestframework/explorer.html"
    schema_url_name = "dcrf-schema"

    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        namespace = request.resolver_match.namespace if request.resolver_match else ""
        prefix = f"{namespace}:" if namespace else ""
        context = {
            "schema_url": reverse(prefix + self.schema_url_name),
            "script_url": reverse(prefix + "dcrf-explorer-asset", args=["explorer.js"]),
            "style_url": reverse(prefix + "dcrf-explorer-asset", args=["explorer.css"]),
        }
        return render(request._request, self.template_name, context)


def explorer_asset(request: HttpRequest, name: str) -> FileResponse:
    """The explorer's script and style sheet, served from the package whatever ``DEBUG``
    is and whether or not static files are collected (they are public, like any JS)."""
    if name not in ASSET_TYPES:
        raise Http404(name)
    return FileResponse(
        (STATIC_DIR / name).open("rb"), content_type=f"{ASSET_TYPES[name]}; charset=utf-8"
    )
