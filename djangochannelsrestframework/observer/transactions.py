"""Deliver model events after commit: once per object per transaction, never rolled back.

Each event registers an ``on_commit`` callback, so Django itself forgets the events of a
savepoint that is rolled back (and all of them on a full rollback). The callbacks only
collect; one flush callback, kept last in the connection's list and outside every
savepoint, merges what survived — the first event's old groups with the last event's
state — and sends every message in one round trip to the channel layer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from uuid import UUID

from django.db import connections

from djangochannelsrestframework.observer.sending import send_group_messages


class CommittingObserver(Protocol):
    """What delivery after commit needs from the observer that recorded an event."""

    id: UUID
    channel_layer_alias: str

    def build_messages(
        self,
        instance: Any,
        old_groups: frozenset[str],
        new_groups: frozenset[str],
        serialized: dict[Any, dict[str, Any]],
    ) -> list[tuple[str, dict[str, Any]]]:
        """The ``(group, message)`` pairs for one object's committed change."""
        ...

    def committed(self, instance: Any, new_groups: frozenset[str]) -> None:
        """Called after commit: the object's groups are now ``new_groups``."""
        ...


@dataclass
class ObservedEvent:
    """One save or delete of one object as seen by one observer."""

    observer: CommittingObserver
    key: Hashable
    instance: Any
    old_groups: frozenset[str]
    new_groups: frozenset[str]
    #: Messages (without ``group``) already serialized at signal time, by group action.
    messages: dict[Any, dict[str, Any]] = field(default_factory=dict)


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


class FlushLastBatch:
    """What one transaction's ``on_commit`` callbacks collected, sent by one flush callback.

    Subclasses say what is collected (``add``) and how it is sent (``flush``);
    ``collect_on_commit`` keeps the flush after every collecting callback.
    """

    def __init__(self) -> None:
        # The callback Django keeps for our flush, found by identity: rolling back a
        # savepoint rebuilds the connection's entries, so the tuples change, not this.
        self.flush_callback = self.flush

    def flush(self) -> None:
        raise NotImplementedError

    def entry_index(self, callbacks: list[Any]) -> int | None:
        """Where this batch's flush is in ``run_on_commit``, if it is still there.

        ``collect_on_commit`` keeps it last, so the tail is checked first: a transaction
        with many events (a bulk update) does not rescan the list for each one.
        """
        for index in range(len(callbacks) - 1, -1, -1):
            if callbacks[index][1] is self.flush_callback:
                return index
        return None


_Batch = TypeVar("_Batch", bound=FlushLastBatch)


def collect_on_commit(
    connection: Any, attribute: str, new_batch: Callable[[], _Batch], add: Callable[[_Batch], None]
) -> None:
    """Call ``add(batch)`` when the transaction on ``connection`` commits, then flush.

    The batch is the transaction's (kept on the connection as ``attribute``); ``add`` is
    registered as its own ``on_commit`` callback, so Django forgets it if its savepoint is
    rolled back, and the batch's flush is moved after it.
    """
    batch: _Batch | None = getattr(connection, attribute, None)
    # ``list[Any]``: Django's stubs still describe 2-tuples, but entries are
    # ``(savepoint ids, callback, robust)``.
    callbacks: list[Any] = connection.run_on_commit
    index = batch.entry_index(callbacks) if batch is not None else None
    if batch is None or index is None:
        # The first change of this transaction (a full rollback empties the list).
        batch = new_batch()
        setattr(connection, attribute, batch)
        # No savepoint ids: only a full rollback removes the flush.
        entry: tuple[set[str], Any, bool] = (set(), batch.flush_callback, True)
    else:
        entry = callbacks.pop(index)
    connection.on_commit(functools.partial(add, batch))
    # The flush goes after every callback registered so far.
    connection.run_on_commit.append(entry)


class CommitBatch(FlushLastBatch):
    """The events of one transaction on one connection, collected as they commit."""

    def __init__(self) -> None:
        super().__init__()
        self.committed: list[ObservedEvent] = []

    def add(self, event: ObservedEvent) -> None:
        self.committed.append(event)

    def flush(self) -> None:
        events, self.committed = self.committed, []
        deliver(events)


def schedule(event: ObservedEvent, using: str) -> None:
    """Deliver ``event`` when the transaction on ``using`` commits (now, in autocommit)."""
    connection: Any = connections[using]
    if not connection.in_atomic_block:
        deliver([event])
        return
    collect_on_commit(connection, "_dcrf_commit_batch", CommitBatch, lambda batch: batch.add(event))
