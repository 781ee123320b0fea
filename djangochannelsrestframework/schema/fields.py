"""JSON Schema for DRF serializers, in the two shapes a socket sees: what clients send and
what the server replies.

A serializer has one set of fields but two shapes on the wire: ``write_only`` fields (a
password) only ever appear in requests and ``read_only`` fields (an ``id``) only in
replies. ``SchemaRegistry`` builds one named schema per serializer class and shape and
hands out ``$ref`` pointers to it, so a serializer used by ten actions is described once.
"""

from __future__ import annotations

import decimal
import inspect
import re
import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from rest_framework import fields, relations, serializers
from rest_framework.settings import api_settings as drf_settings

__all__ = ["Mode", "SchemaRegistry", "model_field_schema", "as_json_schema"]

JsonSchema = dict[str, Any]
if TYPE_CHECKING:
    # Any DRF field: its type parameters (in the stubs only) say nothing the schema uses.
    AnyField = fields.Field[Any, Any, Any, Any]
else:
    AnyField = fields.Field


class Mode(str, Enum):
    """Which side of the wire a serializer is described for."""

    #: Replies and events: read-only fields included, write-only fields left out; every
    #: field is present.
    READ = "Read"
    #: Requests (``create``, ``update``): write-only included, read-only left out; the
    #: serializer's ``required`` flags apply.
    WRITE = "Write"
    #: ``patch``: as ``WRITE``, but no field is required.
    PARTIAL = "Partial"


_STRING_FORMATS: tuple[tuple[type[AnyField], str], ...] = (
    (fields.EmailField, "email"),
    (fields.URLField, "uri"),
    (fields.UUIDField, "uuid"),
    (fields.DateTimeField, "date-time"),
    (fields.DateField, "date"),
    (fields.TimeField, "time"),
    (fields.DurationField, "duration"),
    (fields.IPAddressField, "ip"),
    (relations.HyperlinkedRelatedField, "uri"),
)


