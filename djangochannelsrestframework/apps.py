"""App configuration: adding the library to ``INSTALLED_APPS`` is optional; it enables the
system checks and the discovery of every app's ``consumers`` module at start-up."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class DjangoChannelsRestFrameworkConfig(AppConfig):
    name = "djangochannelsrestframework"
    verbose_name = "Django Channels REST Framework"

    def ready(self) -> None:
        from djangochannelsrestframework import checks  # noqa: F401  (registers the checks)
        from djangochannelsrestframework.settings import api_settings

        # Observers connect their signal receivers when their consumer class is created;
        # importing every app's consumers module now means a process that saves models
        # (a worker, a management command, the admin) notifies subscribers even if its
        # own code never imports the consumers.
        autodiscover_modules(*api_settings.AUTODISCOVER_MODULES)
