"""``Observer``: push any Django signal to subscribed consumers."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from channels.layers import DEFAULT_CHANNEL_LAYER
from django.db import DEFAULT_DB_ALIAS, connections

from djangochannelsrestframework.observer.base_observer import BaseObserver
from djangochannelsrestframework.observer.sending import (
    UnencodableBody,
    log_unencodable,
    send_group_messages,
)


class Observer(BaseObserver):
    """Observes ``signal``; each time it is sent, the serialized event goes to its groups.

    When the signal is sent inside a transaction on the default database, the messages
    wait for the commit (and are dropped on rollback), like model observers' messages.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        signal: Any = None,
        kwargs: dict[str, Any] | None = None,
        partition: str = "*",
        channel_layer_alias: str = DEFAULT_CHANNEL_LAYER,
    ) -> None:
        super().__init__(func=func, partition=partition)
        self.signal = signal
        self.signal_kwargs = kwargs or {}
        self.channel_layer_alias = channel_layer_alias
        if signal is not None:
            self.signal.connect(self.handle, **self.signal_kwargs)

    def handle(self, signal: Any, *args: Any, **kwargs: Any) -> None:
        """Signal receiver: serialize once, then send to every target group."""
        try:
            message = self.serialize(signal, *args, **kwargs)
        except UnencodableBody as error:
            log_unencodable(self, error)
            return
        messages = [
            (group, {**copy.copy(message), "group": group})
            for group in self.group_names_for_signal(*args, message=message, **kwargs)
        ]
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.in_atomic_block:
            connection.on_commit(
                lambda: send_group_messages(messages, self.channel_layer_alias), robust=True
            )
        else:
            send_group_messages(messages, self.channel_layer_alias)

    def group_names(self, *args: Any, **kwargs: Any) -> Iterable[str]:
        yield f"{self._stable_observer_id}-{self.message_type}-signal"
