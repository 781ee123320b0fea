"""Deliver model events after commit: once per object per transaction, never rolled back.

Each event registers an ``on_commit`` callback, so Django itself forgets the events of a
savepoint that is rolled back (and all of them on a full rollback). The callbacks only
collect; one flush callback, kept last in the connection's list and outside every
savepoint, merges what survived — the first event's old groups with the last event's
state — and sends every message in one round trip to the channel layer.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connections

from djangochannelsrestframework.observer.sending import send_group_messages

if TYPE_CHECKING:
    from djangochannelsrestframework.observer.model_observer import Action, ModelObserver


@dataclass
class ObservedEvent:
    """One save or delete of one object as seen by one observer."""

    observer: ModelObserver
    key: Hashable
    instance: Any
    old_groups: frozenset[str]
    new_groups: frozenset[str]
    #: Messages (without ``group``) already serialized at signal time, by group action.
    messages: dict[Action, dict[str, Any]] = field(default_factory=dict)


def deliver(events: list[ObservedEvent]) -> None:
    """Merge the events of each object and send the resulting messages."""
    merged: dict[tuple[Any, Hashable], list[ObservedEvent]] = {}
    for event in events:
        merged.setdefault((event.observer.id, event.key), []).append(event)
    by_layer: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for object_events in merged.values():
        first, last = object_events[0], object_events[-1]
        observer = last.observer
        messages = observer.build_messages(
            last.instance, first.old_groups, last.new_groups, last.messages
        )
        observer.committed(last.instance, last.new_groups)
        by_layer.setdefault(observer.channel_layer_alias, []).extend(messages)
    for alias, messages in by_layer.items():
        send_group_messages(messages, alias)


class CommitBatch:
    """The events of one transaction on one connection, collected as they commit."""

    def __init__(self) -> None:
        self.committed: list[ObservedEvent] = []
        # The entry Django keeps for our flush: no savepoint ids, so only a full
        # rollback (which empties the list) removes it.
        self.entry: tuple[set[str], Any, bool] = (set(), self.flush, True)

    def add(self, event: ObservedEvent) -> None:
        self.committed.append(event)

    def flush(self) -> None:
        events, self.committed = self.committed, []
        deliver(events)


def _batch_for(connection: Any) -> CommitBatch:
    """The open batch of the connection's current transaction, created on first use."""
    batch: CommitBatch | None = getattr(connection, "_dcrf_commit_batch", None)
    if batch is None or not any(entry is batch.entry for entry in connection.run_on_commit):
        batch = CommitBatch()
        connection._dcrf_commit_batch = batch
        connection.run_on_commit.append(batch.entry)
    return batch


def schedule(event: ObservedEvent, using: str) -> None:
    """Deliver ``event`` when the transaction on ``using`` commits (now, in autocommit)."""
    connection = connections[using]
    if not connection.in_atomic_block:
        deliver([event])
        return
    batch = _batch_for(connection)
    connection.on_commit(functools.partial(batch.add, event))
    # Keep the flush after every event callback registered so far. ``list[Any]``: Django's
    # stubs still describe 2-tuples, but entries are ``(savepoint ids, callback, robust)``.
    callbacks: list[Any] = connection.run_on_commit
    callbacks.remove(batch.entry)
    callbacks.append(batch.entry)
