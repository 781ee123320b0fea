"""Serializer field cache: a plain ModelSerializer's fields are built once per class."""

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework import serializers
from rest_framework.utils import model_meta

from djangochannelsrestframework.serializer_cache import prime_fields
from tests.app import models
from tests.app.models import Note, Pin
from tests.app.serializers import NoteSerializer, UserSerializer

User = get_user_model()


class ContextFieldsSerializer(serializers.ModelSerializer):
    """Drops ``body`` unless the context asks for it: its fields depend on the instance."""

    class Meta:
        model = Note
        fields = ["id", "title", "body"]

    def get_fields(self):
        fields = super().get_fields()
        if not self.context.get("with_body"):
            fields.pop("body")
        return fields


class PoppingSerializer(serializers.ModelSerializer):
    """Removes a field in ``__init__``, after the fields were built."""

    class Meta:
        model = Note
        fields = ["id", "title", "body"]

    def __init__(self, *args, drop=None, **kwargs):
        super().__init__(*args, **kwargs)
        if drop:
            self.fields.pop(drop)


def test_cached_fields_are_the_fields_drf_builds():
    """A primed serializer has the same fields, with the same options, as a fresh one."""
    assert repr(prime_fields(UserSerializer())) == repr(UserSerializer())
    assert repr(prime_fields(NoteSerializer(many=True))) == repr(NoteSerializer(many=True))


def test_model_metadata_is_read_once_per_class(monkeypatch):
    """Building the fields from the model happens for the first serializer only."""
    calls = []
    original = model_meta.get_field_info
    monkeypatch.setattr(model_meta, "get_field_info", lambda m: calls.append(m) or original(m))

    class CountedSerializer(serializers.ModelSerializer):
        class Meta:
            model = Note
            fields = ["id", "title"]

    for _ in range(3):
        assert "title" in prime_fields(CountedSerializer()).fields
    assert len(calls) == 1


def test_each_serializer_gets_its_own_field_objects():
    """Two serializers never share field instances (fields are bound to their parent)."""
    first, second = prime_fields(NoteSerializer()), prime_fields(NoteSerializer())
    assert first.fields["title"] is not second.fields["title"]
    assert first.fields["title"].parent is first


@pytest.mark.django_db
def test_validation_and_write_only_fields_behave_as_without_the_cache():
    """Validation errors, write-only fields and saving are unchanged."""
    User.objects.create(username="taken")
    serializer = prime_fields(UserSerializer(data={"username": "taken", "password": "x"}))
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"username"}
    serializer = prime_fields(UserSerializer(data={"username": "new", "password": "x"}))
    assert serializer.is_valid(), serializer.errors
    user = serializer.save()
    assert "password" not in prime_fields(UserSerializer(user)).data


def test_a_serializer_overriding_get_fields_is_not_cached():
    """Fields that depend on the context are built per instance, as DRF does."""
    assert "body" not in prime_fields(ContextFieldsSerializer()).fields
    assert "body" in prime_fields(ContextFieldsSerializer(context={"with_body": True})).fields


def test_fields_removed_in_init_do_not_leak_into_the_next_serializer():
    """Popping a field from one serializer's copy leaves the class cache intact."""
    trimmed = prime_fields(PoppingSerializer())
    trimmed.fields.pop("body")
    assert "body" not in trimmed.fields
    assert "body" in prime_fields(PoppingSerializer()).fields
    assert "body" not in PoppingSerializer(drop="body").fields


def test_the_setting_turns_the_cache_off():
    """With ``CACHE_SERIALIZER_FIELDS = False`` serializers are left as DRF makes them."""
    with override_settings(DJANGO_CHANNELS_REST_API={"CACHE_SERIALIZER_FIELDS": False}):
        serializer = prime_fields(NoteSerializer())
        assert "fields" not in vars(serializer)


def test_changing_one_serializers_field_does_not_change_the_next():
    """Error messages, style and validators belong to each serializer, as in DRF."""
    first = prime_fields(UserSerializer())
    first.fields["username"].error_messages["required"] = "changed"
    first.fields["username"].style["placeholder"] = "x"
    first.fields["username"].validators.append(lambda value: None)
    second = prime_fields(UserSerializer())
    assert second.fields["username"].error_messages["required"] != "changed"
    assert "placeholder" not in second.fields["username"].style
    assert len(second.fields["username"].validators) == len(
        UserSerializer().fields["username"].validators
    )


class PinSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pin
        fields = ["id", "note"]


@pytest.mark.django_db
def test_callable_limit_choices_to_is_asked_for_every_serializer():
    """A relation's callable ``limit_choices_to`` is evaluated each time, as in DRF: the
    class is not cached, so a change in what it allows applies to the next serializer."""
    apple = Note.objects.create(title="apple")
    banana = Note.objects.create(title="banana")
    assert prime_fields(PinSerializer(data={"note": apple.pk})).is_valid()
    models.PINNABLE_PREFIX[0] = "b"
    try:
        assert prime_fields(PinSerializer(data={"note": banana.pk})).is_valid()
        assert not prime_fields(PinSerializer(data={"note": apple.pk})).is_valid()
    finally:
        models.PINNABLE_PREFIX[0] = "a"


def test_the_hook_list_names_every_field_building_method_of_drf():
    """Every ``build_*`` and ``get_*field*`` method DRF's model serializers define is in
    ``_FIELD_BUILDING_HOOKS``, so a DRF upgrade that adds one fails here, not in production."""
    import re

    from djangochannelsrestframework.serializer_cache import _FIELD_BUILDING_HOOKS

    drf_hooks = {
        name
        for klass in (serializers.ModelSerializer, serializers.HyperlinkedModelSerializer)
        for name in vars(klass)
        if name.startswith("build_") or re.match(r"_?get_.*field", name)
    }
    assert drf_hooks <= set(_FIELD_BUILDING_HOOKS)
