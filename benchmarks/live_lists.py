"""Live lists against instance fan-out: save → last message, and queries per change.

    .venv/bin/python benchmarks/live_lists.py [--subscribers 1000] [--lists 10] [--changes 7]
                                              [--layer memory|redis]

One process, in-process connections (Channels' ``ApplicationCommunicator``), a SQLite file.
Live lists: ``subscribers`` connections spread over ``lists`` distinct filtered lists (one
team each, ordered by score, 20 rows a page); each change saves one row that moves from the
first page of one team's list to the first page of another's, and is timed from the save
to the last message of the last subscriber of both lists; the SELECTs run meanwhile are
counted (every list of the model is re-run, so they are counted per list too). Fan-out:
the same number of connections ``subscribe_instance`` to one note; each change is timed
from the save to the last subscriber's update. Prints medians and the ratio; the figures
in docs/benchmarks.md come from this script.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def configure(layer: str, database: str) -> None:
    import django
    from django.conf import settings

    if layer == "redis":
        channel_layers = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [
                        {
                            "address": os.environ.get("DCRF_REDIS_URL", "redis://127.0.0.1:6379"),
                            "socket_timeout": None,
                        }
                    ],
                    "prefix": f"dcrf-bench-live-{uuid.uuid4().hex[:8]}",
                    "capacity": 10_000,
                },
            }
        }
    else:
        channel_layers = {
            "default": {
                "BACKEND": "channels.layers.InMemoryChannelLayer",
                "CONFIG": {"capacity": 10_000},
            }
        }
    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "channels",
            "rest_framework.authtoken",
            "djangochannelsrestframework",
            "tests.app",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": database}},
        CHANNEL_LAYERS=channel_layers,
        ROOT_URLCONF="tests.urls",
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)


class SelectCounter:
    """Counts SELECT statements run in any thread while enabled."""

    def __init__(self) -> None:
        from django.db.backends.utils import CursorWrapper

        self.count = 0
        self.enabled = False
        self.lock = threading.Lock()
        original = CursorWrapper._execute
        counter = self

        def execute(self, sql, params, *args):
            if counter.enabled and sql.lstrip().upper().startswith("SELECT"):
                with counter.lock:
                    counter.count += 1
            return original(self, sql, params, *args)

        CursorWrapper._execute = execute


async def connect_many(consumer_class, n):
    from djangochannelsrestframework.testing import APICommunicator

    application = consumer_class.as_asgi()
    clients = []
    for _ in range(n):
        client = APICommunicator(application, "/ws/")
        accepted, _ = await client.connect(timeout=30)
        assert accepted
        clients.append(client)
    return clients


async def live_lists(args, counter) -> tuple[list[float], list[float]]:
    from asgiref.sync import sync_to_async

    from tests.app.live_consumers import LiveItemConsumer
    from tests.app.models import LiveItem

    teams = [f"t{i}" for i in range(args.lists)]
    await sync_to_async(LiveItem.objects.bulk_create)(
        [LiveItem(name=f"item {i}", team=team, score=10 * i) for team in teams for i in range(40)]
    )
    clients = await connect_many(LiveItemConsumer, args.subscribers)
    by_team: dict[str, list] = {team: [] for team in teams}
    for i, client in enumerate(clients):
        team = teams[i % len(teams)]
        message = {"query": {"team": team, "ordering": "score,id"}, "limit": 20}
        reply = await client.request(
            {"action": "subscribe_list", "request_id": 1, **message}, timeout=60
        )
        assert reply["response_status"] == 201, reply
        by_team[team].append(client)

    timings, queries = [], []
    for change in range(args.changes):
        source, target = teams[change % len(teams)], teams[(change + 1) % len(teams)]
        item = await LiveItem.objects.filter(team=source).order_by("score", "id")[5:6].aget()
        item.team, item.score = target, item.score + 1
        affected = by_team[source] + by_team[target]
        counter.count, counter.enabled = 0, True
        start = time.perf_counter()
        await sync_to_async(item.save)()
        # Each affected list: the row leaves (or enters) and the 21st row enters (or leaves).
        await asyncio.gather(*(two_messages(client) for client in affected))
        timings.append(time.perf_counter() - start)
        counter.enabled = False
        queries.append(counter.count)
    for client in clients:
        await client.disconnect()
    return timings, queries


async def two_messages(client):
    for _ in range(2):
        frame = await client.receive_json_from(timeout=60)
        assert frame["response_status"] == 200, frame


async def fan_out(args) -> list[float]:
    from asgiref.sync import sync_to_async

    from tests.app.models import Note
    from tests.app.observer_consumers import NoteInstanceConsumer

    note = await sync_to_async(Note.objects.create)(title="watched")
    clients = await connect_many(NoteInstanceConsumer, args.subscribers)
    for client in clients:
        reply = await client.request(
            {"action": "subscribe_instance", "pk": note.pk, "request_id": 1}, timeout=60
        )
        assert reply["response_status"] == 201, reply
    timings = []
    for change in range(args.changes):
        note.title = f"title {change}"
        start = time.perf_counter()
        await sync_to_async(note.save)()
        await asyncio.gather(*(client.receive_json_from(timeout=60) for client in clients))
        timings.append(time.perf_counter() - start)
    for client in clients:
        await client.disconnect()
    return timings


async def main(args) -> None:
    counter = SelectCounter()
    live_timings, live_queries = await live_lists(args, counter)
    fan_timings = await fan_out(args)
    live_ms = statistics.median(live_timings) * 1000
    fan_ms = statistics.median(fan_timings) * 1000
    print(f"layer: {args.layer}; subscribers: {args.subscribers}; lists: {args.lists}")
    print(
        f"live lists, save -> last message of {2 * args.subscribers // args.lists} "
        f"subscribers of the 2 affected lists: median {live_ms:.1f} ms "
        f"(all: {', '.join(f'{t * 1000:.0f}' for t in live_timings)})"
    )
    selects = statistics.median(live_queries)
    print(
        f"live lists, SELECTs per change: {selects:g} for the {args.lists} distinct lists of "
        f"the model = {selects / args.lists:g} per list re-run "
        f"({selects / 2:g} per list whose result changed)"
    )
    print(
        f"subscribe_instance fan-out to {args.subscribers}, save -> last message: "
        f"median {fan_ms:.1f} ms (all: {', '.join(f'{t * 1000:.0f}' for t in fan_timings)})"
    )
    print(f"ratio live / fan-out: {live_ms / fan_ms:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--lists", type=int, default=10)
    parser.add_argument("--changes", type=int, default=7)
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        configure(options.layer, os.path.join(directory, "bench.sqlite3"))
        asyncio.run(main(options))
