"""System checks: configuration mistakes are reported at start-up, with the fix as the hint."""

import pytest
from django.core import checks
from django.test import override_settings

from djangochannelsrestframework.checks import check_bounds, check_settings


def test_no_setting_is_fine():
    """Without ``DJANGO_CHANNELS_REST_API`` there is nothing to report."""
    assert check_settings() == []


def test_known_keys_are_fine():
    """A setting using only known keys passes."""
    setting = {"PAGE_SIZE": 10, "DEFAULT_PERMISSION_CLASSES": [], "MAX_MESSAGE_SIZE": 100}
    with override_settings(DJANGO_CHANNELS_REST_API=setting):
        assert check_settings() == []


def test_unknown_key_is_a_warning_with_id_and_hint():
    """An unknown key (a typo, silently ignored otherwise) is a ``Warning`` listing valid
    keys; not an error, which would stop ``migrate`` in a project 1.3 ran fine."""
    with override_settings(DJANGO_CHANNELS_REST_API={"PAGE_SIZ": 10}):
        [error] = check_settings()
    assert isinstance(error, checks.Warning) and not isinstance(error, checks.Error)
    assert error.level == checks.WARNING
    assert error.id == "djangochannelsrestframework.W002"
    assert "'PAGE_SIZ'" in error.msg
    assert "PAGE_SIZE" in error.hint
    assert "DEFAULT_PERMISSION_CLASSES" in error.hint


def test_each_unknown_key_is_reported():
    """Every unknown key gets its own error."""
    with override_settings(DJANGO_CHANNELS_REST_API={"A": 1, "B": 2, "PAGE_SIZE": 1}):
        errors = check_settings()
    assert [error.id for error in errors] == ["djangochannelsrestframework.W002"] * 2
    assert {error.msg for error in errors} == {
        "Unknown key 'A' in DJANGO_CHANNELS_REST_API.",
        "Unknown key 'B' in DJANGO_CHANNELS_REST_API.",
    }


def test_a_setting_that_is_not_a_dict_is_an_error():
    """A non-dict setting is reported with its own id."""
    with override_settings(DJANGO_CHANNELS_REST_API=["PAGE_SIZE"]):
        [error] = check_settings()
    assert error.id == "djangochannelsrestframework.E001"
    assert error.hint


def test_the_check_runs_with_djangos_checks():
    """The check is registered, so ``manage.py check`` reports unknown keys."""
    with override_settings(DJANGO_CHANNELS_REST_API={"TYPO": 1}):
        ids = [message.id for message in checks.run_checks()]
    assert "djangochannelsrestframework.W002" in ids


@pytest.mark.parametrize(
    "name, value",
    [
        ("MAX_JSON_DEPTH", 0),
        ("MAX_REQUEST_ID_SIZE", -1),
        ("MAX_QUERY_SIZE", "8k"),
        ("MAX_SEARCH_TERMS", True),
        ("CHANNEL_LAYER_TIMEOUT", 0),
        ("CHANNEL_LAYER_RETRY_INTERVAL", None),
        ("TOKEN_RECHECK_INTERVAL", -5),
    ],
)
def test_a_bound_that_is_not_a_positive_number_is_an_error(name, value):
    """Input bounds and intervals are positive numbers (``None`` where "no bound" makes
    sense); anything else is ``E003`` naming the setting and its default."""
    with override_settings(DJANGO_CHANNELS_REST_API={name: value}):
        [error] = check_bounds()
    assert error.id == "djangochannelsrestframework.E003"
    assert name in error.msg and "positive number" in error.hint


def test_bounds_may_be_none_or_positive():
    setting = {"MAX_JSON_DEPTH": None, "MAX_QUERY_SIZE": 100, "CHANNEL_LAYER_TIMEOUT": 0.5}
    with override_settings(DJANGO_CHANNELS_REST_API=setting):
        assert check_bounds() == []
