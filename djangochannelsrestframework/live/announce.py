"""Announce committed changes of watched models to every process's live lists.

Any process that saves or deletes a row of a watched model (a server, a worker, a shell)
sends, once its transaction commits, one channel-layer message per model to that model's
group: ``{"type": "dcrf.live.changed", "model": label, "pks": [...]}``. A rolled-back
transaction sends nothing. The live-list engine of each server process is in those groups
and re-evaluates its lists; the message carries no row data, so nothing in it can leak.

Models are watched when a ``LiveListMixin`` consumer naming them is defined (its
``queryset`` and ``live_list_dependencies``); consumer modules are imported in every process
at start-up (``AUTODISCOVER_MODULES``), so workers announce too. ``watch_model()`` watches
one explicitly.
"""

from __future__ import annotations

from typing import Any

from channels.layers import DEFAULT_CHANNEL_LAYER
from django.apps import apps
from django.db import connections, router
from django.db.models import Model
from django.db.models.signals import class_prepared, post_delete, post_save

from djangochannelsrestframework.observer.sending import jsonable, send_group_messages
from djangochannelsrestframework.observer.transactions import FlushLastBatch, collect_on_commit

__all__ = ["watch_model", "is_watched", "announce", "group_name", "model_label", "MESSAGE_TYPE"]

#: The channel-layer message type of an announcement (handled by the engine's reader).
MESSAGE_TYPE = "dcrf.live.changed"
#: More changed rows than this in one transaction are announced as "anything changed".
MAX_ANNOUNCED_PKS = 1000

_watched: set[type[Model]] = set()


def model_label(model: type[Model]) -> str:
    """``app_label.modelname`` of the concrete model (proxies share their model's lists)."""
    meta = (model._meta.concrete_model or model)._meta
    return f"{meta.app_label}.{meta.model_name}"


def group_name(label: str) -> str:
    """The channel-layer group that hears the changes of the model ``label``."""
    return f"dcrf-live-{label}"


def is_watched(model: type[Model]) -> bool:
    """Whether changes of ``model`` are announced."""
    return model._meta.concrete_model in _watched


def watch_model(model: type[Model]) -> None:
    """Announce the committed saves and deletes of ``model`` (and its proxies)."""
    concrete = model._meta.concrete_model
    assert concrete is not None
    if concrete in _watched:
        return
    _watched.add(concrete)
    senders = {model, concrete}
    if apps.models_ready:
        senders.update(m for m in apps.get_models() if m._meta.concrete_model is concrete)
    for sender in senders:
        _connect(sender)
    # Proxies defined later are watched as they are created.
    class_prepared.connect(_prepared, dispatch_uid="dcrf-live-class-prepared", weak=False)


def _connect(sender: type[Model]) -> None:
    uid = f"dcrf-live-{sender.__module__}.{sender.__qualname__}"
    post_save.connect(_saved, sender=sender, dispatch_uid=uid, weak=False)
    post_delete.connect(_deleted, sender=sender, dispatch_uid=uid, weak=False)


def _prepared(sender: type[Model], **kwargs: Any) -> None:
    if sender._meta.concrete_model in _watched:
        _connect(sender)


def _saved(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        announce(instance, using=kwargs.get("using"))


def _deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    announce(instance, using=kwargs.get("using"))


class _Batch(FlushLastBatch):
    """The changed pks of one transaction on one connection, by model label."""

    def __init__(self) -> None:
        super().__init__()
        self.pks: dict[str, set[Any]] = {}

    def add(self, label: str, pk: Any) -> None:
        self.pks.setdefault(label, set()).add(pk)

    def flush(self) -> None:
        batch, self.pks = self.pks, {}
        send_group_messages(
            [(group_name(label), _message(label, pks)) for label, pks in batch.items()],
            DEFAULT_CHANNEL_LAYER,
        )


def _message(label: str, pks: set[Any]) -> dict[str, Any]:
    announced = None if len(pks) > MAX_ANNOUNCED_PKS else jsonable(sorted(pks, key=str))
    return {"type": MESSAGE_TYPE, "model": label, "pks": announced}


def announce(instance: Model, using: str | None = None) -> None:
    """Announce a change of ``instance`` once the transaction on ``using`` commits.

    Called for saves and deletes of watched models; call it (or ``observer.notify()``,
    which does) after writes that send no signal (``QuerySet.update()``, raw SQL) or when
    a row's serialized data changed because of another model.
    """
    if not is_watched(type(instance)) or instance.pk is None:
        return
    using = using or instance._state.db or router.db_for_write(type(instance))
    label = model_label(type(instance))
    connection: Any = connections[using]
    if not connection.in_atomic_block:
        now = _Batch()
        now.add(label, instance.pk)
        now.flush()
        return
    # The pk is read now: a deleted instance's pk is ``None`` by the time it commits.
    pk = instance.pk
    collect_on_commit(connection, "_dcrf_live_batch", _Batch, lambda batch: batch.add(label, pk))
