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
