"""JSON Schema of DRF serializer fields, one field type at a time."""

from __future__ import annotations

import decimal

from django.contrib.auth import get_user_model
from rest_framework import serializers

from djangochannelsrestframework.schema.fields import (
    Mode,
    SchemaRegistry,
    as_json_schema,
    model_field_schema,
)
from tests.app.models import Book, Measurement, Note, SlugItem


class Everything(serializers.Serializer):
    """One field of each kind."""

    flag = serializers.BooleanField()
    count = serializers.IntegerField(min_value=0, max_value=9)
    ratio = serializers.FloatField(min_value=0.5)
    price = serializers.DecimalField(max_digits=5, decimal_places=2)
    exact = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, min_value=decimal.Decimal("1")
    )
    name = serializers.CharField(max_length=10, min_length=2, help_text="A short name.")
    email = serializers.EmailField(label="Mail")
    site = serializers.URLField()
    uuid = serializers.UUIDField()
    when = serializers.DateTimeField()
    day = serializers.DateField()
    time = serializers.TimeField()
    span = serializers.DurationField()
    address = serializers.IPAddressField()
    slug = serializers.SlugField()
    color = serializers.ChoiceField(choices=["red", "green"])
    colors = serializers.MultipleChoiceField(choices=[1, 2])
    tags = serializers.ListField(child=serializers.CharField(), min_length=1, max_length=3)
    scores = serializers.DictField(child=serializers.IntegerField())
    payload = serializers.JSONField()
    nothing = serializers.CharField(allow_null=True, required=False, default="x")
    maybe_list = serializers.ListField(allow_null=True)
    anything = serializers.ReadOnlyField()
    secret = serializers.HiddenField(default="hidden")
    upload = serializers.FileField(required=False)
    computed = serializers.SerializerMethodField()
    untyped = serializers.SerializerMethodField()

    def get_computed(self, obj) -> int:
        return 1

    def get_untyped(self, obj):
        return None


