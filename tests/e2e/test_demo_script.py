"""``./scripts/demo`` as a user runs it: its start-up line, its port, the admin, and what the
server says at start-up with and without a reachable channel layer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import prepare_demo_database
from tests.e2e.servers import REPO_ROOT, Server, free_port, run_server

pytestmark = pytest.mark.e2e

STARTUP_TIMEOUT = 60.0
LAYER_ERROR = "Channel layer 'default' (channels_redis.core.RedisChannelLayer) cannot be reached"


def wait_for(condition, timeout: float, what: str, output=lambda: "") -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` (and the output) if it never is."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{output()}")
        time.sleep(0.1)


@contextmanager
def demo_script(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run ``scripts/demo`` with ``args``; stop it (its whole process group) afterwards."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)  # the script sets the demo's own
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(REPO_ROOT / "scripts" / "demo"), *args],
            env=full_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


def get(url: str) -> tuple[int, str]:
    """Status and final URL of a GET (redirects followed)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.url


@pytest.mark.parametrize("how", ["--port", "--port=", "DCRF_DEMO_PORT"])
def test_the_start_up_line_names_the_port_served(tmp_path: Path, how: str):
    """With --port N, --port=N or DCRF_DEMO_PORT=N, the script says N and serves on N."""
    port = free_port()
    env = prepare_demo_database(tmp_path / "demo.sqlite3")
    args = {"--port": ["--port", str(port)], "--port=": [f"--port={port}"]}.get(how, [])
    if how == "DCRF_DEMO_PORT":
        env["DCRF_DEMO_PORT"] = str(port)
    log = tmp_path / "demo.log"
    with demo_script(args, env, log) as process:
        # uvicorn prints this line once it listens, after the application's start-up.
        wait_for(
            lambda: "Uvicorn running on" in log.read_text() or process.poll() is not None,
            STARTUP_TIMEOUT,
            "the demo to start",
            log.read_text,
        )
        output = log.read_text()
        assert f"==> demo on http://127.0.0.1:{port}/ (Ctrl-C to stop)" in output, output
        assert f"Uvicorn running on http://127.0.0.1:{port}" in output, output
        assert get(f"http://127.0.0.1:{port}/")[0] == 200
    assert "127.0.0.1:8000" not in output


def test_the_demo_starts_without_lifespan_noise_or_errors(demo_server: Server):
    """uvicorn's start-up says nothing about the lifespan protocol, and logs no error."""
    get(demo_server.http_url + "/")  # the server has started and served a request
    output = demo_server.output()
    assert "Application startup complete" in output, output
    assert "lifespan" not in output.lower(), output
    assert "error" not in output.lower(), output


def test_the_admin_is_served(demo_server: Server):
    """/admin/ asks to log in, and the login page and its style sheet are served."""
    status, url = get(demo_server.http_url + "/admin/")
    assert (status, url) == (200, demo_server.http_url + "/admin/login/?next=/admin/")
    assert get(demo_server.http_url + "/static/admin/css/base.css")[0] == 200


def test_an_unreachable_redis_is_reported_once_at_start_up(tmp_path: Path):
    """With the Redis layer on a closed port, start-up logs one error naming the address."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    env = prepare_demo_database(tmp_path / "demo.sqlite3")
    env |= {"DCRF_CHANNEL_LAYER": "redis", "DCRF_REDIS_URL": url}
    with run_server(env=env) as server:
        wait_for(
            lambda: "Uvicorn running on" in server.output(),
            STARTUP_TIMEOUT,
            "start-up",
            server.output,
        )
        # The page is still served: HTTP does not need the channel layer.
        assert get(server.http_url + "/")[0] == 200
        output = server.output()
    assert output.count(LAYER_ERROR) == 1, output
    [line] = [line for line in output.splitlines() if LAYER_ERROR in line]
    assert re.search(rf"cannot be reached at {re.escape(url)}: ConnectionError", line), line
    assert "is running and reachable" in line and "lifespan" not in output.lower()
