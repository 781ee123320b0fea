"""``ModelObserver``: push committed creates, updates and deletes of a model to subscribers.

Which groups an object belongs to is decided by the ``groups_for_signal`` hook (default:
one group for the whole model). An event is sent to the groups the object leaves
(as ``delete``), stays in (``update``) and enters (``create``), so each subscriber sees
what happened *to its view* of the data. Old groups are computed from the row as stored
before the save, not from a snapshot taken when the object was loaded, so loading objects
costs nothing and a stale in-memory object still reports the right transition.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from typing import Any, cast
from uuid import uuid4

from channels.layers import DEFAULT_CHANNEL_LAYER
from django.apps import apps
from django.db import router
from django.db.models import Model
from django.db.models.signals import (
    class_prepared,
    m2m_changed,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
)

from djangochannelsrestframework.observer.base_observer import BaseObserver
from djangochannelsrestframework.observer.sending import UnencodableBody, jsonable, log_unencodable
from djangochannelsrestframework.observer.transactions import ObservedEvent, schedule
from djangochannelsrestframework.serializer_cache import prime_fields


class Action(Enum):
    """What happened to an object, from the point of view of one group."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class UnsupportedWarning(Warning):
    """A configuration whose events cannot all be observed (e.g. related-object deletes)."""


class ModelObserverInstanceState:
    """Per-object state of one observer: the groups as of the last commit."""

    def __init__(self) -> None:
        self.current_groups: set[str] = set()
        self.pending_messages: list[dict[str, Any]] = []


_STATE_ATTRIBUTE = "dcrf_observer_states"
_OLD_GROUPS_ATTRIBUTE = "dcrf_old_groups"
_CLEARED_ATTRIBUTE = "dcrf_cleared_related"

#: Every live model observer, by model, for bulk notifications.
_observers_by_model: dict[type[Model], weakref.WeakSet[ModelObserver]] = {}


def observers_for(model: type[Model]) -> list[ModelObserver]:
    """The model observers that watch ``model`` (its proxies and subclasses included)."""
    return list(_observers_by_model.get(model, ()))


def _state_dict(instance: Model, name: str) -> dict[Any, Any]:
    state = instance._state.__dict__
    if name not in state:
        state[name] = {}
    return cast("dict[Any, Any]", state[name])


