"""Where does observer fan-out spend its time? cProfile of ours next to the floor.

    ./benchmarks/run profile-fanout [--subscribers 1000] [--changes 3] [--top 30]

Subscribes N connections to one user (``subscribe_instance``), then profiles only the
changes: ``save()``, the observer machinery and every delivery, in all threads. Prints
per-delivery figures: busy time for ours and the floor, our functions by cumulative time,
and the top functions by own time with the floor's figures beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import threading
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != REPO]
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from profile_retrieve import busy_time, is_wait, key_name  # noqa: E402


def child(args: argparse.Namespace) -> None:
    """Profile the change phase of the fan-out workload for ``args.target``."""
    profiles: list[cProfile.Profile] = []

    def start_in_thread(frame: Any, event: str, arg: Any) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()

    threading.setprofile(start_in_thread)
    from project.bootstrap import setup

    setup()
    import worker

    main = cProfile.Profile()

    def begin() -> None:
        for profile in profiles:
            profile.clear()
        main.enable()

    options = argparse.Namespace(
        impl=args.target,
        sizes=[args.subscribers],
        changes=args.changes,
        observer="instance",
        timeout=120.0,
        before_changes=begin,
    )
    result = asyncio.run(worker.fanout(options))
    main.disable()
    threading.setprofile(None)
    if "skipped" in result or result.get("errors"):
        raise SystemExit(f"fan-out did not run cleanly: {result}")
    stats = pstats.Stats(main)
    for profile in profiles:
        with contextlib.suppress(TypeError):  # a thread that recorded nothing
            stats.add(profile)
    stats.dump_stats(args.out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=3)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--target", choices=["lib", "floor"], default="lib", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    from project.tmp import bench_tmpdir

    base = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        "--subscribers",
        str(args.subscribers),
        "--changes",
        str(args.changes),
    ]
    loaded: dict[str, pstats.Stats] = {}
    with tempfile.TemporaryDirectory(prefix="dcrf-prof-", dir=bench_tmpdir()) as tmp:
        for target in ("lib", "floor"):
            env = {
                k: v
                for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")
            }
            env["BENCH_DB_PATH"] = os.path.join(tmp, f"{target}.sqlite3")
            out = os.path.join(tmp, f"{target}.prof")
            subprocess.run([*base, "--target", target, "--out", out], env=env, check=True)
            loaded[target] = pstats.Stats(out, stream=io.StringIO())

    import djangochannelsrestframework as dcrf

    n = args.subscribers * args.changes
    print(f"djangochannelsrestframework {dcrf.__version__} ({os.path.dirname(dcrf.__file__)})")
    print(f"{args.subscribers} subscribers x {args.changes} changes = {n} deliveries")
    for target, name in (("lib", "ours"), ("floor", "floor")):
        print(
            f"Profiled busy time per delivery, all threads, waits excluded: {name} "
            f"{busy_time(loaded[target]) / n * 1e6:.0f} µs"
        )

    lib = loaded["lib"]
    floor = {key_name(k): v for k, v in loaded["floor"].stats.items()}  # type: ignore[attr-defined]
    entries = sorted(lib.stats.items(), key=lambda kv: kv[1][3], reverse=True)  # type: ignore[attr-defined]
    print("\nOur library's functions by cumulative time (µs per delivery):\n")
    print(f"{'calls/dlv':>9} {'tottime':>8} {'cumtime':>8}  function")
    ours = [e for e in entries if "djangochannelsrestframework" in e[0][0]][: args.top]
    for key, (_cc, nc, tt, ct, _callers) in ours:
        print(f"{nc / n:9.2f} {tt / n * 1e6:8.1f} {ct / n * 1e6:8.1f}  {key_name(key)}")

    print("\nThe floor's own functions by cumulative time (µs per delivery):\n")
    print(f"{'calls/dlv':>9} {'tottime':>8} {'cumtime':>8}  function")
    floor_entries = sorted(loaded["floor"].stats.items(), key=lambda kv: kv[1][3], reverse=True)  # type: ignore[attr-defined]
    for key, (_cc, nc, tt, ct, _callers) in [e for e in floor_entries if "project/" in e[0][0]]:
        print(f"{nc / n:9.2f} {tt / n * 1e6:8.1f} {ct / n * 1e6:8.1f}  {key_name(key)}")

    print(f"\nTop {args.top} functions by own time, waits excluded (µs per delivery):\n")
    print(
        f"{'calls/dlv':>9} {'tottime':>8} {'cumtime':>8} | floor: {'calls':>6} {'tottime':>8}"
        "  function"
    )
    by_own = sorted(lib.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    for key, (_cc, nc, tt, ct, _callers) in [e for e in by_own if not is_wait(e[0])][: args.top]:
        f = floor.get(key_name(key))
        f_nc, f_tt = (f[1], f[2]) if f else (0, 0)
        print(
            f"{nc / n:9.2f} {tt / n * 1e6:8.1f} {ct / n * 1e6:8.1f} |        {f_nc / n:6.2f} "
            f"{f_tt / n * 1e6:8.1f}  {key_name(key)}"
        )


if __name__ == "__main__":
    main()