class NoteWithRelations(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    owner_name = serializers.StringRelatedField(source="owner")
    owner_slug = serializers.SlugRelatedField(source="owner", slug_field="username", read_only=True)

    class Meta:
        model = Note
        fields = ["id", "title", "owner", "owner_name", "owner_slug"]


class BookWithGenres(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "genres", "author"]


def schema_of(serializer, mode=Mode.READ):
    registry = SchemaRegistry()
    return registry.resolve(registry.ref(serializer, mode)), registry


def test_scalar_fields():
    """Booleans, bounded numbers, decimals (strings by default) and strings with formats."""
    props = schema_of(Everything)[0]["properties"]
    assert props["flag"] == {"type": "boolean"}
    assert props["count"] == {"type": "integer", "minimum": 0, "maximum": 9}
    assert props["ratio"] == {"type": "number", "minimum": 0.5}
    assert props["price"] == {"type": "string", "format": "decimal"}
    assert props["exact"] == {"type": "number", "minimum": 1.0}
    assert props["name"] == {
        "type": "string",
        "minLength": 2,
        "maxLength": 10,
        "description": "A short name.",
    }
    formats = {name: props[name].get("format") for name in ("email", "site", "uuid", "when")}
    assert formats == {"email": "email", "site": "uri", "uuid": "uuid", "when": "date-time"}
    assert props["email"]["title"] == "Mail"
    assert [props[n]["format"] for n in ("day", "time", "span", "address")] == [
        "date",
        "time",
        "duration",
        "ip",
    ]
    assert props["slug"]["type"] == "string"


def test_decimals_are_strings_or_numbers_in_requests():
    """A request may send a decimal as text or as a number; a reply sends text."""
    props = schema_of(Everything, Mode.WRITE)[0]["properties"]
    assert props["price"] == {"type": ["string", "number"], "format": "decimal"}


def test_choices_lists_and_dicts():
    """Choices become enums; lists and dicts carry their child's schema."""
    props = schema_of(Everything)[0]["properties"]
    assert props["color"] == {"enum": ["red", "green"]}
    assert props["colors"] == {"type": "array", "items": {"enum": [1, 2]}}
    assert props["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "minItems": 1,
        "maxItems": 3,
    }
    assert props["scores"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert props["payload"] == {} and props["anything"] == {}


def test_nulls_defaults_hidden_and_method_fields():
    """allow_null adds null; defaults show in requests; hidden fields never show; method
    fields take their return annotation."""
    read, _ = schema_of(Everything)
    write, _ = schema_of(Everything, Mode.WRITE)
    assert read["properties"]["nothing"]["type"] == ["string", "null"]
    assert write["properties"]["nothing"]["default"] == "x"
    assert "default" not in read["properties"]["nothing"]
    assert read["properties"]["maybe_list"]["type"] == ["array", "null"]
    assert "secret" not in read["properties"] and "secret" not in write["properties"]
    assert read["properties"]["computed"] == {"type": "integer"}
    assert read["properties"]["untyped"] == {}
    assert "computed" not in write["properties"]
    assert "upload" in write["properties"] and "upload" not in write["required"]


def test_related_fields():
    """A primary key takes the related model's key type; string and slug relations are
    strings; many-to-many is an array of keys."""
    props = schema_of(NoteWithRelations)[0]["properties"]
    assert props["owner"]["type"] == "integer"
    assert props["owner_name"] == {"type": "string"}
    assert props["owner_slug"] == {"type": "string"}
    books = schema_of(BookWithGenres, Mode.WRITE)[0]["properties"]
    assert books["genres"]["type"] == "array" and books["genres"]["items"]["type"] == "integer"
    assert books["author"]["type"] == "integer"


def test_lookup_types_follow_the_model_field():
    """Integer keys, UUID keys, slugs and unknown fields."""
    assert model_field_schema(get_user_model(), "pk") == {"type": "integer"}
    assert model_field_schema(Measurement, "pk") == {"type": "string", "format": "uuid"}
    assert model_field_schema(SlugItem, "slug") == {"type": "string"}
    assert model_field_schema(Book, "author") == {"type": "integer"}
    assert model_field_schema(Book, "no_such_field") == {"type": ["integer", "string"]}


def test_serializers_with_the_same_name_get_distinct_schemas():
    """Two classes named alike in different places do not overwrite each other."""
    registry = SchemaRegistry()

    def make():
        class Item(serializers.Serializer):
            a = serializers.IntegerField()

        return Item

    first, second = make(), make()
    refs = {registry.ref(first, Mode.READ)["$ref"], registry.ref(second, Mode.READ)["$ref"]}
    assert refs == {"#/components/schemas/ItemRead", "#/components/schemas/Item2Read"}


def test_self_referencing_serializers_end():
    """A serializer nesting itself is described by reference, without recursion."""

    class Tree(serializers.Serializer):
        name = serializers.CharField()

    Tree._declared_fields["children"] = Tree(many=True, required=False)
    schema, registry = schema_of(Tree)
    assert schema["properties"]["children"]["items"] == {"$ref": "#/components/schemas/TreeRead"}


def test_fields_that_need_a_request_degrade():
    """A serializer whose fields cannot be built without a request is an open object."""

    class NeedsRequest(serializers.Serializer):
        def get_fields(self):
            raise KeyError("request")

    schema, _ = schema_of(NeedsRequest)
    assert schema["type"] == "object" and "could not be introspected" in schema["description"]


def test_hook_values():
    """Hooks accept serializer classes or instances, single fields and JSON Schema dicts."""
    registry = SchemaRegistry()
    assert as_json_schema({"type": "string"}, registry, Mode.READ) == {"type": "string"}
    assert as_json_schema(None, registry, Mode.READ) == {}
    assert as_json_schema(serializers.IntegerField(), registry, Mode.READ) == {"type": "integer"}
    many = as_json_schema(NoteWithRelations(many=True), registry, Mode.READ)
    assert many["items"] == {"$ref": "#/components/schemas/NoteWithRelationsRead"}
    try:
        as_json_schema(42, registry, Mode.READ)
    except TypeError as exc:
        assert "JSON Schema" in str(exc)
    else:
        raise AssertionError("42 is not a schema")
