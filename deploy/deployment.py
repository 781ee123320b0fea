"""Run the demo as it is deployed: nginx in front of N uvicorn processes, Redis, PostgreSQL.

Usage (through ``scripts/deployment``, which sets up the virtualenv and the services)::

    python deploy/deployment.py [--servers 2] [--port 0] [--layer redis|redis-pubsub]
                                [--keep-db] [--state FILE]

Creates a PostgreSQL database of its own (``dcrf_deploy_<random>``, on the server that
libpq's ``PG*`` variables name), migrates and seeds it, starts the uvicorn processes on
free ports of 127.0.0.1 with ``demo.deploy_settings`` and a Redis key prefix of its own
(``DCRF_REDIS_URL``), renders ``deploy/nginx.conf.template`` into a temporary directory
and runs nginx in the foreground on ``--port`` (0: a free port) of 127.0.0.1. Then it
prints one JSON line describing the deployment (URLs, pids, ports, the environment a
worker process needs) and waits. On SIGTERM or SIGINT it stops everything it started,
deletes its Redis keys and drops its database (unless ``--keep-db``).

It is a process manager for tests and trials, not for production: a process that dies is
not restarted (that is what ``deploy/dcrf@.service`` does with systemd).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = REPO_ROOT / "example"
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until_listening(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not accepts_connections(port):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port}")
        time.sleep(0.05)


def render_nginx_config(run_dir: Path, listen_port: int, upstream_ports: list[int]) -> Path:
    """Write nginx.conf for these ports into ``run_dir`` and return its path."""
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in upstream_ports
    )
    text = (
        TEMPLATE.read_text()
        .replace("@RUN_DIR@", str(run_dir))
        .replace("@LISTEN@", f"127.0.0.1:{listen_port}")
        .replace("@UPSTREAM_SERVERS@", servers)
    )
    path = run_dir / "nginx.conf"
    path.write_text(text)
    return path


class Database:
    """A PostgreSQL database of this deployment's own, created and dropped through psycopg."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(dbname=os.environ.get("PGDATABASE", "dcrf"), autocommit=True)

    def create(self) -> None:
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self._admin() as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}"')


def delete_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
    finally:
        client.close()


class Deployment:
    """Everything one run started, so that it can all be stopped."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        token = uuid.uuid4().hex[:10]
        self.database = Database(f"dcrf_deploy_{token}")
        self.redis_prefix = f"dcrf-deploy-{token}"
        self.run_dir = Path(tempfile.mkdtemp(prefix="dcrf-deploy-"))
        #: (is it nginx, the process), in the order they were started.
        self.processes: list[tuple[bool, subprocess.Popen[bytes]]] = []
        self.database_created = False
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "demo.deploy_settings",
            "DCRF_SECRET_KEY": os.environ.get("DCRF_SECRET_KEY") or uuid.uuid4().hex * 2,
            "DCRF_DB_NAME": self.database.name,
            "DCRF_CHANNEL_LAYER": args.layer,
            "DCRF_REDIS_URL": os.environ.get("DCRF_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "DCRF_REDIS_PREFIX": self.redis_prefix,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO_ROOT), str(EXAMPLE_DIR), os.environ.get("PYTHONPATH")) if p
            ),
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *command: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=EXAMPLE_DIR,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=300,
        )

    def start_server(self, index: int) -> dict[str, Any]:
        port = free_port()
        log = open(self.run_dir / f"uvicorn-{index}.log", "wb")  # noqa: SIM115
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "demo.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--proxy-headers",
            "--forwarded-allow-ips",
            "127.0.0.1",
            "--no-access-log",
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "5",
        ]
        process = subprocess.Popen(
            command, cwd=EXAMPLE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append((False, process))
        wait_until_listening(port, process, f"uvicorn on port {port}")
        return {"port": port, "pid": process.pid, "log": str(log.name)}

    def start_nginx(self, upstream_ports: list[int]) -> dict[str, Any]:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run_dir / sub).mkdir(exist_ok=True)
        # nginx's workers run as "nobody" when the master is root: let them in.
        self.run_dir.chmod(0o755)
        for attempt in range(3):
            port = self.args.port or free_port()
            config = render_nginx_config(self.run_dir, port, upstream_ports)
            command = [nginx, "-p", str(self.run_dir), "-c", str(config), "-e", "stderr"]
            subprocess.run([*command, "-t", "-q"], check=True)
            log = open(self.run_dir / "nginx.stderr", "ab")  # noqa: SIM115
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_until_listening(port, process, f"nginx on port {port}")
            except RuntimeError:
                if self.args.port or attempt == 2:
                    raise
                continue  # the free port was taken meanwhile: try another
            self.processes.append((True, process))
            return {"port": port, "pid": process.pid, "config": str(config)}
        raise AssertionError("unreachable")

    def start(self) -> dict[str, Any]:
        self.database.create()
        self.database_created = True
        self.manage("migrate", "--verbosity", "0")
        self.manage("seed_demo")
        servers = [self.start_server(i) for i in range(self.args.servers)]
        nginx = self.start_nginx([s["port"] for s in servers])
        worker_env = {
            key: self.env[key]
            for key in (
                "DJANGO_SETTINGS_MODULE",
                "DCRF_SECRET_KEY",
                "DCRF_DB_NAME",
                "DCRF_CHANNEL_LAYER",
                "DCRF_REDIS_URL",
                "DCRF_REDIS_PREFIX",
                "PYTHONPATH",
            )
        }
        return {
            "url": f"http://127.0.0.1:{nginx['port']}",
            "ws_url": f"ws://127.0.0.1:{nginx['port']}/ws/",
            "nginx": nginx,
            "servers": servers,
            "database": self.database.name,
            "redis_prefix": self.redis_prefix,
            "run_dir": str(self.run_dir),
            "worker_env": worker_env,
            "worker_cwd": str(EXAMPLE_DIR),
        }

    def stop(self) -> None:
        for is_nginx, process in reversed(self.processes):
            if process.poll() is None:
                # nginx: SIGQUIT is a graceful stop; uvicorn: SIGTERM.
                process.send_signal(signal.SIGQUIT if is_nginx else signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        delete_redis_keys(self.env["DCRF_REDIS_URL"], self.redis_prefix)
        if self.database_created and not self.args.keep_db:
            self.database.drop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=2, help="uvicorn processes (2)")
    parser.add_argument("--port", type=int, default=0, help="nginx port on 127.0.0.1 (free)")
    parser.add_argument("--layer", choices=("redis", "redis-pubsub"), default="redis")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--state", help="also write the JSON description to this file")
    args = parser.parse_args()

    stopping = False

    def request_stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    deployment = Deployment(args)
    try:
        state = deployment.start()
        line = json.dumps(state)
        if args.state:
            Path(args.state).write_text(line + "\n")
        print(line, flush=True)
        print(f"# serving on {state['url']}; Ctrl+C stops everything", file=sys.stderr)
        while not stopping:
            time.sleep(0.2)
    finally:
        deployment.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
