"""URLs for the schema view tests: the one line a project adds."""

from django.urls import include, path

urlpatterns = [path("ws-api/", include("djangochannelsrestframework.schema.urls"))]
