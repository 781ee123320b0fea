"""Routes for the schema and the explorer; add them with one line in a project's ``urls.py``::

    path("ws-api/", include("djangochannelsrestframework.schema.urls")),

``ws-api/`` is then the explorer and ``ws-api/schema.json`` the AsyncAPI document.
"""

from __future__ import annotations

from django.urls import path

from djangochannelsrestframework.schema.views import ExplorerView, SchemaView, explorer_asset

urlpatterns = [
    path("", ExplorerView.as_view(), name="dcrf-explorer"),
    path("schema.json", SchemaView.as_view(), name="dcrf-schema"),
    path("assets/<str:name>", explorer_asset, name="dcrf-explorer-asset"),
]
