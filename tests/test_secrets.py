"""Nothing secret reaches a client: no traceback, SQL or setting on any error path, and no
write-only field in any reply or observer delivery."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, connection

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from tests.app.consumers import UserConsumer
from tests.app.observer_consumers import UserInstanceConsumer
from tests.helpers import connect

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()

SECRET = "s3cr3t-p4ssw0rd"
SQL = "SELECT password FROM auth_user WHERE username = 'admin'"
#: Text that must never appear in what a client receives.
FORBIDDEN = (
    SECRET,
    "SELECT",
    "auth_user",
    "Traceback",
    'File "',
    settings.SECRET_KEY,
    "pbkdf2",
    "md5$",
)


class Leaky(AsyncAPIConsumer):
    """Actions that fail in ways whose messages hold secrets, SQL and settings."""

    @action()
    async def explode(self, **kwargs):
        raise RuntimeError(f"password={SECRET} while running {SQL} with {settings.SECRET_KEY}")

    @action()
    def broken_sql(self, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT '{SECRET}' FROM no_such_table_auth_user")

    @action()
    def database_error(self, **kwargs):
        raise DatabaseError(f"could not run {SQL}: {SECRET}")

    @action()
    def integrity_error(self, **kwargs):
        raise IntegrityError(f'duplicate key value violates "auth_user_username_key": {SECRET}')

    @action()
    def duplicate_user(self, **kwargs):
        User.objects.create(username=SECRET)
        User.objects.create(username=SECRET)

    @action(detached=True)
    async def explode_later(self, **kwargs):
        raise RuntimeError(f"{SECRET} {SQL}")

    @action()
    async def bad_return(self, **kwargs):
        return {"unserialisable": object(), "note": SECRET}, 200


async def raw_reply(communicator, message):
    """The reply frame exactly as sent, text included, and its decoded form."""
    await communicator.send_json_to(message)
    frame = await communicator.receive_output()
    return frame["text"]


def assert_clean(text):
    for forbidden in FORBIDDEN:
        assert forbidden not in text, f"{forbidden!r} reached the client: {text}"


@pytest.mark.parametrize(
    ("action_name", "status"),
    [
        ("explode", 500),
        ("broken_sql", 500),
        ("database_error", 500),
        ("integrity_error", 409),
        ("duplicate_user", 409),
        ("explode_later", 500),
        ("bad_return", 500),
    ],
)
async def test_errors_reveal_no_secret_sql_or_traceback(action_name, status, caplog):
    """The reply is a generic error with the status; the details go to the server log."""
    client = await connect(Leaky.as_asgi())
    text = await raw_reply(client, {"action": action_name, "request_id": 1})
    assert f'"response_status":{status}' in text.replace(" ", "")
    assert_clean(text)
    assert caplog.records, "the details belong in the server log"
    await client.disconnect()


async def test_validation_errors_do_not_echo_stored_values():
    """A refused write names the field and the rule, not the other rows' data."""
    await User.objects.acreate(username="taken", password=f"md5${SECRET}")
    client = await connect(UserConsumer.as_asgi())
    text = await raw_reply(
        client, {"action": "create", "data": {"username": "taken"}, "request_id": 1}
    )
    assert '"response_status":400' in text.replace(" ", "")
    assert_clean(text)
    await client.disconnect()


# Write-only fields ---------------------------------------------------------------------------


@pytest.fixture
async def user():
    created = await User.objects.acreate(username="alice", email="a@example.com")
    created.set_password(SECRET)
    await created.asave()
    return created


@pytest.mark.parametrize(
    "message",
    [
        {"action": "create", "data": {"username": "bob", "password": SECRET}},
        {"action": "retrieve"},
        {"action": "list"},
        {"action": "patch", "data": {"password": SECRET}},
        {
            "action": "update",
            "data": {"username": "alice", "email": "b@example.com", "password": SECRET},
        },
    ],
    ids=["create", "retrieve", "list", "patch", "update"],
)
async def test_write_only_fields_never_appear_in_replies(user, message):
    """``password`` is write-only: no reply carries it, its hash, or the value sent."""
    client = await connect(UserConsumer.as_asgi())
    text = await raw_reply(client, {**message, "pk": user.pk, "request_id": 1})
    assert '"response_status":20' in text.replace(" ", "")
    assert "password" not in text
    assert_clean(text)
    await client.disconnect()


async def test_write_only_fields_never_appear_in_observer_deliveries(user):
    """An instance subscription's update carries the readable fields only."""
    client = await connect(UserInstanceConsumer.as_asgi())
    await client.send_json_to({"action": "subscribe_instance", "pk": user.pk, "request_id": 7})
    assert (await client.receive_json_from())["response_status"] == 201
    user.set_password("another " + SECRET)
    user.email = "new@example.com"
    await user.asave()
    frame = await client.receive_output()
    assert '"new@example.com"' in frame["text"]
    assert "password" not in frame["text"]
    assert_clean(frame["text"])
    await client.disconnect()
