"""Run real ASGI servers in subprocesses for end-to-end tests.

``run_server()`` starts uvicorn on a free port of 127.0.0.1 and stops it on exit; several
can run at once (for example two demo servers sharing a Redis channel layer)::

    with run_server(env={"DCRF_CHANNEL_LAYER": "redis"}) as server:
        async with websockets.connect(server.ws_url()) as ws:
            ...
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = REPO_ROOT / "example"
STARTUP_TIMEOUT = 20.0


@dataclass
class Server:
    """A running server: where to reach it and how to read what it printed."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def ws_url(self, path: str = "/ws/") -> str:
        return f"ws://{self.host}:{self.port}{path}"

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr together)."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Terminate the server (killing it after 10 s) and remove its log file."""
        _stop(self.process)
        self.log_path.unlink(missing_ok=True)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _launch(
    app: str,
    host: str,
    env: dict[str, str],
    cwd: str | os.PathLike[str],
    args: tuple[str, ...],
    port: int | None = None,
) -> Server:
    """Start uvicorn on ``port`` (default: a free one) and wait until it accepts connections."""
    port = free_port(host) if port is None else port
    command = [sys.executable, "-m", "uvicorn", app, "--host", host, "--port", str(port)]
    command += ["--no-access-log", *args]
    with tempfile.NamedTemporaryFile(
        prefix=f"uvicorn-{port}-", suffix=".log", delete=False
    ) as log_file:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Server(host=host, port=port, process=process, log_path=Path(log_file.name))
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not _accepts_connections(host, port):
        if process.poll() is not None:
            raise ServerExited(server)
        if time.monotonic() > deadline:
            output = server.output()
            server.stop()
            raise RuntimeError(
                f"server {app} did not accept connections on {host}:{port} within "
                f"{STARTUP_TIMEOUT:.0f} s:\n{output}"
            )
        time.sleep(0.05)
    return server


class ServerExited(RuntimeError):
    """The server process ended before it accepted a connection."""

    def __init__(self, server: Server) -> None:
        self.output = server.output()
        server.stop()
        super().__init__(f"server exited with code {server.process.returncode}:\n{self.output}")


@contextmanager
def run_server(
    app: str = "demo.asgi:application",
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] = EXAMPLE_DIR,
    host: str = "127.0.0.1",
    settings: str | None = "demo.settings",
    extra_args: tuple[str, ...] = (),
    port: int | None = None,
) -> Iterator[Server]:
    """Serve ``app`` with uvicorn on a free port until the ``with`` block ends.

    ``env`` is added to this process's environment; ``DJANGO_SETTINGS_MODULE`` is set to
    ``settings`` (the test process's own, set by pytest-django, must not leak into the
    server) unless ``env`` names one. Raises ``RuntimeError`` with the server's output if
    it exits or does not accept connections within 20 seconds. ``port`` serves on a given
    port (to restart a server where its clients expect it); by default a free one is used.
    """
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if settings is not None:
        full_env["DJANGO_SETTINGS_MODULE"] = settings
    full_env.update(env or {})
    # The library itself is importable from the repository even if not installed.
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), full_env.get("PYTHONPATH", "")) if p
    )
    for attempt in range(3):
        try:
            server = _launch(app, host, full_env, cwd, extra_args, port)
            break
        except ServerExited as exc:
            # Another process may have taken the free port between our check and the bind.
            if "address already in use" not in exc.output.lower() or attempt == 2:
                raise
    try:
        yield server
    finally:
        server.stop()


async def receive(ws, timeout: float = 10) -> Any:
    """The next message on the WebSocket ``ws``, JSON-decoded, within ``timeout`` seconds."""
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def request(ws, message: Any, timeout: float = 10) -> Any:
    """Send ``message`` (JSON-encoded unless it is already str/bytes) and return the reply."""
    await ws.send(message if isinstance(message, str | bytes) else json.dumps(message))
    return await receive(ws, timeout)
