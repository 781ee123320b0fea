"""The live-list engine of one server process: distinct lists, re-evaluated after changes.

Each process keeps one ``LiveList`` per distinct list (consumer class, message and user,
see ``LiveListMixin.get_live_list_key``), shared by every subscriber with that key. A
process-wide reader channel is in the channel-layer group of every model its lists watch;
an announced change marks rows dirty, and after ``LIVE_LIST_BATCH_WINDOW`` seconds each
affected list runs its query once (exactly what ``list`` runs), serializes only the rows
that changed or entered, diffs against what its subscribers were last told and queues the
change messages for each of them. Work per batch grows with distinct lists, not with
subscribers. Re-evaluating instead of predicting from the changed row keeps every filter,
ordering, pagination and per-user ``get_queryset`` exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from channels.layers import DEFAULT_CHANNEL_LAYER, get_channel_layer
from rest_framework import status

from djangochannelsrestframework import membership
from djangochannelsrestframework.db import database_sync_to_async
from djangochannelsrestframework.layers import ResilientChannelLayer
from djangochannelsrestframework.live.announce import MESSAGE_TYPE, group_name
from djangochannelsrestframework.live.diff import diff
from djangochannelsrestframework.live.evaluate import Evaluation, TooManyRows, evaluate
from djangochannelsrestframework.settings import api_settings
from djangochannelsrestframework.types import RequestId

logger = logging.getLogger("djangochannelsrestframework.live")

__all__ = ["LiveList", "LiveListEngine", "Subscriber", "get_engine"]

#: Seconds between two renewals of the reader's group memberships (the channel layers
#: expire memberships after a day by default).
GROUP_RENEWAL_INTERVAL = 3600.0

#: Pending changes: model label → changed pks, or ``None`` for "any row".
Pending = dict[str, "set[Any] | None"]


@dataclass(eq=False)
class Subscriber:
    """One ``subscribe_list`` of one connection; its messages go out in order."""

    consumer: Any
    request_id: RequestId

    def queue(self, data: Any, status_code: int = status.HTTP_200_OK, errors: Any = None) -> None:
        self.consumer.queue_live_list_reply(self.request_id, data, status_code, errors)


@dataclass(eq=False)
class LiveList:
    """One distinct list: its subscribers and the state they were last told."""

    key: Hashable
    message: dict[str, Any]
    primary_label: str
    labels: frozenset[str]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    subscribers: list[Subscriber] = field(default_factory=list)
    #: Row pks in list order, their serialized rows, and their pks as sent (JSON values).
    order: list[Any] = field(default_factory=list)
    rows: dict[Any, Any] = field(default_factory=dict)
    wire_pks: dict[Any, Any] = field(default_factory=dict)
    count: Any = None
    closed: bool = False

    def dirty_rows(self, pending: Pending) -> tuple[bool, set[Any] | None]:
        """Whether ``pending`` affects this list, and which rows to serialize again
        (``None``: all of them)."""
        affected = False
        dirty: set[Any] = set()
        for label, pks in pending.items():
            if label not in self.labels:
                continue
            if pks is None or label != self.primary_label:
                # A dependency changed: any row's serialized data may have changed.
                return True, None
            affected = True
            dirty |= pks
        return affected, dirty

    def evaluate(self, runner: Any, dirty: set[Any] | None, with_reply: bool) -> Evaluation:
        """Run the list's query as ``runner``'s ``list`` would (in the database thread)."""
        return evaluate(runner, self.message, self.rows.keys(), dirty, with_reply)

    async def refresh(
        self, runner: Any, dirty: set[Any] | None, joining: Subscriber | None = None
    ) -> None:
        """Run the list's query and queue the changes; the caller holds ``lock``."""
        evaluation = await database_sync_to_async(self.evaluate)(runner, dirty, joining is not None)
        self.apply(evaluation, joining)

    def apply(self, evaluation: Evaluation, joining: Subscriber | None = None) -> None:
        """Queue the changes from the last state to ``evaluation`` for the subscribers (and,
        for ``joining``, the snapshot of the new state); the caller holds ``lock``."""
        changed = {
            pk
            for pk, row in evaluation.serialized.items()
            if pk in self.rows and self.rows[pk] != row
        }
        rows = {pk: evaluation.serialized.get(pk, self.rows.get(pk)) for pk in evaluation.order}
        wire_pks = {**self.wire_pks, **evaluation.wire_pks}
        count_key = {"count": evaluation.count} if evaluation.paginated else {}
        messages = [
            {
                "change": change.change,
                "pk": wire_pks[change.pk],
                "index": change.index,
                "row": change.row,
                **count_key,
            }
            for change in diff(self.order, evaluation.order, rows, changed)
        ]
        if not messages and evaluation.paginated and evaluation.count != self.count:
            messages.append({"change": "count", "pk": None, "index": None, "row": None})
            messages[-1].update(count_key)
        for subscriber in self.subscribers:
            for message in messages:
                subscriber.queue(message)
        self.rows = rows
        self.wire_pks = {pk: wire_pks[pk] for pk in evaluation.order}
        self.order, self.count = evaluation.order, evaluation.count
        if joining is not None:
            joining.queue(evaluation.reply, status.HTTP_201_CREATED)

    def fail(self, status_code: int, errors: list[Any]) -> int:
        """End the list for every subscriber with one error reply each; returns how many
        subscribers it had."""
        self.closed = True
        subscribers, self.subscribers = self.subscribers, []
        for subscriber in subscribers:
            subscriber.queue(None, status_code, errors)
            subscriber.consumer.forget_live_list(subscriber.request_id)
        return len(subscribers)


