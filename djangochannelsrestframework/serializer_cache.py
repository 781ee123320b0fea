"""Reuse what a ``ModelSerializer`` builds from model metadata instead of rebuilding it.

DRF builds a ``ModelSerializer``'s fields from the model's metadata on every
instantiation (field mapping, keyword arguments, translated labels and messages): about a
quarter of the time of a simple ``retrieve``. For a serializer class whose fields can only
depend on its class (no hook that builds fields is overridden), the result is the same
every time, so it is built once per class and each new serializer gets fresh, unbound
copies of those fields. Setting ``CACHE_SERIALIZER_FIELDS = False`` turns
this off.
"""

from __future__ import annotations

import copy
import weakref
from typing import Any, cast

from django.core.signals import setting_changed
from rest_framework.serializers import (
    BaseSerializer,
    HyperlinkedModelSerializer,
    ListSerializer,
    ModelSerializer,
)
from rest_framework.settings import api_settings as drf_settings
from rest_framework.utils.serializer_helpers import BindingDict

from djangochannelsrestframework.settings import api_settings

# The hooks with which a ModelSerializer subclass can make its fields depend on the
# instance (its context, its data): a class overriding any of them is never cached.
_FIELD_BUILDING_HOOKS = (
    "fields",
    "get_fields",
    "get_field_names",
    "get_default_field_names",
    "build_field",
    "build_standard_field",
    "build_relational_field",
    "build_nested_field",
    "build_property_field",
    "build_url_field",
    "build_unknown_field",
    "include_extra_kwargs",
    "get_extra_kwargs",
    "get_uniqueness_extra_kwargs",
    "get_unique_together_constraints",
    "_get_model_fields",
)
_DRF_CLASSES = (ModelSerializer, HyperlinkedModelSerializer)

try:  # Django 5.0+: ``choices`` may be a callable, kept wrapped in this iterator.
    from django.utils.choices import CallableChoiceIterator as _CallableChoices
except ImportError:  # Django 4.2
    _CallableChoices = None  # type: ignore[assignment,misc]

#: Unbound field templates per serializer class; ``None`` marks an uncacheable class.
_templates: weakref.WeakKeyDictionary[type, dict[str, Any] | None] = weakref.WeakKeyDictionary()


def _forget(**kwargs: Any) -> None:
    _templates.clear()


setting_changed.connect(_forget)


def _is_cacheable(serializer_class: type) -> bool:
    if not issubclass(serializer_class, ModelSerializer):
        return False
    for klass in serializer_class.__mro__:
        if klass in _DRF_CLASSES:
            return not _model_has_computed_choices(serializer_class)
        if any(hook in vars(klass) for hook in _FIELD_BUILDING_HOOKS):
            return False
    return False


def _model_has_computed_choices(serializer_class: type) -> bool:
    """Whether building the fields calls code of the model whose answer may change: a
    callable ``limit_choices_to`` or callable ``choices``, which DRF evaluates for every
    serializer it builds (a cached field would keep the first answer)."""
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    if model is None:
        return False
    for field in model._meta.get_fields():
        remote_field = getattr(field, "remote_field", None)
        if callable(getattr(remote_field, "limit_choices_to", None)):
            return True
        if _CallableChoices is not None and isinstance(
            getattr(field, "choices", None), _CallableChoices
        ):
            return True
    return False


def _template_for(serializer: Any) -> dict[str, Any] | None:
    serializer_class = type(serializer)
    if serializer_class not in _templates:
        _templates[serializer_class] = (
            serializer.get_fields() if _is_cacheable(serializer_class) else None
        )
    return _templates[serializer_class]


def prime_fields(serializer: Any) -> Any:
    """Give ``serializer`` (or a list serializer's child) its fields from the class cache.

    Does nothing for serializers that cannot be cached or whose fields were already built.
    Returns the serializer.
    """
    if not api_settings.CACHE_SERIALIZER_FIELDS:
        return serializer
    target = serializer.child if isinstance(serializer, ListSerializer) else serializer
    if not isinstance(target, ModelSerializer) or "fields" in vars(target):
        return serializer
    template = _template_for(target)
    if template is None:
        return serializer
    if target.url_field_name is None:
        # Set on the instance as DRF's ``get_fields`` does (its stubs say class variable).
        cast(Any, target).url_field_name = drf_settings.URL_FIELD_NAME
    fields = BindingDict(target)
    for name, field in template.items():
        fields[name] = _copy_field(field)
    vars(target)["fields"] = fields
    return serializer


def _copy_field(field: Any) -> Any:
    """A fresh, unbound copy of a template field.

    A plain field holds no per-instance state before it is bound, so a shallow copy will
    do (binding sets the name, parent and source on the copy), with its own copies of the
    containers users are known to change per serializer (``error_messages``, ``style``,
    the ``validators`` list). Fields holding other fields (nested serializers, list and
    many-related fields) are deep-copied, as DRF does.
    """
    if (
        isinstance(field, BaseSerializer)
        or hasattr(field, "child")
        or hasattr(field, "child_relation")
    ):
        return copy.deepcopy(field)
    clone = copy.copy(field)
    state = vars(clone)
    for name in _PER_INSTANCE_CONTAINERS:
        if name in state:
            state[name] = copy.copy(state[name])
    return clone


#: Mutable attributes of a DRF field that each serializer must own.
_PER_INSTANCE_CONTAINERS = ("error_messages", "style", "_validators")
