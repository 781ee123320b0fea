"""``Subscriptions``: one object per connection owns which request ids receive which groups
of which observer; the consumer's ``check_subscription_limit`` bounds it."""

import pytest
from django.test import override_settings

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.exceptions import TooManySubscriptions
from djangochannelsrestframework.observer.subscriptions import Subscriptions
from djangochannelsrestframework.testing import connected
from tests.app.models import Note
from tests.app.observer_consumers import CommentsOfUserConsumer, NoteInstanceConsumer

pytestmark = pytest.mark.django_db(transaction=True)


def test_added_request_ids_are_found_by_observer_and_group():
    """``add`` records the request id for each group; ``request_ids`` reads it back."""
    subscriptions = Subscriptions()
    subscriptions.add("observer", ["g1", "g2"], 7)
    assert subscriptions.request_ids("observer", "g2") == {7}
    assert subscriptions.request_ids("other", "g2") == set()
    assert subscriptions.request_ids("observer", None) == set()


def test_a_group_added_without_request_id_is_held_and_counts_once():
    """Without a request id the group is held with no ids; it counts as one subscription."""
    subscriptions = Subscriptions()
    subscriptions.add("observer", ["g"], None)
    assert subscriptions.groups("observer") == {"g": set()}
    assert subscriptions.count() == 1


def test_added_count_counts_what_add_would_add():
    """A new group or a new request id adds one; a repeat, or a request id for a group
    held without ids, adds none."""
    subscriptions = Subscriptions()
    subscriptions.add("observer", ["g"], 1)
    subscriptions.add("observer", ["bare"], None)
    assert subscriptions.added_count("observer", ["new", "new"], 1) == 1
    assert subscriptions.added_count("observer", ["g"], 1) == 0
    assert subscriptions.added_count("observer", ["g"], 2) == 1
    assert subscriptions.added_count("observer", ["bare"], 2) == 0


def test_remove_returns_the_groups_nobody_needs_any_more():
    """Removing one request id keeps a group others still need; the last one leaves it."""
    subscriptions = Subscriptions()
    subscriptions.add("observer", ["g"], 1)
    subscriptions.add("observer", ["g"], 2)
    assert subscriptions.remove("observer", ["g"], 1) == []
    assert subscriptions.remove("observer", ["g"], 2) == ["g"]
    assert "observer" not in subscriptions.by_observer


def test_remove_without_request_id_drops_every_request_id():
    """``remove(..., None)`` unsubscribes every request id of those groups."""
    subscriptions = Subscriptions()
    subscriptions.add("observer", ["g"], 1)
    subscriptions.add("observer", ["g"], 2)
    assert subscriptions.remove("observer", ["g"], None) == ["g"]
    assert subscriptions.count() == 0


def test_the_13_attribute_is_a_view_of_the_subscriptions():
    """``_observer_group_to_request_id`` (1.3 name) is the ``subscriptions`` map itself."""
    consumer = AsyncAPIConsumer()
    consumer.subscriptions.add("observer", ["g"], 1)
    assert consumer._observer_group_to_request_id == {"observer": {"g": {1}}}


async def test_subscribed_requests_is_the_instance_observers_share():
    """``subscribed_requests`` (1.3 name) shows the instance observer's groups in the one
    ``subscriptions`` object: a subscription is recorded once."""
    note = await Note.objects.acreate(title="n")
    consumer = NoteInstanceConsumer()
    async with connected(consumer) as client:
        await client.request(action="subscribe_instance", pk=note.pk, request_id=5)
        ((observer_id, groups),) = consumer.subscriptions.by_observer.items()
        assert consumer.subscribed_requests == groups == {next(iter(groups)): {5}}


class OnePerConnection(CommentsOfUserConsumer):
    """Allows one subscription, whatever the settings say; counts the checks."""

    checks = []

    def check_subscription_limit(self, added):
        self.checks.append(added)
        if self.get_subscription_count() + added > 1:
            raise TooManySubscriptions()


@override_settings(DJANGO_CHANNELS_REST_API={"MAX_SUBSCRIPTIONS": None})
async def test_check_subscription_limit_is_the_one_hook_for_observer_subscriptions():
    """An overridden ``check_subscription_limit`` refuses the second subscription (429)
    even with no ``MAX_SUBSCRIPTIONS``."""
    OnePerConnection.checks = []
    async with connected(OnePerConnection) as client:
        first = await client.request(action="subscribe_comments", user_pk=1, request_id=1)
        second = await client.request(action="subscribe_comments", user_pk=2, request_id=2)
    assert (first["response_status"], second["response_status"]) == (201, 429)
    assert OnePerConnection.checks == [1, 1]


class CountingNotes(NoteInstanceConsumer):
    checks = []

    def check_subscription_limit(self, added):
        self.checks.append(added)
        super().check_subscription_limit(added)


async def test_subscribe_instance_checks_the_limit_once():
    """One ``subscribe_instance`` asks ``check_subscription_limit`` once, for one group."""
    note = await Note.objects.acreate(title="n")
    CountingNotes.checks = []
    async with connected(CountingNotes) as client:
        reply = await client.request(action="subscribe_instance", pk=note.pk, request_id=1)
    assert reply["response_status"] == 201
    assert CountingNotes.checks == [1]


def test_the_13_helpers_edit_subscribed_requests():
    """1.3's private helpers ``_subscribe``, ``_unsubscribe``, ``_unsubscribe_groups`` and
    ``_requests_for`` still work, on the instance observer's share of ``subscriptions``."""
    consumer = NoteInstanceConsumer()
    consumer._subscribe(1, ["g1", "g2"])
    consumer._subscribe(2, ["g1"])
    assert consumer._requests_for("g1") == {1, 2}
    assert consumer._requests_for(None) == {1, 2}
    consumer._unsubscribe(1)
    assert consumer.subscribed_requests == {"g1": {2}}
    consumer._unsubscribe_groups(["g1"])
    assert consumer.subscribed_requests == {}
    assert consumer.get_subscription_count() == 0
