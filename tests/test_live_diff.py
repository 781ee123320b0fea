"""``live.diff``: the change messages between two states of a list."""

from dataclasses import asdict

from hypothesis import given
from hypothesis import strategies as st

from djangochannelsrestframework.live.diff import apply_changes, diff


def messages(old, new, changed=()):
    rows = {pk: {"id": pk, "v": pk in changed} for pk in new}
    return [asdict(change) for change in diff(old, new, rows, set(changed))]


def applied(old, new, changed=()):
    rows = [{"id": pk, "v": False} for pk in old]
    return apply_changes(rows, messages(old, new, changed), lambda row: row["id"])


def test_moving_one_row_down_is_one_update():
    """A row that moves past many others costs one message, not one per row passed."""
    assert messages([1, 2, 3, 4, 5], [2, 3, 4, 5, 1]) == [
        {"change": "update", "pk": 1, "index": 4, "row": {"id": 1, "v": False}}
    ]


def test_leaves_carry_their_index_at_the_moment_they_apply():
    """Two leaving rows: the second's index counts the first as already removed."""
    assert messages([1, 2, 3, 4], [1, 4]) == [
        {"change": "leave", "pk": 2, "index": 1, "row": None},
        {"change": "leave", "pk": 3, "index": 1, "row": None},
    ]


def test_a_changed_row_in_place_is_an_update_at_its_index():
    """Data changed, position kept: one ``update`` where the row stands."""
    assert messages([1, 2], [1, 2], changed=[2]) == [
        {"change": "update", "pk": 2, "index": 1, "row": {"id": 2, "v": True}}
    ]


def test_nothing_changed_is_no_message():
    """Same rows, same order, same data: no messages."""
    assert messages([3, 1, 2], [3, 1, 2]) == []


@given(
    st.lists(st.integers(0, 30), unique=True, max_size=15),
    st.lists(st.integers(0, 30), unique=True, max_size=15),
    st.sets(st.integers(0, 30)),
)
def test_applying_the_messages_gives_the_new_list(old, new, changed):
    """The oracle, for any two lists: the messages turn ``old`` into exactly ``new``."""
    changed = changed & set(old) & set(new)
    result = applied(old, new, changed)
    assert [row["id"] for row in result] == new
    assert all(row["v"] == (row["id"] in changed) for row in result)
