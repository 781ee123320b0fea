from django.contrib import admin
from django.urls import include, path

from demo import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.index, name="index"),
    path("static/demo/<str:name>", views.static_file, name="static-file"),
    # The AsyncAPI schema (explorer/schema.json) and the explorer page (explorer/).
    path("explorer/", include("djangochannelsrestframework.schema.urls")),
]
