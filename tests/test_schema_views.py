"""The schema view and the explorer page: what they serve and who may see it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.app.schema_urls")]

TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


@pytest.fixture(autouse=True)
def project(settings):
    settings.ASGI_APPLICATION = "tests.app.routing.application"
    settings.TEMPLATES = TEMPLATES
    settings.MIDDLEWARE = MIDDLEWARE
    settings.DEBUG = False
    return settings


def staff(client, is_staff=True):
    user = get_user_model().objects.create_user("admin", password="pw", is_staff=is_staff)
    client.force_login(user)
    return user


def test_schema_is_refused_to_anonymous_users_in_production(client):
    """With DEBUG off, an anonymous client gets 403 and no schema."""
    response = client.get("/ws-api/schema.json")
    assert response.status_code == 403
    assert b"asyncapi" not in response.content


def test_schema_is_refused_to_users_who_are_not_staff(client):
    """A logged-in user who is not staff gets 403 as well."""
    staff(client, is_staff=False)
    assert client.get("/ws-api/schema.json").status_code == 403
    assert client.get("/ws-api/").status_code == 403


def test_staff_get_the_schema_with_this_server(client):
    """Staff get the AsyncAPI JSON; its server is the host the request came to."""
    staff(client)
    response = client.get("/ws-api/schema.json", HTTP_HOST="testserver:8000")
    document = response.json()
    assert document["asyncapi"] == "3.0.0"
    assert document["servers"]["default"] == {"host": "testserver:8000", "protocol": "ws"}


def test_route_parameter_keeps_one_route(client):
    """``?route=`` narrows the document to one address."""
    staff(client)
    document = client.get("/ws-api/schema.json", {"route": "/ws/noteconsumer/"}).json()
    assert [c["address"] for c in document["channels"].values()] == ["/ws/noteconsumer/"]


def test_anyone_may_look_while_debug_is_on(client, project):
    """``IsAdminUserOrDebug`` lets anyone in while DEBUG is on (development)."""
    project.DEBUG = True
    assert client.get("/ws-api/schema.json").status_code == 200


def test_permission_classes_come_from_the_setting(client, project):
    """``SCHEMA_PERMISSION_CLASSES`` replaces the default gate."""
    project.DJANGO_CHANNELS_REST_API = {
        "SCHEMA_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]
    }
    assert client.get("/ws-api/schema.json").status_code == 200


def test_explorer_page_links_its_schema_and_script(client):
    """The page names the schema URL and loads the packaged script and style sheet."""
    staff(client)
    page = client.get("/ws-api/").content.decode()
    assert 'data-schema-url="/ws-api/schema.json"' in page
    assert '<script src="/ws-api/assets/explorer.js">' in page
    script = client.get("/ws-api/assets/explorer.js")
    assert script["Content-Type"].startswith("text/javascript")
    assert b"new WebSocket" in b"".join(script.streaming_content)


def test_only_the_explorer_assets_are_served(client):
    """The asset view serves its two files and nothing else."""
    assert client.get("/ws-api/assets/explorer.css").status_code == 200
    assert client.get("/ws-api/assets/..%2Fviews.py").status_code == 404
    assert client.get("/ws-api/assets/settings.py").status_code == 404