def _with_null(schema: JsonSchema) -> JsonSchema:
    """Let ``schema`` also accept ``null`` (DRF's ``allow_null``)."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return {**schema, "type": [*kind, "null"]} if "null" not in kind else schema
    if not schema or set(schema) <= {"description", "title", "readOnly", "writeOnly"}:
        return schema  # already accepts anything
    return {"anyOf": [schema, {"type": "null"}]}


def _jsonable(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_jsonable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    return False


def model_field_schema(model: Any, field_name: str) -> JsonSchema:
    """The JSON type of a model field used as a lookup key (``pk``, a slug...)."""
    try:
        meta = model._meta
        field = meta.pk if field_name == "pk" else meta.get_field(field_name)
    except Exception:
        return {"type": ["integer", "string"]}
    while getattr(field, "remote_field", None) is not None and field.is_relation:
        field = field.target_field
    internal = field.get_internal_type()
    if "Integer" in internal or internal.endswith("AutoField"):
        return {"type": "integer"}
    if internal == "UUIDField":
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


def _choices(field: fields.ChoiceField) -> list[Any]:
    return [key for key in field.choices if _jsonable(key)]


class SchemaRegistry:
    """Named JSON Schemas for serializers, shared by every action of a document.

    ``ref(serializer_class, mode)`` returns ``{"$ref": "#/components/schemas/<Name>"}``
    and records the schema under ``schemas``; two serializer classes with the same name in
    different modules get distinct names.
    """

    def __init__(self, ref_prefix: str = "#/components/schemas/") -> None:
        self.ref_prefix = ref_prefix
        self.schemas: dict[str, JsonSchema] = {}
        self._names: dict[tuple[type, Mode], str] = {}

    # Naming ---------------------------------------------------------------------------

    def _name_for(self, serializer_class: type, mode: Mode) -> str:
        key = (serializer_class, mode)
        if key in self._names:
            return self._names[key]
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", serializer_class.__name__)
        if base.endswith("Serializer") and base != "Serializer":
            base = base[: -len("Serializer")]
        name = f"{base}{mode.value}"
        taken = set(self._names.values())
        counter = 2
        while name in taken:
            name = f"{base}{counter}{mode.value}"
            counter += 1
        self._names[key] = name
        return name

    def ref(self, serializer: Any, mode: Mode) -> JsonSchema:
        """A ``$ref`` to the schema of ``serializer`` (a class or an instance) in ``mode``."""
        if isinstance(serializer, serializers.ListSerializer):
            return {"type": "array", "items": self.ref(serializer.child, mode)}
        serializer_class = serializer if inspect.isclass(serializer) else type(serializer)
        name = self._name_for(serializer_class, mode)
        if name not in self.schemas:
            self.schemas[name] = {}  # placeholder: nested self-references end here
            instance = serializer if not inspect.isclass(serializer) else _instantiate(serializer)
            self.schemas[name] = self.serializer_schema(instance, mode)
        return {"$ref": self.ref_prefix + name}

    def resolve(self, schema: JsonSchema) -> JsonSchema:
        """``schema`` itself, or the registered schema a ``$ref`` points to."""
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(self.ref_prefix):
            return self.schemas.get(ref[len(self.ref_prefix) :], {})
        return schema

    # Serializers and fields -------------------------------------------------------------

    def serializer_schema(self, serializer: Any, mode: Mode) -> JsonSchema:
        """The object schema of one serializer instance in ``mode`` (not registered)."""
        schema: JsonSchema = {"type": "object"}
        doc = inspect.getdoc(type(serializer))
        if doc and type(serializer).__doc__:
            schema["description"] = doc
        properties: dict[str, JsonSchema] = {}
        required: list[str] = []
        try:
            field_items = list(serializer.fields.items())
        except Exception as exc:  # a serializer that needs a request to build its fields
            return {"type": "object", "description": f"Fields could not be introspected: {exc}"}
        for name, field in field_items:
            if isinstance(field, fields.HiddenField):
                continue
            if mode is Mode.READ and field.write_only:
                continue
            if mode is not Mode.READ and field.read_only:
                continue
            properties[name] = self.field_schema(field, mode)
            if mode is Mode.READ or (mode is Mode.WRITE and field.required):
                required.append(name)
        schema["properties"] = properties
        if required:
            schema["required"] = required
        if mode is Mode.READ:
            # A serializer's output has exactly its fields; input may carry others (ignored).
            schema["additionalProperties"] = False
        return schema

    def field_schema(self, field: AnyField, mode: Mode) -> JsonSchema:
        """The schema of one serializer field, with its title, description and default."""
        schema = self._field_type(field, mode)
        if getattr(field, "allow_null", False):
            schema = _with_null(schema)
        if "$ref" in schema and (field.help_text or field.label):
            # Siblings of "$ref" are ignored by JSON Schema draft 7: wrap it.
            schema = {"allOf": [schema]}
        if field.label and field.label != _default_label(field):
            schema["title"] = str(field.label)
        if field.help_text:
            schema["description"] = str(field.help_text)
        default = getattr(field, "default", fields.empty)
        settable = mode is not Mode.READ and default is not fields.empty
        if settable and not callable(default) and _jsonable(default):
            schema["default"] = default
        return schema

    def _field_type(self, field: AnyField, mode: Mode) -> JsonSchema:
        if isinstance(field, serializers.ListSerializer):
            return {"type": "array", "items": self.ref(field.child, mode)}
        if isinstance(field, serializers.BaseSerializer):
            return self.ref(field, mode)
        if isinstance(field, relations.ManyRelatedField):
            return {"type": "array", "items": self._field_type(field.child_relation, mode)}
        if isinstance(field, fields.ListField | fields.MultipleChoiceField):
            if isinstance(field, fields.MultipleChoiceField):
                items: JsonSchema = {"enum": _choices(field)}
            else:
                items = self.field_schema(field.child, mode) if field.child else {}
            schema: JsonSchema = {"type": "array", "items": items}
            for attribute, keyword in (("min_length", "minItems"), ("max_length", "maxItems")):
                if getattr(field, attribute, None) is not None:
                    schema[keyword] = getattr(field, attribute)
            return schema
        if isinstance(field, fields.DictField | fields.HStoreField):
            child = self.field_schema(field.child, mode) if field.child else {}
            return {"type": "object", "additionalProperties": child}
        if isinstance(field, fields.ChoiceField):
            return {"enum": _choices(field)}
        if isinstance(field, fields.BooleanField):
            return {"type": "boolean"}
        if isinstance(field, fields.IntegerField):
            return _bounded({"type": "integer"}, field)
        if isinstance(field, fields.FloatField):
            return _bounded({"type": "number"}, field)
        if isinstance(field, fields.DecimalField):
            as_string = getattr(field, "coerce_to_string", None)
            if as_string is None:
                as_string = drf_settings.COERCE_DECIMAL_TO_STRING
            if as_string and mode is Mode.READ:
                return {"type": "string", "format": "decimal"}
            if as_string:
                return {"type": ["string", "number"], "format": "decimal"}
            return _bounded({"type": "number"}, field)
        if isinstance(field, relations.PrimaryKeyRelatedField):
            model = getattr(getattr(field, "queryset", None), "model", None)
            if model is None and field.parent is not None:
                model = _related_model(field)
            return model_field_schema(model, "pk") if model is not None else {}
        if isinstance(field, relations.RelatedField) and not isinstance(
            field, relations.HyperlinkedRelatedField | relations.SlugRelatedField
        ):
            # StringRelatedField and custom related fields: their text form.
            return {"type": "string"} if mode is Mode.READ else {}
        if isinstance(field, fields.JSONField | fields.ReadOnlyField | fields.ModelField):
            return {}
        if isinstance(field, fields.SerializerMethodField):
            return _method_field_schema(field)
        for field_type, format_name in _STRING_FORMATS:
            if isinstance(field, field_type):
                return {"type": "string", "format": format_name}
        if isinstance(field, fields.CharField | relations.SlugRelatedField | fields.FileField):
            schema = {"type": "string"}
            for attribute, keyword in (("min_length", "minLength"), ("max_length", "maxLength")):
                if getattr(field, attribute, None) is not None:
                    schema[keyword] = getattr(field, attribute)
            return schema
        return {}


def _bounded(schema: JsonSchema, field: Any) -> JsonSchema:
    for attribute, keyword in (("min_value", "minimum"), ("max_value", "maximum")):
        value = getattr(field, attribute, None)
        if isinstance(value, decimal.Decimal):
            value = float(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            schema[keyword] = value
    return schema


def _default_label(field: AnyField) -> str:
    return (field.field_name or "").replace("_", " ").capitalize()


def _related_model(field: Any) -> Any:
    meta = getattr(field.parent, "Meta", None)
    model = getattr(meta, "model", None)
    try:
        return model._meta.get_field(field.source).related_model if model else None
    except Exception:
        return None


_ANNOTATION_TYPES: Mapping[Any, JsonSchema] = {
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    list: {"type": "array"},
    dict: {"type": "object"},
}


def annotation_schema(annotation: Any) -> JsonSchema:
    """A JSON Schema for a Python type annotation (plain types, their generics and unions).

    Used for custom actions' parameters and ``SerializerMethodField`` return types; anything
    else is described as ``{}`` (any value) rather than guessed.
    """
    if annotation in _ANNOTATION_TYPES:
        return dict(_ANNOTATION_TYPES[annotation])
    origin = typing.get_origin(annotation)
    if origin in (list, dict):
        return dict(_ANNOTATION_TYPES[origin])
    if origin in (typing.Union, types.UnionType):
        members = [annotation_schema(a) for a in typing.get_args(annotation)]
        kinds: list[str] = []
        for member in members:
            if "type" not in member:
                return {}
            kinds.append(member["type"])
        return {"type": kinds}
    if annotation is type(None):
        return {"type": "null"}
    return {}


def _method_field_schema(field: fields.SerializerMethodField) -> JsonSchema:
    """A ``SerializerMethodField`` is as typed as its method's return annotation."""
    parent = field.parent
    method = getattr(parent, field.method_name or "", None) if parent is not None else None
    if method is None:
        return {}
    try:
        annotation = inspect.signature(method, eval_str=True).return_annotation
    except Exception:
        return {}
    return annotation_schema(annotation)


def _instantiate(serializer_class: type) -> Any:
    return serializer_class(context={})


def as_json_schema(value: Any, registry: SchemaRegistry, mode: Mode) -> JsonSchema:
    """A schema given to a hook: a serializer class or instance, or a JSON Schema dict."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, serializers.BaseSerializer) or (
        inspect.isclass(value) and issubclass(value, serializers.BaseSerializer)
    ):
        return registry.ref(value, mode)
    if isinstance(value, fields.Field):
        return registry.field_schema(value, mode)
    raise TypeError(
        f"Expected a serializer class, a serializer, a field or a JSON Schema dict; got {value!r}."
    )
