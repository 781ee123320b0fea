"""In-process benchmark workloads; one invocation measures one workload and prints JSON.

Run by ``suite.py`` with the Python of a benchmark venv, as a script (so ``benchmarks/``,
not the repository root, is first on ``sys.path``)::

    python benchmarks/worker.py inproc --impl lib --duration 1
    python benchmarks/worker.py fanout --impl floor --sizes 10,100,1000
    python benchmarks/worker.py idle-observers --impl lib
    python benchmarks/worker.py prepare-db      # schema + 50 users in $BENCH_DB_PATH

``--impl lib`` drives the library installed in this venv (ours or 1.3: the import paths
are the same), ``--impl floor`` the hand-written Channels consumer. The last stdout line
is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# Never import this checkout by accident from the 1.3 venv.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != REPO]
if HERE not in sys.path:
    sys.path.insert(0, HERE)

MAX_REQUESTS = 200_000  # hard bound on every timed loop
EXPECTED_STATUS = {"retrieve": 200, "list": 200, "create": 201, "patch": 200}


def payload(op: str, i: int, tag: str) -> dict[str, Any]:
    """The request for operation ``op``, number ``i`` (pk cycles over the 50 seeded users)."""
    pk = 1 + i % 50
    if op == "retrieve":
        return {"action": "retrieve", "pk": pk, "request_id": i}
    if op == "list":
        return {"action": "list", "request_id": i}
    if op == "create":
        return {
            "action": "create",
            "request_id": i,
            "data": {
                "username": f"c{tag}-{i}",
                "email": f"c{tag}-{i}@example.com",
                "password": "pw",
            },
        }
    if op == "patch":
        return {
            "action": "patch",
            "pk": pk,
            "request_id": i,
            "data": {"email": f"p{tag}-{i}@example.com"},
        }
    raise ValueError(op)


class Errors:
    """Counts replies that are not the expected success, keeping the first for the report."""

    def __init__(self) -> None:
        self.count = 0
        self.first: Any = None

    def check(self, reply: dict[str, Any], status: int) -> None:
        if reply.get("response_status") != status:
            self.count += 1
            if self.first is None:
                self.first = reply


def make_app(impl: str) -> Any:
    if impl == "floor":
        from project.floor import FloorUserConsumer

        return FloorUserConsumer.as_asgi()
    from project.consumers import UserConsumer

    return UserConsumer.as_asgi()


async def connect(app: Any, path: str) -> Any:
    from channels.testing import WebsocketCommunicator

    communicator = WebsocketCommunicator(app, path)
    connected, _ = await communicator.connect(timeout=30)
    if not connected:
        raise RuntimeError(f"connection to {path} refused")
    return communicator


async def drive(
    communicator: Any, op: str, deadline: float, tag: str, errors: Errors, limit: int
) -> int:
    """Send ``op`` requests one after another until ``deadline``; return how many."""
    status = EXPECTED_STATUS[op]
    done = 0
    while done < limit and time.perf_counter() < deadline:
        await communicator.send_json_to(payload(op, done, tag))
        errors.check(await communicator.receive_json_from(timeout=30), status)
        done += 1
    return done


async def rate(
    communicators: list[Any], op: str, duration: float, errors: Errors
) -> dict[str, float]:
    """Requests per second of ``op`` over all ``communicators`` in parallel, and the
    process CPU time (all threads) per request in µs, which other load on the machine
    disturbs far less than wall-clock throughput."""
    limit = MAX_REQUESTS // len(communicators)
    start = time.perf_counter()
    cpu_start = time.process_time()
    deadline = start + duration
    counts = await asyncio.gather(
        *(
            drive(c, op, deadline, f"{op}{n}x{int(start * 1e6)}", errors, limit)
            for n, c in enumerate(communicators)
        )
    )
    done = sum(counts)
    return {
        "rps": done / (time.perf_counter() - start),
        "cpu_us": (time.process_time() - cpu_start) / max(done, 1) * 1e6,
    }


async def inproc(args: argparse.Namespace) -> dict[str, Any]:
    app = make_app(args.impl)
    path = "/ws/users/"
    pool = [await connect(app, path) for _ in range(max(args.concurrency))]
    errors = Errors()
    results: dict[str, Any] = {}
    # Reads first: create adds rows, which would change what list returns.
    for op in args.ops:
        await rate(pool[:1], op, args.warmup, errors)
        for concurrency in args.concurrency:
            results[f"{op}.c{concurrency}"] = await rate(
                pool[:concurrency], op, args.duration, errors
            )
    for communicator in pool:
        await communicator.disconnect()
    return {"rps": results, "errors": errors.count, "first_error": errors.first}


async def idle_observers(args: argparse.Namespace) -> dict[str, Any]:
    """List throughput with no model observer on User, then with two (nobody subscribed)."""
    app = make_app(args.impl)
    communicator = await connect(app, "/ws/users/")
    errors = Errors()
    await rate([communicator], "list", args.warmup, errors)
    none = await rate([communicator], "list", args.duration, errors)
    result: dict[str, Any] = {"none": none}
    if args.impl != "floor":
        try:
            import project.idle_observers  # noqa: F401  (registers the two observers)
        except ImportError as exc:
            result["skipped"] = f"model_observer not importable: {exc}"
        else:
            await rate([communicator], "list", args.warmup, errors)
            two = await rate([communicator], "list", args.duration, errors)
            result.update(two=two, slowdown=two["cpu_us"] / none["cpu_us"])
    await communicator.disconnect()
    result.update(errors=errors.count, first_error=errors.first)
    return result


class QueryCounter:
    """Counts SQL statements run on any thread, via an execute wrapper on every connection.

    Channels runs all sync database work on its thread-sensitive executor; the wrapper is
    installed on each new connection (``connection_created``) and on the current one of
    the thread that installs it, so queries are seen whichever thread runs them.
    """

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        with self._lock:
            self.count += 1
        return execute(sql, params, many, context)

    def install(self) -> None:
        from django.db import connection
        from django.db.backends.signals import connection_created

        def attach(sender: Any, connection: Any, **kwargs: Any) -> None:
            if self not in connection.execute_wrappers:
                connection.execute_wrappers.append(self)

        self._attach = attach  # keep a strong reference for the signal
        connection_created.connect(attach, weak=False)
        attach(None, connection)


async def fanout(args: argparse.Namespace) -> dict[str, Any]:
    """Time from ``save()`` of one user to the last of N subscribers receiving the change."""
    from channels.db import database_sync_to_async
    from django.contrib.auth.models import User

    if args.impl == "floor":
        from project.floor_observer import FloorObserverConsumer

        app = FloorObserverConsumer.as_asgi()
    else:
        try:
            if args.observer == "model":
                from project.model_observed import ModelObservedUserConsumer as consumer
            else:
                from project.observed import ObservedUserConsumer as consumer
        except ImportError as exc:
            return {"skipped": f"observer package not importable: {exc}"}
        app = consumer.as_asgi()

    counter = QueryCounter()
    await database_sync_to_async(counter.install)()
    user = await database_sync_to_async(User.objects.get)(pk=1)

    def save(k: int) -> None:
        user.email = f"change{k}@example.com"
        user.save()

    subscribers: list[Any] = []
    errors = Errors()
    results: dict[str, Any] = {}
    change = 0

    async def subscribe(k: int) -> Any:
        communicator = await connect(app, "/ws/users/")
        await communicator.send_json_to(
            {"action": "subscribe_instance", "pk": 1, "request_id": f"sub{k}"}
        )
        errors.check(await communicator.receive_json_from(timeout=60), 201)
        return communicator

    async def arrival(communicator: Any, email: str) -> float:
        message = await communicator.receive_json_from(timeout=args.timeout)
        errors.check(message, 200)
        if (message.get("data") or {}).get("email") != email:  # stale or wrong data
            errors.count += 1
            errors.first = errors.first or message
        return time.perf_counter()

    for size in args.sizes:
        t_sub = time.perf_counter()
        while len(subscribers) < size:
            batch = range(len(subscribers), min(size, len(subscribers) + 50))
            subscribers += await asyncio.gather(*(subscribe(k) for k in batch))
        subscribe_s = time.perf_counter() - t_sub
        if getattr(args, "before_changes", None):  # profile_fanout.py starts profiling here
            args.before_changes()
        last_ms, save_ms, queries, cpu_ms = [], [], [], []
        for _ in range(args.changes):
            change += 1
            email = f"change{change}@example.com"
            waiting = [asyncio.ensure_future(arrival(c, email)) for c in subscribers]
            await asyncio.sleep(0)
            before = counter.count
            cpu_start = time.process_time()
            start = time.perf_counter()
            await database_sync_to_async(save)(change)
            saved = time.perf_counter()
            arrivals = await asyncio.gather(*waiting)
            cpu_ms.append((time.process_time() - cpu_start) * 1000)
            last_ms.append((max(arrivals) - start) * 1000)
            save_ms.append((saved - start) * 1000)
            await asyncio.sleep(0.05)  # let stragglers (extra queries, extra messages) land
            queries.append(counter.count - before)
            for communicator in subscribers:
                if not await communicator.receive_nothing(timeout=0):
                    errors.count += 1
                    errors.first = errors.first or "more than one message per change"
        results[str(size)] = {
            "last_delivery_ms": statistics.median(last_ms),
            "save_ms": statistics.median(save_ms),
            "queries": statistics.median(queries),
            "cpu_ms": statistics.median(cpu_ms),
            "subscribe_s": subscribe_s,
        }
    await asyncio.gather(*(c.disconnect() for c in subscribers))
    return {"sizes": results, "errors": errors.count, "first_error": errors.first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", choices=["inproc", "fanout", "idle-observers", "prepare-db"])
    parser.add_argument("--impl", choices=["lib", "floor"], default="lib")
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--warmup", type=float, default=0.2)
    parser.add_argument(
        "--ops", type=lambda s: s.split(","), default=["retrieve", "list", "patch", "create"]
    )
    parser.add_argument(
        "--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8]
    )
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10, 100, 1000]
    )
    parser.add_argument("--changes", type=int, default=3)
    parser.add_argument("--observer", choices=["instance", "model"], default="instance")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    from project.bootstrap import library_info, setup

    setup()
    if args.workload == "prepare-db":
        result: dict[str, Any] = {"ok": True}
    else:
        workload = {"inproc": inproc, "fanout": fanout, "idle-observers": idle_observers}
        result = asyncio.run(workload[args.workload](args))
    result.update(library_info())
    result["impl"] = args.impl
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
