"""Run every workload for ours, 1.3 and the floor, N times, and print one table of medians.

Normally started by ``./benchmarks/run`` (which builds the venvs first)::

    ./benchmarks/run                 # default: 3 runs, about 6 minutes on 2 cores
    ./benchmarks/run --quick         # smoke run: 1 run, short windows, small sizes
    ./benchmarks/run --runs 5 --only inproc,server

Implementations: "ours" is this checkout in ``.bench/venv-ours``, "1.3" the released
package in ``.bench/venv-13`` (same Django/channels/DRF), "floor" a hand-written Channels
consumer (run in venv-ours, never importing the library). Within each run the three are
measured back to back (rotating the order), and each ratio is the median of the per-run
ratios, so machine noise cancels as far as possible.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from project.tmp import bench_tmpdir

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
IMPLS = ("ours", "1.3", "floor")
WORKLOADS = ("inproc", "server", "fanout", "fanout-model", "memory", "idle")


class Metric:
    def __init__(
        self, section: str, label: str, unit: str, higher_better: bool, fmt: str = "{:.0f}"
    ) -> None:
        self.section, self.label, self.unit = section, label, unit
        self.higher_better, self.fmt = higher_better, fmt


METRICS: dict[str, Metric] = {}
# results[metric key][impl] -> one value per run (None when the run produced none)
RESULTS: dict[str, dict[str, list[float | None]]] = defaultdict(lambda: defaultdict(list))
NOTES: list[str] = []
INFO: dict[str, dict[str, Any]] = {}


def record(key: str, metric: Metric, impl: str, run: int, value: float | None) -> None:
    METRICS.setdefault(key, metric)
    values = RESULTS[key][impl]
    values.extend([None] * (run + 1 - len(values)))
    values[run] = value


def note(text: str) -> None:
    if text not in NOTES:
        NOTES.append(text)
        print(f"# note: {text}", file=sys.stderr)


# Processes -----------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "BENCH_OURS_LABEL")
    }
    env.update(extra)
    return env


def run_json(cmd: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run a benchmark process and return the JSON object on its last stdout line."""
    proc = subprocess.run(cmd, env=env, cwd=HERE, capture_output=True, text=True, timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
        raise RuntimeError(f"{' '.join(cmd[1:3])} failed ({proc.returncode}): " + " | ".join(tail))
    return json.loads(lines[-1])


def worker(
    python: str, workload: str, impl: str, *args: str, db: str | None = None, timeout: float = 600
) -> dict[str, Any]:
    """Run ``worker.py``; each call gets a fresh database unless ``db`` is given."""
    cmd = [python, os.path.join(HERE, "worker.py"), workload, "--impl", impl, *args]
    if db:
        return run_json(cmd, clean_env(BENCH_DB_PATH=db), timeout)
    with tempfile.TemporaryDirectory(prefix="dcrf-bench-", dir=bench_tmpdir()) as tmp:
        return run_json(cmd, clean_env(BENCH_DB_PATH=os.path.join(tmp, "db.sqlite3")), timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@contextlib.contextmanager
def server(python: str, impl: str) -> Iterator[tuple[int, str]]:
    """A uvicorn process on 127.0.0.1 serving the benchmark project; yields (pid, url)."""
    with tempfile.TemporaryDirectory(prefix="dcrf-bench-srv-", dir=bench_tmpdir()) as tmp:
        db = os.path.join(tmp, "db.sqlite3")
        worker(python, "prepare-db", impl, db=db, timeout=120)
        port = free_port()
        env = clean_env(BENCH_DB_PATH=db, BENCH_IMPL=impl)
        with open(os.path.join(tmp, "server.log"), "w+") as log:
            proc = subprocess.Popen(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "project.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--lifespan",
                    "off",
                    "--ws",
                    "websockets",
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=HERE,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + 60
                while True:
                    if proc.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(f"server exited: {log.read()[-800:]}")
                    with (
                        contextlib.suppress(OSError),
                        socket.create_connection(("127.0.0.1", port), timeout=0.2),
                    ):
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError("server did not start within 60 s")
                    time.sleep(0.1)
                path = "/ws/floor/" if impl == "floor" else "/ws/users/"
                yield proc.pid, f"ws://127.0.0.1:{port}{path}"
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def loadgen(python: str, *args: str, timeout: float = 300) -> dict[str, Any]:
    return run_json([python, os.path.join(HERE, "loadgen.py"), *args], clean_env(), timeout)


# Workloads -----------------------------------------------------------------------------

OPS = ("retrieve", "list", "patch", "create")


def wl_inproc(impl: str, python: str, kind: str, run: int, cfg: argparse.Namespace) -> None:
    out = worker(
        python,
        "inproc",
        kind,
        "--duration",
        str(cfg.inproc_duration),
        "--warmup",
        str(cfg.warmup),
        "--concurrency",
        "1,8",
    )
    INFO.setdefault(impl, {k: v for k, v in out.items() if k not in ("rps", "first_error")})
    if out["errors"]:
        note(f"inproc {impl}: {out['errors']} unexpected replies, first: {out['first_error']}")
    for op in OPS:
        for c, label in ((1, "sequential"), (8, "8 connections")):
            cell = out["rps"][f"{op}.c{c}"]
            record(
                f"inproc.{op}.c{c}",
                Metric(
                    "In-process (WebsocketCommunicator): throughput",
                    f"{op}, {label}",
                    "req/s",
                    True,
                ),
                impl,
                run,
                cell["rps"],
            )
            record(
                f"inproc.{op}.c{c}.cpu",
                Metric(
                    "In-process (WebsocketCommunicator): process CPU per request, all "
                    "threads (robust to other load on the machine)",
                    f"{op}, {label}",
                    "µs",
                    False,
                ),
                impl,
                run,
                cell["cpu_us"],
            )


def wl_server(impl: str, python: str, kind: str, run: int, cfg: argparse.Namespace) -> None:
    section = (
        f"uvicorn on 127.0.0.1, websockets client, {cfg.depth} requests in flight per connection"
    )
    with server(python, kind) as (pid, url):
        for action in ("retrieve", "list"):
            for conns in cfg.connections:
                cpu_before = cpu_seconds(pid)
                out = loadgen(
                    cfg.python_ours,
                    "throughput",
                    "--url",
                    url,
                    "--connections",
                    str(conns),
                    "--depth",
                    str(cfg.depth),
                    "--duration",
                    str(cfg.server_duration),
                    "--warmup",
                    str(cfg.warmup),
                    "--action",
                    action,
                )
                if out["errors"]:
                    note(
                        f"server {impl} {action} x{conns}: {out['errors']} bad replies, "
                        f"first: {out['first_error']}"
                    )
                base = f"server.{action}.c{conns}"
                name = f"{action}, {conns} conn"
                record(
                    f"{base}.rps",
                    Metric(section, f"{name}: throughput", "req/s", True),
                    impl,
                    run,
                    out["rps"],
                )
                record(
                    f"{base}.p50",
                    Metric(section, f"{name}: p50 latency", "ms", False, "{:.1f}"),
                    impl,
                    run,
                    out["p50_ms"],
                )
                record(
                    f"{base}.p99",
                    Metric(section, f"{name}: p99 latency", "ms", False, "{:.1f}"),
                    impl,
                    run,
                    out["p99_ms"],
                )
                record(
                    f"{base}.cpu",
                    Metric(section, f"{name}: server CPU per request", "µs", False),
                    impl,
                    run,
                    (cpu_seconds(pid) - cpu_before) / max(out["replies"], 1) * 1e6,
                )


def wl_fanout(
    impl: str,
    python: str,
    kind: str,
    run: int,
    cfg: argparse.Namespace,
    observer: str = "instance",
) -> None:
    out = worker(
        python,
        "fanout",
        kind,
        "--sizes",
        ",".join(map(str, cfg.sizes)),
        "--changes",
        str(cfg.changes),
        "--observer",
        observer,
    )
    if observer == "model":
        section = "Observer fan-out: @model_observer(User, serializer_class=...), then save()"
    else:
        section = "Observer fan-out: subscribe_instance on one User, then save() it"
    prefix = "fanout" if observer == "instance" else f"fanout-{observer}"
    if "skipped" in out:
        note(f"fan-out skipped for {impl}: {out['skipped']}")
    if out.get("errors"):
        note(f"fan-out {impl}: {out['errors']} unexpected messages, first: {out['first_error']}")
    for size in cfg.sizes:
        figures = out.get("sizes", {}).get(str(size), {})
        record(
            f"{prefix}.{size}.last",
            Metric(section, f"{size} subscribers: save() to last delivery", "ms", False, "{:.1f}"),
            impl,
            run,
            figures.get("last_delivery_ms"),
        )
        record(
            f"{prefix}.{size}.save",
            Metric(section, f"{size} subscribers: save() call returns", "ms", False, "{:.2f}"),
            impl,
            run,
            figures.get("save_ms"),
        )
        record(
            f"{prefix}.{size}.cpu",
            Metric(section, f"{size} subscribers: process CPU per change", "ms", False, "{:.1f}"),
            impl,
            run,
            figures.get("cpu_ms"),
        )
        record(
            f"{prefix}.{size}.queries",
            Metric(section, f"{size} subscribers: DB queries per change", "queries", False),
            impl,
            run,
            figures.get("queries"),
        )


def wl_fanout_model(impl: str, python: str, kind: str, run: int, cfg: argparse.Namespace) -> None:
    wl_fanout(impl, python, kind, run, cfg, observer="model")


def wl_memory(impl: str, python: str, kind: str, run: int, cfg: argparse.Namespace) -> None:
    n = cfg.idle_connections
    section = f"Memory: uvicorn server RSS with {n} idle connections"
    with server(python, kind) as (pid, url):
        # Warm up: import and exercise the request path once so only connections remain.
        loadgen(
            cfg.python_ours,
            "throughput",
            "--url",
            url,
            "--connections",
            "1",
            "--duration",
            "0.3",
            "--warmup",
            "0.1",
        )
        time.sleep(0.5)
        before = rss_bytes(pid)
        client = subprocess.Popen(
            [
                cfg.python_ours,
                os.path.join(HERE, "loadgen.py"),
                "idle",
                "--url",
                url,
                "--connections",
                str(n),
            ],
            cwd=HERE,
            env=clean_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert client.stdout is not None and client.stdin is not None
            ready = client.stdout.readline()
            if not ready.startswith("READY"):
                raise RuntimeError(f"idle client failed: {ready!r}")
            time.sleep(1.0)
            after = rss_bytes(pid)
            client.stdin.write("\n")
            client.stdin.flush()
            client.wait(timeout=120)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
    record(
        "memory.before",
        Metric(section, "server RSS before", "MiB", False, "{:.1f}"),
        impl,
        run,
        before / 2**20,
    )
    record(
        "memory.after",
        Metric(section, f"server RSS with {n} connections", "MiB", False, "{:.1f}"),
        impl,
        run,
        after / 2**20,
    )
    record(
        "memory.per_conn",
        Metric(section, "RSS per connection", "KiB", False, "{:.1f}"),
        impl,
        run,
        (after - before) / n / 1024,
    )


def wl_idle(impl: str, python: str, kind: str, run: int, cfg: argparse.Namespace) -> None:
    out = worker(
        python,
        "idle-observers",
        kind,
        "--duration",
        str(cfg.inproc_duration),
        "--warmup",
        str(cfg.warmup),
    )
    section = "Observers where nobody listens: list 50 users, in-process, sequential"
    if "skipped" in out:
        note(f"idle observers skipped for {impl}: {out['skipped']}")
    none = out["none"]
    two = out.get("two", none if kind == "floor" else {})
    for unit, field, higher, fmt in (
        ("req/s", "rps", True, "{:.0f}"),
        ("CPU µs/req", "cpu_us", False, "{:.0f}"),
    ):
        record(
            f"idle.none.{field}",
            Metric(section, "no model observer on User", unit, higher, fmt),
            impl,
            run,
            none[field],
        )
        record(
            f"idle.two.{field}",
            Metric(section, "two model observers on User (floor: none)", unit, higher, fmt),
            impl,
            run,
            two.get(field),
        )
    record(
        "idle.slowdown",
        Metric(section, "CPU per list with two observers / without", "x", False, "{:.2f}"),
        impl,
        run,
        out.get("slowdown"),
    )


RUNNERS = {
    "inproc": wl_inproc,
    "server": wl_server,
    "fanout": wl_fanout,
    "fanout-model": wl_fanout_model,
    "memory": wl_memory,
    "idle": wl_idle,
}


# Table -------------------------------------------------------------------------------


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def paired_ratio(a: list[float | None], b: list[float | None]) -> float | None:
    return median(
        [x / y for x, y in zip(a, b, strict=False) if x is not None and y is not None and y != 0]
    )


def table(runs: int) -> str:
    lines: list[str] = []
    section = None
    sections = list(dict.fromkeys(m.section for m in METRICS.values()))
    ordered = sorted(METRICS.items(), key=lambda kv: sections.index(kv[1].section))
    for key, metric in ordered:
        if metric.section != section:
            section = metric.section
            lines += [
                "",
                f"**{section}**",
                "",
                "| figure | unit | ours | 1.3 | floor | ours/1.3 | ours/floor |",
                "|---|---|---:|---:|---:|---:|---:|",
            ]
        row = RESULTS[key]
        cells = []
        for impl in IMPLS:
            m = median(row.get(impl, []))
            cells.append("n/a" if m is None else metric.fmt.format(m))
        ratios = []
        for other in ("1.3", "floor"):
            r = paired_ratio(row.get("ours", []), row.get(other, []))
            ratios.append("n/a" if r is None else f"{r:.2f}")
        arrow = "↑" if metric.higher_better else "↓"
        lines.append(
            f"| {metric.label} | {metric.unit} {arrow} | " + " | ".join(cells + ratios) + " |"
        )
    header = (
        f"Medians of {runs} run(s); ratios are medians of per-run ratios "
        "(↑ higher is better, ↓ lower is better)."
    )
    notes = [f"- {n}" for n in NOTES]
    return "\n".join([header, *lines, *([""] + ["Notes:"] + notes if notes else [])])


def checkout_state() -> str:
    """The commit measured as "ours", and whether the package had uncommitted changes."""
    if os.environ.get("BENCH_OURS_LABEL"):
        return os.environ["BENCH_OURS_LABEL"]
    try:
        head = subprocess.run(
            ["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", REPO, "status", "--porcelain", "--", "djangochannelsrestframework"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit (no git)"
    return f"commit {head}" + (" plus uncommitted changes in the package" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python-ours", required=True)
    parser.add_argument("--python-13", required=True)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 run, short windows")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 3)")
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"comma-separated subset of {','.join(WORKLOADS)}",
    )
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--json", default=None, help="also write raw results to this file")
    cfg = parser.parse_args()
    quick = cfg.quick
    cfg.runs = cfg.runs or (1 if quick else 3)
    cfg.inproc_duration = 0.3 if quick else 1.0
    cfg.server_duration = 0.5 if quick else 1.5
    cfg.warmup = 0.1 if quick else 0.3
    cfg.depth = 4
    cfg.connections = (1, 16, 64)
    cfg.sizes = (10, 100) if quick else (10, 100, 1000)
    cfg.changes = 1 if quick else 3
    cfg.idle_connections = 200 if quick else 1000
    selected = [w for w in cfg.only.split(",") if w]
    unknown = set(selected) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    impls = [i for i in IMPLS if i in cfg.impls.split(",")]
    targets = {
        "ours": (cfg.python_ours, "lib"),
        "1.3": (cfg.python_13, "lib"),
        "floor": (cfg.python_ours, "floor"),
    }

    started = time.monotonic()
    for run in range(cfg.runs):
        order = impls[run % len(impls) :] + impls[: run % len(impls)]
        for workload in selected:
            for impl in order:
                python, kind = targets[impl]
                t = time.monotonic()
                try:
                    RUNNERS[workload](impl, python, kind, run, cfg)
                except Exception as exc:  # one broken cell must not lose the others
                    note(f"{workload} {impl} run {run + 1} failed: {exc}")
                print(
                    f"# run {run + 1}/{cfg.runs} {workload:7} {impl:5} "
                    f"{time.monotonic() - t:5.1f}s",
                    file=sys.stderr,
                    flush=True,
                )

    for impl, info in INFO.items():
        if impl == "1.3" and "venv-13" not in str(info.get("dcrf_path")):
            note(f"1.3 run imported {info.get('dcrf_path')}, not the released package!")
    env_line = "; ".join(
        f"{impl}: dcrf {info.get('dcrf_version')}, Python {info.get('python')}, "
        f"Django {info.get('Django')}, channels {info.get('channels')}, "
        f"DRF {info.get('djangorestframework')}, asgiref {info.get('asgiref')}"
        for impl, info in INFO.items()
        if impl != "floor"
    )
    text = table(cfg.runs)
    if env_line:
        text = f"Versions — {env_line}.\nOurs measured at {checkout_state()}.\n\n{text}"
    print(text)
    print(f"\n(total {time.monotonic() - started:.0f} s)", file=sys.stderr)

    out_dir = os.path.join(REPO, ".bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    raw = {
        "config": {k: v for k, v in vars(cfg).items()},
        "info": INFO,
        "notes": NOTES,
        "results": {k: dict(v) for k, v in RESULTS.items()},
    }
    for path in filter(None, (cfg.json, os.path.join(out_dir, f"{stamp}.json"))):
        with open(path, "w") as fh:
            json.dump(raw, fh, indent=1, default=str)
    with open(os.path.join(out_dir, "latest.md"), "w") as fh:
        fh.write(text + "\n")


if __name__ == "__main__":
    main()
