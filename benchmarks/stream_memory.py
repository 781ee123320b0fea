"""Peak memory of a streamed list of a large table, against the same list sent in one reply.

    .venv/bin/python benchmarks/stream_memory.py [--rows 100000] [--page-size 500]

Fills a temporary SQLite database with ``--rows`` users, then, through a
``WebsocketCommunicator`` (the consumer and the client in one process):

* ``stream``: ``StreamedPaginatedListMixin.list`` with ``WebsocketLimitOffsetPagination``
  (``limit = --page-size``), the client reading every page as it arrives;
* ``list``: ``ListModelMixin.list``, the whole table serialized into one reply.

For each it prints the Python heap peak (``tracemalloc``, allocations made while the
action ran), the number of replies, rows received and the wall time. The stream's peak
levels off as ``--rows`` grows (it depends on the page size, plus the cyclic garbage that
serializers leave until the collector runs); the single reply's grows with the table.
Times include tracemalloc's overhead. Figures vary by machine; nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
from django.conf import settings

DB_DIR = tempfile.mkdtemp(prefix="dcrf-stream-")
settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmark",
    USE_TZ=True,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "channels"],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(DB_DIR, "db.sqlite3"),
        }
    },
    CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from channels.testing import WebsocketCommunicator  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework import serializers  # noqa: E402

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer  # noqa: E402
from djangochannelsrestframework.mixins import (  # noqa: E402
    ListModelMixin,
    StreamedPaginatedListMixin,
)
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination  # noqa: E402


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "is_active"]


class UserStream(StreamedPaginatedListMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.order_by("pk")
    serializer_class = UserSerializer
    pagination_class = WebsocketLimitOffsetPagination


class UserList(ListModelMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.order_by("pk")
    serializer_class = UserSerializer


def fill(rows: int) -> None:
    call_command("migrate", run_syncdb=True, verbosity=0)
    batch = 5_000
    for start in range(0, rows, batch):
        User.objects.bulk_create(
            User(
                username=f"user{i:07d}",
                email=f"user{i}@example.com",
                first_name="First",
                last_name="Last",
            )
            for i in range(start, min(rows, start + batch))
        )


async def run(consumer: Any, message: dict[str, Any], rows: int) -> dict[str, Any]:
    """Send ``message`` and read replies until ``rows`` rows have arrived."""
    communicator = WebsocketCommunicator(consumer.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    tracemalloc.reset_peak()
    start_current, _ = tracemalloc.get_traced_memory()
    started = time.perf_counter()
    await communicator.send_json_to(message)
    replies = received = 0
    while received < rows:
        reply = await communicator.receive_json_from(timeout=600)
        assert reply["response_status"] == 200, reply
        data = reply["data"]
        received += len(data["results"] if isinstance(data, dict) else data)
        replies += 1
        del reply, data
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    await communicator.disconnect()
    return {
        "peak_mib": (peak - start_current) / 2**20,
        "replies": replies,
        "rows": received,
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()

    fill(args.rows)
    tracemalloc.start()
    results = {
        "stream": asyncio.run(
            run(UserStream, {"action": "list", "limit": args.page_size, "request_id": 1}, args.rows)
        ),
        "list": asyncio.run(run(UserList, {"action": "list", "request_id": 1}, args.rows)),
    }
    tracemalloc.stop()

    print(f"rows={args.rows} page_size={args.page_size} (SQLite, Python heap via tracemalloc)")
    for name, figures in results.items():
        print(
            f"{name:>6}: peak {figures['peak_mib']:8.1f} MiB  replies {figures['replies']:6d}"
            f"  rows {figures['rows']:7d}  {figures['seconds']:6.1f} s"
        )
    ratio = results["list"]["peak_mib"] / max(results["stream"]["peak_mib"], 1e-9)
    print(f"single reply / stream peak memory: {ratio:.1f}x")


if __name__ == "__main__":
    main()
