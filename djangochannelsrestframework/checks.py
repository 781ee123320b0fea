"""System checks: configuration mistakes reported at start-up with the fix as the hint."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from djangochannelsrestframework.settings import DEFAULTS, SETTINGS_NAME


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Unknown keys in ``DJANGO_CHANNELS_REST_API`` are typos that would be ignored."""
    user_settings = getattr(settings, SETTINGS_NAME, None) or {}
    if not isinstance(user_settings, dict):
        return [
            Error(
                f"{SETTINGS_NAME} must be a dict.",
                hint=f"Set {SETTINGS_NAME} = {{...}} in your settings module.",
                id="djangochannelsrestframework.E001",
            )
        ]
    return [
        Error(
            f"Unknown key {key!r} in {SETTINGS_NAME}.",
            hint="Valid keys: " + ", ".join(sorted(DEFAULTS)) + ".",
            id="djangochannelsrestframework.E002",
        )
        for key in user_settings
        if key not in DEFAULTS
    ]
