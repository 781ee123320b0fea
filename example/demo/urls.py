from pathlib import Path

from django.urls import path, re_path
from django.views.static import serve

from demo import views

STATIC_ROOT_DIR = Path(__file__).resolve().parent / "static"

urlpatterns = [
    path("", views.index, name="index"),
    # The page's two static files, served by Django whatever DEBUG is: no extra server needed.
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": STATIC_ROOT_DIR}),
]
