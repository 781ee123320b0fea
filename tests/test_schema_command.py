"""``manage.py dcrf_schema``: formats, route filter and errors."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from djangochannelsrestframework.schema import get_schema
from tests.app import routing

APPLICATION = "tests.app.routing.application"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("dcrf_schema", "--application", APPLICATION, *args, stdout=out)
    return out.getvalue()


def test_yaml_and_json_print_the_same_document():
    """Both formats carry the document ``get_schema`` builds."""
    expected = get_schema(routing.application)
    assert yaml.safe_load(run("--format", "yaml")) == expected
    assert json.loads(run("--format", "json")) == expected


def test_application_defaults_to_the_asgi_application_setting(settings):
    """Without ``--application`` the command describes ``ASGI_APPLICATION``."""
    settings.ASGI_APPLICATION = APPLICATION
    out = io.StringIO()
    call_command("dcrf_schema", "--format", "json", "--route", "/ws/noteconsumer/", stdout=out)
    assert [c["address"] for c in json.loads(out.getvalue())["channels"].values()] == [
        "/ws/noteconsumer/"
    ]


def test_route_prefix_keeps_the_routes_below_it():
    """A route ending in ``/`` is a prefix."""
    document = json.loads(run("--format", "json", "--route", "/ws/session/"))
    assert [c["address"] for c in document["channels"].values()] == ["/ws/session/notes/{owner}/"]


def test_unknown_route_is_an_error():
    """A route nothing is served at fails instead of printing an empty document."""
    with pytest.raises(CommandError, match="No consumer is routed"):
        run("--route", "/nowhere/")


def test_info_options_and_server():
    """``--title``, ``--api-version`` and ``--server`` fill the document's info and servers."""
    document = json.loads(
        run("--format", "json", "--title", "Books", "--api-version", "2.0", "--server", "h:1")
    )
    assert document["info"]["title"] == "Books" and document["info"]["version"] == "2.0"
    assert document["servers"]["default"] == {"host": "h:1", "protocol": "ws"}


def test_typescript_format_writes_declarations(tmp_path):
    """``--format typescript --file`` writes one namespace per channel and the schemas."""
    target = tmp_path / "api.d.ts"
    run("--format", "typescript", "--file", str(target))
    text = target.read_text()
    assert "export type UserRead = {" in text
    assert "export namespace WsNoteconsumer {" in text
    assert '"/ws/noteconsumer/": WsNoteconsumer.Actions;' in text