class ModelObserver(BaseObserver):
    """Observes saves and deletes of ``model_cls`` (and its proxy and child models).

    ``serializer_class`` builds the body when no ``serializer`` hook is registered
    (default body: ``{"pk": pk}``); ``many_to_many=True`` also observes changes of the
    model's many-to-many relations.
    """

    #: Set when the group hooks read only the primary key: groups then never change, so
    #: no stored row has to be read before a save to know the old groups.
    groups_depend_only_on_pk = False

    def __init__(
        self,
        func: Callable[..., Any],
        model_cls: type[Model],
        partition: str = "*",
        serializer_class: Any = None,
        many_to_many: bool = False,
        channel_layer_alias: str = DEFAULT_CHANNEL_LAYER,
        **kwargs: Any,
    ) -> None:
        super().__init__(func, partition=partition)
        self._serializer_class = serializer_class
        self._many_to_many_tracking = many_to_many
        self.channel_layer_alias = channel_layer_alias
        self.id = uuid4()
        self._model_cls: type[Model] | None = None
        self.model_cls = model_cls

    @property
    def model_cls(self) -> type[Model]:
        # Set by ``__init__``: ``None`` only until its first assignment.
        return cast("type[Model]", self._model_cls)

    @model_cls.setter
    def model_cls(self, model_cls: type[Model]) -> None:
        was_connected = self._model_cls is not None
        self._model_cls = model_cls
        if not was_connected:
            self._connect()

    @property
    def model_label(self) -> str:
        assert self.model_cls is not None
        meta = self.model_cls._meta
        return f"{meta.app_label}.{meta.object_name}".lower().replace("_", ".")

    # Signal wiring ---------------------------------------------------------------------

    def observed_models(self) -> list[type[Model]]:
        """``model_cls`` and its proxy models and subclasses loaded so far."""
        models = [self.model_cls]
        if apps.models_ready:
            models += [
                model
                for model in apps.get_models()
                if model is not self.model_cls and issubclass(model, self.model_cls)
            ]
        return models

    def _connect_model(self, model: type[Model]) -> None:
        uid = f"dcrf-{self.id}"
        pre_save.connect(self.pre_save_receiver, sender=model, dispatch_uid=uid)
        post_save.connect(self.post_save_receiver, sender=model, dispatch_uid=uid)
        pre_delete.connect(self.pre_delete_receiver, sender=model, dispatch_uid=uid)
        post_delete.connect(self.post_delete_receiver, sender=model, dispatch_uid=uid)
        _observers_by_model.setdefault(model, weakref.WeakSet()).add(self)

    def class_prepared_receiver(self, sender: type[Model], **kwargs: Any) -> None:
        """A proxy or child model defined after this observer is observed too."""
        if sender is not self.model_cls and issubclass(sender, self.model_cls):
            self._connect_model(sender)

    def _connect(self) -> None:
        uid = f"dcrf-{self.id}"
        for model in self.observed_models():
            self._connect_model(model)
        class_prepared.connect(self.class_prepared_receiver, dispatch_uid=uid)
        if self._many_to_many_tracking:
            through_models = [
                field.remote_field.through for field in self.model_cls._meta.many_to_many
            ]
            for through in through_models:
                m2m_changed.connect(self.m2m_changed_receiver, sender=through, dispatch_uid=uid)
            if through_models:
                warnings.warn(
                    "Many-to-many observation cannot see related objects being deleted "
                    "(Django sends no m2m_changed signal for them).",
                    UnsupportedWarning,
                    stacklevel=3,
                )

    def tracks_old_groups(self) -> bool:
        """Whether a save must read the stored row to learn the object's old groups."""
        return self._group_names_for_signal is not None and not self.groups_depend_only_on_pk

    def _read_old_groups(self, instance: Model, using: str | None) -> None:
        stored = None
        if not instance._state.adding and instance.pk is not None:
            stored = type(instance)._base_manager.using(using).filter(pk=instance.pk).first()
        groups = frozenset(self.group_names_for_signal(instance=stored)) if stored else frozenset()
        self.remember_old_groups(instance, groups)

    def remember_old_groups(self, instance: Model, groups: frozenset[str]) -> None:
        """Record ``instance``'s groups before a write, for the event that write raises.

        Saves and deletes read them from the stored row; bulk writes, which send no
        ``pre_save``, read them for all rows at once and record them here.
        """
        _state_dict(instance, _OLD_GROUPS_ATTRIBUTE)[self.id] = groups

    def _old_groups(self, instance: Model, action: Action, new_groups: frozenset[str]) -> Any:
        if action is Action.CREATE:
            return frozenset()
        remembered = _state_dict(instance, _OLD_GROUPS_ATTRIBUTE).pop(self.id, None)
        if remembered is not None:
            return remembered
        if action is Action.DELETE or not self.tracks_old_groups():
            return frozenset(self.group_names_for_signal(instance=instance))
        return new_groups

    def post_init_receiver(self, instance: Model, **kwargs: Any) -> None:
        """Kept for subclasses written for 1.3; not connected, and does nothing.

        1.3 snapshotted every loaded instance's groups here; old groups are now read from
        the stored row when a save needs them, so loading objects costs nothing.
        """

    def pre_save_receiver(
        self, instance: Model, raw: bool = False, using: Any = None, **kwargs: Any
    ) -> None:
        if not raw and self.tracks_old_groups():
            self._read_old_groups(instance, using)

    def post_save_receiver(
        self, instance: Model, created: bool, raw: bool = False, using: Any = None, **kwargs: Any
    ) -> None:
        if not raw:
            self.database_event(instance, Action.CREATE if created else Action.UPDATE, using)

    def pre_delete_receiver(self, instance: Model, using: Any = None, **kwargs: Any) -> None:
        if self.tracks_old_groups():
            self._read_old_groups(instance, using)

    def post_delete_receiver(self, instance: Model, using: Any = None, **kwargs: Any) -> None:
        self.database_event(instance, Action.DELETE, using)

    def m2m_changed_receiver(
        self,
        sender: Any,
        instance: Model,
        action: str,
        reverse: bool,
        model: type[Model],
        pk_set: set[Any] | None,
        using: Any = None,
        **kwargs: Any,
    ) -> None:
        """An object's many-to-many relation changed: an ``update`` for each object of ours."""
        if not reverse:
            if action in ("post_add", "post_remove", "post_clear"):
                self.database_event(instance, Action.UPDATE, using)
            return
        if action == "pre_clear":
            field_name = next(
                f.name
                for f in self.model_cls._meta.many_to_many
                if f.remote_field.through is sender
            )
            related = list(model._base_manager.using(using).filter(**{field_name: instance}))
            _state_dict(instance, _CLEARED_ATTRIBUTE)[self.id] = related
            return
        if action == "post_clear":
            objects = _state_dict(instance, _CLEARED_ATTRIBUTE).pop(self.id, [])
        elif action in ("post_add", "post_remove") and pk_set:
            objects = list(model._base_manager.using(using).filter(pk__in=pk_set))
        else:
            return
        for obj in objects:
            self.database_event(obj, Action.UPDATE, using)

    # Events ----------------------------------------------------------------------------

    def database_event(self, instance: Model, action: Action, using: str | None = None) -> None:
        """Record a change of ``instance``; it is sent when the transaction commits."""
        using = using or instance._state.db or router.db_for_write(type(instance))
        new_groups = (
            frozenset()
            if action is Action.DELETE
            else frozenset(self.group_names_for_signal(instance=instance))
        )
        old_groups = self._old_groups(instance, action, new_groups)
        event = ObservedEvent(
            observer=self,
            key=instance.pk,
            instance=instance,
            old_groups=old_groups,
            new_groups=new_groups,
        )
        try:
            for kind, groups in self.transitions(old_groups, new_groups):
                if groups:
                    event.messages[kind] = self.serialize(instance, kind)
        except UnencodableBody as error:
            log_unencodable(self, error)
            return
        schedule(event, using)

    def transitions(
        self, old_groups: frozenset[str], new_groups: frozenset[str]
    ) -> list[tuple[Action, frozenset[str]]]:
        """The group-transition rule: left → delete, stayed → update, entered → create."""
        return [
            (Action.DELETE, old_groups - new_groups),
            (Action.UPDATE, old_groups & new_groups),
            (Action.CREATE, new_groups - old_groups),
        ]

    def build_messages(
        self,
        instance: Model,
        old_groups: frozenset[str],
        new_groups: frozenset[str],
        serialized: dict[Action, dict[str, Any]],
    ) -> list[tuple[str, dict[str, Any]]]:
        """The ``(group, message)`` pairs for one object's committed change."""
        messages = []
        for kind, groups in self.transitions(old_groups, new_groups):
            if not groups:
                continue
            message = serialized.get(kind) or self.serialize(instance, kind)
            messages += [(group, {**message, "group": group}) for group in sorted(groups)]
        return messages

    def generate_messages(
        self,
        instance: Model,
        old_group_names: Iterable[str],
        new_group_names: Iterable[str],
        action: Action,
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        """1.3's message generator, kept for subclasses: one message per target group."""
        for _, message in self.build_messages(
            instance, frozenset(old_group_names), frozenset(new_group_names), {}
        ):
            yield message

    def committed(self, instance: Model, new_groups: frozenset[str]) -> None:
        """Called after commit: the object's groups are now ``new_groups``."""
        # Set directly: ``get_observer_state`` would first compute the groups it replaces.
        states = _state_dict(instance, _STATE_ATTRIBUTE)
        states.setdefault(self.id, ModelObserverInstanceState()).current_groups = set(new_groups)

    def get_observer_state(self, instance: Model, *args: Any, **kwargs: Any) -> Any:
        """This observer's state for ``instance`` (its groups as of the last commit)."""
        states = _state_dict(instance, _STATE_ATTRIBUTE)
        if self.id not in states:
            state = ModelObserverInstanceState()
            if instance.pk is not None:
                state.current_groups = set(self.group_names_for_signal(instance=instance))
            states[self.id] = state
        return states[self.id]

    def serialize(self, instance: Model, action: Action, **kwargs: Any) -> dict[str, Any]:
        """The message for ``instance`` as seen by a group where ``action`` happened."""
        if self._serializer is not None:
            body = self._serializer(self, instance, action, **kwargs)
        elif self._serializer_class is not None:
            body = prime_fields(self._serializer_class(instance)).data
        else:
            body = {"pk": instance.pk}
        return {"type": self.message_type, "body": jsonable(body), "action": action.value}

    def group_names(self, *args: Any, **kwargs: Any) -> Iterable[str]:
        yield f"{self._stable_observer_id}-{self.message_type}-model-{self.model_label}"
