"""``UserSerializer``: users with a write-only password, set from ``password1``/``password2``."""

from django.contrib.auth.models import User
from rest_framework import serializers
from rest_framework.validators import UniqueValidator


class UserSerializer(serializers.ModelSerializer):
    """Usernames may contain spaces ("new user 4"); passwords are hashed and never sent back.

    A password can be given as ``password`` or as a matching ``password1``/``password2``
    pair (the form's two boxes). Every password field is optional, so an ``update`` that
    only carries a username is valid.
    """

    username = serializers.CharField(
        max_length=150,
        validators=[UniqueValidator(queryset=User.objects.all())],
    )
    password1 = serializers.CharField(write_only=True, required=False, trim_whitespace=False)
    password2 = serializers.CharField(write_only=True, required=False, trim_whitespace=False)

    class Meta:
        model = User
        fields = ["id", "username", "email", "password", "password1", "password2"]
        extra_kwargs = {
            "password": {"write_only": True, "required": False, "trim_whitespace": False}
        }

    def validate(self, attrs):
        password1 = attrs.pop("password1", None)
        password2 = attrs.pop("password2", None)
        if password1 is not None or password2 is not None:
            if password1 != password2:
                raise serializers.ValidationError({"password2": ["The two passwords differ."]})
            attrs["password"] = password1
        return attrs

    def create(self, validated_data):
        password = validated_data.pop("password", None)
        user = User(**validated_data)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        return user

    def update(self, instance, validated_data):
        password = validated_data.pop("password", None)
        for field, value in validated_data.items():
            setattr(instance, field, value)
        if password:
            instance.set_password(password)
        instance.save()
        return instance
