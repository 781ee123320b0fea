"""``api_settings``: the ``DJANGO_CHANNELS_REST_API`` setting with defaults and imports."""

import pytest
from django.test import override_settings
from rest_framework.pagination import LimitOffsetPagination

from djangochannelsrestframework.permissions import AllowAny, IsAuthenticated
from djangochannelsrestframework.settings import (
    DEFAULTS,
    IMPORT_STRINGS,
    APISettings,
    api_settings,
    reload_api_settings,
)


def test_settings_module_exposes_the_13_names():
    """``DEFAULTS``, ``IMPORT_STRINGS``, ``APISettings``, ``api_settings`` and the reloader."""
    assert isinstance(api_settings, APISettings)
    assert callable(reload_api_settings)


def test_defaults_keep_the_13_values():
    """The 1.3 settings keep their names and default values."""
    assert DEFAULTS["DEFAULT_PERMISSION_CLASSES"] == (
        "djangochannelsrestframework.permissions.AllowAny",
    )
    assert DEFAULTS["DEFAULT_PAGINATION_CLASS"] is None
    assert DEFAULTS["PAGE_SIZE"] is None
    assert DEFAULTS["DEFAULT_PAGE_SIZE"] == 25
    assert IMPORT_STRINGS[:2] == ("DEFAULT_PERMISSION_CLASSES", "DEFAULT_PAGINATION_CLASS")


def test_new_settings_have_safe_defaults():
    """Frames up to 1 MiB are parsed, and CRUD writes are atomic, unless configured."""
    assert api_settings.MAX_MESSAGE_SIZE == 1024 * 1024
    assert api_settings.ATOMIC_WRITES is True


def test_default_permission_classes_are_imported():
    """Dotted paths in ``DEFAULT_PERMISSION_CLASSES`` are imported to classes."""
    assert list(api_settings.DEFAULT_PERMISSION_CLASSES) == [AllowAny]


def test_unknown_setting_name_raises_attribute_error():
    """Reading a name that is not a setting raises ``AttributeError`` naming it."""
    with pytest.raises(AttributeError, match="^Invalid API setting: 'NOT_A_SETTING'$"):
        api_settings.NOT_A_SETTING  # noqa: B018


def test_override_settings_reloads_the_values():
    """Changing ``DJANGO_CHANNELS_REST_API`` (e.g. ``override_settings``) is seen at once."""
    assert api_settings.PAGE_SIZE is None
    with override_settings(DJANGO_CHANNELS_REST_API={"PAGE_SIZE": 10}):
        assert api_settings.PAGE_SIZE == 10
    assert api_settings.PAGE_SIZE is None


def test_user_values_are_imported_from_dotted_paths():
    """User-supplied dotted paths are imported, one by one for lists."""
    setting = {
        "DEFAULT_PERMISSION_CLASSES": ["djangochannelsrestframework.permissions.IsAuthenticated"],
        "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    }
    with override_settings(DJANGO_CHANNELS_REST_API=setting):
        assert list(api_settings.DEFAULT_PERMISSION_CLASSES) == [IsAuthenticated]
        assert api_settings.DEFAULT_PAGINATION_CLASS is LimitOffsetPagination


def test_a_bad_dotted_path_raises_import_error():
    """A dotted path that cannot be imported fails loudly, naming the setting."""
    setting = {"DEFAULT_PAGINATION_CLASS": "no.such.Module"}
    with (
        override_settings(DJANGO_CHANNELS_REST_API=setting),
        pytest.raises(ImportError, match="DEFAULT_PAGINATION_CLASS"),
    ):
        api_settings.DEFAULT_PAGINATION_CLASS  # noqa: B018


def test_unset_keys_keep_their_defaults_when_others_are_set():
    """A partial setting dict only changes the keys it names."""
    with override_settings(DJANGO_CHANNELS_REST_API={"PAGE_SIZE": 3}):
        with pytest.warns(PendingDeprecationWarning, match="use PAGE_SIZE"):
            assert api_settings.DEFAULT_PAGE_SIZE == 25
        assert list(api_settings.DEFAULT_PERMISSION_CLASSES) == [AllowAny]


def test_values_are_cached_until_reload():
    """A value is resolved once; after ``reload()`` the Django setting is read again."""
    settings = APISettings({"PAGE_SIZE": 5})
    assert settings.PAGE_SIZE == 5
    settings._user_settings["PAGE_SIZE"] = 6
    assert settings.PAGE_SIZE == 5
    settings.reload()
    assert settings.PAGE_SIZE is None


def test_explicit_user_settings_and_defaults():
    """``APISettings(user_settings, defaults, import_strings)`` works on its own."""
    settings = APISettings(
        {"CLASS": "rest_framework.pagination.LimitOffsetPagination"},
        defaults={"CLASS": None, "SIZE": 1},
        import_strings=("CLASS",),
    )
    assert settings.CLASS is LimitOffsetPagination
    assert settings.SIZE == 1


def test_reload_ignores_other_settings():
    """``reload_api_settings`` only reloads for ``DJANGO_CHANNELS_REST_API``."""
    with override_settings(DJANGO_CHANNELS_REST_API={"PAGE_SIZE": 7}):
        assert api_settings.PAGE_SIZE == 7
        reload_api_settings(setting="SOMETHING_ELSE")
        assert "PAGE_SIZE" in api_settings.__dict__
        reload_api_settings(setting="DJANGO_CHANNELS_REST_API")
        assert "PAGE_SIZE" not in api_settings.__dict__
        assert api_settings.PAGE_SIZE == 7
