"""Fixtures for end-to-end tests: the demo project served by a real uvicorn process."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.servers import EXAMPLE_DIR, REPO_ROOT, Server, run_server

_template: Path | None = None


def prepare_demo_database(path: Path) -> dict[str, str]:
    """Create a migrated, seeded SQLite database for the demo; return the env that selects it.

    The first call migrates and seeds a template; later calls copy it, which is much faster.
    """
    global _template
    env = {"DCRF_DEMO_DB": str(path), "DJANGO_SETTINGS_MODULE": "demo.settings"}
    if _template is None:
        template_dir = Path(tempfile.mkdtemp(prefix="dcrf-demo-db-"))
        atexit.register(shutil.rmtree, template_dir, ignore_errors=True)
        template = template_dir / "template.sqlite3"
        _run_manage_py(["migrate", "--verbosity", "0"], template)
        _run_manage_py(["seed_demo"], template)
        _template = template
    shutil.copyfile(_template, path)
    return env


def _run_manage_py(command: list[str], database: Path) -> None:
    full_env = {**os.environ, "DCRF_DEMO_DB": str(database)}
    full_env["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=EXAMPLE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {command[0]} failed:\n{result.stdout}{result.stderr}")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo on a free port with its own seeded SQLite database ("user 1".."user 3")."""
    database = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    env = prepare_demo_database(database)
    with run_server(env=env) as server:
        yield server


#: Flags for Debian's Chromium on a machine with no network but loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: How long a browser test waits for something to appear on a page.
TIMEOUT_MS = 15_000


@pytest.fixture
async def browser():
    """The system's headless Chromium (Playwright downloads no browser)."""
    async_api = pytest.importorskip("playwright.async_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (scripts/test installs it)")
    async with async_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
