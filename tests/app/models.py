"""Models used by the tests (one place, as in DRF's test suite)."""

import uuid

from django.conf import settings
from django.db import models

from djangochannelsrestframework.observer import ObservableManager


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


class Comment(models.Model):
    """Observers: a model grouped by its user, for custom observer groups."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.CharField(max_length=200)

    class Meta:
        ordering = ["pk"]


class Measurement(models.Model):
    """Observers: UUID primary key, Decimal and date fields that must cross any layer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    value = models.DecimalField(max_digits=10, decimal_places=3)
    taken_on = models.DateField()
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["taken_at"]


class Tag(models.Model):
    """Observers: the related side of ``Post.tags`` for many-to-many observation."""

    name = models.CharField(max_length=50)


class Post(models.Model):
    """Observers: a model with a many-to-many relation and an observable manager."""

    title = models.CharField(max_length=100)
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")

    objects = ObservableManager()

    class Meta:
        ordering = ["pk"]


class ProxyNote(Note):
    """Observers: saves through a proxy model are seen by observers of ``Note``."""

    class Meta:
        proxy = True


class Scoreboard(models.Model):
    """Concurrency: twenty fields, each patched by its own socket at the same time."""

    s0 = models.IntegerField(default=0)
    s1 = models.IntegerField(default=0)
    s2 = models.IntegerField(default=0)
    s3 = models.IntegerField(default=0)
    s4 = models.IntegerField(default=0)
    s5 = models.IntegerField(default=0)
    s6 = models.IntegerField(default=0)
    s7 = models.IntegerField(default=0)
    s8 = models.IntegerField(default=0)
    s9 = models.IntegerField(default=0)
    s10 = models.IntegerField(default=0)
    s11 = models.IntegerField(default=0)
    s12 = models.IntegerField(default=0)
    s13 = models.IntegerField(default=0)
    s14 = models.IntegerField(default=0)
    s15 = models.IntegerField(default=0)
    s16 = models.IntegerField(default=0)
    s17 = models.IntegerField(default=0)
    s18 = models.IntegerField(default=0)
    s19 = models.IntegerField(default=0)


#: The title prefix ``Pin.note`` may point to; tests change it to show it is read each time.
PINNABLE_PREFIX = ["a"]


def pinnable_notes():
    return {"title__startswith": PINNABLE_PREFIX[0]}


class Pin(models.Model):
    """A relation whose allowed choices are computed when a serializer is built."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, limit_choices_to=pinnable_notes)


class LiveTag(models.Model):
    """Live lists: a related model whose name appears in ``LiveItem`` rows."""

    name = models.CharField(max_length=50)


class LiveItem(models.Model):
    """Live lists (tests/test_live_lists.py): rows that move across filters, pages, owners."""

    name = models.CharField(max_length=50)
    score = models.IntegerField(default=0)
    team = models.CharField(max_length=10, default="red")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    tag = models.ForeignKey(LiveTag, null=True, blank=True, on_delete=models.SET_NULL)

    objects = ObservableManager()

    class Meta:
        ordering = ["pk"]


class ProxyLiveItem(LiveItem):
    """Live lists: saves through a proxy are changes of ``LiveItem``."""

    class Meta:
        proxy = True
