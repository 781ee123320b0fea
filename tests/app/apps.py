from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "tests.app"
    label = "tests"
    default_auto_field = "django.db.models.AutoField"
