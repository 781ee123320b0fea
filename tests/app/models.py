"""Models used by the tests (one place, as in DRF's test suite)."""

from django.conf import settings
from django.db import models


class Note(models.Model):
    """A small model with an owner, for CRUD, permission and transaction tests."""

    title = models.CharField(max_length=100)
    body = models.TextField(blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )

    class Meta:
        ordering = ["pk"]


class SlugItem(models.Model):
    """A model looked up by a field other than its primary key."""

    slug = models.SlugField(unique=True)
    value = models.IntegerField(default=0)

    class Meta:
        ordering = ["pk"]


class Author(models.Model):
    """Lists, pagination and filters: the related side of ``Book``."""

    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["pk"]


class Genre(models.Model):
    """Lists, pagination and filters: the many-to-many side of ``Book``."""

    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["pk"]


class Book(models.Model):
    """Lists, pagination and filters: a row with a foreign key and a many-to-many."""

    title = models.CharField(max_length=100)
    year = models.IntegerField(default=2000)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    genres = models.ManyToManyField(Genre, blank=True, related_name="books")

    class Meta:
        ordering = ["pk"]
