"""How long can one ``list`` message hold the database thread, with the default input bounds?

    .venv/bin/python benchmarks/query_bounds.py [--rows 20000] [--repeat 5]

Builds a SQLite table of ``--rows`` books (the test app's models, in a temporary file),
then sends the most expensive messages the defaults of ``limits.py`` allow to a consumer
with ``SearchFilter``, ``OrderingFilter``, django-filter and a paginator of at most 100 rows:
16 search terms over two fields (one of them across a join), 8 ordering fields, a ``query``
of 8 KiB, 64 filter values. Each reply's round trip is timed in process; a sync action
runs in one hop to the database thread, so this is the time that thread is held. For
comparison it sends the same kinds of message beyond the bounds with the bounds turned off.
Prints one line per message: median and worst milliseconds, and the reply status.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def setup_django(database: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import tests.settings as test_settings

    test_settings.DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": database}
    }
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)


def fill(rows: int) -> None:
    from tests.app.models import Author, Book

    authors = Author.objects.bulk_create([Author(name=f"author {n:03}") for n in range(50)])
    words = ["dune", "left", "hand", "darkness", "lavinia", "dispossessed", "messiah", "sea"]
    Book.objects.bulk_create(
        [
            Book(
                title=f"{words[n % 8]} {words[(n // 8) % 8]} {n}",
                year=1900 + n % 120,
                author=authors[n % 50],
            )
            for n in range(rows)
        ],
        batch_size=2000,
    )


def messages() -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(label, query, settings override) for each message measured."""
    long_terms = " ".join(f"{'x' * 480}{n}" for n in range(16))
    return [
        ("plain page of 100", {"limit": 100}, None),
        ("search, 16 short terms", {"search": " ".join(["a"] * 16), "limit": 100}, None),
        ("search, 16 terms of ~480 chars (8 KiB)", {"search": long_terms, "limit": 100}, None),
        ("ordering, 8 fields", {"ordering": "-year,title,id,-title,year,-id,title,year"}, None),
        ("filter, 64 values for year", {"year": [1969] * 63, "limit": 100}, None),
        (
            "search + ordering + filter at bounds",
            {
                "search": " ".join(["e"] * 16),
                "ordering": "-year,title,id,-title,year,-id,title,year",
                "author": 3,
                "limit": 100,
            },
            None,
        ),
        ("(over) search, 17 terms: refused", {"search": " ".join(["a"] * 17)}, None),
        (
            "(unbounded) search, 500 terms",
            {"search": " ".join(["a"] * 500), "limit": 100},
            {"MAX_SEARCH_TERMS": None, "MAX_QUERY_SIZE": None},
        ),
        (
            "(unbounded) search, 2000 terms",
            {"search": " ".join(["a"] * 2000), "limit": 100},
            {"MAX_SEARCH_TERMS": None, "MAX_QUERY_SIZE": None},
        ),
        (
            "(unbounded) ordering, 3000 fields",
            {"ordering": ",".join(["-year"] * 3000), "limit": 100},
            {"MAX_ORDERING_FIELDS": None, "MAX_QUERY_SIZE": None},
        ),
    ]


async def measure(repeat: int) -> None:
    from django.test import override_settings
    from rest_framework.pagination import LimitOffsetPagination

    from djangochannelsrestframework.testing import APICommunicator
    from tests.app.consumers import BookSearchConsumer

    class Paginated(LimitOffsetPagination):
        max_limit = 100
        default_limit = 100

    class Books(BookSearchConsumer):
        pagination_class = Paginated

    client = APICommunicator(Books.as_asgi(), "/ws/")
    await client.connect()
    print(f"{'message':46} {'median ms':>10} {'worst ms':>10}  status")
    for label, query, overrides in messages():
        timings = []
        status = None
        with override_settings(DJANGO_CHANNELS_REST_API=overrides or {}):
            for n in range(repeat):
                start = time.perf_counter()
                reply = await client.request(
                    {"action": "list", "query": query, "request_id": n}, timeout=600
                )
                timings.append((time.perf_counter() - start) * 1000)
                status = reply["response_status"]
        print(f"{label:46} {statistics.median(timings):10.1f} {max(timings):10.1f}  {status}")
    await client.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        setup_django(os.path.join(directory, "bench.sqlite3"))
        fill(args.rows)
        print(f"{args.rows} books, SQLite, defaults of djangochannelsrestframework.limits")
        asyncio.run(measure(args.repeat))


if __name__ == "__main__":
    main()
