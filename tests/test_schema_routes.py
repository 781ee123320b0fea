"""Finding consumers in an ASGI application, and describing actions from their signatures."""

from __future__ import annotations

from typing import Optional

import pytest
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from django.core.exceptions import ImproperlyConfigured
from django.urls import path, re_path
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import CursorPagination, PageNumberPagination

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import PaginatedModelListMixin
from djangochannelsrestframework.schema import get_schema
from djangochannelsrestframework.schema.lists import openapi_to_json_schema
from djangochannelsrestframework.schema.routes import address_of, find_routes, load_application
from tests.app.consumers import NoteConsumer
from tests.app.models import Book
from tests.app.serializers import BookSerializer


class Typed(AsyncAPIConsumer):
    """Custom actions with annotated parameters."""

    @action()
    async def move(
        self,
        x: int,
        labels: list[str],
        extra: dict[str, int] | None = None,
        note: Optional[str] = None,  # noqa: UP045 - the old spelling is read too
        anything: Book | None = None,
        request_id=None,
        action=None,
    ):
        return None, 200

    @action(error_statuses=[404], reply_status=202, reply_schema={"type": "string"})
    async def poke(self, **kwargs):
        """Poke.

        Longer text."""
        return "ok", 202


def messages(consumer):
    return get_schema(consumer)["channels"]["root"]["messages"]


def test_regex_routes_become_addresses():
    """Named groups (nested parentheses included) become parameters; escapes are undone."""
    assert (
        address_of(
            re_path(r"^rooms/(?P<room>[^/]+)/(?P<kind>(a|b)+)/\.json$", NoteConsumer()).pattern
        )
        == "rooms/{room}/{kind}/.json"
    )
    assert (
        address_of(path("users/<int:pk>/<slug>/", NoteConsumer()).pattern) == "users/{pk}/{slug}/"
    )


def test_routes_behind_protocol_routers_and_origin_validators():
    """Origin validators (``application`` attribute) and protocol routers are walked
    through; routes that are no consumer are skipped."""

    async def plain_app(scope, receive, send):
        return None

    application = ProtocolTypeRouter(
        {
            "websocket": AllowedHostsOriginValidator(
                URLRouter(
                    [
                        path("notes/", NoteConsumer.as_asgi()),
                        path("other/", plain_app),
                    ]
                )
            )
        }
    )
    routes = find_routes(application)
    assert [(r.address, r.consumer_class) for r in routes] == [("/notes/", NoteConsumer)]
    assert isinstance(routes[0].middleware[0], OriginValidator)
    assert find_routes(ProtocolTypeRouter({})) == []


def test_application_must_be_configured(settings):
    """Without ``ASGI_APPLICATION`` the generator says what to set."""
    del settings.ASGI_APPLICATION
    with pytest.raises(ImproperlyConfigured, match="ASGI_APPLICATION"):
        load_application()


def test_annotations_type_custom_action_keys():
    """Annotations give types (unions with None included); unknown classes stay open;
    a signature without ``**kwargs`` refuses other keys."""
    request = messages(Typed)["move_request"]["payload"]
    props = request["properties"]
    assert props["x"] == {"type": "integer"}
    assert props["labels"] == {"type": "array"}
    assert props["extra"] == {"type": ["object", "null"], "default": None}
    assert props["note"] == {"type": ["string", "null"], "default": None}
    assert props["anything"] == {"default": None}
    assert request["required"] == ["action", "x", "labels"]
    assert request["additionalProperties"] is False


def test_declared_statuses_and_reply():
    """``reply_status``, ``error_statuses`` and ``reply_schema`` shape the reply frames."""
    document = get_schema(Typed)
    reply = document["channels"]["root"]["messages"]["poke_reply"]["payload"]["properties"]
    assert reply["response_status"] == {"type": "integer", "const": 202}
    assert reply["data"] == {"type": "string"}
    operation = document["operations"]["root_poke"]
    assert operation["summary"] == "Poke."
    assert 404 in operation["x-dcrf-statuses"]["error"]
    move = document["channels"]["root"]["messages"]["move_reply"]["payload"]["properties"]
    assert move["response_status"] == {"type": "integer"}  # undeclared: any status


class Unpaged(PageNumberPagination):
    page_size = None


class Broken(BaseFilterBackend):
    def get_schema_operation_parameters(self, view):
        raise RuntimeError("no schema")


class UnpagedBooks(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    pagination_class = Unpaged
    filter_backends = [Broken]


class ByIdCursor(CursorPagination):
    ordering = "id"
    page_size = 2


class CursorBooks(PaginatedModelListMixin, GenericAsyncAPIConsumer):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    pagination_class = ByIdCursor

    def get_serializer_class(self, **kwargs):
        raise RuntimeError("depends on the user")


def test_paginator_without_page_size_may_answer_a_plain_list():
    """A DRF paginator without a page size answers a page or the whole list; a backend
    that cannot describe itself adds nothing."""
    data = messages(UnpagedBooks)["list_reply"]["payload"]["properties"]["data"]
    assert [option.get("type") for option in data["anyOf"]] == ["object", "array"]


def test_serializer_class_hook_failing_falls_back_to_the_attribute():
    """``get_serializer_class()`` that needs a connection falls back to ``serializer_class``."""
    data = messages(CursorBooks)["list_reply"]["payload"]["properties"]["data"]
    assert data["properties"]["results"]["items"] == {"$ref": "#/components/schemas/BookRead"}
    request = messages(CursorBooks)["list_request"]["payload"]["properties"]
    assert "cursor" in request["query"]["properties"]


def test_openapi_keywords_become_json_schema():
    """``nullable`` and ``example`` are OpenAPI 3.0; JSON Schema says it otherwise."""
    assert openapi_to_json_schema(
        {
            "type": "object",
            "properties": {"next": {"type": "string", "nullable": True, "example": "x"}},
        }
    ) == {
        "type": "object",
        "properties": {"next": {"type": ["string", "null"], "examples": ["x"]}},
    }
