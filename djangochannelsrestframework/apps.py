"""App configuration: adding the library to ``INSTALLED_APPS`` is optional but enables
its system checks."""

from __future__ import annotations

from django.apps import AppConfig


class DjangoChannelsRestFrameworkConfig(AppConfig):
    name = "djangochannelsrestframework"
    verbose_name = "Django Channels REST Framework"

    def ready(self) -> None:
        from djangochannelsrestframework import checks  # noqa: F401  (registers the checks)
