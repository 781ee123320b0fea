"""The generated documents against the reference AsyncAPI parser, and the generated
TypeScript declarations against tsc (both from the node project in tests/asyncapi).

``scripts/test`` installs that project (``npm ci``) and sets ``DCRF_TEST_ASYNCAPI=1``; run
alone without it, these tests skip with a note rather than needing node.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djangochannelsrestframework.schema import get_schema
from djangochannelsrestframework.schema.typescript import to_typescript
from tests.app import routing

REPO_ROOT = Path(__file__).resolve().parents[1]
NODE_PROJECT = REPO_ROOT / "tests" / "asyncapi"
CLIENT_SOURCES = REPO_ROOT / "clients" / "js" / "src"
TIMEOUT = 180


@pytest.fixture(scope="module")
def node() -> str:
    """The node executable, with the project's packages installed."""
    if os.environ.get("DCRF_TEST_DATABASE") == "postgres":
        # No database is involved: the SQLite run has already validated the same documents.
        pytest.skip("database-independent: validated in the SQLite run")
    executable = shutil.which("node")
    installed = (NODE_PROJECT / "node_modules" / "@asyncapi" / "parser").is_dir()
    if executable is None or not installed:
        if os.environ.get("DCRF_TEST_ASYNCAPI") == "1":
            pytest.fail("DCRF_TEST_ASYNCAPI=1 but node or tests/asyncapi/node_modules is missing")
        pytest.skip("run `npm ci` in tests/asyncapi (scripts/test does) to validate documents")
    return executable


def demo_manage(*args: str) -> str:
    """Run the demo's manage.py with ``args``; return what it printed."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "demo.settings"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT / "example",
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def validate(node: str, *paths: Path) -> list[dict]:
    result = subprocess.run(
        [node, str(NODE_PROJECT / "validate.mjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == len(paths), result.stdout + result.stderr
    return reports


def test_demo_and_test_app_documents_are_valid_asyncapi(node, tmp_path):
    """The parser accepts, without errors, the demo's document (YAML, from the command) and
    the test app's (JSON), which routes every consumer of tests/app."""
    demo = tmp_path / "demo.yaml"
    demo.write_text(demo_manage("dcrf_schema", "--format", "yaml"))
    test_app = tmp_path / "test_app.json"
    test_app.write_text(json.dumps(get_schema(routing.application)))
    for report in validate(node, demo, test_app):
        assert report["valid"], report["errors"]


def test_the_validator_rejects_an_invalid_document(node, tmp_path):
    """The validation can fail: an operation naming a message its channel lacks is refused."""
    document = get_schema(routing.consumers.NoteConsumer)
    document["operations"]["root_list"]["messages"] = [
        {"$ref": "#/channels/root/messages/no_such_message"}
    ]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    (report,) = validate(node, broken)
    assert not report["valid"]


def test_demo_types_compile(node, tmp_path):
    """The demo's generated declarations compile with tsc --strict, and wrong messages in
    tests/asyncapi/check_demo_types.ts are type errors (each ``@ts-expect-error`` is used)."""
    demo_manage("dcrf_schema", "--format", "typescript", "--file", str(tmp_path / "demo.d.ts"))
    shutil.copy(NODE_PROJECT / "check_demo_types.ts", tmp_path)
    (tmp_path / "test_app.d.ts").write_text(to_typescript(get_schema(routing.application)))
    result = subprocess.run(
        [
            node,
            str(NODE_PROJECT / "node_modules" / "typescript" / "bin" / "tsc"),
            "--noEmit",
            "--strict",
            str(tmp_path / "check_demo_types.ts"),
            str(tmp_path / "test_app.d.ts"),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_types_plug_into_the_javascript_client(node, tmp_path):
    """The demo's generated types type the first-party client's calls
    (``client.patch<Ws.Data<"patch">>``), compiled with tsc --strict against its sources."""
    if not CLIENT_SOURCES.is_dir():
        pytest.skip("clients/js is not in this checkout")
    demo_manage("dcrf_schema", "--format", "typescript", "--file", str(tmp_path / "demo.d.ts"))
    shutil.copy(NODE_PROJECT / "check_client_types.ts", tmp_path)
    shutil.copytree(CLIENT_SOURCES, tmp_path / "client")
    result = subprocess.run(
        [
            node,
            str(NODE_PROJECT / "node_modules" / "typescript" / "bin" / "tsc"),
            "--noEmit",
            "--strict",
            "--target",
            "ES2020",
            "--module",
            "ES2020",
            "--moduleResolution",
            "bundler",
            "--lib",
            "ES2020,DOM",
            str(tmp_path / "check_client_types.ts"),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
