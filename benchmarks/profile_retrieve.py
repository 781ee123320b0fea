"""Where does an in-process ``retrieve`` spend its time? cProfile of ours next to the floor.

    ./benchmarks/run profile                     # builds the venvs if needed, then this
    .bench/venv-ours/bin/python benchmarks/profile_retrieve.py --requests 3000 --top 30

Prints (1) unprofiled wall time per request for our ``UserConsumer`` and for the floor
(same process, same database), (2) the top functions of our path by cumulative time, and
(3) the top functions by own time with the floor's figures for the same function, and
(4) a side-by-side table of chosen stages (dispatch, thread hops, permissions, request
building, serializer, JSON, SQL) per request.

Profiled figures are inflated several times by cProfile; compare ours with the floor, not
with the unprofiled times. ``channels.testing`` makes ``close_old_connections`` a no-op,
so database reconnects (``CONN_MAX_AGE = 0`` under a real server) are not in this profile.

Every thread is profiled: channels runs the ORM and serializer work on its
thread-sensitive executor thread, which a main-thread-only profile would not see. A
``threading.setprofile`` hook starts one profiler in each new thread; each target runs in
its own child process so that the two profiles do not mix.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != REPO]
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# Stages shown side by side: label -> substrings matched against "file:line(function)".
STAGES: list[tuple[str, tuple[str, ...]]] = [
    (
        "channels dispatch (websocket_receive)",
        ("channels/generic/websocket.py", "(websocket_receive)"),
    ),
    ("frame decode (receive/decode_json)", ("(decode_json)",)),
    ("receive_json", ("(receive_json)",)),
    ("handle_action", ("(handle_action)",)),
    ("check_permissions", ("(check_permissions)",)),
    ("get_permissions", ("(get_permissions)",)),
    ("request_from_scope (HttpRequest)", ("(request_from_scope)",)),
    ("thread hop: SyncToAsync.__call__", ("asgiref/sync.py", "(__call__)", "SyncToAsync")),
    ("channels' per-message hop (aclose_old_connections)", ("(aclose_old_connections)",)),
    ("sqlite connect (get_new_connection)", ("(get_new_connection)",)),
    ("get_object / User.objects.get", ("(get_object)",)),
    ("QuerySet.get", ("django/db/models/query.py", "(get)")),
    ("SQL execute (execute_sql)", ("(execute_sql)",)),
    ("get_serializer (construct + context)", ("(get_serializer)",)),
    ("get_serializer_context", ("(get_serializer_context)",)),
    ("Serializer.__init__", ("rest_framework/serializers.py", "(__init__)")),
    ("serializer.data", ("rest_framework/serializers.py", "(data)")),
    ("to_representation", ("rest_framework/serializers.py", "(to_representation)")),
    ("Serializer.fields (binding)", ("rest_framework/serializers.py", "(fields)")),
    ("reply / envelope", ("(reply)",)),
    ("send_json + encode_json", ("(send_json)",)),
    ("json.dumps", ("json/__init__.py", "(dumps)")),
]


def setup_django() -> None:
    from project.bootstrap import setup

    setup()


def make_app(target: str) -> Any:
    if target == "floor":
        from project.floor import FloorUserConsumer

        return FloorUserConsumer.as_asgi()
    from project.consumers import UserConsumer

    return UserConsumer.as_asgi()


async def loop(target: str, requests: int, before: Any = None) -> float:
    """Send ``requests`` retrieves on one connection; return seconds per request."""
    from channels.testing import WebsocketCommunicator

    communicator = WebsocketCommunicator(make_app(target), "/ws/users/")
    connected, _ = await communicator.connect(timeout=30)
    assert connected
    for i in range(200):  # warm-up
        await communicator.send_json_to({"action": "retrieve", "pk": 1 + i % 50, "request_id": i})
        await communicator.receive_json_from(timeout=30)
    if before:
        before()
    start = time.perf_counter()
    for i in range(requests):
        await communicator.send_json_to({"action": "retrieve", "pk": 1 + i % 50, "request_id": i})
        reply = await communicator.receive_json_from(timeout=30)
        assert reply["response_status"] == 200, reply
    elapsed = time.perf_counter() - start
    await communicator.disconnect()
    return elapsed / requests


def child_time(args: argparse.Namespace) -> None:
    """Unprofiled seconds per request for each target, alternating, best of 3 rounds."""
    setup_django()
    best: dict[str, float] = {}
    for _ in range(3):
        for target in ("lib", "floor"):
            per = asyncio.run(loop(target, args.requests))
            best[target] = min(best.get(target, per), per)
    print(json.dumps(best))


def child_profile(args: argparse.Namespace) -> None:
    """Profile ``args.target`` in all threads; dump merged stats to ``args.out``."""
    profiles: list[cProfile.Profile] = []

    def start_in_thread(frame: Any, event: str, arg: Any) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()  # replaces this hook in the new thread

    threading.setprofile(start_in_thread)
    setup_django()
    main = cProfile.Profile()
    profiles.append(main)

    def begin() -> None:  # drop what the warm-up recorded in the worker threads
        for profile in profiles:
            profile.clear()
        main.enable()

    async def run() -> None:
        await loop(args.target, args.requests, before=begin)
        main.disable()

    asyncio.run(run())
    threading.setprofile(None)
    stats = pstats.Stats(main)
    for profile in profiles:
        if profile is not main:
            # The worker threads are idle now; their pending frames are flushed.
            with contextlib.suppress(TypeError):  # a thread that recorded nothing
                stats.add(profile)
    stats.dump_stats(args.out)


WAITS = (
    "<method 'poll' of 'select.epoll' objects>",
    "<method 'get' of '_queue.SimpleQueue' objects>",
    "<method 'acquire' of '_thread.lock' objects>",
    "<built-in method time.sleep>",
    "<method 'send' of '_socket.socket' objects>",
)


def is_wait(key: tuple[str, int, str]) -> bool:
    """Builtins where a thread blocks (event-loop poll, executor queue, GIL hand-over on the
    self-pipe wake-up): their time is waiting, not work."""
    return key[0] == "~" and key[2] in WAITS


def busy_time(stats: pstats.Stats) -> float:
    return sum(
        tt
        for key, (_cc, _nc, tt, _ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
        if not is_wait(key)
    )


def key_name(key: tuple[str, int, str]) -> str:
    filename, line, func = key
    if "/djangochannelsrestframework/" in filename:  # this tree, a snapshot or a venv
        filename = (
            "djangochannelsrestframework/" + filename.rsplit("/djangochannelsrestframework/", 1)[1]
        )
    for marker in ("site-packages/", "lib/python3.11/", REPO + "/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    func = re.sub(r" at 0x[0-9a-f]+", "", func)  # builtins' reprs differ per process
    return f"{filename}:{line}({func})"


def stage_rows(stats: pstats.Stats, requests: int) -> dict[str, tuple[float, float]]:
    """Per stage: (calls per request, cumulative µs per request), summed over matches.

    Sums of cumulative times double-count nested matches only within one stage, and each
    stage is chosen to be one function name, so the figures read as "time under X".
    """
    rows: dict[str, tuple[float, float]] = {}
    for label, needles in STAGES:
        calls = cum = 0.0
        for key, (_cc, nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            name = f"{key[0]}:{key[1]}({key[2]})"
            if label.startswith("thread hop"):
                ok = "asgiref/sync.py" in key[0] and key[2] == "__call__" and _is_sync_to_async(key)
            else:
                ok = all(n in name for n in needles)
            if ok:
                calls += nc
                cum += ct
        rows[label] = (calls / requests, cum / requests * 1e6)
    return rows


def _is_sync_to_async(key: tuple[str, int, str]) -> bool:
    try:
        from asgiref.sync import SyncToAsync

        return key[1] == SyncToAsync.__call__.__code__.co_firstlineno
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--child", choices=["time", "profile"], help=argparse.SUPPRESS)
    parser.add_argument("--target", choices=["lib", "floor"], default="lib", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "time":
        return child_time(args)
    if args.child == "profile":
        return child_profile(args)

    from project.tmp import bench_tmpdir

    me = [sys.executable, os.path.abspath(__file__), "--requests", str(args.requests)]
    with tempfile.TemporaryDirectory(prefix="dcrf-prof-", dir=bench_tmpdir()) as tmp:
        env = {
            k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")
        }
        env["BENCH_DB_PATH"] = os.path.join(tmp, "db.sqlite3")
        timing = json.loads(
            subprocess.run(
                me + ["--child", "time"], env=env, check=True, capture_output=True, text=True
            ).stdout.splitlines()[-1]
        )
        loaded: dict[str, pstats.Stats] = {}
        for target in ("lib", "floor"):
            out = os.path.join(tmp, f"{target}.prof")
            subprocess.run(
                me + ["--child", "profile", "--target", target, "--out", out], env=env, check=True
            )
            loaded[target] = pstats.Stats(out, stream=io.StringIO())

    import djangochannelsrestframework as dcrf

    n = args.requests
    lib_us, floor_us = timing["lib"] * 1e6, timing["floor"] * 1e6
    print(f"djangochannelsrestframework {dcrf.__version__} ({os.path.dirname(dcrf.__file__)})")
    print(
        f"Unprofiled, one connection, {n} retrieves (best of 3): ours {lib_us:.0f} µs/request, "
        f"floor {floor_us:.0f} µs/request, overhead {lib_us - floor_us:.0f} µs "
        f"({timing['lib'] / timing['floor']:.2f}x)."
    )
    for target in ("lib", "floor"):
        print(
            f"Profiled busy time, all threads, blocking waits excluded: "
            f"{'ours' if target == 'lib' else 'floor'} "
            f"{busy_time(loaded[target]) / n * 1e6:.0f} µs/request"
        )

    lib = loaded["lib"]
    print(
        f"\nTop {args.top} functions of our retrieve path by cumulative time "
        f"(all threads; µs per request):\n"
    )
    print(f"{'calls/req':>9} {'tottime':>8} {'cumtime':>8}  function")
    entries = sorted(lib.stats.items(), key=lambda kv: kv[1][3], reverse=True)  # type: ignore[attr-defined]
    for key, (_cc, nc, tt, ct, _callers) in entries[: args.top]:
        print(f"{nc / n:9.2f} {tt / n * 1e6:8.1f} {ct / n * 1e6:8.1f}  {key_name(key)}")

    print(
        f"\nTop {args.top} functions of our retrieve path by own time (tottime), blocking "
        f"waits excluded (µs per request):\n"
    )
    print(
        f"{'calls/req':>9} {'tottime':>8} {'cumtime':>8} | {'floor:':>6} {'calls':>6} "
        f"{'tottime':>8}  function"
    )
    floor_stats = {key_name(k): v for k, v in loaded["floor"].stats.items()}  # type: ignore[attr-defined]
    entries = sorted(lib.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    for key, (_cc, nc, tt, ct, _callers) in [e for e in entries if not is_wait(e[0])][: args.top]:
        f = floor_stats.get(key_name(key))
        f_nc, f_tt = (f[1], f[2]) if f else (0, 0)
        print(
            f"{nc / n:9.2f} {tt / n * 1e6:8.1f} {ct / n * 1e6:8.1f} | {'':>6} {f_nc / n:6.2f} "
            f"{f_tt / n * 1e6:8.1f}  {key_name(key)}"
        )

    print(
        "\nStages, cumulative µs per request under the profiler (calls per request; a "
        "coroutine counts one call per resumption):\n"
    )
    print(f"{'stage':52} {'ours':>16} {'floor':>16}")
    ours_rows, floor_rows = stage_rows(lib, n), stage_rows(loaded["floor"], n)
    for label, _ in STAGES:
        (oc, ot), (fc, ft) = ours_rows[label], floor_rows[label]
        if oc == 0 and fc == 0:
            continue
        print(f"{label:52} {ot:9.1f} ({oc:4.1f}) {ft:9.1f} ({fc:4.1f})")


if __name__ == "__main__":
    main()
