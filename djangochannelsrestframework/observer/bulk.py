"""Opt-in observation of bulk writes, which Django performs without per-object signals.

``QuerySet.update()``, ``bulk_create()`` and ``bulk_update()`` send no ``post_save``;
``QuerySet.delete()`` does send ``post_delete`` for each object while an observer listens,
so it is observed already. Use ``ObservableManager`` (or ``ObservableQuerySet``) on a
model to have the first three notify observers too, or call ``notify()`` after any
write that bypasses signals (raw SQL, another library).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

# The module, not its names: ``live.announce`` imports ``observer.sending`` in turn.
from djangochannelsrestframework.live import announce as live
from djangochannelsrestframework.observer.model_observer import (
    Action,
    ModelObserver,
    observers_for,
)


def notify(
    instances: models.Model | Iterable[models.Model],
    action: Action | str = Action.UPDATE,
    using: str | None = None,
) -> None:
    """Tell every observer (and live list) of these objects' models that they were created,
    updated or deleted; the messages go out when the current transaction commits."""
    action = Action(action)
    if isinstance(instances, models.Model):
        instances = [instances]
    for instance in instances:
        for observer in observers_for(type(instance)):
            observer.database_event(instance, action, using)
        live.announce(instance, using)


_OldGroups = dict[Any, dict[ModelObserver, frozenset[str]]]


def _old_groups_of(model: type[models.Model], pks: list[Any], using: str) -> _OldGroups:
    """For observers with custom groups, each row's groups before a bulk write."""
    trackers = [observer for observer in observers_for(model) if observer.tracks_old_groups()]
    if not trackers or not pks:
        return {}
    stored = model._base_manager.using(using).filter(pk__in=pks)
    return {
        obj.pk: {
            observer: frozenset(observer.group_names_for_signal(instance=obj))
            for observer in trackers
        }
        for obj in stored
    }


def _notify_updated(objects: Iterable[models.Model], old_groups: _OldGroups, using: str) -> None:
    for obj in objects:
        for observer, groups in old_groups.get(obj.pk, {}).items():
            observer.remember_old_groups(obj, groups)
    notify(objects, Action.UPDATE, using)


class ObservableQuerySet(models.QuerySet[Any]):
    """A queryset whose bulk writes notify model observers (one message per object)."""

    def update(self, **kwargs: Any) -> int:
        if not observers_for(self.model) and not live.is_watched(self.model):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            old_groups = _old_groups_of(self.model, pks, self.db)
            rows = super().update(**kwargs)
            updated = list(self.model._base_manager.using(self.db).filter(pk__in=pks))
            _notify_updated(updated, old_groups, self.db)
        return rows

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            notify([obj for obj in created if obj.pk is not None], Action.CREATE, self.db)
        return created

    def bulk_update(
        self, objs: Iterable[models.Model], fields: Any, *args: Any, **kwargs: Any
    ) -> Any:
        objs = list(objs)
        with transaction.atomic(using=self.db):
            old_groups = _old_groups_of(self.model, [obj.pk for obj in objs], self.db)
            rows = super().bulk_update(objs, fields, *args, **kwargs)
            _notify_updated(objs, old_groups, self.db)
        return rows


ObservableManager = models.Manager.from_queryset(ObservableQuerySet)
ObservableManager.__doc__ = "A manager whose bulk writes notify model observers."
