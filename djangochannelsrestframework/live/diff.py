"""The change messages that turn a live list's last state into its new state.

Applying them in order (``enter``: insert at ``index``; ``update``: remove the row with that
pk, insert at ``index``; ``leave``: remove it) to the old rows gives exactly the new rows.
Rows that keep their relative order (a longest increasing subsequence of their old
positions) are not moved, so a row moving past many others costs one message, not one per
row it passed.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Change", "diff", "apply_changes"]


@dataclass(frozen=True)
class Change:
    """One change message: what happened to one row, and where."""

    change: str
    pk: Hashable
    index: int
    row: Any = None


def _stable(old_positions: Sequence[int]) -> set[int]:
    """Indexes (into ``old_positions``) of one longest strictly increasing subsequence."""
    tails: list[int] = []  # tails[k]: old position ending the best run of length k + 1
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(old_positions)
    for i, position in enumerate(old_positions):
        k = bisect.bisect_left(tails, position)
        if k == len(tails):
            tails.append(position)
            tail_index.append(i)
        else:
            tails[k] = position
            tail_index[k] = i
        previous[i] = tail_index[k - 1] if k else -1
    stable: set[int] = set()
    i = tail_index[-1] if tail_index else -1
    while i != -1:
        stable.add(i)
        i = previous[i]
    return stable


def diff(
    old: Sequence[Hashable],
    new: Sequence[Hashable],
    rows: Mapping[Hashable, Any],
    changed: Collection[Hashable],
) -> list[Change]:
    """The messages that turn the rows ``old`` (pks in order) into ``new``.

    ``rows`` maps every pk of ``new`` to its serialized row; ``changed`` holds the pks of
    rows whose serialized data differs from what was last sent.
    """
    new_set = set(new)
    current = [pk for pk in old if pk in new_set]
    changes = _leaves(old, new_set)
    old_position = {pk: i for i, pk in enumerate(current)}
    kept = [pk for pk in new if pk in old_position]
    stable_rows = {kept[i] for i in _stable([old_position[pk] for pk in kept])}
    for i, pk in enumerate(new):
        if pk in stable_rows:
            continue
        if pk in old_position:
            current.remove(pk)
            kind = "update"
        else:
            kind = "enter"
        at = current.index(new[i - 1]) + 1 if i else 0
        current.insert(at, pk)
        changes.append(Change(kind, pk, at, rows[pk]))
    # Moved and entered rows are now in place: ``current == new``. Stable rows whose data
    # changed are updated where they stand.
    changes += [
        Change("update", pk, i, rows[pk])
        for i, pk in enumerate(new)
        if pk in stable_rows and pk in changed
    ]
    return changes


def _leaves(old: Sequence[Hashable], new_set: set[Hashable]) -> list[Change]:
    """``leave`` messages in old order, each with its index at the moment it applies."""
    changes = []
    removed = 0
    for index, pk in enumerate(old):
        if pk not in new_set:
            changes.append(Change("leave", pk, index - removed))
            removed += 1
    return changes


def apply_changes(rows: list[Any], changes: Sequence[Mapping[str, Any]], pk_of: Any) -> list[Any]:
    """Apply change messages (as sent) to ``rows``, strictly: a message that does not fit
    the rows (an ``enter`` of a row already there, an index out of range) raises
    ``ValueError``. The reference implementation of the client side, used by the tests."""
    rows = list(rows)
    for message in changes:
        kind, pk, index = message["change"], message["pk"], message["index"]
        if kind == "count":
            continue
        positions = [i for i, row in enumerate(rows) if pk_of(row) == pk]
        if kind == "enter":
            if positions or not 0 <= index <= len(rows):
                raise ValueError(f"cannot apply {message!r}")
            rows.insert(index, message["row"])
        elif kind == "update":
            if len(positions) != 1:
                raise ValueError(f"cannot apply {message!r}: row absent")
            del rows[positions[0]]
            if not 0 <= index <= len(rows):
                raise ValueError(f"cannot apply {message!r}: index out of range")
            rows.insert(index, message["row"])
        elif kind == "leave":
            if positions != [index]:
                raise ValueError(f"cannot apply {message!r}: row not at index")
            del rows[index]
        else:
            raise ValueError(f"unknown change {kind!r}")
    return rows