class LiveListEngine:
    """The live lists of one process (one event loop) and the reader that feeds them."""

    def __init__(self, channel_layer_alias: str = DEFAULT_CHANNEL_LAYER) -> None:
        self.channel_layer_alias = channel_layer_alias
        self.lists: dict[Hashable, LiveList] = {}
        self.pending: Pending = {}
        self._members: dict[str, int] = {}
        self._membership = asyncio.Lock()
        self._channel_name: str | None = None
        self._reader: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        #: Batches processed so far (tests and benchmarks wait on it).
        self.batches = 0
        #: ``time.monotonic()`` when the reader lost the channel layer, until it is back.
        self.layer_interrupted_since: float | None = None

    @property
    def reading(self) -> bool:
        """Whether the reader channel is open (it closes when the last list ends)."""
        return self._reader is not None

    @property
    def channel_layer(self) -> Any:
        """The layer, resilient as a consumer's (``layers.py``): a group operation while it is
        down raises ``ChannelLayerUnavailable`` (a 503 to the subscriber), and the reader
        waits out an outage, then rejoins ``groups`` and calls ``layer_resumed``."""
        layer = get_channel_layer(self.channel_layer_alias)
        return ResilientChannelLayer(layer, self.channel_layer_alias, consumer=self)

    @property
    def groups(self) -> list[str]:
        """The groups the reader is in (rejoined after an outage)."""
        return [group_name(label) for label in self._members]

    async def layer_interrupted(self) -> None:
        """The reader lost the layer; subscribers' own connections send the notices."""
        self.layer_interrupted_since = time.monotonic()

    async def layer_resumed(self) -> None:
        """The reader is back in its groups: changes announced meanwhile were lost, so every
        list is re-evaluated once, and its subscribers catch up without reloading."""
        self.layer_interrupted_since = None
        for label in list(self._members):
            self.changed(label, None)

    # Subscribing ---------------------------------------------------------------------------

    async def subscribe(
        self,
        subscriber: Subscriber,
        key: Hashable,
        message: dict[str, Any],
        primary_label: str,
        labels: frozenset[str],
    ) -> LiveList:
        """Add ``subscriber`` to the list ``key`` (created if new) and queue its snapshot."""
        await self._join(labels)
        try:
            while True:
                live_list = self.lists.get(key)
                if live_list is None:
                    live_list = LiveList(key, message, primary_label, labels)
                    self.lists[key] = live_list
                async with live_list.lock:
                    if live_list.closed:
                        continue  # its last subscriber left while we waited: start anew
                    try:
                        await live_list.refresh(subscriber.consumer, None, joining=subscriber)
                    except BaseException:
                        if not live_list.subscribers:
                            self._close(live_list)
                        raise
                    live_list.subscribers.append(subscriber)
                    return live_list
        except BaseException:
            await self._leave(labels)
            raise

    async def unsubscribe(self, live_list: LiveList, subscriber: Subscriber) -> None:
        """Remove ``subscriber``; nothing more is queued for it once this returns."""
        async with live_list.lock:
            if subscriber in live_list.subscribers:
                live_list.subscribers.remove(subscriber)
            if not live_list.subscribers and not live_list.closed:
                self._close(live_list)
        await self._leave(live_list.labels)

    def _close(self, live_list: LiveList) -> None:
        live_list.closed = True
        if self.lists.get(live_list.key) is live_list:
            del self.lists[live_list.key]

    # Group membership and the reader -------------------------------------------------------

    async def _join(self, labels: frozenset[str]) -> None:
        """Hear the changes of ``labels`` from now on (before the snapshot is taken)."""
        async with self._membership:
            if self._channel_name is None:
                self._channel_name = await self.channel_layer.new_channel()
                self._reader = asyncio.ensure_future(self._read(self._channel_name))
                self._renewer = asyncio.ensure_future(self._renew())
            joined: list[str] = []
            try:
                for label in labels:
                    # Joined again even when already a member: idempotent, and it restores a
                    # membership a channel-layer outage lost when clients subscribe again.
                    # Through the gate (``membership.py``) as consumers' joins: a storm of
                    # subscribes cannot exhaust the layer's connection pool.
                    await membership.group_add(
                        self.channel_layer, group_name(label), self._channel_name
                    )
                    self._members[label] = self._members.get(label, 0) + 1
                    joined.append(label)
            except BaseException:
                await self._leave_locked(frozenset(joined))
                raise

    async def _leave(self, labels: frozenset[str]) -> None:
        async with self._membership:
            await self._leave_locked(labels)

    async def _leave_locked(self, labels: frozenset[str]) -> None:
        channel = self._channel_name
        for label in labels:
            self._members[label] = self._members.get(label, 0) - 1
            if self._members[label] <= 0:
                del self._members[label]
                if channel is not None:
                    # Bounded and retried; never raises (a failure is in the summary line).
                    await membership.group_discard(self.channel_layer, group_name(label), channel)
        if not self._members:
            await self._stop()

    async def _stop(self) -> None:
        current = asyncio.current_task()
        tasks = [
            task
            for task in (self._reader, self._renewer, self._flusher)
            if task is not None and task is not current
        ]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._reader = self._renewer = self._flusher = None
        self._channel_name = None
        self.pending.clear()

    async def _read(self, channel_name: str) -> None:
        layer = self.channel_layer
        while True:
            try:
                message = await layer.receive(channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Live lists: could not read change announcements; retrying")
                await asyncio.sleep(1)
                continue
            if message.get("type") == MESSAGE_TYPE:
                self.changed(message.get("model"), message.get("pks"))

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(GROUP_RENEWAL_INTERVAL)
            async with self._membership:
                channel = self._channel_name
                if channel is None:
                    continue
                for label in self._members:
                    with contextlib.suppress(Exception):  # retried at the next renewal
                        await membership.group_add(self.channel_layer, group_name(label), channel)

    # Batches -------------------------------------------------------------------------------

    def changed(self, label: Any, pks: list[Any] | None) -> None:
        """Record an announced change; a batch runs after the batching window."""
        if not isinstance(label, str):
            return
        current = self.pending.get(label, set())
        if pks is None or current is None:
            self.pending[label] = None
        else:
            current.update(_hashable(pk) for pk in pks)
            self.pending[label] = current
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        while self.pending:
            await asyncio.sleep(api_settings.LIVE_LIST_BATCH_WINDOW)
            pending, self.pending = self.pending, {}
            affected = []
            for live_list in list(self.lists.values()):
                is_affected, dirty = live_list.dirty_rows(pending)
                if is_affected:
                    affected.append((live_list, dirty))
            if affected:
                try:
                    await self._refresh(affected)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Each list's own errors are handled in ``_refresh``; this is the rest
                    # (the database thread itself failing). The next change retries.
                    logger.exception("Live lists: a batch of changes could not be processed")
            self.batches += 1

    async def _refresh(self, affected: list[tuple[LiveList, set[Any] | None]]) -> None:
        """Re-run the affected lists in one hop to the database thread, holding their locks
        (a subscribe holds one lock at a time and only one batch runs, so none deadlocks)."""
        ended: list[tuple[LiveList, int]] = []
        async with contextlib.AsyncExitStack() as stack:
            for live_list, _ in affected:
                await stack.enter_async_context(live_list.lock)
            work = [
                (live_list, live_list.subscribers[0].consumer, _typed(live_list, dirty))
                for live_list, dirty in affected
                if not live_list.closed and live_list.subscribers
            ]
            results = await database_sync_to_async(_evaluate_all)(work)
            for (live_list, _, _), result in zip(work, results, strict=True):
                if isinstance(result, Evaluation):
                    live_list.apply(result)
                    continue
                if isinstance(result, TooManyRows):
                    # The list grew past MAX_LIVE_LIST_ROWS: its subscribers are told to page.
                    ended.append(
                        (live_list, live_list.fail(result.status_code, [str(result.detail)]))
                    )
                else:
                    logger.error(
                        "Live list %r could not be refreshed", live_list.key, exc_info=result
                    )
                    errors = ["A server error occurred."]
                    ended.append((live_list, live_list.fail(500, errors)))
                self._close(live_list)
        for live_list, subscribers in ended:
            for _ in range(subscribers):
                await self._leave(live_list.labels)


def _evaluate_all(work: list[tuple[LiveList, Any, set[Any] | None]]) -> list[Any]:
    """Each list's evaluation, or the exception that stopped it (the others still run)."""
    results: list[Any] = []
    for live_list, runner, dirty in work:
        try:
            results.append(live_list.evaluate(runner, dirty, False))
        except Exception as exc:
            results.append(exc)
    return results


def _hashable(pk: Any) -> Any:
    return pk if isinstance(pk, Hashable) else repr(pk)


def _typed(live_list: LiveList, dirty: set[Any] | None) -> set[Any] | None:
    """Announced pks are JSON values (a UUID is a string): match them to the list's pks."""
    if dirty is None:
        return None
    by_wire = {str(wire): pk for pk, wire in live_list.wire_pks.items()}
    return {by_wire.get(str(pk), pk) for pk in dirty}


_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveListEngine] = (
    weakref.WeakKeyDictionary()
)


def get_engine() -> LiveListEngine:
    """The engine of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    engine = _engines.get(loop)
    if engine is None:
        engine = _engines[loop] = LiveListEngine()
    return engine
