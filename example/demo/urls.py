from django.urls import path

from demo import views

urlpatterns = [
    path("", views.index, name="index"),
    path("static/demo/<str:name>", views.static_file, name="static-file"),
]
