"""Serializers used by the tests."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from tests.app.models import Author, Book, Genre, LiveItem, Note, SlugItem


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "password"]
        extra_kwargs = {"password": {"write_only": True, "required": False}}

    def create(self, validated_data):
        password = validated_data.pop("password", None)
        user = super().create(validated_data)
        if password:
            user.set_password(password)
            user.save(update_fields=["password"])
        return user


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "title", "body", "owner"]


class SlugItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlugItem
        fields = ["id", "slug", "value"]


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class GenreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["id", "name"]


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title", "year", "author"]


class NestedBookSerializer(serializers.ModelSerializer):
    """A book with its author and genres nested: the shape that invites N+1 queries."""

    author = AuthorSerializer(read_only=True)
    genres = GenreSerializer(many=True, read_only=True)

    class Meta:
        model = Book
        fields = ["id", "title", "year", "author", "genres"]


class LiveItemSerializer(serializers.ModelSerializer):
    tag_name = serializers.CharField(source="tag.name", default=None, read_only=True)

    class Meta:
        model = LiveItem
        fields = ["id", "name", "score", "team", "owner", "tag_name"]
